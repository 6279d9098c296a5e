//! Test fixtures: a small restaurant built in Rust, a fixed clock, and a server on loopback.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use catalog::{
    Campaign, Category, Channel, ChannelKind, Charges, Choice, Coupon, CouponKind, Currency, Dish,
    Issue, Localized, Location, Menu, OptionGroup, Pickup, Scope, Settings, Site, TimeRange,
    Window,
};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
#[cfg(feature = "sqlite")]
use functions::store::{Role, SqliteStore, Store};
#[cfg(feature = "sqlite")]
use functions::{AppState, Catalog};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
#[cfg(feature = "sqlite")]
use tempfile::TempDir;

fn en(text: &str) -> Localized {
    Localized::plain("en", text)
}

fn choice(id: &str, delta: i64) -> Choice {
    Choice {
        id: id.into(),
        name: en(id),
        price_delta: delta,
        sold_out: false,
        dish: None,
    }
}

fn dish(id: &str, name: &str, price: i64, options: Vec<OptionGroup>) -> Dish {
    Dish {
        id: id.into(),
        name: en(name),
        description: Localized::default(),
        price,
        image: None,
        tags: Vec::new(),
        allergens: Vec::new(),
        options,
        available: None,
        sold_out: false,
        combo: false,
    }
}

/// A shared coupon with no limits but its `kind`: tests set the rest with `..coupon(…)`.
pub fn coupon(code: &str, kind: CouponKind) -> Coupon {
    Coupon {
        code: code.into(),
        kind,
        min_spend: 0,
        max_discount: None,
        scope: Scope::default(),
        valid_from: None,
        valid_until: None,
        hours: None,
        budget: None,
        per_member: None,
        issue: Issue::Shared,
        budget_amount: None,
        first_order_only: false,
        members_only: false,
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time")
}

/// Monday 2 March 2026, 12:00 in Shanghai (04:00 UTC): both shops are open.
pub fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0)
        .single()
        .expect("instant")
}

/// The same day at 18:00 in Shanghai: the lunch-only shop is closed.
pub fn evening() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("instant")
}

/// A pickup slot at `alpha` (15-minute slots, 15 minutes' lead) one hour after noon.
pub fn slot() -> DateTime<Utc> {
    noon() + chrono::Duration::hours(1)
}

