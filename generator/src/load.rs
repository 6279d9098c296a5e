//! Loading: the files of a site folder read and parsed into raw values.
//!
//! ```text
//! site.yaml            settings          menus/<id>.yaml    menus
//! locations/<id>.yaml  shops             campaigns.yaml     campaigns, channels, coupons
//! pages/<slug>.md      default language  pages/<slug>.<lang>.md  other languages
//! images/**            pictures
//! ```
//!
//! Every file is read and parsed even when another fails, so one run reports
//! the errors of all files.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use crate::content::{RawCampaigns, RawFrontMatter, RawLocation, RawMenu, RawSite};
use crate::diagnostics::Diagnostics;
use crate::locate::{self, At, Problem};
use crate::tolerant;
use crate::picture::{sniff, PictureKind, PictureProblem, REFUSED_EXTENSIONS};
use crate::Project;

/// The largest content file read (YAML or Markdown), in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Extensions (lower case) of the files under `images/` that are pictures.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "gif", "svg"];

/// A parsed YAML file.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// Path relative to the site root.
    pub file: PathBuf,
    /// File name without its extension (the default id).
    pub stem: String,
    /// The parsed content, shared with a [`LoadCache`] that keeps it.
    pub value: Arc<T>,
}

/// A Markdown page file with its front matter.
#[derive(Debug, Clone)]
pub struct PageFile {
    /// Path relative to the site root.
    pub file: PathBuf,
    /// `about` of `about.md` and `about.en.md`.
    pub slug: String,
    /// `en` of `about.en.md`; `None` for the default language.
    pub lang: Option<String>,
    pub front: RawFrontMatter,
    /// The Markdown after the front matter.
    pub body: String,
    /// Byte offset of `body` in the file.
    pub body_offset: usize,
    /// The front matter text and the 1-based file line it starts on.
    pub front_text: String,
    pub front_line: usize,
}

/// Everything read from a site folder, and the problems met reading it.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The site folder.
    pub root: PathBuf,
    /// Text of every YAML and Markdown file read, by path relative to `root`.
    pub sources: BTreeMap<PathBuf, String>,
    /// `site.yaml`, when present and well-formed.
    pub site: Option<Parsed<RawSite>>,
    pub locations: Vec<Parsed<RawLocation>>,
    pub menus: Vec<Parsed<RawMenu>>,
    /// `campaigns.yaml`, when present and well-formed.
    pub campaigns: Option<Parsed<RawCampaigns>>,
    pub pages: Vec<PageFile>,
    /// Files under `images/`, relative to it, `/`-separated, sorted.
    pub images: Vec<String>,
    /// Files of `images` that cannot be published (HEIC, corrupt…), and why.
    pub image_problems: BTreeMap<String, PictureProblem>,
    /// Files that were found but could not be read or parsed.
    pub problems: Vec<Problem>,
}

/// Loads and checks the site in `root`: every content error, located, or the project.
pub fn load_site(root: &Path) -> Result<Project, Diagnostics> {
    load_site_cached(root, None)
}

/// Like [`load_site`], parsing again only the files changed since the load that filled
/// `cache` (see [`load_cached`]).
pub fn load_site_cached(
    root: &Path,
    cache: Option<&mut LoadCache>,
) -> Result<Project, Diagnostics> {
    let loaded = load_cached(root, cache);
    match crate::check::check(&loaded) {
        Ok(site) => Ok(Project {
            root: root.to_owned(),
            version: catalog::catalog_version(&site),
            site,
            images: loaded.images,
        }),
        Err(problems) => Err(locate::resolve(problems, &loaded.sources)),
    }
}

/// Like [`load_site`], and also the content warnings (allowed, but worth a word),
/// located like errors: what `carte check` prints.
pub fn load_site_with_warnings(root: &Path) -> Result<(Project, Diagnostics), Diagnostics> {
    let loaded = load_cached(root, None);
    let (checked, warnings) = crate::check::check_with_warnings(&loaded);
    match checked {
        Ok(site) => Ok((
            Project {
                root: root.to_owned(),
                version: catalog::catalog_version(&site),
                site,
                images: loaded.images,
            },
            locate::resolve(warnings, &loaded.sources).sorted(),
        )),
        Err(problems) => Err(locate::resolve(problems, &loaded.sources)),
    }
}

