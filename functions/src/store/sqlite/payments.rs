//! Payments: an order's ledger, appended in one write of the writer's
//! transaction (the event key, the refund check and the entry together), and
//! read in append order.
//!
//! The writer runs writes one after the other, so the ledger a refund is
//! checked against is the whole ledger: two racing refunds are judged one after
//! the other. The event key is a `UNIQUE` column of the entry's own row, so the
//! key and its entry cannot be recorded apart.

use catalog::payment::{self, Entry, EntryKind};
use catalog::{Minor, Quote};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{backend, col, parse_ts, query_rows, ts, SqliteStore};
use crate::store::payments::{as_stored, kind_name, parse_kind, refund_delta};
use crate::store::{LedgerWindow, PaymentRow, Recorded, ReportRange, StoreError};

/// The orders a ledger read picks: `?1` start, `?2` end, `?3` location or NULL.
fn picked(window: LedgerWindow) -> &'static str {
    match window {
        LedgerWindow::Placed => "o.placed_at >= ?1 AND o.placed_at < ?2",
        // `payments_by_at` (migration 6) finds the entries recorded in the range.
        LedgerWindow::Recorded => {
            "o.id IN (SELECT order_id FROM payments WHERE at >= ?1 AND at < ?2)"
        }
    }
}

/// Whole ledgers of the orders `window` picks in `range`, with their orders.
fn payment_rows_in(
    conn: &Connection,
    range: &ReportRange,
    window: LedgerWindow,
) -> Result<Vec<PaymentRow>, StoreError> {
    query_rows(
        conn,
        &format!(
            "SELECT o.id, o.number, o.location, o.status, o.placed_at, o.total,
                 json_extract(o.quote, '$.currency'), o.campaign, o.channel, p.seq,
                 p.kind, p.method, p.amount, p.currency, p.reference, p.at, p.recorded_by
             FROM payments p JOIN orders o ON o.id = p.order_id
             WHERE {} AND (?3 IS NULL OR o.location = ?3)
             ORDER BY o.placed_at, o.id, p.seq",
            picked(window)
        ),
        params![ts(range.start), ts(range.end), range.location],
        |r| {
            let kind: String = col(r, 10)?;
            let method: String = col(r, 11)?;
            Ok(PaymentRow {
                order_id: col(r, 0)?,
                number: col(r, 1)?,
                location: col(r, 2)?,
                status: col(r, 3)?,
                placed_at: parse_ts(&col::<String>(r, 4)?)?,
                total: col(r, 5)?,
                order_currency: col::<Option<String>>(r, 6)?.unwrap_or_default(),
                campaign: col(r, 7)?,
                channel: col(r, 8)?,
                seq: usize::try_from(col::<i64>(r, 9)?).map_err(backend)?,
                entry: Entry {
                    kind: parse_kind(&kind).ok_or_else(|| {
                        StoreError::Backend(format!("unknown payment kind `{kind}`"))
                    })?,
                    method: method.parse().map_err(backend)?,
                    amount: col(r, 12)?,
                    currency: col(r, 13)?,
                    reference: col(r, 14)?,
                    at: parse_ts(&col::<String>(r, 15)?)?,
                    by: col(r, 16)?,
                },
            })
        },
    )
}

pub(super) async fn payment_rows(
    store: &SqliteStore,
    range: &ReportRange,
    window: LedgerWindow,
) -> Result<Vec<PaymentRow>, StoreError> {
    let range = range.clone();
    store
        .read(move |conn| payment_rows_in(conn, &range, window))
        .await
}

const ENTRY_COLUMNS: &str = "kind, method, amount, currency, reference, at, recorded_by";

