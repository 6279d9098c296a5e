//! The marketing half of the SQLite store: batch codes, counter redemptions,
//! visit counts, and the report and export queries (aggregated in SQL).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{params, Connection};

use super::coupons::{self, Limits};
use super::{backend, col, count, parse_opt_ts, parse_ts, query_rows, ts, SqliteStore};
use crate::store::{
    BatchCode, CampaignRow, CounterRedemption, CouponTotal, DishRow, HourRow, MemberExport,
    OrderContents, OrderExport, RedemptionExport, ReportRange, StoreError, Touch, Visit,
};

/// Stores a batch of codes, all or none.
fn issue_codes_in(tx: &Connection, codes: &[BatchCode]) -> Result<u32, StoreError> {
    let mut stmt = tx
        .prepare(
            "INSERT INTO issued_codes (code, coupon, member_id, campaign, batch, created_at, channel)
             VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6)",
        )
        .map_err(backend)?;
    for code in codes {
        stmt.execute(params![
            code.code,
            code.coupon,
            code.campaign,
            code.batch,
            ts(code.created_at),
            code.channel
        ])
        .map_err(|e| StoreError::Backend(format!("code {} not stored: {e}", code.code)))?;
    }
    u32::try_from(codes.len()).map_err(backend)
}

/// Checks and records a counter redemption.
fn redeem_at_counter_in(tx: &Connection, r: &CounterRedemption) -> Result<(), StoreError> {
    if let Some(member) = &r.member_id {
        if count(tx, "SELECT COUNT(*) FROM members WHERE id = ?1", [member])? == 0 {
            return Err(StoreError::UnknownMember);
        }
    }
    coupons::check_claim(
        tx,
        &Limits {
            coupon: &r.coupon,
            discount: r.discount,
            budget: r.budget,
            budget_amount: r.budget_amount,
            per_member: r.per_member,
            member: r.member_id.as_deref(),
            issued_code: r.issued_code.as_deref(),
            // Counted in this transaction, like an order's first-order coupon.
            first_order_only: r.first_order_only,
        },
    )?;
    tx.execute(
        "INSERT INTO redemptions (id, order_id, source, coupon, campaign, channel, location,
             member_id, issued_code, amount, discount, by_label, at)
         VALUES (?1, NULL, 'counter', ?2, ?3, 'counter', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            r.id,
            r.coupon,
            r.campaign,
            r.location,
            r.member_id,
            r.issued_code,
            r.amount,
            r.discount,
            r.by,
            ts(r.at)
        ],
    )
    .map_err(backend)?;
    if let Some(code) = &r.issued_code {
        coupons::mark_used(tx, code, &r.id, "counter", r.at)?;
    }
    Ok(())
}

/// Counts a visit unless the day's cap is reached.
fn record_visit_in(tx: &Connection, visit: &Visit, cap: u32) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "INSERT INTO visits (day, campaign, channel, location, count) VALUES (?1, ?2, ?3, ?4, 1)
             ON CONFLICT (day, campaign, channel, location)
             DO UPDATE SET count = count + 1 WHERE count < ?5",
            params![
                visit.day.to_string(),
                visit.campaign,
                visit.channel,
                visit.location,
                cap
            ],
        )
        .map_err(backend)?;
    Ok(changed > 0 && cap > 0)
}

fn member_order_count_in(conn: &Connection, member: &str) -> Result<u32, StoreError> {
    count(
        conn,
        "SELECT COUNT(*) FROM orders WHERE member_id = ?1",
        [member],
    )
}

fn coupon_totals_in(conn: &Connection) -> Result<Vec<CouponTotal>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT coupon, COUNT(*), COALESCE(SUM(discount), 0) FROM redemptions
             GROUP BY coupon ORDER BY coupon",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(backend)?;
    rows.map(|row| {
        let (coupon, n, discount) = row.map_err(backend)?;
        Ok(CouponTotal {
            coupon,
            redemptions: u32::try_from(n).map_err(backend)?,
            discount,
        })
    })
    .collect()
}

fn u64_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The `WHERE` of orders in a range: `?1` start, `?2` end, `?3` location or NULL.
const IN_RANGE: &str = "placed_at >= ?1 AND placed_at < ?2 AND (?3 IS NULL OR location = ?3)";

fn range_params(range: &ReportRange) -> (String, String, Option<String>) {
    (ts(range.start), ts(range.end), range.location.clone())
}

type Key = (String, String, String);

