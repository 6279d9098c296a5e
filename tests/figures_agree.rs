//! The marketer's figures agree with each other, on each store.
//!
//! One seeded morning of the demo restaurant through the real `carte serve`:
//! campaign links, a coupon typed without a link, a coupon typed after another
//! campaign's link, printed codes handed out through a flyer (online and at the
//! counter), a cancelled order, and a member who joined through a table tent.
//! Then the dashboard's API, `carte report --json` and the CSV exports must tell
//! the same figures to the fen, and each figure must be the one the attribution
//! rule of `docs/marketing.md` gives. Then money: payments recorded in the
//! orders' ledgers (several methods, a refund, a mismatch, a cancelled order paid
//! and refunded) must give the same paid money, refunds and money per method in
//! the reports, `carte report settlement` and the payments export, each equal to
//! the totals computed here by hand. Run on the SQLite file and on a DynamoDB
//! table (Dynoxide on loopback, started here).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use std::sync::Arc;

use catalog::payment::{Entry, EntryKind, Method};
use chrono::{Duration as Days, Utc};
use common::{carte, catalog_version, client, demo_copy, Dynoxide, Server};
use functions::store::{DynamoStore, SqliteStore, Store};
use serde_json::{json, Value};

/// Where the orders, members and redemptions of one run live.
enum Backend {
    Sqlite,
    Dynamo(Dynoxide),
}

impl Backend {
    /// The store arguments every `carte` command of the run takes.
    fn args(&self) -> Vec<&str> {
        match self {
            Backend::Sqlite => vec![],
            Backend::Dynamo(_) => vec![
                "--store",
                "dynamodb",
                "--table",
                "carte-figures",
                "--create-table",
            ],
        }
    }

    /// The AWS settings of the store, for every `carte` process of the run.
    fn env(&self) -> Vec<(&str, &str)> {
        match self {
            Backend::Sqlite => vec![],
            Backend::Dynamo(server) => server.env(),
        }
    }

