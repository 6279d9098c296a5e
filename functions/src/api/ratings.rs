//! Ratings after the meal: `POST /api/orders/{id}/rating` (the diner, with the order's
//! token, once the order is completed) and `GET /api/reports/ratings` (the marketer).

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{self, Access};
use crate::api::extract::{period_of, query_param};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::keys;
use crate::pages;
use crate::state::AppState;
use crate::store::ratings::{summarize, RatingSummary, MAX_NOTE};
use crate::store::{DishRating, OrderStatus, Rating, Role};

/// A diner's rating: 1 to 5 stars, an optional note, optionally each dish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    pub stars: i64,
    #[serde(default)]
    pub note: Option<String>,
    /// Dishes of the order, each at most once.
    #[serde(default)]
    pub dishes: Vec<DishStars>,
}

/// One dish's stars in a [`RatingRequest`].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DishStars {
    pub dish: String,
    pub stars: i64,
}

fn stars(errors: &mut Vec<FieldError>, field: &str, value: i64) -> u8 {
    match u8::try_from(value) {
        Ok(n @ 1..=5) => n,
        _ => {
            errors.push(FieldError::new(field, "must be a whole number from 1 to 5"));
            0
        }
    }
}

/// The plain form's fields (`stars`, `note`, `dish:<id>` for a dish's own stars) as a
/// request; other fields are ignored.
fn form_request(bytes: &[u8]) -> RatingRequest {
    let mut request = RatingRequest {
        stars: 0,
        note: None,
        dishes: Vec::new(),
    };
    for (name, value) in form_urlencoded::parse(bytes) {
        match name.as_ref() {
            "stars" => request.stars = value.trim().parse().unwrap_or(0),
            "note" => request.note = Some(value.into_owned()),
            name => {
                // A dish left unrated (an empty value) is not rated.
                if let Some(dish) = name
                    .strip_prefix("dish:")
                    .filter(|_| !value.trim().is_empty())
                {
                    request.dishes.push(DishStars {
                        dish: dish.to_owned(),
                        stars: value.trim().parse().unwrap_or(0),
                    });
                }
            }
        }
    }
    request
}

