//! Real API Gateway HTTP API (payload 2.0) events, as CloudFront forwards `/api/*` to the
//! HTTP API, turned into requests by `lambda_http` and answered by each function's router.
//!
//! Fixtures are in `tests/fixtures/events/`. Values only known at run time are
//! placeholders the test fills in: `CATALOG_VERSION`, `ORDER_ID`, `ORDER_TOKEN`, `STAFF_KEY`.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

mod common;

use axum::body::Body;
use axum::http::{header, Response, StatusCode};
use axum::Router;
use common::{event as fixture, fields, Fixture};
use functions::store::Role;
use lambda_http::RequestExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Parses an event as the Lambda runtime would, and converts it to an axum request.
fn request(event: &str) -> axum::http::Request<Body> {
    let request = lambda_http::request::from_str(event).expect("an API Gateway v2 event");
    let (parts, body) = request.into_parts();
    axum::http::Request::from_parts(parts, Body::from(body.to_vec()))
}

async fn send(router: Router, event: &str) -> (StatusCode, String, Value) {
    let response: Response<Body> = router.oneshot(request(event)).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, content_type, body)
}

/// Sends `event`: the answer must be the problem `slug` with status `want`, which its body
/// states too. Returns the body.
async fn problem(router: Router, event: &str, want: StatusCode, slug: &str) -> Value {
    let (status, content_type, body) = send(router, event).await;
    common::assert_problem(status, &content_type, &body, want, slug);
    assert_eq!(body["status"], want.as_u16());
    body
}

#[tokio::test]
async fn a_quote_event_is_priced_by_the_quote_function() {
    let fx = Fixture::new();
    let event = fixture("quote.json");
    let parsed = lambda_http::request::from_str(&event).expect("event");
    assert_eq!(parsed.method(), "POST");
    assert_eq!(parsed.uri().path(), "/api/quote");
    assert_eq!(
        parsed.headers()["x-forwarded-for"],
        "203.0.113.7, 15.158.35.41"
    );
    let (status, content_type, body) =
        send(functions::quote_router(fx.state.clone()), &event).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(content_type, "application/json");
    // 35.00 + 2 × 18.00 = 71.00, minus the 5.00 coupon, plus 10% service on 66.00.
    assert_eq!(body["quote"]["subtotal"], 7100);
    assert_eq!(body["quote"]["discount"], 500);
    assert_eq!(body["quote"]["total"], 7260);
    assert_eq!(body["version"], fx.version());
}

#[tokio::test]
async fn a_base64_body_is_decoded_before_the_handler_sees_it() {
    let fx = Fixture::new();
    let event = fixture("quote_base64.json");
    let raw: Value = serde_json::from_str(&event).expect("json");
    assert_eq!(raw["isBase64Encoded"], true);
    assert!(!raw["body"].as_str().unwrap_or_default().starts_with('{'));
    let (status, _, body) = send(functions::quote_router(fx.state.clone()), &event).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["quote"]["total"], 7260);
}

