//! Ratings after the meal through the real router on 127.0.0.1: refused before the
//! order is completed and a second time, fields named when wrong, then seen by staff
//! on the order, counted per dish and per campaign for the marketer, and exported with
//! the diner's text unable to start a spreadsheet formula.
#![cfg(feature = "sqlite")]

mod common;

use common::{cart_json, fields, send, set_status, Fixture};
use functions::store::Role;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_order_is_rated_once_and_the_rating_reaches_staff_and_marketers() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = Client::new();
    let staff = fx.key(Role::Staff).await;
    let marketer = fx.key(Role::Marketer).await;
    let mut cart = json!({"cart": cart_json(), "version": fx.version()});
    cart["attribution"] = json!({"campaign": "spring", "channel": "flyer"});
    let placed: Value = send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", "rate-1")
            .json(&cart),
    )
    .await
    .json()
    .await
    .expect("json");
    let id = placed["id"].as_str().expect("id").to_owned();
    let token = placed["token"].as_str().expect("token").to_owned();
    let rate_url = format!("{base}/api/orders/{id}/rating?token={token}");
    let good = json!({
        "stars": 4,
        "note": "=HYPERLINK(\"http://x\") <script>alert(1)</script> 好吃",
        "dishes": [{"dish": "beef-noodles", "stars": 5}]
    });

    // Not before the meal is over.
    let r = send(client.post(&rate_url).json(&good)).await;
    common::problem(r, StatusCode::CONFLICT, "rating-refused").await;
    for status in ["accepted", "preparing", "ready", "completed"] {
        set_status(&client, &base, &staff, &id, status).await;
    }
    let status_of = || async {
        send(
            client
                .get(format!("{base}/api/orders/{id}?token={token}"))
                .header("accept", "application/json"),
        )
        .await
        .json::<Value>()
        .await
        .expect("json")
    };
    assert_eq!(status_of().await["can_rate"], true);

    // Wrong fields are named; a wrong token reads like no order.
    let bad = json!({
        "stars": 6,
        "note": "x".repeat(501),
        "dishes": [{"dish": "tea", "stars": 3}, {"dish": "dumplings", "stars": 0},
                   {"dish": "dumplings", "stars": 2}]
    });
    let r = send(client.post(&rate_url).json(&bad)).await;
    let problem = common::problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation-failed").await;
    assert_eq!(
        fields(&problem),
        [
            "stars",
            "note",
            "dishes[0].dish",
            "dishes[1].stars",
            "dishes[2].dish"
        ]
    );
    let r = send(
        client
            .post(format!("{base}/api/orders/{id}/rating?token=wrong"))
            .json(&good),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Once; the second is refused and the first stands.
    let r = send(client.post(&rate_url).json(&good)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let again = json!({"stars": 1});
    let r = send(client.post(&rate_url).json(&again)).await;
    common::problem(r, StatusCode::CONFLICT, "rating-refused").await;
    let status = status_of().await;
    assert_eq!(status["can_rate"], false);
    assert_eq!(status["rating"]["stars"], 4);
    assert_eq!(status["rating"]["campaign"], "spring");

    // Staff see it on the completed order.
    let queue: Value = send(
        client
            .get(format!(
                "{base}/api/staff/queue?location=alpha&status=completed"
            ))
            .bearer_auth(&staff),
    )
    .await
    .json()
    .await
    .expect("json");
    let order = &queue["orders"][0];
    assert_eq!(order["id"], id.as_str());
    assert_eq!(order["rating"]["stars"], 4);
    assert_eq!(order["rating"]["note"], good["note"]);

    // Counted for the marketer, per dish and per campaign.
    let report: Value = send(
        client
            .get(format!(
                "{base}/api/reports/ratings?from=2026-03-02&to=2026-03-02"
            ))
            .bearer_auth(&marketer),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(report["all"]["ratings"], 1);
    assert_eq!(report["all"]["average"], 4.0);
    assert_eq!(
        report["dishes"],
        json!([{"id": "beef-noodles", "stars": {"ratings": 1, "average": 5.0, "histogram": [0, 0, 0, 0, 1]}}])
    );
    assert_eq!(report["campaigns"][0]["id"], "spring");
    let r = send(
        client
            .get(format!("{base}/api/reports/ratings"))
            .bearer_auth(&staff),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Exported; the note cannot start a formula.
    let csv = send(
        client
            .get(format!(
                "{base}/api/exports/ratings.csv?from=2026-03-02&to=2026-03-02"
            ))
            .bearer_auth(&marketer),
    )
    .await
    .text()
    .await
    .expect("text");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("order_id,at,at_local,location,campaign,stars,note,dishes")
    );
    let row = lines.next().expect("a row");
    assert!(row.starts_with(&format!("{id},")), "{row}");
    assert!(
        row.contains(
            ",4,\"'=HYPERLINK(\"\"http://x\"\") <script>alert(1)</script> 好吃\",beef-noodles:5"
        ),
        "{row}"
    );
    assert_eq!(lines.next(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_status_page_asks_for_a_rating_with_a_plain_form() {
    let fx = Fixture::new();
    let base = fx.serve().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let staff = fx.key(Role::Staff).await;
    let placed: Value = send(
        client
            .post(format!("{base}/api/orders"))
            .header("Idempotency-Key", "rate-plain")
            .json(&json!({"cart": cart_json(), "version": fx.version()})),
    )
    .await
    .json()
    .await
    .expect("json");
    let id = placed["id"].as_str().expect("id").to_owned();
    let token = placed["token"].as_str().expect("token").to_owned();
    let page = || async {
        send(
            client
                .get(format!("{base}/api/orders/{id}?token={token}&lang=en"))
                .header("accept", "text/html"),
        )
        .await
        .text()
        .await
        .expect("html")
    };
    assert!(
        !page().await.contains("id=\"rate\""),
        "no form before the meal"
    );
    for status in ["accepted", "preparing", "ready", "completed"] {
        set_status(&client, &base, &staff, &id, status).await;
    }
    let html = page().await;
    let action = format!("/api/orders/{id}/rating?token={token}&amp;lang=en");
    assert!(
        html.contains(&format!(
            "<form id=\"rate\" method=\"post\" action=\"{action}\">"
        )),
        "{html}"
    );
    assert!(html.contains("How was your meal?"));
    // Each dish of the order can have its own stars, optionally.
    for dish in ["beef-noodles", "dumplings"] {
        assert!(
            html.contains(&format!(
                "<input type=\"radio\" name=\"dish:{dish}\" value=\"5\">"
            )),
            "{dish}: {html}"
        );
    }
    let post = |body: &'static str| {
        client
            .post(format!(
                "{base}/api/orders/{id}/rating?token={token}&lang=en"
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    // A wrong value: a page naming the field, with a way back.
    let r = send(post("stars=9&note=")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = r.text().await.expect("html");
    assert!(error.contains("<strong>stars</strong>"), "{error}");
    assert!(error.contains(&format!("/api/orders/{id}?token={token}&amp;lang=en")));
    let r = send(post("stars=4&dish:tea=5&dish:dumplings=6")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = r.text().await.expect("html");
    assert!(error.contains("<strong>dishes[0].dish</strong>"), "{error}");
    assert!(
        error.contains("<strong>dishes[1].stars</strong>"),
        "{error}"
    );
    // Rated: back to the status page, which thanks the diner; a second post changes nothing.
    let r = send(post(
        "stars=3&note=%3Cb%3Ecold%3C%2Fb%3E&dish:dumplings=5&dish:beef-noodles=",
    ))
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/api/orders/{id}?token={token}&lang=en").as_str()
    );
    let r = send(post("stars=5")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page().await;
    assert!(
        html.contains("Thank you: you rated this meal 3/5."),
        "{html}"
    );
    assert!(!html.contains("id=\"rate\""));
    let kept = fx
        .store
        .order_rating(&id)
        .await
        .expect("read")
        .expect("rated");
    assert_eq!((kept.stars, kept.note.as_deref()), (3, Some("<b>cold</b>")));
    let dishes: Vec<_> = kept
        .dishes
        .iter()
        .map(|d| (d.dish.as_str(), d.stars))
        .collect();
    assert_eq!(
        dishes,
        [("dumplings", 5)],
        "a dish left unrated is not rated"
    );
}
