//! `carte new`: a new site from the sample restaurant. The default theme is not
//! copied: the site uses the one built into `carte`, so theme fixes reach it, and
//! overrides only the files it puts in its own `templates/`, `static/` or
//! `strings.yaml` (as Zola and Hugo do).

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
        .map(|(path, bytes)| (Path::new(path).to_path_buf(), *bytes));
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
        "Created {} ({count} files). Next:\n  carte serve {}\n\
         It uses the built-in theme; to change a template, put your own copy in {}",
        dir.display(),
        dir.display(),
        dir.join("templates").display()
    );
    Ok(ExitCode::SUCCESS)
}
