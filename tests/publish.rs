//! `carte publish` against a local S3-compatible server (moto in server mode on
//! 127.0.0.1, started and stopped by the test): content types, cache headers, only
//! changed files, stale files deleted, the private catalog, and `--dry-run`; on a
//! versioned bucket, each publish's manifest, `--list` and `--rollback [N]`.
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

/// Test credentials and a region, for moto.
const TEST_AWS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
];

/// `carte publish SITE` with AWS's ambient settings cleared (no profile, no config
/// files, no instance metadata, no endpoint) and `env` set.
fn publish_command(site: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carte"));
    command
        .arg("publish")
        .arg(site)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", site.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            site.join("no-aws-credentials"),
        );
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
}

fn carte(moto: &Moto, site: &Path, extra: &[&str]) -> Output {
    let output = publish_command(site, &TEST_AWS)
        .args(["--bucket", BUCKET, "--endpoint", &moto.endpoint])
        .args(extra)
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
    assert!(
        again
            .lines()
            .next()
            .is_some_and(|line| line.ends_with("unchanged")),
        "{again}"
    );
    // This bucket keeps no versions: the publish says it cannot be undone.
    assert!(
        again.contains("Not recorded: s3://carte-shop keeps no versions"),
        "{again}"
    );

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

/// The files of a build that are published: all but the build's own manifest.
fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|entry| {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                walk(&entry.path())
            } else if entry.file_name() == generator::write::MANIFEST {
                0
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
    let output = publish_command(&site, &TEST_AWS)
        .args(["--bucket", "no-such-bucket", "--endpoint", &moto.endpoint])
        .output()
        .expect("run carte");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-bucket"), "{stderr}");
    assert!(stderr.contains("the bucket does not exist"), "{stderr}");
    assert!(stderr.contains("hint: check --bucket"), "{stderr}");
    assert!(!stderr.contains("ServiceError"), "the SDK's dump: {stderr}");
}

/// `carte publish` that must fail; returns what it printed.
fn carte_fails(moto: &Moto, site: &Path, extra: &[&str]) -> String {
    let output = publish_command(site, &TEST_AWS)
        .args(["--bucket", BUCKET, "--endpoint", &moto.endpoint])
        .args(extra)
        .output()
        .expect("run carte");
    assert!(
        !output.status.success(),
        "carte publish {extra:?} succeeded"
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The storefront's and catalog's keys (not the manifests).
fn published_keys(moto: &Moto) -> Vec<String> {
    moto.keys()
        .into_iter()
        .filter(|k| !k.starts_with("private/publishes/"))
        .collect()
}

#[test]
fn a_bad_menu_is_rolled_back_in_one_command_site_and_catalog() {
    let moto = Moto::start();
    let http = client();
    assert!(http
        .put(moto.url(""))
        .send()
        .expect("bucket")
        .status()
        .is_success());
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("shop");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("site-content"),
        &site,
    );

    // Without versioning there is nothing to go back to, and the command says how to fix it.
    let refused = carte_fails(&moto, &site, &["--list"]);
    assert!(refused.contains("has no versioning"), "{refused}");
    assert!(refused.contains("put-bucket-versioning"), "{refused}");

    // The stack's bucket is versioned, as here from now on.
    let versioning = http
        .put(format!("{}?versioning", moto.url("")))
        .body(
            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Status>Enabled</Status></VersioningConfiguration>",
        )
        .send()
        .expect("versioning");
    assert!(versioning.status().is_success(), "{:?}", versioning.text());

    // A good publish, recorded.
    let good = stdout(&carte(&moto, &site, &[]));
    assert!(good.contains("Recorded as private/publishes/"), "{good}");
    let good_keys = published_keys(&moto);
    let good_catalog = http
        .get(moto.url("private/site.json"))
        .send()
        .and_then(|r| r.text())
        .expect("catalog");
    let good_about = http
        .get(moto.url("site/en/about/index.html"))
        .send()
        .and_then(|r| r.text())
        .expect("about");

    // A bad one: a dish at 800 instead of 8, and a page edit.
    let menu = site.join("menus/main.yaml");
    let text = std::fs::read_to_string(&menu).expect("menu");
    std::fs::write(&menu, text.replacen("price: \"8\"", "price: \"800\"", 1)).expect("edit");
    let about = site.join("pages/about.en.md");
    let text = std::fs::read_to_string(&about).expect("about");
    std::fs::write(&about, format!("{text}\n\nClosed for good.\n")).expect("edit");
    carte(&moto, &site, &[]);
    let bad_catalog = http
        .get(moto.url("private/site.json"))
        .send()
        .and_then(|r| r.text())
        .expect("catalog");
    assert_ne!(bad_catalog, good_catalog);

    // --list: newest first; the current one, and what going back one would change.
    let list = stdout(&carte(&moto, &site, &["--list"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].trim_start().starts_with("0 ") && lines[0].ends_with("(current)"),
        "{list}"
    );
    assert!(lines[1].trim_start().starts_with("1 "), "{list}");
    assert!(lines[1].contains("(--rollback 1: "), "{list}");

    // --rollback --dry-run names what it would restore and changes nothing.
    let dry = stdout(&carte(&moto, &site, &["--rollback", "--dry-run"]));
    assert!(dry.contains("restore private/site.json (version "), "{dry}");
    assert!(
        dry.contains("restore site/en/about/index.html (version "),
        "{dry}"
    );
    assert!(dry.contains("nothing was changed"), "{dry}");
    let still = http
        .get(moto.url("private/site.json"))
        .send()
        .and_then(|r| r.text());
    assert_eq!(still.expect("catalog"), bad_catalog);

    // --rollback: the storefront and the catalog are the good publish's again, with their
    // headers, and the keys are the same set.
    let back = stdout(&carte(&moto, &site, &["--rollback"]));
    assert!(
        back.contains("Rolled s3://carte-shop back to the publish of"),
        "{back}"
    );
    let catalog = http
        .get(moto.url("private/site.json"))
        .send()
        .and_then(|r| r.text());
    assert_eq!(catalog.expect("catalog"), good_catalog);
    let page = http
        .get(moto.url("site/en/about/index.html"))
        .send()
        .expect("about");
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        page.headers()["cache-control"],
        "public, max-age=0, must-revalidate"
    );
    let page = page.text().expect("about");
    assert_eq!(page, good_about);
    assert!(!page.contains("Closed for good."));
    assert_eq!(published_keys(&moto), good_keys);

    // The rollback is recorded too, so it can be undone the same way: back 1 is the bad
    // publish, back 2 the good one (the current state: nothing to change).
    let list = stdout(&carte(&moto, &site, &["--list"]));
    assert_eq!(list.lines().count(), 3, "{list}");
    assert!(
        list.lines()
            .next()
            .unwrap_or_default()
            .contains("a rollback to private/publishes/"),
        "{list}"
    );
    assert!(
        list.lines()
            .nth(2)
            .unwrap_or_default()
            .ends_with("(current)"),
        "{list}"
    );
    let undo = stdout(&carte(&moto, &site, &["--rollback", "1", "--dry-run"]));
    assert!(undo.contains("restore private/site.json"), "{undo}");
    let too_far = carte_fails(&moto, &site, &["--rollback", "3"]);
    assert!(
        too_far.contains("cannot go back 3 publish(es): 3 recorded"),
        "{too_far}"
    );
}

/// `carte publish … --dry-run` with the AWS settings given (everything else of AWS's
/// cleared, no instance metadata), expected to fail: its error output.
fn failing_dry_run(site: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = publish_command(site, env)
        .arg("--dry-run")
        .args(args)
        .output()
        .expect("run carte");
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{err}");
    err
}

/// Arguments, environment, the line's ending and a word of its hint.
type Case<'a> = (&'a [&'a str], Vec<(&'a str, &'a str)>, &'a str, &'a str);

#[test]
fn every_aws_failure_is_one_line_with_a_hint() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("shop");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("site-content"),
        &site,
    );
    // Credentials without a region.
    let keys = &TEST_AWS[..2];
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let cases: [Case; 4] = [
        // Offline, or a local S3 that is not running.
        (
            &["--bucket", BUCKET, "--endpoint", &closed],
            keys.to_vec(),
            "S3 could not be reached",
            "--endpoint",
        ),
        // A region but no credentials (it used to print ~950 characters about IMDS).
        (
            &["--bucket", BUCKET],
            vec![("AWS_REGION", "us-east-1")],
            "no AWS credentials were found",
            "AWS_PROFILE",
        ),
        // Credentials but no region.
        (
            &["--bucket", BUCKET],
            keys.to_vec(),
            "no AWS region is set",
            "AWS_REGION",
        ),
        // A bucket that does not exist.
        (
            &["--bucket", "no-such-shop", "--endpoint", &moto.endpoint],
            TEST_AWS.to_vec(),
            "S3 ListObjectsV2 on s3://no-such-shop: the bucket does not exist",
            "--bucket",
        ),
    ];
    for (args, env, what, hint) in cases {
        let err = failing_dry_run(&site, args, &env);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err}");
        assert!(lines[0].starts_with("error: S3 "), "{args:?}: {err}");
        assert!(lines[0].ends_with(what), "{args:?}: {err}");
        assert!(
            lines[1].starts_with("  hint: ") && lines[1].contains(hint),
            "{args:?}: {err}"
        );
        assert!(err.len() < 400, "{args:?}: {} characters: {err}", err.len());
    }

    // Once this folder has published, a dry run that cannot reach S3 compares with
    // what it published last, and says so.
    let created = client().put(moto.url("")).send().expect("create bucket");
    assert!(created.status().is_success(), "{:?}", created.text());
    carte(&moto, &site, &[]);
    assert!(site.join(".carte/published/carte-shop.json").is_file());
    let about = site.join("pages/about.en.md");
    let text = std::fs::read_to_string(&about).expect("read the page");
    std::fs::write(&about, text + "\nOpen on holidays too.\n").expect("edit the page");
    let output = publish_command(&site, &TEST_AWS)
        .args(["--bucket", BUCKET, "--endpoint", &closed, "--dry-run"])
        .output()
        .expect("run carte");
    let out = stdout(&output);
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        out.contains("upload  site/en/about/index.html (changed"),
        "{out}"
    );
    assert!(
        out.contains("S3 was not asked (S3 could not be reached): compared with what this folder last published there"),
        "{out}"
    );
}
