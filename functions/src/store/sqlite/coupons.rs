//! Coupon limits and counts: the budget (count and money), per-member and
//! single-use checks shared by orders and counter redemptions, and the
//! redemption counts reports read.

use catalog::pricing::issued_code_refusal;
use catalog::{CouponRejection, Minor};
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
    /// Only a member without any order (cancelled ones included) may redeem it.
    pub first_order_only: bool,
}

/// Checks budgets (count and money), the per-member limit, a first-order
/// coupon, single use and who an issued code belongs to, inside the caller's
/// write transaction.
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
    if limits.first_order_only {
        // Counted here, in the writer's transaction, so two first orders of one
        // member placed at once cannot both be the first.
        let member = limits
            .member
            .ok_or(StoreError::CouponRefused(CouponRejection::MembersOnly))?;
        let orders = count(
            tx,
            "SELECT COUNT(*) FROM orders WHERE member_id = ?1",
            [member],
        )?;
        if orders > 0 {
            return Err(StoreError::CouponRefused(CouponRejection::FirstOrderOnly));
        }
    }
    if let Some(code) = limits.issued_code {
        let found: Option<(Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT used_by, member_id FROM issued_codes WHERE code = ?1 AND coupon = ?2",
                params![code, limits.coupon],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend)?;
        match found {
            None => return Err(StoreError::NotFound),
            Some((Some(_), _)) => return Err(StoreError::CodeAlreadyUsed),
            Some((None, holder)) => {
                if let Some(reason) =
                    issued_code_refusal(holder.as_deref().unwrap_or_default(), limits.member)
                {
                    return Err(StoreError::CouponRefused(reason));
                }
            }
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
