//! `carte serve` end to end, against the real binary on a copy of the demo:
//! the storefront as production serves it, ordering with and without
//! JavaScript, live reload on edits and content errors, and a clean stop.

mod common;

use std::time::Duration;

use common::{
    catalog_version, client, dan_dan_cart, demo_copy, quote, set_dish_price, Events, Server,
};
use serde_json::{json, Value};

/// How long a rebuild of the demo by a debug binary may take to reach the browser.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(30);

const HTML_CACHE: &str = "public, max-age=0, must-revalidate";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn header(response: &reqwest::blocking::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The `¥…` price shown for dan dan noodles on the English menu of Chunxi Road.
fn menu_price(server: &Server) -> String {
    let response = client()
        .get(server.url("/en/chunxi/"))
        .send()
        .expect("menu page");
    assert_eq!(response.status(), 200);
    let page = response.text().unwrap();
    let dish = &page[page
        .find(">Dan Dan Noodles</a></h3>")
        .expect("dan dan noodles on the menu")..];
    between(dish, "<p class=\"price\">", "</p>")
        .expect("a price")
        .to_owned()
}

#[test]
fn serves_the_storefront_like_production() {
    let (_dir, site) = demo_copy();
    let server = Server::start(&site);
    let http = client();

    for path in ["/", "/en/", "/zh/chunxi/", "/en/chunxi/"] {
        let r = http.get(server.url(path)).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            header(&r, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert_eq!(header(&r, "cache-control"), HTML_CACHE, "{path}");
        assert!(r.headers().get("last-modified").is_none(), "{path}");
        // The security headers the CDN's managed policy adds in production.
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&r, "x-frame-options"), "SAMEORIGIN", "{path}");
        assert_eq!(
            header(&r, "referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        let html = r.text().unwrap();
        assert!(
            html.contains("<script src=\"/__carte/livereload.js\"></script></body>"),
            "{path}: no live reload"
        );
        assert!(html.trim_end().ends_with("</html>"), "{path}");
    }
    // The script is a same-origin file: the consoles' `script-src 'self'` allows it.
    let script = http
        .get(server.url("/__carte/livereload.js"))
        .send()
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(header(&script, "content-type").starts_with("text/javascript"));
    assert!(script
        .text()
        .unwrap()
        .contains("new EventSource(\"/__carte/events\")"));
    let console = http
        .get(server.url("/staff/"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(console.contains("script-src 'self'"), "{console}");
    assert!(console.contains("<script src=\"/__carte/livereload.js\">"));
    // HEAD answers with the headers GET sends.
    let head = http.head(server.url("/en/chunxi/")).send().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "cache-control"), HTML_CACHE);
    assert!(head.headers().get("last-modified").is_none());

    let page = http
        .get(server.url("/en/chunxi/"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let css = between(&page, "href=\"/assets/style.", "\"").expect("a fingerprinted stylesheet");
    let css = format!("/assets/style.{css}");
    let plain = http.get(server.url(&css)).send().unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "cache-control"), IMMUTABLE);
    assert!(header(&plain, "content-type").starts_with("text/css"));
    assert!(plain.headers().get("content-encoding").is_none());
    let css_text = plain.bytes().unwrap();
    let gzipped = http
        .get(server.url(&css))
        .header("Accept-Encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(gzipped.status(), 200);
    assert_eq!(header(&gzipped, "content-encoding"), "gzip");
    assert_eq!(header(&gzipped, "cache-control"), IMMUTABLE);
    let body = gzipped.bytes().unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "not a gzip stream");
    assert!(body.len() < css_text.len(), "gzip did not shrink the CSS");

    let html_gz = http
        .get(server.url("/en/chunxi/"))
        .header("Accept-Encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(header(&html_gz, "content-encoding"), "gzip");
    assert_eq!(header(&html_gz, "cache-control"), HTML_CACHE);

    for (path, cache) in [
        ("/sitemap.xml", HTML_CACHE),
        ("/catalog/chunxi.json", HTML_CACHE),
        ("/robots.txt", "public, max-age=3600"),
    ] {
        let r = http.get(server.url(path)).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "cache-control"), cache, "{path}");
    }

    for path in [
        "/no-such-page/",
        "/en/no-such-dish",
        "/assets/gone.0badc0de.css",
    ] {
        let r = http.get(server.url(path)).send().unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            header(&r, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        let body = r.text().unwrap();
        // A missing page under /en/ is answered in English; elsewhere in the default language.
        let page = if path.starts_with("/en/") {
            "en/404.html"
        } else {
            "404.html"
        };
        let built_404 = std::fs::read_to_string(site.join(".carte/serve").join(page)).unwrap();
        let title = between(&built_404, "<title>", "</title>").unwrap();
        assert!(body.contains(title), "{path}: not the site's {page}");
        assert!(
            body.contains(&format!(
                "<html lang=\"{}\"",
                if page == "en/404.html" { "en" } else { "zh" }
            )),
            "{path}: {page} in its language"
        );
    }

    let health = http.get(server.url("/api/health")).send().unwrap();
    assert_eq!(health.status(), 200);
    assert!(header(&health, "content-type").starts_with("application/json"));
    let health: Value = health.json().unwrap();
    assert_eq!(health["status"], "ok");
    assert!(!health["version"].as_str().unwrap().is_empty());

    let unknown = http.get(server.url("/api/nope")).send().unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(header(&unknown, "content-type"), "application/problem+json");
}

#[test]
fn orders_with_javascript_off_through_the_menu_form() {
    let (_dir, site) = demo_copy();
    let server = Server::start(&site);
    let http = client();
    let menu_url = server.url("/en/chunxi/");
    let page = http.get(&menu_url).send().unwrap().text().unwrap();

    // Send what the menu's form sends with JavaScript off: every field the page
    // has, empty quantities included, with two bowls of dan dan noodles.
    let form = between(&page, "<form id=\"order\"", "</form>").expect("the order form");
    assert!(
        form.contains("method=\"post\" action=\"/api/orders\""),
        "{form}"
    );
    let mut fields: Vec<(String, String)> = vec![
        ("location".into(), "chunxi".into()),
        ("lang".into(), "en".into()),
        ("idempotency_key".into(), String::new()),
    ];
    let mut dishes = 0;
    for piece in form.split("name=\"qty.").skip(1) {
        let dish = &piece[..piece.find('"').unwrap()];
        let quantity = if dish == "dan-dan-noodles" { "2" } else { "" };
        fields.push((format!("qty.{dish}"), quantity.into()));
        dishes += 1;
    }
    assert!(dishes > 10, "the form lists {dishes} dishes");
    // The menu carries quantities only: a dish's options come as a second step.
    assert!(!form.contains("name=\"opt."), "{form}");
    for (name, value) in [
        ("mode", "dine_in"),
        ("table", "7"),
        ("name", "Lin <b>"),
        ("coupon", ""),
        ("note", ""),
    ] {
        fields.push((name.into(), value.into()));
    }
    let form_body = |fields: &[(String, String)]| {
        fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    };
    // The first post orders nothing yet: it answers with the noodles' options, the
    // rest of the form carried along in hidden fields.
    let step = http
        .post(server.url("/api/orders"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "text/html")
        .header("Referer", &menu_url)
        .body(form_body(&fields))
        .send()
        .unwrap();
    assert_eq!(step.status(), 200);
    assert!(header(&step, "content-type").starts_with("text/html"));
    let step = step.text().unwrap();
    assert!(step.contains("<h1>Choose options</h1>"), "{step}");
    assert!(step.contains("<h2>2 × Dan Dan Noodles</h2>"), "{step}");
    assert!(
        step.contains("name=\"opt.dan-dan-noodles.spice\" value=\"mild\""),
        "{step}"
    );
    assert!(step.contains("name=\"opt.dan-dan-noodles.add-ons\" value=\"fried-egg\""));
    assert!(
        step.contains("<a href=\"/en/chunxi/\">"),
        "a way back: {step}"
    );
    // From the Chinese menu, the step is in Chinese, with the Chinese menu's names.
    let zh_fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.clone(), if k == "lang" { "zh".into() } else { v.clone() }))
        .collect();
    let zh_step = http
        .post(server.url("/api/orders"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form_body(&zh_fields))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(zh_step.contains("<html lang=\"zh\">"), "{zh_step}");
    assert!(zh_step.contains("<h1>选择选项</h1>"), "{zh_step}");
    assert!(zh_step.contains("<h2>2 × 担担面</h2>"), "{zh_step}");
    assert!(zh_step.contains("> 中辣</label>"), "{zh_step}");
    let mut fields = hidden_fields(&step);
    for (name, value) in [
        ("table", "7"),
        ("name", "Lin <b>"),
        ("qty.dan-dan-noodles", "2"),
        ("options", "chosen"),
    ] {
        assert!(
            fields.contains(&(name.to_owned(), value.to_owned())),
            "{name} not carried: {fields:?}"
        );
    }
    assert!(
        !fields.iter().any(|(k, _)| k.starts_with("opt.")),
        "{fields:?}"
    );
    fields.push(("opt.dan-dan-noodles.spice".into(), "mild".into()));
    fields.push(("opt.dan-dan-noodles.add-ons".into(), "fried-egg".into()));
    let body = form_body(&fields);
    // The options step's page sends no referrer: what it posts stands on its own.
    let post = || {
        http.post(server.url("/api/orders"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "text/html")
            .body(body.clone())
            .send()
            .unwrap()
    };

    let placed = post();
    assert_eq!(placed.status(), 201);
    assert!(header(&placed, "content-type").starts_with("text/html"));
    let confirmation = placed.text().unwrap();
    let number = between(&confirmation, "<p class=\"number\">", "</p>").expect("an order number");
    assert!(number.starts_with("C-"), "{number}");
    assert!(
        confirmation.contains("We bring it to your table (7)"),
        "{confirmation}"
    );
    assert!(
        confirmation.contains("For Lin &lt;b&gt;"),
        "the name is not escaped"
    );
    let link = between(&confirmation, "<a href=\"", "\"").expect("a status link");
    assert!(
        link.starts_with("/api/orders/ord_") && link.contains("?token="),
        "{link}"
    );

    // The price is the server's, the same as the quote for the same cart.
    let cart = json!({
        "location": "chunxi",
        "fulfilment": {"mode": "dine_in", "table": "7"},
        "lines": [{"dish": "dan-dan-noodles", "quantity": 2, "options": [
            {"group": "spice", "choices": ["mild"]},
            {"group": "add-ons", "choices": ["fried-egg"]}
        ]}]
    });
    let quoted = quote(&server, &cart);

    // The status link works, for a browser and for a script.
    let status_page = http
        .get(server.url(link))
        .header("Accept", "text/html")
        .send()
        .unwrap();
    assert_eq!(status_page.status(), 200);
    assert!(header(&status_page, "content-type").starts_with("text/html"));
    assert!(status_page.text().unwrap().contains(number));
    assert!(
        confirmation.contains("2 × Dan Dan Noodles"),
        "{confirmation}"
    );
    // The same status page in Chinese: the catalog's names and the page's own words.
    let zh_link = format!("{}&lang=zh", link.split("&amp;").next().unwrap());
    let zh_page = http
        .get(server.url(&zh_link))
        .header("Accept", "text/html")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(zh_page.contains("<html lang=\"zh\">"), "{zh_page}");
    assert!(zh_page.contains("2 × 担担面"), "{zh_page}");
    assert!(zh_page.contains("7 号桌"), "{zh_page}");
    assert!(zh_page.contains("合计"), "{zh_page}");
    let status: Value = http.get(server.url(link)).send().unwrap().json().unwrap();
    assert_eq!(status["number"], number);
    assert_eq!(status["status"], "received");
    assert_eq!(
        status["fulfilment"],
        json!({"mode": "dine_in", "table": "7"})
    );
    assert_eq!(status["quote"]["total"], quoted["total"]);
    assert_eq!(status["quote"]["lines"][0]["quantity"], 2);

    // A double submit (same form, no script to fill idempotency_key) places one order.
    let again = post();
    assert_eq!(again.status(), 200);
    assert_eq!(
        between(&again.text().unwrap(), "<p class=\"number\">", "</p>"),
        Some(number)
    );

    // A form with a mistake is answered with a page in words, not JSON: here the
    // options step sent back without the noodles' required spice.
    let bad = http
        .post(server.url("/api/orders"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("location=chunxi&lang=en&mode=dine_in&table=7&qty.dan-dan-noodles=1&options=chosen&back=%2Fen%2Fchunxi%2F")
        .send()
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(header(&bad, "content-type").starts_with("text/html"));
    let bad = bad.text().unwrap();
    assert!(bad.contains("href=\"/en/chunxi/\""), "no link back: {bad}");
}

/// The hidden fields of a page's form, their values unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |v: &str| {
        v.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|piece| {
            let (name, rest) = piece.split_once("\" value=\"")?;
            let value = &rest[..rest.find('"')?];
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[test]
fn places_a_json_order_once_per_idempotency_key() {
    let (_dir, site) = demo_copy();
    let server = Server::start(&site);
    let http = client();
    let order = json!({
        "cart": dan_dan_cart(1),
        "version": catalog_version(&server),
        "name": "Wei",
    });
    let send = |key: Option<&str>| {
        let mut request = http.post(server.url("/api/orders")).json(&order);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().unwrap()
    };

    let missing = send(None);
    assert_eq!(missing.status(), 400);
    assert_eq!(header(&missing, "content-type"), "application/problem+json");

    let first = send(Some("json-order-1"));
    assert_eq!(first.status(), 201);
    let first: Value = first.json().unwrap();
    let number = first["number"].as_str().unwrap();
    assert!(number.starts_with("C-"), "{number}");
    assert_eq!(first["status"], "received");
    assert_eq!(first["quote"], quote(&server, &dan_dan_cart(1)));

    let retry = send(Some("json-order-1"));
    assert_eq!(retry.status(), 200);
    let retry: Value = retry.json().unwrap();
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["token"], first["token"]);

    let second: Value = send(Some("json-order-2")).json().unwrap();
    assert_ne!(second["id"], first["id"]);
    assert_ne!(second["number"], first["number"]);

    let status_url = first["status_url"].as_str().unwrap();
    let status: Value = http
        .get(server.url(status_url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["id"], first["id"]);
    assert_eq!(status["number"], number);
    let id = first["id"].as_str().unwrap();
    let wrong = http
        .get(server.url(&format!(
            "/api/orders/{id}?token=00112233445566778899aabbccddeeff"
        )))
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 404);
}

#[test]
fn live_reload_follows_edits_and_keeps_the_last_good_site_on_errors() {
    let (_dir, site) = demo_copy();
    let server = Server::start(&site);
    let http = client();
    let cart = dan_dan_cart(1);
    assert_eq!(menu_price(&server), "¥18.00");
    assert_eq!(quote(&server, &cart)["subtotal"], 1800);
    let first_version = catalog_version(&server);
    let events = Events::subscribe(&server);

    // An edit: the open page hears `reload`, and page and API both show the new price.
    set_dish_price(&site, "dan-dan-noodles", "\"19.70\"");
    events.expect("reload", RELOAD_TIMEOUT);
    assert_eq!(menu_price(&server), "¥19.70");
    assert_eq!(quote(&server, &cart)["subtotal"], 1970);
    let good_version = catalog_version(&server);
    assert_ne!(good_version, first_version);
    // An order priced with the menu the diner saw before the edit is told the menu changed.
    let stale = http
        .post(server.url("/api/orders"))
        .header("Idempotency-Key", "stale-menu")
        .json(&json!({"cart": cart, "version": first_version}))
        .send()
        .unwrap();
    assert_eq!(stale.status(), 409);

    // A mistake: the page hears `content-error` naming the place, the last good
    // site is still served and the API still prices with the last good catalog.
    let at = set_dish_price(&site, "dan-dan-noodles", "\"-3\"");
    let error = events.expect("content-error", RELOAD_TIMEOUT);
    let place = format!("menus/main.yaml:{}:{}", at.line, at.column);
    assert!(
        error.data.contains(&place),
        "no {place} in:\n{}",
        error.data
    );
    assert!(
        error.data.contains("price must not be negative"),
        "{}",
        error.data
    );
    assert!(error.data.contains("^^^^"), "no caret in:\n{}", error.data);
    assert_eq!(menu_price(&server), "¥19.70");
    assert_eq!(quote(&server, &cart)["subtotal"], 1970);
    assert_eq!(catalog_version(&server), good_version);
    let placed = http
        .post(server.url("/api/orders"))
        .header("Idempotency-Key", "during-content-error")
        .json(&json!({"cart": cart, "version": good_version}))
        .send()
        .unwrap();
    assert_eq!(placed.status(), 201);
    let placed: Value = placed.json().unwrap();
    assert_eq!(placed["quote"]["subtotal"], 1970);
    // A page opened while the error stands hears it at once.
    let late = Events::subscribe(&server);
    let current = late.expect("content-error", Duration::from_secs(5));
    assert_eq!(current.data, error.data);

    // The fix: reload again, with the fixed price everywhere.
    set_dish_price(&site, "dan-dan-noodles", "\"21\"");
    events.expect("reload", RELOAD_TIMEOUT);
    late.expect("reload", RELOAD_TIMEOUT);
    assert_eq!(menu_price(&server), "¥21.00");
    assert_eq!(quote(&server, &cart)["subtotal"], 2100);
    assert!(server
        .stderr()
        .contains("Still serving the last good build."));
}

fn stops_cleanly_on(signal: &str) {
    let (_dir, site) = demo_copy();
    let mut server = Server::start(&site);
    // An open page keeps its event stream open: stopping must not wait for it.
    let page = Events::subscribe(&server);
    server.signal(signal);
    let status = server
        .wait_exit(Duration::from_secs(15))
        .unwrap_or_else(|| panic!("carte serve still runs 15 s after SIG{signal}"));
    assert_eq!(status.code(), Some(0), "SIG{signal}: {}", server.stderr());
    let stdout = server.stdout();
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!(
            "Stopped. Every acknowledged order is in {}",
            site.canonicalize()
                .unwrap()
                .join(".carte")
                .join("carte.db")
                .display()
        )
    );
    assert!(
        page.ends_within(Duration::from_secs(5)),
        "the event stream stays open"
    );
}

#[test]
fn sigterm_stops_cleanly_with_a_page_open() {
    stops_cleanly_on("TERM");
}

#[test]
fn sigint_stops_cleanly_with_a_page_open() {
    stops_cleanly_on("INT");
}
