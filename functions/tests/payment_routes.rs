//! Payment routes through the real router on 127.0.0.1, on a SQLite store: counter
//! payments and refunds (`POST /api/staff/orders/{id}/payments`, `…/refunds`), the
//! payment state on the diner's status (`GET /api/orders/{id}`), and provider
//! notifications (`POST /api/payments/stripe/webhook`, signed by Stripe's own npm
//! library; `POST /api/payments/wechat/notify`).
#![cfg(feature = "sqlite")]

mod common;
#[path = "payments/support.rs"]
mod support;

use common::{cart_json, fetch_json, fields, noon, send, Fixture};
use functions::payments::Providers;
use functions::store::Role;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

/// A placed order: its id, token and total.
struct Placed {
    id: String,
    token: String,
    total: i64,
}

async fn place(fx: &Fixture, client: &Client, base: &str) -> Placed {
    let response = send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", format!("order-{}", rand_suffix()))
            .json(&json!({"cart": cart_json(), "version": fx.version()})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    Placed {
        id: body["id"].as_str().unwrap().to_owned(),
        token: body["token"].as_str().unwrap().to_owned(),
        total: body["quote"]["total"].as_i64().unwrap(),
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Posts `body` to the order's `payments` or `refunds` with a staff key and `Idempotency-Key: idem`.
async fn post(
    client: &Client,
    base: &str,
    what: &str,
    order: &str,
    key: &str,
    idem: Option<&str>,
    body: &Value,
) -> Response {
    let mut request = client
        .post(format!("{base}/api/staff/orders/{order}/{what}"))
        .bearer_auth(key)
        .json(body);
    if let Some(idem) = idem {
        request = request.header("Idempotency-Key", idem);
    }
    send(request).await
}

async fn status(client: &Client, base: &str, order: &Placed) -> Value {
    fetch_json(client.get(format!(
        "{base}/api/orders/{}?token={}",
        order.id, order.token
    )))
    .await
}

async fn ledger_len(fx: &Fixture, order: &str) -> usize {
    fx.store.payments(order).await.unwrap().len()
}

#[tokio::test]
async fn cash_with_change_due_is_recorded_once_and_shown_to_the_diner() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let order = place(&fx, &client, &base).await;

    let before = status(&client, &base, &order).await;
    assert_eq!(
        before["payment"],
        json!({"state": "unpaid", "paid": 0, "due": order.total})
    );
    assert_eq!(before["number"].as_str().map(|n| !n.is_empty()), Some(true));

    let tender = json!({"method": "cash", "amount": order.total, "tendered": order.total + 500});
    let first = post(
        &client,
        &base,
        "payments",
        &order.id,
        &staff,
        Some("t-1"),
        &tender,
    )
    .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["change_due"], 500);
    assert_eq!(first["entry"]["kind"], "charge");
    assert_eq!(first["entry"]["method"], "cash");
    assert_eq!(first["entry"]["index"], 0);
    assert!(first["entry"]["by"]
        .as_str()
        .unwrap()
        .starts_with("staff ("));
    assert_eq!(first["payment"]["state"], "paid");
    assert_eq!(first["payment"]["paid"], order.total);
    assert_eq!(first["payment"]["due"], 0);
    assert_eq!(first["payment"]["mismatches"], json!([]));

    // The same key again: the same entry, nothing appended, 200.
    let again = post(
        &client,
        &base,
        "payments",
        &order.id,
        &staff,
        Some("t-1"),
        &tender,
    )
    .await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["entry"], first["entry"]);
    assert_eq!(again["payment"], first["payment"]);
    assert_eq!(ledger_len(&fx, &order.id).await, 1);

    // The same key for another payment is a mistake the caller sees.
    let other = json!({"method": "card_terminal", "amount": order.total});
    let conflict = post(
        &client,
        &base,
        "payments",
        &order.id,
        &staff,
        Some("t-1"),
        &other,
    )
    .await;
    common::problem(
        conflict,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-conflict",
    )
    .await;
    assert_eq!(ledger_len(&fx, &order.id).await, 1);

    let after = status(&client, &base, &order).await;
    assert_eq!(
        after["payment"],
        json!({"state": "paid", "paid": order.total, "due": 0})
    );
    // The existing fields are still there.
    for field in [
        "id",
        "number",
        "status",
        "location",
        "fulfilment",
        "times",
        "quote",
    ] {
        assert!(!after[field].is_null(), "{field} missing");
    }
}

