//! A diner proves an email address through the real router on 127.0.0.1: the one-time
//! code goes through a real SMTP server (Python's `aiosmtpd`, started here) and is read
//! from the delivered message; the proof opens a member session cookie; the answers
//! never tell a member from a stranger; wrong codes are locked out after five tries.
#![cfg(feature = "sqlite")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{noon, send, Fixture, Reporter};
use functions::senders::{Senders, SmtpSender};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A real SMTP server on 127.0.0.1 (`smtp_sink.py`) that reports each delivered message.
async fn mailbox() -> Reporter {
    Reporter::start(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/members/smtp_sink.py"),
        "aiosmtpd",
    )
    .await
}

/// The six digits in a message.
fn code_in(message: &Value) -> String {
    let subject = message["subject"].as_str().unwrap();
    let code: String = subject.chars().take_while(|c| c.is_ascii_digit()).collect();
    assert_eq!(code.len(), 6, "{message}");
    assert!(message["text"].as_str().unwrap().contains(&code));
    code
}

fn fixture(mailbox: &Reporter) -> Fixture {
    let mut fx = Fixture::new();
    let port = mailbox.first["port"].to_string();
    let sender = SmtpSender::from_lookup(&|name| match name {
        "CARTE_SMTP_HOST" => Some("127.0.0.1".into()),
        "CARTE_SMTP_PORT" => Some(port.clone()),
        "CARTE_SMTP_SECURITY" => Some("none".into()),
        "CARTE_SMTP_FROM" => Some("Carte <codes@carte.test>".into()),
        _ => None,
    })
    .unwrap()
    .unwrap();
    fx.state = fx.state.clone().with_senders(Senders {
        email: Some(Arc::new(sender)),
        sms: None,
        console: false,
    });
    fx
}

async fn ask(client: &Client, base: &str, body: Value) -> (StatusCode, Value) {
    let response = send(client.post(format!("{base}/api/members/code")).json(&body)).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn verify(client: &Client, base: &str, body: Value) -> reqwest::Response {
    send(
        client
            .post(format!("{base}/api/members/verify"))
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn a_code_by_email_signs_a_diner_up_and_in_and_strangers_look_like_members() {
    let mut mailbox = mailbox().await;
    let fx = fixture(&mailbox);
    let base = fx.serve().await;
    let client = Client::new();

    let (status, sent) = ask(&client, &base, json!({"email": " Li@Example.COM "})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent, json!({"sent_to": "email", "expires_in_seconds": 600}));
    let message = mailbox.next().await;
    assert_eq!(message["to"], json!(["li@example.com"]));
    assert_eq!(message["from"], "codes@carte.test");
    let code = code_in(&message);

    // Without consent a new address cannot become a member; the code is not spent.
    let refused = verify(
        &client,
        &base,
        json!({"email": "li@example.com", "code": code}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "consent");

    let proven = verify(
        &client,
        &base,
        json!({"email": "li@example.com", "code": code, "consent": true, "name": "Li"}),
    )
    .await;
    assert_eq!(proven.status(), StatusCode::CREATED);
    let cookie = proven.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("carte_member="), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=15552000"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    let body: Value = proven.json().await.unwrap();
    assert_eq!(body["created"], true);
    assert_eq!(body["member"]["email"], "li@example.com");
    let id = body["member"]["id"].as_str().unwrap().to_owned();
    assert!(body["welcome_code"]["code"].as_str().is_some(), "{body}");

    // The cookie is the member: `me` answers, and sign-out ends it.
    let me: Value = send(
        client
            .get(format!("{base}/api/members/me"))
            .header("cookie", &session),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["id"], id.as_str());
    // The used code proves nothing again.
    let again = verify(
        &client,
        &base,
        json!({"email": "li@example.com", "code": code, "consent": true}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let out = send(
        client
            .delete(format!("{base}/api/members/session"))
            .header("cookie", &session),
    )
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let gone = send(
        client
            .get(format!("{base}/api/members/me"))
            .header("cookie", &session),
    )
    .await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);

    // A member and a stranger ask for a code: the same answer, nothing about the member.
    let (member_status, member_answer) =
        ask(&client, &base, json!({"email": "li@example.com"})).await;
    let (stranger_status, stranger_answer) =
        ask(&client, &base, json!({"email": "nobody@example.com"})).await;
    assert_eq!(member_status, stranger_status);
    assert_eq!(member_answer, stranger_answer);
    let second = code_in(&mailbox.next().await);
    mailbox.next().await;

    // Signing in again: the same member, no second welcome code.
    let back = verify(
        &client,
        &base,
        json!({"email": "li@example.com", "code": second}),
    )
    .await;
    assert_eq!(back.status(), StatusCode::OK);
    let back: Value = back.json().await.unwrap();
    assert_eq!(back["member"]["id"], id.as_str());
    assert_eq!(back["created"], false);
    assert!(back.get("welcome_code").is_none());
}

#[tokio::test]
async fn five_wrong_codes_lock_the_code_and_an_address_gets_five_codes_an_hour() {
    let mut mailbox = mailbox().await;
    let fx = fixture(&mailbox);
    let base = fx.serve().await;
    let client = Client::new();
    let (status, _) = ask(&client, &base, json!({"email": "wang@example.com"})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let code = code_in(&mailbox.next().await);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let response = verify(
            &client,
            &base,
            json!({"email": "wang@example.com", "code": wrong, "consent": true}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "code");
        assert_eq!(
            problem["errors"][0]["reason"],
            format!("not the code sent; {left} tries left")
        );
    }
    let locked = verify(
        &client,
        &base,
        json!({"email": "wang@example.com", "code": code, "consent": true}),
    )
    .await;
    assert_eq!(locked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = locked.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["reason"],
        "this code is no longer valid: ask for a new one"
    );

    // Four more codes this hour (five in all), then the answer stays the same but no mail goes.
    let client_b = Client::new();
    for _ in 0..4 {
        fx.clock.set(noon() + chrono::Duration::minutes(1));
        let (status, _) = ask(&client_b, &base, json!({"email": "wang@example.com"})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        mailbox.next().await;
    }
    let (status, answer) = ask(&client_b, &base, json!({"email": "wang@example.com"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert!(
        mailbox.quiet_for(Duration::from_millis(300)).await,
        "a sixth code this hour is not sent"
    );
    let (status, _) = ask(&client_b, &base, json!({"phone": "+8613800138000"})).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "no SMS sender and no console: said, not pretended"
    );
}

#[tokio::test]
async fn a_client_asking_too_often_waits() {
    let mailbox = mailbox().await;
    let fx = fixture(&mailbox);
    let base = fx.serve().await;
    let client = Client::new();
    let mut statuses = Vec::new();
    for n in 0..22 {
        let (status, _) = ask(
            &client,
            &base,
            json!({"email": format!("p{n}@example.com")}),
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(statuses[..20], [StatusCode::ACCEPTED; 20]);
    assert_eq!(statuses[20..], [StatusCode::TOO_MANY_REQUESTS; 2]);
    let mut mailbox = mailbox;
    for _ in 0..20 {
        mailbox.next().await;
    }
    assert!(mailbox.quiet_for(Duration::from_millis(300)).await);
}
