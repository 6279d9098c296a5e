//! `build`: the whole line, load → check → render → write, as `carte build` runs it;
//! and `check`, which stops after checking.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::load::LoadCache;
use crate::render::{self, RenderCache, RenderError, RenderOptions, Theme};
use crate::write::{content_hash, WriteError, WriteReport, Writer, Written};
use crate::{Diagnostics, Project};

/// Settings of a build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// The theme folder; `None` looks for `<site>/themes/<theme>` and then the
    /// themes shipped with Carte.
    pub theme_dir: Option<PathBuf>,
    /// How to render. Its `image_cache` is set to `<site>/.carte/cache/images`
    /// when left `None` and `no_cache` is false.
    pub render: RenderOptions,
    /// Resize every image again instead of using the cache.
    pub no_cache: bool,
}

/// What a build produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildReport {
    /// HTML pages of the site.
    pub pages: usize,
    /// HTML pages rendered by this build: all of them, except in a [`Session`], which
    /// renders again only the pages whose inputs changed.
    pub rendered: usize,
    /// Files rendered in all (pages, JSON, images, assets, QR codes…).
    pub files: usize,
    /// Files that were new or changed on disk.
    pub written: usize,
    /// Stale files of an earlier build removed.
    pub removed: usize,
    /// Bytes of all files rendered.
    pub bytes: u64,
    /// Bytes actually written.
    pub bytes_written: u64,
    /// Wall time of the whole build.
    pub duration: Duration,
}

/// Why a build failed.
#[derive(Debug, Error)]
pub enum BuildError {
    /// The content has errors; each names its file, line and column.
    #[error("{0}")]
    Content(Diagnostics),
    /// No theme folder was found.
    #[error("theme `{name}` not found (looked in {looked})")]
    ThemeNotFound { name: String, looked: String },
    /// Rendering failed (a template, an image, a QR code).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] WriteError),
}

/// Loads and checks the site at `root` without writing anything.
pub fn check(root: &Path) -> Result<Project, Diagnostics> {
    crate::load_site(root)
}

/// Like [`check`], with the content warnings (`carte check`).
pub fn check_with_warnings(root: &Path) -> Result<(Project, Diagnostics), Diagnostics> {
    crate::load::load_site_with_warnings(root)
}

