//! What a chain's build writes, by kind, stays within a budget: size cannot creep back
//! (issue #21: a chain once wrote 7.4× Hugo's bytes). The medium synthetic chain of
//! `examples/synth.rs` (1,280 dishes, 3 menus, 4 shops, both languages) is written by the
//! example binary `cargo test` builds, then built in-process as `carte build` does. The
//! large chain's figures, beside Hugo's, are in BENCHMARKS.md (`bench/run.sh`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `synth` example, built by `cargo test` next to this test's own binary.
fn synth() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let synth = debug.join("examples").join("synth");
    assert!(
        synth.is_file(),
        "{} is missing: `cargo test` builds the examples",
        synth.display()
    );
    synth
}

/// Bytes under `dir` by kind: pages (HTML), catalogs, QR codes, images, other.
fn bytes_by_kind(dir: &Path) -> BTreeMap<&'static str, u64> {
    let mut kinds = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("under dir")
            .to_string_lossy()
            .replace('\\', "/");
        let kind = if rel.starts_with("catalog/") {
            "catalogs"
        } else if rel.starts_with("qr/") {
            "qr"
        } else if rel.starts_with("images/") {
            "images"
        } else if rel.ends_with(".html") {
            "pages"
        } else {
            "other"
        };
        *kinds.entry(kind).or_default() += entry.metadata().map_or(0, |m| m.len());
    }
    kinds
}

/// A synthetic chain written by `synth` with `args` and built as `carte build` does, in
/// a temporary folder (kept while the first value lives); the second is the output.
fn built_chain(args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("site");
    let out = dir.path().join("public");
    let status = Command::new(synth())
        .args(args)
        .arg(&site)
        .status()
        .expect("run synth");
    assert!(status.success(), "synth failed");
    generator::build::build(&site, &out, &generator::build::BuildOptions::default())
        .expect("the chain builds");
    (dir, out)
}

#[test]
fn a_chains_output_stays_within_its_byte_budget() {
    let (_dir, out) = built_chain(&["--scale", "medium"]);
    let kinds = bytes_by_kind(&out);
    eprintln!("medium chain, bytes by kind: {kinds:?}");
    // Budgets: today's figures and about 10 % of room (measured 7 December 2026).
    let budget: [(&str, u64); 4] = [
        ("pages", PAGES_BUDGET),
        ("catalogs", CATALOGS_BUDGET),
        ("qr", QR_BUDGET),
        ("other", OTHER_BUDGET),
    ];
    for (kind, most) in budget {
        let written = kinds.get(kind).copied().unwrap_or(0);
        assert!(
            written <= most,
            "{kind}: {written} bytes written, the budget is {most}"
        );
    }
}

/// The gzipped size of `bytes` (zlib's default level, as a server or CDN sends it).
fn gzipped(bytes: &[u8]) -> usize {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip").len()
}

/// A 300-dish menu page, in both languages, is at most 30 KB gzipped with its
/// stylesheet and without images: every dish with its quantity field for ordering
/// without JavaScript, its options left to the dish page (the options sheet) and a
/// second step of the plain form.
#[test]
fn a_300_dish_menu_page_is_at_most_30_kb_gzipped() {
    // 600 dishes make two menus of 300.
    let (_dir, out) = built_chain(&["--dishes", "600"]);
    let css = walkdir::WalkDir::new(out.join("assets"))
        .into_iter()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".css"))
        .map(|e| std::fs::read(e.path()).expect("css"))
        .expect("a stylesheet");
    let mut menus = 0;
    for lang in ["en", "zh"] {
        for entry in std::fs::read_dir(out.join(lang))
            .expect("language folder")
            .flatten()
        {
            let Ok(html) = std::fs::read_to_string(entry.path().join("index.html")) else {
                continue;
            };
            let dishes = html.matches("<li class=\"dish").count();
            if dishes < 300 {
                continue;
            }
            menus += 1;
            assert!(dishes <= 310, "{dishes} dishes");
            let total = gzipped(html.as_bytes()) + gzipped(&css);
            eprintln!(
                "{lang}/{}: {dishes} dishes, {} B of HTML, {total} B gzipped with the CSS",
                entry.file_name().to_string_lossy(),
                html.len()
            );
            assert!(total <= 30 * 1024, "{total} bytes gzipped");
        }
    }
    assert!(menus >= 4, "{menus} menu pages of 300 dishes");
}

/// HTML pages: 20.9 MB measured (2,6xx pages; 23.0 MB before the menus' option inputs
/// moved to the dish pages, 8 December 2026).
const PAGES_BUDGET: u64 = 23_000_000;
/// Catalogs: 1.30 MB measured (3 menus shared by 4 shops, and each shop's own part).
const CATALOGS_BUDGET: u64 = 1_450_000;
/// QR codes as one path each: 65 KB measured.
const QR_BUDGET: u64 = 75_000;
/// Sitemap, robots, assets, manifest: 1.49 MB measured.
const OTHER_BUDGET: u64 = 1_650_000;
