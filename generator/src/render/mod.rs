//! `render`: a checked [`Project`] and a [`Theme`] become every file of the
//! storefront, in memory. Nothing here writes to the output folder; see
//! [`crate::write`] for that.
//!
//! The work is split by what it produces: [`pages`] (HTML through the theme's
//! tera templates), [`seo`] (JSON-LD, sitemap, robots), [`catalog_json`] (what
//! the cart reads), [`qr`] (table and channel codes), [`images`] (resized dish
//! photos) and [`assets`] (fingerprinted CSS and JS).

use std::collections::BTreeSet;
use std::path::PathBuf;

use rayon::prelude::*;
use thiserror::Error;

use crate::Project;

pub mod assets;
pub mod catalog_json;
pub mod images;
pub mod markdown;
pub mod pages;
pub mod qr;
pub mod seo;
pub mod theme;

pub use theme::Theme;

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the output folder, with `/` separators and no leading `/`,
    /// e.g. `en/harbour/index.html`.
    pub path: String,
    /// The file's content.
    pub bytes: Vec<u8>,
}

impl Output {
    /// An output file from a path and its content.
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Output {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// Settings of one render that are not content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Overrides `site.yaml`'s `base_url` (e.g. `http://localhost:1111` for `carte serve`).
    pub base_url: Option<String>,
    /// Widths of the resized dish images, in pixels.
    pub image_widths: Vec<u32>,
    /// Folder keeping resized images between builds (`<site>/.carte/cache/images`);
    /// `None` resizes every time and keeps nothing.
    pub image_cache: Option<PathBuf>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            base_url: None,
            image_widths: vec![320, 640, 960],
            image_cache: None,
        }
    }
}

/// Why the storefront could not be rendered.
#[derive(Debug, Error)]
pub enum RenderError {
    /// A template failed to parse or to render; `message` holds tera's whole explanation.
    #[error("template `{template}`: {message}")]
    Template { template: String, message: String },
    /// A file of the theme could not be read.
    #[error("theme file {path}: {source}")]
    Theme {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The theme's `strings.yaml` is not a map of keys to languages to text.
    #[error("theme strings {path}: {message}")]
    Strings { path: PathBuf, message: String },
    /// A dish image is missing, unreadable or in a format that cannot be resized.
    #[error("image images/{path}: {message}")]
    Image { path: String, message: String },
    /// A QR code could not be made (the URL is too long for a QR code).
    #[error("QR code for {url}: {message}")]
    Qr { url: String, message: String },
    /// Two outputs would have the same path.
    #[error(
        "two files would be written to `{0}`: a page slug, location id or asset name collides"
    )]
    DuplicateOutput(String),
    /// Serializing JSON failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl RenderError {
    /// Wraps a tera error, keeping the whole chain of causes in the message.
    pub(crate) fn template(template: &str, error: tera::Error) -> Self {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        RenderError::Template {
            template: template.to_owned(),
            message,
        }
    }
}

/// Renders every file of the storefront: pages, sitemap, robots.txt, `site.json`,
/// per-location `catalog/*.json`, QR codes, resized images and fingerprinted assets.
///
/// Pages and images are rendered in parallel. The result is sorted by path and
/// depends only on the content, the theme and `opts`, so an unchanged site renders
/// byte-identical output.
pub fn render(
    project: &Project,
    theme: &Theme,
    opts: &RenderOptions,
) -> Result<Vec<Output>, RenderError> {
    let base_url = opts
        .base_url
        .clone()
        .unwrap_or_else(|| project.site.settings.base_url.clone())
        .trim_end_matches('/')
        .to_owned();
    let assets = assets::Assets::build(&theme.statics);
    let (image_outputs, image_sets) = images::render_images(project, opts)?;
    let model = pages::Model::new(project, theme, &assets, &image_sets, &base_url);

    let mut outputs = assets.outputs.clone();
    outputs.extend(image_outputs);
    outputs.extend(pages::render_pages(&model)?);
    outputs.extend(catalog_json::render_catalogs(project)?);
    outputs.extend(qr::render_codes(&project.site, &base_url)?);
    outputs.push(seo::sitemap(&project.site, &base_url));
    outputs.push(seo::robots(&base_url));

    outputs.par_sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen = BTreeSet::new();
    for o in &outputs {
        if !seen.insert(o.path.as_str()) {
            return Err(RenderError::DuplicateOutput(o.path.clone()));
        }
    }
    Ok(outputs)
}

/// The output file of a page URL: `/en/harbour/` → `en/harbour/index.html`.
pub fn page_file(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    }
}
