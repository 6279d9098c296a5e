//! Paying online through the real router on 127.0.0.1, on a SQLite store, with a
//! recording server standing in for Stripe's API: the diner's checkout
//! (`POST /api/payments/checkout`, JSON and the plain form), the webhook (signed by
//! Stripe's own npm library) turning it paid, the order query when the webhook is
//! late, refunds through Stripe from the staff routes, and the unpaid hold of an
//! order that must be paid first.
#![cfg(feature = "sqlite")]

mod common;
#[path = "payments/support.rs"]
mod support;

use std::sync::{Arc, Mutex};

use catalog::payment::Method;
use catalog::payment_policy::{Due, PaymentPolicy};
use common::{cart_json, noon, send, Fixture};
use functions::payments::Providers;
use functions::state::Catalog;
use functions::store::Role;
use reqwest::{redirect, Client, StatusCode};
use serde_json::{json, Value};
use support::{Recorded, Recorder};

const WEBHOOK_SECRET: &str = "whsec_carte_checkout_test";
const NPM: &str = "npm ci at the repository root (Stripe's library signs the webhooks)";
const SESSION: &str = "cs_test_a1checkoutCarte";
const INTENT: &str = "pi_3CheckoutCarte";

/// A fixture whose location `alpha` takes Stripe online with `dine_in` due as given,
/// and whose Stripe API is `stripe_base`.
fn fixture(dine_in: Due, stripe_base: &str) -> Fixture {
    let mut fx = Fixture::new();
    let mut site = common::site();
    for location in &mut site.locations {
        location.payment = PaymentPolicy {
            methods: vec![Method::Cash, Method::Stripe],
            dine_in,
            pickup: Due::PayOnlineRequired,
            unpaid_hold_minutes: 15,
        };
    }
    let base = stripe_base.to_owned();
    let providers = Providers::from_lookup(&move |name| match name {
        "STRIPE_SECRET_KEY" => Some("sk_test_carte_checkout".to_owned()),
        "STRIPE_WEBHOOK_SECRET" => Some(WEBHOOK_SECRET.to_owned()),
        "STRIPE_API_BASE" => Some(base.clone()),
        _ => None,
    });
    fx.state.set_catalog(Catalog::new(site));
    fx.state = fx.state.clone().with_payments(providers);
    fx
}

/// Stripe's Checkout Session as its API answers, `paid` or not yet.
fn session(paid: bool, amount: i64, order: &str) -> Value {
    json!({
        "id": SESSION,
        "object": "checkout.session",
        "amount_total": amount,
        "currency": "cny",
        "client_reference_id": order,
        "metadata": {"order_id": order},
        "mode": "payment",
        "payment_intent": if paid { json!(INTENT) } else { Value::Null },
        "payment_status": if paid { "paid" } else { "unpaid" },
        "status": if paid { "complete" } else { "open" },
        "url": format!("https://checkout.stripe.com/c/pay/{SESSION}#fidkdWxOYHwnPyd1blpxYHZxWjA0"),
    })
}

/// A stand-in for Stripe's API: sessions (paid once `paid` is set), refunds.
async fn stripe_api(paid: Arc<Mutex<bool>>, order: Arc<Mutex<(String, i64)>>) -> Recorder {
    Recorder::start(move |request: &Recorded| {
        let (id, amount) = order.lock().unwrap().clone();
        let paid = *paid.lock().unwrap();
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/v1/checkout/sessions") => {
                (200, vec![], session(false, amount, &id).to_string())
            }
            ("GET", p) if p.starts_with(&format!("/v1/checkout/sessions/{SESSION}")) => {
                (200, vec![], session(paid, amount, &id).to_string())
            }
            ("POST", "/v1/refunds") => {
                let form = request.form();
                (
                    200,
                    vec![],
                    json!({
                        "id": format!("re_carte_{}", form["amount"]),
                        "object": "refund",
                        "amount": form["amount"].parse::<i64>().unwrap_or(0),
                        "currency": "cny",
                        "payment_intent": form["payment_intent"],
                        "status": "succeeded",
                    })
                    .to_string(),
                )
            }
            _ => (
                404,
                vec![],
                json!({"error": {"message": "no route"}}).to_string(),
            ),
        }
    })
    .await
}

