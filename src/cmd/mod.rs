//! One module per `carte` subcommand; each parses nothing and prints everything.

use std::path::{Path, PathBuf};

use generator::build::{BuildError, BuildOptions};
use generator::Project;

pub mod build;
pub mod coupons;
pub mod export;
pub mod keys;
pub mod listen;
pub mod livereload;
pub mod members;
pub mod new;
pub mod publish;
pub mod report;
pub mod serve;
pub mod store;

/// A multi-threaded Tokio runtime for the commands that talk to a store or serve.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The demo site and the default theme, embedded by `build.rs`.
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Build options for the site at `root`. When neither the site nor a source checkout
/// holds the default theme (a `carte` binary used anywhere), the copy embedded in the
/// binary is written to `<root>/.carte/themes/default` and used.
pub fn build_options(root: &Path) -> anyhow::Result<BuildOptions> {
    // Only the theme's name is needed: read it without loading the whole site.
    let theme = std::fs::read_to_string(root.join("site.yaml"))
        .ok()
        .and_then(|text| serde_yaml::from_str::<serde_yaml::Value>(&text).ok())
        .and_then(|yaml| yaml.get("theme")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "default".to_owned());
    if theme != "default" || generator::build::find_theme(root, &theme).is_ok() {
        return Ok(BuildOptions::default());
    }
    let dir = root.join(".carte").join("themes").join("default");
    for (path, bytes) in embedded::DEFAULT_THEME {
        let target = dir.join(path);
        if std::fs::read(&target).ok().as_deref() != Some(*bytes) {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&target, bytes)?;
        }
    }
    Ok(BuildOptions {
        theme_dir: Some(dir),
        ..BuildOptions::default()
    })
}

/// Builds `root` into `out`; content errors come back as their rendered text.
pub fn build_site(root: &Path, out: &Path) -> anyhow::Result<Result<Project, String>> {
    match generator::build::build_project(root, out, &build_options(root)?) {
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
