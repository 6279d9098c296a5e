//! The staff console's API over real HTTP: signing in for a session cookie,
//! signing out, revoked keys, cross-site refusals, the sign-in rate limit,
//! conditional polling and the live event stream.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

mod common;

use std::time::{Duration, Instant};

use common::{
    assert_operations, cart_json, fetch_json, header, problem, send, send_json, slot, Fixture,
};
use functions::store::{OrderStatus, Role};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

/// What a browser adds to the console's own requests.
fn same_origin(request: RequestBuilder) -> RequestBuilder {
    request.header("Sec-Fetch-Site", "same-origin")
}

/// A request from the console signed in with `cookie`.
fn console(request: RequestBuilder, cookie: &str) -> RequestBuilder {
    same_origin(request).header("Cookie", cookie)
}

/// Signs in with `key`; returns the response and the `name=value` of the cookie.
async fn sign_in(client: &Client, base: &str, key: &str) -> (Response, Option<String>) {
    let response = send(
        same_origin(client.post(format!("{base}/api/staff/session"))).json(&json!({ "key": key })),
    )
    .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    (response, cookie)
}

async fn session(client: &Client, base: &str, key: &str) -> String {
    let (response, cookie) = sign_in(client, base, key).await;
    assert_eq!(response.status(), StatusCode::OK);
    cookie.expect("a session cookie")
}

async fn place(client: &Client, base: &str, fx: &Fixture, key: &str) -> Value {
    place_cart(client, base, fx, key, cart_json()).await
}

/// The fixture's cart for pickup in the first slot after noon.
fn pickup_cart() -> Value {
    let mut cart = cart_json();
    cart["fulfilment"] = json!({"mode": "pickup", "slot": slot().to_rfc3339()});
    cart
}

