//! Payments: an order's ledger under the order's partition, appended one entry
//! at a time by a transaction guarded by the ledger's length.
//!
//! # Appending an entry
//!
//! One strongly consistent `Query` of the order's partition reads the order
//! (its total and currency), the ledger item and every entry; the pure code of
//! [`catalog::payment`] judges the entry against exactly that ledger (a refund
//! is refused there); then one `TransactWriteItems`:
//!
//! | # | item                                  | condition                                   | failed means |
//! |---|---------------------------------------|---------------------------------------------|--------------|
//! | 0 | event key (Put) `PAYKEY#<sha256>`     | `attribute_not_exists(pk)`                  | applied before: answer with that entry |
//! | 1 | entry (Put) `ORDER#<id>`, `PAY#<seq>` | `attribute_not_exists(pk)`                  | the ledger moved: read again |
//! | 2 | ledger (Update) `ORDER#<id>`, `LEDGER`: `SET entries, paid, refunded, mismatches` | `entries = :seen` (first entry: `attribute_not_exists(pk)`); a refund also `paid >= :refunded` | the ledger moved: read again |
//!
//! Item 0 is there only with an event key. The guard on the ledger's length
//! makes the appends of one order serial, so the ledger judged is the ledger
//! the entry is appended to: a refund never gives back more than was paid
//! (`refunded + amount <= paid`, checked again by item 2's condition), and the
//! running totals are exactly [`catalog::payment::summarize`] of the entries.
//! Appends to one order that race take turns (a read, a transaction each);
//! orders never contend with each other.
//!
//! A `Query` is not a snapshot of a transaction (read-committed): a read that
//! sees an entry without its ledger length, or a gap, reads again.

use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use catalog::payment::{self, Entry, EntryKind};
use catalog::Quote;

use super::error::{back_off, build, contended, corrupt, failed, still_contended};
use super::item::{json, n, opt_number, opt_text, parse_ts, put_opt, s, text, ts, Item};
use std::collections::BTreeSet;

use futures_util::{stream, StreamExt};

use super::schema::{self, PK, SK};
use super::{marketing, orders, DynamoStore};
use crate::keys;
use crate::store::payments::{as_stored, kind_name, parse_kind, refund_delta};
use crate::store::{LedgerWindow, PaymentRow, Recorded, ReportRange, StoreError};

/// How many times an append is tried while other appends to the same order win
/// the race (each loser reads the ledger again and judges anew).
const APPEND_ATTEMPTS: u32 = 40;

/// How many times a read that caught a transaction half visible is repeated.
const READ_ATTEMPTS: u32 = 8;

/// What the failed condition of one transaction item means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// The event key was recorded before.
    EventKey,
    /// Another entry took this place in the ledger.
    Ledger,
}

/// An order's ledger as one consistent read found it.
struct Ledger {
    /// The order item.
    order: Item,
    quote: Quote,
    entries: Vec<Entry>,
}

fn entry_item(
    order_id: &str,
    location: &str,
    seq: usize,
    entry: &Entry,
    event_key: Option<&str>,
) -> Item {
    let mut item = schema::payment_entry(order_id, seq);
    // Listed per location by the time it was recorded, for a day's settlement.
    item.insert("gsi1pk".into(), s(schema::paid_at(location)));
    item.insert(
        "gsi1sk".into(),
        s(format!("{}#{order_id}#{seq:06}", ts(entry.at))),
    );
    item.insert("order_id".into(), s(order_id));
    item.insert("seq".into(), n(seq));
    item.insert("kind".into(), s(kind_name(entry.kind)));
    item.insert("method".into(), s(entry.method.as_str()));
    item.insert("amount".into(), n(entry.amount));
    item.insert("currency".into(), s(&entry.currency));
    put_opt(&mut item, "reference", entry.reference.as_deref());
    item.insert("at".into(), s(ts(entry.at)));
    item.insert("by".into(), s(&entry.by));
    put_opt(&mut item, "event_key", event_key);
    item
}

