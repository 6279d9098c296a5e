//! The OpenAPI document against the router's real answers: every operation the
//! document lists is sent malformed input (no body, broken JSON, JSON of the wrong
//! shape, another media type, a broken form; odd path and query values) with no key,
//! a staff key and a marketer key, on 127.0.0.1. Every answer's status must be one the
//! document declares for that operation, sent with a content type declared for it.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

mod common;

use std::time::Duration;

use common::Fixture;
use functions::store::Role;
use reqwest::{Client, Method};
use serde_json::Value;
use utoipa::OpenApi;

/// Bodies a client can get wrong: (content type, body).
const BODIES: [(Option<&str>, &str); 8] = [
    (None, ""),
    (Some("application/json"), ""),
    (Some("application/json"), "{"),
    (Some("application/json"), "[]"),
    (Some("application/json"), "{\"unexpected\": 1}"),
    // Numbers at the ends of their range (a cash tender once overflowed on these).
    (
        Some("application/json"),
        "{\"amount\": -9223372036854775808, \"method\": \"cash\", \"tendered\": 0}",
    ),
    (Some("text/plain"), "hello"),
    (
        Some("application/x-www-form-urlencoded"),
        "location=%ZZ&qty.x=-1",
    ),
];

/// Queries with values no route takes.
const QUERIES: [&str; 2] = [
    "",
    "?from=yesterday&to=2026-13-45&location=nowhere&status=zzz&limit=-1&excel=2&phone=x&email=x",
];

/// The path with its parameters filled in a few wrong ways.
fn concrete_paths(template: &str) -> Vec<String> {
    if !template.contains('{') {
        return vec![template.to_owned()];
    }
    ["nope", "orders.csv", &"x".repeat(200)]
        .iter()
        .map(|value| {
            let mut out = String::new();
            let mut rest = template;
            while let Some(start) = rest.find('{') {
                out.push_str(&rest[..start]);
                let end = rest[start..]
                    .find('}')
                    .map_or(rest.len(), |e| start + e + 1);
                out.push_str(value);
                rest = &rest[end..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_to_malformed_input_is_declared() {
    let fx = Fixture::new();
    let staff = fx.key(Role::Staff).await;
    let marketer = fx.key(Role::Marketer).await;
    let base = fx.serve_with_peers().await;
    // The route's own answer, not where a redirect leads.
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let doc = serde_json::to_value(functions::api::openapi::ApiDoc::openapi()).expect("doc");
    let paths = doc["paths"].as_object().expect("paths");
    let mut sent = 0;
    let mut undeclared = Vec::new();
    for (template, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let responses = &operation["responses"];
            let takes_body = operation.get("requestBody").is_some();
            let bodies: &[(Option<&str>, &str)] = if takes_body { &BODIES } else { &BODIES[..1] };
            for path in concrete_paths(template) {
                for query in QUERIES {
                    for key in [None, Some(&staff), Some(&marketer)] {
                        for (media, body) in bodies {
                            let mut request = client
                                .request(method.clone(), format!("{base}{path}{query}"))
                                .body(body.to_string());
                            if let Some(media) = media {
                                request = request.header("content-type", *media);
                            }
                            if let Some(key) = key {
                                request = request.bearer_auth(key);
                            }
                            let response = request.send().await.expect("send");
                            sent += 1;
                            let status = response.status().as_u16().to_string();
                            let media_type = response
                                .headers()
                                .get("content-type")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.split(';').next())
                                .unwrap_or_default()
                                .trim()
                                .to_owned();
                            let what = format!(
                                "{method} {path}{query} key={} body={media:?} {body:?}",
                                key.map_or("none", |k| if k == &staff {
                                    "staff"
                                } else {
                                    "marketer"
                                }),
                            );
                            let Some(declared) = responses.get(&status) else {
                                undeclared.push(format!("{what}: {status} not declared"));
                                continue;
                            };
                            if let Some(content) =
                                declared.get("content").and_then(Value::as_object)
                            {
                                if !content.contains_key(&media_type) {
                                    undeclared.push(format!(
                                        "{what}: {status} as `{media_type}`, declared {:?}",
                                        content.keys().collect::<Vec<_>>()
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    undeclared.sort();
    undeclared.dedup();
    assert!(
        undeclared.is_empty(),
        "{} of {sent} answers are not in the OpenAPI document:\n{}",
        undeclared.len(),
        undeclared.join("\n")
    );
    eprintln!("{sent} malformed requests, every answer declared");
}

/// Whether the document declares `status` of `method path` with `media_type`.
fn declares(doc: &Value, method: &str, path: &str, status: u16, media_type: &str) -> bool {
    doc["paths"][path][method]["responses"][status.to_string()]["content"]
        .get(media_type)
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_for_browsers_are_declared_as_html() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let doc = serde_json::to_value(functions::api::openapi::ApiDoc::openapi()).expect("doc");
    let media = |response: &reqwest::Response| {
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_owned()
    };
    // The plain form: placed, and refused.
    for (body, want) in [
        (
            "location=alpha&mode=dine_in&table=2&qty.dumplings=1&idempotency_key=page-1",
            201,
        ),
        ("location=alpha&mode=dine_in&table=2&qty.nothing=1", 422),
    ] {
        let response = client
            .post(format!("{base}/api/orders"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("form");
        assert_eq!(response.status().as_u16(), want);
        assert_eq!(media(&response), "text/html");
        assert!(declares(&doc, "post", "/api/orders", want, "text/html"));
    }
    // The order's status, asked for by a browser.
    let placed: Value = client
        .post(format!("{base}/api/orders"))
        .header("Idempotency-Key", "page-2")
        .json(&serde_json::json!({"cart": common::cart_json(), "version": fx.version()}))
        .send()
        .await
        .expect("order")
        .json()
        .await
        .expect("json");
    let response = client
        .get(format!(
            "{base}/api/orders/{}?token={}",
            placed["id"].as_str().expect("id"),
            placed["token"].as_str().expect("token")
        ))
        .header("accept", "text/html")
        .send()
        .await
        .expect("status");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(media(&response), "text/html");
    assert!(declares(&doc, "get", "/api/orders/{id}", 200, "text/html"));
}