#[tokio::test]
async fn a_second_payment_is_a_mismatch_and_never_counts() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let order = place(&fx, &client, &base).await;

    let short = json!({"method": "counter_qr", "amount": order.total - 1, "reference": "QR-77"});
    let response = post(
        &client,
        &base,
        "payments",
        &order.id,
        &staff,
        Some("s-1"),
        &short,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["payment"]["state"], "unpaid");
    assert_eq!(body["payment"]["due"], order.total);
    assert_eq!(body["payment"]["mismatches"][0]["index"], 0);
    assert_eq!(body["entry"]["reference"], "QR-77");
    assert!(body.get("change_due").is_none());

    let card = json!({"method": "card_terminal", "amount": order.total});
    let paid = post(
        &client,
        &base,
        "payments",
        &order.id,
        &staff,
        Some("s-2"),
        &card,
    )
    .await;
    assert_eq!(paid.status(), StatusCode::CREATED);
    let paid: Value = paid.json().await.unwrap();
    assert_eq!(paid["payment"]["state"], "paid");
    assert_eq!(paid["payment"]["mismatches"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn refunds_never_exceed_what_was_paid() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let order = place(&fx, &client, &base).await;
    let refund = |amount: i64| json!({"amount": amount, "method": "cash", "reason": "cold soup"});

    // Nothing paid: nothing to give back, nothing recorded.
    let early = post(
        &client,
        &base,
        "refunds",
        &order.id,
        &staff,
        Some("r-0"),
        &refund(100),
    )
    .await;
    common::problem(early, StatusCode::CONFLICT, "refund-refused").await;
    assert_eq!(ledger_len(&fx, &order.id).await, 0);

    let pay = json!({"method": "card_terminal", "amount": order.total});
    let paid = post(
        &client,
        &base,
        "payments",
        &order.id,
        &staff,
        Some("p-1"),
        &pay,
    )
    .await;
    assert_eq!(paid.status(), StatusCode::CREATED);

    let part = post(
        &client,
        &base,
        "refunds",
        &order.id,
        &staff,
        Some("r-1"),
        &refund(100),
    )
    .await;
    assert_eq!(part.status(), StatusCode::CREATED);
    let part: Value = part.json().await.unwrap();
    assert_eq!(part["entry"]["kind"], "refund");
    assert_eq!(part["entry"]["reference"], "cold soup");
    assert_eq!(part["payment"]["state"], "partially_refunded");
    assert_eq!(part["payment"]["refunded"], 100);
    assert_eq!(part["payment"]["refundable"], order.total - 100);

    // One minor unit more than is left is refused, and the key stays free.
    let over = refund(order.total - 99);
    let too_much = post(
        &client,
        &base,
        "refunds",
        &order.id,
        &staff,
        Some("r-2"),
        &over,
    )
    .await;
    let problem = common::problem(too_much, StatusCode::CONFLICT, "refund-refused").await;
    assert!(problem["detail"].is_string());
    assert_eq!(ledger_len(&fx, &order.id).await, 2);

    let rest = refund(order.total - 100);
    let all = post(
        &client,
        &base,
        "refunds",
        &order.id,
        &staff,
        Some("r-2"),
        &rest,
    )
    .await;
    assert_eq!(all.status(), StatusCode::CREATED);
    let all: Value = all.json().await.unwrap();
    assert_eq!(all["payment"]["state"], "refunded");
    assert_eq!(all["payment"]["refundable"], 0);
    let shown = status(&client, &base, &order).await;
    assert_eq!(shown["payment"]["state"], "refunded");
}

#[tokio::test]
async fn only_staff_with_a_key_and_a_valid_request_records_anything() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let marketer = fx.key(Role::Marketer).await;
    let order = place(&fx, &client, &base).await;
    let tender = json!({"method": "cash", "amount": order.total});
    let url = format!("{base}/api/staff/orders/{}/payments", order.id);

    let anonymous = send(
        client
            .post(&url)
            .header("Idempotency-Key", "a-1")
            .json(&tender),
    )
    .await;
    common::problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let wrong_role = post(
        &client,
        &base,
        "payments",
        &order.id,
        &marketer,
        Some("a-2"),
        &tender,
    )
    .await;
    common::problem(wrong_role, StatusCode::FORBIDDEN, "forbidden").await;
    let refund = json!({"amount": 1, "method": "cash", "reason": "x"});
    let wrong_role = post(
        &client,
        &base,
        "refunds",
        &order.id,
        &marketer,
        Some("a-3"),
        &refund,
    )
    .await;
    common::problem(wrong_role, StatusCode::FORBIDDEN, "forbidden").await;
    let no_key = post(&client, &base, "payments", &order.id, &staff, None, &tender).await;
    common::problem(no_key, StatusCode::BAD_REQUEST, "idempotency-key-required").await;

    let invalid = [
        (
            json!({"method": "bitcoin", "amount": order.total}),
            "method",
        ),
        (json!({"method": "stripe", "amount": order.total}), "method"),
        (json!({"method": "cash", "amount": 0}), "amount"),
        (json!({"method": "cash", "amount": -5}), "amount"),
        (
            json!({"method": "card_terminal", "amount": order.total, "tendered": order.total}),
            "tendered",
        ),
        (
            json!({"method": "cash", "amount": order.total, "tendered": 1}),
            "tendered",
        ),
    ];
    for (i, (body, field)) in invalid.iter().enumerate() {
        let idem = format!("v-{i}");
        let response = post(
            &client,
            &base,
            "payments",
            &order.id,
            &staff,
            Some(&idem),
            body,
        )
        .await;
        let problem = common::problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(fields(&problem), vec![field.to_string()], "{body}");
    }
    let no_reason = json!({"amount": 1, "method": "cash", "reason": " "});
    let response = post(
        &client,
        &base,
        "refunds",
        &order.id,
        &staff,
        Some("v-r"),
        &no_reason,
    )
    .await;
    let problem = common::problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(fields(&problem), vec!["reason".to_owned()]);
    let unknown_field = json!({"method": "cash", "amount": 1, "paid": true});
    let response = post(
        &client,
        &base,
        "payments",
        &order.id,
        &staff,
        Some("v-u"),
        &unknown_field,
    )
    .await;
    common::problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body").await;
    let missing = post(
        &client,
        &base,
        "payments",
        "ord_nope",
        &staff,
        Some("v-m"),
        &tender,
    )
    .await;
    common::problem(missing, StatusCode::NOT_FOUND, "not-found").await;

    assert_eq!(ledger_len(&fx, &order.id).await, 0);
}

