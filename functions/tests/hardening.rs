//! What a hostile tester found (issue 19), over HTTP on the real router: repeat
//! plain-form orders, pickup slots far ahead or booked out by one client, and the
//! security headers of the server-rendered pages.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

mod common;

use base64::Engine as _;
use chrono::Duration;
use common::{fields, header, noon, slot, Fixture};
use functions::store::OrderStatus;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use sha2::Digest as _;

fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// What the static menu page posts with JavaScript off: an empty `idempotency_key`.
fn no_js_form() -> String {
    form_body(&[
        ("location", "alpha"),
        ("mode", "dine_in"),
        ("table", "2"),
        ("qty.dumplings", "1"),
        ("idempotency_key", ""),
        ("lang", "en"),
    ])
}

async fn post_form(client: &Client, base: &str, body: String) -> Response {
    client
        .post(format!("{base}/api/orders"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .body(body)
        .send()
        .await
        .expect("form post")
}

/// The order number on a confirmation page (`A-001`…).
fn number(html: &str) -> String {
    let at = html.find("A-0").expect("an order number");
    html[at..at + 5].to_owned()
}

#[tokio::test]
async fn a_plain_form_sent_twice_within_a_minute_is_one_order_and_later_a_new_one() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    // 50 s into a minute, so the double submit below crosses a window's boundary.
    let start = noon() + Duration::seconds(50);
    fx.clock.set(start);
    let first = post_form(&client, &base, no_js_form()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = number(&first.text().await.expect("html"));
    fx.clock.set(start + Duration::seconds(20));
    let double = post_form(&client, &base, no_js_form()).await;
    assert_eq!(double.status(), StatusCode::OK, "a double submit");
    assert_eq!(number(&double.text().await.expect("html")), first);
    assert_eq!(fx.store.queue("alpha", &[], 10).await.expect("q").len(), 1);

    // The same table orders the same dish again, five minutes later: a new order.
    fx.clock.set(start + Duration::minutes(5));
    let later = post_form(&client, &base, no_js_form()).await;
    assert_eq!(
        later.status(),
        StatusCode::CREATED,
        "a later identical order"
    );
    let later_number = number(&later.text().await.expect("html"));
    assert_ne!(later_number, first);
    let queue = fx.store.queue("alpha", &[], 10).await.expect("queue");
    assert_eq!(queue.len(), 2);

    // Staff cancel it; the diner sends the same form again at once: a new order, not
    // "thank you" with the cancelled one.
    let cancelled = queue
        .iter()
        .find(|o| o.number == later_number)
        .expect("the later order");
    fx.store
        .set_status(
            &cancelled.id,
            OrderStatus::Cancelled,
            "counter",
            None,
            start + Duration::minutes(5),
        )
        .await
        .expect("cancel");
    fx.clock
        .set(start + Duration::minutes(5) + Duration::seconds(10));
    let again = post_form(&client, &base, no_js_form()).await;
    assert_eq!(again.status(), StatusCode::CREATED, "after a cancellation");
    let again_number = number(&again.text().await.expect("html"));
    assert_ne!(again_number, later_number);
    let live = fx
        .store
        .queue("alpha", &[OrderStatus::Received], 10)
        .await
        .expect("queue");
    assert_eq!(
        live.len(),
        2,
        "the first order and the new one reach the kitchen"
    );
}

fn pickup_order(fx: &Fixture, at: &str) -> Value {
    json!({"cart": {
        "location": "alpha",
        "fulfilment": {"mode": "pickup", "slot": at},
        "lines": [{"dish": "dumplings", "quantity": 1}]
    }, "version": fx.version()})
}

async fn order(client: &Client, base: &str, key: &str, body: &Value) -> Response {
    client
        .post(format!("{base}/api/orders"))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("order")
}

#[tokio::test]
async fn pickup_slots_beyond_the_locations_horizon_are_refused_naming_the_field() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    // `alpha` takes pickup orders for today and tomorrow (the default `days_ahead`).
    for (n, far) in [
        "9999-12-31T15:45:00Z".to_owned(),
        (slot() + Duration::days(2)).to_rfc3339(),
    ]
    .iter()
    .enumerate()
    {
        let response = order(&client, &base, &format!("far-{n}"), &pickup_order(&fx, far)).await;
        let problem =
            common::problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-cart").await;
        assert_eq!(fields(&problem), ["cart.fulfilment.slot"], "{far}");
        assert!(problem.to_string().contains("next 1 day"), "{problem}");
        let quote = client
            .post(format!("{base}/api/quote"))
            .json(&json!({"cart": pickup_order(&fx, far)["cart"]}))
            .send()
            .await
            .expect("quote");
        assert_eq!(quote.status(), StatusCode::UNPROCESSABLE_ENTITY, "{far}");
    }
    let tomorrow = (slot() + Duration::days(1)).to_rfc3339();
    let response = order(&client, &base, "tomorrow", &pickup_order(&fx, &tomorrow)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // The plain form is refused with the field named too.
    let form = form_body(&[
        ("location", "alpha"),
        ("mode", "pickup"),
        ("slot", "9999-12-31T15:45:00Z"),
        ("qty.dumplings", "1"),
    ]);
    let response = post_form(&client, &base, form).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("today and the next 1 day"));
}

#[tokio::test]
async fn one_client_cannot_book_out_the_pickup_slots() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    // A refused order costs nothing.
    let refused = order(
        &client,
        &base,
        "refused",
        &pickup_order(&fx, "9999-12-31T15:45:00Z"),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let slots: Vec<String> = (0..5)
        .map(|n| (slot() + Duration::minutes(15 * n)).to_rfc3339())
        .collect();
    for (n, at) in slots.iter().take(4).enumerate() {
        let response = order(&client, &base, &format!("p-{n}"), &pickup_order(&fx, at)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "order {n}");
    }
    // A retry is answered with its order, whatever the limit.
    let retry = order(&client, &base, "p-0", &pickup_order(&fx, &slots[0])).await;
    assert_eq!(retry.status(), StatusCode::OK);
    let fifth = order(&client, &base, "p-4", &pickup_order(&fx, &slots[4])).await;
    let retry_after: u64 = header(&fifth, "retry-after").parse().expect("seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    common::problem(fifth, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
    // The slot keeps its places for everyone else; dine-in orders are not limited.
    assert_eq!(fx.store.queue("alpha", &[], 10).await.expect("q").len(), 4);
    let mut dine_in = pickup_order(&fx, &slots[4]);
    dine_in["cart"]["fulfilment"] = json!({"mode": "dine_in", "table": "1"});
    let response = order(&client, &base, "table", &dine_in).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// The `sha256-…` source of the page's inline style.
fn style_hash(html: &str) -> String {
    let start = html.find("<style>").expect("a style") + "<style>".len();
    let end = html.find("</style>").expect("its end");
    let digest = sha2::Sha256::digest(&html.as_bytes()[start..end]);
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn assert_page_headers(response: &Response, what: &str) {
    assert_eq!(
        header(response, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    let csp = header(response, "content-security-policy");
    for part in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    assert!(!csp.contains("script-src"), "{what}: no script at all");
    assert_eq!(header(response, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header(response, "x-frame-options"), "DENY", "{what}");
}

#[tokio::test]
async fn server_rendered_pages_carry_the_security_headers() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let confirmation = post_form(&client, &base, no_js_form()).await;
    assert_eq!(confirmation.status(), StatusCode::CREATED);
    assert_page_headers(&confirmation, "confirmation");
    let csp = header(&confirmation, "content-security-policy");
    let html = confirmation.text().await.expect("html");
    assert!(
        csp.contains(&style_hash(&html)),
        "the inline style is allowed"
    );
    let start = html.find("/api/orders/").expect("a status link");
    let end = start + html[start..].find('"').expect("link end");
    let status_url = html[start..end].replace("&amp;", "&");
    let status = client
        .get(format!("{base}{status_url}"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("status page");
    assert_eq!(status.status(), StatusCode::OK);
    assert_page_headers(&status, "status");
    let error = post_form(&client, &base, form_body(&[("location", "alpha")])).await;
    assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_page_headers(&error, "error page");
    // JSON answers are not sniffed either.
    let health = client
        .get(format!("{base}/api/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(header(&health, "x-content-type-options"), "nosniff");
}