/// The fixture restaurant.
///
/// - `alpha` (prefix A): open 24/7, tables 1–3, pickup in 15-minute slots of capacity 2.
/// - `beta` (prefix B): lunch only (11:00–14:00), table 1, no pickup.
/// - dishes: `beef-noodles` 32.00 with a required `spice` group (mild, hot, extra-hot +1.00)
///   and an optional `extras` group (egg +3.00, tofu +2.00, at most 2); `dumplings` 18.00;
///   `soup` sold out in the content; `noodle-set` 40.00, a set meal whose `main` is
///   `beef` (the beef noodles, with their own options) or `dumplings`.
/// - coupons of campaign `spring` (channels `flyer`, `chat`): `SAVE5` 5.00 off with a budget
///   of 3; `MEMBER10` 10% off once per member; `BIG` 10.00 off above 100.00; `WELCOME`
///   8.00 off, issued at sign-up.
pub fn site() -> Site {
    let noodles = dish(
        "beef-noodles",
        "Beef noodles",
        3200,
        vec![
            OptionGroup {
                id: "spice".into(),
                name: en("Spice"),
                min: 1,
                max: 1,
                choices: vec![
                    choice("mild", 0),
                    choice("hot", 0),
                    choice("extra-hot", 100),
                ],
            },
            OptionGroup {
                id: "extras".into(),
                name: en("Extras"),
                min: 0,
                max: 2,
                choices: vec![choice("egg", 300), choice("tofu", 200)],
            },
        ],
    );
    let mut noodle_set = dish(
        "noodle-set",
        "Noodle set",
        4000,
        vec![OptionGroup {
            id: "main".into(),
            name: en("Main"),
            min: 1,
            max: 1,
            choices: vec![
                Choice {
                    dish: Some("beef-noodles".into()),
                    ..choice("beef", 0)
                },
                Choice {
                    dish: Some("dumplings".into()),
                    ..choice("dumplings", 0)
                },
            ],
        }],
    );
    noodle_set.combo = true;
    let mut soup = dish("soup", "Soup", 1200, Vec::new());
    soup.sold_out = true;
    let always = Window::default();
    let lunch = Window {
        days: Vec::new(),
        hours: vec![TimeRange {
            from: hm(11, 0),
            until: hm(14, 0),
        }],
    };
    Site {
        settings: Settings {
            name: en("Noodle House"),
            languages: vec!["en".into()],
            currency: Currency::from_code("CNY").expect("CNY"),
            timezone: chrono_tz::Asia::Shanghai,
            base_url: "https://noodles.example".into(),
            description: Localized::default(),
            charges: Charges {
                service_charge: 1000,
                tax_rate: 600,
                tax_inclusive: true,
                rounding: Default::default(),
            },
            theme: "default".into(),
            age_warnings: Default::default(),
            labels: Default::default(),
        },
        locations: vec![
            Location {
                id: "alpha".into(),
                name: en("Alpha"),
                address: en("1 Alpha Road"),
                phone: None,
                hours: vec![always],
                tables: vec!["1".into(), "2".into(), "3".into()],
                dine_in: true,
                pickup: Some(Pickup {
                    slot_minutes: 15,
                    capacity: 2,
                    lead_minutes: 15,
                    days_ahead: 1,
                }),
                menu: "main".into(),
                order_prefix: "A".into(),
                payment: Default::default(),
            },
            Location {
                id: "beta".into(),
                name: en("Beta"),
                address: en("2 Beta Street"),
                phone: None,
                hours: vec![lunch],
                tables: vec!["1".into()],
                dine_in: true,
                pickup: None,
                menu: "main".into(),
                order_prefix: "B".into(),
                payment: Default::default(),
            },
        ],
        menus: vec![Menu {
            id: "main".into(),
            name: en("Menu"),
            categories: vec![Category {
                id: "noodles".into(),
                name: en("Noodles"),
                available: None,
                dishes: vec![
                    noodles,
                    dish("dumplings", "Dumplings", 1800, Vec::new()),
                    soup,
                    noodle_set,
                ],
            }],
        }],
        campaigns: vec![Campaign {
            id: "spring".into(),
            name: en("Spring"),
            channels: vec![
                Channel {
                    id: "flyer".into(),
                    name: en("Flyer"),
                    kind: ChannelKind::Flyer,
                    location: None,
                },
                Channel {
                    id: "chat".into(),
                    name: en("Chat"),
                    kind: ChannelKind::ChatLink,
                    location: None,
                },
            ],
            coupons: vec![
                Coupon {
                    budget: Some(3),
                    ..coupon("SAVE5", CouponKind::AmountOff { amount: 500 })
                },
                Coupon {
                    per_member: Some(1),
                    ..coupon("MEMBER10", CouponKind::PercentOff { percent: 1000 })
                },
                Coupon {
                    min_spend: 10_000,
                    ..coupon("BIG", CouponKind::AmountOff { amount: 1000 })
                },
                Coupon {
                    issue: Issue::OnSignUp,
                    ..coupon("WELCOME", CouponKind::AmountOff { amount: 800 })
                },
            ],
        }],
        pages: Vec::new(),
    }
}

/// A clock tests can move.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

/// A fresh store in a temporary folder, the fixture catalog and a clock at noon.
#[cfg(feature = "sqlite")]
pub struct Fixture {
    pub dir: TempDir,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub clock: TestClock,
    /// The one-time codes the server sent (see [`KeptCodes`]).
    pub codes: Arc<KeptCodes>,
}

