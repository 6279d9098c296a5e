//! The `carte` command on the production store: `--store dynamodb` for serve,
//! keys and export, against Dynoxide (a DynamoDB-compatible server) on 127.0.0.1.

mod common;

use common::{catalog_version, client, dan_dan_cart, demo_copy, run_carte, Dynoxide, Server};
use serde_json::{json, Value};

#[test]
fn serve_keys_and_export_work_on_a_dynamodb_table() {
    let dynoxide = Dynoxide::start();
    // The only test of this file, before any thread is started: the child
    // processes inherit the endpoint and dummy credentials.
    std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", &dynoxide.endpoint);
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    let (_tmp, site) = demo_copy();
    let dir = site.to_str().expect("utf-8 path");
    let on_dynamo = ["--store", "dynamodb", "--table", "carte-cli"];

    let mut args = vec![
        "keys",
        "create",
        "--role",
        "staff",
        "--dir",
        dir,
        "--create-table",
    ];
    args.extend(on_dynamo);
    let (code, key, err) = run_carte(&args);
    assert_eq!(code, 0, "{err}");
    assert!(key.trim().starts_with("carte_"), "{key}");

    let mut serve_args = vec!["--no-watch"];
    serve_args.extend(on_dynamo);
    let server = Server::start_with(&site, &serve_args);
    assert!(
        server.stdout().contains("DynamoDB table carte-cli"),
        "{}",
        server.stdout()
    );
    let http = client();
    let placed = http
        .post(server.url("/api/orders"))
        .header("Idempotency-Key", "dynamo-cli-1")
        .json(&json!({ "cart": dan_dan_cart(2), "version": catalog_version(&server) }))
        .send()
        .expect("order");
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().expect("order json");
    let number = order["number"].as_str().expect("number").to_owned();
    let id = order["id"].as_str().expect("id").to_owned();

    let queue = http
        .get(server.url("/api/staff/queue?location=chunxi"))
        .bearer_auth(key.trim())
        .send()
        .expect("queue");
    assert_eq!(
        queue.status(),
        200,
        "the key made by the CLI is in the table"
    );
    assert!(queue.text().expect("queue body").contains(&id));
    assert!(
        !site.join(".carte/carte.db").exists(),
        "nothing went to SQLite"
    );

    let mut export = vec!["export", "orders", "--dir", dir];
    export.extend(on_dynamo);
    let (code, csv, err) = run_carte(&export);
    assert_eq!(code, 0, "{err}");
    let row = csv
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("{id} not exported:\n{csv}"));
    assert!(row.contains(&number) && row.contains("chunxi"), "{row}");

    let mut list = vec!["keys", "list", "--dir", dir];
    list.extend(on_dynamo);
    let (code, keys, err) = run_carte(&list);
    assert_eq!(code, 0, "{err}");
    assert!(
        keys.contains("staff") && !keys.contains(key.trim()),
        "{keys}"
    );
}
