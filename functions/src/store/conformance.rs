//! The store conformance suite: one public async function per behaviour, each
//! taking a factory of fresh, empty stores. Every backend's test file runs all
//! of them (`tests/sqlite_store.rs` for SQLite), so the backends cannot drift.
//!
//! The functions panic (assert) on a broken behaviour: they are test code.

use std::future::Future;
use std::sync::Arc;

use catalog::payment::{self, Entry, EntryKind, Flagged, Method, Mismatch, PaymentState, Summary};
use catalog::pricing::{PricedChoice, PricedLine};
use catalog::{Cart, CartLine, Fulfilment, Minor, Quote};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::{
    ApiKey, Ceremony, CodeCheck, IssuedCode, MemberKey, NewCode, NewMember, NewMemberSession,
    NewOrder, OrderStatus, PushSubscription, Rating, Recorded, RedemptionClaim, Role, SlotClaim,
    SoldOutItem, Store, StoreError, StoredPasskey,
};
use crate::keys;

/// A store under test.
pub type DynStore = Arc<dyn Store>;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        + Duration::minutes(minutes)
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
}

/// A minimal order for `location` with idempotency key `key`.
pub fn sample_order(location: &str, key: &str) -> NewOrder {
    let cart = Cart {
        location: location.to_owned(),
        fulfilment: Fulfilment::DineIn { table: "1".into() },
        lines: vec![CartLine {
            dish: "noodles".into(),
            quantity: 1,
            options: Vec::new(),
        }],
        coupon: None,
    };
    let quote = Quote {
        currency: "CNY".into(),
        lines: Vec::new(),
        subtotal: 3200,
        discount: 0,
        service_charge: 0,
        tax: 0,
        tax_inclusive: true,
        total: 3200,
        coupon: None,
    };
    let token = keys::new_token();
    NewOrder {
        id: keys::new_id("ord"),
        location: location.to_owned(),
        order_prefix: location
            .chars()
            .next()
            .unwrap_or('X')
            .to_uppercase()
            .collect(),
        local_day: day(2),
        idempotency_key_hash: keys::sha256_hex(key),
        request_hash: keys::sha256_hex(format!("request of {key}")),
        token_hash: keys::sha256_hex(&token),
        sealed_token: keys::seal_token(&token, key),
        cart,
        quote,
        note: None,
        name: None,
        member_id: None,
        attribution: None,
        redemption: None,
        slot: None,
        placed_at: at(0),
        touches: Default::default(),
    }
}

/// A redemption of `coupon` with the given limits.
pub fn claim(coupon: &str, budget: Option<u32>, per_member: Option<u32>) -> RedemptionClaim {
    RedemptionClaim {
        coupon: coupon.to_owned(),
        campaign: "spring".into(),
        discount: 500,
        issued_code: None,
        budget,
        per_member,
        budget_amount: None,
        first_order_only: false,
    }
}

/// A new member with this phone.
pub fn sample_member(phone: &str) -> NewMember {
    NewMember {
        id: keys::new_id("mem"),
        phone: Some(phone.to_owned()),
        email: None,
        name: Some("Li".into()),
        consent_at: at(0),
        welcome: None,
        attribution: None,
        location: None,
    }
}

/// Same key and request → the same order; same key, other request → conflict.
pub async fn idempotency<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let first = store
        .place_order(sample_order("alpha", "key-1"))
        .await
        .expect("first order");
    assert!(first.created);
    let again = store
        .place_order(sample_order("alpha", "key-1"))
        .await
        .expect("retry");
    assert!(!again.created);
    assert_eq!(again.order.id, first.order.id);
    assert_eq!(again.order.number, first.order.number);
    assert_eq!(again.sealed_token, first.sealed_token);
    let replayed = store
        .replay(
            &keys::sha256_hex("key-1"),
            &keys::sha256_hex("request of key-1"),
        )
        .await
        .expect("replay");
    assert_eq!(replayed.map(|p| p.order.id), Some(first.order.id.clone()));
    assert_eq!(
        store
            .replay(&keys::sha256_hex("key-unused"), "x")
            .await
            .expect("fresh key"),
        None
    );
    let mut other = sample_order("alpha", "key-1");
    other.request_hash = keys::sha256_hex("another body");
    assert_eq!(
        store.place_order(other).await.err(),
        Some(StoreError::IdempotencyConflict)
    );
    assert_eq!(
        store
            .replay(
                &keys::sha256_hex("key-1"),
                &keys::sha256_hex("another body")
            )
            .await
            .err(),
        Some(StoreError::IdempotencyConflict)
    );
    let queue = store.queue("alpha", &[], 10).await.expect("queue");
    assert_eq!(queue.len(), 1);
}

/// A key whose order was cancelled is free again: the same request (or another one)
/// places a new order, never answered with the cancelled one, and a retry of the
/// new order is answered with it.
pub async fn a_cancelled_order_frees_its_key<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let first = store
        .place_order(sample_order("alpha", "same-table"))
        .await
        .expect("first order");
    store
        .set_status(
            &first.order.id,
            OrderStatus::Cancelled,
            "counter",
            None,
            at(1),
        )
        .await
        .expect("cancelled");
    let key = keys::sha256_hex("same-table");
    let request = keys::sha256_hex("request of same-table");
    assert_eq!(store.replay(&key, &request).await.expect("replay"), None);
    let second = store
        .place_order(sample_order("alpha", "same-table"))
        .await
        .expect("a new order");
    assert!(second.created);
    assert_ne!(second.order.id, first.order.id);
    assert_eq!(second.order.status, OrderStatus::Received);
    let retry = store
        .place_order(sample_order("alpha", "same-table"))
        .await
        .expect("retry");
    assert!(!retry.created);
    assert_eq!(retry.order.id, second.order.id);
    assert_eq!(
        store
            .replay(&key, &request)
            .await
            .expect("replay")
            .map(|p| p.order.id),
        Some(second.order.id.clone())
    );
    // Another request with the key of a live order is still a conflict.
    let mut other = sample_order("alpha", "same-table");
    other.request_hash = keys::sha256_hex("another body");
    assert_eq!(
        store.place_order(other).await.err(),
        Some(StoreError::IdempotencyConflict)
    );
    // Cancelled again: a request that differs may take the key too.
    store
        .set_status(
            &second.order.id,
            OrderStatus::Cancelled,
            "counter",
            None,
            at(2),
        )
        .await
        .expect("cancelled");
    let mut third = sample_order("alpha", "same-table");
    third.request_hash = keys::sha256_hex("another body");
    let third = store.place_order(third).await.expect("third order");
    assert!(third.created);
    let queue = store.queue("alpha", &[], 10).await.expect("queue");
    assert_eq!(queue.len(), 3);
}

/// Idempotency records expire: once the store's TTL has passed (one second here:
/// `make` opens stores with that TTL), the same key and request place a new order.
pub async fn idempotency_keys_expire<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let key = keys::sha256_hex("short-lived");
    let request = keys::sha256_hex("request of short-lived");
    let first = store
        .place_order(sample_order("alpha", "short-lived"))
        .await
        .expect("first order");
    assert!(first.created);
    let retry = store
        .place_order(sample_order("alpha", "short-lived"))
        .await
        .expect("retry");
    assert_eq!(retry.order.id, first.order.id);
    // Records expire on whole seconds: two and a bit are past a one-second TTL.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(store.replay(&key, &request).await.expect("replay"), None);
    let later = store
        .place_order(sample_order("alpha", "short-lived"))
        .await
        .expect("later order");
    assert!(later.created);
    assert_ne!(later.order.id, first.order.id);
    let again = store
        .place_order(sample_order("alpha", "short-lived"))
        .await
        .expect("retry of the later order");
    assert_eq!(again.order.id, later.order.id);
}

/// One member per phone and per email; a second sign-up finds the first.
pub async fn member_uniqueness<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut first = sample_member("+8613800138000");
    first.email = Some("li@example.com".into());
    first.welcome = Some(IssuedCode {
        code: "WELCOME-AAAA".into(),
        coupon: "WELCOME".into(),
        member_id: first.id.clone(),
        used_by: None,
        channel: None,
    });
    let signed = store.sign_up(first.clone()).await.expect("sign up");
    assert!(signed.created);
    assert_eq!(
        signed.welcome.as_ref().map(|w| w.code.as_str()),
        Some("WELCOME-AAAA")
    );
    let mut again = sample_member("+8613800138000");
    again.welcome = Some(IssuedCode {
        code: "WELCOME-BBBB".into(),
        coupon: "WELCOME".into(),
        member_id: again.id.clone(),
        used_by: None,
        channel: None,
    });
    let second = store.sign_up(again).await.expect("second sign up");
    assert!(!second.created);
    assert_eq!(second.member.id, first.id);
    assert_eq!(second.welcome, None);
    // No code was issued for the repeated sign-up.
    assert_eq!(
        store.find_issued_code("WELCOME-BBBB").await.expect("find"),
        None
    );
    let by_email = NewMember {
        phone: None,
        email: Some("li@example.com".into()),
        ..sample_member("unused")
    };
    let third = store.sign_up(by_email).await.expect("by email");
    assert!(!third.created);
    assert_eq!(third.member.id, first.id);
    let found = store
        .find_member(MemberKey::Email("li@example.com".into()))
        .await
        .expect("find");
    assert_eq!(found.map(|m| m.id), Some(first.id.clone()));
    let issued = store
        .find_issued_code("welcome-aaaa")
        .await
        .expect("find code");
    assert_eq!(issued.map(|c| c.member_id), Some(first.id));
    let other = store
        .sign_up(sample_member("+8613900139000"))
        .await
        .expect("other member");
    assert!(other.created);
}

/// Only workflow steps are allowed; each records who and when.
pub async fn status_transitions<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let id = store
        .place_order(sample_order("alpha", "k"))
        .await
        .expect("order")
        .order
        .id;
    let skip = store
        .set_status(&id, OrderStatus::Ready, "counter", None, at(1))
        .await;
    assert_eq!(
        skip.err(),
        Some(StoreError::InvalidTransition {
            from: OrderStatus::Received,
            to: OrderStatus::Ready
        })
    );
    for (minute, status) in [
        (2, OrderStatus::Accepted),
        (3, OrderStatus::Preparing),
        (4, OrderStatus::Ready),
        (5, OrderStatus::Completed),
    ] {
        let order = store
            .set_status(&id, status, "counter", None, at(minute))
            .await
            .expect("step");
        assert_eq!(order.status, status);
    }
    let order = store.get_order(&id).await.expect("get");
    assert_eq!(order.times.received, Some(at(0)));
    assert_eq!(order.times.accepted, Some(at(2)));
    assert_eq!(order.times.completed, Some(at(5)));
    assert_eq!(order.history.len(), 5);
    assert_eq!(order.history[1].by, "counter");
    let cancel_done = store
        .set_status(&id, OrderStatus::Cancelled, "counter", None, at(6))
        .await;
    assert!(matches!(
        cancel_done,
        Err(StoreError::InvalidTransition { .. })
    ));
    let other = store
        .place_order(sample_order("alpha", "k2"))
        .await
        .expect("order")
        .order
        .id;
    let cancelled = store
        .set_status(
            &other,
            OrderStatus::Cancelled,
            "kitchen",
            Some("out of noodles".into()),
            at(7),
        )
        .await
        .expect("cancel");
    assert_eq!(cancelled.times.cancelled, Some(at(7)));
    assert_eq!(
        cancelled.history[1].reason.as_deref(),
        Some("out of noodles")
    );
    assert_eq!(
        store
            .set_status("ord_missing", OrderStatus::Accepted, "x", None, at(8))
            .await
            .err(),
        Some(StoreError::NotFound)
    );
    let open = store
        .queue("alpha", &[OrderStatus::Cancelled], 10)
        .await
        .expect("queue");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, other);
}