#[tokio::test]
async fn an_order_with_an_idempotency_key_is_stored_once_and_its_status_read_with_cookies_and_a_query(
) {
    let fx = Fixture::new();
    let orders = functions::orders_router(fx.state.clone());
    let event =
        fixture("order_with_idempotency_key.json").replace("CATALOG_VERSION", &fx.version());
    let parsed = lambda_http::request::from_str(&event).expect("event");
    assert_eq!(
        parsed.headers()["idempotency-key"],
        "3f6c1c9e-8f0b-4d7e-9a55-1b2c3d4e5f60"
    );

    let (status, _, placed) = send(orders.clone(), &event).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["number"], "A-001");
    assert_eq!(placed["quote"]["total"], 7810);
    // The same event again (API Gateway or the phone retried): the same order, not a new one.
    let (status, _, again) = send(orders.clone(), &event).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], placed["id"]);
    assert_eq!(again["token"], placed["token"]);

    let id = placed["id"].as_str().expect("id");
    let token = placed["token"].as_str().expect("token");
    let event = fixture("order_status_with_cookies.json")
        .replace("ORDER_ID", id)
        .replace("ORDER_TOKEN", token);
    let parsed = lambda_http::request::from_str(&event).expect("event");
    // HTTP API v2 sends cookies apart from the headers; lambda_http puts them back.
    assert_eq!(
        parsed.headers()[header::COOKIE],
        "carte_lang=en; carte_cart=%7B%22n%22%3A3%7D"
    );
    assert_eq!(
        parsed.uri().query(),
        Some(format!("token={token}&lang=en").as_str())
    );
    assert_eq!(parsed.query_string_parameters().first("lang"), Some("en"));
    let (status, _, view) = send(orders.clone(), &event).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["id"], id);
    assert_eq!(view["status"], "received");

    // A wrong token is not found, as a problem.
    let wrong = fixture("order_status_with_cookies.json")
        .replace("ORDER_ID", id)
        .replace("ORDER_TOKEN", "not-the-token");
    problem(orders, &wrong, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_problem_json() {
    let fx = Fixture::new();
    let mut event: Value = serde_json::from_str(&fixture("quote.json")).expect("json");
    let note = "x".repeat(functions::api::limits::BODY_LIMIT);
    let body = json!({"cart": common::cart_json(), "note": note}).to_string();
    event["headers"]["content-length"] = json!(body.len().to_string());
    event["body"] = json!(body);
    let too_large = problem(
        functions::quote_router(fx.state.clone()),
        &event.to_string(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
    )
    .await;
    assert_eq!(too_large["limit"], functions::api::limits::BODY_LIMIT);

    // The same through the orders function, base64-encoded as API Gateway sends binary bodies.
    let mut event: Value =
        serde_json::from_str(&fixture("order_with_idempotency_key.json")).expect("json");
    use base64::Engine as _;
    let body =
        json!({"cart": common::cart_json(), "version": fx.version(), "note": "y".repeat(100_000)});
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body.to_string()));
    event["isBase64Encoded"] = json!(true);
    problem(
        functions::orders_router(fx.state.clone()),
        &event.to_string(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_dish_is_a_problem_naming_the_line() {
    let fx = Fixture::new();
    let invalid = problem(
        functions::quote_router(fx.state.clone()),
        &fixture("quote_unknown_dish.json"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-cart",
    )
    .await;
    assert_eq!(fields(&invalid), ["cart.lines[0].dish"], "{invalid}");
}

#[tokio::test]
async fn the_staff_queue_needs_a_staff_key_from_the_authorization_header() {
    let fx = Fixture::new();
    let staff = functions::staff_router(fx.state.clone());
    let event = fixture("staff_queue.json");
    problem(
        staff.clone(),
        &event,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let marketer = fx.key(Role::Marketer).await;
    problem(
        staff.clone(),
        &event.replace("STAFF_KEY", &marketer),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let key = fx.key(Role::Staff).await;
    let (status, _, queue) = send(staff, &event.replace("STAFF_KEY", &key)).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert!(queue.is_object() || queue.is_array(), "{queue}");
}

#[tokio::test]
async fn a_route_of_another_function_is_not_found_in_this_one() {
    let fx = Fixture::new();
    // The quote event sent to the members function: each binary serves only its routes.
    problem(
        functions::members_router(fx.state.clone()),
        &fixture("quote.json"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

#[test]
fn the_site_json_carte_publish_writes_is_the_catalog_the_functions_load() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../site-content");
    let project = generator::build::check(&root).unwrap_or_else(|e| panic!("demo site: {e}"));
    let bytes = generator::render::catalog_json::site_json(&project).expect("site.json");
    let catalog = functions::lambda::parse_site_json(&bytes, "site.json").expect("loads");
    assert_eq!(catalog.version, project.version);
    assert_eq!(catalog.site, project.site);
}

#[tokio::test]
async fn the_account_pages_form_is_served_by_the_members_function() {
    let fx = Fixture::new();
    let me = common::sign_in(
        &fx.state,
        &fx.codes,
        json!({"email": "li@example.com"}),
        json!({}),
    )
    .await;
    let token = me.cookie.trim_start_matches("carte_member=");
    // A browser's plain form post through CloudFront and API Gateway: cookies apart,
    // the body base64-encoded, the host the API's own (Sec-Fetch-Site says same-origin).
    let event = fixture("account_consent_form.json").replace("MEMBER_TOKEN", token);
    let response = functions::members_router(fx.state.clone())
        .oneshot(request(&event))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/api/members/account?lang=en"
    );
    let member = fx
        .store
        .find_member(functions::store::MemberKey::Id(me.id.clone()))
        .await
        .expect("find")
        .expect("member");
    assert_eq!(member.consent_withdrawn_at, Some(common::noon()));
    // Without Sec-Fetch-Site, the Origin is the shop's, not the API's host: refused
    // unless the function knows the shop's address (CARTE_PUBLIC_URL), as on AWS.
    let older = event.replace("\"sec-fetch-site\": \"same-origin\",", "");
    let response = functions::members_router(fx.state.clone())
        .oneshot(request(&older))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// Failed sign-ins one address may make in a minute (`limiter::MAX_FAILURES`).
const SIGN_IN_FAILURES: usize = 5;

/// The staff sign-in event through CloudFront from `viewer`, with `hop` as the first
/// `X-Forwarded-For` entry (which the client chooses).
fn sign_in_from(viewer: &str, hop: &str) -> String {
    fixture("staff_sign_in_via_cloudfront.json")
        .replace("VIEWER_ADDRESS", viewer)
        .replace("SPOOFED_FIRST_HOP", hop)
}

#[tokio::test]
async fn failed_sign_ins_count_against_the_viewer_cloudfront_names_not_its_edge() {
    let fx = Fixture::new();
    let staff = functions::staff_router(fx.state.clone());
    // Every request reaches API Gateway from the same CloudFront edge (sourceIp); each
    // try claims a new X-Forwarded-For address, which must not reset the count.
    let guesser = "198.51.100.10:46532";
    for attempt in 0..SIGN_IN_FAILURES {
        let event = sign_in_from(guesser, &format!("192.0.2.{attempt}"));
        problem(
            staff.clone(),
            &event,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
    let event = sign_in_from(guesser, "192.0.2.200");
    problem(
        staff.clone(),
        &event,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
    )
    .await;
    // The same address from another port (a new connection) is the same guesser.
    let event = sign_in_from("198.51.100.10:51000", "192.0.2.201");
    problem(
        staff.clone(),
        &event,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
    )
    .await;

    // A colleague behind the same edge, on IPv6 as CloudFront writes it (no brackets),
    // is not locked out by the guesser.
    let event = sign_in_from("2001:db8:85a3::8a2e:370:7334:52000", "198.51.100.10");
    problem(
        staff.clone(),
        &event,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let event = sign_in_from("[2001:db8::9]:443", "198.51.100.10");
    problem(
        staff.clone(),
        &event,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn without_a_viewer_address_the_api_gateway_source_ip_counts() {
    let fx = Fixture::new();
    let staff = functions::staff_router(fx.state.clone());
    // Called without CloudFront's header (or with a value that is not ip:port), the
    // address is API Gateway's sourceIp, which the client cannot choose.
    for attempt in 0..SIGN_IN_FAILURES {
        let event = sign_in_from("not an address", &format!("192.0.2.{attempt}"))
            .replace("\"cloudfront-viewer-address\": \"not an address\",", "");
        problem(
            staff.clone(),
            &event,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
    let event = sign_in_from("garbage", "192.0.2.99");
    problem(
        staff.clone(),
        &event,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
    )
    .await;
}
