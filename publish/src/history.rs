//! Each publish's manifest, and putting the bucket back as an earlier publish left it.
//!
//! The bucket is versioned (deploy/template.yaml), so every object a publish wrote is still
//! there as a version after later publishes replace or delete it (for as long as the
//! bucket's lifecycle keeps noncurrent versions: 30 days in the template). After each
//! publish [`record`] writes a manifest to `private/publishes/<millis>.json`: every
//! storefront key and the catalog with the version id that publish left current. A
//! rollback ([`rollback_plan`], [`restore`]) copies each key's recorded version back on top
//! (a copy is a new current version, so a rollback is itself undone the same way) and
//! deletes the keys the manifest does not have, then records its own manifest.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::BucketVersioningStatus;
use aws_sdk_s3::Client;
use serde::{Deserialize, Serialize};

use crate::{s3_error, PublishError, PRIVATE_KEY, PUBLIC_PREFIX};

/// Where the manifests are kept: private, like the catalog (CloudFront reads `site/` only).
pub const MANIFEST_PREFIX: &str = "private/publishes/";

/// One object as a publish left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectVersion {
    pub version_id: String,
    /// S3's ETag (quotes removed): the content's MD5 for a single-part upload.
    pub etag: String,
}

/// What one publish (or rollback) left in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest's own key, `private/publishes/<millis>.json` (not stored in the file).
    #[serde(skip)]
    pub key: String,
    /// When, as milliseconds since the Unix epoch (also the key's name, so keys sort by time).
    pub published_at_ms: u64,
    /// The catalog version (content hash) that was published.
    pub catalog_version: String,
    /// When this was a rollback: the manifest key it restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<String>,
    /// Every key under `site/` and the catalog's key.
    pub objects: BTreeMap<String, ObjectVersion>,
}

/// What restoring a manifest would change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollbackPlan {
    /// Keys to copy back from the version the manifest names (key, version id).
    pub restore: Vec<(String, String)>,
    /// Storefront keys the manifest does not have.
    pub delete: Vec<String>,
    /// Keys already as the manifest has them.
    pub unchanged: usize,
}

impl RollbackPlan {
    pub fn is_empty(&self) -> bool {
        self.restore.is_empty() && self.delete.is_empty()
    }
}

/// Compares what `target` recorded with the bucket's current objects. A key whose content
/// (ETag) is the same is left alone even if its version differs.
pub fn rollback_plan(target: &Manifest, current: &BTreeMap<String, ObjectVersion>) -> RollbackPlan {
    let mut plan = RollbackPlan::default();
    for (key, recorded) in &target.objects {
        match current.get(key) {
            Some(now) if now.version_id == recorded.version_id || now.etag == recorded.etag => {
                plan.unchanged += 1
            }
            _ => plan
                .restore
                .push((key.clone(), recorded.version_id.clone())),
        }
    }
    plan.delete = current
        .keys()
        .filter(|key| key.starts_with(PUBLIC_PREFIX) && !target.objects.contains_key(*key))
        .cloned()
        .collect();
    plan
}

/// Which manifest `--rollback N` restores: `manifests` oldest first, the last one being the
/// bucket's current state; `steps` back from it (1 = the publish before the last).
pub fn pick(manifests: &[Manifest], steps: usize) -> Result<&Manifest, PublishError> {
    if steps == 0 {
        return Err(PublishError::NoSuchPublish {
            steps,
            recorded: manifests.len(),
        });
    }
    manifests
        .len()
        .checked_sub(steps + 1)
        .map(|index| &manifests[index])
        .ok_or(PublishError::NoSuchPublish {
            steps,
            recorded: manifests.len(),
        })
}

/// Whether the bucket keeps versions; without them there is nothing to roll back to.
pub async fn versioned(client: &Client, bucket: &str) -> Result<bool, PublishError> {
    match client.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(out.status() == Some(&BucketVersioningStatus::Enabled)),
        Err(error) => {
            // Some S3-compatible servers (moto among them) answer 200 with the root element
            // <GetBucketVersioningResponse> instead of S3's <VersioningConfiguration>, which
            // the SDK refuses to read: take the status from that body.
            let body = error
                .raw_response()
                .filter(|raw| raw.status().is_success())
                .and_then(|raw| raw.body().bytes())
                .map(String::from_utf8_lossy);
            match body {
                Some(text) if text.contains("<GetBucketVersioningResponse") => {
                    Ok(text.contains("<Status>Enabled</Status>"))
                }
                _ => Err(s3_error("GetBucketVersioning", bucket, error)),
            }
        }
    }
}

