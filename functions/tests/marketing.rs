//! The marketer's closed loop on a real SQLite file, with known answers:
//! a campaign with three channels, orders through each, visits, codes
//! redeemed online and at the counter, reports and CSV exports asserted to
//! the fen, budgets (count and money) held under 1,000 concurrent attempts,
//! welcome codes, member erasure and key use.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use catalog::{Campaign, Channel, ChannelKind, Coupon, CouponKind, Issue, Localized};
use common::{coupon, noon, Fixture};
use functions::store::Role;
use functions::{AppState, Catalog};
use serde_json::{json, Value};
use tower::ServiceExt;

fn channel(id: &str, location: &str) -> Channel {
    Channel {
        id: id.into(),
        name: Localized::plain("en", id),
        kind: ChannelKind::Other,
        location: Some(location.into()),
    }
}

/// The fixture site plus campaign `launch`: channels `flyer` and `chat`
/// (alpha) and `table` (beta); coupons `TEN` (10.00 off, budget 10),
/// `PRINT` (3.00 off, batch codes only), `FLASH` (5.00 off, budget 100),
/// `CAP` (7.00 off, at most 703.50 given away) and `FIRST` (50% off a
/// member's first order).
fn marketing_fixture() -> Fixture {
    let fixture = Fixture::new();
    let mut site = common::site();
    site.campaigns.push(Campaign {
        id: "launch".into(),
        name: Localized::plain("en", "Launch"),
        channels: vec![
            channel("flyer", "alpha"),
            channel("chat", "alpha"),
            channel("table", "beta"),
        ],
        coupons: vec![
            Coupon {
                budget: Some(10),
                ..coupon("TEN", CouponKind::AmountOff { amount: 1000 })
            },
            Coupon {
                issue: Issue::Batch,
                ..coupon("PRINT", CouponKind::AmountOff { amount: 300 })
            },
            Coupon {
                budget: Some(100),
                ..coupon("FLASH", CouponKind::AmountOff { amount: 500 })
            },
            Coupon {
                budget_amount: Some(70_350),
                ..coupon("CAP", CouponKind::AmountOff { amount: 700 })
            },
            Coupon {
                first_order_only: true,
                ..coupon("FIRST", CouponKind::PercentOff { percent: 5000 })
            },
        ],
    });
    fixture.state.set_catalog(Catalog::new(site));
    fixture
}

async fn call(
    state: &AppState,
    method: Method,
    uri: &str,
    key: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, String)],
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    for (name, value) in extra {
        request = request.header(*name, value.as_str());
    }
    let request = request
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .expect("request");
    let response = functions::router(state.clone())
        .oneshot(request)
        .await
        .expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

/// A GET with the API key `key`.
async fn get(state: &AppState, uri: &str, key: &str) -> (StatusCode, String) {
    call(state, Method::GET, uri, Some(key), None, &[]).await
}

/// A DELETE with the API key `key`.
async fn delete(state: &AppState, uri: &str, key: &str) -> (StatusCode, String) {
    call(state, Method::DELETE, uri, Some(key), None, &[]).await
}

