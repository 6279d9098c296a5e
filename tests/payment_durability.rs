//! Stripe's webhook deliveries survive `carte serve` being killed while they arrive
//! (SIGKILL: no shutdown code runs): Stripe delivers every event again after the
//! restart, as it does for any delivery it saw no 2xx for, and each order's ledger
//! holds its payment exactly once. The events are signed by Stripe's own npm library.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use catalog::payment::EntryKind;
use common::{catalog_version, client, dan_dan_cart, demo_copy, Server};
use functions::store::Store as _;
use serde_json::{json, Value};

const ORDERS: usize = 40;
const SECRET: &str = "whsec_carte_durability";
/// Kill once this many deliveries were answered (well before all are sent).
const KILL_AFTER: usize = 12;

fn stripe_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("STRIPE_SECRET_KEY", "sk_test_carte_durability"),
        ("STRIPE_WEBHOOK_SECRET", SECRET),
        // Never called here: webhooks only.
        ("STRIPE_API_BASE", "http://127.0.0.1:9"),
    ]
}

/// `Stripe-Signature` values for each payload, from Stripe's library, signed now.
fn sign(payloads: &[String]) -> Vec<String> {
    let now = chrono::Utc::now().timestamp();
    let input: Vec<Value> = payloads
        .iter()
        .map(|p| json!({"payload": p, "secret": SECRET, "timestamp": now}))
        .collect();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new("node")
        .arg(format!("{root}/functions/tests/payments/stripe_sign.js"))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (and `npm ci` at the repository root) is needed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json!(input).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "stripe_sign.js: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn completed(n: usize, order: &str, total: i64, currency: &str) -> String {
    json!({
        "id": format!("evt_durability_{n}"),
        "object": "event",
        "created": chrono::Utc::now().timestamp(),
        "livemode": false,
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": format!("cs_test_durability_{n}"),
            "object": "checkout.session",
            "amount_total": total,
            "currency": currency.to_ascii_lowercase(),
            "client_reference_id": order,
            "metadata": {"order_id": order},
            "mode": "payment",
            "payment_intent": format!("pi_durability_{n}"),
            "payment_status": "paid",
            "status": "complete",
        }},
    })
    .to_string()
}

fn deliver(
    http: &reqwest::blocking::Client,
    base: &str,
    payload: &str,
    signature: &str,
) -> Option<u16> {
    http.post(format!("{base}/api/payments/stripe/webhook"))
        .header("Stripe-Signature", signature)
        .header("Content-Type", "application/json")
        .body(payload.to_owned())
        .send()
        .ok()
        .map(|r| r.status().as_u16())
}

#[test]
fn webhooks_across_a_sigkill_are_applied_exactly_once() {
    let (_dir, site) = demo_copy();
    let mut server = Server::start_env(&site, &[], &stripe_env());
    let version = catalog_version(&server);
    let http = client();
    let mut orders = Vec::new();
    for n in 0..ORDERS {
        let placed: Value = http
            .post(server.url("/api/orders"))
            .header("Idempotency-Key", format!("paid-durability-{n}"))
            .json(&json!({"cart": dan_dan_cart(1), "version": version}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let id = placed["id"].as_str().expect("an order").to_owned();
        let total = placed["quote"]["total"].as_i64().unwrap();
        let currency = placed["quote"]["currency"].as_str().unwrap().to_owned();
        orders.push((id, total, currency));
    }
    let payloads: Vec<String> = orders
        .iter()
        .enumerate()
        .map(|(n, (id, total, currency))| completed(n, id, *total, currency))
        .collect();
    let signatures = sign(&payloads);

    // Four senders deliver every event while the server is killed under them.
    let answered = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..4)
        .map(|s| {
            let base = server.base.clone();
            let (payloads, signatures) = (payloads.clone(), signatures.clone());
            let (answered, killed) = (answered.clone(), killed.clone());
            thread::spawn(move || {
                let http = client();
                for n in (s..ORDERS).step_by(4) {
                    match deliver(&http, &base, &payloads[n], &signatures[n]) {
                        Some(200) => {
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Some(other) => panic!("delivery {n} answered {other} before the kill"),
                        None => {
                            assert!(killed.load(Ordering::SeqCst), "delivery {n} failed");
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(Instant::now() < deadline, "deliveries too slow");
        thread::sleep(Duration::from_millis(2));
    }
    killed.store(true, Ordering::SeqCst);
    server.kill_hard();
    for sender in senders {
        sender.join().expect("a sender failed");
    }
    let before_restart = answered.load(Ordering::SeqCst);
    assert!(
        before_restart < ORDERS,
        "all deliveries were answered before the kill: nothing was in flight"
    );

    // Stripe delivers again after the restart: every event, acknowledged or not.
    let mut server = Server::start_env(&site, &[], &stripe_env());
    for n in 0..ORDERS {
        assert_eq!(
            deliver(&http, &server.base, &payloads[n], &signatures[n]),
            Some(200),
            "redelivery {n}"
        );
    }
    server.kill_hard();

    // Each order's ledger: exactly one charge, of the order's total, and it is paid.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = functions::SqliteStore::open(site.join(".carte").join("carte.db")).unwrap();
    runtime.block_on(async {
        for (id, total, currency) in &orders {
            let entries = store.payments(id).await.unwrap();
            let charges: Vec<_> = entries
                .iter()
                .filter(|e| e.kind == EntryKind::Charge)
                .collect();
            assert_eq!(charges.len(), 1, "order {id}: {entries:?}");
            assert_eq!(charges[0].amount, *total);
            let summary = catalog::payment::summarize(*total, currency, &entries, None);
            assert_eq!(summary.state, catalog::payment::PaymentState::Paid);
            assert!(summary.mismatches.is_empty());
        }
    });
}
