//! Coupon limits and counts: the budget (count and money), per-member and
//! single-use checks shared by orders and counter redemptions, and the
//! redemption counts reports read.

use catalog::Minor;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{backend, count, ts, SqliteStore};
use crate::store::StoreError;

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

/// Marks a single-use code used by an order or counter redemption (`by`),
/// online or at the counter (`via`).
pub(super) fn mark_used(
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

pub(super) async fn redemption_count(store: &SqliteStore, coupon: &str) -> Result<u32, StoreError> {
    let coupon = coupon.to_owned();
    store
        .read(move |conn| {
            count(
                conn,
                "SELECT COUNT(*) FROM redemptions WHERE coupon = ?1",
                [coupon],
            )
        })
        .await
}

pub(super) async fn member_redemption_count(
    store: &SqliteStore,
    coupon: &str,
    member_id: &str,
) -> Result<u32, StoreError> {
    let coupon = coupon.to_owned();
    let member_id = member_id.to_owned();
    store
        .read(move |conn| {
            count(
                conn,
                "SELECT COUNT(*) FROM redemptions WHERE coupon = ?1 AND member_id = ?2",
                [coupon, member_id],
            )
        })
        .await
}

pub(super) async fn redemption_counts(
    store: &SqliteStore,
) -> Result<Vec<(String, u32)>, StoreError> {
    store
        .read(|conn| {
            let mut stmt = conn
                .prepare("SELECT coupon, COUNT(*) FROM redemptions GROUP BY coupon ORDER BY coupon")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(backend)?;
            rows.map(|r| {
                let (coupon, n) = r.map_err(backend)?;
                Ok((coupon, u32::try_from(n).map_err(backend)?))
            })
            .collect()
        })
        .await
}