struct Placed {
    id: String,
    token: String,
    total: i64,
}

async fn place(fx: &Fixture, client: &Client, base: &str, cart: Value) -> Placed {
    let response = send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", format!("order-{}", keys()))
            .json(&json!({"cart": cart, "version": fx.version()})),
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

fn keys() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn status(client: &Client, base: &str, order: &Placed) -> Value {
    let response = send(client.get(format!(
        "{base}/api/orders/{}?token={}",
        order.id, order.token
    )))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn checkout(client: &Client, base: &str, body: &Value) -> (StatusCode, Value) {
    let response = send(
        client
            .post(format!("{base}/api/payments/checkout"))
            .json(body),
    )
    .await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The `checkout.session.completed` event for `order`, signed by Stripe's library.
async fn completed(order: &Placed) -> (String, String) {
    let payload = json!({
        "id": "evt_checkout_completed",
        "object": "event",
        "created": noon().timestamp(),
        "livemode": false,
        "type": "checkout.session.completed",
        "data": {"object": session(true, order.total, &order.id)},
    })
    .to_string();
    let signature = sign(&payload).await;
    (payload, signature)
}

async fn sign(payload: &str) -> String {
    let input =
        json!([{"payload": payload, "secret": WEBHOOK_SECRET, "timestamp": noon().timestamp()}]);
    let signed: Vec<String> =
        serde_json::from_value(support::helper("node", "stripe_sign.js", &input, NPM).await)
            .unwrap();
    signed[0].clone()
}

async fn deliver(client: &Client, base: &str, (payload, signature): &(String, String)) -> Value {
    let response = send(
        client
            .post(format!("{base}/api/payments/stripe/webhook"))
            .header("Stripe-Signature", signature)
            .header("Content-Type", "application/json")
            .body(payload.clone()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_checkout_goes_to_stripe_once_and_the_webhook_makes_it_paid() {
    let paid = Arc::new(Mutex::new(false));
    let current = Arc::new(Mutex::new((String::new(), 0)));
    let api = stripe_api(paid.clone(), current.clone()).await;
    let fx = fixture(Due::PayOnlineOptional, &api.base);
    let base = fx.serve().await;
    let client = Client::new();
    let order = place(&fx, &client, &base, cart_json()).await;
    *current.lock().unwrap() = (order.id.clone(), order.total);

    let pay = json!({"order_id": order.id, "token": order.token, "method": "stripe", "lang": "en"});
    let (code, first) = checkout(&client, &base, &pay).await;
    assert_eq!(code, StatusCode::OK, "{first}");
    assert_eq!(first["next"]["action"], "redirect");
    assert!(first["next"]["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("https://checkout.stripe.com/c/pay/{SESSION}")));
    assert_eq!(first["reference"], SESSION);
    assert_eq!(first["payment"]["state"], "pending");
    assert_eq!(first["payment"]["due"], order.total);

    // Tapping "Pay now" again: the same session, asked with the same key, one entry.
    let (code, again) = checkout(&client, &base, &pay).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(again["reference"], first["reference"]);
    let entries = fx.store.payments(&order.id).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");

    // What Stripe was asked: the amount Carte computed, the order's status page back.
    let requests = api.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("idempotency-key"),
        requests[1].header("idempotency-key")
    );
    let form = requests[0].form();
    assert_eq!(
        form["line_items[0][price_data][unit_amount]"],
        order.total.to_string()
    );
    assert_eq!(form["line_items[0][price_data][currency]"], "cny");
    assert_eq!(form["metadata[order_id]"], order.id);
    let back = format!(
        "{base}/api/orders/{}?token={}&lang=en",
        order.id, order.token
    );
    assert_eq!(form["success_url"], back);
    assert_eq!(form["cancel_url"], back);

    let applied = deliver(&client, &base, &completed(&order).await).await;
    assert_eq!(applied, json!({"received": true, "recorded": true}));
    let now = status(&client, &base, &order).await;
    assert_eq!(
        now["payment"],
        json!({"state": "paid", "paid": order.total, "due": 0})
    );

    // Nothing left to pay: refused, and Stripe is not asked again.
    let (code, refused) = checkout(&client, &base, &pay).await;
    assert_eq!(code, StatusCode::CONFLICT, "{refused}");
    assert!(refused["type"].as_str().unwrap().ends_with("already-paid"));
    assert_eq!(api.requests().len(), 2);
}

#[tokio::test]
async fn the_plain_form_is_sent_to_stripe_and_refusals_name_the_field() {
    let paid = Arc::new(Mutex::new(false));
    let current = Arc::new(Mutex::new((String::new(), 0)));
    let api = stripe_api(paid, current.clone()).await;
    let fx = fixture(Due::PayOnlineOptional, &api.base);
    let base = fx.serve().await;
    let client = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let order = place(&fx, &client, &base, cart_json()).await;
    *current.lock().unwrap() = (order.id.clone(), order.total);

    let form = |method: &str, token: &str| {
        client
            .post(format!("{base}/api/payments/checkout"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "order_id={}&token={token}&method={method}&lang=en&pay=Pay+now",
                order.id
            ))
    };
    let response = send(form("stripe", &order.token)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://checkout.stripe.com/c/pay/"),
        "{location}"
    );

    // Cash is taken at the counter, not online: the page names the field.
    let response = send(form("cash", &order.token)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<strong>method</strong>") && html.contains("stripe"),
        "{html}"
    );
    // A wrong token reads like no order at all.
    let response = send(form("stripe", "not-the-token")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // JSON: the refusals are problem documents naming the field.
    let (code, problem) = checkout(
        &client,
        &base,
        &json!({"order_id": order.id, "token": order.token, "method": "wechat_pay"}),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "method");
    let (code, problem) = checkout(
        &client,
        &base,
        &json!({"order_id": order.id, "token": order.token, "method": "stripe", "amount": 1}),
    )
    .await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the amount is never the client's: {problem}"
    );
    assert_eq!(api.requests().len(), 1);
}

#[tokio::test]
async fn a_late_webhook_is_made_up_for_by_asking_stripe_once() {
    let paid = Arc::new(Mutex::new(false));
    let current = Arc::new(Mutex::new((String::new(), 0)));
    let api = stripe_api(paid.clone(), current.clone()).await;
    let fx = fixture(Due::PayOnlineOptional, &api.base);
    let base = fx.serve().await;
    let client = Client::new();
    let order = place(&fx, &client, &base, cart_json()).await;
    *current.lock().unwrap() = (order.id.clone(), order.total);
    let pay = json!({"order_id": order.id, "token": order.token, "method": "stripe"});
    assert_eq!(checkout(&client, &base, &pay).await.0, StatusCode::OK);

    // Right after the checkout, the status page does not bother Stripe.
    assert_eq!(
        status(&client, &base, &order).await["payment"]["state"],
        "pending"
    );
    assert_eq!(api.requests().len(), 1);

    // The diner paid; the webhook is late. Half a minute on, the status asks Stripe.
    *paid.lock().unwrap() = true;
    fx.clock.set(noon() + chrono::Duration::seconds(30));
    let now = status(&client, &base, &order).await;
    assert_eq!(
        now["payment"],
        json!({"state": "paid", "paid": order.total, "due": 0})
    );
    let asked: Vec<Recorded> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(asked.len(), 1);
    assert!(asked[0]
        .path
        .starts_with(&format!("/v1/checkout/sessions/{SESSION}")));

    // The webhook arriving after that appends nothing: the query and the event are one fact.
    let applied = deliver(&client, &base, &completed(&order).await).await;
    assert_eq!(applied, json!({"received": true, "recorded": false}));
    let charges = fx
        .store
        .payments(&order.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == catalog::payment::EntryKind::Charge)
        .count();
    assert_eq!(charges, 1);
}

#[tokio::test]
async fn staff_refund_through_stripe_once_and_the_webhook_adds_nothing() {
    let paid = Arc::new(Mutex::new(true));
    let current = Arc::new(Mutex::new((String::new(), 0)));
    let api = stripe_api(paid, current.clone()).await;
    let fx = fixture(Due::PayOnlineOptional, &api.base);
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let order = place(&fx, &client, &base, cart_json()).await;
    *current.lock().unwrap() = (order.id.clone(), order.total);
    deliver(&client, &base, &completed(&order).await).await;

    let refund = |idem: &str, amount: i64| {
        client
            .post(format!("{base}/api/staff/orders/{}/refunds", order.id))
            .bearer_auth(&staff)
            .header("Idempotency-Key", idem)
            .json(&json!({"amount": amount, "method": "stripe", "reason": "cold soup"}))
    };
    let response = send(refund("r-1", 500)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["entry"]["kind"], "refund");
    assert_eq!(body["entry"]["amount"], 500);
    assert_eq!(body["payment"]["state"], "partially_refunded");
    let asked = api.requests();
    let refunds: Vec<&Recorded> = asked.iter().filter(|r| r.path == "/v1/refunds").collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].form()["payment_intent"], INTENT);
    assert_eq!(refunds[0].form()["amount"], "500");
    assert!(refunds[0].header("idempotency-key").is_some());

    // Stripe's `charge.refunded` with the running total 500: already in the ledger.
    let payload = json!({
        "id": "evt_checkout_refunded",
        "object": "event",
        "created": noon().timestamp(),
        "livemode": false,
        "type": "charge.refunded",
        "data": {"object": {
            "id": "ch_checkout_1", "object": "charge", "amount": order.total,
            "amount_refunded": 500, "currency": "cny", "payment_intent": INTENT,
            "metadata": {"order_id": order.id}, "refunded": false,
        }},
    })
    .to_string();
    let signature = sign(&payload).await;
    let applied = deliver(&client, &base, &(payload, signature)).await;
    assert_eq!(applied["recorded"], false);

    // More than is left is refused before Stripe is asked.
    let response = send(refund("r-2", order.total)).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(api.requests().len(), asked.len());
    let entries = fx.store.payments(&order.id).await.unwrap();
    let refunded: i64 = entries
        .iter()
        .filter(|e| e.kind == catalog::payment::EntryKind::Refund)
        .map(|e| e.amount)
        .sum();
    assert_eq!(refunded, 500);
}

#[tokio::test]
async fn an_order_to_pay_first_waits_for_its_payment_and_expires_after_the_hold() {
    let paid = Arc::new(Mutex::new(false));
    let current = Arc::new(Mutex::new((String::new(), 0)));
    let api = stripe_api(paid, current.clone()).await;
    let fx = fixture(Due::PayOnlineRequired, &api.base);
    let base = fx.serve().await;
    let client = Client::new();
    let mut cart = cart_json();
    cart["coupon"] = json!("SAVE5");
    let order = place(&fx, &client, &base, cart.clone()).await;
    *current.lock().unwrap() = (order.id.clone(), order.total);
    assert_eq!(fx.store.redemption_count("SAVE5").await.unwrap(), 1);

    let before = status(&client, &base, &order).await;
    assert_eq!(before["status"], "received");
    assert_eq!(before["payment"]["state"], "unpaid");

    // Sixteen minutes on, unpaid: the order is cancelled and its coupon given back.
    fx.clock.set(noon() + chrono::Duration::minutes(16));
    let after = status(&client, &base, &order).await;
    assert_eq!(after["payment"]["state"], "expired");
    assert_eq!(after["status"], "cancelled");
    assert_eq!(fx.store.redemption_count("SAVE5").await.unwrap(), 0);
    let stored = fx.store.get_order(&order.id).await.unwrap();
    assert_eq!(
        stored.history.last().map(|c| c.by.as_str()),
        Some("unpaid-hold")
    );

    let (code, problem) = checkout(
        &client,
        &base,
        &json!({"order_id": order.id, "token": order.token, "method": "stripe"}),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert!(problem["type"].as_str().unwrap().ends_with("order-closed"));
    assert!(api.requests().is_empty(), "Stripe was never asked");
}
