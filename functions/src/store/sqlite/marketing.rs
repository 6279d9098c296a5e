//! The marketing half of the SQLite store: coupon limits shared by orders and
//! counter redemptions, batch codes, visit counts, and the report and export
//! queries (aggregated in SQL).

use std::collections::BTreeMap;

use catalog::Minor;
use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{backend, count, parse_opt_ts, parse_ts, ts};
use crate::store::{
    BatchCode, CampaignRow, CounterRedemption, CouponTotal, DishRow, HourRow, MemberExport,
    NewOrder, OrderExport, RedemptionClaim, RedemptionExport, ReportRange, StoreError, Touch,
    Visit,
};

/// Schema migration 3.
pub(super) const MIGRATION: &str = "
    ALTER TABLE orders ADD COLUMN first_touch TEXT;
    ALTER TABLE orders ADD COLUMN last_touch TEXT;
    CREATE INDEX orders_by_campaign ON orders(campaign, placed_at);
    CREATE INDEX orders_by_placed ON orders(placed_at);
    ALTER TABLE members ADD COLUMN erased_at TEXT;
    CREATE TABLE redemptions_v3 (
        id TEXT PRIMARY KEY,
        order_id TEXT UNIQUE REFERENCES orders(id),
        source TEXT NOT NULL,
        coupon TEXT NOT NULL,
        campaign TEXT NOT NULL,
        channel TEXT,
        location TEXT,
        member_id TEXT,
        issued_code TEXT,
        amount INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        by_label TEXT,
        at TEXT NOT NULL
    );
    INSERT INTO redemptions_v3
        (id, order_id, source, coupon, campaign, channel, location, member_id, issued_code,
         amount, discount, at)
        SELECT r.order_id, r.order_id, 'online', r.coupon, r.campaign,
               CASE WHEN o.campaign = r.campaign THEN o.channel END, o.location,
               r.member_id, r.issued_code, COALESCE(o.total, 0), r.discount, r.at
        FROM redemptions r LEFT JOIN orders o ON o.id = r.order_id;
    DROP TABLE redemptions;
    ALTER TABLE redemptions_v3 RENAME TO redemptions;
    CREATE INDEX redemptions_by_coupon ON redemptions(coupon, member_id);
    CREATE INDEX redemptions_by_at ON redemptions(at);
    CREATE TABLE issued_codes_v3 (
        code TEXT PRIMARY KEY COLLATE NOCASE,
        coupon TEXT NOT NULL,
        member_id TEXT REFERENCES members(id),
        used_by TEXT,
        campaign TEXT,
        batch TEXT,
        created_at TEXT,
        used_at TEXT,
        used_via TEXT
    );
    INSERT INTO issued_codes_v3 (code, coupon, member_id, used_by)
        SELECT code, coupon, member_id, used_by FROM issued_codes;
    DROP TABLE issued_codes;
    ALTER TABLE issued_codes_v3 RENAME TO issued_codes;
    CREATE TABLE visits (
        day TEXT NOT NULL,
        campaign TEXT NOT NULL,
        channel TEXT NOT NULL,
        location TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, campaign, channel, location)
    );";

/// What a redemption must stay within.
pub(super) struct Limits<'a> {
    pub coupon: &'a str,
    pub discount: Minor,
    pub budget: Option<u32>,
    pub budget_amount: Option<Minor>,
    pub per_member: Option<u32>,
    pub member: Option<&'a str>,
    pub issued_code: Option<&'a str>,
}

/// Checks budgets (count and money), the per-member limit and single use,
/// inside the caller's write transaction.
pub(super) fn check_claim(tx: &Connection, limits: &Limits<'_>) -> Result<(), StoreError> {
    if limits.budget.is_some() || limits.budget_amount.is_some() {
        let (used, given): (i64, i64) = tx
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(discount), 0) FROM redemptions WHERE coupon = ?1",
                [limits.coupon],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(backend)?;
        if limits.budget.is_some_and(|b| used >= i64::from(b)) {
            return Err(StoreError::BudgetExhausted);
        }
        if limits
            .budget_amount
            .is_some_and(|cap| given.saturating_add(limits.discount) > cap)
        {
            return Err(StoreError::BudgetExhausted);
        }
    }
    if let Some(limit) = limits.per_member {
        // A per-member limit only means something for a known member;
        // the caller refuses such coupons for anonymous diners.
        let member = limits.member.ok_or(StoreError::PerMemberLimit)?;
        let used = count(
            tx,
            "SELECT COUNT(*) FROM redemptions WHERE coupon = ?1 AND member_id = ?2",
            params![limits.coupon, member],
        )?;
        if used >= limit {
            return Err(StoreError::PerMemberLimit);
        }
    }
    if let Some(code) = limits.issued_code {
        let used_by: Option<Option<String>> = tx
            .query_row(
                "SELECT used_by FROM issued_codes WHERE code = ?1 AND coupon = ?2",
                params![code, limits.coupon],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        match used_by {
            None => return Err(StoreError::NotFound),
            Some(Some(_)) => return Err(StoreError::CodeAlreadyUsed),
            Some(None) => {}
        }
    }
    Ok(())
}

