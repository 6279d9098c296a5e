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
    match generator::build::check_with_warnings(dir) {
        Ok((project, warnings)) => {
            for warning in &warnings.0 {
                eprintln!("{}", warning.as_warning());
            }
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
            for warning in missing_payment_settings(site, &|name| std::env::var(name).ok()) {
                eprintln!("warning: {warning}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            Ok(ExitCode::from(CONTENT_ERRORS))
        }
    }
}

/// The provider settings missing from the environment for the online methods the
/// locations offer: secrets never live in the content, so `carte check` says which
/// the payments function will need (see `docs/payments.md`).
fn missing_payment_settings(
    site: &catalog::Site,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    use catalog::payment::Method;
    use functions::payments::{StripeConfig, WechatConfig};
    let mut warnings = Vec::new();
    for method in [Method::Stripe, Method::WechatPay] {
        let offering: Vec<&str> = site
            .locations
            .iter()
            .filter(|l| l.payment.methods.contains(&method))
            .map(|l| l.id.as_str())
            .collect();
        if offering.is_empty() {
            continue;
        }
        let missing = match method {
            Method::Stripe => StripeConfig::missing(lookup),
            _ => WechatConfig::missing(lookup),
        };
        if !missing.is_empty() {
            warnings.push(format!(
                "{} offer{} {}, but {} {} not set in the environment (the payments function reads {} there; see docs/payments.md)",
                offering.join(", "),
                if offering.len() == 1 { "s" } else { "" },
                method.as_str(),
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
                if missing.len() == 1 { "it" } else { "them" },
            ));
        }
    }
    warnings
}
