//! Issued codes and redeeming at the counter.
//!
//! - [`new_code`]: unique single-use codes (sign-up welcome codes and printed
//!   batches), from the operating system's RNG, in an alphabet without
//!   look-alikes (no 0/O, 1/I/L), compared without case.
//! - [`issue_batch`]: `carte coupons issue` — a batch stored in one transaction.
//! - `POST /api/staff/redemptions`: staff redeem a code shown on a diner's
//!   phone against the in-store spend. The grant is computed by the catalog's
//!   coupon rules ([`catalog::pricing::counter_grant`]); the store records it
//!   with channel `counter` in one transaction that honours budgets (count and
//!   money), per-member limits and single use — so a code used online cannot
//!   be used at the counter, and the other way round.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::pricing::counter_grant;
use catalog::{CouponKind, CouponRejection, Diner, Minor, Site};
use chrono::{DateTime, Utc};
use rand::TryRngCore;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

use crate::keys;
use crate::limits;
use crate::problem::{ApiError, FieldError, ProblemDoc};
use crate::session::{self, Access};
use crate::state::AppState;
use crate::store::{BatchCode, CounterRedemption, MemberKey, Role, Store, StoreError};

/// The letters and digits codes are made of: no 0/O, no 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of randomness in a code: 12 × log2(31) ≈ 59 bits.
pub const CODE_LENGTH: usize = 12;
/// Most codes one `carte coupons issue` run makes.
pub const MAX_BATCH: u32 = 100_000;

/// Why codes could not be issued.
#[derive(Debug, Error)]
pub enum IssueError {
    #[error("no campaign `{0}`")]
    UnknownCampaign(String),
    #[error("campaign `{campaign}` has no coupon `{coupon}`")]
    UnknownCoupon { campaign: String, coupon: String },
    #[error("campaign `{0}` has several coupons: name one with --coupon")]
    WhichCoupon(String),
    #[error("campaign `{0}` has no coupon to issue codes for")]
    NoCoupon(String),
    #[error("issue between 1 and {MAX_BATCH} codes at a time")]
    BadCount,
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh code of [`CODE_LENGTH`] characters from [`CODE_ALPHABET`], drawn
/// from the operating system's RNG without modulo bias.
pub fn new_code() -> Result<String, IssueError> {
    let n = CODE_ALPHABET.len();
    // The largest multiple of the alphabet's size below 256: bytes above it are redrawn.
    let limit = (256 / n * n) as u8;
    let mut code = String::with_capacity(CODE_LENGTH);
    let mut buf = [0u8; 32];
    while code.len() < CODE_LENGTH {
        rand::rngs::OsRng
            .try_fill_bytes(&mut buf)
            .map_err(|e| IssueError::Random(e.to_string()))?;
        for b in buf {
            if b < limit && code.len() < CODE_LENGTH {
                code.push(char::from(CODE_ALPHABET[usize::from(b) % n]));
            }
        }
    }
    Ok(code)
}

/// A code as typed or scanned: spaces and dashes dropped, upper-cased.
pub fn normalize_code(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Issues `count` unique single-use codes for a coupon of `campaign` and stores
/// them in one transaction. `coupon` may be left out when the campaign has one
/// `batch` coupon (or only one coupon).
pub async fn issue_batch(
    store: &dyn Store,
    site: &Site,
    campaign: &str,
    coupon: Option<&str>,
    count: u32,
    now: DateTime<Utc>,
) -> Result<Vec<BatchCode>, IssueError> {
    if count == 0 || count > MAX_BATCH {
        return Err(IssueError::BadCount);
    }
    let found = site
        .campaign(campaign)
        .ok_or_else(|| IssueError::UnknownCampaign(campaign.to_owned()))?;
    let chosen = match coupon {
        Some(code) => found
            .coupons
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
            .ok_or_else(|| IssueError::UnknownCoupon {
                campaign: campaign.to_owned(),
                coupon: code.to_owned(),
            })?,
        None => {
            let batch: Vec<_> = found
                .coupons
                .iter()
                .filter(|c| c.issue == catalog::Issue::Batch)
                .collect();
            match (batch.as_slice(), found.coupons.as_slice()) {
                ([one], _) => *one,
                ([], [one]) => one,
                ([], []) => return Err(IssueError::NoCoupon(campaign.to_owned())),
                _ => return Err(IssueError::WhichCoupon(campaign.to_owned())),
            }
        }
    };
    let batch = keys::new_id("batch");
    let mut seen = std::collections::HashSet::new();
    let mut codes = Vec::with_capacity(count as usize);
    while codes.len() < count as usize {
        let code = new_code()?;
        if seen.insert(code.clone()) {
            codes.push(BatchCode {
                code,
                coupon: chosen.code.clone(),
                campaign: found.id.clone(),
                batch: batch.clone(),
                created_at: now,
            });
        }
    }
    store.issue_codes(codes.clone()).await?;
    Ok(codes)
}

/// A code shown at the counter.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionRequest {
    /// A shared coupon code or an issued single-use code (any case; spaces and dashes ignored).
    pub code: String,
    /// The location redeeming it.
    pub location: String,
    /// The in-store spend, in minor units (fen for CNY).
    pub amount: Minor,
    /// The member showing a membership, for members-only coupons and per-member limits.
    #[serde(default)]
    pub member_id: Option<String>,
}

/// What the code grants, now recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RedemptionResponse {
    pub id: String,
    pub coupon: String,
    pub campaign: String,
    pub channel: &'static str,
    /// The spend, minor units.
    pub amount: Minor,
    /// Taken off the spend, minor units.
    pub discount: Minor,
    /// What the diner pays, minor units.
    pub to_pay: Minor,
    /// The same three as decimal text in the site currency, for the screen.
    pub display: Display,
    /// A dish to hand over for free.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_dish: Option<String>,
    /// For a buy-x-get-y coupon: the rule to apply at the till.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rule: Option<CouponKind>,
}

