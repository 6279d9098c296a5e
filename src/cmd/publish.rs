//! `carte publish`: build the site, then upload the storefront and the private catalog
//! to S3, only what changed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use publish::history;

/// What `carte publish` was asked to do.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The site folder.
    pub root: PathBuf,
    pub bucket: String,
    /// List the changes without making them.
    pub dry_run: bool,
    /// A local S3-compatible endpoint instead of AWS.
    pub endpoint: Option<String>,
    /// Restore the publish this many before the current one instead of publishing.
    pub rollback: Option<usize>,
    /// List the recorded publishes instead of publishing.
    pub list: bool,
}

/// Exit code for content errors, as `carte build`.
const CONTENT_ERRORS: u8 = 1;

/// Builds `root` into `root/public` and publishes it.
pub async fn run(opts: PublishOptions) -> anyhow::Result<ExitCode> {
    if opts.list || opts.rollback.is_some() {
        return history(&opts).await;
    }
    let out = opts.root.join("public");
    let (root, out_for_build) = (opts.root.clone(), out.clone());
    let built =
        tokio::task::spawn_blocking(move || super::build_site(&root, &out_for_build)).await??;
    let project = match built {
        Ok(project) => project,
        Err(text) => {
            eprintln!("{text}");
            return Ok(ExitCode::from(CONTENT_ERRORS));
        }
    };
    let site_json = generator::render::catalog_json::site_json(&project)?;
    let client = publish::client(opts.endpoint.as_deref()).await;
    let bucket = opts.bucket.as_str();
    // The build's files, hashed once: for the plan, the upload and the local record.
    let files = publish::scan(&out)?;
    if opts.dry_run {
        return dry_run(&client, &opts.root, bucket, &out, &files, &site_json).await;
    }
    let report = publish::publish(&client, bucket, &files, site_json.clone())
        .await
        .with_context(|| format!("publishing {} to s3://{bucket}", out.display()))?;
    // For a dry run that cannot ask S3 later; a failure here loses nothing published.
    let published_at = chrono::Utc::now().timestamp_millis() as u64;
    if let Err(e) =
        publish::last_publish::write(&opts.root, bucket, &files, &site_json, published_at)
    {
        eprintln!(
            "warning: the local record of this publish ({}) was not written: {e}",
            publish::last_publish::path(&opts.root, bucket).display()
        );
    }
    let manifest = history::record(&client, bucket, &project.version, None)
        .await
        .with_context(|| format!("recording the publish in s3://{bucket}"))?;
    println!(
        "Published s3://{bucket}/{}: {} uploaded ({:.1} KB), {} deleted, {} unchanged; catalog {} {}",
        publish::PUBLIC_PREFIX,
        report.uploaded,
        report.bytes as f64 / 1024.0,
        report.deleted,
        report.unchanged,
        project.version,
        if report.catalog_changed {
            format!("uploaded to s3://{bucket}/{}", publish::PRIVATE_KEY)
        } else {
            "unchanged".to_owned()
        }
    );
    match manifest {
        Some(manifest) => println!(
            "Recorded as {} (`carte publish --rollback` puts back the publish before it)",
            manifest.key
        ),
        None => println!(
            "Not recorded: s3://{bucket} keeps no versions, so this publish cannot be rolled back"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// What a publish would change. When S3 cannot be asked (offline, no credentials, no
/// region), what this folder last published there stands in for the bucket, and the
/// output says so; without such a record the error is the answer.
async fn dry_run(
    client: &publish::S3Client,
    root: &Path,
    bucket: &str,
    out: &Path,
    files: &[publish::LocalFile],
    site_json: &[u8],
) -> anyhow::Result<ExitCode> {
    let asked = async {
        let plan = publish::plan_bucket(client, bucket, files).await?;
        let catalog = publish::catalog_differs(client, bucket, site_json).await?;
        Ok::<_, publish::PublishError>((plan, catalog))
    };
    let error = match asked.await {
        Ok((plan, catalog)) => {
            print_plan(&plan, catalog, bucket, out);
            return Ok(ExitCode::SUCCESS);
        }
        Err(error) => error,
    };
    let what = match &error {
        publish::PublishError::S3 {
            what,
            not_asked: true,
            ..
        } => what.clone(),
        _ => return Err(error.into()),
    };
    let Some(record) = publish::last_publish::read(root, bucket) else {
        return Err(error.into());
    };
    let plan = publish::plan(files, &record.objects);
    print_plan(&plan, record.catalog_differs(site_json), bucket, out);
    println!(
        "S3 was not asked ({what}): compared with what this folder last published there, {}",
        when(record.published_at_ms)
    );
    Ok(ExitCode::SUCCESS)
}

/// `--list` and `--rollback [N]` (with or without `--dry-run`): nothing is built.
async fn history(opts: &PublishOptions) -> anyhow::Result<ExitCode> {
    let client = publish::client(opts.endpoint.as_deref()).await;
    let bucket = opts.bucket.as_str();
    if !history::versioned(&client, bucket).await? {
        return Err(publish::PublishError::NotVersioned(bucket.to_owned()).into());
    }
    let manifests = history::manifests(&client, bucket).await?;
    let current = history::current_objects(&client, bucket).await?;
    if opts.list {
        if manifests.is_empty() {
            println!("No publishes recorded in s3://{bucket} yet.");
        }
        for (steps, manifest) in manifests.iter().rev().enumerate() {
            let plan = history::rollback_plan(manifest, &current);
            let change = if plan.is_empty() {
                "current".to_owned()
            } else {
                format!(
                    "--rollback {steps}: {} to restore, {} to delete",
                    plan.restore.len(),
                    plan.delete.len()
                )
            };
            println!(
                "{steps:>3}  {}  catalog {}  {} objects{}  ({change})",
                when(manifest.published_at_ms),
                manifest.catalog_version,
                manifest.objects.len(),
                manifest
                    .restored
                    .as_deref()
                    .map(|key| format!(", a rollback to {key}"))
                    .unwrap_or_default(),
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let steps = opts.rollback.unwrap_or(1);
    let target = history::pick(&manifests, steps)?;
    let plan = history::rollback_plan(target, &current);
    for (key, version) in &plan.restore {
        println!("restore {key} (version {version})");
    }
    for key in &plan.delete {
        println!("delete  {key}");
    }
    let summary = format!(
        "the publish of {} (catalog {}): {} to restore, {} to delete, {} unchanged",
        when(target.published_at_ms),
        target.catalog_version,
        plan.restore.len(),
        plan.delete.len(),
        plan.unchanged
    );
    if opts.dry_run {
        println!("Dry run of a rollback of s3://{bucket} to {summary}; nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    history::restore(&client, bucket, &plan)
        .await
        .with_context(|| format!("rolling s3://{bucket} back"))?;
    let recorded = history::record(
        &client,
        bucket,
        &target.catalog_version,
        Some(target.key.clone()),
    )
    .await?;
    println!(
        "Rolled s3://{bucket} back to {summary}{}",
        recorded
            .map(|m| format!("; recorded as {}", m.key))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

/// A manifest's time, in UTC.
fn when(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}

fn print_plan(plan: &publish::Plan, catalog: bool, bucket: &str, out: &Path) {
    for file in &plan.new {
        println!(
            "upload  {} (new, {} B, {})",
            file.key, file.size, file.cache_control
        );
    }
    for file in &plan.changed {
        println!(
            "upload  {} (changed, {} B, {})",
            file.key, file.size, file.cache_control
        );
    }
    for key in &plan.stale {
        println!("delete  {key}");
    }
    if catalog {
        println!("upload  {} (catalog)", publish::PRIVATE_KEY);
    }
    println!(
        "Dry run of {} -> s3://{bucket}: {} to upload ({:.1} KB), {} to delete, {} unchanged, catalog {}; nothing was changed",
        out.display(),
        plan.new.len() + plan.changed.len(),
        plan.upload_bytes() as f64 / 1024.0,
        plan.stale.len(),
        plan.unchanged,
        if catalog { "changed" } else { "unchanged" }
    );
}
