//! Uploads a built storefront and the private catalog to S3, only what changed.
//!
//! The bucket holds two things under two prefixes:
//!
//! - [`PUBLIC_PREFIX`] (`site/`): the storefront, exactly the files of `public/`. CloudFront
//!   reads this prefix only (its origin path is `/site`), so `public/en/index.html` is
//!   `https://shop.example/en/index.html`.
//! - [`PRIVATE_KEY`] (`private/site.json`): the whole catalog with coupon budgets and
//!   sign-up codes that the ordering functions price with. CloudFront cannot read it (the
//!   bucket policy grants it `site/*` only); the functions may read this one key.
//!
//! A publish compares each local file's MD5 with the object's ETag (S3's MD5 of a single-part
//! upload), uploads new and changed files with their `Content-Type` and
//! [`generator::urls::cache_control`], and deletes objects under `site/` that the build no
//! longer has. [`plan`] computes the change without touching the bucket, for `--dry-run`.

pub mod explain;
pub mod history;
pub mod last_publish;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
/// The S3 client the publishing functions take (made by [`client`]).
pub use aws_sdk_s3::Client as S3Client;
use md5::{Digest, Md5};
use thiserror::Error;

/// The prefix of the storefront's objects (CloudFront's origin path).
pub const PUBLIC_PREFIX: &str = "site/";
/// The key of the private catalog the functions read.
pub const PRIVATE_KEY: &str = "private/site.json";
/// Uploads in flight at once.
const PARALLEL_UPLOADS: usize = 8;
/// Keys per `DeleteObjects` call (the S3 limit).
const DELETE_BATCH: usize = 1000;

/// Why a publish failed.
#[derive(Debug, Error)]
pub enum PublishError {
    /// A local file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The build folder does not exist or is not a folder.
    #[error("{0} is not a built site folder (run `carte build` first)")]
    NotBuilt(PathBuf),
    /// A file name cannot be an object key (not UTF-8).
    #[error("{0} has a name that is not UTF-8 and cannot be published")]
    BadName(PathBuf),
    /// `--rollback N` names a publish before the first one recorded.
    #[error(
        "cannot go back {steps} publish(es): {recorded} recorded (see `carte publish --list`)"
    )]
    NoSuchPublish { steps: usize, recorded: usize },
    /// A manifest under `private/publishes/` cannot be read or written.
    #[error("publish manifest {key}: {detail}")]
    BadManifest { key: String, detail: String },
    /// The bucket keeps no object versions, so no earlier publish can be restored.
    #[error("s3://{0} has no versioning: nothing to roll back to (the stack's bucket has it; `aws s3api put-bucket-versioning --bucket {0} --versioning-configuration Status=Enabled`)")]
    NotVersioned(String),
    /// S3 refused or failed a request: one line, and what to try.
    #[error("S3 {operation} on s3://{bucket}: {what}\n  hint: {hint}")]
    S3 {
        operation: &'static str,
        bucket: String,
        what: String,
        hint: &'static str,
        /// S3 was never asked (offline, no credentials, no region).
        not_asked: bool,
    },
}

/// One file of the build, ready to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// The object key, e.g. `site/en/index.html`.
    pub key: String,
    /// The file on disk.
    pub path: PathBuf,
    /// Lower-case hex MD5 of the content (what S3 reports as the ETag).
    pub md5: String,
    pub size: u64,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

/// What a publish will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files not in the bucket yet.
    pub new: Vec<LocalFile>,
    /// Files whose content differs from the bucket's.
    pub changed: Vec<LocalFile>,
    /// Keys under the public prefix the build no longer has.
    pub stale: Vec<String>,
    /// How many files are already up to date.
    pub unchanged: usize,
}

impl Plan {
    /// Whether the bucket already matches the build.
    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.changed.is_empty() && self.stale.is_empty()
    }

    /// The files to upload: new, then changed.
    pub fn uploads(&self) -> impl Iterator<Item = &LocalFile> {
        self.new.iter().chain(self.changed.iter())
    }

    /// Bytes to upload.
    pub fn upload_bytes(&self) -> u64 {
        self.uploads().map(|f| f.size).sum()
    }
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub uploaded: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub bytes: u64,
    /// Whether the private catalog changed.
    pub catalog_changed: bool,
}

