//! Staff routes (role `staff`, by API key or console session): the order queue,
//! status changes and sold-out switches; the console's configuration and the
//! pickup board (public: no personal data); and the public sold-out list for
//! the storefront.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::site::AgeWarnings;
use catalog::{Cart, Currency, Localized, Menu, Quote, Site, SoldOut};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{self, Access};
use crate::api::checkout::{self, PaymentSummary};
use crate::api::extract::query_param;
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::events::StaffEvent;
use crate::keys;
use crate::state::AppState;
use crate::store::{
    ApiKey, Attribution, Order, OrderStatus, Role, SoldOutItem, StatusChange, StatusTimes,
    StoreError,
};

/// Checks the caller (a Bearer key, or the console's session cookie from its
/// own origin) and its role, for reading: no or unknown key or session is 401,
/// another role is 403. Changes use [`session::authorize`] with
/// [`Access::Change`], which also wants the browser's word that a cookie
/// request is same-origin.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    role: Role,
) -> Result<ApiKey, ApiError> {
    Ok(auth::authorize(state, headers, role, Access::Read)
        .await?
        .key)
}

/// A JSON answer with a strong `ETag` of its bytes, or `304 Not Modified` when
/// the client's `If-None-Match` names it: polling screens pay for a full
/// answer only when something changed.
fn etagged(headers: &HeaderMap, value: &impl Serialize, cache: &'static str) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(body) => body,
        Err(error) => {
            return ApiError::Store(StoreError::Backend(error.to_string())).into_response()
        }
    };
    let etag = format!("\"{}\"", &keys::sha256_hex(&body)[..32]);
    let unchanged = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
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
    /// What the order's payment ledger adds up to now (PAID / UNPAID / MISMATCH
    /// on the console's cards and tickets).
    pub payment: PaymentSummary,
    /// The diner's rating, once given (completed orders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::store::Rating>,
}

impl StaffOrder {
    /// The order with its payment summary read from its ledger.
    pub(crate) async fn read(state: &AppState, order: Order) -> Result<StaffOrder, ApiError> {
        let payment = checkout::read_payment_summary(state, &order).await?;
        StaffOrder::new(order, payment).rated(state).await
    }

    /// With the diner's rating, for a completed order.
    async fn rated(mut self, state: &AppState) -> Result<StaffOrder, ApiError> {
        if self.status == OrderStatus::Completed {
            self.rating = state.store.order_rating(&self.id).await?;
        }
        Ok(self)
    }

    fn new(order: Order, payment: PaymentSummary) -> StaffOrder {
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
            payment,
            rating: None,
        }
    }
}

/// A page of the queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueResponse {
    pub orders: Vec<StaffOrder>,
}

/// The orders of a location, newest first. Answers carry an `ETag`; send it
/// back in `If-None-Match` to get `304 Not Modified` while nothing changed.
#[utoipa::path(
    get,
    path = "/api/staff/queue",
    tag = "staff",
    params(
        ("location" = String, Query, description = "Location id"),
        ("status" = Option<String>, Query, description = "Comma-separated statuses to show; default all"),
        ("limit" = Option<u32>, Query, description = "At most this many orders (default 50, at most 200)"),
    ),
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 200, description = "The queue", body = QueueResponse),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Unknown location or status", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
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
    // Orders to pay first wait out of the queue until paid (and expire after their hold).
    let working = checkout::working_queue(&state, orders).await?;
    let mut orders = Vec::with_capacity(working.len());
    for (order, payment) in working {
        orders.push(StaffOrder::new(order, payment).rated(&state).await?);
    }
    let queue = QueueResponse { orders };
    Ok(etagged(&headers, &queue, "private, no-cache"))
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
/// completed) or cancels an open order. The order's history records who (the
/// key's label and id) and when.
#[utoipa::path(
    post,
    path = "/api/staff/orders/{id}/status",
    tag = "staff",
    params(("id" = String, Path, description = "The order id")),
    request_body = StatusRequest,
    security(("api_key" = []), ("session" = [])),
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
    let caller = auth::authorize(&state, &headers, Role::Staff, Access::Change).await?;
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
        .set_status(
            &id,
            request.status,
            &caller.who(),
            request.reason,
            state.now(),
        )
        .await?;
    state.events.publish(StaffEvent::status(&order));
    tell_the_diner(&state, &order).await;
    Ok(Json(StaffOrder::read(&state, order).await?))
}

/// "Your order is ready" to the browsers that asked, and "how was your meal?" once it
/// is completed (bounded in time; failures are logged); once the order is over, its
/// subscriptions are dropped.
async fn tell_the_diner(state: &AppState, order: &Order) {
    let write = match order.status {
        OrderStatus::Ready => crate::push::ready_message,
        OrderStatus::Completed => crate::push::rating_message,
        OrderStatus::Cancelled => {
            drop_subscriptions(state, order).await;
            return;
        }
        _ => return,
    };
    if let Some(push) = &state.push {
        let catalog = state.catalog();
        crate::push::notify(push, state.store.as_ref(), &catalog.site, order, write).await;
    }
    if order.status == OrderStatus::Completed {
        drop_subscriptions(state, order).await;
    }
}

