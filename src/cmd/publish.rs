//! `carte publish`: build the site, then upload the storefront and the private catalog
//! to S3, only what changed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

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
}

/// Exit code for content errors, as `carte build`.
const CONTENT_ERRORS: u8 = 1;

/// Builds `root` into `root/public` and publishes it.
pub async fn run(opts: PublishOptions) -> anyhow::Result<ExitCode> {
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
    if opts.dry_run {
        let plan = publish::plan_bucket(&client, bucket, &out).await?;
        let catalog = publish::catalog_differs(&client, bucket, &site_json).await?;
        print_plan(&plan, catalog, bucket, &out);
        return Ok(ExitCode::SUCCESS);
    }
    let report = publish::publish(&client, bucket, &out, site_json)
        .await
        .with_context(|| format!("publishing {} to s3://{bucket}", out.display()))?;
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
    Ok(ExitCode::SUCCESS)
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