fn mark_used(
    tx: &Connection,
    code: &str,
    by: &str,
    via: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE issued_codes SET used_by = ?1, used_at = ?2, used_via = ?3 WHERE code = ?4",
        params![by, ts(at), via, code],
    )
    .map_err(backend)?;
    Ok(())
}

/// Records an order's redemption (after [`check_claim`]).
pub(super) fn record_online(
    tx: &Connection,
    order: &NewOrder,
    claim: &RedemptionClaim,
) -> Result<(), StoreError> {
    // The channel counts only when the diner came through the coupon's own campaign.
    let channel = order
        .attribution
        .as_ref()
        .filter(|a| a.campaign == claim.campaign)
        .map(|a| a.channel.clone());
    tx.execute(
        "INSERT INTO redemptions (id, order_id, source, coupon, campaign, channel, location,
             member_id, issued_code, amount, discount, at)
         VALUES (?1, ?1, 'online', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            order.id,
            claim.coupon,
            claim.campaign,
            channel,
            order.location,
            order.member_id,
            claim.issued_code,
            order.quote.total,
            claim.discount,
            ts(order.placed_at)
        ],
    )
    .map_err(backend)?;
    if let Some(code) = &claim.issued_code {
        mark_used(tx, code, &order.id, "online", order.placed_at)?;
    }
    Ok(())
}

fn touch_json(touch: &Option<Touch>) -> Result<Option<String>, StoreError> {
    touch
        .as_ref()
        .map(|t| serde_json::to_string(t).map_err(backend))
        .transpose()
}

