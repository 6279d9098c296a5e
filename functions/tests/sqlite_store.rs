//! The store conformance suite on real SQLite files in a temporary folder.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use functions::store::conformance::{self, DynStore};
use functions::store::SqliteStore;
use tempfile::TempDir;

/// Opens fresh database files in one temporary folder (removed when dropped).
struct Files {
    dir: TempDir,
    next: AtomicUsize,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().expect("tempdir"),
            next: AtomicUsize::new(0),
        }
    }

    async fn open(&self) -> DynStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // A nested path also checks that parent folders are created.
        let path = self.dir.path().join(format!("site-{n}/.carte/carte.db"));
        Arc::new(SqliteStore::open(path).expect("open store"))
    }
}

macro_rules! conformance_test {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let files = Files::new();
            conformance::$name(|| files.open()).await;
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
conformance_test!(counter_redemptions);
conformance_test!(marketing_figures);
conformance_test!(sessions);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_on_a_budget_of_a_hundred_redeem_a_hundred() {
    let files = Files::new();
    for round in 0..3 {
        let started = Instant::now();
        conformance::concurrent_budget(|| files.open(), 1000, 100).await;
        eprintln!("round {round}: 1000 attempts in {:?}", started.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_retries_with_one_key_place_one_order() {
    let files = Files::new();
    conformance::concurrent_idempotency(|| files.open(), 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_sign_ups_with_one_phone_make_one_member() {
    let files = Files::new();
    conformance::concurrent_sign_up(|| files.open(), 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_member_limits_hold_under_concurrency() {
    let files = Files::new();
    conformance::concurrent_per_member(|| files.open(), 60, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_orders_and_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("carte.db");
    let id = {
        let store = SqliteStore::open(&path).expect("open");
        use functions::store::Store;
        store
            .place_order(conformance::sample_order("alpha", "persist"))
            .await
            .expect("order")
            .order
            .id
    };
    let store = SqliteStore::open(&path).expect("reopen");
    use functions::store::Store;
    assert_eq!(
        store.get_order(&id).await.expect("still there").number,
        "A-001"
    );
}
