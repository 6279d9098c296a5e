//! Stripe against Stripe's own library and a recording server on 127.0.0.1: webhooks
//! signed by the npm package `stripe` verify (and tampered, re-signed or stale ones do
//! not); checkout, refund and query requests are what Stripe documents.

#[path = "payments/support.rs"]
mod support;

use std::time::Duration;

use chrono::Utc;
use functions::payments::{
    CheckoutRequest, EventKind, NextStep, PaymentError, PaymentQuery, Provider, ProviderEvent,
    RefundRequest, RefundStatus, Stripe, StripeConfig, Surface,
};
use serde_json::{json, Value};
use support::{header_map, helper, Recorder};

const SECRET: &str = "whsec_carte_test_0123456789abcdef";
const KEY: &str = "sk_test_carte_0123456789";
const NPM: &str = "run `npm ci` at the repository root (it installs the npm package `stripe`)";
const ORDER: &str = "ord_3f2a9c0d1e2f3a4b5c6d7e8f";

fn stripe(base: &str) -> Stripe {
    let base = base.to_owned();
    let config = StripeConfig::from_lookup(&move |name| match name {
        "STRIPE_SECRET_KEY" => Some(KEY.to_owned()),
        "STRIPE_WEBHOOK_SECRET" => Some(SECRET.to_owned()),
        "STRIPE_API_BASE" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    Stripe::new(config)
}

/// Stripe-Signature headers from Stripe's library, one per (payload, secret, timestamp).
async fn sign(cases: &[(&str, &str, i64)]) -> Vec<String> {
    let input: Vec<Value> = cases
        .iter()
        .map(|(payload, secret, timestamp)| {
            json!({ "payload": payload, "secret": secret, "timestamp": timestamp })
        })
        .collect();
    let out = helper("node", "stripe_sign.js", &json!(input), NPM).await;
    serde_json::from_value(out).unwrap()
}

/// A Checkout Session as Stripe's API reference shows it, for this order.
fn session(payment_status: &str, status: &str) -> Value {
    json!({
        "id": "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY",
        "object": "checkout.session",
        "amount_subtotal": 4800,
        "amount_total": 4800,
        "cancel_url": "https://shop.example/order/cancelled",
        "client_reference_id": ORDER,
        "currency": "cny",
        "livemode": false,
        "metadata": { "order_id": ORDER },
        "mode": "payment",
        "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "payment_status": payment_status,
        "status": status,
        "success_url": "https://shop.example/order/ord_x?t=tok",
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"
    })
}

fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1_680_064_028,
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind
    })
    .to_string()
}

fn charge_refunded() -> Value {
    json!({
        "id": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
        "object": "charge",
        "amount": 4800,
        "amount_captured": 4800,
        "amount_refunded": 1200,
        "currency": "cny",
        "metadata": { "order_id": ORDER },
        "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "refunded": false,
        "status": "succeeded"
    })
}

fn verify(
    stripe: &Stripe,
    header: &str,
    body: &str,
) -> Result<Option<ProviderEvent>, PaymentError> {
    stripe.verify_notification(
        &header_map([("stripe-signature", header)]),
        body.as_bytes(),
        Utc::now(),
    )
}