#[tokio::test]
async fn the_openapi_document_describes_the_counter_routes() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let doc = fetch_json(Client::new().get(format!("{base}/api/openapi.json"))).await;
    common::assert_operations(
        &doc,
        &[
            ("/api/staff/orders/{id}/payments", "post"),
            ("/api/staff/orders/{id}/refunds", "post"),
        ],
    );
    let view = &doc["components"]["schemas"]["OrderView"]["properties"];
    assert!(view["payment"].is_object(), "{view}");
}

#[tokio::test]
async fn the_console_takes_payments_only_from_its_own_pages() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let order = place(&fx, &client, &base).await;
    let signed_in = send(
        client
            .post(format!("{base}/api/staff/session"))
            .header("Sec-Fetch-Site", "same-origin")
            .json(&json!({ "key": staff })),
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = common::header(&signed_in, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let tender = json!({"method": "cash", "amount": order.total, "tendered": order.total});
    let url = format!("{base}/api/staff/orders/{}/payments", order.id);
    let from = |site: &str| {
        client
            .post(&url)
            .header("Cookie", &cookie)
            .header("Sec-Fetch-Site", site)
            .header("Idempotency-Key", "c-1")
            .json(&tender)
    };
    let forged = send(from("cross-site")).await;
    common::problem(forged, StatusCode::FORBIDDEN, "cross-site").await;
    assert_eq!(ledger_len(&fx, &order.id).await, 0);
    let taken = send(from("same-origin")).await;
    assert_eq!(taken.status(), StatusCode::CREATED);
    let taken: Value = taken.json().await.unwrap();
    assert_eq!(taken["change_due"], 0);
    assert!(taken["entry"]["by"].as_str().unwrap().contains("staff"));
}

const WEBHOOK_SECRET: &str = "whsec_carte_routes_0123456789abcdef";
const NPM: &str = "run `npm ci` at the repository root (it installs the npm package `stripe`)";

/// A fixture whose state has Stripe set up (its API on a closed port: never called).
fn with_stripe() -> Fixture {
    let mut fx = Fixture::new();
    let providers = Providers::from_lookup(&|name| match name {
        "STRIPE_SECRET_KEY" => Some("sk_test_carte_routes".to_owned()),
        "STRIPE_WEBHOOK_SECRET" => Some(WEBHOOK_SECRET.to_owned()),
        "STRIPE_API_BASE" => Some("http://127.0.0.1:9".to_owned()),
        _ => None,
    });
    assert!(providers.as_ref().is_some_and(|p| p.stripe.is_some()));
    fx.state = fx.state.clone().with_payments(providers);
    fx
}

/// `Stripe-Signature` values from Stripe's library for each (payload, secret), at the
/// fixture's "now".
async fn stripe_sign(cases: &[(&str, &str)]) -> Vec<String> {
    let input: Vec<Value> = cases
        .iter()
        .map(|(payload, secret)| {
            json!({"payload": payload, "secret": secret, "timestamp": noon().timestamp()})
        })
        .collect();
    serde_json::from_value(support::helper("node", "stripe_sign.js", &json!(input), NPM).await)
        .unwrap()
}

/// A Stripe event of `kind` about a Checkout Session for `order`, as Stripe sends it.
fn session_event(id: &str, kind: &str, order: &Placed, currency: &str) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": noon().timestamp(),
        "livemode": false,
        "type": kind,
        "data": {"object": {
            "id": "cs_test_routes_1",
            "object": "checkout.session",
            "amount_total": order.total,
            "currency": currency,
            "client_reference_id": order.id,
            "metadata": {"order_id": order.id},
            "mode": "payment",
            "payment_intent": "pi_routes_1",
            "payment_status": if kind == "checkout.session.async_payment_failed" { "unpaid" } else { "paid" },
            "status": "complete",
        }},
    })
    .to_string()
}