/// The `Content-Type` of a published file, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|file| file.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Lower-case hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// Every file under `dir` as it would be published under [`PUBLIC_PREFIX`], sorted by key.
pub fn scan(dir: &Path) -> Result<Vec<LocalFile>, PublishError> {
    if !dir.is_dir() {
        return Err(PublishError::NotBuilt(dir.to_owned()));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| PublishError::Read {
            path: e
                .path()
                .map(Path::to_owned)
                .unwrap_or_else(|| dir.to_owned()),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("walk failed")),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let relative = path
            .strip_prefix(dir)
            .ok()
            .and_then(|p| {
                p.components()
                    .map(|c| c.as_os_str().to_str())
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| PublishError::BadName(path.to_owned()))?
            .join("/");
        // The build's own list of what it wrote: for the next build, not for diners.
        if relative == generator::write::MANIFEST {
            continue;
        }
        let bytes = std::fs::read(path).map_err(|source| PublishError::Read {
            path: path.to_owned(),
            source,
        })?;
        let url_path = format!("/{relative}");
        files.push(LocalFile {
            key: format!("{PUBLIC_PREFIX}{relative}"),
            path: path.to_owned(),
            md5: md5_hex(&bytes),
            size: bytes.len() as u64,
            content_type: content_type(&relative),
            cache_control: generator::urls::cache_control(&url_path),
        });
    }
    files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(files)
}

/// Compares the build with the bucket's objects (`key → ETag`, quotes allowed).
pub fn plan(local: &[LocalFile], remote: &BTreeMap<String, String>) -> Plan {
    let mut plan = Plan::default();
    for file in local {
        match remote.get(&file.key) {
            None => plan.new.push(file.clone()),
            Some(etag) if etag.trim_matches('"').eq_ignore_ascii_case(&file.md5) => {
                plan.unchanged += 1
            }
            Some(_) => plan.changed.push(file.clone()),
        }
    }
    let keep: std::collections::BTreeSet<&str> = local.iter().map(|f| f.key.as_str()).collect();
    plan.stale = remote
        .keys()
        .filter(|key| key.starts_with(PUBLIC_PREFIX) && !keep.contains(key.as_str()))
        .cloned()
        .collect();
    plan
}

/// An S3 client from the standard AWS configuration (environment, profile, role).
/// With `endpoint` (a local S3-compatible server), requests go there, path-style, and
/// the region defaults to `us-east-1`.
pub async fn client(endpoint: Option<&str>) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let shared = loader.load().await;
    let mut config = aws_sdk_s3::config::Builder::from(&shared);
    if endpoint.is_some() {
        config = config.force_path_style(true);
        if shared.region().is_none() {
            config = config.region(aws_sdk_s3::config::Region::from_static("us-east-1"));
        }
    }
    Client::from_conf(config.build())
}

pub(crate) fn s3_error<E>(operation: &'static str, bucket: &str, error: E) -> PublishError
where
    E: std::error::Error + 'static,
{
    let explain::Explained {
        what,
        hint,
        not_asked,
    } = explain::explain(&error);
    PublishError::S3 {
        operation,
        bucket: bucket.to_owned(),
        what,
        hint,
        not_asked,
    }
}

/// Every object under `prefix`: `key → ETag`.
pub async fn remote_objects(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<BTreeMap<String, String>, PublishError> {
    let mut out = BTreeMap::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| s3_error("ListObjectsV2", bucket, e))?;
        for object in page.contents() {
            if let Some(key) = object.key() {
                out.insert(
                    key.to_owned(),
                    object.e_tag().unwrap_or_default().to_owned(),
                );
            }
        }
    }
    Ok(out)
}

/// What the files of a build (from [`scan`]) would change in `bucket`.
pub async fn plan_bucket(
    client: &Client,
    bucket: &str,
    local: &[LocalFile],
) -> Result<Plan, PublishError> {
    let remote = remote_objects(client, bucket, PUBLIC_PREFIX).await?;
    Ok(plan(local, &remote))
}

async fn upload(client: Client, bucket: String, file: LocalFile) -> Result<u64, PublishError> {
    let body = ByteStream::from_path(&file.path)
        .await
        .map_err(|e| PublishError::Read {
            path: file.path.clone(),
            source: std::io::Error::other(e),
        })?;
    client
        .put_object()
        .bucket(&bucket)
        .key(&file.key)
        .body(body)
        .content_type(file.content_type)
        .cache_control(file.cache_control)
        .send()
        .await
        .map_err(|e| s3_error("PutObject", &bucket, e))?;
    Ok(file.size)
}

/// Carries out `plan`: uploads (several at once), then deletes the stale keys, so a page
/// is never served pointing at an asset not uploaded yet.
pub async fn apply(client: &Client, bucket: &str, plan: &Plan) -> Result<Report, PublishError> {
    let mut report = Report {
        unchanged: plan.unchanged,
        ..Report::default()
    };
    let files: Vec<LocalFile> = plan.uploads().cloned().collect();
    for batch in files.chunks(PARALLEL_UPLOADS) {
        let mut set = tokio::task::JoinSet::new();
        for file in batch {
            set.spawn(upload(client.clone(), bucket.to_owned(), file.clone()));
        }
        while let Some(done) = set.join_next().await {
            let bytes = done.map_err(|e| s3_error("PutObject", bucket, e))??;
            report.uploaded += 1;
            report.bytes += bytes;
        }
    }
    delete_keys(client, bucket, &plan.stale).await?;
    report.deleted = plan.stale.len();
    Ok(report)
}

