//! `POST /api/orders` (JSON and plain HTML forms) and `GET /api/orders/{id}`.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use catalog::{Cart, CouponOutcome, Fulfilment, Quote};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::html;
use crate::keys;
use crate::limits;
use crate::problem::{ApiError, FieldError, ProblemDoc};
use crate::quote::price_cart;
use crate::state::AppState;
use crate::store::{Attribution, NewOrder, Order, OrderStatus, StatusTimes, Touch, Touches};

/// The header that makes placing an order safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

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
}

/// What placing an order needs, whichever way it arrived.
#[derive(Debug, Clone)]
pub(crate) struct PlaceInput {
    pub cart: Cart,
    /// `None` for HTML forms, which are priced against the current catalog.
    pub version: Option<String>,
    pub note: Option<String>,
    pub name: Option<String>,
    pub member_id: Option<String>,
    pub attribution: Option<Attribution>,
    /// First and last campaign touches.
    pub touches: Touches,
    pub idempotency_key: String,
    /// A hash of the request, to tell a retry from a reuse of the key.
    pub request_hash: String,
}

/// An order stored (or found again by its idempotency key) with its token.
#[derive(Debug, Clone)]
pub(crate) struct PlacedOrder {
    pub order: Order,
    pub token: String,
    pub created: bool,
}

impl PlacedOrder {
    pub(crate) fn status_url(&self) -> String {
        format!("/api/orders/{}?token={}", self.order.id, self.token)
    }
}

fn unsealed(sealed: &str, key: &str) -> Result<String, ApiError> {
    keys::unseal_token(sealed, key).ok_or_else(|| {
        ApiError::Store(crate::store::StoreError::Backend(
            "a sealed token did not open with its idempotency key".into(),
        ))
    })
}

/// Validates what the cart's pricing does not: text bounds and attribution.
pub(crate) fn check_input(input: &PlaceInput, site: &catalog::Site) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    limits::check_cart(&mut errors, "cart.", &input.cart);
    limits::check_opt_text(&mut errors, "note", input.note.as_deref(), limits::MAX_NOTE);
    limits::check_opt_text(&mut errors, "name", input.name.as_deref(), limits::MAX_NAME);
    limits::check_opt_text(
        &mut errors,
        "member_id",
        input.member_id.as_deref(),
        limits::MAX_ID,
    );
    limits::check_opt_text(
        &mut errors,
        "version",
        input.version.as_deref(),
        limits::MAX_ID,
    );
    if let Some(attribution) = &input.attribution {
        match site.campaign(&attribution.campaign) {
            None => errors.push(FieldError::new(
                "attribution.campaign",
                "no campaign with this id",
            )),
            Some(campaign) if campaign.channel(&attribution.channel).is_none() => {
                errors.push(FieldError::new(
                    "attribution.channel",
                    "the campaign has no channel with this id",
                ))
            }
            Some(_) => {}
        }
    }
    limits::finish(errors)
}

/// Keeps the touches that name a campaign channel of the content. A touch is the
/// storefront's memory of an earlier visit, and the campaign may have ended since:
/// a stale one is dropped rather than allowed to refuse the diner's order.
pub(crate) fn known_touches(touches: Touches, site: &catalog::Site) -> Touches {
    let known = |touch: Option<Touch>| {
        touch.filter(|t| {
            site.campaign(&t.campaign)
                .is_some_and(|c| c.channel(&t.channel).is_some())
        })
    };
    Touches {
        first: known(touches.first),
        last: known(touches.last),
    }
}