/// The current version of every storefront key and of the catalog.
pub async fn current_objects(
    client: &Client,
    bucket: &str,
) -> Result<BTreeMap<String, ObjectVersion>, PublishError> {
    let mut out = BTreeMap::new();
    for prefix in [PUBLIC_PREFIX, PRIVATE_KEY] {
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let page = client
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| s3_error("ListObjectVersions", bucket, e))?;
            for version in page.versions() {
                let (Some(key), true) = (version.key(), version.is_latest().unwrap_or(false))
                else {
                    continue;
                };
                if prefix == PRIVATE_KEY && key != PRIVATE_KEY {
                    continue;
                }
                out.insert(
                    key.to_owned(),
                    ObjectVersion {
                        version_id: version.version_id().unwrap_or("null").to_owned(),
                        etag: version
                            .e_tag()
                            .unwrap_or_default()
                            .trim_matches('"')
                            .to_owned(),
                    },
                );
            }
            if !page.is_truncated().unwrap_or(false) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
    }
    Ok(out)
}

/// Every manifest in the bucket, oldest first.
pub async fn manifests(client: &Client, bucket: &str) -> Result<Vec<Manifest>, PublishError> {
    let keys = crate::remote_objects(client, bucket, MANIFEST_PREFIX).await?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys.keys() {
        out.push(read_manifest(client, bucket, key).await?);
    }
    out.sort_by_key(|m| (m.published_at_ms, m.key.clone()));
    Ok(out)
}

/// The newest manifest (keys are zero-padded milliseconds, so the last key is the newest).
pub async fn latest(client: &Client, bucket: &str) -> Result<Option<Manifest>, PublishError> {
    let keys = crate::remote_objects(client, bucket, MANIFEST_PREFIX).await?;
    match keys.keys().next_back() {
        Some(key) => Ok(Some(read_manifest(client, bucket, key).await?)),
        None => Ok(None),
    }
}

async fn read_manifest(client: &Client, bucket: &str, key: &str) -> Result<Manifest, PublishError> {
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| s3_error("GetObject", bucket, e))?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| s3_error("GetObject", bucket, e))?
        .into_bytes();
    let mut manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| PublishError::BadManifest {
            key: key.to_owned(),
            detail: e.to_string(),
        })?;
    manifest.key = key.to_owned();
    Ok(manifest)
}

