//! "Your order is ready" by Web Push, end to end on 127.0.0.1: the diner's browser
//! subscribes through the real router, staff mark the order ready, and a push service
//! started here (`tests/push/push_service.py`) decrypts the message with pywebpush's
//! `http_ece` and verifies its VAPID token with `cryptography` — implementations
//! independent of Carte's. A subscription the push service says is gone is dropped;
//! a completed order's browsers are asked for a rating, and an order that is over keeps
//! no subscription.
#![cfg(feature = "sqlite")]

mod common;

use std::time::Duration;

use common::{cart_json, fields, send, set_status, site, Fixture, Reporter};
use functions::push::{Push, Vapid};
use functions::store::Role;
use functions::Catalog;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// The push service: the subscriptions it handed out (`first`), then a report per message.
async fn push_service() -> Reporter {
    Reporter::start(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/push/push_service.py"),
        "pywebpush",
    )
    .await
}

/// A fixture whose site speaks English and Chinese, with push to 127.0.0.1.
fn fixture(vapid: &Vapid) -> Fixture {
    let mut fx = Fixture::new();
    let mut bilingual = site();
    bilingual.settings.languages = vec!["en".into(), "zh".into()];
    fx.state.set_catalog(Catalog::new(bilingual));
    fx.state = fx.state.clone().with_push(Some(
        Push::new(vapid.clone()).with_hosts(vec!["127.0.0.1".into()]),
    ));
    fx
}

/// Places the standard dine-in order (table 1); returns (id, token, number).
async fn place(client: &Client, base: &str, fx: &Fixture) -> (String, String, String) {
    let placed: Value = send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", format!("push-{}", rand_key()))
            .json(&json!({"cart": cart_json(), "version": fx.version()})),
    )
    .await
    .json()
    .await
    .expect("json");
    let text = |k: &str| placed[k].as_str().expect(k).to_owned();
    (text("id"), text("token"), text("number"))
}

fn rand_key() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_order_is_pushed_encrypted_for_the_browser_and_signed_for_the_push_service() {
    let mut service = push_service().await;
    let vapid = Vapid::generate();
    let fx = fixture(&vapid);
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let (id, token, number) = place(&client, &base, &fx).await;
    let push_url = format!("{base}/api/orders/{id}/push?token={token}");

    // The status carries the shop's public key while the order is open.
    let status: Value = send(
        client
            .get(format!("{base}/api/orders/{id}?token={token}"))
            .header("accept", "application/json"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(status["push_key"], vapid.public_key());

    // The browser subscribes (in Chinese); a second one the push service will call gone.
    let mut live = service.first["live"].clone();
    live["lang"] = json!("zh");
    live["expirationTime"] = Value::Null;
    let r = send(client.post(&push_url).json(&live)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let mut gone = service.first["gone"].clone();
    gone["lang"] = json!("en");
    let r = send(client.post(&push_url).json(&gone)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        fx.store.push_subscriptions(&id).await.expect("list").len(),
        2
    );

    // A wrong token reads like no order; bad subscriptions name their fields.
    let r = send(
        client
            .post(format!("{base}/api/orders/{id}/push?token=wrong"))
            .json(&live),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let bad = json!({
        "endpoint": "http://169.254.169.254/latest/meta-data",
        "keys": {"p256dh": "AAAA", "auth": "short"}
    });
    let r = send(client.post(&push_url).json(&bad)).await;
    let problem = common::problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation-failed").await;
    assert_eq!(fields(&problem), ["endpoint", "keys.p256dh", "keys.auth"]);

    // Accepted and preparing tell nobody; ready does.
    set_status(&client, &base, &staff, &id, "accepted").await;
    set_status(&client, &base, &staff, &id, "preparing").await;
    assert!(service.quiet_for(Duration::from_millis(300)).await);
    set_status(&client, &base, &staff, &id, "ready").await;
    let mut reports = [service.next().await, service.next().await];
    reports.sort_by_key(|r| r["path"].as_str().unwrap_or_default().to_owned());
    let (gone_report, live_report) = (&reports[0], &reports[1]);
    assert_eq!(gone_report["path"], "/push/gone");
    assert_eq!(live_report["path"], "/push/live");
    assert_eq!(live_report["decrypt_error"], Value::Null, "{live_report}");
    assert_eq!(live_report["encoding"], "aes128gcm");
    assert_eq!(live_report["ttl"], "3600");
    assert_eq!(live_report["urgency"], "high");
    let message = &live_report["message"];
    assert_eq!(message["title"], format!("订单 {number} 已做好"));
    assert_eq!(message["body"], "马上送到 1 号桌。");
    assert_eq!(message["order"], id.as_str());
    assert_eq!(message["url"], "/zh/status/");
    let checked = &live_report["vapid"];
    assert_eq!(checked["verified"], true, "{live_report}");
    assert_eq!(checked["audience_ok"], true, "{live_report}");
    assert_eq!(checked["expiry_ok"], true, "{live_report}");
    assert_eq!(checked["header"]["alg"], "ES256");
    assert_eq!(checked["key"], vapid.public_key());

    // The gone one is dropped; the live one is kept until the order is over.
    let kept = fx.store.push_subscriptions(&id).await.expect("list");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].endpoint.ends_with("/push/live"));
    // Ready now: no further subscription, and no key offered.
    let r = send(client.post(&push_url).json(&live)).await;
    common::problem(r, StatusCode::CONFLICT, "push-refused").await;
    // Completed: "how was your meal?" to the browser, then nothing is kept.
    set_status(&client, &base, &staff, &id, "completed").await;
    let asked = service.next().await;
    assert_eq!(asked["path"], "/push/live");
    assert_eq!(asked["message"]["title"], "这餐怎么样？");
    assert_eq!(
        asked["message"]["body"],
        format!("点一下为订单 {number} 评分。")
    );
    assert_eq!(asked["message"]["tag"], format!("order-{id}"));
    assert!(fx
        .store
        .push_subscriptions(&id)
        .await
        .expect("list")
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_push_is_not_offered() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let (id, token, _) = place(&client, &base, &fx).await;
    let status: Value = send(
        client
            .get(format!("{base}/api/orders/{id}?token={token}"))
            .header("accept", "application/json"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(status["status"], "received");
    assert!(status.get("push_key").is_none(), "{status}");
    let r = send(
        client
            .post(format!("{base}/api/orders/{id}/push?token={token}"))
            .json(&json!({"endpoint": "https://fcm.googleapis.com/fcm/send/x",
                          "keys": {"p256dh": "x", "auth": "y"}})),
    )
    .await;
    common::problem(r, StatusCode::SERVICE_UNAVAILABLE, "push-not-configured").await;
}