/// Deletes `keys` (in batches of [`DELETE_BATCH`]).
pub(crate) async fn delete_keys(
    client: &Client,
    bucket: &str,
    keys: &[String],
) -> Result<(), PublishError> {
    for batch in keys.chunks(DELETE_BATCH) {
        let objects = batch
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| s3_error("DeleteObjects", bucket, e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| s3_error("DeleteObjects", bucket, e))?;
        let out = client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| s3_error("DeleteObjects", bucket, e))?;
        if let Some(failed) = out.errors().first() {
            let why = format!(
                "{}: {}",
                failed.key().unwrap_or_default(),
                failed.message().unwrap_or_default()
            );
            let explained = explain::explain_chain(&[why]);
            return Err(PublishError::S3 {
                operation: "DeleteObjects",
                bucket: bucket.to_owned(),
                what: format!("{} ({})", explained.what, failed.key().unwrap_or_default()),
                hint: explained.hint,
                not_asked: false,
            });
        }
    }
    Ok(())
}

/// Whether the private catalog in the bucket differs from `site_json`.
pub async fn catalog_differs(
    client: &Client,
    bucket: &str,
    site_json: &[u8],
) -> Result<bool, PublishError> {
    let remote = remote_objects(client, bucket, PRIVATE_KEY).await?;
    Ok(remote.get(PRIVATE_KEY).is_none_or(|etag| {
        !etag
            .trim_matches('"')
            .eq_ignore_ascii_case(&md5_hex(site_json))
    }))
}

/// Uploads the private catalog to [`PRIVATE_KEY`] (never cached: functions read it at start).
pub async fn put_catalog(
    client: &Client,
    bucket: &str,
    site_json: Vec<u8>,
) -> Result<(), PublishError> {
    client
        .put_object()
        .bucket(bucket)
        .key(PRIVATE_KEY)
        .body(ByteStream::from(site_json))
        .content_type("application/json")
        .cache_control("no-store")
        .send()
        .await
        .map_err(|e| s3_error("PutObject", bucket, e))?;
    Ok(())
}

/// Publishes the files of a build (from [`scan`]) and the catalog `site_json` to `bucket`: the
/// storefront first, then the catalog, so the functions never price with a menu the
/// storefront does not show yet for longer than the upload takes.
pub async fn publish(
    client: &Client,
    bucket: &str,
    local: &[LocalFile],
    site_json: Vec<u8>,
) -> Result<Report, PublishError> {
    let plan = plan_bucket(client, bucket, local).await?;
    let mut report = apply(client, bucket, &plan).await?;
    if catalog_differs(client, bucket, &site_json).await? {
        put_catalog(client, bucket, site_json).await?;
        report.catalog_changed = true;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_manifest_is_not_published() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("index.html"), "<!doctype html>")?;
        std::fs::write(dir.path().join(generator::write::MANIFEST), "index.html\n")?;
        let keys: Vec<String> = scan(dir.path())?.into_iter().map(|f| f.key).collect();
        assert_eq!(keys, [format!("{PUBLIC_PREFIX}index.html")]);
        Ok(())
    }

    fn file(key: &str, md5: &str) -> LocalFile {
        LocalFile {
            key: key.into(),
            path: PathBuf::from(key),
            md5: md5.into(),
            size: 1,
            content_type: content_type(key),
            cache_control: "",
        }
    }

    #[test]
    fn plan_uploads_new_and_changed_and_deletes_only_stale_public_keys() {
        let local = vec![
            file("site/a.html", "aa"),
            file("site/b.css", "bb"),
            file("site/c.js", "cc"),
        ];
        let remote: BTreeMap<String, String> = [
            ("site/a.html", "\"AA\""),
            ("site/b.css", "\"00\""),
            ("site/old.html", "\"dd\""),
            ("private/site.json", "\"ee\""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let plan = plan(&local, &remote);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.changed, vec![file("site/b.css", "bb")]);
        assert_eq!(plan.new, vec![file("site/c.js", "cc")]);
        assert_eq!(plan.stale, vec!["site/old.html".to_owned()]);
    }

    #[test]
    fn content_types_name_charsets_for_text() {
        assert_eq!(content_type("en/index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/app.1a2b3c4d.JS"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("manifest.webmanifest"),
            "application/manifest+json"
        );
        assert_eq!(content_type("qr/a/table-1.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn md5_is_the_etag_of_a_single_part_upload() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
