//! `write`: rendered files to the output folder, touching only what changed.
//!
//! A file is written only when its bytes differ from what is on disk, so an
//! unchanged rebuild writes nothing and `carte serve` reloads only real changes.
//! The paths written are listed in [`MANIFEST`] inside the output folder; on the
//! next write, files listed there but no longer rendered are removed. Files the
//! generator did not write are never touched, and nothing outside the output
//! folder is ever written or removed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::hash::Hasher;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use thiserror::Error;

use crate::render::Output;

/// The file in the output folder listing what the last build wrote.
pub const MANIFEST: &str = ".carte-files";

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or changed.
    pub written: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Stale files of an earlier build removed.
    pub removed: usize,
    /// Bytes of the files written.
    pub bytes_written: u64,
    /// Bytes of all outputs.
    pub bytes_total: u64,
}

/// Why the output could not be written.
#[derive(Debug, Error)]
pub enum WriteError {
    /// An output path is absolute, climbs out with `..`, or goes through a symlink.
    #[error("refusing to write `{0}`: the path must stay inside the output folder")]
    UnsafePath(String),
    /// Two outputs have the same path (a page slug, location id or asset name collides).
    #[error(
        "two files would be written to `{0}`: a page slug, location id or asset name collides"
    )]
    Duplicate(String),
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The relative path of an output if it is safe: plain names only, no `.`/`..`,
/// no drive or root, no backslashes; `a//b` is read as `a/b`.
pub fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    let mut parts = 0;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part == "."
            || part == ".."
            || part.contains(['\\', ':', '\0'])
            || Path::new(part).is_absolute()
        {
            return None;
        }
        out.push(part);
        parts += 1;
    }
    (parts > 0 && out.as_os_str() != MANIFEST).then_some(out)
}

/// Writes `outputs` under `out` (created if missing), skipping files whose bytes are
/// unchanged, and removes files an earlier write made that are no longer in `outputs`.
pub fn write(out: &Path, outputs: &[Output]) -> Result<WriteReport, WriteError> {
    let writer = Writer::new(out, None)?;
    for o in outputs {
        writer.put(&o.path, &o.bytes)?;
    }
    Ok(writer.finish()?.0)
}

/// The content hash of every file a write left in the output folder, by output path:
/// what a long-running `carte serve` keeps so the next write need not read them back.
pub type Written = HashMap<String, u64>;

/// A 64-bit hash of a file's bytes, for [`Written`].
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = crate::hash::hasher();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}

/// Writes outputs one by one as they are rendered, from any number of threads, so no
/// build holds the whole site in memory; [`Writer::finish`] then removes the stale
/// files of the previous write and updates [`MANIFEST`].
///
/// A file is written only when its bytes differ from what is there: compared with the
/// previous write's [`Written`] hashes when given (the folder is then trusted to be
/// as that write left it), else with the file on disk.
pub struct Writer {
    out: PathBuf,
    previous: Option<Written>,
    state: Mutex<WriterState>,
}

#[derive(Default)]
struct WriterState {
    report: WriteReport,
    /// Folders (relative) known to exist and to be real folders.
    dirs: HashSet<PathBuf>,
    written: Written,
}