fn decode_entry(item: &Item) -> Result<Entry, StoreError> {
    let kind = text(item, "kind")?;
    let method = text(item, "method")?;
    Ok(Entry {
        kind: parse_kind(&kind).ok_or_else(|| corrupt(format!("payment kind `{kind}`")))?,
        method: method.parse().map_err(corrupt)?,
        amount: opt_number(item, "amount")?.ok_or_else(|| corrupt("a payment without amount"))?,
        currency: text(item, "currency")?,
        reference: opt_text(item, "reference"),
        at: parse_ts(&text(item, "at")?)?,
        by: text(item, "by")?,
    })
}

/// The order's ledger: `NotFound` without the order. Reads again while a
/// transaction is half visible (an entry without the ledger's new length).
async fn read(store: &DynamoStore, order_id: &str) -> Result<Ledger, StoreError> {
    for attempt in 1..=READ_ATTEMPTS {
        let items = store.partition(&schema::order_partition(order_id)).await?;
        let mut order = None;
        let mut length = 0usize;
        let mut entries = Vec::new();
        let mut in_sequence = true;
        for item in &items {
            let sort = text(item, SK)?;
            if sort == "ORDER" {
                order = Some(item);
            } else if sort == schema::LEDGER_SK {
                length = opt_number(item, "entries")?.unwrap_or(0);
            } else if sort.starts_with(schema::PAYMENT_PREFIX) {
                in_sequence &= opt_number::<usize>(item, "seq")? == Some(entries.len());
                entries.push(decode_entry(item)?);
            }
        }
        let order = order.ok_or(StoreError::NotFound)?;
        if in_sequence && entries.len() == length {
            return Ok(Ledger {
                quote: json(order, "quote")?,
                order: order.clone(),
                entries,
            });
        }
        back_off(attempt).await;
    }
    Err(still_contended("reading a payment ledger"))
}

/// The entry an event key recorded, from the key item (`known`, as a failed
/// condition returned it, else read); `None` when the key is unknown.
async fn replay(
    store: &DynamoStore,
    order_id: &str,
    key_hash: &str,
    known: Option<&Item>,
) -> Result<Option<Recorded>, StoreError> {
    let key = match known.filter(|item| item.contains_key("order_id")) {
        Some(item) => item.clone(),
        None => match store.get(schema::payment_key(key_hash)).await? {
            Some(item) => item,
            None => return Ok(None),
        },
    };
    if text(&key, "order_id")? != order_id {
        return Err(StoreError::IdempotencyConflict);
    }
    let index: usize =
        opt_number(&key, "index")?.ok_or_else(|| corrupt("a payment key without its index"))?;
    let item = store
        .get(schema::payment_entry(order_id, index))
        .await?
        .ok_or_else(|| corrupt("a payment key without its entry"))?;
    Ok(Some(Recorded {
        entry: decode_entry(&item)?,
        index,
        created: false,
    }))
}