/// A POST of `body` as JSON, with no key.
async fn post(state: &AppState, uri: &str, body: Value) -> (StatusCode, String) {
    call(state, Method::POST, uri, None, Some(body), &[]).await
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Two dumplings (36.00) at a table; 10% service, 6% tax included.
fn cart(location: &str, coupon: Option<&str>) -> Value {
    let mut cart = json!({
        "location": location,
        "fulfilment": {"mode": "dine_in", "table": "1"},
        "lines": [{"dish": "dumplings", "quantity": 2}],
    });
    if let Some(code) = coupon {
        cart["coupon"] = json!(code);
    }
    cart
}

static KEYS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn place(state: &AppState, body: Value) -> (StatusCode, Value) {
    let n = KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (status, text) = call(
        state,
        Method::POST,
        "/api/orders",
        None,
        Some(body),
        &[("idempotency-key", format!("order-{n}"))],
    )
    .await;
    (status, json_of(&text))
}

/// A POST of `body` to `/api/orders` as the signed-in member with session `cookie`.
async fn place_as(state: &AppState, body: Value, cookie: &str) -> (StatusCode, Value) {
    let n = KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (status, text) = call(
        state,
        Method::POST,
        "/api/orders",
        None,
        Some(body),
        &[
            ("idempotency-key", format!("order-{n}")),
            ("cookie", cookie.to_owned()),
        ],
    )
    .await;
    (status, json_of(&text))
}

async fn placed_as(state: &AppState, body: Value, cookie: &str) -> Value {
    let (status, value) = place_as(state, body, cookie).await;
    assert_eq!(status, StatusCode::CREATED, "{value}");
    value
}

fn order(state: &AppState, location: &str, coupon: Option<&str>) -> Value {
    json!({
        "cart": cart(location, coupon),
        "version": state.catalog().version,
    })
}

async fn placed(state: &AppState, body: Value) -> Value {
    let (status, value) = place(state, body).await;
    assert_eq!(status, StatusCode::CREATED, "{value}");
    value
}

async fn redeem(state: &AppState, key: &str, code: &str, amount: i64) -> (StatusCode, Value) {
    let (status, text) = call(
        state,
        Method::POST,
        "/api/staff/redemptions",
        Some(key),
        Some(json!({"code": code, "location": "alpha", "amount": amount})),
        &[],
    )
    .await;
    (status, json_of(&text))
}

async fn visit(state: &AppState, campaign: &str, channel: &str, location: &str) -> StatusCode {
    post(
        state,
        "/api/visits",
        json!({"campaign": campaign, "channel": channel, "location": location}),
    )
    .await
    .0
}

fn figures(value: &Value) -> [i64; 10] {
    let n = |k: &str| {
        value[k]
            .as_i64()
            .unwrap_or_else(|| panic!("{k} in {value}"))
    };
    [
        n("visits"),
        n("orders"),
        n("revenue"),
        n("discount"),
        n("redemptions_online"),
        n("redemptions_counter"),
        n("counter_spend"),
        n("new_members"),
        n("members"),
        n("repeat_members"),
    ]
}

fn find<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|v| v[key] == id))
        .unwrap_or_else(|| panic!("no {key}={id} in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaign_through_three_channels_and_the_counter_adds_up() {
    let fx = marketing_fixture();
    let state = &fx.state;
    let marketer = fx.key(Role::Marketer).await;
    let staff = fx.key(Role::Staff).await;

    // Visits: flyer ×3, chat ×2, table ×1; an unknown channel is refused.
    for _ in 0..3 {
        assert_eq!(
            visit(state, "launch", "flyer", "alpha").await,
            StatusCode::ACCEPTED
        );
    }
    for _ in 0..2 {
        assert_eq!(
            visit(state, "launch", "chat", "alpha").await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        visit(state, "launch", "table", "beta").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        visit(state, "launch", "billboard", "alpha").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Batch codes for PRINT; the coupon's own code is refused.
    let site = state.catalog().site.clone();
    let codes =
        functions::codes::issue_batch(fx.store.as_ref(), &site, "launch", None, None, 3, noon())
            .await
            .expect("codes");
    assert_eq!(codes.len(), 3);
    assert!(codes.iter().all(|c| c.coupon == "PRINT"));

    let with = |mut body: Value, key: &str, value: Value| {
        body[key] = value;
        body
    };
    let flyer = json!({"campaign": "launch", "channel": "flyer"});
    let chat = json!({"campaign": "launch", "channel": "chat"});
    let table = json!({"campaign": "launch", "channel": "table"});
    // 1: flyer, TEN: 36.00 - 10.00 = 26.00 + 2.60 service = 28.60.
    let first = placed(
        state,
        with(
            order(state, "alpha", Some("TEN")),
            "attribution",
            flyer.clone(),
        ),
    )
    .await;
    assert_eq!(first["quote"]["total"], 2860);
    // 2: flyer (as last touch, with a first touch through chat), no coupon: 39.60.
    placed(
        state,
        with(
            with(order(state, "alpha", None), "last_touch", flyer.clone()),
            "first_touch",
            chat.clone(),
        ),
    )
    .await;
    // 3 and 4: a member who signed up through chat at alpha (a new member of
    // chat), then ordered through chat again with TEN.
    let member = common::sign_in(
        state,
        &fx.codes,
        json!({"phone": "13800138000"}),
        json!({"name": "Li Lei", "last_touch": chat.clone(), "location": "alpha"}),
    )
    .await;
    assert_eq!(member.answer["created"], true);
    let member_id = member.id.clone();
    // FIRST is for a member's first order: anonymous diners are refused.
    let (status, refused) = place(state, order(state, "alpha", Some("FIRST"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["reason"]["reason"], "members_only", "{refused}");
    placed_as(
        state,
        with(order(state, "alpha", None), "attribution", chat.clone()),
        &member.cookie,
    )
    .await;
    let (status, refused) =
        place_as(state, order(state, "alpha", Some("FIRST")), &member.cookie).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["reason"]["reason"], "first_order_only", "{refused}");
    placed_as(
        state,
        with(
            order(state, "alpha", Some("TEN")),
            "attribution",
            chat.clone(),
        ),
        &member.cookie,
    )
    .await;
    // 5: table at beta, TEN: 28.60.
    placed(
        state,
        with(order(state, "beta", Some("TEN")), "attribution", table),
    )
    .await;
    // 6: no campaign at all: 39.60.
    placed(state, order(state, "alpha", None)).await;
    // 7: flyer with a printed code typed online: 36.00 - 3.00 = 33.00 + 3.30 = 36.30.
    let (status, refused) = place(state, order(state, "alpha", Some("PRINT"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    // The batch coupon's own name is not a code: "use a printed code", not "members only".
    assert_eq!(
        refused["reason"]["reason"], "printed_codes_only",
        "{refused}"
    );
    let online_code = codes[2].code.to_lowercase();
    let seventh = placed(
        state,
        with(
            order(state, "alpha", Some(&online_code)),
            "attribution",
            flyer,
        ),
    )
    .await;
    assert_eq!(seventh["quote"]["total"], 3630);

    // At the counter: two printed codes on a 50.00 spend; a code used online
    // or at the counter once cannot be used again.
    for code in [&codes[0].code, &codes[1].code] {
        let (status, grant) = redeem(state, &staff, code, 5000).await;
        assert_eq!(status, StatusCode::CREATED, "{grant}");
        assert_eq!(
            (grant["discount"].as_i64(), grant["to_pay"].as_i64()),
            (Some(300), Some(4700))
        );
        assert_eq!(grant["display"]["to_pay"], "47.00");
        assert_eq!(grant["channel"], "counter");
    }
    let (status, again) = redeem(state, &staff, &codes[0].code, 5000).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again["reason"]["reason"], "already_used");
    let (status, online_used) = redeem(state, &staff, &codes[2].code, 5000).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(online_used["reason"]["reason"], "already_used");
    let (status, counter_used) = place(state, order(state, "alpha", Some(&codes[1].code))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(counter_used["reason"]["reason"], "already_used");
    // Marketer keys cannot redeem; staff keys cannot read reports.
    let (status, _) = redeem(state, &marketer, &codes[0].code, 100).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(state, "/api/reports/campaigns", &staff).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The campaign report, to the fen.
    let report_uri = "/api/reports/campaigns?from=2026-03-01&to=2026-03-02";
    let (status, text) = get(state, report_uri, &marketer).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let report = json_of(&text);
    let launch = find(&report["campaigns"], "campaign", "launch");
    let channels = &launch["channels"];
    let locations = &report["locations"];
    #[rustfmt::skip]
    let rows = [
        //                                       visits orders revenue discount online counter spend new members repeat
        (find(channels, "channel", "flyer"),    [3, 3, 10450, 1300, 2, 0, 0, 0, 0, 0]),
        (find(channels, "channel", "chat"),     [2, 2, 6820, 1000, 1, 0, 0, 1, 1, 1]),
        (find(channels, "channel", "table"),    [1, 1, 2860, 1000, 1, 0, 0, 0, 0, 0]),
        (find(channels, "channel", "counter"),  [0, 0, 0, 600, 0, 2, 10000, 0, 0, 0]),
        (launch,                                [6, 6, 20130, 3900, 4, 2, 10000, 1, 1, 1]),
        (&report["totals"],                     [6, 6, 20130, 3900, 4, 2, 10000, 1, 1, 1]),
        (find(locations, "location", "alpha"),  [5, 5, 17270, 2900, 3, 2, 10000, 1, 1, 1]),
        (find(locations, "location", "beta"),   [1, 1, 2860, 1000, 1, 0, 0, 0, 0, 0]),
    ];
    for (row, want) in rows {
        assert_eq!(figures(row), want, "{row}");
    }
    assert_eq!(launch["repeat_rate_bp"], 10000);
    let ten = find(&launch["coupons"], "code", "TEN");
    assert_eq!(
        (ten["redemptions"].as_i64(), ten["budget_left"].as_i64()),
        (Some(3), Some(7))
    );
    let print = find(&launch["coupons"], "code", "PRINT");
    assert_eq!(
        (print["redemptions"].as_i64(), print["discount"].as_i64()),
        (Some(3), Some(900))
    );
    // One location only.
    let (_, text) = get(state, &format!("{report_uri}&location=beta"), &marketer).await;
    assert_eq!(
        figures(&json_of(&text)["totals"]),
        [1, 1, 2860, 1000, 1, 0, 0, 0, 0, 0]
    );
    // A day outside the period has nothing.
    let (_, text) = get(
        state,
        "/api/reports/campaigns?from=2026-03-03&to=2026-03-04",
        &marketer,
    )
    .await;
    assert_eq!(figures(&json_of(&text)["totals"]), [0; 10]);

    // Sales: 7 orders × 2 dumplings; all at 12:00 local.
    let (status, text) = get(
        state,
        "/api/reports/sales?from=2026-03-02&to=2026-03-02",
        &marketer,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let sales = json_of(&text);
    assert_eq!(
        (sales["orders"].as_i64(), sales["revenue"].as_i64()),
        (Some(7), Some(24090))
    );
    let dumplings = find(&sales["by_dish"], "dish", "dumplings");
    assert_eq!(
        (
            dumplings["quantity"].as_i64(),
            dumplings["revenue"].as_i64()
        ),
        (Some(14), Some(25200))
    );
    assert_eq!(sales["by_hour"][12]["orders"], 7);
    assert_eq!(sales["by_hour"][11]["orders"], 0);

    // Exports.
    let (status, csv) = get(
        state,
        "/api/exports/orders.csv?from=2026-03-02&to=2026-03-02",
        &marketer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "id,number,location,status,placed_at,placed_at_local,fulfilment,table,pickup_slot,pickup_slot_local,name,note,items,lines,currency,subtotal,discount,service_charge,tax,total,coupon,campaign,channel,first_touch,last_touch,member_id");
    assert_eq!(lines.len(), 1 + 7 + 1, "{csv}");
    let first_id = first["id"].as_str().expect("id");
    assert_eq!(
        lines[1],
        format!("{first_id},A-001,alpha,received,2026-03-02T04:00:00Z,2026-03-02 12:00:00,dine_in,1,,,,,2,2 × Dumplings @ 18.00 = 36.00,CNY,36.00,10.00,2.60,1.62,28.60,TEN,launch,flyer,,,")
    );
    assert!(
        lines[2].ends_with(",39.60,,launch,flyer,launch/chat,launch/flyer,"),
        "{}",
        lines[2]
    );
    let (_, csv) = get(
        state,
        "/api/exports/redemptions.csv?from=2026-03-02&to=2026-03-02",
        &marketer,
    )
    .await;
    let rows: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 1 + 6);
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains(",counter,PRINT,launch,counter,alpha,,"))
            .count(),
        2
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.ends_with(",CNY,50.00,3.00"))
            .count(),
        2
    );
    let (_, csv) = get(
        state,
        "/api/exports/members.csv?from=2026-03-02&to=2026-03-02",
        &marketer,
    )
    .await;
    assert_eq!(
        csv,
        format!("id,phone,email,name,consent,consent_at,consent_at_local,created_at,created_at_local,erased_at,erased_at_local,orders,currency,spent\r\n\
                 {member_id},'+8613800138000,,Li Lei,yes,2026-03-02T04:00:00Z,2026-03-02 12:00:00,2026-03-02T04:00:00Z,2026-03-02 12:00:00,,,2,CNY,68.20\r\n")
    );
    // For Excel: the same file behind a UTF-8 byte-order mark.
    let (status, excel) = get(
        state,
        "/api/exports/members.csv?from=2026-03-02&to=2026-03-02&excel=1",
        &marketer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(excel.strip_prefix('\u{feff}'), Some(csv.as_str()));
    let (status, _) = get(state, "/api/exports/secrets.csv", &marketer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Erasure keeps the figures and drops the person.
    let (status, _) = delete(state, &format!("/api/staff/members/{member_id}"), &staff).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, csv) = get(
        state,
        "/api/exports/members.csv?from=2026-03-02&to=2026-03-02",
        &marketer,
    )
    .await;
    assert!(csv.contains(&format!("{member_id},,,,no,2026-03-02T04:00:00Z,2026-03-02 12:00:00,2026-03-02T04:00:00Z,2026-03-02 12:00:00,2026-03-02T04:00:00Z,2026-03-02 12:00:00,2,CNY,68.20")), "{csv}");
    let (_, text) = get(state, report_uri, &marketer).await;
    assert_eq!(json_of(&text)["totals"], report["totals"]);
    let (status, _) = delete(state, "/api/staff/members/mem_nobody", &staff).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every key use is recorded.
    let keys = fx.store.list_keys().await.expect("keys");
    assert!(keys.iter().all(|k| k.last_used == Some(noon())), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn welcome_codes_are_issued_once_and_redeemed_once() {
    let fx = marketing_fixture();
    let state = &fx.state;
    let staff = fx.key(Role::Staff).await;
    let member =
        common::sign_in(state, &fx.codes, json!({"email": "a@b.example"}), json!({})).await;
    assert_eq!(member.answer["created"], true);
    let signed = member.answer.clone();
    let code = signed["welcome_code"]["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let suffix = code.strip_prefix("WELCOME-").expect("prefix");
    assert_eq!(suffix.len(), functions::codes::CODE_LENGTH);
    assert!(suffix
        .bytes()
        .all(|b| functions::codes::CODE_ALPHABET.contains(&b)));
    // Signing in again issues nothing new.
    let again = common::sign_in(state, &fx.codes, json!({"email": "A@b.example"}), json!({})).await;
    assert_eq!(again.answer["created"], false);
    assert_eq!(again.id, member.id);
    assert!(again.answer.get("welcome_code").is_none());
    // Redeemed at the counter (8.00 off a 20.00 spend), then refused online.
    let (status, grant) = redeem(state, &staff, &code.to_lowercase(), 2000).await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    assert_eq!(grant["discount"], 800);
    let (status, refused) = place_as(
        state,
        json!({"cart": cart("alpha", Some(&code)), "version": state.catalog().version}),
        &member.cookie,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["reason"]["reason"], "already_used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn visits_are_capped_and_store_no_client_data() {
    let fx = marketing_fixture();
    let visit = functions::store::Visit {
        day: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("day"),
        campaign: "launch".into(),
        channel: "flyer".into(),
        location: "alpha".into(),
    };
    for expected in [true, true, false, false] {
        assert_eq!(
            fx.store
                .record_visit(visit.clone(), 2)
                .await
                .expect("visit"),
            expected
        );
    }
    let range = functions::store::ReportRange::all();
    let rows = fx.store.campaign_rows(&range).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].visits, 2);
    // Unknown fields (a client id, say) are refused outright.
    let (status, _) = post(
        &fx.state,
        "/api/visits",
        json!({"campaign": "launch", "channel": "flyer", "location": "alpha", "client": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// 1,000 concurrent attempts, half online orders and half counter
/// redemptions, on one coupon: the budget holds exactly.
async fn flash(fx: &Fixture, code: &str, staff: &str) -> (usize, usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..1000 {
        let state = fx.state.clone();
        let code = code.to_owned();
        let staff = staff.to_owned();
        tasks.spawn(async move {
            if index % 2 == 0 {
                let (status, body) = place(&state, order(&state, "alpha", Some(&code))).await;
                (status, body)
            } else {
                redeem(&state, &staff, &code, 3600).await
            }
        });
    }
    let (mut ok, mut exhausted) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.expect("task");
        match status {
            StatusCode::CREATED => ok += 1,
            StatusCode::UNPROCESSABLE_ENTITY if body["reason"]["reason"] == "budget_exhausted" => {
                exhausted += 1
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    (ok, exhausted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn budgets_hold_under_a_thousand_concurrent_attempts() {
    let fx = marketing_fixture();
    let staff = fx.key(Role::Staff).await;
    let marketer = fx.key(Role::Marketer).await;
    let started = std::time::Instant::now();
    assert_eq!(flash(&fx, "FLASH", &staff).await, (100, 900));
    eprintln!(
        "FLASH (count budget 100): 1000 attempts in {:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    assert_eq!(flash(&fx, "CAP", &staff).await, (100, 900));
    eprintln!(
        "CAP (money budget 703.50): 1000 attempts in {:?}",
        started.elapsed()
    );
    let (_, text) = get(
        &fx.state,
        "/api/reports/campaigns?from=2026-03-02&to=2026-03-02",
        &marketer,
    )
    .await;
    let report = json_of(&text);
    let launch = find(&report["campaigns"], "campaign", "launch");
    let flash = find(&launch["coupons"], "code", "FLASH");
    assert_eq!(
        (
            flash["redemptions"].as_i64(),
            flash["budget_left"].as_i64(),
            flash["discount"].as_i64()
        ),
        (Some(100), Some(0), Some(50_000))
    );
    let cap = find(&launch["coupons"], "code", "CAP");
    assert_eq!(
        (
            cap["redemptions"].as_i64(),
            cap["discount"].as_i64(),
            cap["budget_amount_left"].as_i64()
        ),
        (Some(100), Some(70_000), Some(350))
    );
    let totals = &report["totals"];
    assert_eq!(
        totals["redemptions_online"].as_i64().unwrap_or(0)
            + totals["redemptions_counter"].as_i64().unwrap_or(0),
        200
    );
    let (_, csv) = get(
        &fx.state,
        "/api/exports/redemptions.csv?from=2026-03-02&to=2026-03-02",
        &marketer,
    )
    .await;
    assert_eq!(csv.trim_end().split("\r\n").count(), 1 + 200);
    // The quote says so too.
    let (_, text) = post(
        &fx.state,
        "/api/quote",
        json!({"cart": cart("alpha", Some("CAP"))}),
    )
    .await;
    assert_eq!(
        json_of(&text)["quote"]["coupon"]["reason"]["reason"],
        "budget_exhausted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_welcome_code_is_refused_on_anyone_elses_order_online_and_at_the_counter() {
    let fx = marketing_fixture();
    let state = &fx.state;
    let staff = fx.key(Role::Staff).await;
    let a = common::sign_in(state, &fx.codes, json!({"email": "a@b.example"}), json!({})).await;
    let b = common::sign_in(state, &fx.codes, json!({"email": "b@b.example"}), json!({})).await;
    let code = a.answer["welcome_code"]["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let refused_as = |value: &Value, reason: &str| {
        assert_eq!(
            value["type"], "urn:carte:problem:coupon-rejected",
            "{value}"
        );
        assert_eq!(value["reason"]["reason"], reason, "{value}");
        assert_eq!(value["errors"][0]["field"], "coupon", "{value}");
    };
    // The quote shows B why not, and prices the cart without it.
    let (status, text) = call(
        state,
        Method::POST,
        "/api/quote",
        None,
        Some(json!({"cart": cart("alpha", Some(&code))})),
        &[("cookie", b.cookie.clone())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let quote = json_of(&text);
    assert_eq!(quote["quote"]["coupon"]["status"], "rejected", "{quote}");
    assert_eq!(
        quote["quote"]["coupon"]["reason"]["reason"], "issued_to_another_member",
        "{quote}"
    );
    assert_eq!(quote["quote"]["discount"], 0);
    // B's order, an anonymous order and the plain HTML form are refused.
    let (status, refused) = place_as(state, order(state, "alpha", Some(&code)), &b.cookie).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    refused_as(&refused, "issued_to_another_member");
    let (status, refused) = place(state, order(state, "alpha", Some(&code))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    refused_as(&refused, "members_only");
    let form = format!(
        "location=alpha&mode=dine_in&table=1&qty.dumplings=2&coupon={code}&idempotency_key=form-w"
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/orders")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let response = functions::router(state.clone())
        .oneshot(request)
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // At the counter, staff naming B are refused the same way.
    let (status, text) = call(
        state,
        Method::POST,
        "/api/staff/redemptions",
        Some(&staff),
        Some(json!({"code": code, "location": "alpha", "amount": 2000, "member_id": b.id})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    refused_as(&json_of(&text), "issued_to_another_member");
    // Nothing was redeemed: A still has it, and uses it once.
    let mine = placed_as(state, order(state, "alpha", Some(&code)), &a.cookie).await;
    assert_eq!(mine["quote"]["discount"], 800, "{mine}");
    let (status, refused) = redeem(state, &staff, &code, 2000).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    refused_as(&refused, "already_used");
}
