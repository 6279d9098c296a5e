//! `build`: the whole line, load → check → render → write, as `carte build` runs it;
//! and `check`, which stops after checking.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::render::{self, RenderError, RenderOptions, Theme};
use crate::write::{self, WriteError};
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
    /// HTML pages rendered.
    pub pages: usize,
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

/// Loads and checks the site at `root` without writing anything (`carte check`).
pub fn check(root: &Path) -> Result<Project, Diagnostics> {
    crate::load_site(root)
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
    let theme_dir = match &opts.theme_dir {
        Some(dir) => dir.clone(),
        None => find_theme(root, &project.site.settings.theme)?,
    };
    let theme = Theme::load(&theme_dir, Some(root))?;
    let mut render_opts = opts.render.clone();
    if render_opts.image_cache.is_none() && !opts.no_cache {
        render_opts.image_cache = Some(root.join(".carte").join("cache").join("images"));
    }
    let outputs = render::render(&project, &theme, &render_opts)?;
    let written = write::write(out, &outputs)?;
    let report = BuildReport {
        pages: outputs.iter().filter(|o| o.path.ends_with(".html")).count(),
        files: outputs.len(),
        written: written.written,
        removed: written.removed,
        bytes: written.bytes_total,
        bytes_written: written.bytes_written,
        duration: started.elapsed(),
    };
    Ok((project, report))
}
