//! Staff routes (API key with role `staff`): the order queue, status changes and
//! sold-out switches; and the public sold-out list for the storefront.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use catalog::{Cart, Quote, Site, SoldOut};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::keys;
use crate::limits;
use crate::orders::query_param;
use crate::problem::{ApiError, FieldError, ProblemDoc};
use crate::state::AppState;
use crate::store::{
    ApiKey, Attribution, Order, OrderStatus, Role, SoldOutItem, StatusChange, StatusTimes,
};

/// Checks `Authorization: Bearer <key>` and the key's role: no or unknown key
/// is 401, another role is 403.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    role: Role,
) -> Result<ApiKey, ApiError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or(ApiError::Unauthorized)?;
    let found = state
        .store
        .find_key(&keys::sha256_hex(key), state.now())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if found.role != role {
        return Err(ApiError::Forbidden);
    }
    Ok(found)
}

/// An order as the counter and kitchen see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffOrder {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    pub location: String,
    /// The cart as ordered: fulfilment (table or pickup slot), lines and options.
    #[schema(value_type = Object)]
    pub cart: Cart,
    /// The server's price.
    #[schema(value_type = Object)]
    pub quote: Quote,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    pub times: StatusTimes,
    pub history: Vec<StatusChange>,
}

impl From<Order> for StaffOrder {
    fn from(order: Order) -> StaffOrder {
        StaffOrder {
            id: order.id,
            number: order.number,
            status: order.status,
            location: order.location,
            cart: order.cart,
            quote: order.quote,
            note: order.note,
            name: order.name,
            coupon: order.coupon,
            attribution: order.attribution,
            member_id: order.member_id,
            times: order.times,
            history: order.history,
        }
    }
}

/// A page of the queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueResponse {
    pub orders: Vec<StaffOrder>,
}

/// The orders of a location, newest first.
#[utoipa::path(
    get,
    path = "/api/staff/queue",
    tag = "staff",
    params(
        ("location" = String, Query, description = "Location id"),
        ("status" = Option<String>, Query, description = "Comma-separated statuses to show; default all"),
        ("limit" = Option<u32>, Query, description = "At most this many orders (default 50, at most 200)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The queue", body = QueueResponse),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Unknown location or status", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<QueueResponse>, ApiError> {
    authorize(&state, &headers, Role::Staff).await?;
    let query = query.as_deref();
    let catalog = state.catalog();
    let mut errors = Vec::new();
    let location = query_param(query, "location").unwrap_or_default();
    if catalog.site.location(&location).is_none() {
        errors.push(FieldError::new("location", "no location with this id"));
    }
    let mut statuses = Vec::new();
    for name in query_param(query, "status")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match OrderStatus::parse(name) {
            Some(status) => statuses.push(status),
            None => errors.push(FieldError::new(
                "status",
                "one of received, accepted, preparing, ready, completed, cancelled",
            )),
        }
    }
    let limit = match query_param(query, "limit") {
        None => 50,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=limits::MAX_QUEUE).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("between 1 and {}", limits::MAX_QUEUE),
                ));
                0
            }
        },
    };
    limits::finish(errors)?;
    let orders = state.store.queue(&location, &statuses, limit).await?;
    Ok(Json(QueueResponse {
        orders: orders.into_iter().map(StaffOrder::from).collect(),
    }))
}

/// A status change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: OrderStatus,
    /// Why, e.g. for a cancellation.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Moves an order one step on (received → accepted → preparing → ready →
/// completed) or cancels an open order.
#[utoipa::path(
    post,
    path = "/api/staff/orders/{id}/status",
    tag = "staff",
    params(("id" = String, Path, description = "The order id")),
    request_body = StatusRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The order with its new status", body = StaffOrder),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`invalid-transition`", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn set_status(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<StaffOrder>, ApiError> {
    let key = authorize(&state, &headers, Role::Staff).await?;
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: StatusRequest = limits::parse_json(&bytes)?;
    let mut errors = Vec::new();
    limits::check_opt_text(
        &mut errors,
        "reason",
        request.reason.as_deref(),
        limits::MAX_REASON,
    );
    limits::finish(errors)?;
    if id.len() > limits::MAX_ID {
        return Err(ApiError::NotFound);
    }
    let order = state
        .store
        .set_status(&id, request.status, &key.label, request.reason, state.now())
        .await?;
    Ok(Json(order.into()))
}

/// The staff's sold-out switches (dishes, and `dish/group/choice` keys), sorted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SoldOutView {
    pub dishes: Vec<String>,
    pub choices: Vec<String>,
}

impl From<SoldOut> for SoldOutView {
    fn from(sold_out: SoldOut) -> SoldOutView {
        let mut dishes: Vec<String> = sold_out.dishes.into_iter().collect();
        let mut choices: Vec<String> = sold_out.choices.into_iter().collect();
        dishes.sort();
        choices.sort();
        SoldOutView { dishes, choices }
    }
}

/// Switches one dish or choice sold out or back.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoldOutRequest {
    pub item: SoldOutItem,
    /// `true` to switch off, `false` to offer again.
    pub sold_out: bool,
}

fn check_item(site: &Site, item: &SoldOutItem) -> Result<(), ApiError> {
    let (dish, choice) = match item {
        SoldOutItem::Dish { dish } => (dish, None),
        SoldOutItem::Choice {
            dish,
            group,
            choice,
        } => (dish, Some((group, choice))),
    };
    let Some((_, found)) = site.dish(dish) else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "item.dish",
            "no dish with this id",
        )]));
    };
    if let Some((group, choice)) = choice {
        let Some(group) = found.group(group) else {
            return Err(ApiError::Validation(vec![FieldError::new(
                "item.group",
                "the dish has no option group with this id",
            )]));
        };
        if !group.choices.iter().any(|c| &c.id == choice) {
            return Err(ApiError::Validation(vec![FieldError::new(
                "item.choice",
                "the group has no choice with this id",
            )]));
        }
    }
    Ok(())
}

/// The sold-out switches (staff view).
#[utoipa::path(
    get,
    path = "/api/staff/sold-out",
    tag = "staff",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The switches", body = SoldOutView),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn get_sold_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SoldOutView>, ApiError> {
    authorize(&state, &headers, Role::Staff).await?;
    Ok(Json(state.store.sold_out().await?.into()))
}

/// Sets or clears a sold-out switch; new quotes and orders see it at once.
#[utoipa::path(
    put,
    path = "/api/staff/sold-out",
    tag = "staff",
    request_body = SoldOutRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The switches after the change", body = SoldOutView),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Unknown dish, group or choice", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn put_sold_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SoldOutView>, ApiError> {
    authorize(&state, &headers, Role::Staff).await?;
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: SoldOutRequest = limits::parse_json(&bytes)?;
    check_item(&state.catalog().site, &request.item)?;
    state
        .store
        .set_sold_out(request.item, request.sold_out)
        .await?;
    Ok(Json(state.store.sold_out().await?.into()))
}

/// What is sold out right now, for the storefront's live state.
#[utoipa::path(
    get,
    path = "/api/sold-out",
    tag = "quote",
    responses((status = 200, description = "The switches", body = SoldOutView))
)]
pub async fn public_sold_out(State(state): State<AppState>) -> Result<Json<SoldOutView>, ApiError> {
    Ok(Json(state.store.sold_out().await?.into()))
}