/// A pickup slot takes at most its capacity; a cancelled order frees its place.
pub async fn slot_capacity<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let slot = SlotClaim {
        start: at(60),
        capacity: 2,
    };
    let mut ids = Vec::new();
    for key in ["s1", "s2"] {
        let mut order = sample_order("alpha", key);
        order.slot = Some(slot);
        ids.push(store.place_order(order).await.expect("fits").order.id);
    }
    let mut third = sample_order("alpha", "s3");
    third.slot = Some(slot);
    assert_eq!(
        store.place_order(third.clone()).await.err(),
        Some(StoreError::SlotFull)
    );
    let mut later = sample_order("alpha", "s4");
    later.slot = Some(SlotClaim {
        start: at(75),
        capacity: 2,
    });
    store.place_order(later).await.expect("another slot");
    store
        .set_status(&ids[0], OrderStatus::Cancelled, "counter", None, at(1))
        .await
        .expect("cancel");
    store.place_order(third).await.expect("freed place");
}

/// Numbers count per location per local day: `A-001`, `A-002`, … .
pub async fn order_numbering<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut numbers = Vec::new();
    for key in ["n1", "n2", "n3"] {
        numbers.push(
            store
                .place_order(sample_order("alpha", key))
                .await
                .expect("order")
                .order
                .number,
        );
    }
    assert_eq!(numbers, ["A-001", "A-002", "A-003"]);
    let other_location = store
        .place_order(sample_order("beta", "n4"))
        .await
        .expect("order");
    assert_eq!(other_location.order.number, "B-001");
    let mut next_day = sample_order("alpha", "n5");
    next_day.local_day = day(3);
    assert_eq!(
        store
            .place_order(next_day)
            .await
            .expect("order")
            .order
            .number,
        "A-001"
    );
}

/// A refused coupon leaves nothing behind: no order, no counter step, no key.
pub async fn atomicity<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut first = sample_order("alpha", "a1");
    first.redemption = Some(claim("ONE", Some(1), None));
    let placed = store.place_order(first).await.expect("first redemption");
    assert_eq!(placed.order.coupon.as_deref(), Some("ONE"));
    let mut over = sample_order("alpha", "a2");
    over.redemption = Some(claim("ONE", Some(1), None));
    let over_id = over.id.clone();
    assert_eq!(
        store.place_order(over.clone()).await.err(),
        Some(StoreError::BudgetExhausted)
    );
    assert_eq!(
        store.get_order(&over_id).await.err(),
        Some(StoreError::NotFound)
    );
    assert_eq!(store.redemption_count("ONE").await.expect("count"), 1);
    assert_eq!(store.queue("alpha", &[], 10).await.expect("queue").len(), 1);
    // The key was not spent: the same key and request still fail the same way.
    assert_eq!(
        store.place_order(over.clone()).await.err(),
        Some(StoreError::BudgetExhausted)
    );
    // The counter did not move: the next order is number 2.
    let mut without = over;
    without.redemption = None;
    without.id = keys::new_id("ord");
    let next = store.place_order(without).await.expect("without coupon");
    assert_eq!(next.order.number, "A-002");
    // An unknown member also leaves nothing.
    let mut ghost = sample_order("alpha", "a3");
    ghost.member_id = Some("mem_nobody".into());
    assert_eq!(
        store.place_order(ghost).await.err(),
        Some(StoreError::UnknownMember)
    );
    assert_eq!(
        store
            .place_order(sample_order("alpha", "a4"))
            .await
            .expect("order")
            .order
            .number,
        "A-003"
    );
    assert_eq!(
        store.redemption_counts().await.expect("counts"),
        vec![("ONE".to_owned(), 1)]
    );
}

/// Per-member limits count per member; single-use codes work once.
pub async fn coupon_limits<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut new_member = sample_member("+8613800138000");
    new_member.welcome = Some(IssuedCode {
        code: "WELCOME-CCCC".into(),
        coupon: "WELCOME".into(),
        member_id: new_member.id.clone(),
        used_by: None,
        channel: None,
    });
    let member = store.sign_up(new_member).await.expect("member").member.id;
    for (index, expected) in [(1, true), (2, true), (3, false)] {
        let mut order = sample_order("alpha", &format!("pm{index}"));
        order.member_id = Some(member.clone());
        order.redemption = Some(claim("TWICE", None, Some(2)));
        let result = store.place_order(order).await;
        assert_eq!(result.is_ok(), expected, "redemption {index}: {result:?}");
        if !expected {
            assert_eq!(result.err(), Some(StoreError::PerMemberLimit));
        }
    }
    assert_eq!(
        store
            .member_redemption_count("TWICE", &member)
            .await
            .expect("count"),
        2
    );
    let mut single = sample_order("alpha", "code1");
    single.member_id = Some(member.clone());
    single.redemption = Some(RedemptionClaim {
        issued_code: Some("WELCOME-CCCC".into()),
        ..claim("WELCOME", None, Some(1))
    });
    let used = store.place_order(single).await.expect("code once");
    let issued = store
        .find_issued_code("WELCOME-CCCC")
        .await
        .expect("find")
        .expect("issued");
    assert_eq!(issued.used_by, Some(used.order.id));
    let mut twice = sample_order("alpha", "code2");
    twice.redemption = Some(RedemptionClaim {
        issued_code: Some("WELCOME-CCCC".into()),
        ..claim("WELCOME", None, None)
    });
    assert_eq!(
        store.place_order(twice).await.err(),
        Some(StoreError::CodeAlreadyUsed)
    );
}

/// Keys are found by hash while not revoked, and record their last use.
pub async fn api_keys<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let key = keys::create_key(store.as_ref(), Role::Staff, "counter", at(0))
        .await
        .expect("create");
    assert!(key.starts_with(keys::KEY_PREFIX));
    let listed = store.list_keys().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_ne!(listed[0].hash, key, "only the hash is stored");
    assert_eq!(listed[0].hash, keys::sha256_hex(&key));
    assert_eq!(listed[0].last_used, None);
    let found = store
        .find_key(&keys::sha256_hex(&key), at(5))
        .await
        .expect("find")
        .expect("known key");
    assert_eq!(found.role, Role::Staff);
    assert_eq!(found.label, "counter");
    let listed = store.list_keys().await.expect("list");
    assert_eq!(listed[0].last_used, Some(at(5)));
    assert_eq!(
        store
            .find_key(&keys::sha256_hex("carte_wrong"), at(5))
            .await
            .expect("find"),
        None
    );
    store.revoke_key(&found.id, at(6)).await.expect("revoke");
    assert_eq!(
        store
            .find_key(&keys::sha256_hex(&key), at(7))
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        store.revoke_key("key_missing", at(7)).await.err(),
        Some(StoreError::NotFound)
    );
    let marketer = ApiKey {
        id: keys::new_id("key"),
        hash: keys::sha256_hex("m"),
        role: Role::Marketer,
        label: "marketing".into(),
        created_at: at(0),
        last_used: None,
        revoked_at: None,
    };
    store.create_key(marketer).await.expect("create");
    let found = store
        .find_key(&keys::sha256_hex("m"), at(1))
        .await
        .expect("find");
    assert_eq!(found.map(|k| k.role), Some(Role::Marketer));
}

/// Sessions are found by token hash while live, end at sign-out, at expiry and
/// with their key, and only a live key can open one.
pub async fn sessions<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    keys::create_key(store.as_ref(), Role::Staff, "counter", at(0))
        .await
        .expect("create");
    let key = store.list_keys().await.expect("list").remove(0);
    let session = |token: &str, minutes: i64| super::NewSession {
        hash: keys::sha256_hex(token),
        key_id: key.id.clone(),
        created_at: at(0),
        expires_at: at(minutes),
    };
    store
        .create_session(session("one", 60))
        .await
        .expect("session");
    let found = store
        .find_session(&keys::sha256_hex("one"), at(1))
        .await
        .expect("find")
        .expect("live session");
    assert_eq!(found.key.id, key.id);
    assert_eq!(found.key.role, Role::Staff);
    assert_eq!(found.key.label, "counter");
    assert_eq!(found.expires_at, at(60));
    assert_eq!(
        store
            .find_session(&keys::sha256_hex("one"), at(60))
            .await
            .expect("find"),
        None,
        "a session ends at its expiry"
    );
    assert_eq!(
        store
            .find_session(&keys::sha256_hex("two"), at(1))
            .await
            .expect("find"),
        None
    );
    store
        .revoke_session(&keys::sha256_hex("one"), at(2))
        .await
        .expect("sign out");
    assert_eq!(
        store
            .find_session(&keys::sha256_hex("one"), at(3))
            .await
            .expect("find"),
        None,
        "a signed-out session is over"
    );
    assert_eq!(
        store.revoke_session(&keys::sha256_hex("none"), at(3)).await,
        Err(StoreError::NotFound)
    );
    store
        .create_session(session("two", 60))
        .await
        .expect("session");
    store
        .create_session(session("three", 60))
        .await
        .expect("session");
    store.revoke_key(&key.id, at(4)).await.expect("revoke");
    for token in ["two", "three"] {
        assert_eq!(
            store
                .find_session(&keys::sha256_hex(token), at(5))
                .await
                .expect("find"),
            None,
            "a revoked key ends its sessions"
        );
    }
    assert_eq!(
        store.create_session(session("four", 60)).await,
        Err(StoreError::NotFound),
        "a revoked key opens no session"
    );
    let unknown = super::NewSession {
        key_id: "key_missing".into(),
        ..session("five", 60)
    };
    assert_eq!(
        store.create_session(unknown).await,
        Err(StoreError::NotFound)
    );
}

/// Sold-out switches set and clear dishes and choices.
pub async fn sold_out_switches<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    assert_eq!(store.sold_out().await.expect("empty"), Default::default());
    let dish = SoldOutItem::Dish {
        dish: "noodles".into(),
    };
    let choice = SoldOutItem::Choice {
        dish: "noodles".into(),
        group: "spice".into(),
        choice: "hot".into(),
    };
    store.set_sold_out(dish.clone(), true).await.expect("set");
    store.set_sold_out(dish.clone(), true).await.expect("twice");
    store.set_sold_out(choice.clone(), true).await.expect("set");
    let now = store.sold_out().await.expect("read");
    assert!(now.dishes.contains("noodles"));
    assert!(now.choices.contains("noodles/spice/hot"));
    store.set_sold_out(dish, false).await.expect("clear");
    let now = store.sold_out().await.expect("read");
    assert!(now.dishes.is_empty());
    assert_eq!(now.choices.len(), 1);
}

/// `attempts` concurrent orders on one coupon of `budget`: exactly `budget` succeed.
pub async fn concurrent_budget<F, Fut>(make: F, attempts: usize, budget: u32)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..attempts {
        let store = store.clone();
        tasks.spawn(async move {
            let mut order = sample_order("alpha", &format!("flash-{index}"));
            order.redemption = Some(claim("FLASH", Some(budget), None));
            store.place_order(order).await
        });
    }
    let mut placed = 0u32;
    let mut exhausted = 0u32;
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(_) => placed += 1,
            Err(StoreError::BudgetExhausted) => exhausted += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(placed, budget);
    assert_eq!(exhausted as usize, attempts - budget as usize);
    assert_eq!(
        store.redemption_count("FLASH").await.expect("count"),
        budget
    );
    let stored = store.queue("alpha", &[], 1000).await.expect("queue");
    assert_eq!(stored.len(), budget as usize);
    assert!(stored.iter().all(|o| o.coupon.as_deref() == Some("FLASH")));
}

