//! Helpers shared by the generator's integration tests.

use std::fs;
use std::path::Path;

/// Copies a site (or a theme) into `to`, leaving out what a build or `carte serve` wrote
/// there (`.carte/`, `public/`), so each test starts from the content alone.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let Ok(rel) = entry.path().strip_prefix(from) else {
            continue;
        };
        if rel.starts_with(".carte") || rel.starts_with("public") {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
