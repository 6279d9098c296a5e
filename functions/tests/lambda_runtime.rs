//! The real function binaries driven end to end through a Lambda Runtime API emulator.
//!
//! The emulator is an axum server on 127.0.0.1 implementing the three calls a custom
//! runtime makes (`GET /2018-06-01/runtime/invocation/next`, `POST
//! /2018-06-01/runtime/invocation/{id}/response` and `/error`), plus `init/error`. The test
//! starts a binary with `AWS_LAMBDA_RUNTIME_API` pointing at it, hands it API Gateway v2
//! events and reads the API Gateway responses the binary posts back.
//!
//! The functions' store is DynamoDB: a fresh table on Dynoxide (a DynamoDB-compatible
//! server on loopback), reached through `AWS_ENDPOINT_URL_DYNAMODB` as in production
//! through the SDK's default endpoint.
//!
//! `CARTE_LAMBDA_BIN_DIR` runs other builds of the binaries (e.g. the `release-small`
//! ones cargo-lambda writes to `target/lambda/<name>/bootstrap`) through the same
//! journey; the time from spawn to the first `next` call (Lambda's "Init Duration") is
//! printed with `--nocapture`.

mod common;
#[path = "common/dynoxide.rs"]
mod dynoxide;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use common::{event, fetch_json};
use functions::Catalog;
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, Mutex as AsyncMutex};

/// How long any single step may take before the test fails instead of hanging.
const STEP: Duration = Duration::from_secs(20);

/// What the function posted back for one invocation.
#[derive(Debug)]
enum Outcome {
    Response(Value),
    Error(Value),
}

/// An invocation waiting to be handed out: its request id and the event.
type Invocation = (String, String);

#[derive(Clone, Default)]
struct Emulator {
    /// Events waiting for the function's next `next` call.
    queue: Arc<AsyncMutex<Option<mpsc::Receiver<Invocation>>>>,
    /// Whoever waits for each request id's outcome.
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>,
    /// When the function first asked for an event: the end of its init.
    first_next: Arc<Mutex<Option<Instant>>>,
    init_error: Arc<Mutex<Option<String>>>,
}

async fn next(State(emu): State<Emulator>) -> impl IntoResponse {
    {
        let mut first = emu.first_next.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert_with(Instant::now);
    }
    let mut queue = emu.queue.lock().await;
    let Some(receiver) = queue.as_mut() else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    match receiver.recv().await {
        Some((id, event)) => {
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() + 30_000)
                .unwrap_or_default();
            let mut headers = HeaderMap::new();
            let pairs = [
                ("lambda-runtime-aws-request-id", id),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:eu-west-1:123456789012:function:carte-orders".to_owned(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-65f1c2d3-0a1b2c3d4e5f6a7b8c9d0e1f;Parent=1;Sampled=0".to_owned(),
                ),
            ];
            for (name, value) in pairs {
                if let Ok(value) = value.parse() {
                    headers.insert(name, value);
                }
            }
            (StatusCode::OK, headers, event)
        }
        // The test is over: leave the function waiting, as Lambda freezes it.
        None => {
            *queue = None;
            (StatusCode::GONE, HeaderMap::new(), String::new())
        }
    }
}

fn finish(emu: &Emulator, id: &str, outcome: Outcome) -> StatusCode {
    let waiter = emu
        .waiting
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(id);
    match waiter {
        Some(sender) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(emu): State<Emulator>,
    UrlPath(id): UrlPath<String>,
    body: String,
) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    finish(&emu, &id, Outcome::Response(value))
}

async fn error(
    State(emu): State<Emulator>,
    UrlPath(id): UrlPath<String>,
    body: String,
) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    finish(&emu, &id, Outcome::Error(value))
}

async fn init_error(State(emu): State<Emulator>, body: String) -> StatusCode {
    *emu.init_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(body);
    StatusCode::ACCEPTED
}

/// An emulator serving on 127.0.0.1, and the sender of its events.
struct Running {
    emu: Emulator,
    addr: std::net::SocketAddr,
    events: mpsc::Sender<Invocation>,
    count: usize,
}