/// `attempts` concurrent orders with one idempotency key: one order.
pub async fn concurrent_idempotency<F, Fut>(make: F, attempts: usize)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..attempts {
        let store = store.clone();
        tasks.spawn(async move { store.place_order(sample_order("alpha", "same")).await });
    }
    let mut ids = std::collections::HashSet::new();
    let mut created = 0;
    while let Some(result) = tasks.join_next().await {
        let placed = result.expect("task").expect("placed");
        created += usize::from(placed.created);
        ids.insert(placed.order.id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    assert_eq!(
        store.queue("alpha", &[], 100).await.expect("queue").len(),
        1
    );
}

/// `attempts` concurrent sign-ups with one phone: one member.
pub async fn concurrent_sign_up<F, Fut>(make: F, attempts: usize)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..attempts {
        let store = store.clone();
        tasks.spawn(async move { store.sign_up(sample_member("+8613800138000")).await });
    }
    let mut ids = std::collections::HashSet::new();
    let mut created = 0;
    while let Some(result) = tasks.join_next().await {
        let signed = result.expect("task").expect("signed up");
        created += usize::from(signed.created);
        ids.insert(signed.member.id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
}

/// `attempts` concurrent orders of one member on a coupon limited to `limit` per member.
pub async fn concurrent_per_member<F, Fut>(make: F, attempts: usize, limit: u32)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let member = store
        .sign_up(sample_member("+8613800138000"))
        .await
        .expect("member")
        .member
        .id;
    let other = store
        .sign_up(sample_member("+8613900139000"))
        .await
        .expect("member")
        .member
        .id;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..attempts {
        let store = store.clone();
        let member = if index % 2 == 0 { &member } else { &other }.clone();
        tasks.spawn(async move {
            let mut order = sample_order("alpha", &format!("pm-{index}"));
            order.member_id = Some(member);
            order.redemption = Some(claim("LIMITED", None, Some(limit)));
            store.place_order(order).await
        });
    }
    let mut placed = 0u32;
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(_) => placed += 1,
            Err(StoreError::PerMemberLimit) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(placed, 2 * limit);
    for who in [&member, &other] {
        assert_eq!(
            store
                .member_redemption_count("LIMITED", who)
                .await
                .expect("count"),
            limit
        );
    }
}

fn counter(id: &str, coupon: &str, discount: catalog::Minor) -> super::CounterRedemption {
    super::CounterRedemption {
        id: id.to_owned(),
        coupon: coupon.to_owned(),
        campaign: "spring".into(),
        location: "alpha".into(),
        member_id: None,
        issued_code: None,
        amount: 5000,
        discount,
        budget: None,
        budget_amount: None,
        per_member: None,
        first_order_only: false,
        by: "counter tablet".into(),
        at: at(5),
    }
}

/// Counter redemptions share budgets (count and money) with orders, and a
/// single-use code works once whichever way it is redeemed.
pub async fn counter_redemptions<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    // Count budget 2: one order and one counter redemption use it up.
    let mut online = sample_order("alpha", "b1");
    online.redemption = Some(claim("TWO", Some(2), None));
    store.place_order(online).await.expect("online");
    let budget = |mut r: super::CounterRedemption| {
        r.budget = Some(2);
        r
    };
    store
        .redeem_at_counter(budget(counter("red_1", "TWO", 500)))
        .await
        .expect("counter");
    assert_eq!(
        store
            .redeem_at_counter(budget(counter("red_2", "TWO", 500)))
            .await,
        Err(StoreError::BudgetExhausted)
    );
    let mut over = sample_order("alpha", "b2");
    over.redemption = Some(claim("TWO", Some(2), None));
    assert_eq!(
        store.place_order(over).await.err(),
        Some(StoreError::BudgetExhausted)
    );
    // Money budget 12.00: 5.00 + 5.00 fit, another 5.00 does not, 2.00 does.
    let money = |id: &str, discount| super::CounterRedemption {
        budget_amount: Some(1200),
        ..counter(id, "MONEY", discount)
    };
    store.redeem_at_counter(money("m1", 500)).await.expect("m1");
    let mut order = sample_order("alpha", "m2");
    order.redemption = Some(RedemptionClaim {
        budget_amount: Some(1200),
        ..claim("MONEY", None, None)
    });
    store.place_order(order).await.expect("m2");
    assert_eq!(
        store.redeem_at_counter(money("m3", 500)).await,
        Err(StoreError::BudgetExhausted)
    );
    store.redeem_at_counter(money("m4", 200)).await.expect("m4");
    let totals = store.coupon_totals().await.expect("totals");
    let money_total = totals.iter().find(|t| t.coupon == "MONEY").expect("MONEY");
    assert_eq!((money_total.redemptions, money_total.discount), (3, 1200));
    // Batch codes: single use across the counter and online, case-insensitive.
    let batch = |code: &str| super::BatchCode {
        code: code.to_owned(),
        coupon: "PRINT".into(),
        campaign: "spring".into(),
        batch: "batch_1".into(),
        channel: Some("flyer".into()),
        created_at: at(0),
    };
    assert_eq!(
        store
            .issue_codes(vec![batch("ABCDEFGHJKMN"), batch("PQRSTUVWXYZ2")])
            .await
            .expect("issue"),
        2
    );
    assert!(store
        .issue_codes(vec![batch("ZZZZZZZZZZZZ"), batch("abcdefghjkmn")])
        .await
        .is_err());
    assert!(store
        .find_issued_code("ZZZZZZZZZZZZ")
        .await
        .expect("find")
        .is_none());
    let issued = store
        .find_issued_code("abcdefghjkmn")
        .await
        .expect("find")
        .expect("issued");
    assert_eq!(
        (
            issued.coupon.as_str(),
            issued.member_id.as_str(),
            issued.channel.as_deref()
        ),
        ("PRINT", "", Some("flyer"))
    );
    let with_code = |id: &str, code: &str| super::CounterRedemption {
        issued_code: Some(code.to_owned()),
        ..counter(id, "PRINT", 300)
    };
    store
        .redeem_at_counter(with_code("c1", "ABCDEFGHJKMN"))
        .await
        .expect("first use");
    assert_eq!(
        store
            .redeem_at_counter(with_code("c2", "ABCDEFGHJKMN"))
            .await,
        Err(StoreError::CodeAlreadyUsed)
    );
    let mut online = sample_order("alpha", "c3");
    online.redemption = Some(RedemptionClaim {
        issued_code: Some("ABCDEFGHJKMN".into()),
        ..claim("PRINT", None, None)
    });
    assert_eq!(
        store.place_order(online).await.err(),
        Some(StoreError::CodeAlreadyUsed)
    );
    let mut online = sample_order("alpha", "c4");
    online.redemption = Some(RedemptionClaim {
        issued_code: Some("PQRSTUVWXYZ2".into()),
        ..claim("PRINT", None, None)
    });
    store.place_order(online).await.expect("online use");
    assert_eq!(
        store
            .redeem_at_counter(with_code("c5", "PQRSTUVWXYZ2"))
            .await,
        Err(StoreError::CodeAlreadyUsed)
    );
    // An unknown member at the counter is refused.
    let stranger = super::CounterRedemption {
        member_id: Some("mem_nobody".into()),
        ..counter("c6", "ANY", 100)
    };
    assert_eq!(
        store.redeem_at_counter(stranger).await,
        Err(StoreError::UnknownMember)
    );
}

/// Report rows, exports and erasure: figures per campaign, channel and
/// location; touches kept; personal fields gone after erasure, figures not.
pub async fn marketing_figures<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    // Signed up through the flyer at alpha: a new member of that channel.
    let member = store
        .sign_up(NewMember {
            attribution: Some(super::Attribution {
                campaign: "spring".into(),
                channel: "flyer".into(),
            }),
            location: Some("alpha".into()),
            consent_at: at(1),
            ..sample_member("+8613800138000")
        })
        .await
        .expect("member")
        .member
        .id;
    // Signed up the day before the period: not a new member of it.
    store
        .sign_up(NewMember {
            attribution: Some(super::Attribution {
                campaign: "spring".into(),
                channel: "chat".into(),
            }),
            location: Some("beta".into()),
            consent_at: at(-24 * 60),
            ..sample_member("+8613800138001")
        })
        .await
        .expect("earlier member");
    let touch = |channel: &str| super::Touch {
        campaign: "spring".into(),
        channel: channel.into(),
        at: None,
    };
    for (index, (location, channel, member_id)) in [
        ("alpha", "flyer", Some(member.clone())),
        ("alpha", "flyer", Some(member.clone())),
        ("beta", "chat", None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut order = sample_order(location, &format!("fig{index}"));
        order.placed_at = at(index as i64);
        order.member_id = member_id;
        order.attribution = Some(super::Attribution {
            campaign: "spring".into(),
            channel: channel.into(),
        });
        order.touches = super::Touches {
            first: Some(touch("chat")),
            last: Some(touch(channel)),
        };
        if index == 0 {
            order.redemption = Some(claim("SAVE", None, None));
        }
        store.place_order(order).await.expect("order");
    }
    store
        .redeem_at_counter(counter("red_x", "SAVE", 700))
        .await
        .expect("counter");
    let visit = super::Visit {
        day: day(2),
        campaign: "spring".into(),
        channel: "flyer".into(),
        location: "alpha".into(),
    };
    for _ in 0..4 {
        assert!(store.record_visit(visit.clone(), 10).await.expect("visit"));
    }
    let range = super::ReportRange::days(day(2), day(2), chrono_tz::Asia::Shanghai, None);
    let rows = store.campaign_rows(&range).await.expect("rows");
    let row = |channel: &str, location: &str| {
        rows.iter()
            .find(|r| r.channel == channel && r.location == location)
            .cloned()
            .unwrap_or_else(|| panic!("no row {channel}/{location} in {rows:?}"))
    };
    let flyer = row("flyer", "alpha");
    assert_eq!(
        (flyer.visits, flyer.orders, flyer.revenue, flyer.discount),
        (4, 2, 6400, 500)
    );
    assert_eq!(
        (
            flyer.redemptions_online,
            flyer.new_members,
            flyer.members,
            flyer.repeat_members
        ),
        (1, 1, 1, 1)
    );
    let chat = row("chat", "beta");
    assert_eq!(
        (chat.orders, chat.revenue, chat.members, chat.new_members),
        (1, 3200, 0, 0)
    );
    let at_counter = row("counter", "alpha");
    assert_eq!(
        (
            at_counter.redemptions_counter,
            at_counter.discount,
            at_counter.counter_spend
        ),
        (1, 700, 5000)
    );
    let beta_only = super::ReportRange::days(
        day(2),
        day(2),
        chrono_tz::Asia::Shanghai,
        Some("beta".into()),
    );
    assert_eq!(
        store.campaign_rows(&beta_only).await.expect("rows").len(),
        1
    );
    let hours = store.hourly_sales(&range).await.expect("hours");
    assert_eq!(hours.len(), 1);
    assert_eq!((hours[0].orders, hours[0].revenue), (3, 9600));
    let orders = store.export_orders(&range).await.expect("orders");
    assert_eq!(orders.len(), 3);
    assert_eq!(orders[0].first_touch.as_deref(), Some("spring/chat"));
    assert_eq!(orders[0].last_touch.as_deref(), Some("spring/flyer"));
    assert_eq!(orders[0].coupon.as_deref(), Some("SAVE"));
    let redemptions = store.export_redemptions(&range).await.expect("redemptions");
    assert_eq!(redemptions.len(), 2);
    assert_eq!(
        redemptions
            .iter()
            .map(|r| r.source.as_str())
            .collect::<Vec<_>>(),
        ["online", "counter"]
    );
    assert_eq!(store.member_order_count(&member).await.expect("count"), 2);
    store.erase_member(&member, at(9)).await.expect("erase");
    let members = store
        .export_members(&super::ReportRange::all())
        .await
        .expect("members");
    // The member who signed up the day before comes first (by sign-up time).
    assert_eq!(members.len(), 2);
    let erased = &members[1];
    assert_eq!(
        (
            erased.id.as_str(),
            &erased.phone,
            &erased.name,
            erased.erased_at,
            erased.orders
        ),
        (member.as_str(), &None, &None, Some(at(9)), 2)
    );
    assert_eq!(
        store
            .find_member(MemberKey::Phone("+8613800138000".into()))
            .await
            .expect("find"),
        None
    );
    assert_eq!(store.campaign_rows(&range).await.expect("rows"), rows);
    assert_eq!(
        store.erase_member("mem_nobody", at(9)).await,
        Err(StoreError::NotFound)
    );
}

