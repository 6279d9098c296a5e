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
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use thiserror::Error;

use crate::Project;

pub mod assets;
pub mod catalog_json;
pub mod images;
pub mod markdown;
pub mod minify;
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
    /// A script of the theme does not parse, so it cannot be minified (nor run).
    #[error("theme static/{path}:{line}:{column}: {message}\n  hint: the browser would refuse this script too; fix the JavaScript at that place")]
    Script {
        path: String,
        line: usize,
        column: usize,
        message: String,
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
    /// Writing a rendered file failed.
    #[error(transparent)]
    Write(#[from] crate::write::WriteError),
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

/// Where rendered files go, as soon as each is ready (from any rayon thread): a
/// [`crate::write::Writer`] on disk, or a list in memory.
pub trait Sink: Sync {
    /// Takes one rendered file.
    fn put(&self, output: Output) -> Result<(), RenderError>;

    /// The file at `path` would be rendered exactly as last time: keep it as it is.
    /// Returns `false` when it cannot (it must then be rendered and put).
    fn keep(&self, _path: &str) -> Result<bool, RenderError> {
        Ok(false)
    }
}

impl Sink for crate::write::Writer {
    fn put(&self, output: Output) -> Result<(), RenderError> {
        crate::write::Writer::put(self, &output.path, &output.bytes).map_err(RenderError::from)
    }

    fn keep(&self, path: &str) -> Result<bool, RenderError> {
        crate::write::Writer::keep(self, path).map_err(RenderError::from)
    }
}

/// Collects outputs in memory (for [`render`] and [`pages::render_pages`]).
#[derive(Default)]
pub(crate) struct Collect(std::sync::Mutex<Vec<Output>>);

impl Collect {
    /// The outputs collected, in the order they were put.
    pub(crate) fn into_outputs(self) -> Vec<Output> {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl Sink for Collect {
    fn put(&self, output: Output) -> Result<(), RenderError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(output);
        Ok(())
    }
}

/// What a render kept for the next one in a long-running process (`carte serve`), so
/// a rebuild re-renders only the pages whose inputs changed. Empty at first.
#[derive(Debug, Default, Clone)]
pub struct RenderCache {
    /// The input key of each page rendered last time, by output path.
    pub(crate) pages: std::collections::HashMap<String, u64>,
    /// SVG QR codes by the URL they encode.
    pub(crate) qr: std::collections::HashMap<String, String>,
    /// Each dish's listing HTML, JSON-LD item and input key, by language and dish id.
    pub(crate) dishes: pages::DishCache,
}

/// What [`render_into`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderReport {
    /// HTML pages of the site (rendered or kept).
    pub pages: usize,
    /// Files of the site (rendered or kept).
    pub files: usize,
    /// HTML pages actually rendered (the others were kept through the cache).
    pub rendered: usize,
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
    let sink = Collect::default();
    render_into(project, theme, opts, None, &sink)?;
    let mut outputs = sink.into_outputs();
    outputs.par_sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen = BTreeSet::new();
    for o in &outputs {
        if !seen.insert(o.path.as_str()) {
            return Err(RenderError::DuplicateOutput(o.path.clone()));
        }
    }
    Ok(outputs)
}

/// Like [`render`], handing each file to `sink` as soon as it is rendered instead of
/// holding the site in memory. With a `cache` (kept by the caller between renders),
/// a page whose inputs are those of the last render is not rendered again but kept
/// through [`Sink::keep`].
pub fn render_into(
    project: &Project,
    theme: &Theme,
    opts: &RenderOptions,
    cache: Option<&mut RenderCache>,
    sink: &dyn Sink,
) -> Result<RenderReport, RenderError> {
    let base_url = opts
        .base_url
        .clone()
        .unwrap_or_else(|| project.site.settings.base_url.clone())
        .trim_end_matches('/')
        .to_owned();
    let assets = &theme.assets;
    let (image_outputs, image_sets) = images::render_images(project, opts)?;
    let sink = Counting {
        inner: sink,
        files: AtomicUsize::new(0),
        pages: AtomicUsize::new(0),
        rendered: AtomicUsize::new(0),
    };
    for o in assets.outputs.iter().cloned().chain(image_outputs) {
        sink.put(o)?;
    }
    // The few big single files (catalogs, QR codes, sitemap) are made while the pages render.
    let mut model = pages::Model::build(
        project,
        theme,
        assets,
        &image_sets,
        &base_url,
        cache.is_some(),
    );
    let previous = cache.as_deref();
    let known_codes = cache.as_deref().map(|c| &c.qr);
    let (others, keys) = rayon::join(
        || -> Result<_, RenderError> {
            catalog_json::render_catalogs_into(project, &sink)?;
            let (codes, qr_cache) = qr::render_codes_cached(&project.site, &base_url, known_codes)?;
            for o in codes {
                sink.put(o)?;
            }
            for o in seo::sitemaps(&project.site, &base_url) {
                sink.put(o)?;
            }
            sink.put(seo::robots(&base_url))?;
            Ok(qr_cache)
        },
        || pages::render_pages_into(&mut model, previous, &sink),
    );
    let (qr_cache, keys) = (others?, keys?);
    if let Some(cache) = cache {
        cache.dishes = model.dish_cache();
        cache.pages = keys;
        cache.qr = qr_cache;
    }
    drop(model);
    Ok(RenderReport {
        pages: sink.pages.into_inner(),
        files: sink.files.into_inner(),
        rendered: sink.rendered.into_inner(),
    })
}

/// Counts what passes through to the real sink.
struct Counting<'a> {
    inner: &'a dyn Sink,
    files: AtomicUsize,
    pages: AtomicUsize,
    rendered: AtomicUsize,
}

impl Counting<'_> {
    fn count(&self, path: &str, rendered: bool) {
        self.files.fetch_add(1, Ordering::Relaxed);
        if path.ends_with(".html") {
            self.pages.fetch_add(1, Ordering::Relaxed);
            if rendered {
                self.rendered.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Sink for Counting<'_> {
    fn put(&self, output: Output) -> Result<(), RenderError> {
        self.count(&output.path, true);
        self.inner.put(output)
    }

    fn keep(&self, path: &str) -> Result<bool, RenderError> {
        let kept = self.inner.keep(path)?;
        if kept {
            self.count(path, false);
        }
        Ok(kept)
    }
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