/// Money as text in the site currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Display {
    pub currency: String,
    pub amount: String,
    pub discount: String,
    pub to_pay: String,
}

/// Redeems a code at the counter: computes what it grants on the spend and
/// records it (channel `counter`) within budgets, limits and single use.
#[utoipa::path(
    post,
    path = "/api/staff/redemptions",
    tag = "staff",
    request_body = RedemptionRequest,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Redeemed: what it grants", body = RedemptionResponse),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`coupon-rejected` (unknown, used, budget, limits, rules) or `validation-failed`", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = session::authorize(&state, &headers, Role::Staff, Access::Change).await?;
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: RedemptionRequest = limits::parse_json(&bytes)?;
    let catalog = state.catalog();
    let site = &catalog.site;
    let mut errors = Vec::new();
    limits::check_text(&mut errors, "code", &request.code, limits::MAX_COUPON);
    limits::check_text(&mut errors, "location", &request.location, limits::MAX_ID);
    limits::check_opt_text(
        &mut errors,
        "member_id",
        request.member_id.as_deref(),
        limits::MAX_ID,
    );
    if site.location(&request.location).is_none() {
        errors.push(FieldError::new("location", "no location with this id"));
    }
    if !(0..=catalog::money::MAX_AMOUNT).contains(&request.amount) {
        errors.push(FieldError::new(
            "amount",
            "the spend in minor units, 0 or more",
        ));
    }
    limits::finish(errors)?;
    let typed = request.code.trim().to_uppercase();
    let rejected = |reason: CouponRejection| ApiError::CouponRejected {
        code: typed.clone(),
        reason,
    };
    // A shared code by its content code; otherwise an issued single-use code.
    let (coupon, issued) = match site.coupon(&typed) {
        Some((_, coupon)) if coupon.uses_issued_codes() => {
            return Err(rejected(CouponRejection::MembersOnly))
        }
        Some((_, coupon)) => (coupon.clone(), None),
        None => {
            // As typed first (welcome codes carry a dash), then without spaces and dashes.
            let issued = match state.store.find_issued_code(&typed).await? {
                Some(found) => Some(found),
                None => {
                    state
                        .store
                        .find_issued_code(&normalize_code(&typed))
                        .await?
                }
            }
            .ok_or_else(|| rejected(CouponRejection::Unknown))?;
            if issued.used_by.is_some() {
                return Err(rejected(CouponRejection::AlreadyUsed));
            }
            let (_, coupon) = site
                .coupon(&issued.coupon)
                .ok_or_else(|| rejected(CouponRejection::Unknown))?;
            (coupon.clone(), Some(issued))
        }
    };
    let campaign = site
        .coupon(&coupon.code)
        .map(|(c, _)| c.id.clone())
        .unwrap_or_default();
    let member = issued
        .as_ref()
        .map(|i| i.member_id.clone())
        .filter(|m| !m.is_empty())
        .or_else(|| request.member_id.clone());
    let diner = match &member {
        None => Diner::default(),
        Some(id) => {
            if state
                .store
                .find_member(MemberKey::Id(id.clone()))
                .await?
                .is_none()
            {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "member_id",
                    "no member with this id",
                )]));
            }
            Diner {
                member: true,
                first_order: state.store.member_order_count(id).await? == 0,
            }
        }
    };
    let now = state.now();
    let grant = counter_grant(
        site,
        &coupon,
        &request.location,
        request.amount,
        now,
        &diner,
    )
    .map_err(rejected)?;
    if coupon.per_member.is_some() && member.is_none() {
        return Err(rejected(CouponRejection::MembersOnly));
    }
    let id = keys::new_id("red");
    state
        .store
        .redeem_at_counter(CounterRedemption {
            id: id.clone(),
            coupon: coupon.code.clone(),
            campaign: campaign.clone(),
            location: request.location.clone(),
            member_id: member,
            issued_code: issued.map(|i| i.code),
            amount: request.amount,
            discount: grant.discount,
            budget: coupon.budget,
            budget_amount: coupon.budget_amount,
            per_member: coupon.per_member,
            by: caller.who(),
            at: now,
        })
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::CouponRejected { reason, .. } => rejected(reason),
            other => other,
        })?;
    let currency = &site.settings.currency;
    let response = RedemptionResponse {
        id,
        coupon: coupon.code.clone(),
        campaign,
        channel: "counter",
        amount: request.amount,
        discount: grant.discount,
        to_pay: grant.to_pay,
        display: Display {
            currency: currency.code.clone(),
            amount: currency.format(request.amount),
            discount: currency.format(grant.discount),
            to_pay: currency.format(grant.to_pay),
        },
        free_dish: grant.free_dish,
        rule: grant.rule,
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_avoid_look_alikes_and_are_long_enough() {
        for _ in 0..200 {
            let code = new_code().expect("rng");
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        }
        let bits = CODE_LENGTH as f64 * (CODE_ALPHABET.len() as f64).log2();
        assert!(bits >= 50.0, "{bits}");
    }

    #[test]
    fn codes_are_read_without_case_spaces_or_dashes() {
        assert_eq!(normalize_code(" abcd-efgh 2345 "), "ABCDEFGH2345");
    }
}