// --- Payments: the order's ledger --------------------------------------------

/// A priced line of the export test: `quantity` × `name` at `unit` with `choices`.
fn priced_line(dish: &str, name: &str, quantity: u32, unit: Minor, choices: &[&str]) -> PricedLine {
    PricedLine {
        dish: dish.into(),
        category: "mains".into(),
        name: name.into(),
        quantity,
        unit_price: unit,
        options: choices
            .iter()
            .map(|c| PricedChoice {
                group: "extras".into(),
                choice: c.to_lowercase(),
                name: (*c).into(),
                price_delta: 0,
            })
            .collect(),
        total: unit * Minor::from(quantity),
    }
}

/// The exports carry what was ordered (lines, table or pickup slot, name, note), with
/// every instant in UTC and on the shop's clock, and no text cell can start a
/// spreadsheet formula, whatever a diner typed; money stays numeric.
pub async fn exports_carry_the_order_and_no_formulas<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    use crate::csv::{members_csv, orders_csv, Csv, Flavour};
    let store = make().await;
    let member = store
        .sign_up(NewMember {
            name: Some("=HYPERLINK(\"http://evil.example\",\"李雷\")".into()),
            ..sample_member("+8613800000000")
        })
        .await
        .expect("member")
        .member
        .id;
    let mut dine_in = sample_order("alpha", "export-dine-in");
    dine_in.cart.fulfilment = Fulfilment::DineIn { table: "7".into() };
    dine_in.name = Some("@SUM(1+1)".into());
    dine_in.note = Some("-2+3, no coriander".into());
    dine_in.member_id = Some(member.clone());
    dine_in.quote.lines = vec![
        priced_line(
            "dan-dan",
            "Dan dan noodles",
            2,
            3500,
            &["Extra spicy", "Fried egg"],
        ),
        priced_line("cucumber", "拍黄瓜", 1, 900, &[]),
    ];
    (dine_in.quote.subtotal, dine_in.quote.total) = (7900, 7900);
    store.place_order(dine_in).await.expect("dine-in order");
    let mut pickup = sample_order("alpha", "export-pickup");
    pickup.cart.fulfilment = Fulfilment::Pickup { slot: at(45) };
    pickup.placed_at = at(5);
    pickup.quote.lines = vec![priced_line("cucumber", "拍黄瓜", 1, 900, &[])];
    store.place_order(pickup).await.expect("pickup order");

    let range = super::ReportRange::days(day(2), day(2), chrono_tz::Asia::Shanghai, None);
    let orders = store.export_orders(&range).await.expect("orders");
    assert_eq!(orders.len(), 2);
    let (first, second) = (&orders[0], &orders[1]);
    assert_eq!(
        (first.table.as_deref(), first.pickup_slot),
        (Some("7"), None)
    );
    assert_eq!(
        (second.table.as_deref(), second.pickup_slot),
        (None, Some(at(45)))
    );
    assert_eq!(first.name.as_deref(), Some("@SUM(1+1)"));
    assert_eq!(first.note.as_deref(), Some("-2+3, no coriander"));
    assert_eq!((first.items, first.lines.len()), (3, 2));
    assert_eq!(first.lines[0].options.len(), 2);
    assert_eq!((second.fulfilment.as_str(), second.items), ("pickup", 1));
    let numbers = [first.number.clone(), second.number.clone()];

    let cny = catalog::Currency::from_code("CNY").expect("CNY");
    let mut csv = Csv::new(Flavour::Plain);
    orders_csv(&mut csv, orders, &cny, chrono_tz::Asia::Shanghai);
    let text = csv.finish();
    let rows: Vec<&str> = text.split("\r\n").collect();
    assert!(rows[0].starts_with("id,number,location,status,placed_at,placed_at_local,fulfilment,table,pickup_slot,pickup_slot_local,name,note,items,lines,currency,subtotal"), "{}", rows[0]);
    assert!(
        text.contains(&format!(
            ",{},alpha,received,2026-03-02T04:00:00Z,2026-03-02 12:00:00,dine_in,7,,,'@SUM(1+1),\"'-2+3, no coriander\",3,\"2 × Dan dan noodles (Extra spicy, Fried egg) @ 35.00 = 70.00\n1 × 拍黄瓜 @ 9.00 = 9.00\",CNY,79.00,0.00,0.00,0.00,79.00,",
            numbers[0]
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            ",{},alpha,received,2026-03-02T04:05:00Z,2026-03-02 12:05:00,pickup,,2026-03-02T04:45:00Z,2026-03-02 12:45:00,,,1,1 × 拍黄瓜 @ 9.00 = 9.00,CNY,",
            numbers[1]
        )),
        "{text}"
    );

    let members = store
        .export_members(&super::ReportRange::all())
        .await
        .expect("members");
    let mut plain = Csv::new(Flavour::Plain);
    members_csv(&mut plain, members.clone(), &cny, chrono_tz::Asia::Shanghai);
    let plain = plain.finish();
    let mut excel = Csv::new(Flavour::Excel);
    members_csv(&mut excel, members, &cny, chrono_tz::Asia::Shanghai);
    let excel = excel.finish();
    let row = format!(
        "{member},'+8613800000000,,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"李雷\"\")\",yes,2026-03-02T04:00:00Z,2026-03-02 12:00:00,"
    );
    assert!(plain.contains(&row), "{plain}");
    assert!(plain.trim_end().ends_with(",,,1,CNY,79.00"), "{plain}");
    assert_eq!(excel.strip_prefix('\u{feff}'), Some(plain.as_str()));
    // A phone without a `+` is kept as text for Excel too.
    let mut excel = Csv::new(Flavour::Excel);
    members_csv(
        &mut excel,
        vec![super::MemberExport {
            phone: Some("13800000000".into()),
            ..Default::default()
        }],
        &cny,
        chrono_tz::Asia::Shanghai,
    );
    assert!(excel.finish().contains(",'13800000000,"));
}

/// An order of `total` CNY, placed with idempotency key `key`; returns its id.
async fn order_of(store: &DynStore, key: &str, total: Minor) -> String {
    let mut order = sample_order("alpha", key);
    order.quote.subtotal = total;
    order.quote.total = total;
    store.place_order(order).await.expect("order").order.id
}

/// A ledger entry of `kind` for `amount` in `currency`, taken `minute`s after the order.
fn ledger_entry(kind: EntryKind, method: Method, amount: Minor, currency: &str) -> Entry {
    Entry {
        kind,
        method,
        amount,
        currency: currency.to_owned(),
        reference: method.is_online().then(|| "pi_3Pabc".to_owned()),
        at: at(5),
        by: if method.is_online() {
            method.as_str().to_owned()
        } else {
            "key_staff".to_owned()
        },
    }
}

fn charge_of(amount: Minor, currency: &str) -> Entry {
    ledger_entry(EntryKind::Charge, Method::Stripe, amount, currency)
}

fn refund_of(amount: Minor) -> Entry {
    ledger_entry(EntryKind::Refund, Method::Cash, amount, "CNY")
}

/// The order's ledger read back and summarized against its total.
async fn summary_of(store: &DynStore, order_id: &str) -> (Vec<Entry>, Summary) {
    let order = store.get_order(order_id).await.expect("order");
    let entries = store.payments(order_id).await.expect("ledger");
    let summary = payment::summarize(order.quote.total, &order.quote.currency, &entries, None);
    (entries, summary)
}

/// The ledger keeps entries in append order, with or without event keys; an
/// event key belongs to one order; an unknown order is `NotFound`.
pub async fn payment_ledger<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let order = order_of(&store, "ledger", 3200).await;
    assert_eq!(store.payments(&order).await, Ok(Vec::new()));
    assert_eq!(
        store.payments("ord_nobody").await.err(),
        Some(StoreError::NotFound)
    );
    assert_eq!(
        store
            .record_payment("ord_nobody", charge_of(3200, "CNY"), Some("k-ghost".into()))
            .await
            .err(),
        Some(StoreError::NotFound)
    );
    let mut started = ledger_entry(EntryKind::Checkout, Method::Stripe, 3200, "CNY");
    // A time finer than the stores keep comes back to the microsecond.
    started.at += Duration::nanoseconds(1_234_567);
    let failed = ledger_entry(EntryKind::Failure, Method::Stripe, 3200, "CNY");
    let cash = ledger_entry(EntryKind::Charge, Method::Cash, 3200, "CNY");
    let mut answers = Vec::new();
    for (entry, key) in [
        (started, Some("stripe:checkout:cs_1")),
        (failed, Some("stripe:failed:pi_3Pabc:evt_1")),
        (cash.clone(), None),
    ] {
        answers.push(
            store
                .record_payment(&order, entry, key.map(str::to_owned))
                .await
                .expect("recorded"),
        );
    }
    assert_eq!(
        answers
            .iter()
            .map(|r| (r.index, r.created))
            .collect::<Vec<_>>(),
        vec![(0, true), (1, true), (2, true)]
    );
    let (entries, summary) = summary_of(&store, &order).await;
    assert_eq!(
        entries,
        answers.iter().map(|r| r.entry.clone()).collect::<Vec<_>>()
    );
    assert_eq!(entries[0].at, at(5) + Duration::microseconds(1_234));
    assert_eq!(entries[2], cash);
    assert_eq!(summary.state, PaymentState::Paid);
    assert_eq!((summary.paid, summary.amount_due), (3200, 0));
    // A key of this order, replayed: nothing appended, the first entry answered.
    let again = store
        .record_payment(
            &order,
            ledger_entry(EntryKind::Failure, Method::Stripe, 1, "CNY"),
            Some("stripe:failed:pi_3Pabc:evt_1".into()),
        )
        .await
        .expect("replayed");
    assert_eq!(
        again,
        Recorded {
            created: false,
            ..answers[1].clone()
        }
    );
    // The same key for another order is a conflict, and changes neither ledger.
    let other = order_of(&store, "ledger-2", 3200).await;
    assert_eq!(
        store
            .record_payment(
                &other,
                charge_of(3200, "CNY"),
                Some("stripe:failed:pi_3Pabc:evt_1".into())
            )
            .await
            .err(),
        Some(StoreError::IdempotencyConflict)
    );
    assert_eq!(store.payments(&other).await, Ok(Vec::new()));
    assert_eq!(store.payments(&order).await.map(|e| e.len()), Ok(3));
}

/// The same provider event delivered 50 times at once is one ledger entry.
pub async fn payment_notifications_apply_once<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    const DELIVERIES: usize = 50;
    let store = make().await;
    let order = order_of(&store, "once", 3200).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..DELIVERIES {
        let store = store.clone();
        let order = order.clone();
        tasks.spawn(async move {
            store
                .record_payment(
                    &order,
                    charge_of(3200, "CNY"),
                    Some("stripe:succeeded:pi_3Pabc".into()),
                )
                .await
        });
    }
    let mut created = 0;
    let mut answers = std::collections::HashSet::new();
    while let Some(result) = tasks.join_next().await {
        let recorded = result.expect("task").expect("recorded");
        created += usize::from(recorded.created);
        answers.insert((recorded.index, format!("{:?}", recorded.entry)));
    }
    assert_eq!(
        created,
        1,
        "one delivery appends, {} answer",
        DELIVERIES - 1
    );
    assert_eq!(answers.len(), 1, "every answer names the same entry");
    let (entries, summary) = summary_of(&store, &order).await;
    assert_eq!(entries, vec![charge_of(3200, "CNY")]);
    assert_eq!(summary.state, PaymentState::Paid);
    assert!(summary.mismatches.is_empty());
    // A redelivery days later changes nothing either.
    let late = store
        .record_payment(
            &order,
            charge_of(3200, "CNY"),
            Some("stripe:succeeded:pi_3Pabc".into()),
        )
        .await
        .expect("late redelivery");
    assert!(!late.created);
    assert_eq!(store.payments(&order).await.map(|e| e.len()), Ok(1));
}

