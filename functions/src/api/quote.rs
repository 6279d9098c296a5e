//! `POST /api/quote`, and the one path from a cart to a priced, store-checked quote
//! that placing an order takes too.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use catalog::{Cart, Quote};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth;
use crate::api::checkout::price_cart;
use crate::api::limits;
use crate::api::problem::{ApiError, ProblemDoc};
use crate::state::AppState;

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
    /// Refused when sent: the member is the one signed in here (the member session
    /// cookie), whose per-member coupon limits the quote checks.
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
    limits::finish(errors)?;
    auth::refuse_member_id(request.member_id.as_deref())?;
    let member = auth::member_session(&state, &headers)
        .await?
        .map(|session| session.member.id);
    let catalog = state.catalog();
    let priced = price_cart(
        &state,
        &catalog,
        &request.cart,
        member.as_deref(),
        state.now(),
    )
    .await?;
    Ok(Json(QuoteResponse {
        quote: priced.quote,
        version: catalog.version.clone(),
        coupon_budget_left: priced.budget_left,
    }))
}