/// Stripe's `charge.refunded` with the running total refunded.
fn refunded_event(id: &str, order: &Placed, currency: &str, refunded: i64) -> String {
    json!({
        "id": id,
        "object": "event",
        "created": noon().timestamp(),
        "livemode": false,
        "type": "charge.refunded",
        "data": {"object": {
            "id": "ch_routes_1",
            "object": "charge",
            "amount": order.total,
            "amount_refunded": refunded,
            "currency": currency,
            "payment_intent": "pi_routes_1",
            "metadata": {"order_id": order.id},
            "refunded": refunded == order.total,
        }},
    })
    .to_string()
}

async fn deliver(client: &Client, base: &str, payload: &str, signature: &str) -> Response {
    send(
        client
            .post(format!("{base}/api/payments/stripe/webhook"))
            .header("Stripe-Signature", signature)
            .header("Content-Type", "application/json")
            .body(payload.to_owned()),
    )
    .await
}

async fn currency_of(client: &Client, base: &str, order: &Placed) -> String {
    status(client, base, order).await["quote"]["currency"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_stripe_event_delivered_ten_times_at_once_is_one_entry() {
    let fx = with_stripe();
    let base = fx.serve().await;
    let client = Client::new();
    let order = place(&fx, &client, &base).await;
    let currency = currency_of(&client, &base, &order).await;
    let payload = session_event(
        "evt_routes_paid",
        "checkout.session.completed",
        &order,
        &currency,
    );
    let signature = stripe_sign(&[(&payload, WEBHOOK_SECRET)]).await.remove(0);

    let deliveries: Vec<_> = (0..10)
        .map(|_| {
            let (client, base) = (client.clone(), base.clone());
            let (payload, signature) = (payload.clone(), signature.clone());
            tokio::spawn(async move {
                let response = deliver(&client, &base, &payload, &signature).await;
                assert_eq!(response.status(), StatusCode::OK);
                response.json::<Value>().await.unwrap()
            })
        })
        .collect();
    let mut recorded = 0;
    for delivery in deliveries {
        let body = delivery.await.unwrap();
        assert_eq!(body["received"], true);
        recorded += usize::from(body["recorded"] == true);
    }
    assert_eq!(recorded, 1);
    let ledger = fx.store.payments(&order.id).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].by, "stripe");
    assert_eq!(ledger[0].reference.as_deref(), Some("pi_routes_1"));
    assert_eq!(
        status(&client, &base, &order).await["payment"],
        json!({"state": "paid", "paid": order.total, "due": 0})
    );
    // A late repeat, one more time: 200, nothing new.
    let again = deliver(&client, &base, &payload, &signature).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(ledger_len(&fx, &order.id).await, 1);
}

