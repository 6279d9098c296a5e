//! Coupon counters: the budget spread over shards, and the counts reports read.
//!
//! A coupon's budget `B` over `N` shards gives shard `k` the share
//! `B / N + (1 if k < B % N)`, so the shares add up to exactly `B`. Each
//! shard is its own item (its own partition key) whose `used` counter only
//! grows under the condition `used < share`, so no shard passes its share
//! and the coupon never passes `B`. An order tries a random shard first and
//! sweeps the others when that one is full; only when every shard has been
//! seen full is the budget exhausted, and at that moment every share is used:
//! exactly `B` redemptions succeeded.

use std::collections::BTreeMap;

use catalog::Minor;

use aws_sdk_dynamodb::types::CancellationReason;

use super::item::{opt_number, opt_text, Item};
use super::marketing::{index_items, table_keys};
use super::{schema, DynamoStore};
use crate::store::{RedemptionClaim, StoreError};

/// Above this many remembered full shards the memory is cleared (it is only a shortcut).
const EXHAUSTED_MEMORY: usize = 10_000;

/// How long a shard seen full is skipped without asking. A cancelled order gives its
/// place back (in any process), so "full" is only trusted this long.
pub(super) const EXHAUSTED_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// One budget counter an order may take a place in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shard {
    pub index: u32,
    /// The shard's share of the budget; `None` when the coupon has no budget.
    pub limit: Option<u32>,
    /// The shard's share of the money budget (minor units), if the coupon has one.
    pub amount_limit: Option<Minor>,
}

/// Which counters an order may try, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// The order redeems no coupon.
    NoCoupon,
    /// Try these shards in this order.
    Shards(Vec<Shard>),
    /// Every shard is known to be full.
    Exhausted,
}

/// Shard `index`'s share of `budget` split over `shards`.
pub(super) fn share(budget: u32, shards: u32, index: u32) -> u32 {
    budget / shards + u32::from(index < budget % shards)
}

/// Shard `index`'s share of a money budget `cap` split over `shards`.
pub(super) fn share_amount(cap: Minor, shards: u32, index: u32) -> Minor {
    let shards = Minor::from(shards);
    let index = Minor::from(index);
    cap / shards + Minor::from(index < cap % shards)
}

/// How many shards a coupon uses: the store's setting, but never more than
/// its budget (every shard gets at least one redemption).
fn shard_count(store: &DynamoStore, budget: Option<u32>) -> u32 {
    match budget {
        Some(budget) => store.coupon_shards.min(budget).max(1),
        None => store.coupon_shards,
    }
}

/// The shards an order with `claim` should try: a random one first, then
/// the others in turn, skipping those known to be full.
pub(super) fn plan(store: &DynamoStore, claim: Option<&RedemptionClaim>) -> Plan {
    let Some(claim) = claim else {
        return Plan::NoCoupon;
    };
    let count = shard_count(store, claim.budget);
    let start = rand::random_range(0..count);
    if claim.budget.is_none() && claim.budget_amount.is_none() {
        // No budget: the shards only spread the writes of the count.
        return Plan::Shards(vec![Shard {
            index: start,
            limit: None,
            amount_limit: None,
        }]);
    }
    let known_full = store.exhausted.lock().ok();
    let shards: Vec<Shard> = (0..count)
        .map(|i| (start + i) % count)
        .map(|index| Shard {
            index,
            limit: claim.budget.map(|budget| share(budget, count, index)),
            amount_limit: claim
                .budget_amount
                .map(|cap| share_amount(cap, count, index)),
        })
        .filter(|shard| {
            let room = shard.limit.is_none_or(|limit| limit > 0)
                && shard.amount_limit.is_none_or(|cap| claim.discount <= cap);
            let full = match (&known_full, shard.limit) {
                (Some(full), Some(limit)) => full
                    .get(&(claim.coupon.clone(), shard.index, limit))
                    .is_some_and(|seen| seen.elapsed() < EXHAUSTED_FOR),
                _ => false,
            };
            room && !full
        })
        .collect();
    drop(known_full);
    if shards.is_empty() {
        Plan::Exhausted
    } else {
        Plan::Shards(shards)
    }
}

