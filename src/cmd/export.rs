//! `carte export orders|members|redemptions|payments|ratings [--excel]`: CSV (RFC 4180, UTF-8;
//! `--excel` adds a byte-order mark and keeps phone numbers as text).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use functions::csv::{export_csv, ExportKind, Flavour};

/// What to export.
#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// The orders of the period.
    Orders,
    /// Members who gave consent, with how to reach them.
    Members,
    /// One row per coupon redemption, online and at the counter.
    Redemptions,
    /// One row per payment ledger entry recorded in the period.
    Payments,
    /// One row per rating diners gave after their meal.
    Ratings,
}

impl From<KindArg> for ExportKind {
    fn from(kind: KindArg) -> ExportKind {
        match kind {
            KindArg::Orders => ExportKind::Orders,
            KindArg::Members => ExportKind::Members,
            KindArg::Redemptions => ExportKind::Redemptions,
            KindArg::Payments => ExportKind::Payments,
            KindArg::Ratings => ExportKind::Ratings,
        }
    }
}

/// What to export, over which days, for whom, to where.
pub struct Request<'a> {
    pub kind: KindArg,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub location: Option<&'a str>,
    /// The Excel flavour.
    pub excel: bool,
    /// A file instead of standard output.
    pub output: Option<PathBuf>,
}

/// Writes the CSV to the request's file, or to standard output.
pub fn run(
    dir: &Path,
    choice: &super::store::StoreArgs,
    request: &Request<'_>,
) -> anyhow::Result<ExitCode> {
    let runtime = super::runtime()?;
    let (site, store) = super::report::open(dir, choice, &runtime)?;
    let period = super::report::period(&site, request.from, request.to, request.location)?;
    let flavour = if request.excel {
        Flavour::Excel
    } else {
        Flavour::Plain
    };
    let csv = runtime.block_on(async {
        export_csv(store.as_ref(), &site, request.kind.into(), &period, flavour).await
    })?;
    match &request.output {
        Some(path) => {
            std::fs::write(path, csv.as_bytes())?;
            eprintln!("Wrote {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(csv.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
