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

functions::conformance_suite!(Dynoxide::start());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_over_four_shards_redeems_exactly_the_budget() {
    let server = Dynoxide::start();
    for round in 0..3 {
        let started = Instant::now();
        conformance::concurrent_budget(|| server.open_sharded(4), 1000, 100).await;
        eprintln!(
            "round {round} (4 shards): 1000 attempts in {:?}",
            started.elapsed()
        );
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

/// Marks the child process of [`from_env_takes_the_endpoint_from_aws_endpoint_url`].
const FROM_ENV_CHILD: &str = "CARTE_DYNAMO_FROM_ENV_CHILD";

/// `from_env` loads the standard AWS configuration, endpoint included. The
/// variables are set only in a child process running
/// [`from_env_child_places_an_order`], never in this multi-threaded one.
#[test]
fn from_env_takes_the_endpoint_from_aws_endpoint_url() {
    let server = Dynoxide::start();
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "from_env_child_places_an_order",
            "--test-threads=1",
        ])
        .env(FROM_ENV_CHILD, "1")
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The child half of [`from_env_takes_the_endpoint_from_aws_endpoint_url`];
/// outside that child (no marker variable) there is nothing to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_env_child_places_an_order() {
    if std::env::var_os(FROM_ENV_CHILD).is_none() {
        return;
    }
    let store = DynamoStore::from_env("carte-from-env").await;
    store
        .create_table()
        .await
        .expect("create table via AWS_ENDPOINT_URL");
    let placed = store
        .place_order(sample_order("alpha", "env"))
        .await
        .expect("order");
    assert_eq!(placed.order.number, "A-001");
}

/// `attempts` concurrent orders, each 5.00 off, on a money budget of `cap`.
async fn concurrent_money_budget(store: DynamoStore, attempts: usize, cap: i64) -> usize {
    let store = std::sync::Arc::new(store);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..attempts {
        let store = store.clone();
        tasks.spawn(async move {
            let mut order = sample_order("alpha", &format!("money-{index}"));
            order.redemption = Some(functions::store::RedemptionClaim {
                budget_amount: Some(cap),
                ..claim("MONEY", None, None)
            });
            store.place_order(order).await
        });
    }
    let mut placed = 0;
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(_) => placed += 1,
            Err(StoreError::BudgetExhausted) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    placed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_money_budget_holds_under_concurrency_on_one_and_four_shards() {
    let server = Dynoxide::start();
    for shards in [1, 4] {
        let store = server.store_with(shards).await;
        let table = store.table().to_owned();
        // 100.00 of discounts at 5.00 each: exactly 20 orders.
        assert_eq!(concurrent_money_budget(store, 200, 10_000).await, 20);
        let check = DynamoStore::new(server.client(), table).with_coupon_shards(shards);
        assert_eq!(check.redemption_count("MONEY").await.expect("count"), 20);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_money_budget_takes_a_smaller_discount_that_still_fits() {
    let server = Dynoxide::start();
    let store = server.store_with(1).await;
    let order = |key: &str, discount: i64| {
        let mut order = sample_order("alpha", key);
        order.redemption = Some(functions::store::RedemptionClaim {
            discount,
            budget_amount: Some(1200),
            ..claim("MONEY", None, None)
        });
        order
    };
    store.place_order(order("m1", 500)).await.expect("5.00");
    store.place_order(order("m2", 500)).await.expect("10.00");
    assert_eq!(
        store.place_order(order("m3", 500)).await.err(),
        Some(StoreError::BudgetExhausted)
    );
    store
        .place_order(order("m4", 200))
        .await
        .expect("12.00 exactly");
    assert_eq!(
        store.place_order(order("m5", 1)).await.err(),
        Some(StoreError::BudgetExhausted)
    );
    assert_eq!(store.redemption_count("MONEY").await.expect("count"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_placed_before_the_member_order_counter_existed_still_count_for_first_orders() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let server = Dynoxide::start();
    let store = server.store_with(1).await;
    let member = store
        .sign_up(conformance::sample_member("+8613800138000"))
        .await
        .expect("member")
        .member
        .id;
    let mut plain = sample_order("alpha", "legacy-0");
    plain.member_id = Some(member.clone());
    store.place_order(plain).await.expect("order");
    // A table from before the counter: the order is on the member's index partition only.
    server
        .client()
        .delete_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("MEMBER#{member}#ORDERS")))
        .key("sk", AttributeValue::S("COUNT".into()))
        .send()
        .await
        .expect("delete the counter");
    let mut first = sample_order("alpha", "legacy-1");
    first.member_id = Some(member.clone());
    first.redemption = Some(functions::store::RedemptionClaim {
        first_order_only: true,
        ..claim("FIRST", None, None)
    });
    assert_eq!(
        store.place_order(first).await.err(),
        Some(StoreError::CouponRefused(
            catalog::CouponRejection::FirstOrderOnly
        ))
    );
}
