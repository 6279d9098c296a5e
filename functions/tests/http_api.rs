//! The real router served on 127.0.0.1, exercised over HTTP.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

mod common;

use common::{
    assert_operations, cart_json, evening, fetch_json, fields, header, send, send_json, slot,
    Fixture,
};
use functions::store::{OrderStatus, Role};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

/// The problem `slug` with `status`, which also states its status, a title and a detail.
async fn problem(response: Response, status: StatusCode, slug: &str) -> Value {
    let body = common::problem(response, status, slug).await;
    assert_eq!(body["status"], status.as_u16());
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// A 422 `coupon-rejected` problem; returns its body.
async fn coupon_rejected(response: Response) -> Value {
    problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "coupon-rejected",
    )
    .await
}

/// An order for `cart` against the current catalog version.
fn priced(fx: &Fixture, cart: &Value) -> Value {
    json!({"cart": cart, "version": fx.version()})
}

async fn order(client: &Client, base: &str, key: &str, body: &Value) -> Response {
    send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", key)
            .json(body),
    )
    .await
}

#[tokio::test]
async fn health_and_openapi_describe_every_endpoint() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let health = fetch_json(client.get(format!("{base}/api/health"))).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], fx.version());
    let doc = fetch_json(client.get(format!("{base}/api/openapi.json"))).await;
    assert!(doc["openapi"]
        .as_str()
        .unwrap_or_default()
        .starts_with("3.1"));
    assert_operations(
        &doc,
        &[
            ("/api/quote", "post"),
            ("/api/orders", "post"),
            ("/api/orders/{id}", "get"),
            ("/api/members", "post"),
            ("/api/members/code", "post"),
            ("/api/members/verify", "post"),
            ("/api/members/me", "get"),
            ("/api/members/session", "delete"),
            ("/api/staff/queue", "get"),
            ("/api/orders/{id}/push", "post"),
            ("/api/staff/orders/{id}/status", "post"),
            ("/api/staff/sold-out", "get"),
            ("/api/staff/sold-out", "put"),
            ("/api/sold-out", "get"),
            ("/api/health", "get"),
            ("/api/openapi.json", "get"),
        ],
    );
    let unknown = send(client.get(format!("{base}/api/nothing"))).await;
    problem(unknown, StatusCode::NOT_FOUND, "not-found").await;
    let wrong_method = send(client.delete(format!("{base}/api/quote"))).await;
    problem(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
}

