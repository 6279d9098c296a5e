//! `carte export orders|members|redemptions|payments`: CSV (RFC 4180, UTF-8).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use functions::csv::{export_csv, ExportKind};

/// What to export.
#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Orders,
    Members,
    Redemptions,
    /// One row per payment ledger entry recorded in the period.
    Payments,
}

impl From<KindArg> for ExportKind {
    fn from(kind: KindArg) -> ExportKind {
        match kind {
            KindArg::Orders => ExportKind::Orders,
            KindArg::Members => ExportKind::Members,
            KindArg::Redemptions => ExportKind::Redemptions,
            KindArg::Payments => ExportKind::Payments,
        }
    }
}

/// Writes the CSV to `output`, or to standard output.
pub fn run(
    dir: &Path,
    choice: &super::store::StoreArgs,
    kind: KindArg,
    from: Option<&str>,
    to: Option<&str>,
    location: Option<&str>,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let runtime = super::runtime()?;
    let (site, store) = super::report::open(dir, choice, &runtime)?;
    let period = super::report::period(&site, from, to, location)?;
    let csv = runtime
        .block_on(async { export_csv(store.as_ref(), &site, kind.into(), &period).await })?;
    match output {
        Some(path) => {
            std::fs::write(&path, csv.as_bytes())?;
            eprintln!("Wrote {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(csv.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