fn grouped<F>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    rows: &mut BTreeMap<Key, CampaignRow>,
    mut apply: F,
) -> Result<(), StoreError>
where
    F: FnMut(&mut CampaignRow, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
{
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let mut result = stmt.query(params).map_err(backend)?;
    while let Some(row) = result.next().map_err(backend)? {
        let key: Key = (
            row.get(0).map_err(backend)?,
            row.get(1).map_err(backend)?,
            row.get(2).map_err(backend)?,
        );
        let entry = rows.entry(key.clone()).or_insert_with(|| CampaignRow {
            campaign: key.0.clone(),
            channel: key.1.clone(),
            location: key.2.clone(),
            ..CampaignRow::default()
        });
        apply(entry, row).map_err(backend)?;
    }
    Ok(())
}

fn campaign_rows_in(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<CampaignRow>, StoreError> {
    let (start, end, location) = range_params(range);
    let mut rows: BTreeMap<Key, CampaignRow> = BTreeMap::new();
    let attributed = format!(
        "campaign IS NOT NULL AND channel IS NOT NULL AND status != 'cancelled' AND {IN_RANGE}"
    );
    grouped(
        conn,
        &format!(
            "SELECT campaign, channel, location, COUNT(*), COALESCE(SUM(total), 0)
             FROM orders WHERE {attributed} GROUP BY 1, 2, 3"
        ),
        params![start, end, location],
        &mut rows,
        |row, r| {
            row.orders = u64_of(r.get(3)?);
            row.revenue = r.get(4)?;
            Ok(())
        },
    )?;
    grouped(
        conn,
        "SELECT o.campaign, o.channel, o.location, COUNT(DISTINCT o.member_id),
                 COUNT(DISTINCT CASE WHEN EXISTS (
                     SELECT 1 FROM orders p WHERE p.member_id = o.member_id
                         AND p.status != 'cancelled' AND p.placed_at < ?2
                         AND (p.placed_at > o.placed_at
                              OR (p.placed_at = o.placed_at AND p.rowid > o.rowid)))
                     THEN o.member_id END)
             FROM orders o WHERE o.member_id IS NOT NULL AND o.campaign IS NOT NULL
                 AND o.channel IS NOT NULL AND o.status != 'cancelled'
                 AND o.placed_at >= ?1 AND o.placed_at < ?2 AND (?3 IS NULL OR o.location = ?3)
             GROUP BY 1, 2, 3",
        params![start, end, location],
        &mut rows,
        |row, r| {
            row.members = u64_of(r.get(3)?);
            row.repeat_members = u64_of(r.get(4)?);
            Ok(())
        },
    )?;
    // New members: signed up in the period through the campaign's channel.
    grouped(
        conn,
        "SELECT campaign, channel, COALESCE(location, ''), COUNT(*) FROM members
         WHERE campaign IS NOT NULL AND channel IS NOT NULL
             AND created_at >= ?1 AND created_at < ?2 AND (?3 IS NULL OR location = ?3)
         GROUP BY 1, 2, 3",
        params![start, end, location],
        &mut rows,
        |row, r| {
            row.new_members = u64_of(r.get(3)?);
            Ok(())
        },
    )?;
    grouped(
        conn,
        "SELECT campaign, COALESCE(channel, 'direct'), COALESCE(location, ''),
             SUM(source = 'online'), SUM(source = 'counter'), COALESCE(SUM(discount), 0),
             COALESCE(SUM(CASE WHEN source = 'counter' THEN amount ELSE 0 END), 0)
         FROM redemptions WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR location = ?3)
         GROUP BY 1, 2, 3",
        params![start, end, location],
        &mut rows,
        |row, r| {
            row.redemptions_online = u64_of(r.get(3)?);
            row.redemptions_counter = u64_of(r.get(4)?);
            row.discount = r.get(5)?;
            row.counter_spend = r.get(6)?;
            Ok(())
        },
    )?;
    grouped(
        conn,
        "SELECT campaign, channel, location, SUM(count) FROM visits
         WHERE day >= ?1 AND day <= ?2 AND (?3 IS NULL OR location = ?3)
         GROUP BY 1, 2, 3",
        params![
            range.first_day.to_string(),
            range.last_day.to_string(),
            location
        ],
        &mut rows,
        |row, r| {
            row.visits = u64_of(r.get(3)?);
            Ok(())
        },
    )?;
    Ok(rows.into_values().collect())
}

fn dish_sales_in(conn: &Connection, range: &ReportRange) -> Result<Vec<DishRow>, StoreError> {
    let (start, end, location) = range_params(range);
    let mut stmt = conn
        .prepare(&format!(
            "SELECT json_extract(l.value, '$.dish'), MAX(json_extract(l.value, '$.name')),
                 SUM(json_extract(l.value, '$.quantity')), SUM(json_extract(l.value, '$.total'))
             FROM orders o, json_each(o.quote, '$.lines') l
             WHERE o.status != 'cancelled' AND {}
             GROUP BY 1 ORDER BY 4 DESC, 1",
            IN_RANGE
                .replace("placed_at", "o.placed_at")
                .replace("location =", "o.location =")
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![start, end, location], |r| {
            Ok(DishRow {
                dish: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                quantity: u64_of(r.get(2)?),
                revenue: r.get(3)?,
            })
        })
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend)).collect()
}

