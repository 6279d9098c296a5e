//! `GET /api/reports/campaigns`, `GET /api/reports/sales` and
//! `GET /api/reports/settlement` (role `marketer`): the figures of
//! [`crate::figures`] and [`crate::settlement`] over HTTP.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;

use crate::api::auth::{self, Access};
use crate::api::extract::{period_of, query_param};
use crate::api::problem::{ApiError, ProblemDoc};
use crate::figures::{campaign_report, sales_report, CampaignReport, SalesReport};
use crate::settlement::{settlement as settle, Settlement, SettlementDay};
use crate::state::AppState;
use crate::store::Role;

/// Per campaign and channel: visits, orders, revenue, discount, budgets left,
/// redemptions online and at the counter, new members and repeat rate.
#[utoipa::path(
    get,
    path = "/api/reports/campaigns",
    tag = "marketing",
    params(
        ("from" = Option<String>, Query, description = "First day (YYYY-MM-DD, site timezone); default 30 days before `to`"),
        ("to" = Option<String>, Query, description = "Last day included; default today"),
        ("location" = Option<String>, Query, description = "One location; default all"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The report", body = CampaignReport),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a marketer key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Bad dates or location", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn campaigns(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<CampaignReport>, ApiError> {
    auth::authorize(&state, &headers, Role::Marketer, Access::Read).await?;
    let period = period_of(&state, query.as_deref())?;
    let catalog = state.catalog();
    Ok(Json(
        campaign_report(state.store.as_ref(), &catalog.site, &period).await?,
    ))
}

/// Sales by dish and by hour of the day.
#[utoipa::path(
    get,
    path = "/api/reports/sales",
    tag = "marketing",
    params(
        ("from" = Option<String>, Query, description = "First day (YYYY-MM-DD, site timezone)"),
        ("to" = Option<String>, Query, description = "Last day included"),
        ("location" = Option<String>, Query, description = "One location; default all"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The report", body = SalesReport),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a marketer key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Bad dates or location", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn sales(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<SalesReport>, ApiError> {
    auth::authorize(&state, &headers, Role::Marketer, Access::Read).await?;
    let period = period_of(&state, query.as_deref())?;
    let catalog = state.catalog();
    Ok(Json(
        sales_report(state.store.as_ref(), &catalog.site, &period).await?,
    ))
}

/// A day's money by payment method: charges, refunds, net and mismatches of the ledger
/// entries recorded that day (site timezone), whenever their orders were placed.
#[utoipa::path(
    get,
    path = "/api/reports/settlement",
    tag = "marketing",
    params(
        ("date" = Option<String>, Query, description = "The day (YYYY-MM-DD, site timezone); default today"),
        ("location" = Option<String>, Query, description = "One location; default all"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The settlement", body = Settlement),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a marketer key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Bad date or location", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn settlement(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Settlement>, ApiError> {
    auth::authorize(&state, &headers, Role::Marketer, Access::Read).await?;
    let catalog = state.catalog();
    let day = SettlementDay::parse(
        &catalog.site,
        query_param(query.as_deref(), "date").as_deref(),
        query_param(query.as_deref(), "location").as_deref(),
        state.now(),
    )
    .map_err(ApiError::Validation)?;
    Ok(Json(
        settle(state.store.as_ref(), &catalog.site, &day).await?,
    ))
}