impl Running {
    async fn start() -> Running {
        let (events, receiver) = mpsc::channel(8);
        let emu = Emulator {
            queue: Arc::new(AsyncMutex::new(Some(receiver))),
            ..Emulator::default()
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(emu.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the emulator");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Running {
            emu,
            addr,
            events,
            count: 0,
        }
    }

    /// Sends one event and waits for the function's answer.
    async fn invoke(&mut self, event: &str) -> Outcome {
        self.count += 1;
        let id = format!("8476a536-e9f4-11e8-9739-2dfe598c{:04}", self.count);
        let (tx, rx) = oneshot::channel();
        self.emu
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), tx);
        self.events
            .send((id, event.to_owned()))
            .await
            .expect("the emulator takes events");
        tokio::time::timeout(STEP, rx)
            .await
            .expect("the function answered in time")
            .expect("an outcome")
    }

    /// Waits until the function asked for its first event; returns when that was.
    async fn ready(&self, child: &mut Child) -> Instant {
        let started = Instant::now();
        loop {
            if let Some(at) = *self
                .emu
                .first_next
                .lock()
                .unwrap_or_else(|p| p.into_inner())
            {
                return at;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the function exited during init with {status}: {}",
                    stderr_of(child).await
                );
            }
            assert!(
                started.elapsed() < STEP,
                "the function never asked for an event"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// What an exited process wrote to its (piped) stderr.
async fn stderr_of(child: &mut Child) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text).await;
    }
    text
}

/// The binary `name`: the test build, or one from `CARTE_LAMBDA_BIN_DIR`.
fn binary(name: &str) -> PathBuf {
    let built = match name {
        "quote" => env!("CARGO_BIN_EXE_quote"),
        "orders" => env!("CARGO_BIN_EXE_orders"),
        "members" => env!("CARGO_BIN_EXE_members"),
        "passkeys" => env!("CARGO_BIN_EXE_passkeys"),
        "marketing" => env!("CARGO_BIN_EXE_marketing"),
        "payments" => env!("CARGO_BIN_EXE_payments"),
        _ => env!("CARGO_BIN_EXE_staff"),
    };
    match std::env::var_os("CARTE_LAMBDA_BIN_DIR") {
        Some(dir) => Path::new(&dir).join(name).join("bootstrap"),
        None => PathBuf::from(built),
    }
}

/// What the functions run on: a temporary folder with the fixture catalog's `site.json`,
/// and a DynamoDB table with Carte's schema on a fresh Dynoxide.
struct Deployment {
    dir: tempfile::TempDir,
    version: String,
    dynamo: dynoxide::Dynoxide,
}

/// The table the functions use.
const TABLE: &str = "carte-e2e";

impl Deployment {
    async fn new() -> Deployment {
        let dir = tempfile::tempdir().expect("tempdir");
        let (version, file) = site_json(common::site());
        std::fs::write(dir.path().join("site.json"), file).expect("write site.json");
        let dynamo = dynoxide::Dynoxide::start();
        functions::store::DynamoStore::new(dynamo.client(), TABLE)
            .create_table()
            .await
            .expect("create the table");
        Deployment {
            dir,
            version,
            dynamo,
        }
    }

    /// A function process as Lambda would start it, minus the Runtime API.
    fn command(&self, name: &str) -> Command {
        let mut command = Command::new(binary(name));
        command
            .env_clear()
            .env("CARTE_SITE_JSON", self.dir.path().join("site.json"))
            .env("CARTE_TABLE", TABLE)
            .env("AWS_ENDPOINT_URL_DYNAMODB", self.dynamo.endpoint())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    fn lambda(&self, name: &str, emulator: &Running) -> Command {
        let mut command = self.command(name);
        command
            .env("AWS_LAMBDA_RUNTIME_API", emulator.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", format!("carte-{name}"))
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        command
    }

    /// Starts the function `name` on a fresh emulator and waits until it asked for its first
    /// event; prints how long its init took.
    async fn start(&self, name: &str) -> (Running, Child) {
        let emulator = Running::start().await;
        let spawned = Instant::now();
        let mut child = self
            .lambda(name, &emulator)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let ready = emulator.ready(&mut child).await;
        eprintln!(
            "{name}: init (spawn to first next) {:.1} ms",
            ready.duration_since(spawned).as_secs_f64() * 1000.0
        );
        (emulator, child)
    }
}

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    probe.local_addr().expect("addr").port()
}

/// Polls `url` until the quote binary, `child`, serves it; returns the JSON it answered.
/// Fails if the child exits first or nothing answers within [`STEP`].
async fn wait_for_json(client: &reqwest::Client, url: &str, child: &mut Child) -> Value {
    let started = Instant::now();
    loop {
        match client.get(url).send().await {
            Ok(response) => return response.json().await.expect("json"),
            Err(_) if started.elapsed() < STEP => {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "quote exited with {status} before serving: {}",
                        stderr_of(child).await
                    );
                }
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("quote never served {url}: {e}"),
        }
    }
}