impl Writer {
    /// A writer into `out` (created if missing).
    pub fn new(out: &Path, previous: Option<Written>) -> Result<Writer, WriteError> {
        fs::create_dir_all(out).map_err(io_error(out))?;
        Ok(Writer {
            out: out.to_owned(),
            previous,
            state: Mutex::new(WriterState::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WriterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that the file at `path` is still part of the site and unchanged since the
    /// previous write, without its bytes (a page whose inputs did not change). Returns
    /// `false`, recording nothing, when the previous write did not leave that file.
    pub fn keep(&self, path: &str) -> Result<bool, WriteError> {
        let Some(hash) = self.previous.as_ref().and_then(|p| p.get(path)).copied() else {
            return Ok(false);
        };
        let mut state = self.lock();
        if state.written.insert(path.to_owned(), hash).is_some() {
            return Err(WriteError::Duplicate(path.to_owned()));
        }
        state.report.unchanged += 1;
        Ok(true)
    }

    /// Writes one output file unless the same bytes are already there.
    pub fn put(&self, path: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let rel = safe_relative(path).ok_or_else(|| WriteError::UnsafePath(path.to_owned()))?;
        let key = to_slashes(&rel);
        let hash = content_hash(bytes);
        {
            let mut state = self.lock();
            if state.written.insert(key.clone(), hash).is_some() {
                return Err(WriteError::Duplicate(key));
            }
            state.report.bytes_total += bytes.len() as u64;
            ensure_dirs(&self.out, &rel, &mut state.dirs, path)?;
        }
        let dest = self.out.join(&rel);
        if self
            .previous
            .as_ref()
            .is_some_and(|p| p.get(&key) == Some(&hash))
        {
            self.lock().report.unchanged += 1;
            return Ok(());
        }
        let exists = match fs::symlink_metadata(&dest) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(WriteError::UnsafePath(path.to_owned()))
            }
            Ok(meta) => {
                if self.previous.is_none()
                    && meta.is_file()
                    && meta.len() == bytes.len() as u64
                    && fs::read(&dest).map_err(io_error(&dest))? == bytes
                {
                    self.lock().report.unchanged += 1;
                    return Ok(());
                }
                true
            }
            Err(_) => false,
        };
        if exists {
            write_atomically(&dest, bytes)?;
        } else {
            // A new file: nothing to replace, so no temporary file and rename. `create_new`
            // refuses anything that appeared there meanwhile (a symlink included).
            write_new(&dest, bytes)?;
        }
        let mut state = self.lock();
        state.report.written += 1;
        state.report.bytes_written += bytes.len() as u64;
        Ok(())
    }

    /// Removes the files of the previous write that were not put this time, updates
    /// the manifest, and hands back the report and the hash of every file now there.
    pub fn finish(self) -> Result<(WriteReport, Written), WriteError> {
        let out = self.out;
        let state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut report = state.report;
        let now: BTreeSet<&str> = state.written.keys().map(String::as_str).collect();
        let manifest = out.join(MANIFEST);
        let before = fs::read_to_string(&manifest).unwrap_or_default();
        for old in before.lines() {
            let Some(rel) = safe_relative(old) else {
                continue;
            };
            if now.contains(to_slashes(&rel).as_str()) {
                continue;
            }
            let path = out.join(&rel);
            if let Ok(meta) = fs::symlink_metadata(&path) {
                if meta.is_file() && parents_are_real(&out, &rel) {
                    fs::remove_file(&path).map_err(io_error(&path))?;
                    report.removed += 1;
                    remove_empty_parents(&out, &rel);
                }
            }
        }
        let mut listing = String::with_capacity(now.iter().map(|p| p.len() + 1).sum());
        for p in &now {
            listing.push_str(p);
            listing.push('\n');
        }
        if listing != before {
            write_atomically(&manifest, listing.as_bytes())?;
        }
        Ok((report, state.written))
    }
}

fn to_slashes(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Creates the parent folders of `rel` under `out`, refusing to go through a symlink
/// or a file.
fn ensure_dirs(
    out: &Path,
    rel: &Path,
    known: &mut HashSet<PathBuf>,
    shown: &str,
) -> Result<(), WriteError> {
    let Some(parent) = rel.parent() else {
        return Ok(());
    };
    let mut dir = out.to_path_buf();
    let mut sub = PathBuf::new();
    for part in parent.components() {
        dir.push(part);
        sub.push(part);
        if known.contains(&sub) {
            continue;
        }
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(WriteError::UnsafePath(shown.to_owned())),
            Err(_) => fs::create_dir(&dir).map_err(io_error(&dir))?,
        }
        known.insert(sub.clone());
    }
    Ok(())
}

/// Whether every folder between `out` and `rel` is a real folder (not a symlink).
fn parents_are_real(out: &Path, rel: &Path) -> bool {
    let mut dir = out.to_path_buf();
    if let Some(parent) = rel.parent() {
        for part in parent.components() {
            dir.push(part);
            match fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => {}
                _ => return false,
            }
        }
    }
    true
}

/// Removes the folders of `rel` that became empty, deepest first, never `out` itself.
fn remove_empty_parents(out: &Path, rel: &Path) {
    let mut parent = rel.parent();
    while let Some(p) = parent {
        if p.as_os_str().is_empty() || fs::remove_dir(out.join(p)).is_err() {
            break;
        }
        parent = p.parent();
    }
}

/// Writes a file that must not exist yet.
fn write_new(dest: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    use std::io::Write as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
        .map_err(io_error(dest))?;
    file.write_all(bytes).map_err(io_error(dest))
}

/// Writes to a temporary file beside `dest` and renames it over `dest`, so a server
/// reading the folder never sees half a file.
fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dest.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&tmp, bytes).map_err(io_error(&tmp))?;
    if let Err(e) = fs::rename(&tmp, dest) {
        let _ = fs::remove_file(&tmp);
        return Err(WriteError::Io {
            path: dest.to_path_buf(),
            source: e,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(path: &str, text: &str) -> Output {
        Output::new(path, text.as_bytes().to_vec())
    }

    #[test]
    fn refuses_paths_that_leave_the_folder() {
        assert_eq!(
            safe_relative("en//a/index.html"),
            Some(PathBuf::from("en/a/index.html"))
        );
        assert_eq!(safe_relative("../x"), None);
        assert_eq!(safe_relative("a/../../x"), None);
        assert_eq!(safe_relative("/"), None);
        assert_eq!(safe_relative("a\\..\\x"), None);
        assert_eq!(safe_relative("c:/x"), None);
        assert_eq!(safe_relative(MANIFEST), None);
        assert_eq!(
            safe_relative("/etc/passwd"),
            Some(PathBuf::from("etc/passwd"))
        );
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { return };
        let err = write(dir.path(), &[out("../evil", "x")]);
        assert!(matches!(err, Err(WriteError::UnsafePath(_))));
        assert!(!dir.path().join("../evil").exists());
    }

    #[test]
    fn writes_only_changes_and_removes_stale_files() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        fs::write(root.join("mine.txt"), "not the generator's")?;
        let first = write(root, &[out("a/index.html", "A"), out("b/c/d.txt", "D")])?;
        assert_eq!((first.written, first.unchanged, first.removed), (2, 0, 0));
        let again = write(root, &[out("a/index.html", "A"), out("b/c/d.txt", "D")])?;
        assert_eq!((again.written, again.unchanged, again.removed), (0, 2, 0));
        let changed = write(root, &[out("a/index.html", "A2")])?;
        assert_eq!(
            (changed.written, changed.unchanged, changed.removed),
            (1, 0, 1)
        );
        assert_eq!(fs::read_to_string(root.join("a/index.html"))?, "A2");
        assert!(
            !root.join("b").exists(),
            "empty folders of stale files go too"
        );
        assert_eq!(
            fs::read_to_string(root.join("mine.txt"))?,
            "not the generator's"
        );
        Ok(())
    }
}