    /// The store of the run, opened in this process (next to `carte serve`).
    fn open(&self, site: &Path) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite => Arc::new(
                SqliteStore::open(site.join(".carte").join("carte.db")).expect("sqlite store"),
            ),
            Backend::Dynamo(server) => {
                use aws_sdk_dynamodb::config::{Builder, Credentials, Region};
                let base = functions::aws::sdk_config_from_env_vars();
                let config = Builder::from(&base)
                    .endpoint_url(&server.endpoint)
                    .region(Region::new("us-east-1"))
                    .credentials_provider(Credentials::new("test", "test", None, None, "test"))
                    .build();
                Arc::new(DynamoStore::new(
                    aws_sdk_dynamodb::Client::from_conf(config),
                    "carte-figures".to_owned(),
                ))
            }
        }
    }

    /// Runs `carte ARGS` with the store's arguments; stdout, or a panic with stderr.
    fn run(&self, args: &[&str]) -> String {
        let output = carte()
            .envs(self.env())
            .args(args)
            .args(self.args())
            .stdin(Stdio::null())
            .output()
            .expect("run carte");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "carte {args:?} failed: {err}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// POSTs JSON, with a bearer key and headers; (status, body).
fn post(server: &Server, path: &str, key: Option<&str>, body: Value, idem: &str) -> (u16, Value) {
    let mut request = client().post(server.url(path)).json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if !idem.is_empty() {
        request = request.header("idempotency-key", idem);
    }
    let response = request.send().expect("request");
    (
        response.status().as_u16(),
        response.json().unwrap_or(Value::Null),
    )
}

fn get(server: &Server, path: &str, key: &str) -> Value {
    let response = client()
        .get(server.url(path))
        .bearer_auth(key)
        .send()
        .expect("request");
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().expect("json")
}

/// `quantity` smashed cucumbers at chunxi, optionally with a coupon.
fn cucumbers(quantity: u32, coupon: Option<&str>) -> Value {
    let mut cart = json!({
        "location": "chunxi",
        "fulfilment": {"mode": "dine_in", "table": "3"},
        "lines": [{"dish": "smashed-cucumber", "quantity": quantity, "options": []}]
    });
    if let Some(code) = coupon {
        cart["coupon"] = json!(code);
    }
    cart
}

/// The rows of an RFC 4180 document, as maps from the header's names.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let (mut record, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    let header = records.first().cloned().unwrap_or_default();
    records[1..]
        .iter()
        .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

/// "65.10" → 6510.
fn minor(decimal: &str) -> i64 {
    decimal.replace('.', "").parse().expect("money")
}

/// Sums per (campaign, channel) of what the CSV exports say.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
struct Sums {
    orders: i64,
    revenue: i64,
    discount: i64,
    online: i64,
    counter: i64,
}

fn sums_from_csv(orders: &str, redemptions: &str) -> BTreeMap<(String, String), Sums> {
    let mut sums: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for row in csv_rows(orders) {
        if row["status"] == "cancelled" || row["campaign"].is_empty() {
            continue;
        }
        let entry = sums
            .entry((row["campaign"].clone(), row["channel"].clone()))
            .or_default();
        entry.orders += 1;
        entry.revenue += minor(&row["total"]);
    }
    for row in csv_rows(redemptions) {
        let entry = sums
            .entry((row["campaign"].clone(), row["channel"].clone()))
            .or_default();
        entry.discount += minor(&row["discount"]);
        match row["source"].as_str() {
            "online" => entry.online += 1,
            _ => entry.counter += 1,
        }
    }
    sums
}

fn sums_from_report(report: &Value) -> BTreeMap<(String, String), Sums> {
    let n = |v: &Value, k: &str| v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"));
    let mut sums = BTreeMap::new();
    for campaign in report["campaigns"].as_array().expect("campaigns") {
        for channel in campaign["channels"].as_array().expect("channels") {
            let s = Sums {
                orders: n(channel, "orders"),
                revenue: n(channel, "revenue"),
                discount: n(channel, "discount"),
                online: n(channel, "redemptions_online"),
                counter: n(channel, "redemptions_counter"),
            };
            if s != Sums::default() {
                let key = (
                    campaign["campaign"].as_str().expect("id").to_owned(),
                    channel["channel"].as_str().expect("id").to_owned(),
                );
                sums.insert(key, s);
            }
        }
    }
    sums
}

/// Money received, by hand or as a surface tells it.
#[derive(Debug, Default, PartialEq, Eq, Clone)]
struct Paid {
    paid: i64,
    refunded: i64,
    by_method: BTreeMap<String, i64>,
}

impl Paid {
    fn charge(&mut self, method: Method, amount: i64) {
        self.paid += amount;
        *self.by_method.entry(method.as_str().into()).or_default() += amount;
    }

    fn refund(&mut self, method: Method, amount: i64) {
        self.refunded += amount;
        *self.by_method.entry(method.as_str().into()).or_default() -= amount;
    }

    /// As a report's figures tell it (`paid`, `refunded`, `by_method`), checking `net_paid`.
    fn of(figures: &Value) -> Paid {
        let n = |v: &Value| v.as_i64().unwrap_or_else(|| panic!("money in {figures}"));
        let paid = Paid {
            paid: n(&figures["paid"]),
            refunded: n(&figures["refunded"]),
            by_method: figures["by_method"]
                .as_object()
                .expect("by_method")
                .iter()
                .map(|(m, v)| (m.clone(), n(v)))
                .filter(|(_, v)| *v != 0)
                .collect(),
        };
        assert_eq!(n(&figures["net_paid"]), paid.paid - paid.refunded);
        paid
    }
}

/// A ledger entry recorded now.
fn entry(kind: EntryKind, method: Method, amount: i64) -> Entry {
    Entry {
        kind,
        method,
        amount,
        currency: "CNY".into(),
        reference: (method != Method::Cash).then(|| format!("ref-{amount}")),
        at: Utc::now(),
        by: "figures-test".into(),
    }
}

/// Starts `carte serve` on the backend, waiting for its address.
fn serve(backend: &Backend, site: &Path) -> Server {
    let mut args = vec!["--no-watch"];
    args.extend(backend.args());
    Server::start_env(site, &args, &backend.env())
}

fn scenario(backend: &Backend) {
    let (_dir, site) = demo_copy();
    let dir = site.to_str().expect("utf-8");
    let key = |role: &str| {
        backend
            .run(&["keys", "--dir", dir, "create", "--role", role])
            .trim()
            .to_owned()
    };
    let (staff, marketer) = (key("staff"), key("marketer"));
    // Three printed codes for the street flyer.
    let out = site.join("printed");
    backend.run(&[
        "coupons",
        "--dir",
        dir,
        "issue",
        "noodle-festival",
        "--coupon",
        "SAVE10",
        "--channel",
        "street-flyer",
        "--count",
        "3",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let printed = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .expect("the codes' CSV");
    let codes: Vec<String> = csv_rows(&std::fs::read_to_string(printed).expect("csv"))
        .into_iter()
        .map(|row| {
            assert!(row["url"].ends_with("&ch=street-flyer"), "{row:?}");
            assert_eq!(row["channel"], "street-flyer");
            row["code"].clone()
        })
        .collect();
    assert_eq!(codes.len(), 3);

    let server = serve(backend, &site);
    let version = catalog_version(&server);
    for (campaign, channel, location) in [
        ("noodle-festival", "table-tent", "chunxi"),
        ("noodle-festival", "table-tent", "chunxi"),
        ("noodle-festival", "street-flyer", "kuanzhai"),
        ("noodle-festival", "wechat-group", "chunxi"),
    ] {
        let (status, body) = post(
            &server,
            "/api/visits",
            None,
            json!({"campaign": campaign, "channel": channel, "location": location}),
            "",
        );
        assert_eq!(status, 202, "{body}");
    }
    let touch = |campaign: &str, channel: &str| json!({"campaign": campaign, "channel": channel});
    // (idempotency key, cart, last touch, the campaign and channel the rule gives)
    let orders = [
        // Through the table tent, no coupon: the last touch.
        (
            "o1",
            cucumbers(2, None),
            Some(touch("noodle-festival", "table-tent")),
            ("noodle-festival", "table-tent"),
        ),
        // SAVE10 after the chat link of its own campaign: that channel.
        (
            "o2",
            cucumbers(8, Some("SAVE10")),
            Some(touch("noodle-festival", "wechat-group")),
            ("noodle-festival", "wechat-group"),
        ),
        // SAVE10 typed with no link at all: coupon only.
        (
            "o3",
            cucumbers(8, Some("SAVE10")),
            None,
            ("noodle-festival", "coupon"),
        ),
        // SAVE10 typed after another campaign's link: the coupon's campaign wins.
        (
            "o4",
            cucumbers(7, Some("SAVE10")),
            Some(touch("rong-club", "table-tent")),
            ("noodle-festival", "coupon"),
        ),
        // A printed flyer code typed after the chat link: the batch's channel wins.
        (
            "o5",
            cucumbers(9, Some(codes[0].as_str())),
            Some(touch("noodle-festival", "wechat-group")),
            ("noodle-festival", "street-flyer"),
        ),
        // Another campaign's link, no coupon.
        (
            "o6",
            cucumbers(3, None),
            Some(touch("rong-club", "table-tent")),
            ("rong-club", "table-tent"),
        ),
        // Through the chat link, then cancelled: in no figure.
        (
            "o7",
            cucumbers(4, None),
            Some(touch("noodle-festival", "wechat-group")),
            ("noodle-festival", "wechat-group"),
        ),
    ];
    let mut expected: BTreeMap<(String, String), Sums> = BTreeMap::new();
    // (idempotency key, order id, total, campaign, channel)
    let mut placed_orders = Vec::new();
    for (idem, cart, last_touch, (campaign, channel)) in orders {
        let mut body = json!({"cart": cart, "version": version});
        if let Some(t) = last_touch {
            body["last_touch"] = t;
        }
        let (status, placed) = post(&server, "/api/orders", None, body, idem);
        assert_eq!(status, 201, "{idem}: {placed}");
        placed_orders.push((
            idem,
            placed["id"].as_str().expect("id").to_owned(),
            placed["quote"]["total"].as_i64().expect("total"),
            campaign,
            channel,
        ));
        if idem == "o7" {
            let path = format!(
                "/api/staff/orders/{}/status",
                placed["id"].as_str().expect("id")
            );
            let (status, body) = post(
                &server,
                &path,
                Some(&staff),
                json!({"status": "cancelled"}),
                "",
            );
            assert_eq!(status, 200, "{body}");
            continue;
        }
        let quote = &placed["quote"];
        let entry = expected
            .entry((campaign.to_owned(), channel.to_owned()))
            .or_default();
        entry.orders += 1;
        entry.revenue += quote["total"].as_i64().expect("total");
        let discount = quote["discount"].as_i64().unwrap_or(0);
        if discount > 0 {
            entry.discount += discount;
            entry.online += 1;
        }
    }
    // A printed flyer code at the counter on 80.00: 10.00 off, the counter's channel.
    let (status, grant) = post(
        &server,
        "/api/staff/redemptions",
        Some(&staff),
        json!({"code": codes[1], "location": "chunxi", "amount": 8000}),
        "",
    );
    assert_eq!(status, 201, "{grant}");
    let counter = expected
        .entry(("noodle-festival".into(), "counter".into()))
        .or_default();
    counter.discount += 1000;
    counter.counter += 1;
    // A member who joined through the club's table tent at chunxi.
    let member = common::sign_in(
        &server,
        json!({"phone": "13800138000"}),
        json!({"last_touch": touch("rong-club", "table-tent"), "location": "chunxi"}),
    );
    assert_eq!(member["created"], true, "{member}");

    // Money in the ledgers, through the store itself: (order, entries, paid by hand).
    let store = backend.open(&site);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut paid_by_channel: BTreeMap<(String, String), Paid> = BTreeMap::new();
    let mut paid_total = Paid::default();
    let (mut entries, mut mismatches) = (0usize, 0u64);
    for (idem, id, total, campaign, channel) in &placed_orders {
        use EntryKind::{Charge, Refund};
        let ledger: Vec<(Entry, bool)> = match *idem {
            // Cash at the counter.
            "o1" => vec![(entry(Charge, Method::Cash, *total), true)],
            // Stripe, then 5.00 given back.
            "o2" => vec![
                (entry(Charge, Method::Stripe, *total), true),
                (entry(Refund, Method::Stripe, 500), true),
            ],
            "o3" => vec![(entry(Charge, Method::WechatPay, *total), true)],
            // 1.00 short on the card terminal (a mismatch), then the shop's QR code.
            "o4" => vec![
                (entry(Charge, Method::CardTerminal, *total - 100), false),
                (entry(Charge, Method::CounterQr, *total), true),
            ],
            // o5 is not paid.
            "o6" => vec![(entry(Charge, Method::CardTerminal, *total), true)],
            // The cancelled order: paid in cash and given it all back.
            "o7" => vec![
                (entry(Charge, Method::Cash, *total), true),
                (entry(Refund, Method::Cash, *total), true),
            ],
            _ => vec![],
        };
        let money = paid_by_channel
            .entry((campaign.to_string(), channel.to_string()))
            .or_default();
        for (e, counts) in ledger {
            entries += 1;
            match (counts, e.kind) {
                (false, _) => mismatches += 1,
                (true, Charge) => {
                    money.charge(e.method, e.amount);
                    paid_total.charge(e.method, e.amount);
                }
                (true, _) => {
                    money.refund(e.method, e.amount);
                    paid_total.refund(e.method, e.amount);
                }
            }
            runtime
                .block_on(store.record_payment(id, e, None))
                .expect("recorded");
        }
    }
    paid_total.by_method.retain(|_, v| *v != 0);
    for money in paid_by_channel.values_mut() {
        money.by_method.retain(|_, v| *v != 0);
    }
    paid_by_channel.retain(|_, m| *m != Paid::default());

    // The shop's days around now (Chengdu, UTC+8).
    let today = (Utc::now() + Days::hours(8)).date_naive();
    let (from, to) = (
        (today - Days::days(1)).to_string(),
        (today + Days::days(1)).to_string(),
    );
    let query = format!("?from={from}&to={to}");
    let api_campaigns = get(
        &server,
        &format!("/api/reports/campaigns{query}"),
        &marketer,
    );
    let api_sales = get(&server, &format!("/api/reports/sales{query}"), &marketer);
    let cli: Value = serde_json::from_str(&backend.run(&[
        "report", "--dir", dir, "--from", &from, "--to", &to, "--json",
    ]))
    .expect("report json");
    let export =
        |kind: &str| backend.run(&["export", kind, "--dir", dir, "--from", &from, "--to", &to]);
    let (orders_csv, redemptions_csv) = (export("orders"), export("redemptions"));
    let payments_csv = export("payments");
    // Each order row says what was ordered, where, and when on the shop's clock; the
    // Excel flavour is the same rows behind a byte-order mark; the API's file is the
    // command's.
    for row in csv_rows(&orders_csv) {
        assert_eq!(row["table"], "3", "{row:?}");
        assert_eq!(
            row["lines"],
            format!("{} × 拍黄瓜 @ 9.00 = {}", row["items"], row["subtotal"]),
            "{row:?}"
        );
        assert_eq!(row["placed_at_local"].len(), "2026-03-02 12:00:00".len());
    }
    let excel = backend.run(&[
        "export", "orders", "--dir", dir, "--from", &from, "--to", &to, "--excel",
    ]);
    assert_eq!(excel.strip_prefix('\u{feff}'), Some(orders_csv.as_str()));
    let api_orders_excel = client()
        .get(server.url(&format!("/api/exports/orders.csv{query}&excel=1")))
        .bearer_auth(&marketer)
        .send()
        .expect("orders export")
        .bytes()
        .expect("csv");
    assert_eq!(String::from_utf8_lossy(&api_orders_excel), excel);
    let today_text = today.to_string();
    let api_settlement = get(
        &server,
        &format!("/api/reports/settlement?date={today_text}"),
        &marketer,
    );
    let cli_settlement: Value = serde_json::from_str(&backend.run(&[
        "report",
        "settlement",
        "--dir",
        dir,
        "--date",
        &today_text,
        "--json",
    ]))
    .expect("settlement json");
    let api_payments_csv = client()
        .get(server.url(&format!("/api/exports/payments.csv{query}")))
        .bearer_auth(&marketer)
        .send()
        .expect("request")
        .text()
        .expect("csv");
    drop(server);

    // Money: the sales report (every order) and the campaign report (per channel) say
    // what was computed here by hand.
    assert_eq!(Paid::of(&api_sales), paid_total);
    let mut from_channels: BTreeMap<(String, String), Paid> = BTreeMap::new();
    for campaign in api_campaigns["campaigns"].as_array().expect("campaigns") {
        for channel in campaign["channels"].as_array().expect("channels") {
            let money = Paid::of(channel);
            if money != Paid::default() {
                let key = (
                    campaign["campaign"].as_str().expect("id").to_owned(),
                    channel["channel"].as_str().expect("id").to_owned(),
                );
                from_channels.insert(key, money);
            }
        }
    }
    assert_eq!(from_channels, paid_by_channel);
    // The settlement of today (CLI and API alike) holds the same money, method by method.
    assert_eq!(cli_settlement, api_settlement);
    let totals = &api_settlement["totals"];
    let charges = placed_orders.len() as i64 - 1; // o5 unpaid; o4 counts once
    assert_eq!(
        (
            totals["charges"].as_i64(),
            totals["charged"].as_i64(),
            totals["refunds"].as_i64(),
            totals["refunded"].as_i64(),
            totals["net"].as_i64(),
            totals["mismatches"].as_u64(),
        ),
        (
            Some(charges),
            Some(paid_total.paid),
            Some(2),
            Some(paid_total.refunded),
            Some(paid_total.paid - paid_total.refunded),
            Some(mismatches),
        )
    );
    let settled: BTreeMap<String, i64> = api_settlement["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .map(|m| {
            (
                m["method"].as_str().expect("method").to_owned(),
                m["net"].as_i64().expect("net"),
            )
        })
        .filter(|(_, net)| *net != 0)
        .collect();
    assert_eq!(settled, paid_total.by_method);
    // The payments export: one row per entry, the same in the CLI and over HTTP; its
    // counted rows add up to the settlement and to each channel's money.
    assert_eq!(api_payments_csv, payments_csv);
    let rows = csv_rows(&payments_csv);
    assert_eq!(rows.len(), entries);
    let mut from_csv: BTreeMap<(String, String), Paid> = BTreeMap::new();
    let mut csv_total = Paid::default();
    for row in &rows {
        if row["counted"] != "yes" {
            assert!(!row["mismatch"].is_empty(), "{row:?}");
            continue;
        }
        let method: Method = row["method"].parse().expect("method");
        let amount = minor(&row["amount"]);
        let money = from_csv
            .entry((row["campaign"].clone(), row["channel"].clone()))
            .or_default();
        if row["kind"] == "charge" {
            money.charge(method, amount);
            csv_total.charge(method, amount);
        } else {
            money.refund(method, amount);
            csv_total.refund(method, amount);
        }
    }
    csv_total.by_method.retain(|_, v| *v != 0);
    for money in from_csv.values_mut() {
        money.by_method.retain(|_, v| *v != 0);
    }
    from_csv.retain(|_, m| *m != Paid::default());
    assert_eq!(csv_total, paid_total);
    assert_eq!(from_csv, paid_by_channel);

    // The dashboard and `carte report` are the same figures.
    assert_eq!(cli["campaigns"], api_campaigns);
    assert_eq!(cli["sales"], api_sales);
    // The CSVs add up to the report, channel by channel, to the fen.
    let from_report = sums_from_report(&api_campaigns);
    assert_eq!(sums_from_csv(&orders_csv, &redemptions_csv), from_report);
    // And each is what the rule says.
    assert_eq!(from_report, expected);
    let festival = api_campaigns["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .find(|c| c["campaign"] == "noodle-festival")
        .expect("festival");
    assert!(
        !festival["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .any(|c| c["channel"] == "direct"),
        "no order or redemption is left without a channel: {festival}"
    );
    let channel = |campaign: &Value, id: &str| {
        campaign["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .find(|c| c["channel"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no channel {id} in {campaign}"))
    };
    // Visits and the funnel: two table-tent visits, one order.
    let tent = channel(festival, "table-tent");
    assert_eq!(
        (tent["visits"].as_i64(), tent["conversion_bp"].as_i64()),
        (Some(2), Some(5000))
    );
    assert_eq!(
        channel(festival, "coupon")["names"]["en"],
        "Coupon only (no link)"
    );
    // Discount, cost per sale and money received per unit of discount of the campaign:
    // paid money net of refunds, and the counter's spend, never money only ordered.
    let total_discount: i64 = expected
        .iter()
        .filter(|((c, _), _)| c == "noodle-festival")
        .map(|(_, s)| s.discount)
        .sum();
    assert_eq!(festival["discount"].as_i64(), Some(total_discount));
    let sales = festival["orders"].as_i64().expect("orders")
        + festival["redemptions_counter"].as_i64().expect("counter");
    assert_eq!(
        festival["cost_per_order"].as_i64(),
        Some((2 * total_discount + sales) / (2 * sales))
    );
    let festival_net: i64 = paid_by_channel
        .iter()
        .filter(|((c, _), _)| c == "noodle-festival")
        .map(|(_, m)| m.paid - m.refunded)
        .sum();
    assert_eq!(
        festival["roi_bp"].as_i64(),
        Some((festival_net + 8000) * 10_000 / total_discount)
    );
    let club = api_campaigns["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .find(|c| c["campaign"] == "rong-club")
        .expect("club");
    // The member counts where they joined, not where they first ordered.
    assert_eq!(channel(club, "table-tent")["new_members"], 1);
    assert_eq!(api_campaigns["totals"]["new_members"], 1);
    // Sales: every order but the cancelled one, by the shop's day.
    let placed: i64 = expected.values().map(|s| s.orders).sum();
    assert_eq!(api_sales["orders"].as_i64(), Some(placed));
    let by_day: i64 = api_sales["by_day"]
        .as_array()
        .expect("by_day")
        .iter()
        .map(|d| d["orders"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(by_day, placed);
    assert_eq!(api_sales["previous"]["orders"], 0);
}

#[test]
fn the_figures_agree_to_the_fen_on_sqlite() {
    scenario(&Backend::Sqlite);
}

#[test]
fn the_figures_agree_to_the_fen_on_dynamodb() {
    scenario(&Backend::Dynamo(Dynoxide::start()));
}