/// 100.00 paid, then 20 refunds of 10.00 at once: exactly 10 are recorded.
pub async fn refunds_never_exceed_what_was_paid<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    const REFUNDS: usize = 20;
    let store = make().await;
    let order = order_of(&store, "refunds", 10_000).await;
    // Nothing paid yet: nothing to refund, and the key stays free.
    assert!(matches!(
        store
            .record_payment(&order, refund_of(1000), Some("refund-0".into()))
            .await,
        Err(StoreError::RefundRefused(Mismatch::RefundExceedsPaid {
            refundable: 0,
            found: 1000
        }))
    ));
    store
        .record_payment(&order, charge_of(10_000, "CNY"), Some("pay".into()))
        .await
        .expect("paid");
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..REFUNDS {
        let store = store.clone();
        let order = order.clone();
        tasks.spawn(async move {
            let key = format!("refund-{index}");
            let answer = store
                .record_payment(&order, refund_of(1000), Some(key.clone()))
                .await;
            (key, answer)
        });
    }
    let mut recorded = Vec::new();
    let mut refused = 0;
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            (key, Ok(r)) => {
                assert!(r.created);
                recorded.push(key);
            }
            (_, Err(StoreError::RefundRefused(Mismatch::RefundExceedsPaid { found, .. }))) => {
                assert_eq!(found, 1000);
                refused += 1;
            }
            (_, Err(other)) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(recorded.len(), 10);
    assert_eq!(refused, REFUNDS - 10);
    let (entries, summary) = summary_of(&store, &order).await;
    assert_eq!(entries.len(), 11);
    assert_eq!((summary.paid, summary.refunded), (10_000, 10_000));
    assert_eq!(summary.state, PaymentState::Refunded);
    assert!(summary.mismatches.is_empty());
    // A recorded refund delivered again is answered, not refused.
    let again = store
        .record_payment(&order, refund_of(1000), Some(recorded[0].clone()))
        .await
        .expect("replayed refund");
    assert!(!again.created);
    // Another currency and a non-positive amount are refused too.
    let mut dollars = refund_of(1);
    dollars.currency = "USD".into();
    assert!(matches!(
        store.record_payment(&order, dollars, None).await,
        Err(StoreError::RefundRefused(Mismatch::Currency { .. }))
    ));
    assert!(matches!(
        store.record_payment(&order, refund_of(0), None).await,
        Err(StoreError::RefundRefused(Mismatch::NotPositive(0)))
    ));
    assert_eq!(store.payments(&order).await.map(|e| e.len()), Ok(11));
}

/// A charge of another amount or currency is recorded, never marks the order
/// paid, and is listed as a mismatch; so is a second payment of a paid order.
pub async fn a_mismatched_charge_is_recorded_but_not_paid<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let order = order_of(&store, "mismatch", 3200).await;
    let short = store
        .record_payment(&order, charge_of(3000, "CNY"), Some("wrong-amount".into()))
        .await
        .expect("recorded");
    assert!(short.created);
    let dollars = store
        .record_payment(
            &order,
            charge_of(3200, "USD"),
            Some("wrong-currency".into()),
        )
        .await
        .expect("recorded");
    assert_eq!((dollars.index, dollars.created), (1, true));
    let (entries, summary) = summary_of(&store, &order).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(summary.state, PaymentState::Unpaid);
    assert_eq!((summary.paid, summary.amount_due), (0, 3200));
    assert_eq!(
        summary.mismatches,
        vec![
            Flagged {
                index: 0,
                mismatch: Mismatch::Amount {
                    expected: 3200,
                    found: 3000
                }
            },
            Flagged {
                index: 1,
                mismatch: Mismatch::Currency {
                    expected: "CNY".into(),
                    found: "USD".into()
                }
            },
        ]
    );
    // Money that did not count cannot be refunded as if it had.
    assert!(matches!(
        store.record_payment(&order, refund_of(3000), None).await,
        Err(StoreError::RefundRefused(_))
    ));
    // The right charge pays; paying again is one more mismatch, not more paid.
    store
        .record_payment(&order, charge_of(3200, "CNY"), Some("right".into()))
        .await
        .expect("paid");
    store
        .record_payment(&order, charge_of(3200, "CNY"), Some("twice".into()))
        .await
        .expect("recorded");
    let (entries, summary) = summary_of(&store, &order).await;
    assert_eq!(entries.len(), 4);
    assert_eq!(summary.state, PaymentState::Paid);
    assert_eq!((summary.paid, summary.refundable), (3200, 3200));
    assert_eq!(
        summary.mismatches.last(),
        Some(&Flagged {
            index: 3,
            mismatch: Mismatch::Amount {
                expected: 0,
                found: 3200
            }
        })
    );
}

/// Refunds racing a late payment notification (delivered ten times) end in a
/// consistent ledger: one charge, refunds only after it and within it; a refused
/// refund delivered again later is recorded while there is room.
pub async fn a_refund_racing_a_late_notification_stays_consistent<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let order = order_of(&store, "race", 3200).await;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..15 {
        let store = store.clone();
        let order = order.clone();
        tasks.spawn(async move {
            let (entry, key) = if index % 3 == 0 {
                (refund_of(1000), format!("refund-{index}"))
            } else {
                (
                    charge_of(3200, "CNY"),
                    "stripe:succeeded:pi_3Pabc".to_owned(),
                )
            };
            let answer = store.record_payment(&order, entry, Some(key.clone())).await;
            (key, answer)
        });
    }
    let mut refused = Vec::new();
    let mut refunds = 0;
    let mut charges = 0;
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            (key, Ok(r)) if key.starts_with("refund") => {
                assert!(r.created);
                refunds += 1;
            }
            (_, Ok(r)) => charges += usize::from(r.created),
            (key, Err(StoreError::RefundRefused(_))) => refused.push(key),
            (_, Err(other)) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(charges, 1);
    assert_eq!(refunds + refused.len(), 5);
    let (entries, summary) = summary_of(&store, &order).await;
    assert_eq!(entries.len(), 1 + refunds);
    assert_eq!(
        entries[0].kind,
        EntryKind::Charge,
        "refunds only after the charge"
    );
    assert!(summary.mismatches.is_empty());
    assert_eq!(summary.paid, 3200);
    assert_eq!(summary.refunded, 1000 * refunds as Minor);
    assert!(summary.refunded <= summary.paid);
    // The refused refunds come again (a provider redelivers): room for three in all.
    for key in refused {
        let again = store
            .record_payment(&order, refund_of(1000), Some(key))
            .await;
        assert!(
            matches!(
                again,
                Ok(Recorded { created: true, .. }) | Err(StoreError::RefundRefused(_))
            ),
            "{again:?}"
        );
    }
    let (entries, summary) = summary_of(&store, &order).await;
    assert_eq!(entries.len(), 4);
    assert_eq!((summary.paid, summary.refunded), (3200, 3000));
    assert_eq!(summary.state, PaymentState::PartiallyRefunded);
}

/// A cancelled order gives its coupon redemption back (budget count and money, the
/// member's allowance, the single-use code) and its pickup place; the order keeps its
/// coupon as placed, and cancelling again changes nothing.
pub async fn cancelling_returns_the_redemption<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut new_member = sample_member("+8613800138111");
    new_member.welcome = Some(IssuedCode {
        code: "WELCOME-RRRR".into(),
        coupon: "WELCOME".into(),
        member_id: new_member.id.clone(),
        used_by: None,
        channel: None,
    });
    let member = store.sign_up(new_member).await.expect("member").member.id;
    let slot = SlotClaim {
        start: at(90),
        capacity: 1,
    };
    // Each refusal below is one limit at a time: with several failing at once, the
    // backends may name any of them.
    let budgeted = |key: &str, slot: Option<SlotClaim>| {
        let mut order = sample_order("alpha", key);
        order.member_id = Some(member.clone());
        // The member's count is kept for every redemption (limited or not): it is the
        // allowance a `per_member` coupon checks.
        order.redemption = Some(RedemptionClaim {
            budget_amount: Some(500),
            ..claim("ONCE", Some(1), None)
        });
        order.slot = slot;
        order
    };
    let first = store
        .place_order(budgeted("ret1", Some(slot)))
        .await
        .expect("first")
        .order;
    assert_eq!(store.redemption_count("ONCE").await.expect("count"), 1);
    assert_eq!(
        store.place_order(budgeted("ret2", None)).await.err(),
        Some(StoreError::BudgetExhausted)
    );
    let mut coded = sample_order("alpha", "ret-code1");
    coded.member_id = Some(member.clone());
    coded.redemption = Some(RedemptionClaim {
        issued_code: Some("WELCOME-RRRR".into()),
        ..claim("WELCOME", None, None)
    });
    let coded = store.place_order(coded).await.expect("code").order;

    for id in [&first.id, &coded.id] {
        let cancelled = store
            .set_status(
                id,
                OrderStatus::Cancelled,
                "counter",
                Some("no-show".into()),
                at(2),
            )
            .await
            .expect("cancel");
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
    }
    assert_eq!(store.redemption_count("ONCE").await.expect("count"), 0);
    assert_eq!(
        store
            .member_redemption_count("ONCE", &member)
            .await
            .expect("member count"),
        0
    );
    let totals = store.coupon_totals().await.expect("totals");
    let once = totals.iter().find(|t| t.coupon == "ONCE");
    assert!(
        once.is_none_or(|t| t.redemptions == 0 && t.discount == 0),
        "{once:?}"
    );
    let code = store
        .find_issued_code("WELCOME-RRRR")
        .await
        .expect("find")
        .expect("issued");
    assert_eq!(code.used_by, None, "the code is free again");
    let kept = store.get_order(&first.id).await.expect("order");
    assert_eq!(
        kept.coupon.as_deref(),
        Some("ONCE"),
        "the order keeps its coupon"
    );
    assert_eq!(
        store
            .set_status(&first.id, OrderStatus::Cancelled, "counter", None, at(3))
            .await
            .err(),
        Some(StoreError::InvalidTransition {
            from: OrderStatus::Cancelled,
            to: OrderStatus::Cancelled
        })
    );

    // Budget, allowance, code and slot place are all there to take again, once.
    store
        .place_order(budgeted("ret3", Some(slot)))
        .await
        .expect("budget back");
    assert_eq!(
        store.place_order(budgeted("ret4", None)).await.err(),
        Some(StoreError::BudgetExhausted)
    );
    let mut again = sample_order("alpha", "ret-code2");
    again.member_id = Some(member.clone());
    again.redemption = Some(RedemptionClaim {
        issued_code: Some("WELCOME-RRRR".into()),
        ..claim("WELCOME", None, None)
    });
    store.place_order(again).await.expect("code back");
    assert_eq!(store.redemption_count("ONCE").await.expect("count"), 1);
}

