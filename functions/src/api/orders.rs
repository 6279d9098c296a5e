//! `POST /api/orders` (JSON and plain HTML forms) and `GET /api/orders/{id}`.

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use catalog::{Cart, Fulfilment, Quote};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth;
use crate::api::checkout::{
    expire_if_unpaid, place, read_payment_summary_settled, PaymentSummary, PlaceInput,
};
use crate::api::extract::{self, query_param};
use crate::api::limits;
use crate::api::problem::{ApiError, ProblemDoc};
use crate::keys;
use crate::pages;
use crate::state::AppState;
use crate::store::{Attribution, Order, OrderStatus, StatusTimes, Touch, Touches};

/// An order as the storefront sends it. No prices: the server prices the cart.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    #[schema(value_type = Object)]
    pub cart: Cart,
    /// The catalog version the diner saw; another version is answered with `menu-changed`.
    pub version: String,
    /// A note to the kitchen.
    #[serde(default)]
    pub note: Option<String>,
    /// The name to call out at the counter.
    #[serde(default)]
    pub name: Option<String>,
    /// Refused when sent: the order's member is the one signed in here (the member
    /// session cookie).
    #[serde(default)]
    pub member_id: Option<String>,
    /// The campaign and channel the diner came from.
    #[serde(default)]
    pub attribution: Option<Attribution>,
    /// The first campaign touch the storefront remembers (kept for reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_touch: Option<Touch>,
    /// The last campaign touch; the order's attribution when `attribution` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_touch: Option<Touch>,
}

/// A placed order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderCreated {
    pub id: String,
    /// Short number for the counter, e.g. `A-042`.
    pub number: String,
    pub status: OrderStatus,
    /// Where the diner follows the order (carries the token).
    pub status_url: String,
    /// The unguessable token that shows the order's status.
    pub token: String,
    /// The server's price of the order: what the diner pays.
    #[schema(value_type = Object)]
    pub quote: Quote,
}

/// An order's status, for the diner holding its token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    pub location: String,
    #[schema(value_type = Object)]
    pub fulfilment: Fulfilment,
    /// When the order reached each status.
    pub times: StatusTimes,
    #[schema(value_type = Object)]
    pub quote: Quote,
    /// Whether the order is paid, from its payment ledger.
    pub payment: OrderPayment,
    /// Where the order is served or collected, in the request's `lang`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<pages::Place>,
    /// While the order is open: its place in the queue and when it should be ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<crate::estimate::Estimate>,
    /// The shop's Web Push key (VAPID, base64url) while the order is open and push is
    /// set up: the browser's `applicationServerKey` for `POST /api/orders/{id}/push`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_key: Option<String>,
    /// Once the order is completed: whether it may be rated (`POST …/rating`), and the
    /// rating once given.
    pub can_rate: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::store::Rating>,
}

/// An order's payment as the diner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderPayment {
    /// `unpaid`, `pending`, `paid`, `partially_refunded`, `refunded`, `failed` or `expired`.
    pub state: String,
    /// Received and counted, in minor units of the quote's currency.
    pub paid: i64,
    /// Still to pay, in minor units.
    pub due: i64,
}

impl From<PaymentSummary> for OrderPayment {
    fn from(summary: PaymentSummary) -> OrderPayment {
        OrderPayment {
            state: summary.state.as_str().to_owned(),
            paid: summary.paid,
            due: summary.due,
        }
    }
}

