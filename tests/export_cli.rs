//! `carte coupons issue`, `carte report`, `carte export` and `carte members
//! erase` against the real binary, on a copy of the demo whose store was
//! filled through the real `carte serve`: orders through three channels,
//! visits, a printed code redeemed at the counter, a member.

mod common;

use std::path::Path;

use chrono::{Duration, Utc};
use common::{client, demo_copy, run_carte, Server};
use serde_json::{json, Value};

fn post(
    server: &Server,
    path: &str,
    key: Option<&str>,
    body: Value,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = client().post(server.url(path)).json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().expect("request");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn cucumbers(quantity: u32) -> Value {
    json!({
        "location": "chunxi",
        "fulfilment": {"mode": "dine_in", "table": "3"},
        "lines": [{"dish": "smashed-cucumber", "quantity": quantity, "options": []}]
    })
}

fn key(site: &Path, role: &str) -> String {
    let (code, out, err) = run_carte(&[
        "keys",
        "--dir",
        site.to_str().expect("utf-8"),
        "create",
        "--role",
        role,
    ]);
    assert_eq!(code, 0, "{err}");
    out.trim().to_owned()
}

/// The whitespace-separated cells of the report line starting with `first`.
fn cells(report: &str, first: &str) -> Vec<String> {
    report
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .find(|cells| cells.first().map(String::as_str) == Some(first))
        .unwrap_or_else(|| panic!("no line `{first}` in\n{report}"))
}

#[test]
fn report_and_exports_tell_the_campaign_to_the_fen() {
    let (_dir, site) = demo_copy();
    let dir = site.to_str().expect("utf-8").to_owned();
    let staff = key(&site, "staff");
    let server = Server::start(&site);
    let version = common::catalog_version(&server);

    // Printed codes: a CSV and a QR sheet.
    let out = site.join("printed");
    let (code, stdout, err) = run_carte(&[
        "coupons",
        "--dir",
        &dir,
        "issue",
        "noodle-festival",
        "--coupon",
        "SAVE10",
        "--count",
        "5",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.starts_with("Issued 5 codes for noodle-festival (SAVE10)"),
        "{stdout}"
    );
    let csv_file = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .expect("csv");
    let printed = std::fs::read_to_string(&csv_file).expect("csv");
    let lines: Vec<&str> = printed.trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "code,coupon,campaign,batch,url,channel");
    assert_eq!(lines.len(), 6);
    let codes: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    for code in &codes {
        assert_eq!(code.len(), 12);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
    }
    assert!(
        lines[1].ends_with(&format!(
            "/zh/chunxi/?coupon={}&c=noodle-festival,",
            codes[0]
        )),
        "{}",
        lines[1]
    );
    let sheet = std::fs::read_to_string(csv_file.with_extension("html")).expect("sheet");
    assert_eq!(sheet.matches("<svg ").count(), 5);
    // Zero codes, an unknown campaign: refused with a reason.
    let (code, _, err) = run_carte(&[
        "coupons",
        "--dir",
        &dir,
        "issue",
        "noodle-festival",
        "--coupon",
        "SAVE10",
        "--count",
        "0",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("between 1 and"), "{err}");
    let (code, _, err) = run_carte(&["coupons", "--dir", &dir, "issue", "spring-sale"]);
    assert_ne!(code, 0);
    assert!(err.contains("no campaign `spring-sale`"), "{err}");

    // Visits: table tent ×2 (chunxi), flyer ×1 (kuanzhai).
    for (channel, location) in [
        ("table-tent", "chunxi"),
        ("table-tent", "chunxi"),
        ("street-flyer", "kuanzhai"),
    ] {
        let (status, body) = post(
            &server,
            "/api/visits",
            None,
            json!({"campaign": "noodle-festival", "channel": channel, "location": location}),
            &[],
        );
        assert_eq!(status, 202, "{body}");
    }
    // Orders: 2 cucumbers (18.00 + 5% = 18.90) by table tent and by flyer, 4 (37.80) by chat.
    let mut numbers = Vec::new();
    for (index, (channel, quantity)) in
        [("table-tent", 2), ("wechat-group", 4), ("street-flyer", 2)]
            .into_iter()
            .enumerate()
    {
        let idempotency = format!("cli-{index}");
        let (status, body) = post(
            &server,
            "/api/orders",
            None,
            json!({"cart": cucumbers(quantity), "version": version, "attribution": {"campaign": "noodle-festival", "channel": channel}}),
            &[("idempotency-key", idempotency.as_str())],
        );
        assert_eq!(status, 201, "{body}");
        numbers.push(body["number"].as_str().expect("number").to_owned());
    }
    // A member, and a printed code at the counter on 80.00 (10.00 off).
    let member = common::sign_in(
        &server,
        json!({"email": "li@example.com"}),
        json!({"name": "Li, \"Lei\""}),
    );
    assert_eq!(member["created"], true, "{member}");
    let member = member["member"]["id"].as_str().expect("id").to_owned();
    let (status, grant) = post(
        &server,
        "/api/staff/redemptions",
        Some(&staff),
        json!({"code": codes[0], "location": "chunxi", "amount": 8000}),
        &[],
    );
    assert_eq!(status, 201, "{grant}");
    assert_eq!(grant["display"]["to_pay"], "70.00");
    drop(server);

    let today = (Utc::now() + Duration::hours(8)).date_naive();
    let from = (today - Duration::days(1)).to_string();
    let to = (today + Duration::days(1)).to_string();
    let (code, report, err) = run_carte(&["report", "--dir", &dir, "--from", &from, "--to", &to]);
    assert_eq!(code, 0, "{err}");
    // Nothing was paid through the ledgers here: ROI is the counter spend alone.
    //                     visits orders ordered paid refunds discount online counter new repeat
    assert_eq!(
        cells(&report, "noodle-festival"),
        [
            "noodle-festival",
            "(all)",
            "3",
            "3",
            "75.60",
            "0.00",
            "0.00",
            "10.00",
            "0",
            "1",
            "0",
            "0.00%",
            "2.50",
            "8.00"
        ]
    );
    #[rustfmt::skip]
    let rows = [
        //               visits orders ordered paid refunds discount online counter new repeat cost/order roi
        ("table-tent",   ["2", "1", "18.90", "0.00", "0.00", "0.00", "0", "0", "0", "0.00%", "0.00", "-"]),
        ("wechat-group", ["0", "1", "37.80", "0.00", "0.00", "0.00", "0", "0", "0", "0.00%", "0.00", "-"]),
        ("street-flyer", ["1", "1", "18.90", "0.00", "0.00", "0.00", "0", "0", "0", "0.00%", "0.00", "-"]),
        ("counter",      ["0", "0", "0.00", "0.00", "0.00", "10.00", "0", "1", "0", "0.00%", "10.00", "8.00"]),
        ("TOTAL",        ["3", "3", "75.60", "0.00", "0.00", "10.00", "0", "1", "0", "0.00%", "2.50", "8.00"]),
        ("chunxi",       ["2", "3", "75.60", "0.00", "0.00", "10.00", "0", "1", "0", "0.00%", "2.50", "8.00"]),
        ("kuanzhai",     ["1", "0", "0.00", "0.00", "0.00", "0.00", "0", "0", "0", "0.00%", "-", "-"]),
    ];
    for (first, want) in rows {
        assert_eq!(cells(&report, first)[1..], want, "{first}");
    }
    assert_eq!(cells(&report, "smashed-cucumber")[2..], ["8", "72.00"]);
    assert!(report.contains("Sales: 3 orders, 75.60 CNY"), "{report}");
    let save10 = report
        .lines()
        .find(|l| l.contains(" SAVE10 "))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .expect("SAVE10 budget line");
    assert_eq!(
        save10,
        ["noodle-festival", "SAVE10", "1", "10.00", "299", "-"]
    );

    // Exports.
    let export = |what: &str, more: &[&str]| {
        let mut args = vec!["export", what, "--dir", &dir, "--from", &from, "--to", &to];
        args.extend_from_slice(more);
        run_carte(&args)
    };
    let orders_file = site.join("orders.csv");
    let (code, _, err) = export("orders", &["-o", orders_file.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let orders = std::fs::read_to_string(&orders_file).expect("orders");
    let rows: Vec<&str> = orders.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 4, "{orders}");
    assert_eq!(rows[0], "id,number,location,status,placed_at,placed_at_local,fulfilment,table,pickup_slot,pickup_slot_local,name,note,items,lines,currency,subtotal,discount,service_charge,tax,total,coupon,campaign,channel,first_touch,last_touch,member_id");
    // Without the id and the two times (UTC and the shop's clock).
    let without_time = |row: &str| {
        let mut cells: Vec<&str> = row.split(',').collect();
        cells.drain(4..6);
        cells[1..].join(",")
    };
    for (row, (number, quantity)) in rows[1..].iter().zip(numbers.iter().zip([2, 4, 2])) {
        let (channel, money) = match quantity {
            4 => ("wechat-group", "36.00,0.00,1.80,2.14,37.80"),
            _ => ("", "18.00,0.00,0.90,1.07,18.90"),
        };
        let line = format!("{quantity} × 拍黄瓜 @ 9.00 = {}.00", 9 * quantity);
        let want = format!("{number},chunxi,received,dine_in,3,,,,,{quantity},{line},CNY,{money},,noodle-festival,");
        assert!(without_time(row).starts_with(&want), "{row}\nwant {want}");
        assert!(row.ends_with(&format!("{channel},,,")), "{row}");
    }
    assert!(rows[1].ends_with(",table-tent,,,") && rows[3].ends_with(",street-flyer,,,"));
    // The shop's clock is Shanghai's, eight hours ahead of UTC.
    let first: Vec<&str> = rows[1].split(',').collect();
    let utc = chrono::DateTime::parse_from_rfc3339(first[4]).expect("UTC time");
    assert_eq!(
        (utc + Duration::hours(8))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        first[5]
    );

    // For Excel: a byte-order mark, the same rows.
    let (code, excel, err) = export("orders", &["--excel"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(excel.strip_prefix('\u{feff}'), Some(orders.as_str()));

    let (code, redemptions, err) = export("redemptions", &[]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = redemptions.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 2, "{redemptions}");
    assert!(
        rows[1].contains(&format!(
            ",counter,SAVE10,noodle-festival,counter,chunxi,,,{},CNY,80.00,10.00",
            codes[0]
        )),
        "{}",
        rows[1]
    );

    let (code, members, err) = export("members", &[]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = members.trim_end().split("\r\n").collect();
    assert_eq!(
        rows[0],
        "id,phone,email,name,consent,consent_at,consent_at_local,created_at,created_at_local,erased_at,erased_at_local,orders,currency,spent"
    );
    assert!(
        rows[1].starts_with(&format!(
            "{member},,li@example.com,\"Li, \"\"Lei\"\"\",yes,"
        )),
        "{}",
        rows[1]
    );
    assert!(rows[1].ends_with(",,0,CNY,0.00"), "{}", rows[1]);

    // Erasure: the person goes, the figures stay.
    let (code, stdout, err) = run_carte(&["members", "--dir", &dir, "erase", &member]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains(&member));
    let (_, members, _) = export("members", &[]);
    let row = members
        .trim_end()
        .split("\r\n")
        .nth(1)
        .expect("member row")
        .to_owned();
    assert!(row.starts_with(&format!("{member},,,,no,")), "{row}");
    let (code, _, err) = run_carte(&["members", "--dir", &dir, "erase", "mem_nobody"]);
    assert_ne!(code, 0);
    assert!(err.contains("no member `mem_nobody`"), "{err}");
    let (_, again, _) = run_carte(&["report", "--dir", &dir, "--from", &from, "--to", &to]);
    assert_eq!(cells(&again, "TOTAL"), cells(&report, "TOTAL"));

    // Keys record their use.
    let (_, keys, _) = run_carte(&["keys", "--dir", &dir, "list"]);
    let staff_line = keys
        .lines()
        .find(|l| l.contains("\tstaff\t"))
        .expect("staff key");
    assert!(!staff_line.contains("last used never"), "{staff_line}");
}

#[test]
fn printed_sheets_are_paginated_and_carry_the_shop_the_offer_and_the_expiry() {
    let (_dir, site) = demo_copy();
    let dir = site.to_str().expect("utf-8").to_owned();
    let out = site.join("printed");
    let (code, stdout, err) = run_carte(&[
        "coupons",
        "--dir",
        &dir,
        "issue",
        "noodle-festival",
        "--coupon",
        "SAVE10",
        "--channel",
        "street-flyer",
        "--count",
        "401",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut sheets: Vec<_> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    sheets.sort();
    assert_eq!(sheets.len(), 2, "{stdout}");
    let first = std::fs::read_to_string(&sheets[0]).expect("sheet 1");
    let second = std::fs::read_to_string(&sheets[1]).expect("sheet 2");
    assert!(sheets[0].to_string_lossy().ends_with("-1.html"));
    assert_eq!(first.matches("<svg ").count(), 400);
    assert_eq!(second.matches("<svg ").count(), 1);
    // The demo's default language is Chinese: the shop, the offer, the expiry.
    for sheet in [&first, &second] {
        assert!(sheet.contains("蓉记"), "shop name");
        assert!(sheet.contains("满 60.00 立减 10.00"), "offer");
        assert!(sheet.contains("有效期至 2027-12-31"), "expiry");
    }
    assert!(first.contains("1/2") && second.contains("2/2"));
    // Every printed QR code carries the flyer's channel.
    let csv = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .expect("csv");
    let text = std::fs::read_to_string(csv).expect("csv");
    assert_eq!(
        text.matches("&ch=street-flyer,street-flyer\r\n").count(),
        401
    );
}
