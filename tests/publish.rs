//! `carte publish` against a local S3-compatible server (moto in server mode on
//! 127.0.0.1, started and stopped by the test): content types, cache headers, only
//! changed files, stale files deleted, the private catalog, and `--dry-run`.
//! Needs `pip install 'moto[server]'` (scripts/test installs it).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;

const BUCKET: &str = "carte-shop";

/// A SigV4-shaped header naming the `s3` service: moto routes an unsigned request by
/// guessing, and guesses wrong for some bodies.
const S3_AUTHORIZATION: &str =
    "AWS4-HMAC-SHA256 Credential=test/20260302/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// moto's S3 on a free loopback port; stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto_server ({e}); install it with: pip install 'moto[server]'"
                )
            });
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let client = client();
        let started = Instant::now();
        loop {
            if client.get(&moto.endpoint).send().is_ok() {
                return moto;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited with {status} before serving");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not answer on {} within 30 s",
                moto.endpoint
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{BUCKET}/{key}", self.endpoint)
    }

    /// Every key in the bucket.
    fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!("{}/{BUCKET}?list-type=2", self.endpoint);
            if let Some(token) = &token {
                url.push_str(&format!("&continuation-token={}", escape(token)));
            }
            let xml = client()
                .get(url)
                .send()
                .and_then(|r| r.text())
                .expect("list");
            keys.extend(between_all(&xml, "<Key>", "</Key>"));
            token = between_all(&xml, "<NextContinuationToken>", "</NextContinuationToken>")
                .into_iter()
                .next();
            if token.is_none() {
                return keys;
            }
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn between_all(text: &str, open: &str, close: &str) -> Vec<String> {
    text.split(open)
        .skip(1)
        .filter_map(|part| part.split(close).next())
        .map(|s| s.replace("&amp;", "&"))
        .collect()
}

fn client() -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_static(S3_AUTHORIZATION),
    );
    Client::builder()
        .default_headers(headers)
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn carte(moto: &Moto, site: &Path, extra: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_carte"))
        .arg("publish")
        .arg(site)
        .args(["--bucket", BUCKET, "--endpoint", &moto.endpoint])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", site.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            site.join("no-aws-credentials"),
        )
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("run carte");
    assert!(
        output.status.success(),
        "carte publish {extra:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn publish_uploads_only_what_changed_with_headers_and_a_private_catalog() {
    let moto = Moto::start();
    let http = client();
    let created = http.put(moto.url("")).send().expect("create bucket");
    assert!(created.status().is_success(), "{:?}", created.text());

    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("shop");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("site-content"),
        &site,
    );

    // A dry run lists every file and changes nothing.
    let dry = stdout(&carte(&moto, &site, &["--dry-run"]));
    assert!(dry.contains("upload  site/index.html (new"), "{dry}");
    assert!(dry.contains("upload  private/site.json (catalog)"), "{dry}");
    assert!(dry.contains("nothing was changed"), "{dry}");
    assert!(moto.keys().is_empty(), "a dry run uploaded something");

    // The first publish uploads the whole build and the catalog.
    let first = stdout(&carte(&moto, &site, &[]));
    assert!(first.contains("0 deleted, 0 unchanged"), "{first}");
    assert!(
        first.contains("uploaded to s3://carte-shop/private/site.json"),
        "{first}"
    );
    let keys = moto.keys();
    let built = walk(&site.join("public"));
    assert_eq!(keys.len(), built + 1, "{keys:?}");
    assert!(keys
        .iter()
        .all(|k| k.starts_with("site/") || k == "private/site.json"));

    let page = http
        .get(moto.url("site/en/index.html"))
        .send()
        .expect("page");
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        page.headers()["cache-control"],
        "public, max-age=0, must-revalidate"
    );
    let asset = keys
        .iter()
        .find(|k| k.starts_with("site/assets/") && k.ends_with(".css"))
        .expect("a fingerprinted stylesheet");
    let css = http.get(moto.url(asset)).send().expect("css");
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    // The private catalog is the whole site with the version the storefront's carts carry.
    let catalog: Value = http
        .get(moto.url("private/site.json"))
        .send()
        .and_then(|r| r.json())
        .expect("site.json");
    let cart_catalog_key = keys
        .iter()
        .find(|k| k.starts_with("site/catalog/"))
        .expect("a location catalog");
    let cart_catalog: Value = http
        .get(moto.url(cart_catalog_key))
        .send()
        .and_then(|r| r.json())
        .expect("catalog json");
    assert_eq!(catalog["version"], cart_catalog["version"]);
    assert!(catalog["site"]["campaigns"].is_array());

    // Nothing changed: nothing is uploaded.
    let again = stdout(&carte(&moto, &site, &[]));
    assert!(again.contains(": 0 uploaded"), "{again}");
    assert!(again.contains(&format!("{built} unchanged")), "{again}");
    assert!(again.ends_with("unchanged\n"), "{again}");

    // A page edited and an object the build no longer has: one changes, the other goes.
    let stale = http
        .put(moto.url("site/old-menu.html"))
        .body("<p>old</p>")
        .send()
        .expect("put stale");
    assert!(stale.status().is_success());
    let about = site.join("pages/about.en.md");
    let text = std::fs::read_to_string(&about).expect("read about");
    std::fs::write(&about, format!("{text}\n\nOpen on public holidays.\n")).expect("edit about");
    let dry = stdout(&carte(&moto, &site, &["--dry-run"]));
    assert!(
        dry.contains("upload  site/en/about/index.html (changed"),
        "{dry}"
    );
    assert!(dry.contains("delete  site/old-menu.html"), "{dry}");
    let edited = stdout(&carte(&moto, &site, &[]));
    assert!(edited.contains("1 deleted"), "{edited}");
    let uploaded: usize = edited
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("an upload count");
    assert!(uploaded >= 1 && uploaded < built / 2, "{edited}");
    let keys = moto.keys();
    assert!(!keys.contains(&"site/old-menu.html".to_owned()));
    let about_page = http
        .get(moto.url("site/en/about/index.html"))
        .send()
        .and_then(|r| r.text())
        .expect("about");
    assert!(about_page.contains("Open on public holidays."));
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|entry| {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                walk(&entry.path())
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn publish_to_a_bucket_that_does_not_exist_fails_with_the_bucket_named() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("shop");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("site-content"),
        &site,
    );
    let output = Command::new(env!("CARGO_BIN_EXE_carte"))
        .arg("publish")
        .arg(&site)
        .args(["--bucket", "no-such-bucket", "--endpoint", &moto.endpoint])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run carte");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-bucket"), "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
}