/// Records the bucket's current objects as a publish of `catalog_version` (or a rollback to
/// `restored`). Does nothing on a bucket without versioning, where a manifest could not
/// name anything to go back to.
pub async fn record(
    client: &Client,
    bucket: &str,
    catalog_version: &str,
    restored: Option<String>,
) -> Result<Option<Manifest>, PublishError> {
    if !versioned(client, bucket).await? {
        return Ok(None);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let last = latest(client, bucket).await?;
    let objects = current_objects(client, bucket).await?;
    // Nothing changed since the last manifest: it still describes the bucket.
    if let Some(last) = &last {
        if last.objects == objects && restored.is_none() {
            return Ok(Some(last.clone()));
        }
    }
    // Two publishes in one millisecond still get two manifests, in order.
    let newest = last.map(|m| m.published_at_ms).unwrap_or(0);
    let published_at_ms = now.max(newest + 1);
    let manifest = Manifest {
        key: format!("{MANIFEST_PREFIX}{published_at_ms:015}.json"),
        published_at_ms,
        catalog_version: catalog_version.to_owned(),
        restored,
        objects,
    };
    let body = serde_json::to_vec_pretty(&manifest).map_err(|e| PublishError::BadManifest {
        key: manifest.key.clone(),
        detail: e.to_string(),
    })?;
    client
        .put_object()
        .bucket(bucket)
        .key(&manifest.key)
        .body(ByteStream::from(body))
        .content_type("application/json")
        .cache_control("no-store")
        .send()
        .await
        .map_err(|e| s3_error("PutObject", bucket, e))?;
    Ok(Some(manifest))
}

/// Carries out `plan` in a publish's order: the storefront's keys first (so no page points
/// at an asset not back yet), then the stale ones go, and the catalog last. A copy keeps
/// the version's Content-Type and Cache-Control.
pub async fn restore(
    client: &Client,
    bucket: &str,
    plan: &RollbackPlan,
) -> Result<(), PublishError> {
    let (catalog, site): (Vec<_>, Vec<_>) =
        plan.restore.iter().partition(|(key, _)| key == PRIVATE_KEY);
    copy_versions(client, bucket, &site).await?;
    crate::delete_keys(client, bucket, &plan.delete).await?;
    copy_versions(client, bucket, &catalog).await
}

/// Copies each `(key, version id)` on top of its key, as a new current version.
async fn copy_versions(
    client: &Client,
    bucket: &str,
    versions: &[&(String, String)],
) -> Result<(), PublishError> {
    for (key, version_id) in versions {
        let source = format!(
            "{bucket}/{}?versionId={}",
            encode_key(key),
            encode_key(version_id)
        );
        client
            .copy_object()
            .bucket(bucket)
            .key(key)
            .copy_source(source)
            .send()
            .await
            .map_err(|e| match s3_error("CopyObject", bucket, e) {
                PublishError::S3 {
                    operation,
                    bucket,
                    what,
                    ..
                } => PublishError::S3 {
                    operation,
                    bucket,
                    what: format!("{key} version {version_id}: {what}"),
                    hint: "is the version older than the bucket keeps noncurrent versions (30 days in the stack)?",
                    not_asked: false,
                },
                other => other,
            })?;
    }
    Ok(())
}

/// Percent-encodes a key for `x-amz-copy-source` (slashes kept).
fn encode_key(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, etag: &str) -> ObjectVersion {
        ObjectVersion {
            version_id: id.into(),
            etag: etag.into(),
        }
    }

    fn manifest(at: u64, objects: &[(&str, &str, &str)]) -> Manifest {
        Manifest {
            key: format!("{MANIFEST_PREFIX}{at:015}.json"),
            published_at_ms: at,
            catalog_version: format!("v{at}"),
            restored: None,
            objects: objects
                .iter()
                .map(|(k, id, etag)| (k.to_string(), version(id, etag)))
                .collect(),
        }
    }

    #[test]
    fn a_rollback_restores_changed_and_missing_keys_and_deletes_new_ones() {
        let target = manifest(
            1,
            &[
                ("site/index.html", "v1", "aa"),
                ("site/old.css", "v1", "bb"),
                ("site/same.js", "v1", "cc"),
                (PRIVATE_KEY, "v1", "dd"),
            ],
        );
        let current: BTreeMap<String, ObjectVersion> = [
            ("site/index.html", version("v2", "a2")),
            ("site/same.js", version("v2", "cc")),
            ("site/new.css", version("v2", "ee")),
            (PRIVATE_KEY, version("v2", "d2")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let plan = rollback_plan(&target, &current);
        assert_eq!(
            plan.restore,
            vec![
                (PRIVATE_KEY.to_owned(), "v1".to_owned()),
                ("site/index.html".to_owned(), "v1".to_owned()),
                ("site/old.css".to_owned(), "v1".to_owned()),
            ]
        );
        assert_eq!(plan.delete, vec!["site/new.css".to_owned()]);
        assert_eq!(plan.unchanged, 1);
        assert!(rollback_plan(&target, &target.objects).is_empty());
    }

    #[test]
    fn n_steps_back_counts_from_the_current_publish() {
        let all = vec![manifest(1, &[]), manifest(2, &[]), manifest(3, &[])];
        assert_eq!(pick(&all, 1).unwrap().published_at_ms, 2);
        assert_eq!(pick(&all, 2).unwrap().published_at_ms, 1);
        assert!(matches!(
            pick(&all, 3),
            Err(PublishError::NoSuchPublish {
                steps: 3,
                recorded: 3
            })
        ));
        assert!(pick(&all, 0).is_err());
        assert!(pick(&[], 1).is_err());
    }
}
