//! Every page `carte build` writes for the demo restaurant — storefront, join, status,
//! QR sheets, the staff and marketer consoles — and every page `carte serve` renders for
//! a browser without JavaScript (the order confirmation, a refusal, the order status) is
//! valid HTML per the W3C Nu HTML checker (`vnu.jar` from the npm package `vnu-jar`,
//! run on Java 17+): no errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{client, demo_copy, run_carte, Server};

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

/// The Nu checker's errors over `pages`, each as `file:line: message`.
fn nu_errors(pages: &[PathBuf]) -> Vec<String> {
    let output = Command::new(std::env::var_os("JAVA").unwrap_or_else(|| "java".into()))
        .arg("-jar")
        .arg(vnu_jar())
        .args(["--errors-only", "--exit-zero-always", "--format", "json"])
        .args(pages)
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
    report["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["type"] != "info")
        .map(|m| {
            format!(
                "{}:{}: {}",
                m["url"].as_str().map_or("?", |url| url
                    .rsplit_once("/public/")
                    .map(|(_, page)| page)
                    .or_else(|| url.rsplit('/').next())
                    .unwrap_or(url)),
                m["lastLine"],
                m["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn every_built_page_passes_the_nu_html_checker() {
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
    let errors = nu_errors(&pages);
    assert!(
        errors.is_empty(),
        "{} pages checked, {} errors:\n{}",
        pages.len(),
        errors.len(),
        errors.join("\n")
    );
    eprintln!("{} pages, no Nu checker errors", pages.len());
}

#[test]
fn the_pages_the_server_renders_pass_the_nu_html_checker() {
    let (dir, site) = demo_copy();
    let server = Server::start_with(&site, &["--no-watch"]);
    let http = client();
    let form = |body: &str| {
        http.post(server.url("/api/orders"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .expect("form order")
    };
    let mut pages = Vec::new();
    let mut keep = |name: &str, html: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, html).expect("write page");
        pages.push(path);
    };
    let mut status_url = String::new();
    for lang in ["zh", "en"] {
        let placed = form(&format!(
            "location=chunxi&mode=dine_in&table=3&qty.smashed-cucumber=1&name=Li&note=%3Cb%3E&idempotency_key=nu-{lang}&lang={lang}"
        ));
        assert_eq!(placed.status().as_u16(), 201);
        let html = placed.text().expect("confirmation");
        status_url = html
            .split("href=\"")
            .filter_map(|rest| rest.split('"').next())
            .find(|href| href.starts_with("/api/orders/"))
            .expect("a link to the status page")
            .replace("&amp;", "&");
        keep(&format!("confirmation-{lang}.html"), html);
        let refused = form(&format!(
            "location=chunxi&mode=dine_in&table=3&qty.nothing=1&lang={lang}"
        ));
        assert_eq!(refused.status().as_u16(), 422);
        keep(
            &format!("refused-{lang}.html"),
            refused.text().expect("refusal"),
        );
    }
    let status = http
        .get(server.url(&status_url))
        .header("accept", "text/html")
        .send()
        .expect("status page");
    assert_eq!(status.status().as_u16(), 200, "{status_url}");
    keep("status.html", status.text().expect("status"));
    let errors = nu_errors(&pages);
    assert!(
        errors.is_empty(),
        "{} pages checked, {} errors:\n{}",
        pages.len(),
        errors.len(),
        errors.join("\n")
    );
}
