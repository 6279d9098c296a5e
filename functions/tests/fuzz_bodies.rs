//! Arbitrary request bodies never panic the handlers: the answer is a 2xx for a
//! valid body or a 4xx problem+json, never a 5xx.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

mod common;

use axum::body::Body;
use axum::http::Request;
use common::Fixture;
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::ServiceExt;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

fn check(
    fixture: &Fixture,
    rt: &tokio::runtime::Runtime,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    key: &str,
) {
    let app = functions::router(fixture.state.clone());
    let request = Request::post(path)
        .header("content-type", content_type)
        .header("idempotency-key", key)
        .body(Body::from(body))
        .expect("request");
    let response = rt.block_on(app.oneshot(request)).expect("infallible");
    let status = response.status();
    assert!(!status.is_server_error(), "{path}: {status}");
    if status.is_client_error() {
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        // The HTML form path answers its errors as pages; everything else as problems.
        if !content_type.starts_with("text/html") {
            assert_eq!(content_type, "application/problem+json", "{path}: {status}");
        }
    } else {
        assert!(status.is_success(), "{path}: {status}");
    }
}

/// JSON values shaped somewhat like carts, so the fuzzer gets past the first field.
fn cartish() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u32>().prop_map(|n| Value::from(n % 200)),
        "[a-z_-]{0,12}".prop_map(Value::from),
        Just(json!("alpha")),
        Just(json!("beef-noodles")),
        Just(json!("dine_in")),
        Just(json!("<script>")),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("location".to_owned()),
                    Just("fulfilment".to_owned()),
                    Just("lines".to_owned()),
                    Just("dish".to_owned()),
                    Just("quantity".to_owned()),
                    Just("mode".to_owned()),
                    Just("table".to_owned()),
                    Just("coupon".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (value.clone(), any::<bool>(), value).prop_map(|(cart, versioned, extra)| {
        let mut body = json!({"cart": cart});
        if versioned {
            body["version"] = json!("v");
        }
        if let Value::Object(extra) = extra {
            for (k, v) in extra.into_iter().take(1) {
                body[k] = v;
            }
        }
        body
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_break_the_handlers(bytes in prop::collection::vec(any::<u8>(), 0..512), key in "[a-z0-9]{1,8}") {
        let fixture = Fixture::new();
        let rt = runtime();
        for path in ["/api/quote", "/api/orders", "/api/members"] {
            check(&fixture, &rt, path, "application/json", bytes.clone(), &key);
        }
        check(&fixture, &rt, "/api/orders", "application/x-www-form-urlencoded", bytes, &key);
    }

    #[test]
    fn arbitrary_json_never_breaks_the_handlers(body in cartish(), key in "[a-z0-9]{1,8}") {
        let fixture = Fixture::new();
        let rt = runtime();
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        for path in ["/api/quote", "/api/orders"] {
            check(&fixture, &rt, path, "application/json", bytes.clone(), &key);
        }
    }

    #[test]
    fn arbitrary_forms_never_break_the_handlers(
        pairs in prop::collection::vec((prop_oneof![
            Just("location".to_owned()), Just("mode".to_owned()), Just("table".to_owned()),
            Just("slot".to_owned()), Just("qty.beef-noodles".to_owned()), Just("qty.dumplings".to_owned()),
            Just("opt.beef-noodles.spice".to_owned()), Just("coupon".to_owned()), "[a-z.]{0,10}",
        ], prop_oneof![Just("alpha".to_owned()), Just("dine_in".to_owned()), Just("pickup".to_owned()),
            Just("1".to_owned()), Just("hot".to_owned()), "[ -~]{0,12}"]), 0..10),
    ) {
        let fixture = Fixture::new();
        let rt = runtime();
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        check(&fixture, &rt, "/api/orders", "application/x-www-form-urlencoded", body.into_bytes(), "k");
    }
}
