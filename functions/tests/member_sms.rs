//! A one-time code by text message through AWS SNS's API, on moto's SNS server on
//! 127.0.0.1 (it records every published text message): the code is read back from what
//! moto recorded and proves the phone number.
#![cfg(feature = "sqlite")]

mod common;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::{send, Fixture};
use functions::senders::{Senders, SnsSender};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// moto's server on a free loopback port; stopped when dropped.
struct Moto {
    _child: Child,
    endpoint: String,
}

async fn moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("moto_server: python3 -m pip install 'moto[server]'");
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    for _ in 0..150 {
        if client
            .get(format!("{endpoint}/moto-api/data.json"))
            .send()
            .await
            .is_ok()
        {
            return Moto {
                _child: child,
                endpoint,
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start within 15 s");
}

/// The text messages moto's SNS recorded.
async fn texts(moto: &Moto) -> Vec<Value> {
    let data: Value = Client::new()
        .get(format!("{}/moto-api/data.json", moto.endpoint))
        .send()
        .await
        .expect("moto")
        .json()
        .await
        .expect("json");
    data["sns"]["SMS"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_code_by_text_message_through_sns_proves_a_phone_number() {
    let moto = moto().await;
    let endpoint = moto.endpoint.clone();
    let sender = SnsSender::from_lookup(&|name| match name {
        "CARTE_SMS" => Some("sns".into()),
        "AWS_REGION" => Some("ap-east-1".into()),
        "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".into()),
        "AWS_SECRET_ACCESS_KEY" => Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
        "AWS_ENDPOINT_URL_SNS" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("settings")
    .expect("on");
    let mut fx = Fixture::new();
    fx.state = fx.state.clone().with_senders(Senders {
        email: None,
        sms: Some(Arc::new(sender)),
        console: false,
    });
    let base = fx.serve().await;
    let client = Client::new();
    let asked = send(
        client
            .post(format!("{base}/api/members/code"))
            .json(&json!({"phone": "138 0013 8000"})),
    )
    .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let sent = texts(&moto).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["phone_number"], "+8613800138000");
    let message = sent[0]["message"].as_str().expect("text");
    let code: String = message.chars().take(6).collect();
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{message}");
    assert!(message.contains("10 分钟内有效"), "{message}");

    let proven = send(
        client
            .post(format!("{base}/api/members/verify"))
            .json(&json!({
                "phone": "+86 138 0013 8000", "code": code, "consent": true,
            })),
    )
    .await;
    assert_eq!(proven.status(), StatusCode::CREATED);
    let member: Value = proven.json().await.expect("json");
    assert_eq!(member["member"]["phone"], "+8613800138000");

    // Email has no sender here: said, not pretended.
    let refused = send(
        client
            .post(format!("{base}/api/members/code"))
            .json(&json!({"email": "li@example.com"})),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: Value = refused.json().await.expect("json");
    assert!(problem["type"]
        .as_str()
        .unwrap_or_default()
        .ends_with("sender-not-configured"));
}

#[test]
fn sns_settings_name_what_is_missing() {
    let missing = SnsSender::from_lookup(&|name| (name == "CARTE_SMS").then(|| "sns".into()));
    assert!(matches!(
        missing,
        Err(functions::senders::SendError::Config {
            variable: "AWS_REGION",
            ..
        })
    ));
    assert!(SnsSender::from_lookup(&|_| None).expect("off").is_none());
    let other = SnsSender::from_lookup(&|name| (name == "CARTE_SMS").then(|| "twilio".into()));
    assert!(other.is_err());
}
