//! `POST /api/quote`, and the one path from a cart to a priced, store-checked quote
//! that placing an order takes too.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use catalog::{price_with, Cart, CouponOutcome, CouponRejection, Diner, Fulfilment, Quote};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::limits;
use crate::problem::{ApiError, ProblemDoc};
use crate::state::{AppState, Catalog};
use crate::store::{RedemptionClaim, SlotClaim};

/// A cart to price.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// What the diner wants: location, fulfilment, lines, coupon. No prices.
    #[schema(value_type = Object)]
    pub cart: Cart,
    /// The catalog version the storefront priced with, if it knows one.
    #[serde(default)]
    pub version: Option<String>,
    /// The member ordering, so per-member coupon limits can be checked.
    #[serde(default)]
    pub member_id: Option<String>,
}

/// A priced cart.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteResponse {
    /// Lines, subtotal, discount, charges, tax and total in minor units.
    #[schema(value_type = Object)]
    pub quote: Quote,
    /// The catalog version the quote was priced with.
    pub version: String,
    /// Redemptions the applied coupon has left, when it has a budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_budget_left: Option<u32>,
}

/// A cart priced against one catalog snapshot and the store's live state.
#[derive(Debug, Clone)]
pub(crate) struct Priced {
    pub quote: Quote,
    /// The redemption to record with the order, when the coupon applied.
    pub claim: Option<RedemptionClaim>,
    pub budget_left: Option<u32>,
    pub slot: Option<SlotClaim>,
}

/// What coupon rules need to know about the diner: membership, and for a
/// member whether this is their first order. An unknown member id is left to
/// the order's own check (`member_id` field error).
pub(crate) async fn diner_facts(
    state: &AppState,
    member_id: Option<&str>,
) -> Result<Diner, ApiError> {
    let Some(member) = member_id else {
        return Ok(Diner::default());
    };
    let known = state
        .store
        .find_member(crate::store::MemberKey::Id(member.to_owned()))
        .await?
        .is_some();
    if !known {
        return Ok(Diner::default());
    }
    Ok(Diner {
        member: true,
        first_order: state.store.member_order_count(member).await? == 0,
    })
}

/// Prices `cart` with the live sold-out switches, resolving issued single-use
/// codes and checking the coupon's budget and per-member limit (without
/// redeeming). A coupon the store refuses leaves the cart priced without it and
/// the refusal in `quote.coupon`, so every figure still comes from `price`.
pub(crate) async fn price_cart(
    state: &AppState,
    catalog: &Catalog,
    cart: &Cart,
    member_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Priced, ApiError> {
    let site = &catalog.site;
    let sold_out = state.store.sold_out().await?;
    let code = cart
        .coupon
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let mut priced_cart = cart.clone();
    let mut issued_code = None;
    let mut refusal: Option<CouponRejection> = None;
    if let Some(code) = code {
        match site.coupon(code) {
            // A sign-up coupon is only redeemed through the codes issued to members.
            Some((_, coupon)) if coupon.uses_issued_codes() => {
                refusal = Some(CouponRejection::MembersOnly);
            }
            Some(_) => {}
            None => {
                if let Some(issued) = state.store.find_issued_code(code).await? {
                    if issued.used_by.is_some() {
                        refusal = Some(CouponRejection::AlreadyUsed);
                    }
                    priced_cart.coupon = Some(issued.coupon.clone());
                    issued_code = Some(issued.code);
                }
            }
        }
    }
    let diner = diner_facts(state, member_id).await?;
    let quote =
        price_with(site, &sold_out, &priced_cart, now, &diner).map_err(ApiError::InvalidCart)?;
    let mut claim = None;
    let mut budget_left = None;
    if let (
        None,
        Some(CouponOutcome::Applied {
            code,
            campaign,
            discount,
        }),
    ) = (&refusal, &quote.coupon)
    {
        if let Some((_, coupon)) = site.coupon(code) {
            if let Some(budget) = coupon.budget {
                let used = state.store.redemption_count(&coupon.code).await?;
                let left = budget.saturating_sub(used);
                budget_left = Some(left);
                if left == 0 {
                    refusal = Some(CouponRejection::BudgetExhausted);
                }
            }
            if let (None, Some(cap)) = (&refusal, coupon.budget_amount) {
                let given = state
                    .store
                    .coupon_totals()
                    .await?
                    .into_iter()
                    .find(|t| t.coupon == coupon.code)
                    .map_or(0, |t| t.discount);
                if given.saturating_add(*discount) > cap {
                    refusal = Some(CouponRejection::BudgetExhausted);
                }
            }
            if let (None, Some(limit)) = (&refusal, coupon.per_member) {
                match member_id {
                    None => refusal = Some(CouponRejection::MembersOnly),
                    Some(member) => {
                        let used = state
                            .store
                            .member_redemption_count(&coupon.code, member)
                            .await?;
                        if used >= limit {
                            refusal = Some(CouponRejection::PerMemberLimit);
                        }
                    }
                }
            }
            claim = Some(RedemptionClaim {
                coupon: coupon.code.clone(),
                campaign: campaign.clone(),
                discount: *discount,
                issued_code: issued_code.clone(),
                budget: coupon.budget,
                per_member: coupon.per_member,
                budget_amount: coupon.budget_amount,
            });
        }
    }
    let quote = match refusal {
        None => quote,
        Some(reason) => {
            claim = None;
            let mut without = priced_cart.clone();
            without.coupon = None;
            let mut quote = price_with(site, &sold_out, &without, now, &diner)
                .map_err(ApiError::InvalidCart)?;
            quote.coupon = Some(CouponOutcome::Rejected {
                code: code.unwrap_or_default().to_owned(),
                reason,
            });
            quote
        }
    };
    let slot = match (&cart.fulfilment, site.location(&cart.location)) {
        (Fulfilment::Pickup { slot }, Some(location)) => location.pickup.map(|p| SlotClaim {
            start: *slot,
            capacity: p.capacity,
        }),
        _ => None,
    };
    Ok(Priced {
        quote,
        claim,
        budget_left,
        slot,
    })
}

/// Prices a cart: lines, discount, charges and total. The coupon is checked
/// (rules, budget left, per-member limit) but not redeemed.
#[utoipa::path(
    post,
    path = "/api/quote",
    tag = "quote",
    request_body = QuoteRequest,
    responses(
        (status = 200, description = "The cart priced", body = QuoteResponse),
        (status = 400, description = "Malformed JSON", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body or a cart that cannot be ordered", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn quote(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<QuoteResponse>, ApiError> {
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: QuoteRequest = limits::parse_json(&bytes)?;
    let mut errors = Vec::new();
    limits::check_cart(&mut errors, "cart.", &request.cart);
    limits::check_opt_text(
        &mut errors,
        "version",
        request.version.as_deref(),
        limits::MAX_ID,
    );
    limits::check_opt_text(
        &mut errors,
        "member_id",
        request.member_id.as_deref(),
        limits::MAX_ID,
    );
    limits::finish(errors)?;
    let catalog = state.catalog();
    let priced = price_cart(
        &state,
        &catalog,
        &request.cart,
        request.member_id.as_deref(),
        state.now(),
    )
    .await?;
    Ok(Json(QuoteResponse {
        quote: priced.quote,
        version: catalog.version.clone(),
        coupon_budget_left: priced.budget_left,
    }))
}