/// Places an order. JSON bodies need an `Idempotency-Key` header; a form-encoded
/// body (the storefront with JavaScript off) is answered with an HTML page.
#[utoipa::path(
    post,
    path = "/api/orders",
    tag = "orders",
    request_body(content(
        (OrderRequest = "application/json"),
        (crate::pages::order_form::OrderForm = "application/x-www-form-urlencoded"),
    )),
    params(("Idempotency-Key" = String, Header, description = "A random value, the same on every retry of one order (JSON only; forms send `idempotency_key`)")),
    responses(
        (status = 201, description = "Order placed", body = OrderCreated),
        (status = 200, description = "A retry: the order this key placed before", body = OrderCreated),
        (status = 400, description = "Malformed body or missing Idempotency-Key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`menu-changed` (with the new quote) or `slot-full`", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a form", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`, `validation-failed`, `invalid-cart` (a pickup slot beyond the location's `days_ahead` names `cart.fulfilment.slot`), `coupon-rejected` or `idempotency-conflict`", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "`too-many-requests`: this client placed its pickup orders for the hour; see Retry-After", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn place_order(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let client = extract::client_ip(&parts);
    let headers = parts.headers;
    if limits::media_type(&headers) == "application/x-www-form-urlencoded" {
        return Ok(
            crate::pages::order_form::place_form_order(&state, &headers, &client, body).await,
        );
    }
    limits::require_json(&headers)?;
    let key = limits::idempotency_key(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: OrderRequest = limits::parse_json(&bytes)?;
    auth::refuse_member_id(request.member_id.as_deref())?;
    let member = auth::member_session(&state, &headers)
        .await?
        .map(|session| session.member.id);
    // Hash the parsed request and its member, so key order and white space do not count
    // as a change, and the same key from another member's session does.
    let mut canonical =
        serde_json::to_vec(&request).map_err(|e| ApiError::Malformed(e.to_string()))?;
    canonical.extend(member.as_deref().unwrap_or("").as_bytes());
    let placed = place(
        &state,
        PlaceInput {
            cart: request.cart,
            version: Some(request.version),
            note: request.note,
            name: request.name,
            member_id: member,
            attribution: request.attribution,
            touches: Touches {
                first: request.first_touch,
                last: request.last_touch,
            },
            idempotency_key: key,
            request_hash: keys::sha256_hex(&canonical),
            client,
        },
    )
    .await?;
    let status = if placed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = OrderCreated {
        id: placed.order.id.clone(),
        number: placed.order.number.clone(),
        status: placed.order.status,
        status_url: placed.status_url(),
        token: placed.token.clone(),
        quote: placed.order.quote.clone(),
    };
    Ok((status, Json(body)).into_response())
}

/// An order's status for the diner holding its token. Browsers (`Accept:
/// text/html`) get a page with a refresh link; `lang` picks the language of the
/// dish and choice names and of the place (given, it also adds `place`).
#[utoipa::path(
    get,
    path = "/api/orders/{id}",
    tag = "orders",
    params(
        ("id" = String, Path, description = "The order id"),
        ("token" = String, Query, description = "The token returned when the order was placed"),
        ("lang" = Option<String>, Query, description = "The diner's language: dish, choice and place names in it"),
    ),
    responses(
        (status = 200, description = "The order's status (JSON, or HTML for browsers)", body = OrderView),
        (status = 404, description = "No such order, or a wrong token", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn order_status(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    let token = query_param(query.as_deref(), "token").ok_or(ApiError::NotFound)?;
    if id.len() > limits::MAX_ID || token.len() > 128 {
        return Err(ApiError::NotFound);
    }
    let order = state.store.get_order(&id).await?;
    // A wrong token reads exactly like a missing order.
    if !keys::token_matches(&token, &order.token_hash) {
        return Err(ApiError::NotFound);
    }
    let payment = read_payment_summary_settled(&state, &order).await?;
    let order = expire_if_unpaid(&state, order, &payment).await?;
    let catalog = state.catalog();
    let location = catalog.site.location(&order.location);
    let estimate = crate::estimate::for_order(state.store.as_ref(), &order, location).await?;
    let lang = query_param(query.as_deref(), "lang");
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let rating = match order.status {
        OrderStatus::Completed => state.store.order_rating(&order.id).await?,
        _ => None,
    };
    if pages::prefers_html(accept) {
        let lang = lang.unwrap_or_else(|| catalog.site.default_language().to_owned());
        let offer = match (&rating, order.status) {
            (Some(rating), _) => pages::RatingOffer::Rated(rating),
            (None, OrderStatus::Completed) => pages::RatingOffer::Ask,
            _ => pages::RatingOffer::Not,
        };
        let page = pages::status_page(
            &order,
            &catalog.site,
            &lang,
            Some(&token),
            Some(&payment),
            estimate.as_ref(),
            offer,
        );
        return Ok(Html(page).into_response());
    }
    let mut view = view(order, payment.into());
    // Names in the diner's language when the page says which; as stored otherwise.
    if let Some(lang) = lang {
        pages::localize_quote(&catalog.site, &mut view.quote, &lang);
        view.place = location.map(|l| pages::Place::of(l, &catalog.site, &lang));
    }
    view.estimate = estimate;
    if view.status == OrderStatus::Completed {
        view.can_rate = rating.is_none();
        view.rating = rating;
    }
    if view.status.is_open() && view.status != OrderStatus::Ready {
        view.push_key = state.push.as_ref().map(|p| p.vapid.public_key().to_owned());
    }
    Ok(Json(view).into_response())
}

pub(crate) fn view(order: Order, payment: OrderPayment) -> OrderView {
    OrderView {
        id: order.id,
        number: order.number,
        status: order.status,
        location: order.location,
        fulfilment: order.cart.fulfilment,
        times: order.times,
        quote: order.quote,
        payment,
        place: None,
        estimate: None,
        push_key: None,
        can_rate: false,
        rating: None,
    }
}