#[tokio::test]
async fn webhooks_signed_by_stripes_library_verify_and_tampered_ones_are_refused() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let stripe = stripe("http://127.0.0.1:9");
        let now = Utc::now().timestamp();
        let completed = event(
            "evt_1",
            "checkout.session.completed",
            session("paid", "complete"),
        );
        let completed_async = event(
            "evt_2",
            "checkout.session.completed",
            session("unpaid", "complete"),
        );
        let succeeded = event(
            "evt_3",
            "checkout.session.async_payment_succeeded",
            session("paid", "complete"),
        );
        let failed = event(
            "evt_4",
            "checkout.session.async_payment_failed",
            session("unpaid", "complete"),
        );
        let refunded = event("evt_5", "charge.refunded", charge_refunded());
        let other = event("evt_6", "payment_intent.created", json!({"id": "pi_1"}));
        let mut live = serde_json::from_str::<Value>(&completed).unwrap();
        live["livemode"] = json!(true);
        let live = live.to_string();
        let headers = sign(&[
            (&completed, SECRET, now),
            (&completed_async, SECRET, now),
            (&succeeded, SECRET, now),
            (&failed, SECRET, now),
            (&refunded, SECRET, now),
            (&other, SECRET, now),
            (&completed, "whsec_someone_else", now),
            (&completed, SECRET, now - 360),
            (&completed, SECRET, now + 360),
            (&completed, SECRET, now - 240),
            (&live, SECRET, now),
        ])
        .await;

        let paid = verify(&stripe, &headers[0], &completed).unwrap().unwrap();
        assert_eq!(
            paid,
            ProviderEvent {
                method: catalog::payment::Method::Stripe,
                event_id: "evt_1".into(),
                order_id: Some(ORDER.into()),
                amount: 4800,
                currency: "CNY".into(),
                kind: EventKind::Succeeded,
                reference: "pi_3MtwBwLkdIwHu7ix28a3tqPa".into(),
            }
        );
        // A bank debit completes the session unpaid; its async event settles it.
        assert_eq!(
            verify(&stripe, &headers[1], &completed_async).unwrap(),
            None
        );
        let later = verify(&stripe, &headers[2], &succeeded).unwrap().unwrap();
        assert_eq!(later.kind, EventKind::Succeeded);
        assert_eq!(later.idempotency_key(), paid.idempotency_key());
        let failure = verify(&stripe, &headers[3], &failed).unwrap().unwrap();
        assert_eq!(failure.kind, EventKind::Failed);
        let refund = verify(&stripe, &headers[4], &refunded).unwrap().unwrap();
        assert_eq!(refund.kind, EventKind::Refunded { cumulative: true });
        assert_eq!(
            (
                refund.amount,
                refund.reference.as_str(),
                refund.order_id.as_deref()
            ),
            (1200, "pi_3MtwBwLkdIwHu7ix28a3tqPa", Some(ORDER))
        );
        assert_eq!(verify(&stripe, &headers[5], &other).unwrap(), None);
        // Within the tolerance.
        assert!(verify(&stripe, &headers[9], &completed).unwrap().is_some());

        let refused = |result: Result<Option<ProviderEvent>, PaymentError>, what: &str| {
            assert!(
                matches!(result, Err(PaymentError::Unauthentic(_))),
                "{what}: {result:?}"
            );
        };
        let tampered = completed.replace("4800", "1");
        refused(verify(&stripe, &headers[0], &tampered), "tampered body");
        refused(verify(&stripe, &headers[6], &completed), "wrong secret");
        refused(verify(&stripe, &headers[7], &completed), "stale timestamp");
        refused(verify(&stripe, &headers[8], &completed), "future timestamp");
        refused(verify(&stripe, &headers[10], &live), "live event, test key");
        refused(
            stripe.verify_notification(&header_map([]), completed.as_bytes(), Utc::now()),
            "no header",
        );
        // The signature of one event on another event's body.
        refused(verify(&stripe, &headers[0], &succeeded), "another body");

        // While a secret is rolled, Stripe sends a v1 for each; any one may match.
        let (t, good) = headers[0].split_once(",v1=").unwrap();
        let (_, wrong) = headers[6].split_once(",v1=").unwrap();
        let rolled = format!("{t},v1={wrong},v1={good}");
        assert!(verify(&stripe, &rolled, &completed).unwrap().is_some());
        let only_wrong = format!("{t},v1={wrong}");
        refused(
            verify(&stripe, &only_wrong, &completed),
            "only the old secret",
        );
    })
    .await
    .expect("bounded in time");
}