/// Prices the cart on the server and stores the order, once per idempotency key.
pub(crate) async fn place(state: &AppState, input: PlaceInput) -> Result<PlacedOrder, ApiError> {
    let key_hash = keys::sha256_hex(&input.idempotency_key);
    // A retry is answered with the order it placed, even if the menu changed since.
    if let Some(placed) = state.store.replay(&key_hash, &input.request_hash).await? {
        let token = unsealed(&placed.sealed_token, &input.idempotency_key)?;
        return Ok(PlacedOrder {
            order: placed.order,
            token,
            created: false,
        });
    }
    let catalog = state.catalog();
    let site = &catalog.site;
    check_input(&input, site)?;
    let touches = known_touches(input.touches.clone(), site);
    let now = state.now();
    let member = input.member_id.as_deref();
    if let Some(version) = &input.version {
        if *version != catalog.version {
            return Err(
                match price_cart(state, &catalog, &input.cart, member, now).await {
                    Ok(priced) => ApiError::MenuChanged {
                        version: catalog.version.clone(),
                        quote: Some(Box::new(priced.quote)),
                        errors: Vec::new(),
                    },
                    Err(ApiError::InvalidCart(errors)) => ApiError::MenuChanged {
                        version: catalog.version.clone(),
                        quote: None,
                        errors,
                    },
                    Err(other) => other,
                },
            );
        }
    }
    let priced = price_cart(state, &catalog, &input.cart, member, now).await?;
    if let Some(CouponOutcome::Rejected { code, reason }) = &priced.quote.coupon {
        return Err(ApiError::CouponRejected {
            code: code.clone(),
            reason: reason.clone(),
        });
    }
    let location = site
        .location(&input.cart.location)
        .ok_or(ApiError::NotFound)?;
    let token = keys::new_token();
    let new = NewOrder {
        id: keys::new_id("ord"),
        location: location.id.clone(),
        order_prefix: location.order_prefix.clone(),
        local_day: now.with_timezone(&site.settings.timezone).date_naive(),
        idempotency_key_hash: key_hash,
        request_hash: input.request_hash.clone(),
        token_hash: keys::sha256_hex(&token),
        sealed_token: keys::seal_token(&token, &input.idempotency_key),
        cart: input.cart.clone(),
        quote: priced.quote,
        note: input.note.clone().filter(|n| !n.trim().is_empty()),
        name: input.name.clone().filter(|n| !n.trim().is_empty()),
        member_id: input.member_id.clone(),
        // Without an explicit attribution the last touch brought the order.
        attribution: input.attribution.clone().or_else(|| {
            touches.last.as_ref().map(|t| Attribution {
                campaign: t.campaign.clone(),
                channel: t.channel.clone(),
            })
        }),
        redemption: priced.claim,
        slot: priced.slot,
        placed_at: now,
        touches,
    };
    let coupon_code = input.cart.coupon.clone().unwrap_or_default();
    let placed = state
        .store
        .place_order(new)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::CouponRejected { reason, .. } => ApiError::CouponRejected {
                code: coupon_code.trim().to_owned(),
                reason,
            },
            other => other,
        })?;
    let token = if placed.created {
        state
            .events
            .publish(crate::events::StaffEvent::placed(&placed.order));
        token
    } else {
        // Another request with the same key won the race: answer with its order.
        unsealed(&placed.sealed_token, &input.idempotency_key)?
    };
    Ok(PlacedOrder {
        order: placed.order,
        token,
        created: placed.created,
    })
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| {
            ApiError::Validation(vec![FieldError::new(
                "Idempotency-Key",
                "must be visible ASCII text",
            )])
        })?
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::MissingIdempotencyKey)?;
    if value.len() > limits::MAX_IDEMPOTENCY_KEY {
        return Err(ApiError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            format!("at most {} characters", limits::MAX_IDEMPOTENCY_KEY),
        )]));
    }
    Ok(value.to_owned())
}

/// Places an order. JSON bodies need an `Idempotency-Key` header; a form-encoded
/// body (the storefront with JavaScript off) is answered with an HTML page.
#[utoipa::path(
    post,
    path = "/api/orders",
    tag = "orders",
    request_body(content(
        (OrderRequest = "application/json"),
        (crate::forms::OrderForm = "application/x-www-form-urlencoded"),
    )),
    params(("Idempotency-Key" = String, Header, description = "A random value, the same on every retry of one order (JSON only; forms send `idempotency_key`)")),
    responses(
        (status = 201, description = "Order placed", body = OrderCreated),
        (status = 200, description = "A retry: the order this key placed before", body = OrderCreated),
        (status = 400, description = "Malformed body or missing Idempotency-Key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`menu-changed` (with the new quote) or `slot-full`", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor a form", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`, `validation-failed`, `invalid-cart`, `coupon-rejected` or `idempotency-conflict`", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn place_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if limits::media_type(&headers) == "application/x-www-form-urlencoded" {
        return Ok(crate::forms::place_form_order(&state, &headers, body).await);
    }
    limits::require_json(&headers)?;
    let key = idempotency_key(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: OrderRequest = limits::parse_json(&bytes)?;
    // Hash the parsed request, so key order and white space do not count as a change.
    let canonical = serde_json::to_vec(&request).map_err(|e| ApiError::Malformed(e.to_string()))?;
    let placed = place(
        &state,
        PlaceInput {
            cart: request.cart,
            version: Some(request.version),
            note: request.note,
            name: request.name,
            member_id: request.member_id,
            attribution: request.attribution,
            touches: Touches {
                first: request.first_touch,
                last: request.last_touch,
            },
            idempotency_key: key,
            request_hash: keys::sha256_hex(&canonical),
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

/// Reads one query parameter.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// An order's status for the diner holding its token. Browsers (`Accept:
/// text/html`) get a page that refreshes itself until the order is ready.
#[utoipa::path(
    get,
    path = "/api/orders/{id}",
    tag = "orders",
    params(
        ("id" = String, Path, description = "The order id"),
        ("token" = String, Query, description = "The token returned when the order was placed"),
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
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if html::prefers_html(accept) {
        let catalog = state.catalog();
        let lang = query_param(query.as_deref(), "lang")
            .unwrap_or_else(|| catalog.site.default_language().to_owned());
        let page = html::status_page(&order, &catalog.site, &lang);
        return Ok(Html(page).into_response());
    }
    Ok(Json(view(order)).into_response())
}

pub(crate) fn view(order: Order) -> OrderView {
    OrderView {
        id: order.id,
        number: order.number,
        status: order.status,
        location: order.location,
        fulfilment: order.cart.fulfilment,
        times: order.times,
        quote: order.quote,
    }
}
