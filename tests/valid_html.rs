//! Every page `carte build` writes for the demo restaurant — storefront, join, status,
//! QR sheets, the staff and marketer consoles — is valid HTML per the W3C Nu HTML
//! checker (`vnu.jar` from the npm package `vnu-jar`, run on Java 17+): no errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{demo_copy, run_carte};

/// The checker's jar: `VNU_JAR`, or the npm package `scripts/test` installs.
fn vnu_jar() -> PathBuf {
    let jar = std::env::var_os("VNU_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/vnu-jar/build/dist/vnu.jar")
        });
    assert!(
        jar.is_file(),
        "the Nu HTML checker is missing at {}: run `npm ci` (scripts/test does)",
        jar.display()
    );
    jar
}

fn html_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            html_files(&path, into);
        } else if path.extension().is_some_and(|x| x == "html") {
            into.push(path);
        }
    }
}

#[test]
fn every_built_page_passes_the_nu_html_checker() {
    let jar = vnu_jar();
    let (dir, site) = demo_copy();
    let out = dir.path().join("public");
    let (code, _, err) = run_carte(&[
        "build",
        site.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut pages = Vec::new();
    html_files(&out, &mut pages);
    pages.sort();
    // The storefront in both languages, the chooser, and the consoles at least.
    for must in [
        "index.html",
        "zh/chunxi/index.html",
        "en/join/index.html",
        "staff/redeem.html",
        "admin/index.html",
    ] {
        assert!(pages.contains(&out.join(must)), "{must} was not built");
    }
    let output = Command::new(std::env::var_os("JAVA").unwrap_or_else(|| "java".into()))
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--exit-zero-always", "--format", "json"])
        .args(&pages)
        .stdin(Stdio::null())
        .output()
        .expect("run java (17 or later) for the Nu HTML checker");
    assert!(
        output.status.success(),
        "vnu failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The JSON report goes to standard error.
    let report: serde_json::Value =
        serde_json::from_slice(&output.stderr).expect("vnu's JSON report");
    let messages = report["messages"].as_array().expect("messages");
    let errors: Vec<String> = messages
        .iter()
        .filter(|m| m["type"] != "info")
        .map(|m| {
            format!(
                "{}:{}: {}",
                m["url"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit_once("/public/")
                    .map_or("?", |(_, p)| p),
                m["lastLine"],
                m["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{} pages checked, {} errors:\n{}",
        pages.len(),
        errors.len(),
        errors.join("\n")
    );
    eprintln!("{} pages, no Nu checker errors", pages.len());
}