#[tokio::test]
async fn quote_prices_on_the_server_and_checks_the_coupon_budget() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let mut cart = cart_json();
    cart["coupon"] = json!("save5");
    let response = send(
        client
            .post(format!("{base}/api/quote"))
            .json(&json!({"cart": cart})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    // 35.00 + 2 × 18.00 = 71.00, minus 5.00, plus 10% service on 66.00.
    assert_eq!(body["quote"]["subtotal"], 7100);
    assert_eq!(body["quote"]["discount"], 500);
    assert_eq!(body["quote"]["service_charge"], 660);
    assert_eq!(body["quote"]["total"], 7260);
    assert_eq!(body["quote"]["coupon"]["status"], "applied");
    assert_eq!(body["coupon_budget_left"], 3);
    assert_eq!(body["version"], fx.version());
}

#[tokio::test]
async fn bad_requests_are_problems_naming_the_issue() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let url = format!("{base}/api/quote");
    for (content_type, body, status, slug) in [
        (
            "application/json",
            b"{\"cart\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-body",
        ),
        (
            "text/plain",
            b"hello".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "application/json",
            vec![b' '; 70 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
        ),
    ] {
        let response = send(
            client
                .post(&url)
                .header("content-type", content_type)
                .body(body),
        )
        .await;
        problem(response, status, slug).await;
    }
    // A client-sent price is not part of a cart: refused, never used.
    let mut tampered = cart_json();
    tampered["lines"][1]["unit_price"] = json!(1);
    let response = send(client.post(&url).json(&json!({"cart": tampered}))).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body").await;
    assert_eq!(fields(&body), ["cart.lines[1].unit_price"]);
    assert!(body["errors"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("unit_price"));
    // Pricing errors name each field.
    let bad_cart = json!({"cart": {
        "location": "alpha",
        "fulfilment": {"mode": "dine_in", "table": "9"},
        "lines": [
            {"dish": "beef-noodles", "quantity": 1},
            {"dish": "soup", "quantity": 1},
            {"dish": "dumplings", "quantity": 500}
        ]
    }});
    let response = send(client.post(&url).json(&bad_cart)).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-cart").await;
    let named = fields(&body);
    for field in [
        "cart.fulfilment.table",
        "cart.lines[0].options.spice",
        "cart.lines[1].dish",
        "cart.lines[2].quantity",
    ] {
        assert!(named.iter().any(|f| f == field), "{field} not in {named:?}");
    }
    let long_table = json!({"cart": {
        "location": "alpha",
        "fulfilment": {"mode": "dine_in", "table": "x".repeat(200)},
        "lines": [{"dish": "dumplings", "quantity": 1}]
    }});
    let response = send(client.post(&url).json(&long_table)).await;
    let body = problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(fields(&body), ["cart.fulfilment.table"]);
}

#[tokio::test]
async fn a_closed_shop_takes_no_orders() {
    let fx = Fixture::new();
    fx.clock.set(evening());
    let base = fx.serve().await;
    let body = json!({"cart": {
        "location": "beta",
        "fulfilment": {"mode": "dine_in", "table": "1"},
        "lines": [{"dish": "dumplings", "quantity": 1}]
    }, "version": fx.version()});
    let response = order(&Client::new(), &base, "closed-1", &body).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-cart").await;
    assert_eq!(fields(&body), ["cart.fulfilment"]);
}

#[tokio::test]
async fn an_order_is_placed_once_and_followed_with_its_token() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    // A total sent along is refused as an unknown field…
    let tampered = json!({"cart": cart_json(), "version": fx.version(), "total": 1});
    let response = order(&client, &base, "tamper", &tampered).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body").await;
    assert_eq!(fields(&body), ["total"]);
    // …and the order's total is the server's quote.
    let request =
        json!({"cart": cart_json(), "version": fx.version(), "name": "Li", "note": "no coriander"});
    let response = order(&client, &base, "order-1", &request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let placed: Value = response.json().await.expect("json");
    assert_eq!(placed["number"], "A-001");
    assert_eq!(placed["status"], "received");
    assert_eq!(placed["quote"]["total"], 7810);
    let token = placed["token"].as_str().expect("token").to_owned();
    assert!(token.len() >= 32);
    let id = placed["id"].as_str().expect("id").to_owned();
    assert_eq!(
        placed["status_url"],
        format!("/api/orders/{id}?token={token}")
    );
    // A retry returns the same order and token.
    let retry = order(&client, &base, "order-1", &request).await;
    assert_eq!(retry.status(), StatusCode::OK);
    let again: Value = retry.json().await.expect("json");
    assert_eq!(again["id"], placed["id"]);
    assert_eq!(again["token"], placed["token"]);
    // The same key with another body is a conflict.
    let mut other = request.clone();
    other["note"] = json!("extra spicy");
    let conflict = order(&client, &base, "order-1", &other).await;
    problem(
        conflict,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-conflict",
    )
    .await;
    // No key, no order.
    let no_key = send(client.post(format!("{base}/api/orders")).json(&request)).await;
    problem(no_key, StatusCode::BAD_REQUEST, "idempotency-key-required").await;
    // Status for the token holder, JSON and HTML.
    let status = fetch_json(client.get(format!(
        "{base}{}",
        placed["status_url"].as_str().unwrap_or_default()
    )))
    .await;
    assert_eq!(status["status"], "received");
    assert!(status["times"]["received"].is_string());
    let page = send(
        client
            .get(format!("{base}/api/orders/{id}?token={token}"))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
    )
    .await;
    assert!(header(&page, "content-type").starts_with("text/html"));
    let html = page.text().await.expect("html");
    assert!(html.contains("A-001"));
    // No timed refresh (axe's meta-refresh rule): a link the diner follows instead.
    assert!(!html.contains("http-equiv"), "{html}");
    assert!(html.contains("id=\"refresh\">Refresh</a>"), "{html}");
    // While open: the place in the queue (nothing ahead of the first order).
    assert_eq!(status["estimate"]["ahead"], 0, "{status}");
    assert!(status["estimate"]["basis"].is_string(), "{status}");
    // A wrong or missing token reads like no order at all.
    for url in [
        format!("{base}/api/orders/{id}?token=00{}", &token[2..]),
        format!("{base}/api/orders/{id}"),
        format!("{base}/api/orders/ord_nothing?token={token}"),
    ] {
        problem(
            send(client.get(url)).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    assert_eq!(
        fx.store.queue("alpha", &[], 10).await.expect("queue").len(),
        1
    );
}

#[tokio::test]
async fn a_changed_menu_answers_with_the_new_quote() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let old_version = fx.version();
    let mut site = common::site();
    site.menus[0].categories[0].dishes[1].price = 2000;
    fx.state.set_catalog(functions::Catalog::new(site));
    assert_ne!(fx.version(), old_version);
    let request = json!({"cart": cart_json(), "version": old_version});
    let response = order(&client, &base, "stale", &request).await;
    let body = problem(response, StatusCode::CONFLICT, "menu-changed").await;
    assert_eq!(body["version"], fx.version());
    assert_eq!(body["quote"]["subtotal"], 3500 + 2 * 2000);
    assert!(fx
        .store
        .queue("alpha", &[], 10)
        .await
        .expect("queue")
        .is_empty());
}

#[tokio::test]
async fn coupons_are_refused_by_rule_and_by_budget() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let mut cart = cart_json();
    cart["coupon"] = json!("BIG");
    let body = coupon_rejected(order(&client, &base, "big", &priced(&fx, &cart)).await).await;
    assert_eq!(fields(&body), ["coupon"]);
    assert_eq!(body["reason"]["reason"], "below_minimum");
    cart["coupon"] = json!("SAVE5");
    for n in 0..3 {
        let response = order(&client, &base, &format!("save-{n}"), &priced(&fx, &cart)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let placed: Value = response.json().await.expect("json");
        assert_eq!(placed["quote"]["discount"], 500);
    }
    let body = coupon_rejected(order(&client, &base, "save-3", &priced(&fx, &cart)).await).await;
    assert_eq!(body["reason"]["reason"], "budget_exhausted");
    let quote = fetch_json(
        client
            .post(format!("{base}/api/quote"))
            .json(&json!({"cart": cart})),
    )
    .await;
    assert_eq!(
        quote["quote"]["coupon"]["reason"]["reason"],
        "budget_exhausted"
    );
    assert_eq!(quote["quote"]["discount"], 0);
    assert_eq!(quote["coupon_budget_left"], 0);
    // Per-member coupons need a member.
    cart["coupon"] = json!("MEMBER10");
    let body = coupon_rejected(order(&client, &base, "m10", &priced(&fx, &cart)).await).await;
    assert_eq!(body["reason"]["reason"], "members_only");
}

#[tokio::test]
async fn a_full_pickup_slot_is_refused() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let body = json!({"cart": {
        "location": "alpha",
        "fulfilment": {"mode": "pickup", "slot": slot().to_rfc3339()},
        "lines": [{"dish": "dumplings", "quantity": 1}]
    }, "version": fx.version()});
    for n in 0..2 {
        let response = order(&client, &base, &format!("slot-{n}"), &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let response = order(&client, &base, "slot-2", &body).await;
    let problem = problem(response, StatusCode::CONFLICT, "slot-full").await;
    assert_eq!(fields(&problem), ["cart.fulfilment.slot"]);
}

#[tokio::test]
async fn members_prove_their_phone_and_redeem_their_welcome_code_once() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let url = format!("{base}/api/members");
    // An order placed before signing up, linked with its token.
    let placed: Value = order(&client, &base, "before", &priced(&fx, &cart_json()))
        .await
        .json()
        .await
        .expect("json");
    // Signing up sends a code: nothing about the member, the same for a known number.
    let sent = send(
        client
            .post(&url)
            .json(&json!({"phone": "+86 138-0013-8000", "consent": true, "name": "Li"})),
    )
    .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let sent: Value = sent.json().await.expect("json");
    assert_eq!(sent, json!({"sent_to": "phone", "expires_in_seconds": 600}));
    let code = fx.codes.last_for("phone:+8613800138000").expect("a code");
    let verify = format!("{base}/api/members/verify");
    let proven = send(client.post(&verify).json(&json!({
        "phone": "13800138000", "code": code, "consent": true, "name": "Li",
        "order_ids": [{"id": placed["id"], "token": placed["token"]}],
    })))
    .await;
    assert_eq!(proven.status(), StatusCode::CREATED);
    let cookie = proven.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let member: Value = proven.json().await.expect("json");
    assert_eq!(member["member"]["phone"], "+8613800138000");
    assert_eq!(member["linked_orders"][0], placed["id"]);
    let member_id = member["member"]["id"].as_str().expect("id").to_owned();
    let welcome = member["welcome_code"]["code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert!(welcome.starts_with("WELCOME-"));
    let again = fetch_json(
        client
            .post(&url)
            .json(&json!({"phone": "13800138000", "consent": true})),
    )
    .await;
    assert_eq!(
        again, sent,
        "a known number gets the same answer as a new one"
    );
    let no_consent = send(
        client
            .post(&url)
            .json(&json!({"email": "a@example.com", "consent": false})),
    )
    .await;
    let body = problem(
        no_consent,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(fields(&body), ["consent"]);
    let bad = send(client.post(&url).json(
        &json!({"email": "not-an-email", "phone": "12ab", "consent": true,
                  "order_ids": [{"id": placed["id"], "token": "wrong"}]}),
    ))
    .await;
    let body = problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation-failed").await;
    assert_eq!(fields(&body), ["email"]);
    // The welcome code works once, for the member of the session; a member id in a
    // body is refused, naming the field.
    let mut cart = cart_json();
    cart["coupon"] = json!(welcome.to_lowercase());
    let request = json!({"cart": cart, "version": fx.version(),
                         "attribution": {"campaign": "spring", "channel": "flyer"}});
    let mut impersonating = request.clone();
    impersonating["member_id"] = json!(member_id);
    let refused = send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", "welcome-0")
            .json(&impersonating),
    )
    .await;
    let body = problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(fields(&body), ["member_id"]);
    let as_member = |key: &str| {
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", key)
            .header("cookie", &cookie)
            .json(&request)
    };
    let response = send(as_member("welcome-1")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let used: Value = response.json().await.expect("json");
    assert_eq!(used["quote"]["discount"], 800);
    let body = coupon_rejected(send(as_member("welcome-2")).await).await;
    assert_eq!(body["reason"]["reason"], "already_used");
    // The sign-up coupon's own code is not a public code.
    cart["coupon"] = json!("WELCOME");
    coupon_rejected(order(&client, &base, "welcome-3", &priced(&fx, &cart)).await).await;
    let stored = fx
        .store
        .get_order(used["id"].as_str().unwrap_or_default())
        .await
        .expect("stored");
    assert_eq!(stored.member_id.as_deref(), Some(member_id.as_str()));
    assert_eq!(
        stored.attribution.map(|a| a.channel).as_deref(),
        Some("flyer")
    );
    let linked = fx
        .store
        .get_order(placed["id"].as_str().unwrap_or_default())
        .await
        .expect("linked");
    assert_eq!(linked.member_id.as_deref(), Some(member_id.as_str()));
    // At the counter, staff look the member up by the number the diner says.
    let staff = fx.key(functions::store::Role::Staff).await;
    let found = fetch_json(
        client
            .get(format!("{base}/api/staff/members?phone=138%200013%208000"))
            .bearer_auth(&staff),
    )
    .await;
    assert_eq!(found["id"], member_id.as_str());
    let unknown = send(
        client
            .get(format!("{base}/api/staff/members?email=nobody@example.com"))
            .bearer_auth(&staff),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let anonymous = send(client.get(format!("{base}/api/staff/members?email=a@b.cn"))).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn staff_need_a_staff_key_and_drive_the_queue() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let marketer = fx.key(Role::Marketer).await;
    let queue_url = format!("{base}/api/staff/queue?location=alpha&status=received,accepted");
    let none = send(client.get(&queue_url)).await;
    assert_eq!(
        none.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    problem(none, StatusCode::UNAUTHORIZED, "unauthorized").await;
    for (key, status, slug) in [
        ("carte_nope", StatusCode::UNAUTHORIZED, "unauthorized"),
        (marketer.as_str(), StatusCode::FORBIDDEN, "forbidden"),
    ] {
        let refused = send(client.get(&queue_url).bearer_auth(key)).await;
        problem(refused, status, slug).await;
    }
    let mut ids = Vec::new();
    for n in 0..2 {
        let placed: Value = order(&client, &base, &format!("q{n}"), &priced(&fx, &cart_json()))
            .await
            .json()
            .await
            .expect("json");
        ids.push(placed["id"].as_str().expect("id").to_owned());
    }
    let queue = fetch_json(client.get(&queue_url).bearer_auth(&staff)).await;
    let numbers: Vec<&str> = queue["orders"]
        .as_array()
        .map(|o| o.iter().filter_map(|o| o["number"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(numbers, ["A-002", "A-001"]);
    let status_url = format!("{base}/api/staff/orders/{}/status", ids[0]);
    let accepted = send_json(
        client.post(&status_url),
        &staff,
        &json!({"status": "accepted"}),
    )
    .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let accepted: Value = accepted.json().await.expect("json");
    assert_eq!(accepted["status"], "accepted");
    // Who: the key's label and its id (labels need not be unique).
    let by = accepted["history"][1]["by"].as_str().unwrap_or_default();
    assert!(by.starts_with("staff (key_") && by.ends_with(')'), "{by}");
    let skip = send_json(
        client.post(&status_url),
        &staff,
        &json!({"status": "completed"}),
    )
    .await;
    let body = problem(skip, StatusCode::CONFLICT, "invalid-transition").await;
    assert_eq!(body["from"], "accepted");
    let missing = send_json(
        client.post(format!("{base}/api/staff/orders/ord_missing/status")),
        &staff,
        &json!({"status": "accepted"}),
    )
    .await;
    problem(missing, StatusCode::NOT_FOUND, "not-found").await;
    let bad_location = send(
        client
            .get(format!(
                "{base}/api/staff/queue?location=nowhere&status=eaten"
            ))
            .bearer_auth(&staff),
    )
    .await;
    let body = problem(
        bad_location,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(fields(&body), ["location", "status"]);
    let stored = fx.store.get_order(&ids[0]).await.expect("order");
    assert_eq!(stored.status, OrderStatus::Accepted);
}

#[tokio::test]
async fn sold_out_switches_take_effect_at_once() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let url = format!("{base}/api/staff/sold-out");
    let egg = json!({"kind": "choice", "dish": "beef-noodles", "group": "extras", "choice": "egg"});
    let quote = || {
        send(
            client
                .post(format!("{base}/api/quote"))
                .json(&json!({"cart": cart_json()})),
        )
    };
    let set = send_json(
        client.put(&url),
        &staff,
        &json!({"item": egg, "sold_out": true}),
    )
    .await;
    assert_eq!(set.status(), StatusCode::OK);
    let public = fetch_json(client.get(format!("{base}/api/sold-out"))).await;
    assert_eq!(public["choices"][0], "beef-noodles/extras/egg");
    let body = problem(
        quote().await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-cart",
    )
    .await;
    assert_eq!(fields(&body), ["cart.lines[0].options.extras"]);
    let unknown = send_json(
        client.put(&url),
        &staff,
        &json!({"item": {"kind": "dish", "dish": "pizza"}, "sold_out": true}),
    )
    .await;
    problem(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let clear = send_json(
        client.put(&url),
        &staff,
        &json!({"item": egg, "sold_out": false}),
    )
    .await;
    let view: Value = clear.json().await.expect("json");
    assert_eq!(view["choices"].as_array().map(Vec::len), Some(0));
    assert_eq!(quote().await.status(), StatusCode::OK);
    let staff_view = send(client.get(&url).bearer_auth(&staff)).await;
    assert_eq!(staff_view.status(), StatusCode::OK);
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                k,
                v.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            char::from(b).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn the_html_form_places_an_order_and_escapes_diner_text() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let xss = "<script>alert(1)</script>";
    let body = form_body(&[
        ("location", "alpha"),
        ("mode", "dine_in"),
        ("table", "2"),
        ("qty.beef-noodles", "1"),
        ("opt.beef-noodles.spice", "extra-hot"),
        ("opt.beef-noodles.extras", "egg"),
        ("opt.beef-noodles.extras", "tofu"),
        ("qty.dumplings", "0"),
        ("qty.soup", ""),
        ("name", xss),
        ("note", "\"><img src=x onerror=alert(2)>"),
        ("idempotency_key", "form-1"),
        ("submit", "Order"),
    ]);
    let post = |body: String| {
        client
            .post(format!("{base}/api/orders"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let response = post(body.clone()).await.expect("form");
    assert_eq!(response.status(), StatusCode::CREATED);
    let html = response.text().await.expect("html");
    assert!(html.contains("A-001"));
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img src=x"));
    // 32.00 + 1.00 + 3.00 + 2.00 = 38.00, plus 10% service.
    assert!(
        html.contains("<span class=\"amount\">¥41.80</span>"),
        "{html}"
    );
    let queue = fx.store.queue("alpha", &[], 10).await.expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].quote.total, 4180);
    assert_eq!(queue[0].name.as_deref(), Some(xss));
    // A double submit places nothing new.
    let again = post(body).await.expect("again");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        fx.store.queue("alpha", &[], 10).await.expect("queue").len(),
        1
    );
    // Errors come back as a page, each in words, escaped.
    let bad = form_body(&[
        ("location", "alpha"),
        ("mode", "dine_in"),
        ("table", "<b>7</b>"),
        ("qty.beef-noodles", "1"),
        ("options", "chosen"),
    ]);
    let response = post(bad).await.expect("bad form");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("no table `&lt;b&gt;7&lt;/b&gt;`"), "{html}");
    assert!(html.contains("needs at least 1 choice"));
    assert!(!html.contains("<b>7</b>"));
    let empty = post(form_body(&[("location", "alpha"), ("mode", "pickup")]))
        .await
        .expect("empty");
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = empty.text().await.expect("html");
    assert!(html.contains("pick a pickup time") && html.contains("add at least one dish"));
}

/// A set meal's chosen dish keeps its own options: the server asks for them,
/// prices them once, keeps them on the order under their dish, and drops what the
/// plain form sends for a dish the diner did not choose.
#[tokio::test]
async fn a_set_meal_carries_the_chosen_dishs_own_options() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let cart = |options: Value| {
        json!({"cart": {
            "location": "alpha",
            "fulfilment": {"mode": "dine_in", "table": "1"},
            "lines": [{"dish": "noodle-set", "quantity": 1, "options": options}]
        }})
    };
    // The beef noodles need a spice, in the set as alone.
    let response = send(
        client
            .post(format!("{base}/api/quote"))
            .json(&cart(json!([{"group": "main", "choices": ["beef"]}]))),
    )
    .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-cart").await;
    assert_eq!(fields(&body), ["cart.lines[0].options.main/beef/spice"]);
    // 40.00 + extra-hot 1.00 + egg 3.00 = 44.00, plus 10% service.
    let response = send(client.post(format!("{base}/api/quote")).json(&cart(json!([
        {"group": "main", "choices": ["beef"]},
        {"group": "main/beef/spice", "choices": ["extra-hot"]},
        {"group": "main/beef/extras", "choices": ["egg"]}
    ]))))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let quote: Value = response.json().await.expect("json");
    assert_eq!(quote["quote"]["lines"][0]["unit_price"], 4400, "{quote}");
    assert_eq!(quote["quote"]["total"], 4840);

    // The plain form: every choice's own options are on the page; only the chosen
    // dish's count. The diner ticked an egg under the beef, then chose dumplings.
    let post = |pairs: &[(&str, &str)]| {
        client
            .post(format!("{base}/api/orders"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(pairs))
            .send()
    };
    let dumplings = post(&[
        ("location", "alpha"),
        ("mode", "dine_in"),
        ("table", "1"),
        ("qty.noodle-set", "1"),
        ("opt.noodle-set.main", "dumplings"),
        ("opt.noodle-set.main/beef/extras", "egg"),
        ("idempotency_key", "set-1"),
    ])
    .await
    .expect("form");
    assert_eq!(dumplings.status(), StatusCode::CREATED);
    let html = dumplings.text().await.expect("html");
    assert!(
        html.contains("1 × Noodle set <small>(dumplings)</small>"),
        "{html}"
    );
    let beef = post(&[
        ("location", "alpha"),
        ("mode", "dine_in"),
        ("table", "2"),
        ("qty.noodle-set", "1"),
        ("opt.noodle-set.main", "beef"),
        ("opt.noodle-set.main/beef/spice", "extra-hot"),
        ("opt.noodle-set.main/beef/extras", "egg"),
        ("idempotency_key", "set-2"),
    ])
    .await
    .expect("form");
    assert_eq!(beef.status(), StatusCode::CREATED);
    let html = beef.text().await.expect("html");
    assert!(
        html.contains("1 × Noodle set <small>(beef (extra-hot, egg))</small>"),
        "{html}"
    );
    let queue = fx.store.queue("alpha", &[], 10).await.expect("queue");
    let mut kitchen: Vec<(i64, Vec<(&str, &str)>)> = queue
        .iter()
        .map(|o| {
            let line = &o.quote.lines[0];
            let picked = line
                .options
                .iter()
                .map(|c| (c.group.as_str(), c.choice.as_str()))
                .collect();
            (line.unit_price, picked)
        })
        .collect();
    kitchen.sort();
    assert_eq!(
        kitchen,
        vec![
            (4000, vec![("main", "dumplings")]),
            (
                4400,
                vec![
                    ("main", "beef"),
                    ("main/beef/spice", "extra-hot"),
                    ("main/beef/extras", "egg")
                ]
            ),
        ]
    );
}

/// The menu's plain form carries quantities only: a dish with options comes back as
/// a second step with its groups (a set meal's chosen dish's own under its choice),
/// the rest of the form carried in hidden fields — the table the QR code named, the
/// pickup time resolved — and the second post places the order.
#[tokio::test]
async fn a_plain_order_asks_for_options_in_a_second_step() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let post = |pairs: &[(&str, &str)], referer: Option<&str>| {
        let mut request = client
            .post(format!("{base}/api/orders"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(pairs));
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        request.send()
    };
    let first = post(
        &[
            ("location", "alpha"),
            ("mode", "dine_in"),
            ("table", ""),
            ("qty.noodle-set", "1"),
            ("qty.dumplings", "2"),
            ("qty.beef-noodles", ""),
            ("note", "no <b>onions</b>"),
            ("lang", "en"),
        ],
        Some("https://noodles.example/en/alpha/?table=3"),
    )
    .await
    .expect("form");
    assert_eq!(first.status(), StatusCode::OK);
    let html = first.text().await.expect("html");
    assert!(html.contains("<h1>Choose options</h1>"), "{html}");
    assert!(html.contains("<h2>1 × Noodle set</h2>"), "{html}");
    assert!(!html.contains("× Dumplings"), "dumplings have no options");
    assert!(html.contains(r#"<input type="radio" name="opt.noodle-set.main" value="beef"> beef"#));
    assert!(
        html.contains("<legend>beef · Spice <span class=\"muted\">(required)</span></legend>"),
        "{html}"
    );
    assert!(html.contains(
        r#"<input type="radio" name="opt.noodle-set.main/beef/spice" value="extra-hot"> extra-hot <span class="amount muted">+¥1.00</span>"#
    ));
    assert!(html
        .contains(r#"<input type="checkbox" name="opt.noodle-set.main/beef/extras" value="egg">"#));
    for (name, value) in [
        ("qty.dumplings", "2"),
        ("table", "3"),
        ("note", "no &lt;b&gt;onions&lt;/b&gt;"),
        ("options", "chosen"),
        ("back", "/en/alpha/?table=3"),
    ] {
        let field = format!(r#"<input type="hidden" name="{name}" value="{value}">"#);
        assert!(html.contains(&field), "{field} in {html}");
    }
    assert!(!html.contains("<b>onions"), "{html}");
    assert!(
        html.contains(r#"<a href="/en/alpha/?table=3">"#),
        "a way back: {html}"
    );
    assert!(fx
        .store
        .queue("alpha", &[], 10)
        .await
        .expect("queue")
        .is_empty());

    // Sent back without the beef noodles' spice: a page naming it, and the way back.
    let chosen = [
        ("location", "alpha"),
        ("mode", "dine_in"),
        ("table", "3"),
        ("qty.noodle-set", "1"),
        ("qty.dumplings", "2"),
        ("lang", "en"),
        ("options", "chosen"),
        ("back", "/en/alpha/?table=3"),
        ("opt.noodle-set.main", "beef"),
    ];
    let missing = post(&chosen, None).await.expect("form");
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = missing.text().await.expect("html");
    assert!(html.contains("main/beef/spice"), "{html}");
    assert!(html.contains(r#"<a href="/en/alpha/?table=3">"#), "{html}");
    let mut complete = chosen.to_vec();
    complete.push(("opt.noodle-set.main/beef/spice", "hot"));
    let placed = post(&complete, None).await.expect("form");
    assert_eq!(placed.status(), StatusCode::CREATED);
    let html = placed.text().await.expect("html");
    assert!(
        html.contains("1 × Noodle set <small>(beef (hot))</small>"),
        "{html}"
    );
    assert!(html.contains("2 × Dumplings"), "{html}");
    let queue = fx.store.queue("alpha", &[], 10).await.expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].quote.lines.len(), 2);

    // A pickup time given as the shop's local time reaches the second step resolved.
    let pickup = post(
        &[
            ("location", "alpha"),
            ("mode", "pickup"),
            ("slot", "13:00"),
            ("qty.beef-noodles", "1"),
        ],
        None,
    )
    .await
    .expect("form");
    assert_eq!(pickup.status(), StatusCode::OK);
    let html = pickup.text().await.expect("html");
    assert!(
        html.contains(r#"<input type="hidden" name="slot" value="2026-03-02T05:00:00+00:00">"#),
        "{html}"
    );
    assert!(!html.contains(r#"<input type="radio" name="opt.beef-noodles.extras""#));
    assert!(html.contains(r#"<input type="checkbox" name="opt.beef-noodles.extras" value="tofu">"#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_keep_the_budget_and_the_idempotency_key() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let mut cart = cart_json();
    cart["coupon"] = json!("SAVE5");
    let body = priced(&fx, &cart);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60 {
        let (client, base, body) = (client.clone(), base.clone(), body.clone());
        tasks.spawn(async move {
            order(&client, &base, &format!("rush-{n}"), &body)
                .await
                .status()
        });
    }
    let mut created = 0;
    while let Some(status) = tasks.join_next().await {
        match status.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 3);
    assert_eq!(fx.store.redemption_count("SAVE5").await.expect("count"), 3);
    let plain = priced(&fx, &cart_json());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (client, base, body) = (client.clone(), base.clone(), plain.clone());
        tasks.spawn(async move {
            let response = order(&client, &base, "one-key", &body).await;
            let status = response.status();
            let body: Value = response.json().await.expect("json");
            (
                status,
                body["id"].as_str().unwrap_or_default().to_owned(),
                body["token"].clone(),
            )
        });
    }
    let mut ids = std::collections::HashSet::new();
    let mut tokens = std::collections::HashSet::new();
    let mut created = 0;
    while let Some(result) = tasks.join_next().await {
        let (status, id, token) = result.expect("task");
        created += usize::from(status == StatusCode::CREATED);
        ids.insert(id);
        tokens.insert(token.to_string());
    }
    assert_eq!((created, ids.len(), tokens.len()), (1, 1, 1));
}