/// Keeps the one-time codes the server asks to send, for tests whose subject is not
/// their delivery (`tests/member_proof.rs` delivers them through a real SMTP server).
#[derive(Debug, Default)]
pub struct KeptCodes(Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl functions::senders::CodeSender for KeptCodes {
    async fn send(
        &self,
        to: &functions::senders::Address,
        code: &str,
        _shop: &str,
    ) -> Result<(), functions::senders::SendError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((to.key(), code.to_owned()));
        Ok(())
    }
}

impl KeptCodes {
    /// The last code sent, to any address.
    pub fn last(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last()
            .map(|(_, code)| code.clone())
    }

    /// The last code sent to `address` (`phone:+86…`, `email:…`).
    pub fn last_for(&self, address: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .rev()
            .find(|(to, _)| to == address)
            .map(|(_, code)| code.clone())
    }
}

/// A member signed in through the code flow: their id and the session cookie to send.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: String,
    /// `carte_member=…`, for a `Cookie` header.
    pub cookie: String,
    /// What `POST /api/members/verify` answered.
    pub answer: Value,
}

/// Proves `address` (`{"phone": …}` or `{"email": …}`) through the real routes, with
/// `extra` sign-up fields (`consent` is added): asks for a code, reads the last code
/// `codes` kept, verifies it.
#[cfg(feature = "sqlite")]
pub async fn sign_in(
    state: &AppState,
    codes: &KeptCodes,
    address: Value,
    extra: Value,
) -> SignedIn {
    use tower::ServiceExt;
    let call = |uri: &str, body: Value| {
        axum::http::Request::builder()
            .method("POST")
            .uri(uri)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .expect("request")
    };
    let asked = functions::router(state.clone())
        .oneshot(call("/api/members/code", address.clone()))
        .await
        .expect("response");
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let code = codes.last().expect("a code was sent");
    let mut body = address;
    body["code"] = Value::from(code);
    body["consent"] = Value::from(true);
    if let Value::Object(fields) = extra {
        for (name, value) in fields {
            body[name] = value;
        }
    }
    let verified = functions::router(state.clone())
        .oneshot(call("/api/members/verify", body))
        .await
        .expect("response");
    assert!(
        verified.status().is_success(),
        "verify: {}",
        verified.status()
    );
    let cookie = verified
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let bytes = axum::body::to_bytes(verified.into_body(), 1 << 20)
        .await
        .expect("body");
    let answer: Value = serde_json::from_slice(&bytes).expect("json");
    SignedIn {
        id: answer["member"]["id"].as_str().expect("id").to_owned(),
        cookie,
        answer,
    }
}

#[cfg(feature = "sqlite")]
impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(dir.path().join(".carte/carte.db")).expect("store"));
        let clock = TestClock(Arc::new(Mutex::new(noon())));
        let reader = clock.clone();
        let state =
            AppState::new(Catalog::new(site()), store.clone()).with_clock(Arc::new(move || {
                *reader.0.lock().unwrap_or_else(|p| p.into_inner())
            }));
        let codes = Arc::new(KeptCodes::default());
        let sender: Arc<dyn functions::senders::CodeSender> = codes.clone();
        let state = state.with_senders(functions::senders::Senders {
            email: Some(sender.clone()),
            sms: Some(sender),
            console: false,
        });
        Fixture {
            dir,
            state,
            store,
            clock,
            codes,
        }
    }

    pub fn version(&self) -> String {
        self.state.catalog().version.clone()
    }

    /// A new API key with `role`.
    pub async fn key(&self, role: Role) -> String {
        functions::create_key(self.store.as_ref(), role, role.as_str(), noon())
            .await
            .expect("key")
    }

    /// Serves the full router on 127.0.0.1 (a free port); returns its base URL.
    pub async fn serve(&self) -> String {
        let (listener, base) = loopback().await;
        let app = functions::router(self.state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        base
    }

    /// Like [`Fixture::serve`], with the peer address known (as `carte serve` does).
    pub async fn serve_with_peers(&self) -> String {
        let (listener, base) = loopback().await;
        let app = functions::router(self.state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        base
    }
}

/// A listener on a free loopback port, and its base URL.
async fn loopback() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, format!("http://{addr}"))
}

