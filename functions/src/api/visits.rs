//! `POST /api/visits`: the storefront counts an arrival through a campaign
//! channel. Privacy first: no cookie is set or read, no address or user agent
//! is stored — only a count per local day, campaign, channel and location.
//!
//! Abuse is bounded three ways: only campaigns, channels and locations of the
//! content are counted (no free-form keys), each day's count per key stops at
//! [`DAILY_CAP`], and the body is small and strictly shaped.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::state::AppState;
use crate::store::Visit;

/// Most visits counted per day, campaign, channel and location.
pub const DAILY_CAP: u32 = 50_000;

/// An arrival through a campaign channel.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitRequest {
    pub campaign: String,
    pub channel: String,
    /// The location whose menu the diner landed on.
    pub location: String,
}

/// Whether the visit was counted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VisitResponse {
    /// False once the day's cap for this campaign, channel and location is reached.
    pub counted: bool,
}

/// Counts one arrival through a campaign channel (no cookies, no address stored).
#[utoipa::path(
    post,
    path = "/api/visits",
    tag = "marketing",
    request_body = VisitRequest,
    responses(
        (status = 202, description = "Counted (or capped for the day)", body = VisitResponse),
        (status = 422, description = "Unknown campaign, channel or location", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: VisitRequest = limits::parse_json(&bytes)?;
    let catalog = state.catalog();
    let site = &catalog.site;
    let mut errors = Vec::new();
    for (field, value) in [
        ("campaign", &request.campaign),
        ("channel", &request.channel),
        ("location", &request.location),
    ] {
        limits::check_text(&mut errors, field, value, limits::MAX_ID);
    }
    match site.campaign(&request.campaign) {
        None => errors.push(FieldError::new("campaign", "no campaign with this id")),
        Some(c) if c.channel(&request.channel).is_none() => errors.push(FieldError::new(
            "channel",
            "the campaign has no channel with this id",
        )),
        Some(_) => {}
    }
    if site.location(&request.location).is_none() {
        errors.push(FieldError::new("location", "no location with this id"));
    }
    limits::finish(errors)?;
    let day = state
        .now()
        .with_timezone(&site.settings.timezone)
        .date_naive();
    let counted = state
        .store
        .record_visit(
            Visit {
                day,
                campaign: request.campaign,
                channel: request.channel,
                location: request.location,
            },
            DAILY_CAP,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(VisitResponse { counted })).into_response())
}