/// Running refund totals (Stripe's `charge.refunded`) append only what the ledger
/// does not hold, whatever order they arrive in and however often, also when racing.
pub async fn refund_totals_append_the_difference<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let id = order_of(&store, "totals", 3200).await;
    store
        .record_payment(
            &id,
            charge_of(3200, "CNY"),
            Some("stripe:succeeded:pi_3Pabc".into()),
        )
        .await
        .expect("charge");
    let total_of = |amount: Minor| Entry {
        kind: EntryKind::Refund,
        ..charge_of(amount, "CNY")
    };
    let key = |amount: Minor| format!("stripe:refunded:pi_3Pabc:{amount}");
    // 20 deliveries of the totals 500, 1200 and 2000 at once, in any order.
    let mut racing = Vec::new();
    for round in 0..20 {
        let amount = [500, 1200, 2000][round % 3];
        let store = store.clone();
        let id = id.clone();
        let total = total_of(amount);
        let key = key(amount);
        racing.push(tokio::spawn(async move {
            store.record_refund_total(&id, total, key).await
        }));
    }
    for task in racing {
        task.await
            .expect("task")
            .expect("recorded or nothing to add");
    }
    let (entries, summary) = summary_of(&store, &id).await;
    assert_eq!(summary.refunded, 2000, "{entries:?}");
    assert_eq!(summary.state, PaymentState::PartiallyRefunded);
    // An older total, delivered late, adds nothing; the full total adds the rest.
    assert!(store
        .record_refund_total(&id, total_of(500), key(500))
        .await
        .expect("late")
        .is_none_or(|r| !r.created));
    let last = store
        .record_refund_total(&id, total_of(3200), key(3200))
        .await
        .expect("full")
        .expect("appended");
    assert!(last.created);
    assert_eq!(last.entry.amount, 1200);
    let (_, summary) = summary_of(&store, &id).await;
    assert_eq!(
        (summary.refunded, summary.state),
        (3200, PaymentState::Refunded)
    );
}

/// One-time codes: counted per address and hour, the right code proves once (also
/// when tried many times at once), wrong tries are limited, and a code expires.
pub async fn one_time_codes<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    use super::proofs::code_hash;
    let store = make().await;
    let address = "email:li@example.com";
    let code = |digits: &str, minute: i64| NewCode {
        address: address.to_owned(),
        code_hash: code_hash(address, digits),
        created_at: at(minute),
        expires_at: at(minute + 10),
    };
    for (n, digits) in ["111111", "222222", "333333"].iter().enumerate() {
        assert!(store
            .issue_code(code(digits, n as i64), 3)
            .await
            .expect("issue"));
    }
    assert!(
        !store.issue_code(code("444444", 3), 3).await.expect("issue"),
        "a fourth code in the hour is refused"
    );
    // Only the latest code is live.
    let old = store
        .redeem_code(address, &code_hash(address, "111111"), at(4), 5)
        .await
        .expect("try");
    assert_eq!(old, CodeCheck::Wrong { tries_left: 4 });
    // 20 racing tries of the right code: one proves it.
    let mut racing = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        racing.push(tokio::spawn(async move {
            store
                .redeem_code(address, &code_hash(address, "333333"), at(4), 5)
                .await
        }));
    }
    let mut proven = 0;
    for task in racing {
        if task.await.expect("task").expect("try") == CodeCheck::Proven {
            proven += 1;
        }
    }
    assert_eq!(proven, 1);
    assert_eq!(
        store
            .redeem_code(address, &code_hash(address, "333333"), at(5), 5)
            .await
            .expect("try"),
        CodeCheck::Spent,
        "a used code proves nothing again"
    );

    // The next hour: five wrong tries spend the code, the right one then fails.
    let other = "phone:+8613800138000";
    let fresh = NewCode {
        address: other.to_owned(),
        code_hash: code_hash(other, "654321"),
        created_at: at(70),
        expires_at: at(80),
    };
    assert!(store.issue_code(fresh.clone(), 3).await.expect("issue"));
    for left in (0..5).rev() {
        assert_eq!(
            store
                .redeem_code(other, &code_hash(other, "000000"), at(71), 5)
                .await
                .expect("try"),
            CodeCheck::Wrong { tries_left: left }
        );
    }
    assert_eq!(
        store
            .redeem_code(other, &code_hash(other, "654321"), at(71), 5)
            .await
            .expect("try"),
        CodeCheck::Spent
    );
    // An expired code proves nothing.
    let late = NewCode {
        created_at: at(72),
        expires_at: at(82),
        ..fresh
    };
    assert!(store.issue_code(late, 3).await.expect("issue"));
    assert_eq!(
        store
            .redeem_code(other, &code_hash(other, "654321"), at(83), 5)
            .await
            .expect("try"),
        CodeCheck::Spent
    );
}

/// Member sessions: only for a member, found while live, ended by sign-out or expiry.
pub async fn member_sessions<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let member = store
        .sign_up(sample_member("+8613900139000"))
        .await
        .expect("member")
        .member;
    let session = |hash: &str, member_id: &str| NewMemberSession {
        hash: hash.to_owned(),
        member_id: member_id.to_owned(),
        created_at: at(0),
        expires_at: at(60),
    };
    assert_eq!(
        store
            .create_member_session(session("h-nobody", "mem_nobody"))
            .await
            .err(),
        Some(StoreError::UnknownMember)
    );
    store
        .create_member_session(session("h-1", &member.id))
        .await
        .expect("session");
    let found = store
        .find_member_session("h-1", at(30))
        .await
        .expect("find")
        .expect("live");
    assert_eq!(found.member.id, member.id);
    assert_eq!(found.expires_at, at(60));
    assert!(store
        .find_member_session("h-1", at(61))
        .await
        .expect("find")
        .is_none());
    assert!(store
        .find_member_session("h-unknown", at(30))
        .await
        .expect("find")
        .is_none());
    store
        .revoke_member_session("h-1", at(31))
        .await
        .expect("out");
    store
        .revoke_member_session("h-unknown", at(31))
        .await
        .expect("ignored");
    assert!(store
        .find_member_session("h-1", at(32))
        .await
        .expect("find")
        .is_none());
    // Erasing the member ends their sessions.
    store
        .create_member_session(session("h-2", &member.id))
        .await
        .expect("session");
    store.erase_member(&member.id, at(33)).await.expect("erase");
    assert!(store
        .find_member_session("h-2", at(34))
        .await
        .expect("find")
        .is_none());
}

/// Passkeys: a credential id belongs to one member, is found while its member is live,
/// keeps its counter, and goes with the member's erasure; a ceremony is taken once,
/// however many try at once, and never after it expired.
pub async fn passkeys<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let a = store
        .sign_up(sample_member("+8613900139001"))
        .await
        .expect("member")
        .member;
    let b = store
        .sign_up(sample_member("+8613900139002"))
        .await
        .expect("member")
        .member;
    let key = |id: &str, member_id: &str| StoredPasskey {
        credential_id: id.to_owned(),
        member_id: member_id.to_owned(),
        passkey: format!("{{\"cred\":\"{id}\",\"counter\":0}}"),
        created_at: at(0),
        last_used_at: None,
    };
    assert_eq!(store.add_passkey(key("cred-1", &a.id)).await, Ok(true));
    assert_eq!(store.add_passkey(key("cred-1", &b.id)).await, Ok(false));
    assert_eq!(
        store.add_passkey(key("cred-x", "mem_nobody")).await,
        Err(StoreError::UnknownMember)
    );
    assert_eq!(
        store.find_passkey("cred-1").await.expect("find"),
        Some(key("cred-1", &a.id))
    );
    assert_eq!(store.find_passkey("cred-2").await.expect("find"), None);
    store
        .touch_passkey("cred-1", "{\"counter\":7}".into(), at(5))
        .await
        .expect("touch");
    let touched = store
        .find_passkey("cred-1")
        .await
        .expect("find")
        .expect("kept");
    assert_eq!(touched.passkey, "{\"counter\":7}");
    assert_eq!(touched.last_used_at, Some(at(5)));
    assert_eq!(store.add_passkey(key("cred-2", &a.id)).await, Ok(true));
    let ids = |keys: Vec<StoredPasskey>| {
        keys.into_iter()
            .map(|k| k.credential_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.member_passkeys(&a.id).await.expect("list")),
        ["cred-1", "cred-2"]
    );
    assert!(store.member_passkeys(&b.id).await.expect("list").is_empty());
    // Only its member removes a passkey.
    assert_eq!(store.remove_passkey(&b.id, "cred-2").await, Ok(false));
    assert_eq!(store.remove_passkey(&a.id, "cred-2").await, Ok(true));
    assert_eq!(store.find_passkey("cred-2").await.expect("find"), None);
    // Erasure takes the member's passkeys with it.
    store.erase_member(&a.id, at(10)).await.expect("erase");
    assert_eq!(store.find_passkey("cred-1").await.expect("find"), None);
    assert!(store.member_passkeys(&a.id).await.expect("list").is_empty());

    // Ceremonies.
    let ceremony = |id: &str| Ceremony {
        id: id.to_owned(),
        member_id: Some(b.id.clone()),
        state: "{\"challenge\":\"c\"}".into(),
        expires_at: at(20),
    };
    store.save_ceremony(ceremony("c-1")).await.expect("save");
    assert_eq!(
        store.take_ceremony("c-1", at(19)).await.expect("take"),
        Some(ceremony("c-1"))
    );
    assert_eq!(
        store.take_ceremony("c-1", at(19)).await.expect("take"),
        None
    );
    store.save_ceremony(ceremony("c-2")).await.expect("save");
    assert_eq!(
        store.take_ceremony("c-2", at(20)).await.expect("take"),
        None
    );
    store
        .save_ceremony(Ceremony {
            member_id: None,
            ..ceremony("c-3")
        })
        .await
        .expect("save");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let store = Arc::clone(&store);
        tasks.spawn(async move { store.take_ceremony("c-3", at(1)).await });
    }
    let mut taken = Vec::new();
    while let Some(result) = tasks.join_next().await {
        if let Some(ceremony) = result.expect("task").expect("take") {
            taken.push(ceremony);
        }
    }
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0].member_id, None);
}

/// A claim of the first-order coupon `FIRST`.
fn first_order_claim() -> RedemptionClaim {
    RedemptionClaim {
        first_order_only: true,
        ..claim("FIRST", None, None)
    }
}