/// Reads and parses every content file under `root`.
pub fn load(root: &Path) -> Loaded {
    load_cached(root, None)
}

/// A parsed file's value, of its own type.
type Shared = Arc<dyn Any + Send + Sync>;

/// A parsed file, and its value to keep when there is a [`LoadCache`]; or why not.
type Parse<T> = Result<(Parsed<T>, Option<Shared>), Failed<T>>;

/// A file that did not parse: every problem found in it, and what could be read
/// of it without the offending values (see [`crate::tolerant`]).
struct Failed<T> {
    problems: Vec<Problem>,
    partial: Option<Parsed<T>>,
}

/// The parsed YAML files of the last load, with their text: what `carte serve` keeps
/// so a rebuild parses again only the files whose text changed.
#[derive(Default)]
pub struct LoadCache {
    files: HashMap<PathBuf, (String, Shared)>,
}

impl std::fmt::Debug for LoadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadCache")
            .field("files", &self.files.len())
            .finish()
    }
}

/// Like [`load`]; with a `cache`, a YAML file whose text is the same as at the last
/// load is not parsed again, and the cache is updated with what was parsed.
pub fn load_cached(root: &Path, cache: Option<&mut LoadCache>) -> Loaded {
    let mut loaded = Loaded {
        root: root.to_owned(),
        ..Loaded::default()
    };
    if !root.is_dir() {
        loaded.problems.push(
            Problem::new(
                ".",
                At::File,
                format!("no site folder at `{}`", root.display()),
            )
            .hint("run the command in the folder holding site.yaml, or pass its path"),
        );
        return loaded;
    }
    let mut fresh = LoadCache::default();
    let known = cache.as_deref();
    match yaml_file(root, "site") {
        Some(rel) => {
            loaded.site = loaded
                .parse_all::<RawSite>(vec![rel], None, known, &mut fresh)
                .pop()
        }
        None => loaded.problems.push(
            Problem::new("site.yaml", At::File, "the site has no site.yaml")
                .hint("create site.yaml with name, languages, currency, timezone and base_url"),
        ),
    }
    if let Some(rel) = yaml_file(root, "campaigns") {
        loaded.campaigns = loaded
            .parse_all(vec![rel], Some(RawCampaigns::default()), known, &mut fresh)
            .pop();
    }
    let files = loaded.folder("locations", &["yaml", "yml"]);
    loaded.locations = loaded.parse_all::<RawLocation>(files, None, known, &mut fresh);
    let files = loaded.folder("menus", &["yaml", "yml"]);
    loaded.menus = loaded.parse_all::<RawMenu>(files, None, known, &mut fresh);
    for rel in loaded.folder("pages", &["md"]) {
        if let Some(page) = loaded.parse_page(&rel) {
            loaded.pages.push(page);
        }
    }
    loaded.images = loaded.image_files();
    if let Some(cache) = cache {
        *cache = fresh;
    }
    loaded
}

/// Reads the start of a picture: its kind and, for the formats the build
/// decodes, its header (size), so a file that is not what it says is a content
/// error rather than a failed build.
fn read_picture_header(path: &Path, name: &str) -> Result<PictureKind, PictureProblem> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)
        .and_then(|f| f.take(64).read_to_end(&mut head))
        .map_err(|e| PictureProblem::Corrupt(format!("cannot read it: {e}")))?;
    let kind = sniff(name, &head)?;
    if kind != PictureKind::Svg {
        image::ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(|e| PictureProblem::Corrupt(e.to_string()))?
            .into_dimensions()
            .map_err(|e| PictureProblem::Corrupt(e.to_string()))?;
    }
    Ok(kind)
}

/// `name.yaml` (or `name.yml`) in `root`, relative.
fn yaml_file(root: &Path, name: &str) -> Option<PathBuf> {
    ["yaml", "yml"]
        .iter()
        .map(|ext| PathBuf::from(format!("{name}.{ext}")))
        .find(|rel| root.join(rel).is_file())
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('~') || name.ends_with('~')
}