fn hourly_sales_in(conn: &Connection, range: &ReportRange) -> Result<Vec<HourRow>, StoreError> {
    let (start, end, location) = range_params(range);
    let mut stmt = conn
        .prepare(&format!(
            "SELECT substr(placed_at, 1, 13), COUNT(*), COALESCE(SUM(total), 0) FROM orders
             WHERE status != 'cancelled' AND {IN_RANGE} GROUP BY 1 ORDER BY 1"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![start, end, location], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(backend)?;
    rows.map(|row| {
        let (hour, orders, revenue) = row.map_err(backend)?;
        let hour = NaiveDateTime::parse_from_str(&format!("{hour}:00:00"), "%Y-%m-%dT%H:%M:%S")
            .map_err(backend)?
            .and_utc();
        Ok(HourRow {
            hour,
            orders: u64_of(orders),
            revenue,
        })
    })
    .collect()
}

fn touch_text(json: Option<String>) -> Option<String> {
    let touch: Touch = serde_json::from_str(&json?).ok()?;
    Some(format!("{}/{}", touch.campaign, touch.channel))
}

fn export_orders_in(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<OrderExport>, StoreError> {
    let (start, end, location) = range_params(range);
    let json = |text: Option<String>| -> serde_json::Value {
        text.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    };
    query_rows(
        conn,
        &format!(
            "SELECT id, number, location, status, placed_at, cart, quote,
                 json_extract(quote, '$.subtotal'), json_extract(quote, '$.discount'),
                 json_extract(quote, '$.service_charge'), json_extract(quote, '$.tax'), total,
                 coupon, campaign, channel, first_touch, last_touch, member_id, name, note
             FROM orders WHERE {IN_RANGE} ORDER BY placed_at, rowid"
        ),
        params![start, end, location],
        |r| {
            let contents = OrderContents::of(&json(col(r, 5)?), &json(col(r, 6)?));
            Ok(OrderExport {
                id: col(r, 0)?,
                number: col(r, 1)?,
                location: col(r, 2)?,
                status: col(r, 3)?,
                placed_at: parse_ts(&col::<String>(r, 4)?)?,
                fulfilment: contents.fulfilment,
                table: contents.table,
                pickup_slot: contents.pickup_slot,
                name: col(r, 18)?,
                note: col(r, 19)?,
                items: contents.items,
                lines: contents.lines,
                subtotal: col(r, 7)?,
                discount: col(r, 8)?,
                service_charge: col(r, 9)?,
                tax: col(r, 10)?,
                total: col(r, 11)?,
                coupon: col(r, 12)?,
                campaign: col(r, 13)?,
                channel: col(r, 14)?,
                first_touch: touch_text(col(r, 15)?),
                last_touch: touch_text(col(r, 16)?),
                member_id: col(r, 17)?,
            })
        },
    )
}

fn export_members_in(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<MemberExport>, StoreError> {
    let (start, end, location) = range_params(range);
    query_rows(
        conn,
        "SELECT m.id, m.phone, m.email, m.name, m.consent_at, m.created_at, m.erased_at,
                 m.consent_withdrawn_at,
                 (SELECT COUNT(*) FROM orders o WHERE o.member_id = m.id AND o.status != 'cancelled'),
                 (SELECT COALESCE(SUM(total), 0) FROM orders o
                  WHERE o.member_id = m.id AND o.status != 'cancelled')
             FROM members m WHERE m.created_at >= ?1 AND m.created_at < ?2
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM orders o WHERE o.member_id = m.id AND o.location = ?3))
             ORDER BY m.created_at, m.id",
        params![start, end, location],
        |r| {
            Ok(MemberExport {
                id: col(r, 0)?,
                phone: col(r, 1)?,
                email: col(r, 2)?,
                name: col(r, 3)?,
                consent_at: parse_ts(&col::<String>(r, 4)?)?,
                created_at: parse_ts(&col::<String>(r, 5)?)?,
                erased_at: parse_opt_ts(col(r, 6)?)?,
                consent_withdrawn_at: parse_opt_ts(col(r, 7)?)?,
                orders: u64_of(col(r, 8)?),
                spent: col(r, 9)?,
            })
        },
    )
}

fn export_redemptions_in(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<RedemptionExport>, StoreError> {
    let (start, end, location) = range_params(range);
    query_rows(
        conn,
        "SELECT id, at, source, coupon, campaign, channel, location, order_id, member_id,
                 issued_code, amount, discount
             FROM redemptions WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR location = ?3)
             ORDER BY at, id",
        params![start, end, location],
        |r| {
            Ok(RedemptionExport {
                id: col(r, 0)?,
                at: parse_ts(&col::<String>(r, 1)?)?,
                source: col(r, 2)?,
                coupon: col(r, 3)?,
                campaign: col(r, 4)?,
                channel: col(r, 5)?,
                location: col(r, 6)?,
                order_id: col(r, 7)?,
                member_id: col(r, 8)?,
                issued_code: col(r, 9)?,
                amount: col(r, 10)?,
                discount: col(r, 11)?,
            })
        },
    )
}

fn erase_member_in(tx: &Connection, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let changed = tx
        .execute(
            "UPDATE members SET phone = NULL, email = NULL, name = NULL,
                 erased_at = COALESCE(erased_at, ?1) WHERE id = ?2",
            params![ts(at), id],
        )
        .map_err(backend)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    tx.execute(
        "UPDATE orders SET name = NULL, note = NULL WHERE member_id = ?1",
        [id],
    )
    .map_err(backend)?;
    tx.execute("DELETE FROM passkeys WHERE member_id = ?1", [id])
        .map_err(backend)?;
    // What the diner wrote after the meal, and the browsers told "your order is ready".
    tx.execute(
        "UPDATE ratings SET note = NULL
         WHERE order_id IN (SELECT id FROM orders WHERE member_id = ?1)",
        [id],
    )
    .map_err(backend)?;
    tx.execute(
        "DELETE FROM push_subscriptions
         WHERE order_id IN (SELECT id FROM orders WHERE member_id = ?1)",
        [id],
    )
    .map_err(backend)?;
    Ok(())
}

// --- The store's methods: each runs its statements on the writer or a reader.

pub(super) async fn issue_codes(
    store: &SqliteStore,
    codes: Vec<BatchCode>,
) -> Result<u32, StoreError> {
    store.write(move |tx| issue_codes_in(tx, &codes)).await
}

pub(super) async fn redeem_at_counter(
    store: &SqliteStore,
    redemption: CounterRedemption,
) -> Result<(), StoreError> {
    store
        .write(move |tx| redeem_at_counter_in(tx, &redemption))
        .await
}

pub(super) async fn member_order_count(
    store: &SqliteStore,
    member_id: &str,
) -> Result<u32, StoreError> {
    let member = member_id.to_owned();
    store
        .read(move |conn| member_order_count_in(conn, &member))
        .await
}

pub(super) async fn record_visit(
    store: &SqliteStore,
    visit: Visit,
    cap: u32,
) -> Result<bool, StoreError> {
    store
        .write(move |tx| record_visit_in(tx, &visit, cap))
        .await
}

pub(super) async fn coupon_totals(store: &SqliteStore) -> Result<Vec<CouponTotal>, StoreError> {
    store.read(coupon_totals_in).await
}

/// Runs a report or export `query` over `range` on a reader.
async fn over_range<T: Send + 'static>(
    store: &SqliteStore,
    range: &ReportRange,
    query: fn(&Connection, &ReportRange) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let range = range.clone();
    store.read(move |conn| query(conn, &range)).await
}

pub(super) async fn campaign_rows(
    store: &SqliteStore,
    range: &ReportRange,
) -> Result<Vec<CampaignRow>, StoreError> {
    over_range(store, range, campaign_rows_in).await
}

pub(super) async fn dish_sales(
    store: &SqliteStore,
    range: &ReportRange,
) -> Result<Vec<DishRow>, StoreError> {
    over_range(store, range, dish_sales_in).await
}

pub(super) async fn hourly_sales(
    store: &SqliteStore,
    range: &ReportRange,
) -> Result<Vec<HourRow>, StoreError> {
    over_range(store, range, hourly_sales_in).await
}

pub(super) async fn export_orders(
    store: &SqliteStore,
    range: &ReportRange,
) -> Result<Vec<OrderExport>, StoreError> {
    over_range(store, range, export_orders_in).await
}

pub(super) async fn export_members(
    store: &SqliteStore,
    range: &ReportRange,
) -> Result<Vec<MemberExport>, StoreError> {
    over_range(store, range, export_members_in).await
}

pub(super) async fn export_redemptions(
    store: &SqliteStore,
    range: &ReportRange,
) -> Result<Vec<RedemptionExport>, StoreError> {
    over_range(store, range, export_redemptions_in).await
}

pub(super) async fn erase_member(
    store: &SqliteStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = id.to_owned();
    store.write(move |tx| erase_member_in(tx, &id, at)).await
}
