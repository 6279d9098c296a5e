//! The diner's "my account" pages through the real router on 127.0.0.1, on a real
//! SQLite file (and the erasure on DynamoDB too, through Dynoxide): plain forms only,
//! as a browser without JavaScript sends them. Signing in with a code, the orders and
//! coupons, withdrawing consent, and deleting one's data with a fresh code.
#![cfg(feature = "sqlite")]

mod common;
#[path = "common/dynoxide.rs"]
mod dynoxide;

use std::sync::Arc;

use common::{cart_json, sign_in, Fixture, KeptCodes};
use functions::store::{MemberKey, Store};
use functions::{AppState, Catalog};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A client that shows redirects instead of following them, as the tests read them.
fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `carte_member=…` pair a `Set-Cookie` carries.
    fn cookie(&self) -> String {
        self.header("set-cookie")
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

async fn get(base: &str, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = client().get(format!("{base}{path}"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    answer(request.send().await.expect("send")).await
}

/// Posts a plain form as a browser would from the account page (same origin).
async fn post(base: &str, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Answer {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let host = base.trim_start_matches("http://");
    let mut request = client()
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", format!("http://{host}"))
        .body(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    answer(request.send().await.expect("send")).await
}

fn assert_private_page(page: &Answer) {
    assert!(
        page.header("content-type").starts_with("text/html"),
        "{}",
        page.header("content-type")
    );
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert!(page
        .header("content-security-policy")
        .contains("frame-ancestors 'none'"));
    assert!(!page.text.contains("<script"), "{}", page.text);
}

/// Places an order as the member of `cookie`, optionally with a coupon; returns its answer.
async fn order(fx: &Fixture, base: &str, cookie: &str, key: &str, coupon: Option<&str>) -> Value {
    let mut cart = cart_json();
    if let Some(coupon) = coupon {
        cart["coupon"] = Value::from(coupon);
    }
    let response = client()
        .post(format!("{base}/api/orders"))
        .header("cookie", cookie)
        .header("Idempotency-Key", key)
        .json(&json!({"cart": cart, "version": fx.version()}))
        .send()
        .await
        .expect("send");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("json")
}

#[tokio::test]
async fn signed_out_the_account_page_signs_in_with_a_code_through_plain_forms() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let page = get(&base, "/api/members/account?lang=en", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_private_page(&page);
    assert!(page.text.contains("action=\"/api/members/account/code\""));
    assert!(page.text.contains("name=\"address\""));

    let asked = post(
        &base,
        "/api/members/account/code",
        None,
        &[("address", " Li@Example.com "), ("lang", "en")],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);
    assert_private_page(&asked);
    assert!(asked
        .text
        .contains("action=\"/api/members/account/verify\""));
    let code = fx.codes.last_for("email:li@example.com").expect("a code");
    // A stranger's address gets the very same page.
    let stranger = post(
        &base,
        "/api/members/account/code",
        None,
        &[("address", "nobody@example.com"), ("lang", "en")],
    )
    .await;
    assert_eq!(
        stranger.text.replace("nobody@example.com", "X"),
        asked
            .text
            .replace(" Li@Example.com ", "X")
            .replace("Li@Example.com", "X")
    );
    let bad = post(
        &base,
        "/api/members/account/code",
        None,
        &[("address", "not an address"), ("lang", "en")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("name=\"address\""), "{}", bad.text);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = post(
        &base,
        "/api/members/account/verify",
        None,
        &[
            ("address", "li@example.com"),
            ("code", wrong),
            ("consent", "yes"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("4 tries left"), "{}", refused.text);
    assert!(refused.header("set-cookie").is_empty());
    // A new address needs consent, said before the code is spent.
    let no_consent = post(
        &base,
        "/api/members/account/verify",
        None,
        &[
            ("address", "li@example.com"),
            ("code", &code),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(no_consent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_consent.text.contains("consent"), "{}", no_consent.text);

    let signed = post(
        &base,
        "/api/members/account/verify",
        None,
        &[
            ("address", "li@example.com"),
            ("code", &code),
            ("consent", "yes"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
    assert_eq!(signed.header("location"), "/api/members/account?lang=en");
    let set = signed.header("set-cookie");
    assert!(set.starts_with("carte_member="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = signed.cookie();

    let mine = get(&base, "/api/members/account?lang=en", Some(&cookie)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_private_page(&mine);
    assert!(
        mine.text.contains("Signed in as li@example.com"),
        "{}",
        mine.text
    );
    assert!(mine.text.contains("No orders yet."));
    // The welcome code minted on sign-up, unused.
    let member = fx
        .store
        .find_member(MemberKey::Email("li@example.com".into()))
        .await
        .expect("find")
        .expect("a member");
    let codes = fx.store.member_codes(&member.id).await.expect("codes");
    assert_eq!(codes.len(), 1);
    assert!(mine.text.contains(&codes[0].code), "{}", mine.text);
    assert!(
        mine.text.contains("8.00 off · not used yet"),
        "{}",
        mine.text
    );
    assert!(mine.text.contains("action=\"/api/members/account/erase\""));
}

#[tokio::test]
async fn the_account_shows_my_orders_newest_first_and_what_is_left_of_my_coupons() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let me = sign_in(
        &fx.state,
        &fx.codes,
        json!({"email": "li@example.com"}),
        json!({}),
    )
    .await;
    let other = sign_in(
        &fx.state,
        &fx.codes,
        json!({"email": "wang@example.com"}),
        json!({}),
    )
    .await;
    let welcome = me.answer["welcome_code"]["code"]
        .as_str()
        .expect("a welcome code")
        .to_owned();
    let first = order(&fx, &base, &me.cookie, "mine-1", Some("MEMBER10")).await;
    fx.clock.set(common::noon() + chrono::Duration::minutes(5));
    let second = order(&fx, &base, &me.cookie, "mine-2", Some(&welcome)).await;
    let theirs = order(&fx, &base, &other.cookie, "theirs-1", None).await;

    let page = get(&base, "/api/members/account?lang=en", Some(&me.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let (n1, n2) = (
        first["number"].as_str().unwrap(),
        second["number"].as_str().unwrap(),
    );
    let (at1, at2) = (
        page.text.find(&format!(">{n1}</a>")).expect("first order"),
        page.text.find(&format!(">{n2}</a>")).expect("second order"),
    );
    assert!(at2 < at1, "newest first: {}", page.text);
    assert!(!page.text.contains(theirs["id"].as_str().unwrap()));
    let total = format!(
        "¥{}",
        catalog::money::format_decimal(second["quote"]["total"].as_i64().unwrap(), 2)
    );
    assert!(page.text.contains(&total), "{total} in {}", page.text);
    assert!(page.text.contains(">Received</td>"), "{}", page.text);
    let link = format!(
        "/api/members/account/orders/{}?lang=en",
        first["id"].as_str().unwrap()
    );
    assert!(page.text.contains(&link), "{}", page.text);
    // The welcome code is used now; MEMBER10 (one per member) is used up.
    assert!(
        page.text
            .contains(&format!("{welcome}</code></strong> — 8.00 off · used")),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("MEMBER10</code></strong> — 10% off · used 1 of 1, 0 left"),
        "{}",
        page.text
    );

    // The order's own page, for me only.
    let mine = get(&base, &link, Some(&me.cookie)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_private_page(&mine);
    assert!(mine.text.contains(n1));
    assert!(!mine.text.contains("/api/payments/checkout"));
    let not_theirs = get(&base, &link, Some(&other.cookie)).await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    assert!(!not_theirs.text.contains(n1) || n1 == other.id);
    let signed_out = get(&base, &link, None).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);

    // The other member sees only their own.
    let theirs_page = get(&base, "/api/members/account", Some(&other.cookie)).await;
    assert!(!theirs_page.text.contains(first["id"].as_str().unwrap()));
    assert!(theirs_page.text.contains(theirs["id"].as_str().unwrap()));

    // The same orders as JSON for the storefront.
    let listed: Value = client()
        .get(format!("{base}/api/members/me/orders"))
        .header("cookie", &me.cookie)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = listed["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            second["id"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        ]
    );
    assert_eq!(listed["orders"][0]["currency"], "CNY");
    let anonymous = client()
        .get(format!("{base}/api/members/me/orders"))
        .send()
        .await
        .expect("send");
    common::problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn withdrawing_consent_is_recorded_and_a_post_from_another_site_is_refused() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let me = sign_in(
        &fx.state,
        &fx.codes,
        json!({"phone": "+86 138 0013 8000"}),
        json!({}),
    )
    .await;
    let page = get(&base, "/api/members/account", Some(&me.cookie)).await;
    assert!(page
        .text
        .contains("action=\"/api/members/account/consent\""));

    let forged = client()
        .post(format!("{base}/api/members/account/consent"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &me.cookie)
        .header("origin", "https://evil.example")
        .body("lang=en")
        .send()
        .await
        .expect("send");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let member = |store: Arc<dyn Store>, id: String| async move {
        store
            .find_member(MemberKey::Id(id))
            .await
            .expect("find")
            .expect("member")
    };
    assert_eq!(
        member(fx.store.clone(), me.id.clone())
            .await
            .consent_withdrawn_at,
        None
    );

    let withdrawn = post(
        &base,
        "/api/members/account/consent",
        Some(&me.cookie),
        &[("lang", "en")],
    )
    .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert_eq!(
        member(fx.store.clone(), me.id.clone())
            .await
            .consent_withdrawn_at,
        Some(common::noon())
    );
    let page = get(&base, "/api/members/account", Some(&me.cookie)).await;
    assert!(
        page.text.contains("You withdrew your consent on"),
        "{}",
        page.text
    );
    assert!(!page
        .text
        .contains("action=\"/api/members/account/consent\""));
    let me_now: Value = client()
        .get(format!("{base}/api/members/me"))
        .header("cookie", &me.cookie)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert!(me_now["consent_withdrawn_at"].is_string(), "{me_now}");
    // The members export says so.
    let marketer = fx.key(functions::store::Role::Marketer).await;
    let csv = client()
        .get(format!(
            "{base}/api/exports/members.csv?from=2026-03-02&to=2026-03-02"
        ))
        .bearer_auth(&marketer)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("csv");
    let row = csv
        .lines()
        .find(|l| l.starts_with(&me.id))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(row.contains(",no,"), "{row}");

    // Signing out ends the session and clears the cookie.
    let out = post(
        &base,
        "/api/members/account/sign-out",
        Some(&me.cookie),
        &[("lang", "en")],
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    let after = get(&base, "/api/members/account", Some(&me.cookie)).await;
    assert!(after.text.contains("action=\"/api/members/account/code\""));
}

#[tokio::test]
async fn the_account_speaks_the_sites_languages() {
    let fx = Fixture::new();
    let mut site = common::site();
    site.settings.languages = vec!["en".into(), "zh".into()];
    fx.state.set_catalog(Catalog::new(site));
    let base = fx.serve().await;
    let zh = get(&base, "/api/members/account?lang=zh", None).await;
    assert!(zh.text.contains("<html lang=\"zh\">"), "{}", zh.text);
    assert!(zh.text.contains("我的账户"));
    assert!(zh.text.contains("发送验证码"));
    // A language the site does not have falls back to its first.
    let other = get(&base, "/api/members/account?lang=fr", None).await;
    assert!(other.text.contains("<html lang=\"en\">"));
    assert!(other.text.contains("My account"));
    // Text from the request is escaped.
    let asked = post(
        &base,
        "/api/members/account/code",
        None,
        &[("address", "<b>li@example.com"), ("lang", "zh")],
    )
    .await;
    assert!(!asked.text.contains("<b>li"), "{}", asked.text);
    assert!(asked.text.contains("&lt;b&gt;li"), "{}", asked.text);
}

/// Deleting one's data: only with a fresh code sent for it to the member's own
/// address; then the member is gone by phone and email, every session of theirs ends,
/// the cookie is cleared, and another member is untouched.
async fn deleting_my_data(state: &AppState, codes: &KeptCodes, store: Arc<dyn Store>, base: &str) {
    let me = sign_in(state, codes, json!({"email": "li@example.com"}), json!({})).await;
    let again = sign_in(state, codes, json!({"email": "li@example.com"}), json!({})).await;
    let other = sign_in(
        state,
        codes,
        json!({"email": "wang@example.com"}),
        json!({}),
    )
    .await;
    let gone = || async {
        store
            .find_member(MemberKey::Email("li@example.com".into()))
            .await
            .expect("find")
            .is_none()
    };
    // No code asked for the erasure: nothing to confirm with.
    let unasked = post(
        base,
        "/api/members/account/erase/confirm",
        Some(&me.cookie),
        &[("code", "123456"), ("lang", "en")],
    )
    .await;
    assert_eq!(unasked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!gone().await);
    // A sign-in code is not an erasure code.
    let asked = client()
        .post(format!("{base}/api/members/code"))
        .json(&json!({"email": "li@example.com"}))
        .send()
        .await
        .expect("send");
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let sign_in_code = codes.last_for("email:li@example.com").expect("code");
    let borrowed = post(
        base,
        "/api/members/account/erase/confirm",
        Some(&me.cookie),
        &[("code", &sign_in_code), ("lang", "en")],
    )
    .await;
    assert_eq!(borrowed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!gone().await);
    // Signed out, there is nothing to erase: back to the sign-in page.
    let anonymous = post(base, "/api/members/account/erase", None, &[("lang", "en")]).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);

    let sent = post(
        base,
        "/api/members/account/erase",
        Some(&me.cookie),
        &[("lang", "en")],
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert!(sent.text.contains("li@example.com"));
    assert!(sent
        .text
        .contains("action=\"/api/members/account/erase/confirm\""));
    let code = codes
        .last_for("email:li@example.com")
        .expect("an erasure code");
    assert_ne!(code, sign_in_code);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = post(
        base,
        "/api/members/account/erase/confirm",
        Some(&me.cookie),
        &[("code", wrong), ("lang", "en")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("tries left"), "{}", refused.text);
    assert!(!gone().await);
    // Another member's session cannot erase me with my code.
    let theirs = post(
        base,
        "/api/members/account/erase/confirm",
        Some(&other.cookie),
        &[("code", &code), ("lang", "en")],
    )
    .await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!gone().await);

    let erased = post(
        base,
        "/api/members/account/erase/confirm",
        Some(&me.cookie),
        &[("code", &code), ("lang", "en")],
    )
    .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.text);
    assert_private_page(&erased);
    assert!(erased.text.contains("Your data is deleted"));
    assert!(erased.header("set-cookie").contains("Max-Age=0"));
    assert!(gone().await);
    let by_id = store
        .find_member(MemberKey::Id(me.id.clone()))
        .await
        .expect("find")
        .expect("the id stays for the figures");
    assert_eq!((by_id.email, by_id.phone, by_id.name), (None, None, None));
    // Every session ended, the other browser's too.
    for cookie in [&me.cookie, &again.cookie] {
        let me_now = client()
            .get(format!("{base}/api/members/me"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("send");
        assert_eq!(me_now.status(), StatusCode::UNAUTHORIZED);
        let page = get(base, "/api/members/account", Some(cookie)).await;
        assert!(page.text.contains("action=\"/api/members/account/code\""));
    }
    // The other member is still there and signed in.
    let theirs = client()
        .get(format!("{base}/api/members/me"))
        .header("cookie", &other.cookie)
        .send()
        .await
        .expect("send");
    assert_eq!(theirs.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_my_data_needs_a_fresh_code_and_erases_me_on_sqlite() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    deleting_my_data(&fx.state, &fx.codes, fx.store.clone(), &base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_my_data_needs_a_fresh_code_and_erases_me_on_dynamodb() {
    let server = dynoxide::Dynoxide::start();
    let store: Arc<dyn Store> = server.open().await;
    let codes = Arc::new(KeptCodes::default());
    let sender: Arc<dyn functions::senders::CodeSender> = codes.clone();
    let state = AppState::new(Catalog::new(common::site()), store.clone())
        .with_clock(Arc::new(common::noon))
        .with_senders(functions::senders::Senders {
            email: Some(sender.clone()),
            sms: Some(sender),
            console: false,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = functions::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    deleting_my_data(&state, &codes, store, &base).await;
}

#[tokio::test]
async fn a_first_order_coupon_at_the_counter_sees_orders_linked_to_the_member() {
    let fx = Fixture::new();
    let mut site = common::site();
    site.campaigns[0].coupons.push(catalog::Coupon {
        first_order_only: true,
        ..common::coupon("FIRST", catalog::CouponKind::AmountOff { amount: 300 })
    });
    fx.state.set_catalog(Catalog::new(site));
    let base = fx.serve().await;
    // An order placed before signing up, linked by the proof.
    let placed: Value = client()
        .post(format!("{base}/api/orders"))
        .header("Idempotency-Key", "before-1")
        .json(&json!({"cart": cart_json(), "version": fx.version()}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let me = sign_in(
        &fx.state,
        &fx.codes,
        json!({"email": "li@example.com"}),
        json!({"order_ids": [{"id": placed["id"], "token": placed["token"]}]}),
    )
    .await;
    assert_eq!(me.answer["linked_orders"][0], placed["id"]);
    let staff = fx.key(functions::store::Role::Staff).await;
    let refused = client()
        .post(format!("{base}/api/staff/redemptions"))
        .bearer_auth(&staff)
        .json(&json!({"code": "FIRST", "location": "alpha", "amount": 2000, "member_id": me.id}))
        .send()
        .await
        .expect("send");
    let problem =
        common::problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "coupon-rejected").await;
    assert_eq!(problem["reason"]["reason"], "first_order_only", "{problem}");
    // A member without orders redeems it.
    let fresh = sign_in(
        &fx.state,
        &fx.codes,
        json!({"email": "wang@example.com"}),
        json!({}),
    )
    .await;
    let redeemed = client()
        .post(format!("{base}/api/staff/redemptions"))
        .bearer_auth(&staff)
        .json(&json!({"code": "FIRST", "location": "alpha", "amount": 2000, "member_id": fresh.id}))
        .send()
        .await
        .expect("send");
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    // Once: a first-order coupon is one use per member, in the shop as online.
    let again = client()
        .post(format!("{base}/api/staff/redemptions"))
        .bearer_auth(&staff)
        .json(&json!({"code": "FIRST", "location": "alpha", "amount": 2000, "member_id": fresh.id}))
        .send()
        .await
        .expect("send");
    let problem = common::problem(again, StatusCode::UNPROCESSABLE_ENTITY, "coupon-rejected").await;
    assert_eq!(problem["reason"]["reason"], "per_member_limit", "{problem}");
    // The account shows it used up while the member has no order, and not at all after.
    let page = get(&base, "/api/members/account", Some(&fresh.cookie)).await;
    assert!(
        page.text
            .contains("FIRST</code></strong> — 3.00 off · used 1 of 1, 0 left"),
        "{}",
        page.text
    );
    let page = get(&base, "/api/members/account", Some(&me.cookie)).await;
    assert!(!page.text.contains("FIRST</code>"), "{}", page.text);
}

#[tokio::test]
async fn the_openapi_document_describes_the_account_routes() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let doc: Value = client()
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    common::assert_operations(
        &doc,
        &[
            ("/api/members/account", "get"),
            ("/api/members/account/code", "post"),
            ("/api/members/account/verify", "post"),
            ("/api/members/account/consent", "post"),
            ("/api/members/account/sign-out", "post"),
            ("/api/members/account/erase", "post"),
            ("/api/members/account/erase/confirm", "post"),
            ("/api/members/account/orders/{id}", "get"),
            ("/api/members/me/orders", "get"),
        ],
    );
    // Every schema the routes name is in the document.
    let text = doc.to_string();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("#/components/schemas/") {
        rest = &rest[at + "#/components/schemas/".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert!(
            doc["components"]["schemas"][&name].is_object(),
            "schema {name} is named but missing"
        );
    }
    for form in [
        "AddressForm",
        "CodeForm",
        "LangForm",
        "ConfirmForm",
        "MemberOrders",
    ] {
        assert!(doc["components"]["schemas"][form].is_object(), "{form}");
    }
}

#[tokio::test]
async fn a_day_old_session_gets_a_new_cookie_on_the_account_page() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let me = sign_in(
        &fx.state,
        &fx.codes,
        json!({"email": "li@example.com"}),
        json!({}),
    )
    .await;
    let fresh = get(&base, "/api/members/account", Some(&me.cookie)).await;
    assert!(fresh.header("set-cookie").is_empty());
    fx.clock.set(common::noon() + chrono::Duration::hours(25));
    let rotated = get(&base, "/api/members/account", Some(&me.cookie)).await;
    assert!(rotated.text.contains("Signed in as li@example.com"));
    let cookie = rotated.cookie();
    assert!(
        cookie.starts_with("carte_member=") && cookie != me.cookie,
        "{cookie}"
    );
    let old = get(&base, "/api/members/account", Some(&me.cookie)).await;
    assert!(old.text.contains("action=\"/api/members/account/code\""));
    let new = get(&base, "/api/members/account", Some(&cookie)).await;
    assert!(new.text.contains("Signed in as li@example.com"));
}
