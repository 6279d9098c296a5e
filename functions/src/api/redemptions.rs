//! `POST /api/staff/redemptions`: staff redeem a code shown on a diner's phone
//! against the in-store spend. The grant is computed by the catalog's coupon rules
//! ([`catalog::pricing::counter_grant`]); the store records it with channel
//! `counter` in one transaction that honours budgets (count and money), per-member
//! limits and single use — so a code used online cannot be used at the counter, and
//! the other way round.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::pricing::{counter_grant, issued_code_refusal};
use catalog::{CouponKind, CouponRejection, Diner, Minor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{self, Access};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::codes::normalize_code;
use crate::keys;
use crate::state::AppState;
use crate::store::{CounterRedemption, MemberKey, Role};

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
    let caller = auth::authorize(&state, &headers, Role::Staff, Access::Change).await?;
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
            return Err(rejected(
                catalog::pricing::own_code_refusal(coupon).unwrap_or(CouponRejection::MembersOnly),
            ))
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
    // The member staff name; without one, a welcome code shown on a phone stands
    // for the member it was issued to.
    let member = request.member_id.clone().or_else(|| {
        issued
            .as_ref()
            .map(|i| i.member_id.clone())
            .filter(|m| !m.is_empty())
    });
    if let Some(reason) = issued
        .as_ref()
        .and_then(|i| issued_code_refusal(&i.member_id, member.as_deref()))
    {
        return Err(rejected(reason));
    }
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
            // Read here for a quick answer, as online; the store decides it again
            // inside the redemption's transaction (`first_order_only` below), so an
            // order placed in between cannot slip past it.
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
    if coupon.per_member_limit().is_some() && member.is_none() {
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
            per_member: coupon.per_member_limit(),
            first_order_only: coupon.first_order_only,
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