/// Stores the order's first and last campaign touches.
pub(super) fn record_touches(tx: &Connection, order: &NewOrder) -> Result<(), StoreError> {
    if order.touches.first.is_none() && order.touches.last.is_none() {
        return Ok(());
    }
    tx.execute(
        "UPDATE orders SET first_touch = ?1, last_touch = ?2 WHERE id = ?3",
        params![
            touch_json(&order.touches.first)?,
            touch_json(&order.touches.last)?,
            order.id
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// Stores a batch of codes, all or none.
pub(super) fn issue_codes(tx: &Connection, codes: &[BatchCode]) -> Result<u32, StoreError> {
    let mut stmt = tx
        .prepare(
            "INSERT INTO issued_codes (code, coupon, member_id, campaign, batch, created_at)
             VALUES (?1, ?2, NULL, ?3, ?4, ?5)",
        )
        .map_err(backend)?;
    for code in codes {
        stmt.execute(params![
            code.code,
            code.coupon,
            code.campaign,
            code.batch,
            ts(code.created_at)
        ])
        .map_err(|e| StoreError::Backend(format!("code {} not stored: {e}", code.code)))?;
    }
    u32::try_from(codes.len()).map_err(backend)
}

/// Checks and records a counter redemption.
pub(super) fn redeem_at_counter(tx: &Connection, r: &CounterRedemption) -> Result<(), StoreError> {
    if let Some(member) = &r.member_id {
        if count(tx, "SELECT COUNT(*) FROM members WHERE id = ?1", [member])? == 0 {
            return Err(StoreError::UnknownMember);
        }
    }
    check_claim(
        tx,
        &Limits {
            coupon: &r.coupon,
            discount: r.discount,
            budget: r.budget,
            budget_amount: r.budget_amount,
            per_member: r.per_member,
            member: r.member_id.as_deref(),
            issued_code: r.issued_code.as_deref(),
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
        mark_used(tx, code, &r.id, "counter", r.at)?;
    }
    Ok(())
}

/// Counts a visit unless the day's cap is reached.
pub(super) fn record_visit(tx: &Connection, visit: &Visit, cap: u32) -> Result<bool, StoreError> {
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

pub(super) fn member_order_count(conn: &Connection, member: &str) -> Result<u32, StoreError> {
    count(
        conn,
        "SELECT COUNT(*) FROM orders WHERE member_id = ?1",
        [member],
    )
}

pub(super) fn coupon_totals(conn: &Connection) -> Result<Vec<CouponTotal>, StoreError> {
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

pub(super) fn campaign_rows(
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
                     THEN o.member_id END),
                 SUM(CASE WHEN NOT EXISTS (
                     SELECT 1 FROM orders p WHERE p.member_id = o.member_id
                         AND (p.placed_at < o.placed_at
                              OR (p.placed_at = o.placed_at AND p.rowid < o.rowid)))
                     THEN 1 ELSE 0 END)
             FROM orders o WHERE o.member_id IS NOT NULL AND o.campaign IS NOT NULL
                 AND o.channel IS NOT NULL AND o.status != 'cancelled'
                 AND o.placed_at >= ?1 AND o.placed_at < ?2 AND (?3 IS NULL OR o.location = ?3)
             GROUP BY 1, 2, 3",
        params![start, end, location],
        &mut rows,
        |row, r| {
            row.members = u64_of(r.get(3)?);
            row.repeat_members = u64_of(r.get(4)?);
            row.new_members = u64_of(r.get(5)?);
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

pub(super) fn dish_sales(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<DishRow>, StoreError> {
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

pub(super) fn hourly_sales(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<HourRow>, StoreError> {
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

pub(super) fn export_orders(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<OrderExport>, StoreError> {
    let (start, end, location) = range_params(range);
    let mut stmt = conn
        .prepare(&format!(
            "SELECT id, number, location, status, placed_at,
                 json_extract(cart, '$.fulfilment.mode'),
                 (SELECT COALESCE(SUM(json_extract(value, '$.quantity')), 0)
                  FROM json_each(quote, '$.lines')),
                 json_extract(quote, '$.subtotal'), json_extract(quote, '$.discount'),
                 json_extract(quote, '$.service_charge'), json_extract(quote, '$.tax'), total,
                 coupon, campaign, channel, first_touch, last_touch, member_id
             FROM orders WHERE {IN_RANGE} ORDER BY placed_at, rowid"
        ))
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![start, end, location], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ),
                (
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, i64>(9)?,
                    r.get::<_, i64>(10)?,
                    r.get::<_, i64>(11)?,
                ),
                (
                    r.get::<_, Option<String>>(12)?,
                    r.get::<_, Option<String>>(13)?,
                    r.get::<_, Option<String>>(14)?,
                    r.get::<_, Option<String>>(15)?,
                    r.get::<_, Option<String>>(16)?,
                    r.get::<_, Option<String>>(17)?,
                ),
            ))
        })
        .map_err(backend)?;
    rows.map(|row| {
        let (
            (id, number, location, status, placed_at, fulfilment),
            (items, subtotal, discount, service_charge, tax, total),
            (coupon, campaign, channel, first, last, member_id),
        ) = row.map_err(backend)?;
        Ok(OrderExport {
            id,
            number,
            location,
            status,
            placed_at: parse_ts(&placed_at)?,
            fulfilment: fulfilment.unwrap_or_default(),
            items: u64_of(items),
            subtotal,
            discount,
            service_charge,
            tax,
            total,
            coupon,
            campaign,
            channel,
            first_touch: touch_text(first),
            last_touch: touch_text(last),
            member_id,
        })
    })
    .collect()
}

pub(super) fn export_members(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<MemberExport>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT m.id, m.phone, m.email, m.name, m.consent_at, m.created_at, m.erased_at,
                 (SELECT COUNT(*) FROM orders o WHERE o.member_id = m.id AND o.status != 'cancelled'),
                 (SELECT COALESCE(SUM(total), 0) FROM orders o
                  WHERE o.member_id = m.id AND o.status != 'cancelled')
             FROM members m WHERE m.created_at >= ?1 AND m.created_at < ?2
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM orders o WHERE o.member_id = m.id AND o.location = ?3))
             ORDER BY m.created_at, m.id",
        )
        .map_err(backend)?;
    let (start, end, location) = range_params(range);
    let rows = stmt
        .query_map(params![start, end, location], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ),
                (
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ),
                (r.get::<_, i64>(7)?, r.get::<_, i64>(8)?),
            ))
        })
        .map_err(backend)?;
    rows.map(|row| {
        let ((id, phone, email, name), (consent, created, erased), (orders, spent)) =
            row.map_err(backend)?;
        Ok(MemberExport {
            id,
            phone,
            email,
            name,
            consent_at: parse_ts(&consent)?,
            created_at: parse_ts(&created)?,
            erased_at: parse_opt_ts(erased)?,
            orders: u64_of(orders),
            spent,
        })
    })
    .collect()
}

pub(super) fn export_redemptions(
    conn: &Connection,
    range: &ReportRange,
) -> Result<Vec<RedemptionExport>, StoreError> {
    let (start, end, location) = range_params(range);
    let mut stmt = conn
        .prepare(
            "SELECT id, at, source, coupon, campaign, channel, location, order_id, member_id,
                 issued_code, amount, discount
             FROM redemptions WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR location = ?3)
             ORDER BY at, id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![start, end, location], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ),
                (
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ),
                (r.get::<_, i64>(10)?, r.get::<_, i64>(11)?),
            ))
        })
        .map_err(backend)?;
    rows.map(|row| {
        let (
            (id, at, source, coupon, campaign),
            (channel, location, order_id, member_id, issued_code),
            (amount, discount),
        ) = row.map_err(backend)?;
        Ok(RedemptionExport {
            id,
            at: parse_ts(&at)?,
            source,
            coupon,
            campaign,
            channel,
            location,
            order_id,
            member_id,
            issued_code,
            amount,
            discount,
        })
    })
    .collect()
}

pub(super) fn erase_member(tx: &Connection, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
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
    Ok(())
}
