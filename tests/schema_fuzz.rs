//! Schemathesis (PyPI `schemathesis`, a property-based API fuzzer) against the real
//! `carte serve` of the demo restaurant on 127.0.0.1, on the SQLite file and on a
//! DynamoDB table (Dynoxide on loopback), driven by the server's own
//! `/api/openapi.json`: without a key, with a staff key, and with a marketer key on the
//! marketing routes (visits, reports, exports). Its examples, coverage, fuzzing and
//! stateful phases run with a fixed number of examples per operation and a fixed seed,
//! so the run is bounded (under two minutes on two cores with a debug build, both
//! stores) and repeatable. Zero failures of the four checks the API promises: no 5xx
//! (`not_a_server_error`), only declared statuses (`status_code_conformance`), only
//! declared content types (`content_type_conformance`) and bodies that match their
//! schemas (`response_schema_conformance`).
//!
//! Both payment providers are set up (throwaway keys, their APIs on a closed port), so
//! the notification routes answer as in production rather than "not set up".

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{carte, demo_copy, Dynoxide, Server};

/// Test cases per operation and phase; with [`SEED`], what makes the run bounded.
const MAX_EXAMPLES: &str = "30";
/// The seed of every run, so a failure is found again.
const SEED: &str = "20261207";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Throwaway WeChat Pay keys from the helper the payment tests use.
fn wechat_keys() -> serde_json::Value {
    let helper =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("functions/tests/payments/wechatpay_helper.py");
    let mut child = Command::new(python())
        .arg(&helper)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"op": "keys"}"#)
        .expect("write");
    let output = child.wait_with_output().expect("helper");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("keys")
}

/// One schemathesis run; returns the number of test cases it generated.
fn fuzz(server: &Server, label: &str, extra: &[String], report: &Path) -> u64 {
    let started = Instant::now();
    let mut command = Command::new(python());
    command
        .args(["-m", "schemathesis.cli", "run"])
        .arg(server.url("/api/openapi.json"))
        .args(["--url", &server.url("")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        .args(["--generation-database", "none", "--workers", "2"])
        .args(["--no-color", "--request-timeout", "10"])
        .args(["--report", "junit", "--report-junit-path"])
        .arg(report.join(format!("{label}.xml")));
    command.args(extra);
    // Schemathesis keeps a cache (`.schemathesis/`) in its working folder: the test's own.
    let output = command
        .current_dir(report)
        .stdin(Stdio::null())
        .output()
        .expect("run `python3 -m schemathesis.cli` (`python3 -m pip install schemathesis`)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis ({label}) found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "Test cases:\n  1036 generated, …"
    let cases = stdout
        .split("Test cases:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    eprintln!(
        "schemathesis {label}: {cases} test cases, no failures, in {:.0?}",
        started.elapsed()
    );
    cases
}

/// The payment providers' settings: throwaway keys, their APIs on a closed port.
fn provider_env() -> Vec<(&'static str, String)> {
    let keys = wechat_keys();
    let key = |name: &str| keys[name].as_str().expect("key").to_owned();
    vec![
        ("STRIPE_SECRET_KEY", "sk_test_fuzz".to_owned()),
        ("STRIPE_WEBHOOK_SECRET", "whsec_fuzz".to_owned()),
        ("STRIPE_API_BASE", "http://127.0.0.1:9".to_owned()),
        ("WECHATPAY_MCHID", "1230000109".to_owned()),
        ("WECHATPAY_APPID", "wxd678efh567hg6787".to_owned()),
        (
            "WECHATPAY_MERCHANT_SERIAL_NO",
            "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".to_owned(),
        ),
        ("WECHATPAY_PRIVATE_KEY", key("merchant_private_key")),
        ("WECHATPAY_PUBLIC_KEY", key("platform_public_key")),
        (
            "WECHATPAY_PUBLIC_KEY_ID",
            "PUB_KEY_ID_0112301230001234567890123456".to_owned(),
        ),
        ("WECHATPAY_APIV3_KEY", key("apiv3_key")),
        (
            "WECHATPAY_NOTIFY_URL",
            "https://shop.example/api/payments/wechat/notify".to_owned(),
        ),
        ("WECHATPAY_API_BASE", "http://127.0.0.1:9".to_owned()),
    ]
}

/// A new API key with `role` in the store `store_args` names.
fn api_key(site: &Path, role: &str, store_args: &[&str], env: &[(&str, &str)]) -> String {
    let output = carte()
        .envs(env.iter().copied())
        .args(["keys", "--dir", site.to_str().expect("utf-8")])
        .args(store_args)
        .args(["create", "--role", role])
        .stdin(Stdio::null())
        .output()
        .expect("carte keys");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Every pass on one store: without a key, with a staff key, with a marketer key on the
/// marketing routes. Returns the test cases run.
fn fuzz_store(
    site: &Path,
    store: &str,
    store_args: &[&str],
    env: &[(&str, &str)],
    report: &Path,
) -> u64 {
    let staff = api_key(site, "staff", store_args, env);
    let marketer = api_key(site, "marketer", store_args, env);
    let mut serve_args = vec!["--no-watch"];
    serve_args.extend_from_slice(store_args);
    let server = Server::start_env(site, &serve_args, env);
    let unkeyed = fuzz(&server, &format!("{store}-unkeyed"), &[], report);
    // With a key, the staff event stream is open for as long as the client stays: it
    // has no end for the fuzzer to read (its refusals are fuzzed without a key, and
    // functions/tests/staff_console.rs reads its events).
    let keyed = fuzz(
        &server,
        &format!("{store}-staff-key"),
        &[
            "--header".to_owned(),
            format!("Authorization: Bearer {staff}"),
            "--exclude-path".to_owned(),
            "/api/staff/events".to_owned(),
        ],
        report,
    );
    // A marketer key opens the reports and exports: the marketing routes only.
    let marketing = fuzz(
        &server,
        &format!("{store}-marketer-key"),
        &[
            "--header".to_owned(),
            format!("Authorization: Bearer {marketer}"),
            "--include-tag".to_owned(),
            "marketing".to_owned(),
        ],
        report,
    );
    assert!(
        unkeyed > 0 && keyed > 0 && marketing > 0,
        "no test cases were run on {store}"
    );
    unkeyed + keyed + marketing
}

#[test]
fn schemathesis_finds_no_server_error_and_no_undeclared_answer() {
    let (dir, site) = demo_copy();
    let report = dir.path().join("schemathesis");
    std::fs::create_dir_all(&report).expect("report folder");
    let providers = provider_env();
    let mut env: Vec<(&str, &str)> = providers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let started = Instant::now();
    let on_sqlite = fuzz_store(&site, "sqlite", &[], &env, &report);
    let dynoxide = Dynoxide::start();
    env.extend(dynoxide.env());
    let on_dynamodb = fuzz_store(
        &site,
        "dynamodb",
        &[
            "--store",
            "dynamodb",
            "--table",
            "carte-fuzz",
            "--create-table",
        ],
        &env,
        &report,
    );
    eprintln!(
        "schemathesis: {} test cases ({on_sqlite} on SQLite, {on_dynamodb} on DynamoDB) in {:.0?}",
        on_sqlite + on_dynamodb,
        started.elapsed()
    );
}