fn decode(row: &Row<'_>) -> Result<Entry, StoreError> {
    let kind: String = col(row, 0)?;
    let method: String = col(row, 1)?;
    let at: String = col(row, 5)?;
    Ok(Entry {
        kind: parse_kind(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown payment kind `{kind}`")))?,
        method: method.parse().map_err(backend)?,
        amount: col(row, 2)?,
        currency: col(row, 3)?,
        reference: col(row, 4)?,
        at: parse_ts(&at)?,
        by: col(row, 6)?,
    })
}

/// The total and currency the order was priced at; `NotFound` without the order.
fn priced(conn: &Connection, order_id: &str) -> Result<(Minor, String), StoreError> {
    let quote: String = conn
        .query_row("SELECT quote FROM orders WHERE id = ?1", [order_id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
    let quote: Quote = serde_json::from_str(&quote).map_err(backend)?;
    Ok((quote.total, quote.currency))
}

/// The order's ledger in append order (without checking that the order exists).
fn ledger(conn: &Connection, order_id: &str) -> Result<Vec<Entry>, StoreError> {
    query_rows(
        conn,
        &format!("SELECT {ENTRY_COLUMNS} FROM payments WHERE order_id = ?1 ORDER BY seq"),
        [order_id],
        decode,
    )
}

/// What an event key recorded already: the order and the entry's position.
fn recorded_with(conn: &Connection, event_key: &str) -> Result<Option<(String, i64)>, StoreError> {
    conn.query_row(
        "SELECT order_id, seq FROM payments WHERE event_key = ?1",
        [event_key],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(backend)
}

/// Appends `entry` inside the writer's transaction `tx`.
fn record_in(
    tx: &Connection,
    order_id: &str,
    entry: Entry,
    event_key: Option<String>,
) -> Result<Recorded, StoreError> {
    if let Some(key) = &event_key {
        // Checked first: a repeated delivery is answered, never refused.
        if let Some((recorded_order, seq)) = recorded_with(tx, key)? {
            if recorded_order != order_id {
                return Err(StoreError::IdempotencyConflict);
            }
            let entry = tx
                .query_row(
                    &format!(
                        "SELECT {ENTRY_COLUMNS} FROM payments WHERE order_id = ?1 AND seq = ?2"
                    ),
                    params![order_id, seq],
                    |row| Ok(decode(row)),
                )
                .map_err(backend)??;
            return Ok(Recorded {
                entry,
                index: usize::try_from(seq).map_err(backend)?,
                created: false,
            });
        }
    }
    let (total, currency) = priced(tx, order_id)?;
    let entries = ledger(tx, order_id)?;
    if entry.kind == EntryKind::Refund {
        payment::check_refund(total, &currency, &entries, entry.amount, &entry.currency)
            .map_err(StoreError::RefundRefused)?;
    }
    let entry = as_stored(entry);
    let index = entries.len();
    tx.execute(
        &format!(
            "INSERT INTO payments (order_id, seq, {ENTRY_COLUMNS}, event_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        params![
            order_id,
            i64::try_from(index).map_err(backend)?,
            kind_name(entry.kind),
            entry.method.as_str(),
            entry.amount,
            entry.currency,
            entry.reference,
            ts(entry.at),
            entry.by,
            event_key,
        ],
    )
    .map_err(backend)?;
    Ok(Recorded {
        entry,
        index,
        created: true,
    })
}

pub(super) async fn record(
    store: &SqliteStore,
    order_id: &str,
    entry: Entry,
    event_key: Option<String>,
) -> Result<Recorded, StoreError> {
    let order_id = order_id.to_owned();
    store
        .write(move |tx| record_in(tx, &order_id, entry, event_key))
        .await
}

pub(super) async fn record_total(
    store: &SqliteStore,
    order_id: &str,
    total: Entry,
    event_key: String,
) -> Result<Option<Recorded>, StoreError> {
    let order_id = order_id.to_owned();
    store
        .write(move |tx| {
            if recorded_with(tx, &event_key)?.is_some() {
                return record_in(tx, &order_id, total, Some(event_key)).map(Some);
            }
            priced(tx, &order_id)?;
            let entries = ledger(tx, &order_id)?;
            match refund_delta(&total, &entries) {
                Some(delta) => record_in(tx, &order_id, delta, Some(event_key)).map(Some),
                None => Ok(None),
            }
        })
        .await
}

pub(super) async fn payments(
    store: &SqliteStore,
    order_id: &str,
) -> Result<Vec<Entry>, StoreError> {
    let order_id = order_id.to_owned();
    store
        .read(move |conn| {
            priced(conn, &order_id)?;
            ledger(conn, &order_id)
        })
        .await
}
