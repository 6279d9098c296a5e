//! Carte's static-site generator: files in `site-content/` become a checked
//! [`catalog::Site`] and a storefront in `public/`.
//!
//! The pipeline, each step its own module: `load` (files → raw values with
//! their source) → `check` (raw → `catalog::Site`, or every error) →
//! `render` (site → pages) → `write` (pages → disk, only what changed).

use std::path::PathBuf;

pub mod build;
pub mod check;
pub mod content;
pub mod diagnostics;
pub mod hash;
pub mod load;
pub mod locate;
pub mod picture;
pub mod render;
mod tolerant;
pub mod urls;
pub mod write;

pub use diagnostics::{Diagnostic, Diagnostics};
pub use load::load_site;

/// A site loaded from disk and checked: what `render` and `carte serve` work from.
#[derive(Debug, Clone)]
pub struct Project {
    /// The site folder (holding `site.yaml`).
    pub root: PathBuf,
    pub site: catalog::Site,
    /// [`catalog::catalog_version`] of `site`.
    pub version: String,
    /// Image files under `images/`, as paths relative to it with `/` separators.
    pub images: Vec<String>,
}