/// The API Gateway v2 response the function posted: status, headers, decoded JSON body.
fn api_response(outcome: Outcome) -> (u64, Value, Value) {
    let response = match outcome {
        Outcome::Response(response) => response,
        Outcome::Error(error) => panic!("the function reported an error: {error}"),
    };
    let status = response["statusCode"].as_u64().unwrap_or_default();
    let text = response["body"].as_str().unwrap_or_default();
    let body = if response["isBase64Encoded"] == true {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64 body");
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    } else {
        serde_json::from_str(text).unwrap_or(Value::Null)
    };
    (status, response["headers"].clone(), body)
}

#[tokio::test]
async fn orders_binary_takes_an_order_once_per_idempotency_key_through_the_runtime_api() {
    let deployment = Deployment::new().await;
    let (mut emulator, mut child) = deployment.start("orders").await;

    let order =
        event("order_with_idempotency_key.json").replace("CATALOG_VERSION", &deployment.version);
    let started = Instant::now();
    let (status, headers, placed) = api_response(emulator.invoke(&order).await);
    eprintln!(
        "orders: first invocation {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(status, 201, "{placed}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(placed["number"], "A-001");
    assert_eq!(placed["quote"]["total"], 7810);

    // The same event again, as a retry: the same order.
    let (status, _, again) = api_response(emulator.invoke(&order).await);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], placed["id"]);

    // Its status, with the token in the query string and cookies on the side.
    let id = placed["id"].as_str().expect("id");
    let token = placed["token"].as_str().expect("token");
    let status_event = event("order_status_with_cookies.json")
        .replace("ORDER_ID", id)
        .replace("ORDER_TOKEN", token);
    let (status, _, view) = api_response(emulator.invoke(&status_event).await);
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "received");

    // A menu that changed since the diner loaded it is a problem, not a crash.
    let stale = event("order_with_idempotency_key.json")
        .replace("CATALOG_VERSION", "an-old-version")
        .replace("3f6c1c9e-8f0b-4d7e-9a55-1b2c3d4e5f60", "another-key");
    let (status, headers, problem) = api_response(emulator.invoke(&stale).await);
    assert_eq!(status, 409, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem["type"], "urn:carte:problem:menu-changed");

    // A body the event cannot even carry as JSON: still an answer.
    let mut broken: Value = serde_json::from_str(&order).expect("json");
    broken["body"] = json!("{not json");
    broken["headers"]["idempotency-key"] = json!("broken-key");
    let (status, _, problem) = api_response(emulator.invoke(&broken.to_string()).await);
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["type"], "urn:carte:problem:malformed-body");

    assert!(
        child.try_wait().ok().flatten().is_none(),
        "the function keeps running between invocations"
    );
    let _ = child.kill().await;
    assert!(emulator
        .emu
        .init_error
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_none());
}

#[tokio::test]
async fn every_binary_starts_on_the_runtime_api_and_answers_its_own_routes() {
    let deployment = Deployment::new().await;
    for (name, file, want) in [
        ("quote", "quote.json", 200),
        ("members", "quote.json", 404),
        ("members", "passkey_options.json", 404),
        // A sign-in ceremony begun and kept in the table.
        ("passkeys", "passkey_options.json", 200),
        ("passkeys", "quote.json", 404),
        ("staff", "staff_queue.json", 401),
        ("marketing", "staff_queue.json", 404),
        ("payments", "quote.json", 404),
    ] {
        let (mut emulator, mut child) = deployment.start(name).await;
        let (status, _, body) = api_response(emulator.invoke(&event(file)).await);
        assert_eq!(status, want, "{name}: {body}");
        let _ = child.kill().await;
    }
}

#[cfg(feature = "sqlite")] // the binaries built without it refuse CARTE_STORE=sqlite
#[tokio::test]
async fn without_the_runtime_api_a_binary_serves_plain_http_on_port_with_a_sqlite_store() {
    let deployment = Deployment::new().await;
    let port = free_port();
    // Locally the store may be a SQLite file instead of the table.
    let mut child = deployment
        .command("quote")
        .env("CARTE_STORE", "sqlite")
        .env("CARTE_SQLITE_PATH", deployment.dir.path().join("carte.db"))
        .env("PORT", port.to_string())
        .spawn()
        .expect("start quote");
    let url = format!("http://127.0.0.1:{port}/api/health");
    let health = wait_for_json(&reqwest::Client::new(), &url, &mut child).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], deployment.version);
    let _ = child.kill().await;
}