#[tokio::test]
async fn checkout_refund_and_query_requests_are_what_stripe_documents() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let server = Recorder::start(|request| {
            let path = request.path.as_str();
            match (request.method.as_str(), path) {
                ("POST", "/v1/checkout/sessions") => {
                    (200, vec![], session("unpaid", "open").to_string())
                }
                ("GET", p) if p.starts_with("/v1/checkout/sessions/cs_test_") => {
                    (200, vec![], session("paid", "complete").to_string())
                }
                ("POST", "/v1/refunds") if request.form()["amount"] == "99999" => (
                    400,
                    vec![],
                    json!({"error": {
                        "code": "charge_already_refunded",
                        "message": "Charge ch_3MtwBwLkdIwHu7ix28a3tqPa has already been refunded.",
                        "type": "invalid_request_error"
                    }})
                    .to_string(),
                ),
                ("POST", "/v1/refunds") => (
                    200,
                    vec![],
                    json!({
                        "id": "re_1Nispe2eZvKYlo2Cd31jOCgZ",
                        "object": "refund",
                        "amount": 1200,
                        "charge": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
                        "currency": "cny",
                        "metadata": { "order_id": ORDER },
                        "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
                        "status": "succeeded"
                    })
                    .to_string(),
                ),
                _ => (404, vec![], json!({"error": {"message": "no route"}}).to_string()),
            }
        })
        .await;
        let stripe = stripe(&server.base);

        let checkout = stripe
            .create_checkout(&CheckoutRequest {
                order_id: ORDER.into(),
                description: "Noodle Bar — order A12".into(),
                amount: 4800,
                currency: "CNY".into(),
                return_url: "https://shop.example/order/ord_x?t=tok".into(),
                cancel_url: "https://shop.example/order/cancelled".into(),
                client_ip: None,
                surface: Surface::MobileBrowser,
                idempotency_key: "checkout-ord_x-1".into(),
            })
            .await
            .unwrap();
        assert_eq!(
            checkout.reference,
            "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"
        );
        assert!(matches!(
            checkout.next,
            NextStep::Redirect(ref url) if url.starts_with("https://checkout.stripe.com/c/pay/cs_test_")
        ));

        let refund = stripe
            .refund(&RefundRequest {
                order_id: ORDER.into(),
                payment_reference: "pi_3MtwBwLkdIwHu7ix28a3tqPa".into(),
                refund_id: "refund-ord_x-1".into(),
                amount: 1200,
                payment_amount: 4800,
                currency: "CNY".into(),
                reason: Some("noodles were cold".into()),
            })
            .await
            .unwrap();
        assert_eq!(refund.reference, "re_1Nispe2eZvKYlo2Cd31jOCgZ");
        assert_eq!((refund.amount, refund.status), (1200, RefundStatus::Succeeded));

        let refused = stripe
            .refund(&RefundRequest {
                order_id: ORDER.into(),
                payment_reference: "pi_3MtwBwLkdIwHu7ix28a3tqPa".into(),
                refund_id: "refund-ord_x-2".into(),
                amount: 99999,
                payment_amount: 4800,
                currency: "CNY".into(),
                reason: None,
            })
            .await;
        assert!(
            matches!(&refused, Err(PaymentError::Refused { status: 400, message })
                if message.starts_with("charge_already_refunded")),
            "{refused:?}"
        );

        let found = stripe
            .query(&PaymentQuery {
                order_id: ORDER.into(),
                checkout_reference: Some(checkout.reference.clone()),
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.kind, found.amount), (EventKind::Succeeded, 4800));

        let requests = server.requests();
        assert_eq!(requests.len(), 4);
        for r in &requests {
            assert_eq!(r.header("authorization"), Some(&*format!("Bearer {KEY}")));
        }
        let create = &requests[0];
        assert_eq!((create.method.as_str(), create.path.as_str()), ("POST", "/v1/checkout/sessions"));
        assert_eq!(
            create.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(create.header("idempotency-key"), Some("checkout-ord_x-1"));
        let form = create.form();
        for (field, value) in [
            ("mode", "payment"),
            ("success_url", "https://shop.example/order/ord_x?t=tok"),
            ("cancel_url", "https://shop.example/order/cancelled"),
            ("client_reference_id", ORDER),
            ("metadata[order_id]", ORDER),
            ("payment_intent_data[metadata][order_id]", ORDER),
            ("line_items[0][price_data][currency]", "cny"),
            ("line_items[0][price_data][unit_amount]", "4800"),
            ("line_items[0][price_data][product_data][name]", "Noodle Bar — order A12"),
            ("line_items[0][quantity]", "1"),
        ] {
            assert_eq!(form.get(field).map(String::as_str), Some(value), "{field}");
        }
        let refund = &requests[1];
        assert_eq!((refund.method.as_str(), refund.path.as_str()), ("POST", "/v1/refunds"));
        assert_eq!(refund.header("idempotency-key"), Some("refund-ord_x-1"));
        let form = refund.form();
        assert_eq!(form["payment_intent"], "pi_3MtwBwLkdIwHu7ix28a3tqPa");
        assert_eq!(form["amount"], "1200");
        assert_eq!(form["metadata[reason]"], "noodles were cold");
        let query = &requests[3];
        assert_eq!(query.method, "GET");
        assert_eq!(
            query.path,
            "/v1/checkout/sessions/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"
        );
        assert_eq!(query.header("idempotency-key"), None);
    })
    .await
    .expect("bounded in time");
}

#[tokio::test]
async fn an_unreachable_stripe_is_an_error_not_a_hang() {
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stripe = stripe(&format!("http://127.0.0.1:{port}"));
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        stripe.query(&PaymentQuery {
            order_id: ORDER.into(),
            checkout_reference: Some("cs_test_1".into()),
        }),
    )
    .await
    .expect("bounded in time");
    assert!(
        matches!(result, Err(PaymentError::Unreachable(_))),
        "{result:?}"
    );
}
