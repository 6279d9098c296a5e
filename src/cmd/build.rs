//! `carte build` and `carte check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use generator::build::BuildError;

/// Exit code for content errors (usage errors are 2, from clap).
const CONTENT_ERRORS: u8 = 1;

/// Writes the storefront of `dir` to `output` (default `dir/public`).
pub fn build(dir: &Path, output: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let out = output.unwrap_or_else(|| dir.join("public"));
    match generator::build::build(dir, &out, &super::build_options(dir)?) {
        Ok(report) => {
            println!(
                "Built {} pages ({} files, {:.1} KB; {} written, {} removed) in {} ms -> {}",
                report.pages,
                report.files,
                report.bytes as f64 / 1024.0,
                report.written,
                report.removed,
                report.duration.as_millis(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(BuildError::Content(diagnostics)) => {
            eprintln!("{diagnostics}");
            Ok(ExitCode::from(CONTENT_ERRORS))
        }
        Err(other) => Err(other.into()),
    }
}

/// Checks the content of `dir` without writing anything.
pub fn check(dir: &Path) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    match generator::build::check(dir) {
        Ok(project) => {
            let site = &project.site;
            let dishes: usize = site.menus.iter().map(|m| m.dishes().count()).sum();
            println!(
                "No content errors: {} location(s), {} menu(s), {} dishes, {} campaign(s), {} page(s), catalog version {} ({} ms)",
                site.locations.len(),
                site.menus.len(),
                dishes,
                site.campaigns.len(),
                site.pages.len(),
                project.version,
                started.elapsed().as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            Ok(ExitCode::from(CONTENT_ERRORS))
        }
    }
}