#[tokio::test]
async fn tampered_or_mis_signed_stripe_events_are_refused_and_change_nothing() {
    let fx = with_stripe();
    let base = fx.serve().await;
    let client = Client::new();
    let order = place(&fx, &client, &base).await;
    let currency = currency_of(&client, &base, &order).await;
    let payload = session_event(
        "evt_routes_t",
        "checkout.session.completed",
        &order,
        &currency,
    );
    let signed = stripe_sign(&[
        (&payload, WEBHOOK_SECRET),
        (&payload, "whsec_someone_else_entirely"),
    ])
    .await;
    let tampered = payload.replace(
        &format!("\"amount_total\":{}", order.total),
        "\"amount_total\":1",
    );
    assert_ne!(tampered, payload);

    let refused = deliver(&client, &base, &tampered, &signed[0]).await;
    let body = common::problem(refused, StatusCode::BAD_REQUEST, "notification-refused").await;
    assert!(!body["detail"].as_str().unwrap().contains(WEBHOOK_SECRET));
    let wrong_secret = deliver(&client, &base, &payload, &signed[1]).await;
    common::problem(
        wrong_secret,
        StatusCode::BAD_REQUEST,
        "notification-refused",
    )
    .await;
    let unsigned = send(
        client
            .post(format!("{base}/api/payments/stripe/webhook"))
            .body(payload.clone()),
    )
    .await;
    common::problem(unsigned, StatusCode::BAD_REQUEST, "notification-refused").await;
    assert_eq!(ledger_len(&fx, &order.id).await, 0);
    assert_eq!(
        status(&client, &base, &order).await["payment"]["state"],
        "unpaid"
    );
}