/// Rates a completed order, once. Diner text is kept as given and escaped wherever it
/// is shown or exported. The status page's plain form (JavaScript off,
/// `application/x-www-form-urlencoded`: `stars`, `note`, `dish:<id>`) is answered with a 303 back to
/// the status page, or a page naming what is wrong.
#[utoipa::path(
    post,
    path = "/api/orders/{id}/rating",
    tag = "orders",
    params(
        ("id" = String, Path, description = "The order id"),
        ("token" = String, Query, description = "The token returned when the order was placed"),
        ("lang" = Option<String>, Query, description = "The plain form: the language of the page answering it"),
    ),
    request_body(content(
        (RatingRequest = "application/json"),
        (RatingRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "Kept", body = Rating),
        (status = 303, description = "The plain form: back to the status page, which thanks the diner"),
        (status = 404, description = "No such order, or a wrong token (the plain form: a page saying so)", content(
            (ProblemDoc = "application/problem+json"), (String = "text/html"))),
        (status = 409, description = "`rating-refused`: the order is not completed yet, or was rated already (the plain form: a page saying so)", content(
            (ProblemDoc = "application/problem+json"), (String = "text/html"))),
        (status = 422, description = "Stars out of 1–5, a note too long, a dish not in the order (the field is named; the plain form: a page naming it)", content(
            (ProblemDoc = "application/problem+json"), (String = "text/html"))),
    )
)]
pub async fn rate(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    let token = query_param(query.as_deref(), "token").ok_or(ApiError::NotFound)?;
    if id.len() > limits::MAX_ID || token.len() > 128 {
        return Err(ApiError::NotFound);
    }
    let form = limits::media_type(&headers) == "application/x-www-form-urlencoded";
    if !form {
        limits::require_json(&headers)?;
    }
    let bytes = limits::read_body(body).await?;
    if !form {
        let request: RatingRequest = limits::parse_json(&bytes)?;
        let rating = rate_with(&state, &id, &token, request).await?;
        return Ok((StatusCode::CREATED, Json(rating)).into_response());
    }
    let lang = query_param(query.as_deref(), "lang")
        .filter(|l| l.len() <= 16 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or_default();
    let back = format!(
        "/api/orders/{}?token={}&lang={lang}",
        form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    );
    Ok(
        match rate_with(&state, &id, &token, form_request(&bytes)).await {
            // Rated now or before: the status page says thank you.
            Ok(_) | Err(ApiError::RatingRefused(ALREADY_RATED)) => {
                Redirect::to(&back).into_response()
            }
            Err(error) => {
                let problem = error.problem();
                let status = problem.status;
                (
                    status,
                    Html(pages::error_page(&problem, Some(&back), &lang)),
                )
                    .into_response()
            }
        },
    )
}

const ALREADY_RATED: &str = "the order was rated already";

/// Checks and keeps one rating of the order `id` for the holder of its token.
async fn rate_with(
    state: &AppState,
    id: &str,
    token: &str,
    request: RatingRequest,
) -> Result<Rating, ApiError> {
    let order = state.store.get_order(id).await?;
    // A wrong token reads exactly like a missing order.
    if !keys::token_matches(token, &order.token_hash) {
        return Err(ApiError::NotFound);
    }
    let mut errors = Vec::new();
    let overall = stars(&mut errors, "stars", request.stars);
    let note = request
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    limits::check_opt_text(&mut errors, "note", note.as_deref(), MAX_NOTE);
    let ordered: BTreeSet<&str> = order.cart.lines.iter().map(|l| l.dish.as_str()).collect();
    let mut seen = BTreeSet::new();
    let mut dishes = Vec::new();
    for (i, d) in request.dishes.iter().enumerate() {
        let field = format!("dishes[{i}].dish");
        if !ordered.contains(d.dish.as_str()) {
            errors.push(FieldError::new(field, "is not a dish of this order"));
        } else if !seen.insert(d.dish.as_str()) {
            errors.push(FieldError::new(field, "is rated twice"));
        }
        let n = stars(&mut errors, &format!("dishes[{i}].stars"), d.stars);
        dishes.push(DishRating {
            dish: d.dish.clone(),
            stars: n,
        });
    }
    limits::finish(errors)?;
    if order.status != OrderStatus::Completed {
        return Err(ApiError::RatingRefused(
            "the order can be rated once it is completed",
        ));
    }
    let rating = Rating {
        order_id: order.id,
        location: order.location,
        campaign: order.attribution.map(|a| a.campaign),
        stars: overall,
        note,
        dishes,
        at: state.now(),
    };
    if !state.store.rate_order(rating.clone()).await? {
        return Err(ApiError::RatingRefused(ALREADY_RATED));
    }
    Ok(rating)
}

/// The ratings of a period: counted overall, per dish and per campaign, and the notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingsReport {
    #[serde(flatten)]
    pub summary: RatingSummary,
    /// Every rating of the period, oldest first (notes as the diners wrote them).
    pub ratings: Vec<Rating>,
}

/// Ratings after the meal over a period (role `marketer`).
#[utoipa::path(
    get,
    path = "/api/reports/ratings",
    tag = "marketing",
    params(
        ("from" = Option<String>, Query, description = "First day (YYYY-MM-DD, site timezone)"),
        ("to" = Option<String>, Query, description = "Last day included"),
        ("location" = Option<String>, Query, description = "One location; default all"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Counted per dish and per campaign", body = RatingsReport),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a marketer key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Bad dates or location", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<RatingsReport>, ApiError> {
    auth::authorize(&state, &headers, Role::Marketer, Access::Read).await?;
    let period = period_of(&state, query.as_deref())?;
    let catalog = state.catalog();
    let ratings = state.store.ratings(&period.range(&catalog.site)).await?;
    Ok(Json(RatingsReport {
        summary: summarize(&ratings),
        ratings,
    }))
}
