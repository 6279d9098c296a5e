//! Orders: placing one in a single write (idempotency key, member check,
//! coupon limits, pickup slot, order number), answering a retry, the
//! kitchen's queue, status changes and linking to a member.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{backend, count, coupons, members, parse_opt_ts, ts, SqliteStore};
use crate::store::{
    Attribution, MemberKey, NewOrder, Order, OrderStatus, Placed, RedemptionClaim, StatusChange,
    StatusTimes, StoreError, Touch,
};

pub(super) const ORDER_COLUMNS: &str =
    "id, number, location, status, cart, quote, note, name, member_id,
    campaign, channel, coupon, slot, token_hash, times, history";

pub(super) fn order_from_row(row: &Row<'_>) -> rusqlite::Result<RawOrder> {
    Ok(RawOrder {
        id: row.get(0)?,
        number: row.get(1)?,
        location: row.get(2)?,
        status: row.get(3)?,
        cart: row.get(4)?,
        quote: row.get(5)?,
        note: row.get(6)?,
        name: row.get(7)?,
        member_id: row.get(8)?,
        campaign: row.get(9)?,
        channel: row.get(10)?,
        coupon: row.get(11)?,
        slot: row.get(12)?,
        token_hash: row.get(13)?,
        times: row.get(14)?,
        history: row.get(15)?,
    })
}

/// An order row before its JSON and enum columns are decoded.
pub(super) struct RawOrder {
    id: String,
    number: String,
    location: String,
    status: String,
    cart: String,
    quote: String,
    note: Option<String>,
    name: Option<String>,
    member_id: Option<String>,
    campaign: Option<String>,
    channel: Option<String>,
    coupon: Option<String>,
    slot: Option<String>,
    token_hash: String,
    times: String,
    history: String,
}

impl RawOrder {
    pub(super) fn decode(self) -> Result<Order, StoreError> {
        let status = OrderStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Backend(format!("unknown status `{}`", self.status)))?;
        let attribution = match (self.campaign, self.channel) {
            (Some(campaign), Some(channel)) => Some(Attribution { campaign, channel }),
            _ => None,
        };
        Ok(Order {
            id: self.id,
            number: self.number,
            location: self.location,
            status,
            cart: serde_json::from_str(&self.cart).map_err(backend)?,
            quote: serde_json::from_str(&self.quote).map_err(backend)?,
            note: self.note,
            name: self.name,
            member_id: self.member_id,
            attribution,
            coupon: self.coupon,
            slot: parse_opt_ts(self.slot)?,
            times: serde_json::from_str(&self.times).map_err(backend)?,
            history: serde_json::from_str(&self.history).map_err(backend)?,
            token_hash: self.token_hash,
        })
    }
}

fn load_order(conn: &Connection, id: &str) -> Result<Order, StoreError> {
    conn.query_row(
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"),
        [id],
        order_from_row,
    )
    .optional()
    .map_err(backend)?
    .ok_or(StoreError::NotFound)?
    .decode()
}