/// Runs a binary that must fail to start, and returns its standard error.
async fn failed_start(command: &mut Command) -> String {
    let output = tokio::time::timeout(STEP, command.output())
        .await
        .expect("exits in time")
        .expect("runs");
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn a_missing_or_bad_catalog_stops_start_up_with_a_message_not_a_panic() {
    let deployment = Deployment::new().await;
    let emulator = Running::start().await;
    let missing = deployment.dir.path().join("nowhere.json");
    let stderr = failed_start(
        deployment
            .lambda("orders", &emulator)
            .env("CARTE_SITE_JSON", &missing),
    )
    .await;
    assert!(stderr.contains("cannot read the catalog"), "{stderr}");
    assert!(stderr.contains("nowhere.json"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let edited = deployment.dir.path().join("edited.json");
    let mut file: Value = serde_json::from_str(
        &std::fs::read_to_string(deployment.dir.path().join("site.json")).expect("read"),
    )
    .expect("json");
    file["version"] = json!("0000");
    std::fs::write(&edited, file.to_string()).expect("write");
    let stderr = failed_start(
        deployment
            .lambda("orders", &emulator)
            .env("CARTE_SITE_JSON", &edited),
    )
    .await;
    assert!(stderr.contains("states version 0000"), "{stderr}");

    let stderr = failed_start(
        deployment
            .lambda("orders", &emulator)
            .env("CARTE_STORE", "postgres"),
    )
    .await;
    assert!(stderr.contains("CARTE_STORE=\"postgres\""), "{stderr}");
}

/// A SigV4-shaped header naming the `s3` service: moto routes an unsigned request by
/// guessing, and guesses wrong for some bodies.
const S3_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=test/20260302/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// moto's S3 on a free loopback port; stopped when dropped.
struct Moto {
    /// Killed on drop.
    _child: Child,
    endpoint: String,
}

impl Moto {
    async fn start() -> Moto {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto_server ({e}); install it with: pip install 'moto[server]'"
                )
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client.get(&endpoint).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Moto {
            _child: child,
            endpoint,
        }
    }

    async fn put(&self, key: &str, body: String) {
        let response = reqwest::Client::new()
            .put(format!("{}/{key}", self.endpoint))
            .header("authorization", S3_AUTHORIZATION)
            .body(body)
            .send()
            .await
            .expect("put");
        assert!(
            response.status().is_success(),
            "PUT {key}: {}",
            response.status()
        );
    }
}

fn site_json(site: catalog::Site) -> (String, String) {
    let catalog = Catalog::new(site);
    let text = json!({"version": catalog.version, "site": catalog.site}).to_string();
    (catalog.version, text)
}

#[tokio::test]
async fn a_catalog_in_s3_is_loaded_at_start_and_replaced_when_publish_changes_it() {
    let moto = Moto::start().await;
    moto.put("shop", String::new()).await;
    let (first, text) = site_json(common::site());
    moto.put("shop/private/site.json", text).await;

    let deployment = Deployment::new().await;
    let port = free_port();
    let mut child = deployment
        .command("quote")
        .env("CARTE_SITE_JSON", "s3://shop/private/site.json")
        .env("CARTE_CATALOG_REFRESH_SECS", "0")
        .env("AWS_ENDPOINT_URL_S3", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_SESSION_TOKEN", "test-session")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PORT", port.to_string())
        .spawn()
        .expect("start quote");
    let url = format!("http://127.0.0.1:{port}/api/health");
    let client = reqwest::Client::new();
    let health = wait_for_json(&client, &url, &mut child).await;
    assert_eq!(health["version"], first);

    // `carte publish` replaces the object: the running function serves the new menu.
    let mut site = common::site();
    site.menus[0].categories[0].dishes[1].price = 1900;
    let (second, text) = site_json(site);
    assert_ne!(first, second);
    moto.put("shop/private/site.json", text).await;
    let health = fetch_json(client.get(&url)).await;
    assert_eq!(health["version"], second);

    // An unreadable replacement is ignored: the function keeps serving the last good menu.
    moto.put("shop/private/site.json", "{oops".into()).await;
    let health = fetch_json(client.get(&url)).await;
    assert_eq!(health["version"], second);
    let _ = child.kill().await;

    // A key that is not there stops start-up with S3's answer, not a panic.
    let stderr = failed_start(
        deployment
            .command("quote")
            .env("CARTE_SITE_JSON", "s3://shop/private/missing.json")
            .env("AWS_ENDPOINT_URL_S3", &moto.endpoint),
    )
    .await;
    assert!(
        stderr.contains(
            "cannot fetch the catalog s3://shop/private/missing.json: S3 answered 404 NoSuchKey"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(moto);
}
