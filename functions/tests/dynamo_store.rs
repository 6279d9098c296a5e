//! The store conformance suite on a real DynamoDB-compatible server
//! (Dynoxide on loopback, one fresh server per test and one fresh table per
//! store), with the same concurrency tests as `tests/sqlite_store.rs`, plus
//! what only the DynamoDB store has: budget shards, table creation, errors.

#[path = "common/dynoxide.rs"]
mod dynoxide;

use std::time::Instant;

use dynoxide::Dynoxide;
use functions::store::conformance::{self, claim, sample_order};
use functions::store::{DynamoStore, Store, StoreError};

macro_rules! conformance_test {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let server = Dynoxide::start();
            conformance::$name(|| server.open()).await;
        }
    };
}

conformance_test!(idempotency);
conformance_test!(member_uniqueness);
conformance_test!(status_transitions);
conformance_test!(slot_capacity);
conformance_test!(order_numbering);
conformance_test!(atomicity);
conformance_test!(coupon_limits);
conformance_test!(api_keys);
conformance_test!(sold_out_switches);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_on_a_budget_of_a_hundred_redeem_a_hundred() {
    let server = Dynoxide::start();
    for round in 0..3 {
        let started = Instant::now();
        conformance::concurrent_budget(|| server.open(), 1000, 100).await;
        eprintln!("round {round}: 1000 attempts in {:?}", started.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_retries_with_one_key_place_one_order() {
    let server = Dynoxide::start();
    conformance::concurrent_idempotency(|| server.open(), 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_sign_ups_with_one_phone_make_one_member() {
    let server = Dynoxide::start();
    conformance::concurrent_sign_up(|| server.open(), 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_member_limits_hold_under_concurrency() {
    let server = Dynoxide::start();
    conformance::concurrent_per_member(|| server.open(), 60, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_over_four_shards_redeems_exactly_the_budget() {
    let server = Dynoxide::start();
    for round in 0..3 {
        let started = Instant::now();
        conformance::concurrent_budget(|| server.open_sharded(4), 1000, 100).await;
        eprintln!("round {round} (4 shards): 1000 attempts in {:?}", started.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_budget_over_more_shards_than_redemptions_stays_exact() {
    let server = Dynoxide::start();
    // Budget 3 over a store set to 8 shards: 3 shards of one each.
    conformance::concurrent_budget(|| server.open_sharded(8), 40, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sharded_budget_is_exhausted_for_later_orders_too() {
    let server = Dynoxide::start();
    let store = server.store_with(4).await;
    for index in 0..8 {
        let mut order = sample_order("alpha", &format!("s-{index}"));
        order.redemption = Some(claim("EIGHT", Some(8), None));
        store.place_order(order).await.expect("within budget");
    }
    // A second store on the same table knows nothing of full shards: it
    // sweeps them all and still refuses.
    let fresh = DynamoStore::new(server.client(), store.table()).with_coupon_shards(4);
    for store in [&store, &fresh] {
        let mut over = sample_order("alpha", "s-over");
        over.redemption = Some(claim("EIGHT", Some(8), None));
        assert_eq!(
            store.place_order(over).await.err(),
            Some(StoreError::BudgetExhausted)
        );
    }
    assert_eq!(fresh.redemption_count("EIGHT").await.expect("count"), 8);
    // A bigger budget (the merchant raised it) opens the coupon again.
    let mut more = sample_order("alpha", "s-more");
    more.redemption = Some(claim("EIGHT", Some(12), None));
    store.place_order(more).await.expect("raised budget");
    assert_eq!(
        store.redemption_counts().await.expect("counts"),
        vec![("EIGHT".to_owned(), 9)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_budget_ran_out_still_gets_its_order() {
    let server = Dynoxide::start();
    let store = server.store_with(2).await;
    let mut first = sample_order("alpha", "r-1");
    first.redemption = Some(claim("ONE", Some(1), None));
    let placed = store.place_order(first.clone()).await.expect("first");
    // The same request again: the budget is gone, but this is a retry.
    let again = store.place_order(first).await.expect("retry");
    assert!(!again.created);
    assert_eq!(again.order, placed.order);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_table_twice_is_harmless_and_a_second_store_sees_the_orders() {
    let server = Dynoxide::start();
    let store = server.store_with(1).await;
    let placed = store
        .place_order(sample_order("alpha", "persist"))
        .await
        .expect("order");
    let again = DynamoStore::new(server.client(), store.table());
    again.create_table().await.expect("second create_table");
    assert_eq!(
        again
            .get_order(&placed.order.id)
            .await
            .expect("still there")
            .number,
        "A-001"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_a_short_backend_error() {
    let server = Dynoxide::start();
    let store = DynamoStore::new(server.client(), "no-such-table");
    match store.get_order("ord_x").await {
        Err(StoreError::Backend(message)) => {
            assert!(message.starts_with("GetItem: "), "{message}");
            assert!(message.len() < 300, "short message: {message}");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_unavailable() {
    // A port that was free a moment ago and has nobody listening.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let store = DynamoStore::new(
        dynoxide::client(&format!("http://127.0.0.1:{port}")),
        "carte",
    );
    let started = Instant::now();
    let result = store.get_order("ord_x").await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed().as_secs() < 20, "bounded by the timeouts");
}