/// Seconds since the Unix epoch: how idempotency records expire, as DynamoDB's TTL
/// attribute does.
fn epoch_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The order an idempotency key placed, read on `conn`: `None` when the key is
/// unknown, expired at `now` (epoch seconds) or its order was cancelled (the key is
/// free again).
fn replay_in(
    conn: &Connection,
    key_hash: &str,
    request_hash: &str,
    now: i64,
) -> Result<Option<Placed>, StoreError> {
    let previous: Option<(String, String, String)> = conn
        .query_row(
            "SELECT request_hash, order_id, sealed_token FROM idempotency
             WHERE key_hash = ?1 AND expires_at >= ?2",
            params![key_hash, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(backend)?;
    let Some((stored_hash, order_id, sealed_token)) = previous else {
        return Ok(None);
    };
    let order = load_order(conn, &order_id)?;
    if order.status == OrderStatus::Cancelled {
        return Ok(None);
    }
    if stored_hash != request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    Ok(Some(Placed {
        order,
        created: false,
        sealed_token,
    }))
}

/// Places an order inside the writer's transaction `tx`; its idempotency record
/// expires `ttl` from now.
fn place_in(tx: &Connection, order: NewOrder, ttl: Duration) -> Result<Placed, StoreError> {
    let now = SystemTime::now();
    let now_secs = epoch_seconds(now);
    // Expired keys go here, as DynamoDB's TTL removes them there (an indexed range).
    tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", [now_secs])
        .map_err(backend)?;
    if let Some(placed) = replay_in(
        tx,
        &order.idempotency_key_hash,
        &order.request_hash,
        now_secs,
    )? {
        return Ok(placed);
    }
    if let Some(member) = &order.member_id {
        let known = count(tx, "SELECT COUNT(*) FROM members WHERE id = ?1", [member])?;
        if known == 0 {
            return Err(StoreError::UnknownMember);
        }
    }
    if let Some(claim) = &order.redemption {
        coupons::check_claim(
            tx,
            &coupons::Limits {
                coupon: &claim.coupon,
                discount: claim.discount,
                budget: claim.budget,
                budget_amount: claim.budget_amount,
                per_member: claim.per_member,
                member: order.member_id.as_deref(),
                issued_code: claim.issued_code.as_deref(),
                first_order_only: claim.first_order_only,
            },
        )?;
    }
    if let Some(slot) = &order.slot {
        let taken = count(
            tx,
            "SELECT COUNT(*) FROM orders WHERE location = ?1 AND slot = ?2 AND status != 'cancelled'",
            params![order.location, ts(slot.start)],
        )?;
        if taken >= slot.capacity {
            return Err(StoreError::SlotFull);
        }
    }
    let day = order.local_day.to_string();
    let last: i64 = tx
        .query_row(
            "INSERT INTO order_counters (location, day, last) VALUES (?1, ?2, 1)
             ON CONFLICT (location, day) DO UPDATE SET last = last + 1
             RETURNING last",
            params![order.location, day],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let number = format!("{}-{last:03}", order.order_prefix);
    let mut times = StatusTimes::default();
    times.set(OrderStatus::Received, order.placed_at);
    let history = vec![StatusChange {
        status: OrderStatus::Received,
        at: order.placed_at,
        by: "diner".to_owned(),
        reason: None,
    }];
    let coupon = order.redemption.as_ref().map(|c| c.coupon.clone());
    tx.execute(
        &format!(
            "INSERT INTO orders ({ORDER_COLUMNS}, total, placed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
        ),
        params![
            order.id,
            number,
            order.location,
            OrderStatus::Received.as_str(),
            serde_json::to_string(&order.cart).map_err(backend)?,
            serde_json::to_string(&order.quote).map_err(backend)?,
            order.note,
            order.name,
            order.member_id,
            order.attribution.as_ref().map(|a| a.campaign.clone()),
            order.attribution.as_ref().map(|a| a.channel.clone()),
            coupon,
            order.slot.map(|s| ts(s.start)),
            order.token_hash,
            serde_json::to_string(&times).map_err(backend)?,
            serde_json::to_string(&history).map_err(backend)?,
            order.quote.total,
            ts(order.placed_at),
        ],
    )
    .map_err(backend)?;
    if let Some(claim) = &order.redemption {
        record_online(tx, &order, claim)?;
    }
    record_touches(tx, &order)?;
    // The key's record, or the one of its cancelled order replaced (see `replay_in`).
    tx.execute(
        "INSERT INTO idempotency (key_hash, request_hash, order_id, sealed_token, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (key_hash) DO UPDATE SET request_hash = excluded.request_hash,
             order_id = excluded.order_id, sealed_token = excluded.sealed_token,
             expires_at = excluded.expires_at",
        params![
            order.idempotency_key_hash,
            order.request_hash,
            order.id,
            order.sealed_token,
            epoch_seconds(now + ttl)
        ],
    )
    .map_err(backend)?;
    Ok(Placed {
        order: load_order(tx, &order.id)?,
        created: true,
        sealed_token: order.sealed_token,
    })
}

/// Records an order's redemption (after [`coupons::check_claim`]).
fn record_online(
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
        coupons::mark_used(tx, code, &order.id, "online", order.placed_at)?;
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
fn record_touches(tx: &Connection, order: &NewOrder) -> Result<(), StoreError> {
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

pub(super) async fn place(store: &SqliteStore, order: NewOrder) -> Result<Placed, StoreError> {
    let ttl = store.idempotency_ttl;
    store.write(move |tx| place_in(tx, order, ttl)).await
}

pub(super) async fn replay(
    store: &SqliteStore,
    idempotency_key_hash: &str,
    request_hash: &str,
) -> Result<Option<Placed>, StoreError> {
    let key_hash = idempotency_key_hash.to_owned();
    let request_hash = request_hash.to_owned();
    store
        .read(move |conn| {
            replay_in(
                conn,
                &key_hash,
                &request_hash,
                epoch_seconds(SystemTime::now()),
            )
        })
        .await
}

pub(super) async fn get(store: &SqliteStore, id: &str) -> Result<Order, StoreError> {
    let id = id.to_owned();
    store.read(move |conn| load_order(conn, &id)).await
}

pub(super) async fn queue(
    store: &SqliteStore,
    location: &str,
    statuses: &[OrderStatus],
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let location = location.to_owned();
    let statuses: Vec<&'static str> = statuses.iter().map(|s| s.as_str()).collect();
    store
        .read(move |conn| {
            let filter = if statuses.is_empty() {
                String::new()
            } else {
                // Only the fixed status names are spliced in, never request text.
                let list: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
                format!("AND status IN ({})", list.join(", "))
            };
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE location = ?1 {filter}
                 ORDER BY placed_at DESC, rowid DESC LIMIT ?2"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![location, limit], order_from_row)
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(RawOrder::decode))
                .collect()
        })
        .await
}

pub(super) async fn set_status(
    store: &SqliteStore,
    id: &str,
    to: OrderStatus,
    by: &str,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Result<Order, StoreError> {
    let id = id.to_owned();
    let by = by.to_owned();
    store
        .write(move |tx| {
            let mut order = load_order(tx, &id)?;
            if !order.status.can_become(to) {
                return Err(StoreError::InvalidTransition {
                    from: order.status,
                    to,
                });
            }
            order.status = to;
            order.times.set(to, at);
            order.history.push(StatusChange {
                status: to,
                at,
                by,
                reason,
            });
            tx.execute(
                "UPDATE orders SET status = ?1, times = ?2, history = ?3 WHERE id = ?4",
                params![
                    to.as_str(),
                    serde_json::to_string(&order.times).map_err(backend)?,
                    serde_json::to_string(&order.history).map_err(backend)?,
                    id
                ],
            )
            .map_err(backend)?;
            if to == OrderStatus::Cancelled {
                return_redemption(tx, &id, at)?;
            }
            Ok(order)
        })
        .await
}

/// Gives a cancelled order's coupon redemption back: the budget (count and money) and
/// the member's allowance count it no more, its single-use code can be used again,
/// and the redemption moves to `returned_redemptions` with the time it was returned.
/// The order keeps its coupon and discount as placed. (Its pickup-slot place is free
/// already: a slot counts the orders not cancelled.)
fn return_redemption(tx: &Connection, order_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let moved = tx
        .execute(
            "INSERT INTO returned_redemptions
                 (id, order_id, source, coupon, campaign, channel, location, member_id,
                  issued_code, amount, discount, by_label, at, returned_at)
             SELECT id, order_id, source, coupon, campaign, channel, location, member_id,
                    issued_code, amount, discount, by_label, at, ?2
             FROM redemptions WHERE order_id = ?1",
            params![order_id, ts(at)],
        )
        .map_err(backend)?;
    if moved == 0 {
        return Ok(());
    }
    tx.execute("DELETE FROM redemptions WHERE order_id = ?1", [order_id])
        .map_err(backend)?;
    tx.execute(
        "UPDATE issued_codes SET used_by = NULL, used_at = NULL, used_via = NULL
         WHERE used_by = ?1",
        [order_id],
    )
    .map_err(backend)?;
    Ok(())
}

pub(super) async fn link(
    store: &SqliteStore,
    order_id: &str,
    member_id: &str,
) -> Result<(), StoreError> {
    let order_id = order_id.to_owned();
    let member_id = member_id.to_owned();
    store
        .write(move |tx| {
            if members::find_in(tx, &MemberKey::Id(member_id.clone()))?.is_none() {
                return Err(StoreError::UnknownMember);
            }
            let changed = tx
                .execute(
                    "UPDATE orders SET member_id = ?1 WHERE id = ?2 AND member_id IS NULL",
                    params![member_id, order_id],
                )
                .map_err(backend)?;
            if changed == 0 {
                // Either no such order, or it belongs to a member already: say nothing more.
                let exists = count(tx, "SELECT COUNT(*) FROM orders WHERE id = ?1", [&order_id])?;
                if exists == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            Ok(())
        })
        .await
}
