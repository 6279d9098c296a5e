//! `carte new`: a new site from the sample restaurant and the default theme.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::embedded;

/// Writes the sample site into `dir` (which must not exist or be empty).
pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        anyhow::bail!(
            "{} already exists and is not empty; choose a new folder",
            dir.display()
        );
    }
    let files = embedded::SAMPLE_SITE
        .iter()
        .map(|(path, bytes)| (Path::new(path).to_path_buf(), *bytes))
        .chain(
            embedded::DEFAULT_THEME
                .iter()
                .map(|(path, bytes)| (Path::new("themes/default").join(path), *bytes)),
        );
    let mut count = 0;
    for (path, bytes) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
        count += 1;
    }
    println!(
        "Created {} ({count} files). Next:\n  carte serve {}",
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