#[tokio::test]
async fn stripe_failures_and_cumulative_refunds_are_applied_once_each() {
    let fx = with_stripe();
    let base = fx.serve().await;
    let client = Client::new();
    let order = place(&fx, &client, &base).await;
    let currency = currency_of(&client, &base, &order).await;
    let failed = session_event(
        "evt_f",
        "checkout.session.async_payment_failed",
        &order,
        &currency,
    );
    let paid = session_event(
        "evt_p",
        "checkout.session.async_payment_succeeded",
        &order,
        &currency,
    );
    let refund_300 = refunded_event("evt_r1", &order, &currency, 300);
    let refund_500 = refunded_event("evt_r2", &order, &currency, 500);
    let signed = stripe_sign(&[
        (&failed, WEBHOOK_SECRET),
        (&paid, WEBHOOK_SECRET),
        (&refund_300, WEBHOOK_SECRET),
        (&refund_500, WEBHOOK_SECRET),
    ])
    .await;

    // A refund before its payment is in the ledger: refused, Stripe delivers it again.
    let early = deliver(&client, &base, &refund_300, &signed[2]).await;
    common::problem(early, StatusCode::CONFLICT, "refund-refused").await;

    assert_eq!(
        deliver(&client, &base, &failed, &signed[0]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        status(&client, &base, &order).await["payment"]["state"],
        "failed"
    );
    // Then paid, a refund to 300, and, out of order and repeated, the running total
    // 500 (adds 200) and the old 300 again (adds nothing).
    for (event, signature) in [
        (&paid, &signed[1]),
        (&refund_300, &signed[2]),
        (&refund_500, &signed[3]),
        (&refund_300, &signed[2]),
        (&refund_500, &signed[3]),
    ] {
        assert_eq!(
            deliver(&client, &base, event, signature).await.status(),
            StatusCode::OK
        );
    }

    let ledger = fx.store.payments(&order.id).await.unwrap();
    let amounts: Vec<(String, i64)> = ledger
        .iter()
        .map(|e| (format!("{:?}", e.kind), e.amount))
        .collect();
    assert_eq!(
        amounts,
        vec![
            ("Failure".to_owned(), order.total),
            ("Charge".to_owned(), order.total),
            ("Refund".to_owned(), 300),
            ("Refund".to_owned(), 200),
        ]
    );
    let shown = status(&client, &base, &order).await;
    assert_eq!(shown["payment"]["state"], "partially_refunded");
    assert_eq!(shown["payment"]["due"], 500);
}

#[tokio::test]
async fn provider_routes_without_providers_answer_503() {
    let fx = Fixture::new();
    let fx = Fixture {
        state: fx.state.clone().with_payments(None),
        ..fx
    };
    let base = fx.serve().await;
    let client = Client::new();
    let stripe = send(
        client
            .post(format!("{base}/api/payments/stripe/webhook"))
            .header("Stripe-Signature", "t=1,v1=00")
            .body("{}"),
    )
    .await;
    common::problem(
        stripe,
        StatusCode::SERVICE_UNAVAILABLE,
        "payments-not-configured",
    )
    .await;
    let wechat = send(
        client
            .post(format!("{base}/api/payments/wechat/notify"))
            .body("{}"),
    )
    .await;
    let body = common::problem(
        wechat,
        StatusCode::SERVICE_UNAVAILABLE,
        "payments-not-configured",
    )
    .await;
    // WeChat Pay's documented failure answer, inside the problem.
    assert_eq!(body["code"], "FAIL");
    assert!(body["message"].is_string());
    // Stripe set up, WeChat Pay not: only WeChat Pay's route is off.
    let fx = with_stripe();
    let base = fx.serve().await;
    let wechat = send(
        client
            .post(format!("{base}/api/payments/wechat/notify"))
            .body("{}"),
    )
    .await;
    common::problem(
        wechat,
        StatusCode::SERVICE_UNAVAILABLE,
        "payments-not-configured",
    )
    .await;
    let doc = fetch_json(client.get(format!("{base}/api/openapi.json"))).await;
    common::assert_operations(
        &doc,
        &[
            ("/api/payments/stripe/webhook", "post"),
            ("/api/payments/wechat/notify", "post"),
        ],
    );
}

const PIP: &str = "run `python3 -m pip install wechatpayv3`";
const WECHAT_MCHID: &str = "1230000109";
const WECHAT_KEY_ID: &str = "PUB_KEY_ID_0112301230001234567890123456";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_pay_notifications_from_wechatpayv3_are_applied_once_and_forged_ones_refused() {
    let keys = support::helper(
        "python3",
        "wechatpay_helper.py",
        &json!({"op": "keys"}),
        PIP,
    )
    .await;
    let key = |name: &str| keys[name].as_str().unwrap().to_owned();
    let settings = std::collections::HashMap::from([
        ("WECHATPAY_MCHID", WECHAT_MCHID.to_owned()),
        ("WECHATPAY_APPID", "wxd678efh567hg6787".to_owned()),
        (
            "WECHATPAY_MERCHANT_SERIAL_NO",
            "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".to_owned(),
        ),
        ("WECHATPAY_PRIVATE_KEY", key("merchant_private_key")),
        ("WECHATPAY_PUBLIC_KEY", key("platform_public_key")),
        ("WECHATPAY_PUBLIC_KEY_ID", WECHAT_KEY_ID.to_owned()),
        ("WECHATPAY_APIV3_KEY", key("apiv3_key")),
        (
            "WECHATPAY_NOTIFY_URL",
            "https://shop.example/api/payments/wechat/notify".to_owned(),
        ),
        ("WECHATPAY_API_BASE", "http://127.0.0.1:9".to_owned()),
    ]);
    let providers = Providers::from_lookup(&|name| settings.get(name).cloned());
    assert!(providers
        .as_ref()
        .is_some_and(|p| p.wechat.is_some() && p.stripe.is_none()));
    let mut fx = Fixture::new();
    fx.state = fx.state.clone().with_payments(providers);
    let base = fx.serve().await;
    let client = Client::new();
    let order = place(&fx, &client, &base).await;
    // wechatpayv3 signs at the real time; the notification is read then too.
    fx.clock.set(chrono::Utc::now());

    let notice = support::helper(
        "python3",
        "wechatpay_helper.py",
        &json!({
            "op": "notify",
            "platform_private_key": key("platform_private_key"),
            "public_key": key("platform_public_key"),
            "public_key_id": WECHAT_KEY_ID,
            "apiv3_key": key("apiv3_key"),
            "id": "EV-2018022511223320873",
            "event_type": "TRANSACTION.SUCCESS",
            "resource": {
                "amount": {"currency": "CNY", "payer_currency": "CNY", "payer_total": order.total, "total": order.total},
                "appid": "wxd678efh567hg6787",
                "mchid": WECHAT_MCHID,
                "out_trade_no": order.id,
                "success_time": "2025-03-01T12:03:00+08:00",
                "trade_state": "SUCCESS",
                "trade_type": "NATIVE",
                "transaction_id": "4200000985202103031441826014",
            },
        }),
        PIP,
    )
    .await;
    let body = notice["body"].as_str().unwrap().to_owned();
    let headers: Vec<(String, String)> = notice["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let status_base = base.clone();
    let notify = move |client: Client, body: String| {
        let mut request = client
            .post(format!("{base}/api/payments/wechat/notify"))
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        send(request)
    };

    // A forged body under the real headers: refused as WeChat Pay documents, nothing recorded.
    let forged = notify(client.clone(), body.replace("EV-2018", "EV-2019")).await;
    let problem = common::problem(forged, StatusCode::BAD_REQUEST, "notification-refused").await;
    assert_eq!(problem["code"], "FAIL");
    assert_eq!(ledger_len(&fx, &order.id).await, 0);

    let deliveries: Vec<_> = (0..10)
        .map(|_| tokio::spawn(notify(client.clone(), body.clone())))
        .collect();
    for delivery in deliveries {
        let response = delivery.await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.text().await.unwrap(), "");
    }
    let ledger = fx.store.payments(&order.id).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].by, "wechat_pay");
    assert_eq!(
        status(&client, &status_base, &order).await["payment"]["state"],
        "paid"
    );
}
