//! The store conformance suite on real SQLite files in a temporary folder.
#![cfg(feature = "sqlite")] // every test here runs on a SQLite store

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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

    async fn open_with_idempotency_ttl(&self, ttl: std::time::Duration) -> DynStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.path().join(format!("site-{n}/.carte/carte.db"));
        Arc::new(
            SqliteStore::open(path)
                .expect("open store")
                .with_idempotency_ttl(ttl),
        )
    }
}

functions::conformance_suite!(Files::new());

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