/// A welcome code is its member's alone, checked in the transaction online and
/// at the counter; a printed batch code is anyone's, once. A first-order coupon
/// is refused once the member has an order, cancelled ones included.
pub async fn coupons_bound_to_the_person<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    use catalog::CouponRejection as R;
    let store = make().await;
    let mut new_a = sample_member("+8613800138000");
    new_a.welcome = Some(IssuedCode {
        code: "WELCOME-AAAA".into(),
        coupon: "WELCOME".into(),
        member_id: new_a.id.clone(),
        used_by: None,
        channel: None,
    });
    let a = store.sign_up(new_a).await.expect("a").member.id;
    let b = store
        .sign_up(sample_member("+8613900139000"))
        .await
        .expect("b")
        .member
        .id;
    let welcome = |key: &str, member: Option<&String>| {
        let mut order = sample_order("alpha", key);
        order.member_id = member.cloned();
        order.redemption = Some(RedemptionClaim {
            issued_code: Some("WELCOME-AAAA".into()),
            ..claim("WELCOME", None, None)
        });
        order
    };
    assert_eq!(
        store.place_order(welcome("w-b", Some(&b))).await.err(),
        Some(StoreError::CouponRefused(R::IssuedToAnotherMember))
    );
    assert_eq!(
        store.place_order(welcome("w-anon", None)).await.err(),
        Some(StoreError::CouponRefused(R::MembersOnly))
    );
    let at_counter = super::CounterRedemption {
        member_id: Some(b.clone()),
        issued_code: Some("WELCOME-AAAA".into()),
        ..counter("w-c", "WELCOME", 800)
    };
    assert_eq!(
        store.redeem_at_counter(at_counter).await,
        Err(StoreError::CouponRefused(R::IssuedToAnotherMember))
    );
    // Refused attempts took nothing: the code is still A's to use, once.
    assert_eq!(
        store
            .find_issued_code("WELCOME-AAAA")
            .await
            .expect("find")
            .and_then(|c| c.used_by),
        None
    );
    let used = store
        .place_order(welcome("w-a", Some(&a)))
        .await
        .expect("A's own code");
    assert_eq!(used.order.coupon.as_deref(), Some("WELCOME"));
    assert_eq!(
        store.place_order(welcome("w-a2", Some(&a))).await.err(),
        Some(StoreError::CodeAlreadyUsed)
    );

    // A printed batch code belongs to no one: B uses it, then nobody can.
    let batch = super::BatchCode {
        code: "BATCHCODE234".into(),
        coupon: "PRINT".into(),
        campaign: "spring".into(),
        batch: "batch_1".into(),
        channel: None,
        created_at: at(0),
    };
    store.issue_codes(vec![batch]).await.expect("issue");
    let printed = |key: &str, member: Option<&String>| {
        let mut order = sample_order("alpha", key);
        order.member_id = member.cloned();
        order.redemption = Some(RedemptionClaim {
            issued_code: Some("BATCHCODE234".into()),
            ..claim("PRINT", None, None)
        });
        order
    };
    store
        .place_order(printed("p-b", Some(&b)))
        .await
        .expect("a batch code is anyone's");
    assert_eq!(
        store.place_order(printed("p-anon", None)).await.err(),
        Some(StoreError::CodeAlreadyUsed)
    );

    // B has an order now: a first-order coupon is refused, even after it is cancelled.
    let first = |key: &str, member: Option<&String>| {
        let mut order = sample_order("alpha", key);
        order.member_id = member.cloned();
        order.redemption = Some(first_order_claim());
        order
    };
    assert_eq!(
        store.place_order(first("f-b", Some(&b))).await.err(),
        Some(StoreError::CouponRefused(R::FirstOrderOnly))
    );
    assert_eq!(
        store.place_order(first("f-anon", None)).await.err(),
        Some(StoreError::CouponRefused(R::MembersOnly))
    );
    let c = store
        .sign_up(sample_member("+8613700137000"))
        .await
        .expect("c")
        .member
        .id;
    let plain = {
        let mut order = sample_order("alpha", "f-c0");
        order.member_id = Some(c.clone());
        order
    };
    let plain = store.place_order(plain).await.expect("C's first order");
    store
        .set_status(
            &plain.order.id,
            OrderStatus::Cancelled,
            "staff",
            None,
            at(1),
        )
        .await
        .expect("cancel");
    assert_eq!(
        store.place_order(first("f-c1", Some(&c))).await.err(),
        Some(StoreError::CouponRefused(R::FirstOrderOnly))
    );
    let d = store
        .sign_up(sample_member("+8613600136000"))
        .await
        .expect("d")
        .member
        .id;
    store
        .place_order(first("f-d", Some(&d)))
        .await
        .expect("D's first order");
    assert_eq!(
        store.place_order(first("f-d2", Some(&d))).await.err(),
        Some(StoreError::CouponRefused(R::FirstOrderOnly))
    );
}

/// `attempts` concurrent first orders of one member with a first-order coupon:
/// exactly one is placed with its discount. Then, for another member, half as
/// many with the coupon racing as many without: every plain order is placed, and
/// at most one gets the discount.
pub async fn concurrent_first_orders<F, Fut>(make: F, attempts: usize)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let member = store
        .sign_up(sample_member("+8613800138000"))
        .await
        .expect("member")
        .member
        .id;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..attempts {
        let store = store.clone();
        let member = member.clone();
        tasks.spawn(async move {
            let mut order = sample_order("alpha", &format!("first-{index}"));
            order.member_id = Some(member);
            order.redemption = Some(first_order_claim());
            store.place_order(order).await
        });
    }
    let mut discounted = Vec::new();
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(placed) => discounted.push(placed.order),
            Err(StoreError::CouponRefused(catalog::CouponRejection::FirstOrderOnly)) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(discounted.len(), 1, "{discounted:?}");
    assert_eq!(store.redemption_count("FIRST").await.expect("count"), 1);
    assert_eq!(store.member_order_count(&member).await.expect("orders"), 1);

    // Racing a plain order: the discount goes only to an order that really was first.
    let other = store
        .sign_up(sample_member("+8613900139000"))
        .await
        .expect("member")
        .member
        .id;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..attempts {
        let store = store.clone();
        let member = other.clone();
        tasks.spawn(async move {
            let mut order = sample_order("alpha", &format!("race-{index}"));
            order.member_id = Some(member);
            if index % 2 == 0 {
                order.redemption = Some(first_order_claim());
            }
            store.place_order(order).await
        });
    }
    let mut placed = Vec::new();
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(done) => placed.push(done.order),
            Err(StoreError::CouponRefused(catalog::CouponRejection::FirstOrderOnly)) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    // Which commit came first is not observable (DynamoDB numbers an order after
    // its commit), but every plain order went through and one discount at most.
    assert_eq!(
        placed.iter().filter(|o| o.coupon.is_none()).count(),
        attempts / 2
    );
    let discounted: Vec<_> = placed.iter().filter(|o| o.coupon.is_some()).collect();
    assert!(discounted.len() <= 1, "{discounted:?}");
}

/// The member's own data: their orders newest first (linked ones included, nobody
/// else's), the codes issued to them and whether used, and a withdrawal of consent
/// that is recorded once and shows in the member and the export.
pub async fn members_own_data<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let mut new_a = sample_member("+8613800138000");
    new_a.welcome = Some(IssuedCode {
        code: "WELCOME-OWN1".into(),
        coupon: "WELCOME".into(),
        member_id: new_a.id.clone(),
        used_by: None,
        channel: None,
    });
    let a = store.sign_up(new_a).await.expect("a").member.id;
    let b = store
        .sign_up(sample_member("+8613900139000"))
        .await
        .expect("b")
        .member
        .id;
    assert!(store
        .member_orders(&a, 10)
        .await
        .expect("no orders")
        .is_empty());
    // An order placed before signing up, then linked.
    let mut earlier = sample_order("alpha", "own-0");
    earlier.placed_at = at(-10);
    let earlier = store.place_order(earlier).await.expect("anonymous").order;
    store.link_order(&earlier.id, &a).await.expect("link");
    let mut ids = Vec::new();
    for minute in 1..=3 {
        let mut order = sample_order("alpha", &format!("own-{minute}"));
        order.member_id = Some(a.clone());
        order.placed_at = at(minute);
        if minute == 2 {
            order.redemption = Some(RedemptionClaim {
                issued_code: Some("WELCOME-OWN1".into()),
                ..claim("WELCOME", None, None)
            });
        }
        ids.push(store.place_order(order).await.expect("order").order.id);
    }
    let mut theirs = sample_order("alpha", "own-b");
    theirs.member_id = Some(b.clone());
    theirs.placed_at = at(4);
    let theirs = store.place_order(theirs).await.expect("b's order").order;
    let mine: Vec<String> = store
        .member_orders(&a, 10)
        .await
        .expect("orders")
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(
        mine,
        vec![
            ids[2].clone(),
            ids[1].clone(),
            ids[0].clone(),
            earlier.id.clone()
        ]
    );
    let newest: Vec<String> = store
        .member_orders(&a, 2)
        .await
        .expect("orders")
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(newest, vec![ids[2].clone(), ids[1].clone()]);
    let b_orders = store.member_orders(&b, 10).await.expect("b's orders");
    assert_eq!(b_orders.len(), 1);
    assert_eq!(b_orders[0].id, theirs.id);
    assert_eq!(b_orders[0].number, theirs.number);
    assert!(store
        .member_orders("mem_nobody", 10)
        .await
        .expect("none")
        .is_empty());

    // Codes: A's welcome code, used by the second order; B has none.
    let codes = store.member_codes(&a).await.expect("codes");
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].code, "WELCOME-OWN1");
    assert_eq!(codes[0].coupon, "WELCOME");
    assert_eq!(codes[0].member_id, a);
    assert_eq!(codes[0].used_by.as_deref(), Some(ids[1].as_str()));
    assert!(store.member_codes(&b).await.expect("codes").is_empty());

    // Consent: withdrawn once, the first time stands.
    let found = |id: &str| {
        let store = store.clone();
        let id = id.to_owned();
        async move {
            store
                .find_member(MemberKey::Id(id))
                .await
                .expect("find")
                .expect("member")
        }
    };
    assert_eq!(found(&a).await.consent_withdrawn_at, None);
    store.withdraw_consent(&a, at(5)).await.expect("withdraw");
    store.withdraw_consent(&a, at(6)).await.expect("again");
    assert_eq!(found(&a).await.consent_withdrawn_at, Some(at(5)));
    assert_eq!(found(&b).await.consent_withdrawn_at, None);
    assert_eq!(
        store.withdraw_consent("mem_nobody", at(5)).await,
        Err(StoreError::NotFound)
    );
    let range = super::ReportRange {
        start: at(-60),
        end: at(60),
        first_day: day(1),
        last_day: day(3),
        location: None,
    };
    let exported = store.export_members(&range).await.expect("export");
    let row = exported.iter().find(|m| m.id == a).expect("a exported");
    assert_eq!(row.consent_withdrawn_at, Some(at(5)));

    // Erased: not found by phone any more; orders stay, without names.
    store.erase_member(&a, at(7)).await.expect("erase");
    assert_eq!(
        store
            .find_member(MemberKey::Phone("+8613800138000".into()))
            .await
            .expect("find"),
        None
    );
    assert_eq!(store.member_orders(&a, 10).await.expect("orders").len(), 4);
}

/// A first-order coupon sees every order of the member: one linked after it was
/// placed counts like one placed signed in, and at the counter the rule is decided
/// inside the redemption's transaction, as online.
pub async fn first_orders_count_linked_orders_and_the_counter<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    use catalog::CouponRejection as R;
    let store = make().await;
    let linked = store
        .sign_up(sample_member("+8613800138000"))
        .await
        .expect("member")
        .member
        .id;
    let anonymous = store
        .place_order(sample_order("alpha", "l-0"))
        .await
        .expect("anonymous")
        .order;
    store
        .link_order(&anonymous.id, &linked)
        .await
        .expect("link");
    assert_eq!(store.member_order_count(&linked).await.expect("count"), 1);
    let mut first = sample_order("alpha", "l-1");
    first.member_id = Some(linked.clone());
    first.redemption = Some(first_order_claim());
    assert_eq!(
        store.place_order(first).await.err(),
        Some(StoreError::CouponRefused(R::FirstOrderOnly))
    );
    let at_counter = |id: &str, member: Option<&String>| super::CounterRedemption {
        member_id: member.cloned(),
        first_order_only: true,
        ..counter(id, "FIRST", 500)
    };
    assert_eq!(
        store
            .redeem_at_counter(at_counter("fc-1", Some(&linked)))
            .await,
        Err(StoreError::CouponRefused(R::FirstOrderOnly))
    );
    assert_eq!(
        store.redeem_at_counter(at_counter("fc-2", None)).await,
        Err(StoreError::CouponRefused(R::MembersOnly))
    );
    // A member without orders redeems it at the counter; one with an order (placed
    // signed in, then cancelled) does not.
    let fresh = store
        .sign_up(sample_member("+8613900139000"))
        .await
        .expect("member")
        .member
        .id;
    store
        .redeem_at_counter(at_counter("fc-3", Some(&fresh)))
        .await
        .expect("no order yet");
    let mut plain = sample_order("alpha", "l-2");
    plain.member_id = Some(fresh.clone());
    let plain = store.place_order(plain).await.expect("order").order;
    store
        .set_status(&plain.id, OrderStatus::Cancelled, "staff", None, at(1))
        .await
        .expect("cancel");
    assert_eq!(
        store
            .redeem_at_counter(at_counter("fc-4", Some(&fresh)))
            .await,
        Err(StoreError::CouponRefused(R::FirstOrderOnly))
    );
    // Refused attempts took nothing from the budget.
    assert_eq!(store.redemption_count("FIRST").await.expect("count"), 1);
}

