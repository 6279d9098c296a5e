//! The passkey routes through the real router on 127.0.0.1, on a real SQLite file:
//! registering needs a member session; the options are a discoverable, user-verified
//! credential for the shop's own host; a ceremony is used once, by its own member;
//! what does not verify is refused naming the field. The full ceremony with an
//! authenticator runs in Chromium (tests/browser/passkeys.test.mjs).
#![cfg(feature = "sqlite")]

mod common;

use common::{fields, problem, send, sign_in, Fixture};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const HOST: &str = "shop.localhost:8080";

/// A request as the storefront at `HOST` sends it, with `cookie` if any.
fn post(client: &Client, base: &str, path: &str, cookie: Option<&str>) -> reqwest::RequestBuilder {
    let mut request = client
        .post(format!("{base}{path}"))
        .header("host", HOST)
        .header("content-type", "application/json");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request
}

#[tokio::test]
async fn registering_needs_a_session_and_yields_discoverable_options_for_the_shop() {
    let fixture = Fixture::new();
    let base = fixture.serve().await;
    let client = Client::new();

    let anonymous =
        send(post(&client, &base, "/api/members/passkeys/options", None).body("{}")).await;
    problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let member = sign_in(
        &fixture.state,
        &fixture.codes,
        json!({"phone": "+8613800138000"}),
        json!({}),
    )
    .await;
    let answer = send(
        post(
            &client,
            &base,
            "/api/members/passkeys/options",
            Some(&member.cookie),
        )
        .body("{}"),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let body: Value = answer.json().await.unwrap();
    let options = &body["options"];
    assert_eq!(options["rp"]["id"], "shop.localhost");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(
        options["challenge"].as_str().unwrap().len() >= 43,
        "{options}"
    );
    // The user handle is not the member id (nothing about the person on the device).
    assert_ne!(options["user"]["id"], member.id.as_str());
    let ceremony = body["ceremony"].as_str().unwrap().to_owned();

    // An answer that is not a credential: refused naming the field, and the ceremony is spent.
    let bad = send(
        post(
            &client,
            &base,
            "/api/members/passkeys",
            Some(&member.cookie),
        )
        .body(json!({"ceremony": ceremony, "credential": {"id": "x"}}).to_string()),
    )
    .await;
    let refused = problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation-failed").await;
    assert_eq!(fields(&refused), ["credential"]);
    let again = send(
        post(
            &client,
            &base,
            "/api/members/passkeys",
            Some(&member.cookie),
        )
        .body(json!({"ceremony": ceremony, "credential": {"id": "x"}}).to_string()),
    )
    .await;
    let spent = problem(again, StatusCode::UNPROCESSABLE_ENTITY, "validation-failed").await;
    assert_eq!(fields(&spent), ["ceremony"]);
}

#[tokio::test]
async fn a_ceremony_belongs_to_its_member() {
    let fixture = Fixture::new();
    let base = fixture.serve().await;
    let client = Client::new();
    let a = sign_in(
        &fixture.state,
        &fixture.codes,
        json!({"phone": "+8613800138001"}),
        json!({}),
    )
    .await;
    let b = sign_in(
        &fixture.state,
        &fixture.codes,
        json!({"phone": "+8613800138002"}),
        json!({}),
    )
    .await;
    let body: Value = send(
        post(
            &client,
            &base,
            "/api/members/passkeys/options",
            Some(&a.cookie),
        )
        .body("{}"),
    )
    .await
    .json()
    .await
    .unwrap();
    let stolen = send(
        post(&client, &base, "/api/members/passkeys", Some(&b.cookie))
            .body(json!({"ceremony": body["ceremony"], "credential": {}}).to_string()),
    )
    .await;
    let refused = problem(
        stolen,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(fields(&refused), ["ceremony"]);
}

#[tokio::test]
async fn signing_in_refuses_what_does_not_verify_and_tells_nothing() {
    let fixture = Fixture::new();
    let base = fixture.serve().await;
    let client = Client::new();
    let started = send(post(&client, &base, "/api/members/passkey/options", None).body("{}")).await;
    assert_eq!(started.status(), StatusCode::OK);
    let body: Value = started.json().await.unwrap();
    assert_eq!(body["options"]["rpId"], "shop.localhost");
    assert_eq!(body["options"]["userVerification"], "required");
    // Discoverable: no credential list that would tell whose passkeys exist.
    assert!(body["options"]["allowCredentials"]
        .as_array()
        .is_none_or(Vec::is_empty));
    // A well-formed answer with an unknown credential and a made-up user handle.
    let forged = json!({
        "ceremony": body["ceremony"],
        "credential": {
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {"authenticatorData": "AAAA", "clientDataJSON": "e30", "signature": "AAAA", "userHandle": "AAAAAAAAAAAAAAAAAAAAAA"},
        },
    });
    let refused =
        send(post(&client, &base, "/api/members/passkey/verify", None).body(forged.to_string()))
            .await;
    assert!(refused.headers().get("set-cookie").is_none());
    let problem_body = problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(fields(&problem_body), ["credential"]);
    // Not JSON at all.
    let plain = send(
        client
            .post(format!("{base}/api/members/passkey/verify"))
            .header("host", HOST)
            .header("content-type", "text/plain")
            .body("x"),
    )
    .await;
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn the_openapi_document_lists_the_passkey_routes() {
    let fixture = Fixture::new();
    let base = fixture.serve().await;
    let doc: Value = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    common::assert_operations(
        &doc,
        &[
            ("/api/members/passkeys/options", "post"),
            ("/api/members/passkeys", "post"),
            ("/api/members/passkeys", "get"),
            ("/api/members/passkeys/{id}", "delete"),
            ("/api/members/passkey/options", "post"),
            ("/api/members/passkey/verify", "post"),
        ],
    );
}