/// The folder of theme `name` for the site at `root`: `<root>/themes/<name>`, else
/// the themes shipped beside this crate.
pub fn find_theme(root: &Path, name: &str) -> Result<PathBuf, BuildError> {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("themes");
    let candidates = [root.join("themes").join(name), shipped.join(name)];
    let safe_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if safe_name {
        if let Some(found) = candidates.iter().find(|c| c.join("templates").is_dir()) {
            return Ok(found.clone());
        }
    }
    Err(BuildError::ThemeNotFound {
        name: name.to_owned(),
        looked: candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Builds the site at `root` into `out` (`carte build`): loads and checks the
/// content, renders it with its theme and writes only the files that changed.
pub fn build(root: &Path, out: &Path, opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_project(root, out, opts).map(|(_, report)| report)
}

/// Like [`build`], and also hands back the checked project (what `carte serve` prices with).
pub fn build_project(
    root: &Path,
    out: &Path,
    opts: &BuildOptions,
) -> Result<(Project, BuildReport), BuildError> {
    let started = Instant::now();
    let project = crate::load_site(root).map_err(BuildError::Content)?;
    let theme_dir = theme_dir(root, &project, opts)?;
    let theme = Theme::load(&theme_dir, Some(root))?;
    let writer = Writer::new(out, None)?;
    let rendered =
        render::render_into(&project, &theme, &render_options(root, opts), None, &writer)
            .map_err(split_write_error)?;
    let (written, _) = writer.finish()?;
    Ok((project, report(rendered, written, started)))
}

fn theme_dir(root: &Path, project: &Project, opts: &BuildOptions) -> Result<PathBuf, BuildError> {
    match &opts.theme_dir {
        Some(dir) => Ok(dir.clone()),
        None => find_theme(root, &project.site.settings.theme),
    }
}

fn render_options(root: &Path, opts: &BuildOptions) -> RenderOptions {
    let mut render_opts = opts.render.clone();
    if render_opts.image_cache.is_none() && !opts.no_cache {
        render_opts.image_cache = Some(root.join(".carte").join("cache").join("images"));
    }
    render_opts
}

/// A write failing during the render is a write error, not a render error.
fn split_write_error(error: RenderError) -> BuildError {
    match error {
        RenderError::Write(e) => BuildError::Io(e),
        other => BuildError::Render(other),
    }
}

fn report(rendered: render::RenderReport, written: WriteReport, started: Instant) -> BuildReport {
    BuildReport {
        pages: rendered.pages,
        rendered: rendered.rendered,
        files: rendered.files,
        written: written.written,
        removed: written.removed,
        bytes: written.bytes_total,
        bytes_written: written.bytes_written,
        duration: started.elapsed(),
    }
}

/// A site built again and again into the same folder by one process (`carte serve`):
/// keeps what each build learned so the next does only what a change touched.
///
/// Kept between builds: every YAML file's text and parsed value (only changed files
/// are parsed again), the theme (loaded again only when one of its files changed),
/// the input key of every dish, menu and tag page (only pages whose inputs changed are
/// rendered again), the QR codes, and the hash of every file written (unchanged files
/// are neither read back nor written). The output folder must be written by this
/// session only. The result is always the same as a full [`build`].
#[derive(Default)]
pub struct Session {
    loads: LoadCache,
    theme: Option<(ThemeStamp, Theme)>,
    render: RenderCache,
    written: Option<Written>,
}

/// The theme's files with a hash of their content.
type ThemeStamp = Vec<(PathBuf, u64)>;

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("loads", &self.loads)
            .field("pages", &self.render.pages.len())
            .finish()
    }
}

impl Session {
    /// A session with nothing kept yet: its first build is a full one.
    pub fn new() -> Session {
        Session::default()
    }

    /// Builds `root` into `out` like [`build_project`], reusing what earlier builds of
    /// this session kept. A failed build keeps the state of the last good one, except
    /// that the next build compares with the files on disk again.
    pub fn build(
        &mut self,
        root: &Path,
        out: &Path,
        opts: &BuildOptions,
    ) -> Result<(Project, BuildReport), BuildError> {
        self.build_with(root, out, opts, &mut |_| {})
    }

    /// Like [`Session::build`], handing the checked project to `checked` once the
    /// content and theme have loaded and before the first page is written: what
    /// `carte serve` uses to swap the API's catalog first, so no page ever shows a
    /// price the API does not charge yet. A build that fails later has called it.
    pub fn build_with(
        &mut self,
        root: &Path,
        out: &Path,
        opts: &BuildOptions,
        checked: &mut dyn FnMut(&Project),
    ) -> Result<(Project, BuildReport), BuildError> {
        let started = Instant::now();
        let project = crate::load::load_site_cached(root, Some(&mut self.loads))
            .map_err(BuildError::Content)?;
        let theme_dir = theme_dir(root, &project, opts)?;
        let stamp = theme_stamp(&theme_dir, root);
        if self.theme.as_ref().is_none_or(|(s, _)| *s != stamp) {
            self.theme = Some((stamp, Theme::load(&theme_dir, Some(root))?));
            // A new theme may change every page: render them all again.
            self.render = RenderCache::default();
        }
        let Some((_, theme)) = &self.theme else {
            return Err(BuildError::ThemeNotFound {
                name: project.site.settings.theme.clone(),
                looked: theme_dir.display().to_string(),
            });
        };
        checked(&project);
        // Until this build has finished, the folder may hold a mix of both builds.
        let previous = self.written.take();
        let writer = Writer::new(out, previous)?;
        let mut cache = std::mem::take(&mut self.render);
        let rendered = render::render_into(
            &project,
            theme,
            &render_options(root, opts),
            Some(&mut cache),
            &writer,
        )
        .map_err(split_write_error)?;
        let (written, hashes) = writer.finish()?;
        self.render = cache;
        self.written = Some(hashes);
        Ok((project, report(rendered, written, started)))
    }
}

/// Every file of the theme and of the site's own `templates/`, `static/` and
/// `strings.yaml`, with a hash of its content (a few dozen small files): a different
/// stamp means the theme must be loaded again.
fn theme_stamp(theme_dir: &Path, root: &Path) -> ThemeStamp {
    let mut stamp = Vec::new();
    let roots = [
        theme_dir.to_path_buf(),
        root.join("templates"),
        root.join("static"),
        root.join("strings.yaml"),
    ];
    for dir in roots {
        for entry in walkdir::WalkDir::new(&dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_file() {
                let hash = std::fs::read(entry.path()).map_or(0, |b| content_hash(&b));
                stamp.push((entry.into_path(), hash));
            }
        }
    }
    stamp
}