/// Push subscriptions: kept per order and endpoint (a second subscribe of the same
/// browser replaces its keys), capped per order, refused for an unknown order, and
/// removed one by one or all at once.
pub async fn push_subscriptions<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let order = store
        .place_order(sample_order("downtown", "push-1"))
        .await
        .expect("order")
        .order;
    let sub = |endpoint: &str, auth: &str, minutes: i64| PushSubscription {
        order_id: order.id.clone(),
        endpoint: format!("https://push.example.com/{endpoint}"),
        p256dh: "BPub".into(),
        auth: auth.to_owned(),
        lang: "en".into(),
        created_at: at(minutes),
    };
    assert_eq!(
        store.add_push_subscription(sub("a", "one", 0)).await,
        Ok(true)
    );
    assert_eq!(
        store.add_push_subscription(sub("a", "two", 1)).await,
        Ok(true)
    );
    let kept = store.push_subscriptions(&order.id).await.expect("list");
    assert_eq!(kept.len(), 1, "one browser, one subscription: {kept:?}");
    assert_eq!(kept[0].auth, "two");
    assert_eq!(kept[0].created_at, at(0));
    for (i, name) in ["b", "c", "d", "e"].iter().enumerate() {
        assert_eq!(
            store
                .add_push_subscription(sub(name, "k", 2 + i as i64))
                .await,
            Ok(true)
        );
    }
    assert_eq!(
        store.add_push_subscription(sub("f", "k", 9)).await,
        Ok(false),
        "a sixth browser is over the cap"
    );
    let mut unknown = sub("a", "k", 0);
    unknown.order_id = "ord_nobody".into();
    assert_eq!(
        store.add_push_subscription(unknown).await,
        Err(StoreError::NotFound)
    );
    let endpoints: Vec<String> = store
        .push_subscriptions(&order.id)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.endpoint)
        .collect();
    assert_eq!(
        endpoints,
        ["a", "b", "c", "d", "e"].map(|e| format!("https://push.example.com/{e}"))
    );
    store
        .remove_push_subscriptions(&order.id, Some("https://push.example.com/c"))
        .await
        .expect("remove one");
    store
        .remove_push_subscriptions(&order.id, Some("https://push.example.com/c"))
        .await
        .expect("removing twice is fine");
    assert_eq!(
        store
            .push_subscriptions(&order.id)
            .await
            .expect("list")
            .len(),
        4
    );
    assert_eq!(
        store.add_push_subscription(sub("f", "k", 10)).await,
        Ok(true),
        "a removed one frees its place"
    );
    store
        .remove_push_subscriptions(&order.id, None)
        .await
        .expect("remove all");
    assert!(store
        .push_subscriptions(&order.id)
        .await
        .expect("list")
        .is_empty());
}

/// Erasing a member also removes what their orders carry of them: the note of their
/// rating (the stars stay, as figures) and the browsers subscribed to "your order is
/// ready"; another diner's order keeps both.
pub async fn erasing_a_member_reaches_ratings_and_push<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let member = store
        .sign_up(sample_member("+8613800138000"))
        .await
        .expect("member")
        .member
        .id;
    let mut theirs = sample_order("downtown", "erase-1");
    theirs.member_id = Some(member.clone());
    let theirs = store.place_order(theirs).await.expect("order").order;
    let other = store
        .place_order(sample_order("downtown", "erase-2"))
        .await
        .expect("order")
        .order;
    for order in [&theirs, &other] {
        let sub = PushSubscription {
            order_id: order.id.clone(),
            endpoint: format!("https://push.example.com/{}", order.id),
            p256dh: "BPub".into(),
            auth: "auth".into(),
            lang: "en".into(),
            created_at: at(1),
        };
        assert_eq!(store.add_push_subscription(sub).await, Ok(true));
        let rating = Rating {
            order_id: order.id.clone(),
            location: "downtown".into(),
            campaign: None,
            stars: 2,
            note: Some("The waiter, Li Wei, was rude".into()),
            dishes: Vec::new(),
            at: at(2),
        };
        assert_eq!(store.rate_order(rating).await, Ok(true));
    }
    store.erase_member(&member, at(3)).await.expect("erase");
    let kept = store
        .order_rating(&theirs.id)
        .await
        .expect("read")
        .expect("rated");
    assert_eq!((kept.stars, kept.note), (2, None));
    assert_eq!(store.push_subscriptions(&theirs.id).await, Ok(Vec::new()));
    let untouched = store
        .order_rating(&other.id)
        .await
        .expect("read")
        .expect("rated");
    assert!(untouched.note.is_some());
    assert_eq!(
        store.push_subscriptions(&other.id).await.map(|s| s.len()),
        Ok(1)
    );
}

/// Ratings: one per order (the first stands), none for an unknown order, read back per
/// order and by time and location.
pub async fn ratings<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let downtown = store
        .place_order(sample_order("downtown", "rate-1"))
        .await
        .expect("order")
        .order;
    let harbour = store
        .place_order(sample_order("harbour", "rate-2"))
        .await
        .expect("order")
        .order;
    let rating = |order: &str, location: &str, stars: u8, minutes: i64| Rating {
        order_id: order.to_owned(),
        location: location.to_owned(),
        campaign: Some("spring".into()),
        stars,
        note: Some("=cmd|' /C calc'!A0 and <b>hot</b>".into()),
        dishes: vec![super::DishRating {
            dish: "noodles".into(),
            stars: 5,
        }],
        at: at(minutes),
    };
    assert_eq!(store.order_rating(&downtown.id).await, Ok(None));
    let first = rating(&downtown.id, "downtown", 4, 10);
    assert_eq!(store.rate_order(first.clone()).await, Ok(true));
    assert_eq!(
        store
            .rate_order(rating(&downtown.id, "downtown", 1, 11))
            .await,
        Ok(false),
        "a second rating of one order is refused"
    );
    assert_eq!(
        store.order_rating(&downtown.id).await,
        Ok(Some(first.clone()))
    );
    assert_eq!(
        store
            .rate_order(rating("ord_nobody", "downtown", 3, 12))
            .await,
        Err(StoreError::NotFound)
    );
    let second = rating(&harbour.id, "harbour", 2, 20);
    assert_eq!(store.rate_order(second.clone()).await, Ok(true));
    let range = |location: Option<&str>, from: i64, to: i64| super::ReportRange {
        start: at(from),
        end: at(to),
        first_day: day(1),
        last_day: day(3),
        location: location.map(str::to_owned),
    };
    assert_eq!(
        store.ratings(&range(None, 0, 60)).await,
        Ok(vec![first.clone(), second.clone()])
    );
    assert_eq!(
        store.ratings(&range(Some("harbour"), 0, 60)).await,
        Ok(vec![second])
    );
    assert_eq!(store.ratings(&range(None, 0, 10)).await, Ok(vec![]));
    assert_eq!(store.ratings(&range(None, 10, 11)).await, Ok(vec![first]));
}

/// Twenty ratings of one order at once: exactly one is kept.
pub async fn concurrent_ratings<F, Fut>(make: F, attempts: usize)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let order = store
        .place_order(sample_order("downtown", "rate-race"))
        .await
        .expect("order")
        .order;
    let tasks: Vec<_> = (0..attempts)
        .map(|i| {
            let store = store.clone();
            let rating = Rating {
                order_id: order.id.clone(),
                location: "downtown".into(),
                campaign: None,
                stars: (i % 5 + 1) as u8,
                note: None,
                dishes: Vec::new(),
                at: at(i as i64),
            };
            tokio::spawn(async move { store.rate_order(rating).await })
        })
        .collect();
    let mut kept = 0;
    for task in tasks {
        if task.await.expect("task").expect("rate") {
            kept += 1;
        }
    }
    assert_eq!(kept, 1);
    assert!(store.order_rating(&order.id).await.expect("read").is_some());
}

/// Twenty browsers subscribing to one order at once: exactly the cap is kept.
pub async fn concurrent_push_subscriptions<F, Fut>(make: F, attempts: usize)
where
    F: Fn() -> Fut,
    Fut: Future<Output = DynStore>,
{
    let store = make().await;
    let order = store
        .place_order(sample_order("downtown", "push-race"))
        .await
        .expect("order")
        .order;
    let tasks: Vec<_> = (0..attempts)
        .map(|i| {
            let store = store.clone();
            let sub = PushSubscription {
                order_id: order.id.clone(),
                endpoint: format!("https://push.example.com/race/{i}"),
                p256dh: "BPub".into(),
                auth: "k".into(),
                lang: "en".into(),
                created_at: at(0),
            };
            tokio::spawn(async move { store.add_push_subscription(sub).await })
        })
        .collect();
    let mut kept = 0;
    for task in tasks {
        if task.await.expect("task").expect("add") {
            kept += 1;
        }
    }
    assert_eq!(kept, super::push::MAX_PER_ORDER);
    assert_eq!(
        store
            .push_subscriptions(&order.id)
            .await
            .expect("list")
            .len() as u32,
        super::push::MAX_PER_ORDER
    );
}

/// Generates the whole conformance and concurrency suite as `#[tokio::test]`s for
/// one backend, so every backend runs the identical list. `$fixture` makes a fresh
/// server or folder; its `open()` (async) returns a fresh store on it, and its
/// `open_with_idempotency_ttl(ttl)` one that forgets idempotency keys after `ttl`.
#[macro_export]
macro_rules! conformance_suite {
    ($fixture:expr) => {
        $crate::conformance_suite!(@each $fixture;
            idempotency, member_uniqueness, status_transitions, slot_capacity,
            order_numbering, atomicity, coupon_limits, api_keys, sold_out_switches,
            counter_redemptions, marketing_figures, sessions, payment_ledger,
            payment_notifications_apply_once, refunds_never_exceed_what_was_paid,
            a_mismatched_charge_is_recorded_but_not_paid,
            a_refund_racing_a_late_notification_stays_consistent,
            cancelling_returns_the_redemption, refund_totals_append_the_difference,
            one_time_codes, member_sessions, coupons_bound_to_the_person, passkeys,
            members_own_data, first_orders_count_linked_orders_and_the_counter,
            a_cancelled_order_frees_its_key, exports_carry_the_order_and_no_formulas,
            push_subscriptions, ratings, erasing_a_member_reaches_ratings_and_push);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn idempotency_keys_expire_after_the_ttl() {
            let fixture = $fixture;
            $crate::store::conformance::idempotency_keys_expire(|| {
                fixture.open_with_idempotency_ttl(std::time::Duration::from_secs(1))
            })
            .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_thousand_orders_on_a_budget_of_a_hundred_redeem_a_hundred() {
            let fixture = $fixture;
            for round in 0..3 {
                let started = std::time::Instant::now();
                $crate::store::conformance::concurrent_budget(|| fixture.open(), 1000, 100).await;
                eprintln!("round {round}: 1000 attempts in {:?}", started.elapsed());
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn fifty_retries_with_one_key_place_one_order() {
            let fixture = $fixture;
            $crate::store::conformance::concurrent_idempotency(|| fixture.open(), 50).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn fifty_sign_ups_with_one_phone_make_one_member() {
            let fixture = $fixture;
            $crate::store::conformance::concurrent_sign_up(|| fixture.open(), 50).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn thirty_first_orders_of_one_member_get_one_first_order_discount() {
            let fixture = $fixture;
            $crate::store::conformance::concurrent_first_orders(|| fixture.open(), 30).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn twenty_ratings_of_one_order_at_once_keep_one() {
            let fixture = $fixture;
            $crate::store::conformance::concurrent_ratings(|| fixture.open(), 20).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn twenty_browsers_subscribing_at_once_keep_the_cap() {
            let fixture = $fixture;
            $crate::store::conformance::concurrent_push_subscriptions(|| fixture.open(), 20)
                .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn per_member_limits_hold_under_concurrency() {
            let fixture = $fixture;
            $crate::store::conformance::concurrent_per_member(|| fixture.open(), 60, 3).await;
        }
    };
    (@each $fixture:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let fixture = $fixture;
                $crate::store::conformance::$name(|| fixture.open()).await;
            }
        )*
    };
}
