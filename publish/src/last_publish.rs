//! What this folder last published to a bucket, kept beside the site in
//! `.carte/published/<bucket>.json`, so `carte publish --dry-run` can still say what
//! would change when S3 cannot be asked (offline, no credentials, no region).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{md5_hex, LocalFile, PRIVATE_KEY};

/// The objects of the last publish from this folder: key → MD5 (what S3 reports as the ETag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPublish {
    pub published_at_ms: u64,
    pub objects: BTreeMap<String, String>,
}

/// Where the record of `bucket` is kept for the site at `root`.
pub fn path(root: &Path, bucket: &str) -> PathBuf {
    let name: String = bucket
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    root.join(".carte")
        .join("published")
        .join(format!("{name}.json"))
}

/// The record, when this folder has published to `bucket` before.
pub fn read(root: &Path, bucket: &str) -> Option<LastPublish> {
    let text = std::fs::read(path(root, bucket)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Records what was just published: the storefront files and the catalog.
pub fn write(
    root: &Path,
    bucket: &str,
    files: &[LocalFile],
    site_json: &[u8],
    published_at_ms: u64,
) -> std::io::Result<()> {
    let mut objects: BTreeMap<String, String> = files
        .iter()
        .map(|f| (f.key.clone(), f.md5.clone()))
        .collect();
    objects.insert(PRIVATE_KEY.to_owned(), md5_hex(site_json));
    let record = LastPublish {
        published_at_ms,
        objects,
    };
    let path = path(root, bucket);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let json = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
    std::fs::write(path, json)
}

impl LastPublish {
    /// Whether the catalog `site_json` differs from the one recorded.
    pub fn catalog_differs(&self, site_json: &[u8]) -> bool {
        self.objects.get(PRIVATE_KEY) != Some(&md5_hex(site_json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_and_names_a_changed_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalFile {
            key: "site/index.html".into(),
            path: dir.path().join("index.html"),
            md5: md5_hex(b"<!doctype html>"),
            size: 15,
            content_type: "text/html",
            cache_control: "no-cache",
        };
        write(dir.path(), "shop/site", &[file], b"{}", 7).unwrap();
        assert!(dir.path().join(".carte/published/shop_site.json").is_file());
        let record = read(dir.path(), "shop/site").unwrap();
        assert_eq!(record.published_at_ms, 7);
        assert_eq!(
            record.objects["site/index.html"],
            md5_hex(b"<!doctype html>")
        );
        assert!(!record.catalog_differs(b"{}"));
        assert!(record.catalog_differs(b"{\"v\":2}"));
        assert!(read(dir.path(), "other").is_none());
    }
}