/// The transaction that appends `entry` to `ledger`, and what each item guards.
fn transaction(
    store: &DynamoStore,
    order_id: &str,
    entry: &Entry,
    event_key: Option<(&str, &str)>,
    ledger: &Ledger,
) -> Result<(Vec<TransactWriteItem>, Vec<Guard>), StoreError> {
    let seen = ledger.entries.len();
    let mut items = Vec::with_capacity(3);
    let mut guards = Vec::with_capacity(3);
    if let Some((key, key_hash)) = event_key {
        let mut item = schema::payment_key(key_hash);
        item.insert("event_key".into(), s(key));
        item.insert("order_id".into(), s(order_id));
        item.insert("index".into(), n(seen));
        let put = Put::builder()
            .table_name(&store.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build)?;
        items.push(TransactWriteItem::builder().put(put).build());
        guards.push(Guard::EventKey);
    }
    let location = text(&ledger.order, "location")?;
    let put = store.put_if_new(entry_item(
        order_id,
        &location,
        seen,
        entry,
        event_key.map(|(k, _)| k),
    ))?;
    items.push(TransactWriteItem::builder().put(put).build());
    guards.push(Guard::Ledger);

    // The running totals are the pure summary of the ledger with this entry.
    let mut after = ledger.entries.clone();
    after.push(entry.clone());
    let summary = payment::summarize(ledger.quote.total, &ledger.quote.currency, &after, None);
    let mut update = Update::builder()
        .table_name(&store.table)
        .set_key(Some(schema::payment_ledger(order_id)))
        .update_expression(
            "SET #entries = :entries, #paid = :paid, #refunded = :refunded, \
             #mismatches = :mismatches, #order = :order",
        )
        .expression_attribute_names("#entries", "entries")
        .expression_attribute_names("#paid", "paid")
        .expression_attribute_names("#refunded", "refunded")
        .expression_attribute_names("#mismatches", "mismatches")
        .expression_attribute_names("#order", "order_id")
        .expression_attribute_values(":entries", n(after.len()))
        .expression_attribute_values(":paid", n(summary.paid))
        .expression_attribute_values(":refunded", n(summary.refunded))
        .expression_attribute_values(":mismatches", n(summary.mismatches.len()))
        .expression_attribute_values(":order", s(order_id));
    let mut condition = if seen == 0 {
        update = update.expression_attribute_names("#pk", PK);
        "attribute_not_exists(#pk)".to_owned()
    } else {
        update = update.expression_attribute_values(":seen", n(seen));
        "#entries = :seen".to_owned()
    };
    if entry.kind == EntryKind::Refund {
        // `refunded + amount <= paid`: what the pure check said, as the item's own condition.
        condition.push_str(" AND #paid >= :refunded");
    }
    let update = update
        .condition_expression(condition)
        .build()
        .map_err(build)?;
    items.push(TransactWriteItem::builder().update(update).build());
    guards.push(Guard::Ledger);
    Ok((items, guards))
}

/// Appends an entry: see the module documentation.
pub(super) async fn record(
    store: &DynamoStore,
    order_id: &str,
    entry: Entry,
    event_key: Option<String>,
) -> Result<Recorded, StoreError> {
    append(store, order_id, entry, event_key, false)
        .await?
        .ok_or_else(|| corrupt("an entry judged to append nothing"))
}

/// Appends the part of a running refund total the ledger does not hold yet
/// ([`refund_delta`]), judged against the same read of the ledger the append is
/// guarded by: a concurrent append makes it read and judge again.
pub(super) async fn record_total(
    store: &DynamoStore,
    order_id: &str,
    total: Entry,
    event_key: String,
) -> Result<Option<Recorded>, StoreError> {
    append(store, order_id, total, Some(event_key), true).await
}

/// Appends `entry` (with `cumulative`, the part of its running total not held yet).
async fn append(
    store: &DynamoStore,
    order_id: &str,
    entry: Entry,
    event_key: Option<String>,
    cumulative: bool,
) -> Result<Option<Recorded>, StoreError> {
    let given = as_stored(entry);
    let key_hash = event_key.as_deref().map(keys::sha256_hex);
    let key = event_key.as_deref().zip(key_hash.as_deref());
    for attempt in 1..=APPEND_ATTEMPTS {
        let ledger = read(store, order_id).await?;
        let entry = if cumulative {
            match refund_delta(&given, &ledger.entries) {
                Some(delta) => delta,
                None => {
                    // Nothing left to append: a repeat of an applied key says so.
                    return match &key_hash {
                        Some(hash) => replay(store, order_id, hash, None).await,
                        None => Ok(None),
                    };
                }
            }
        } else {
            given.clone()
        };
        if entry.kind == EntryKind::Refund {
            let quote = &ledger.quote;
            let checked = payment::check_refund(
                quote.total,
                &quote.currency,
                &ledger.entries,
                entry.amount,
                &entry.currency,
            );
            if let Err(mismatch) = checked {
                // A repeated delivery is answered, never refused.
                if let Some(hash) = &key_hash {
                    if let Some(recorded) = replay(store, order_id, hash, None).await? {
                        return Ok(Some(recorded));
                    }
                }
                return Err(StoreError::RefundRefused(mismatch));
            }
        }
        let (items, guards) = transaction(store, order_id, &entry, key, &ledger)?;
        let Some(reasons) = store.transact(items).await? else {
            return Ok(Some(Recorded {
                entry,
                index: ledger.entries.len(),
                created: true,
            }));
        };
        let refused = |guard: Guard| failed(&guards, &reasons, guard);
        if let (Some(reason), Some(hash)) = (refused(Guard::EventKey), &key_hash) {
            return replay(store, order_id, hash, reason.item())
                .await?
                .map(Some)
                .ok_or_else(|| corrupt("a payment key refused but not found"));
        }
        let moved = refused(Guard::Ledger).is_some();
        if !moved && !reasons.iter().any(contended) {
            return Err(StoreError::Backend(
                "TransactWriteItems cancelled without a reason".into(),
            ));
        }
        // Another entry was appended first (or DynamoDB saw the race): judge anew.
        back_off(attempt).await;
    }
    Err(still_contended("appending a payment"))
}

