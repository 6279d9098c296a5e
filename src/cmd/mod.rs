//! One module per `carte` subcommand; each parses nothing and prints everything.

use std::path::{Path, PathBuf};

use generator::build::{BuildError, BuildOptions};
use generator::Project;

pub mod build;
pub mod coupons;
pub mod export;
pub mod keys;
pub mod livereload;
pub mod members;
pub mod new;
pub mod publish;
pub mod report;
pub mod serve;

/// A multi-threaded Tokio runtime for the commands that talk to a store or serve.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Builds `root` into `out`; content errors come back as their rendered text.
pub fn build_site(root: &Path, out: &Path) -> anyhow::Result<Result<Project, String>> {
    match generator::build::build_project(root, out, &BuildOptions::default()) {
        Ok((project, _)) => Ok(Ok(project)),
        Err(BuildError::Content(diagnostics)) => Ok(Err(diagnostics.to_string())),
        Err(other) => Err(other.into()),
    }
}

/// The theme folder of the site at `root` when it lies outside the site (so serve watches it too).
pub fn theme_dir_outside(root: &Path) -> Option<PathBuf> {
    let project = generator::load_site(root).ok()?;
    let theme = generator::build::find_theme(root, &project.site.settings.theme).ok()?;
    let theme = theme.canonicalize().ok()?;
    (!theme.starts_with(root)).then_some(theme)
}