async fn place_cart(client: &Client, base: &str, fx: &Fixture, key: &str, cart: Value) -> Value {
    let response = send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", key)
            .json(&json!({ "version": fx.version(), "cart": cart })),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_signing_out_revokes_it() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;

    let (response, cookie) = sign_in(&client, &base, &staff).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = header(&response, "set-cookie");
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/staff",
        "Max-Age=43200",
    ] {
        assert!(set_cookie.contains(part), "{part} missing in {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    assert!(
        !set_cookie.contains(&staff),
        "the key itself is never the cookie"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["role"], "staff");
    assert_eq!(body["label"], "staff");
    assert!(body["expires_at"].is_string());
    let cookie = cookie.expect("cookie");

    // Only the token's hash is stored.
    let token = cookie.trim_start_matches("carte_staff=");
    assert_eq!(token.len(), 32);
    let stored = fx
        .store
        .find_session(&functions::keys::sha256_hex(token), common::noon())
        .await
        .expect("find")
        .expect("stored by hash");
    assert_eq!(stored.key.role, Role::Staff);

    // Behind an https proxy the cookie is Secure.
    let secure = send(
        same_origin(client.post(format!("{base}/api/staff/session")))
            .header("X-Forwarded-Proto", "https")
            .json(&json!({ "key": staff })),
    )
    .await;
    let secure_cookie = header(&secure, "set-cookie");
    assert!(secure_cookie.contains("; Secure"), "{secure_cookie}");

    let queue = format!("{base}/api/staff/queue?location=alpha");
    let ok = send(console(client.get(&queue), &cookie)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let me = fetch_json(console(
        client.get(format!("{base}/api/staff/session")),
        &cookie,
    ))
    .await;
    assert_eq!(me["role"], "staff");

    let out = send(console(
        client.delete(format!("{base}/api/staff/session")),
        &cookie,
    ))
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared = header(&out, "set-cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // A copy of the cookie kept after signing out is worth nothing.
    let after = send(console(client.get(&queue), &cookie)).await;
    problem(after, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn staff_routes_need_a_session_or_key_and_the_staff_role() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let marketer = fx.key(Role::Marketer).await;
    let marketer_cookie = session(&client, &base, &marketer).await;
    let placed = place(&client, &base, &fx, "order-1").await;
    let id = placed["id"].as_str().unwrap_or_default().to_owned();

    let reads = [
        format!("{base}/api/staff/queue?location=alpha"),
        format!("{base}/api/staff/sold-out"),
        format!("{base}/api/staff/events?location=alpha"),
        format!("{base}/api/staff/session"),
    ];
    let forged = "carte_staff=0123456789abcdef0123456789abcdef";
    for url in &reads {
        for request in [
            same_origin(client.get(url)),
            console(client.get(url), forged),
        ] {
            problem(
                send(request).await,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
            )
            .await;
        }
    }
    for url in &reads[..3] {
        for request in [
            console(client.get(url), &marketer_cookie),
            client.get(url).bearer_auth(&marketer),
        ] {
            problem(send(request).await, StatusCode::FORBIDDEN, "forbidden").await;
        }
    }
    let status_url = format!("{base}/api/staff/orders/{id}/status");
    let accept = json!({"status": "accepted"});
    let sold_out = json!({"item": {"kind": "dish", "dish": "dumplings"}, "sold_out": true});
    for (request, status, slug) in [
        (
            console(client.post(&status_url), &marketer_cookie).json(&accept),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            client.post(&status_url).json(&accept),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            console(
                client.put(format!("{base}/api/staff/sold-out")),
                &marketer_cookie,
            )
            .json(&sold_out),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ] {
        problem(send(request).await, status, slug).await;
    }

    // The console's configuration and the pickup board are public, and the
    // board says nothing but numbers: of pickup orders only (the dine-in order
    // placed above goes to its table, not to the board), and which of them are
    // still to pay (numbers again: no amounts face the room).
    let pickup = place_cart(&client, &base, &fx, "order-pickup", pickup_cart()).await;
    let config = fetch_json(client.get(format!("{base}/api/staff/config"))).await;
    assert_eq!(config["currency"]["exponent"], 2);
    assert_eq!(config["age_warnings"]["amber"], 10);
    assert_eq!(config["locations"][0]["id"], "alpha");
    let board = fetch_json(client.get(format!("{base}/api/staff/board?location=alpha"))).await;
    assert_eq!(
        board,
        json!({"location": "alpha", "preparing": [pickup["number"]], "ready": [], "unpaid": [pickup["number"]]})
    );
}

#[tokio::test]
async fn cookie_changes_must_come_from_the_console_itself() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let cookie = session(&client, &base, &staff).await;
    let placed = place(&client, &base, &fx, "order-1").await;
    let id = placed["id"].as_str().unwrap_or_default().to_owned();
    let url = format!("{base}/api/staff/orders/{id}/status");
    let host = base.trim_start_matches("http://").to_owned();

    let accept = json!({"status": "accepted"});
    let by_cookie = |request: RequestBuilder| request.header("Cookie", &cookie);
    let cross_site =
        |request: RequestBuilder| by_cookie(request).header("Sec-Fetch-Site", "cross-site");
    let refused = [
        cross_site(client.post(&url)).json(&accept),
        by_cookie(client.post(&url))
            .header("Sec-Fetch-Site", "same-site")
            .json(&accept),
        by_cookie(client.post(&url))
            .header("Origin", "http://evil.example")
            .json(&accept),
        // A change by cookie with neither header is refused too (no proof of origin).
        by_cookie(client.post(&url)).json(&accept),
        cross_site(client.get(format!("{base}/api/staff/queue?location=alpha"))),
        cross_site(client.put(format!("{base}/api/staff/sold-out")))
            .json(&json!({"item": {"kind": "dish", "dish": "dumplings"}, "sold_out": true})),
        cross_site(client.delete(format!("{base}/api/staff/session"))),
    ];
    for request in refused {
        problem(send(request).await, StatusCode::FORBIDDEN, "cross-site").await;
    }
    assert_eq!(
        fx.store.get_order(&id).await.expect("order").status,
        OrderStatus::Received,
        "nothing refused changed anything"
    );

    // From the console's own origin (modern or older browser) it goes through.
    let accepted = send(console(client.post(&url), &cookie).json(&accept)).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let preparing = send(
        by_cookie(client.post(&url))
            .header("Origin", format!("http://{host}"))
            .json(&json!({"status": "preparing"})),
    )
    .await;
    assert_eq!(preparing.status(), StatusCode::OK);
    // API clients with a Bearer key need no browser headers.
    let ready = send_json(client.post(&url), &staff, &json!({"status": "ready"})).await;
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.expect("json");
    let key_id = fx.store.list_keys().await.expect("keys")[0].id.clone();
    for change in &ready["history"].as_array().cloned().unwrap_or_default()[1..] {
        assert_eq!(change["by"], format!("staff ({key_id})"), "who, recorded");
        assert!(change["at"].is_string(), "when, recorded");
    }
    // The diner's status page reads the same order.
    let diner = fetch_json(client.get(format!(
        "{base}{}",
        placed["status_url"].as_str().unwrap_or_default()
    )))
    .await;
    assert_eq!(diner["status"], "ready");
}

#[tokio::test]
async fn five_failed_sign_ins_a_minute_then_429_with_retry_after() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    for attempt in 0..5 {
        let (response, cookie) = sign_in(&client, &base, &format!("carte_wrong{attempt}")).await;
        assert!(cookie.is_none());
        problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // Even the right key waits now: guessing cannot go on.
    let (limited, cookie) = sign_in(&client, &base, &staff).await;
    assert!(cookie.is_none());
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let body = problem(limited, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
    assert_eq!(body["retry_after"], retry_after);
    // Bearer keys (API clients) are not sign-ins and are not limited.
    let by_key = send(
        client
            .get(format!("{base}/api/staff/queue?location=alpha"))
            .bearer_auth(&staff),
    )
    .await;
    assert_eq!(by_key.status(), StatusCode::OK);
}

#[tokio::test]
async fn revoking_a_key_ends_its_sessions() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let tablet = session(&client, &base, &staff).await;
    let phone = session(&client, &base, &staff).await;
    assert_ne!(tablet, phone);
    let key_id = fx.store.list_keys().await.expect("keys")[0].id.clone();
    fx.store
        .revoke_key(&key_id, common::noon())
        .await
        .expect("revoke");
    for cookie in [&tablet, &phone] {
        let refused = send(console(
            client.get(format!("{base}/api/staff/queue?location=alpha")),
            cookie,
        ))
        .await;
        problem(refused, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let (again, cookie) = sign_in(&client, &base, &staff).await;
    assert!(cookie.is_none());
    problem(again, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn polling_the_queue_and_board_answers_304_while_nothing_changed() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let cookie = session(&client, &base, &staff).await;
    for (n, url) in [
        format!("{base}/api/staff/queue?location=alpha"),
        format!("{base}/api/staff/board?location=alpha"),
    ]
    .into_iter()
    .enumerate()
    {
        let first = send(console(client.get(&url), &cookie)).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = header(&first, "etag");
        assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
        let if_changed = || console(client.get(&url), &cookie).header("If-None-Match", &etag);
        let same = send(if_changed()).await;
        assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
        assert!(same.bytes().await.expect("body").is_empty());
        place_cart(&client, &base, &fx, &format!("order-{n}"), pickup_cart()).await;
        let changed = send(if_changed()).await;
        assert_eq!(changed.status(), StatusCode::OK);
        assert_ne!(header(&changed, "etag"), etag);
    }
}

#[tokio::test]
async fn the_queue_and_board_show_each_orders_payment_and_change_when_it_is_paid() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let cookie = session(&client, &base, &staff).await;
    let order = place_cart(&client, &base, &fx, "order-paid", pickup_cart()).await;
    let (id, number) = (order["id"].as_str().unwrap(), order["number"].clone());
    let total = order["quote"]["total"].as_i64().unwrap();
    let queue_url = format!("{base}/api/staff/queue?location=alpha");
    let board_url = format!("{base}/api/staff/board?location=alpha");
    let queue = send(console(client.get(&queue_url), &cookie)).await;
    let etag = header(&queue, "etag");
    let queue: Value = queue.json().await.expect("queue");
    let payment = &queue["orders"][0]["payment"];
    assert_eq!(payment["state"], "unpaid");
    assert_eq!(payment["due"], total);
    assert_eq!(payment["mismatches"], json!([]));
    let board = fetch_json(client.get(&board_url)).await;
    assert_eq!(board["unpaid"], json!([number]));

    // Cash at the counter: the next poll of the queue is a new answer, paid; the board drops the marker.
    let paid = send(
        console(
            client.post(format!("{base}/api/staff/orders/{id}/payments")),
            &cookie,
        )
        .header("Idempotency-Key", "counter-1")
        .json(&json!({"method": "cash", "amount": total})),
    )
    .await;
    assert_eq!(paid.status(), StatusCode::CREATED);
    let changed =
        send(console(client.get(&queue_url), &cookie).header("If-None-Match", &etag)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let queue: Value = changed.json().await.expect("queue");
    assert_eq!(queue["orders"][0]["payment"]["state"], "paid");
    assert_eq!(queue["orders"][0]["payment"]["due"], 0);
    let board = fetch_json(client.get(&board_url)).await;
    assert_eq!(board["preparing"], json!([number]));
    assert_eq!(board["unpaid"], json!([]));

    // A status change answers with the order and its payment too.
    let moved = fetch_json(
        console(
            client.post(format!("{base}/api/staff/orders/{id}/status")),
            &cookie,
        )
        .json(&json!({"status": "accepted"})),
    )
    .await;
    assert_eq!(moved["payment"]["state"], "paid");
}

/// Reads the event stream until `want` appears in it, or panics after `limit`.
async fn read_until(response: &mut Response, seen: &mut String, want: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !seen.contains(want) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => panic!("the stream ended before {want:?}: {seen}"),
            Ok(Err(error)) => panic!("stream error {error} before {want:?}: {seen}"),
            Err(_) => panic!("no {want:?} within {limit:?}: {seen}"),
        }
    }
}

#[tokio::test]
async fn the_event_stream_tells_of_new_orders_at_once_and_ends_with_the_session() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let cookie = session(&client, &base, &staff).await;
    let mut stream = send(console(
        client.get(format!("{base}/api/staff/events?location=alpha")),
        &cookie,
    ))
    .await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        stream
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut seen = String::new();
    read_until(
        &mut stream,
        &mut seen,
        "event: ready",
        Duration::from_secs(2),
    )
    .await;

    let mut latencies = Vec::new();
    for n in 0..5 {
        let started = Instant::now();
        let placed = place(&client, &base, &fx, &format!("live-{n}")).await;
        let number = placed["number"].as_str().unwrap_or_default().to_owned();
        read_until(
            &mut stream,
            &mut seen,
            &format!("\"number\":\"{number}\""),
            Duration::from_secs(1),
        )
        .await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    eprintln!("order placed → event received, median {:?}", latencies[2]);
    assert!(seen.contains("event: placed"));

    let sold_out = send(
        console(client.put(format!("{base}/api/staff/sold-out")), &cookie)
            .json(&json!({"item": {"kind": "dish", "dish": "dumplings"}, "sold_out": true})),
    )
    .await;
    assert_eq!(sold_out.status(), StatusCode::OK);
    read_until(
        &mut stream,
        &mut seen,
        "event: sold_out",
        Duration::from_secs(1),
    )
    .await;

    let out = send(console(
        client.delete(format!("{base}/api/staff/session")),
        &cookie,
    ))
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    read_until(
        &mut stream,
        &mut seen,
        "event: ended",
        functions::api::events::RECHECK + Duration::from_secs(2),
    )
    .await;
    let end = tokio::time::timeout(Duration::from_secs(2), stream.chunk()).await;
    assert!(
        matches!(end, Ok(Ok(None))),
        "the stream closes after `ended`"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_console_routes() {
    let fx = Fixture::new();
    let base = fx.serve_with_peers().await;
    let doc = fetch_json(Client::new().get(format!("{base}/api/openapi.json"))).await;
    assert_operations(
        &doc,
        &[
            ("/api/staff/session", "post"),
            ("/api/staff/session", "get"),
            ("/api/staff/session", "delete"),
            ("/api/staff/events", "get"),
            ("/api/staff/config", "get"),
            ("/api/staff/board", "get"),
        ],
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["in"],
        "cookie"
    );
    // Queue orders carry their payment summary; the board its unpaid numbers.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["StaffOrder"]["properties"]["payment"]["$ref"],
        "#/components/schemas/PaymentSummary"
    );
    assert!(schemas["StaffOrder"]["required"]
        .as_array()
        .is_some_and(|r| r.contains(&json!("payment"))));
    assert_eq!(
        schemas["BoardView"]["properties"]["unpaid"]["type"],
        "array"
    );
}