/// The order's ledger in append order.
pub(super) async fn payments(
    store: &DynamoStore,
    order_id: &str,
) -> Result<Vec<Entry>, StoreError> {
    Ok(read(store, order_id).await?.entries)
}

// --- Payments in reports -------------------------------------------------------

/// How many ledgers a report reads at once.
const LEDGER_READS: usize = 8;

/// Whole ledgers of the orders `window` picks in `range`: see `docs/dynamodb.md`.
///
/// `Placed`: the orders placed in the range (by location on `gsi1`), then one strongly
/// consistent `Query` of each order's partition. `Recorded`: the entries recorded in the
/// range (`PAID#<location>` on `gsi1`), then the partition of each order they belong to.
pub(super) async fn payment_rows(
    store: &DynamoStore,
    range: &ReportRange,
    window: LedgerWindow,
) -> Result<Vec<PaymentRow>, StoreError> {
    let ids: Vec<String> = match window {
        LedgerWindow::Placed => marketing::orders_in(store, range)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect(),
        LedgerWindow::Recorded => {
            let places = match &range.location {
                Some(location) => BTreeSet::from([location.clone()]),
                None => marketing::locations(store).await?,
            };
            let (start, end) = marketing::instants(range);
            let mut ids = BTreeSet::new();
            for location in places {
                let entries = marketing::index_items(
                    store,
                    schema::GSI1,
                    ("gsi1pk", "gsi1sk"),
                    schema::paid_at(&location),
                    Some((start.clone(), end.clone())),
                )
                .await?;
                for item in &entries {
                    let at = text(item, "at")?;
                    if at >= start && at < end {
                        ids.insert(text(item, "order_id")?);
                    }
                }
            }
            ids.into_iter().collect()
        }
    };
    let ledgers: Vec<Result<Vec<PaymentRow>, StoreError>> = stream::iter(ids)
        .map(|id| async move { rows_of(store, &id, range).await })
        .buffered(LEDGER_READS)
        .collect()
        .await;
    let mut rows = Vec::new();
    for ledger in ledgers {
        rows.extend(ledger?);
    }
    rows.sort_by(|a, b| (a.placed_at, &a.order_id, a.seq).cmp(&(b.placed_at, &b.order_id, b.seq)));
    Ok(rows)
}

/// The ledger of one order as report rows (none without entries or at another location).
async fn rows_of(
    store: &DynamoStore,
    order_id: &str,
    range: &ReportRange,
) -> Result<Vec<PaymentRow>, StoreError> {
    let ledger = read(store, order_id).await?;
    if ledger.entries.is_empty() {
        return Ok(Vec::new());
    }
    let order = marketing::order_row(&ledger.order)?;
    if range
        .location
        .as_ref()
        .is_some_and(|l| *l != order.location)
    {
        return Ok(Vec::new());
    }
    let number = match order.number {
        Some(number) => number,
        // Committed but not numbered yet: reading it numbers it.
        None => orders::get(store, order_id).await?.number,
    };
    let placed_at = parse_ts(&order.placed_at)?;
    Ok(ledger
        .entries
        .into_iter()
        .enumerate()
        .map(|(seq, entry)| PaymentRow {
            order_id: order.id.clone(),
            number: number.clone(),
            location: order.location.clone(),
            status: order.status.clone(),
            placed_at,
            total: ledger.quote.total,
            order_currency: ledger.quote.currency.clone(),
            campaign: order.campaign.clone(),
            channel: order.channel.clone(),
            seq,
            entry,
        })
        .collect())
}