/// Remembers that `shard` of `coupon` is full (for its current share of
/// the count budget; a money share may still take a smaller discount).
pub(super) fn mark_exhausted(store: &DynamoStore, coupon: &str, shard: Shard) {
    let Some(limit) = shard.limit else {
        return;
    };
    if let Ok(mut full) = store.exhausted.lock() {
        if full.len() >= EXHAUSTED_MEMORY {
            full.clear();
        }
        full.insert(
            (coupon.to_owned(), shard.index, limit),
            std::time::Instant::now(),
        );
    }
}

/// Forgets every shard of `coupon` seen full: a redemption of it was given back.
pub(super) fn forget_exhausted(store: &DynamoStore, coupon: &str) {
    if let Ok(mut full) = store.exhausted.lock() {
        full.retain(|(c, _, _), _| c != coupon);
    }
}

/// Redemptions a counter item (a budget shard, a member's counter) has counted.
pub(super) fn used(item: &Item) -> Result<u32, StoreError> {
    Ok(opt_number(item, "used")?.unwrap_or(0))
}

/// A budget shard's condition failed: remembers the shard as full when the
/// item as it was shows its count share used up (a money share may still
/// take a smaller discount).
pub(super) fn shard_refused(
    store: &DynamoStore,
    coupon: &str,
    shard: Shard,
    reason: &CancellationReason,
) -> Result<(), StoreError> {
    let used: Option<u32> = reason
        .item()
        .map(|before| opt_number(before, "used"))
        .transpose()?
        .flatten();
    if let (Some(used), Some(limit)) = (used, shard.limit) {
        if used >= limit {
            mark_exhausted(store, coupon, shard);
        }
    }
    Ok(())
}

/// Redemptions of a coupon: the sum of its shards.
pub(super) async fn redemption_count(store: &DynamoStore, coupon: &str) -> Result<u32, StoreError> {
    let keys = (0..store.coupon_shards)
        .map(|index| schema::coupon_shard(coupon, index))
        .collect();
    let mut total = 0u32;
    for item in store.batch_get(keys).await? {
        total = total.saturating_add(used(&item)?);
    }
    Ok(total)
}

/// Redemptions of a coupon by one member.
pub(super) async fn member_redemption_count(
    store: &DynamoStore,
    coupon: &str,
    member_id: &str,
) -> Result<u32, StoreError> {
    match store.get(schema::member_counter(coupon, member_id)).await? {
        Some(item) => used(&item),
        None => Ok(0),
    }
}

/// The coupon budget shards ever used, as `(pk, sk)` keys: the directory
/// index lists them (keys only).
pub(super) async fn shard_keys(store: &DynamoStore) -> Result<Vec<Item>, StoreError> {
    let entries = index_items(
        store,
        schema::GSI3,
        ("gsi3pk", "gsi3sk"),
        schema::COUPON_DIRECTORY.to_owned(),
        None,
    )
    .await?;
    Ok(table_keys(&entries))
}

/// Redemptions per coupon: the directory index lists the shards (keys only),
/// then their counters are read consistently.
pub(super) async fn redemption_counts(
    store: &DynamoStore,
) -> Result<Vec<(String, u32)>, StoreError> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for item in store.batch_get(shard_keys(store).await?).await? {
        let Some(coupon) = opt_text(&item, "coupon") else {
            continue;
        };
        let count = counts.entry(coupon).or_default();
        *count = count.saturating_add(used(&item)?);
    }
    Ok(counts.into_iter().filter(|(_, n)| *n > 0).collect())
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn money_shares_add_up_to_the_cap() {
        for cap in [1, 99, 1_200, 1_000_001] {
            for shards in 1..=16u32 {
                let total: catalog::Minor = (0..shards)
                    .map(|k| super::share_amount(cap, shards, k))
                    .sum();
                assert_eq!(total, cap, "cap {cap} over {shards} shards");
            }
        }
    }

    #[test]
    fn shares_add_up_to_the_budget() {
        for budget in [1, 2, 3, 7, 100, 101, 1_000_003] {
            for shards in 1..=16u32.min(budget) {
                let total: u32 = (0..shards).map(|k| share(budget, shards, k)).sum();
                assert_eq!(total, budget, "budget {budget} over {shards} shards");
                let smallest = (0..shards).map(|k| share(budget, shards, k)).min();
                assert!(smallest >= Some(1));
            }
        }
    }
}