fn extension_of(name: &str) -> Option<String> {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

impl Loaded {
    /// The files directly in `folder` with one of `extensions`, sorted, relative to the root.
    fn folder(&mut self, folder: &str, extensions: &[&str]) -> Vec<PathBuf> {
        let dir = self.root.join(folder);
        if !dir.is_dir() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for entry in WalkDir::new(&dir)
            .min_depth(1)
            .max_depth(1)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.problems
                        .push(Problem::new(folder, At::File, format!("cannot read: {e}")));
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_hidden(&name) || !entry.file_type().is_file() {
                continue;
            }
            let ext = extension_of(&name);
            if ext.as_deref().is_some_and(|e| extensions.contains(&e)) {
                out.push(Path::new(folder).join(&name));
            }
        }
        out
    }

    /// Every picture under `images/`, relative to it.
    fn image_files(&mut self) -> Vec<String> {
        let dir = self.root.join("images");
        if !dir.is_dir() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let walk = WalkDir::new(&dir)
            .min_depth(1)
            .max_depth(8)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| !is_hidden(&e.file_name().to_string_lossy()));
        for entry in walk {
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&dir) else {
                continue;
            };
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let rel = rel.join("/");
            let Some(ext) = extension_of(&rel) else {
                continue;
            };
            if IMAGE_EXTENSIONS.contains(&ext.as_str()) || REFUSED_EXTENSIONS.contains(&ext.as_str())
            {
                if let Err(problem) = read_picture_header(entry.path(), &rel) {
                    self.image_problems.insert(rel.clone(), problem);
                }
                out.push(rel);
            }
        }
        out.sort();
        out
    }

    /// Reads a file as UTF-8 text and keeps it in `sources`.
    fn read_text(&mut self, rel: &Path) -> Option<String> {
        let path = self.root.join(rel);
        let too_big = fs::metadata(&path).is_ok_and(|m| m.len() > MAX_FILE_BYTES);
        if too_big {
            self.problems.push(
                Problem::new(rel, At::File, "the file is too large").hint(format!(
                    "content files are limited to {MAX_FILE_BYTES} bytes"
                )),
            );
            return None;
        }
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                self.problems.push(Problem::new(
                    rel,
                    At::File,
                    format!("cannot read the file: {e}"),
                ));
                return None;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let (line, column) = locate::line_column(&lossy, valid);
                self.sources.insert(rel.to_owned(), lossy);
                self.problems.push(
                    Problem::new(
                        rel,
                        At::Position { line, column },
                        "the file is not valid UTF-8",
                    )
                    .hint("save the file as UTF-8"),
                );
                return None;
            }
        };
        let text = text
            .strip_prefix('\u{feff}')
            .map(str::to_owned)
            .unwrap_or(text);
        self.sources.insert(rel.to_owned(), text.clone());
        Some(text)
    }

    /// Reads `files` one after another, then parses them in parallel (taking a file
    /// from `known` when its text is unchanged); an empty file is `empty`, or an error
    /// when that is `None`. What was parsed goes into `fresh`, in the order of `files`.
    fn parse_all<T>(
        &mut self,
        files: Vec<PathBuf>,
        empty: Option<T>,
        known: Option<&LoadCache>,
        fresh: &mut LoadCache,
    ) -> Vec<Parsed<T>>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let texts: Vec<(PathBuf, String)> = files
            .into_iter()
            .filter_map(|rel| self.read_text(&rel).map(|text| (rel, text)))
            .collect();
        let results: Vec<Parse<T>> = texts
            .par_iter()
            .map(|(rel, text)| parse_yaml_text(rel, text, empty.clone(), known))
            .collect();
        let mut out = Vec::with_capacity(results.len());
        for ((rel, text), result) in texts.into_iter().zip(results) {
            match result {
                Ok((parsed, shared)) => {
                    if let Some(value) = shared {
                        fresh.files.insert(rel, (text, value));
                    }
                    out.push(parsed);
                }
                Err(failed) => {
                    self.problems.extend(failed.problems);
                    out.extend(failed.partial);
                }
            }
        }
        out
    }

    /// Reads a page: front matter between `---` lines, then Markdown.
    fn parse_page(&mut self, rel: &Path) -> Option<PageFile> {
        let text = self.read_text(rel)?;
        let name = rel
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name
            .strip_suffix(".md")
            .or_else(|| name.strip_suffix(".MD"));
        let stem = stem.unwrap_or(&name);
        let (slug, lang) = match stem.rsplit_once('.') {
            Some((slug, lang)) => (slug.to_owned(), Some(lang.to_owned())),
            None => (stem.to_owned(), None),
        };
        let Some(split) = split_front_matter(&text) else {
            self.problems.push(
                Problem::new(
                    rel,
                    At::Position { line: 1, column: 1 },
                    "the page has no front matter",
                )
                .hint("start the page with a `---` line, `title: …`, and another `---` line"),
            );
            return None;
        };
        let front = if is_blank_yaml(split.front) {
            Err(Problem::new(
                rel,
                At::Position { line: 1, column: 1 },
                "the front matter has no title",
            )
            .hint("add `title: …` between the `---` lines"))
        } else {
            serde_yaml::from_str::<RawFrontMatter>(split.front)
                .map_err(|e| locate::from_yaml_error(rel, &e, split.front_line - 1))
        };
        match front {
            Ok(front) => Some(PageFile {
                file: rel.to_owned(),
                slug,
                lang,
                front,
                body: text[split.body_offset..].to_owned(),
                body_offset: split.body_offset,
                front_text: split.front.to_owned(),
                front_line: split.front_line,
            }),
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }
}