async fn drop_subscriptions(state: &AppState, order: &Order) {
    if let Err(error) = state.store.remove_push_subscriptions(&order.id, None).await {
        eprintln!("push: dropping the subscriptions of {}: {error}", order.id);
    }
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
    security(("api_key" = []), ("session" = [])),
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
    security(("api_key" = []), ("session" = [])),
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
    auth::authorize(&state, &headers, Role::Staff, Access::Change).await?;
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: SoldOutRequest = limits::parse_json(&bytes)?;
    check_item(&state.catalog().site, &request.item)?;
    state
        .store
        .set_sold_out(request.item, request.sold_out)
        .await?;
    state.events.publish(StaffEvent::SoldOut);
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

/// A location as the console lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsoleLocation {
    pub id: String,
    #[schema(value_type = Object)]
    pub name: Localized,
    pub order_prefix: String,
    /// The id of the location's menu in `menus`.
    pub menu: String,
}

/// What the staff console needs to know about the site: languages, money,
/// age warnings, locations and menus (dish and choice names, for the kitchen
/// view and the sold-out switches). All of it is public in the storefront too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsoleConfig {
    #[schema(value_type = Object)]
    pub name: Localized,
    /// The site's languages, the default first.
    pub languages: Vec<String>,
    #[schema(value_type = Object)]
    pub currency: Currency,
    pub timezone: String,
    /// Minutes after which an open order shows amber, then red.
    #[schema(value_type = Object)]
    pub age_warnings: AgeWarnings,
    pub locations: Vec<ConsoleLocation>,
    #[schema(value_type = Vec<Object>)]
    pub menus: Vec<Menu>,
    /// The catalog version the API prices against.
    pub version: String,
}

/// The staff console's configuration (public: nothing here is secret).
#[utoipa::path(
    get,
    path = "/api/staff/config",
    tag = "staff",
    responses((status = 200, description = "The console's configuration", body = ConsoleConfig))
)]
pub async fn config(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let catalog = state.catalog();
    let site = &catalog.site;
    let config = ConsoleConfig {
        name: site.settings.name.clone(),
        languages: site.settings.languages.clone(),
        currency: site.settings.currency.clone(),
        timezone: site.settings.timezone.name().to_owned(),
        age_warnings: site.settings.age_warnings,
        locations: site
            .locations
            .iter()
            .map(|l| ConsoleLocation {
                id: l.id.clone(),
                name: l.name.clone(),
                order_prefix: l.order_prefix.clone(),
                menu: l.menu.clone(),
            })
            .collect(),
        menus: site.menus.clone(),
        version: catalog.version.clone(),
    };
    etagged(&headers, &config, "no-cache")
}

/// The pickup board of a location: order numbers only, never names or contents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardView {
    pub location: String,
    /// Received, accepted or preparing, oldest first.
    pub preparing: Vec<String>,
    /// Ready to collect, most recently ready first.
    pub ready: Vec<String>,
    /// Which of those numbers still have to be paid (a marker on the board; no
    /// amounts: the board faces the room).
    pub unpaid: Vec<String>,
}

/// Whether an order in this payment state still waits for its money (refunded
/// orders were paid once: they are settled, not waiting).
fn awaits_payment(state: catalog::payment::PaymentState) -> bool {
    use catalog::payment::PaymentState::*;
    matches!(state, Unpaid | Pending | Failed | Expired)
}

/// How far back the board looks: an order left open since yesterday is not
/// someone waiting at the counter.
const BOARD_HOURS: i64 = 12;

/// The pickup board: which pickup order numbers are being prepared and which are
/// ready (public, for a screen facing the counter). Carries an `ETag`.
#[utoipa::path(
    get,
    path = "/api/staff/board",
    tag = "staff",
    params(("location" = String, Query, description = "Location id")),
    responses(
        (status = 200, description = "The numbers", body = BoardView),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 422, description = "Unknown location", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn board(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let location = query_param(query.as_deref(), "location").unwrap_or_default();
    if state.catalog().site.location(&location).is_none() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "location",
            "no location with this id",
        )]));
    }
    use OrderStatus::*;
    let open = state
        .store
        .queue(
            &location,
            &[Received, Accepted, Preparing, Ready],
            limits::MAX_QUEUE,
        )
        .await?;
    let working = checkout::working_queue(&state, open).await?;
    // Still to pay: a marker on the board, never an amount.
    let unpaid_ids: std::collections::HashSet<&str> = working
        .iter()
        .filter(|(_, payment)| awaits_payment(payment.state))
        .map(|(order, _)| order.id.as_str())
        .collect();
    let open: Vec<&Order> = working.iter().map(|(order, _)| order).collect();
    let since = state.now() - chrono::Duration::hours(BOARD_HOURS);
    // The board calls pickup numbers; dine-in orders are carried to their table.
    let recent = |o: &&Order| {
        matches!(o.cart.fulfilment, catalog::Fulfilment::Pickup { .. })
            && o.times.received.is_none_or(|at| at >= since)
    };
    let mut ready: Vec<&Order> = open
        .iter()
        .copied()
        .filter(recent)
        .filter(|o| o.status == Ready)
        .collect();
    ready.sort_by_key(|o| std::cmp::Reverse(o.times.ready));
    let mut preparing: Vec<&Order> = open
        .iter()
        .copied()
        .filter(recent)
        .filter(|o| o.status != Ready)
        .collect();
    preparing.sort_by_key(|o| o.times.received);
    let unpaid = ready
        .iter()
        .chain(preparing.iter())
        .filter(|o| unpaid_ids.contains(o.id.as_str()))
        .map(|o| o.number.clone())
        .collect();
    let view = BoardView {
        location,
        preparing: preparing.iter().map(|o| o.number.clone()).collect(),
        ready: ready.iter().map(|o| o.number.clone()).collect(),
        unpaid,
    };
    Ok(etagged(&headers, &view, "no-cache"))
}
