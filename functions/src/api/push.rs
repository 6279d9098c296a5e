//! `POST /api/orders/{id}/push`: the diner's browser asks to be told when the order is
//! ready (see [`crate::push`]). The order's token proves it is the diner's.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extract::query_param;
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::keys;
use crate::state::AppState;
use crate::store::{OrderStatus, PushSubscription};

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it (its
/// `expirationTime` is ignored: the subscription ends with the order), and the language
/// of the message.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscribeRequest {
    /// The push service URL.
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    /// The language of the notification (one of the site's; its default otherwise).
    #[serde(default)]
    pub lang: Option<String>,
}

/// The browser's keys for the message's encryption.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// P-256 public key, base64url, 65 bytes uncompressed.
    pub p256dh: String,
    /// Authentication secret, base64url, 16 bytes.
    pub auth: String,
}

fn decoded_len(value: &str) -> Option<usize> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .ok()
        .map(|b| b.len())
}

/// Keeps the browser's subscription until the order is over; when staff mark the order
/// ready, the browser is sent "Order … is ready" (at most 5 browsers per order).
#[utoipa::path(
    post,
    path = "/api/orders/{id}/push",
    tag = "orders",
    params(
        ("id" = String, Path, description = "The order id"),
        ("token" = String, Query, description = "The token returned when the order was placed"),
    ),
    request_body = SubscribeRequest,
    responses(
        (status = 204, description = "Subscribed: a notification follows when the order is ready"),
        (status = 404, description = "No such order, or a wrong token", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`push-refused`: the order is ready or over already, or has 5 subscriptions", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "An endpoint this shop does not send to, or unusable keys (the field is named)", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "`push-not-configured`: the shop has no Web Push key", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn subscribe(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    let token = query_param(query.as_deref(), "token").ok_or(ApiError::NotFound)?;
    if id.len() > limits::MAX_ID || token.len() > 128 {
        return Err(ApiError::NotFound);
    }
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: SubscribeRequest = limits::parse_json(&bytes)?;
    let push = state.push.clone().ok_or(ApiError::PushNotConfigured)?;
    let mut errors = Vec::new();
    if let Err(error) = push.check_endpoint(&request.endpoint) {
        errors.push(FieldError::new("endpoint", error.to_string()));
    }
    if decoded_len(&request.keys.p256dh) != Some(65)
        || URL_SAFE_NO_PAD
            .decode(request.keys.p256dh.trim_end_matches('='))
            .ok()
            .and_then(|b| web_push_native::p256::PublicKey::from_sec1_bytes(&b).ok())
            .is_none()
    {
        errors.push(FieldError::new(
            "keys.p256dh",
            "must be the browser's P-256 public key (65 bytes, base64url)",
        ));
    }
    if decoded_len(&request.keys.auth) != Some(16) {
        errors.push(FieldError::new(
            "keys.auth",
            "must be the browser's 16-byte secret, base64url",
        ));
    }
    limits::check_opt_text(&mut errors, "lang", request.lang.as_deref(), 16);
    limits::finish(errors)?;

    let order = state.store.get_order(&id).await?;
    // A wrong token reads exactly like a missing order.
    if !keys::token_matches(&token, &order.token_hash) {
        return Err(ApiError::NotFound);
    }
    if !order.status.is_open() || order.status == OrderStatus::Ready {
        return Err(ApiError::PushRefused(
            "the order is ready or over already: there is nothing left to tell",
        ));
    }
    let catalog = state.catalog();
    let site = &catalog.site;
    let lang = request
        .lang
        .filter(|l| site.settings.languages.iter().any(|s| s == l))
        .unwrap_or_else(|| site.default_language().to_owned());
    let kept = state
        .store
        .add_push_subscription(PushSubscription {
            order_id: order.id,
            endpoint: request.endpoint,
            p256dh: request.keys.p256dh,
            auth: request.keys.auth,
            lang,
            created_at: state.now(),
        })
        .await?;
    if !kept {
        return Err(ApiError::PushRefused(
            "the order has as many browsers to tell as it keeps (5)",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}