/// Parses one YAML file's text, or takes the value parsed last time from `known`
/// when the text is the same.
fn parse_yaml_text<T>(
    rel: &Path,
    text: &str,
    empty: Option<T>,
    known: Option<&LoadCache>,
) -> Parse<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cached = known
        .and_then(|k| k.files.get(rel))
        .filter(|(old, _)| old == text)
        .and_then(|(_, value)| {
            Some((Arc::clone(value).downcast::<T>().ok()?, Some(value.clone())))
        });
    let (value, shared) = match cached {
        Some(hit) => hit,
        None => {
            let value = if is_blank_yaml(text) {
                empty.ok_or_else(|| Failed {
                    problems: vec![Problem::new(rel, At::File, "the file is empty")
                        .hint("fill it in, or delete it; docs/content.md shows every field")],
                    partial: None,
                })?
            } else {
                match serde_yaml::from_str::<T>(text) {
                    Ok(value) => value,
                    Err(e) => return Err(failed_yaml(rel, &stem, text, &e)),
                }
            };
            let value = Arc::new(value);
            // Kept for the next load only when there is a cache to keep it in.
            let shared = known.map(|_| Arc::clone(&value) as Shared);
            (value, shared)
        }
    };
    Ok((
        Parsed {
            file: rel.to_owned(),
            stem,
            value,
        },
        shared,
    ))
}

/// Every shape error of a YAML file whose first reading failed with `first`, and
/// what is left of it without the offending values.
fn failed_yaml<T: DeserializeOwned>(
    rel: &Path,
    stem: &str,
    text: &str,
    first: &serde_yaml::Error,
) -> Failed<T> {
    let first = locate::from_yaml_error(rel, first, 0);
    let Some(tolerant) = tolerant::read::<T>(rel, text) else {
        return Failed {
            problems: vec![first],
            partial: None,
        };
    };
    // The tolerant reading meets the same first error, placed by its path; the
    // first reading's own position is kept.
    let mut problems = vec![first];
    problems.extend(tolerant.problems.into_iter().skip(1));
    Failed {
        problems,
        partial: tolerant.value.map(|value| Parsed {
            file: rel.to_owned(),
            stem: stem.to_owned(),
            value: Arc::new(value),
        }),
    }
}

/// Only comments and blank lines.
fn is_blank_yaml(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#') || l == "---")
}

/// The parts of a page.
struct FrontMatterSplit<'a> {
    front: &'a str,
    /// 1-based line of the first front matter line.
    front_line: usize,
    body_offset: usize,
}

/// Splits `---\n<yaml>\n---\n<markdown>`; `None` when the page does not start with `---`
/// or the front matter is not closed.
fn split_front_matter(text: &str) -> Option<FrontMatterSplit<'_>> {
    let first_end = text.find('\n').map(|i| i + 1).unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let mut offset = first_end;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map(|i| offset + i + 1)
            .unwrap_or(text.len());
        if text[offset..end].trim_end() == "---" {
            return Some(FrontMatterSplit {
                front: &text[first_end..offset],
                front_line: 2,
                body_offset: end,
            });
        }
        offset = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter() {
        let page = "---\ntitle: About\n---\n# Hello\n";
        let split = split_front_matter(page).expect("front matter");
        assert_eq!(split.front, "title: About\n");
        assert_eq!(&page[split.body_offset..], "# Hello\n");
        assert!(split_front_matter("# no front matter\n").is_none());
        assert!(split_front_matter("---\ntitle: never closed\n").is_none());
    }
}