/// A dine-in cart at `alpha` table 1: one beef noodles (hot, egg) and two dumplings.
pub fn cart_json() -> serde_json::Value {
    serde_json::json!({
        "location": "alpha",
        "fulfilment": {"mode": "dine_in", "table": "1"},
        "lines": [
            {"dish": "beef-noodles", "quantity": 1, "options": [
                {"group": "spice", "choices": ["hot"]},
                {"group": "extras", "choices": ["egg"]}
            ]},
            {"dish": "dumplings", "quantity": 2}
        ]
    })
}

/// An API Gateway v2 event from `tests/fixtures/events/`.
pub fn event(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Sends a request; a failure to send fails the test.
pub async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("send")
}

/// Sends `body` as JSON with the API key `key` (a Bearer token).
pub async fn send_json(request: RequestBuilder, key: &str, body: &Value) -> Response {
    send(request.bearer_auth(key).json(body)).await
}

/// Sends a request and reads its body as JSON.
pub async fn fetch_json(request: RequestBuilder) -> Value {
    send(request).await.json().await.expect("json")
}

/// A response header as text, empty when missing.
pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts an answer is the problem `urn:carte:problem:{slug}` with status `want`, sent as
/// `application/problem+json`.
pub fn assert_problem(
    status: StatusCode,
    content_type: &str,
    body: &Value,
    want: StatusCode,
    slug: &str,
) {
    assert_eq!(status, want, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["type"], format!("urn:carte:problem:{slug}"), "{body}");
}

/// Reads an HTTP response that must be the problem `slug` with `status`; returns its body.
pub async fn problem(response: Response, status: StatusCode, slug: &str) -> Value {
    let (got, content_type) = (response.status(), header(&response, "content-type"));
    let text = response.text().await.expect("problem body");
    // Not JSON: kept as text, so that the failing assertion shows it.
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    assert_problem(got, &content_type, &body, status, slug);
    body
}

/// Asserts the OpenAPI document `doc` describes each `(path, method)`.
pub fn assert_operations(doc: &Value, operations: &[(&str, &str)]) {
    for (path, method) in operations {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
}

/// The fields a problem's `errors` name, in order.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A helper process of the tests (a Python server on 127.0.0.1: the SMTP sink, the push
/// service) that prints one JSON line once it is ready, then one per thing it saw; it
/// stops when the test drops it.
pub struct Reporter {
    _child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    /// What it printed when ready (its port, the subscriptions it made…).
    pub first: Value,
}

impl Reporter {
    /// Starts `python3 script`; `needs` names what to install when it cannot start.
    pub async fn start(script: &str, needs: &str) -> Reporter {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new("python3")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("python3 is needed (with `pip install {needs}`): {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{script} starts within 20 s"))
            .expect("read")
            .unwrap_or_else(|| panic!("{script} printed nothing (is {needs} installed?)"));
        Reporter {
            _child: child,
            lines,
            first: serde_json::from_str(&first).expect("json"),
        }
    }

    /// The next report (within 10 s).
    pub async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(10), self.lines.next_line())
            .await
            .expect("a report within 10 s")
            .expect("read")
            .expect("a report");
        serde_json::from_str(&line).expect("json")
    }

    /// Whether nothing is reported within `wait`.
    pub async fn quiet_for(&mut self, wait: std::time::Duration) -> bool {
        tokio::time::timeout(wait, self.lines.next_line())
            .await
            .is_err()
    }
}

/// Moves an order to `status` with a staff key; anything but 200 fails the test.
pub async fn set_status(client: &reqwest::Client, base: &str, staff: &str, id: &str, status: &str) {
    let r = send_json(
        client.post(format!("{base}/api/staff/orders/{id}/status")),
        staff,
        &serde_json::json!({ "status": status }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{status}");
}
