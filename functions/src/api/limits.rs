//! Bounds on what a request may carry, and reading bodies within them.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use catalog::pricing::MAX_LINES;
use catalog::{Cart, Fulfilment};
use serde::de::DeserializeOwned;

use crate::api::problem::{ApiError, FieldError};

/// Largest request body read, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest id (location, dish, group, choice, order, member).
pub const MAX_ID: usize = 64;
/// Longest option group key: a set meal's `group/choice/inner` (three ids).
pub const MAX_GROUP_KEY: usize = 3 * MAX_ID + 2;
/// Longest diner name.
pub const MAX_NAME: usize = 100;
/// Longest note to the kitchen.
pub const MAX_NOTE: usize = 500;
/// Longest table label.
pub const MAX_TABLE: usize = 32;
/// Longest coupon code.
pub const MAX_COUPON: usize = 64;
/// Longest idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest phone number as typed.
pub const MAX_PHONE: usize = 32;
/// Longest reason for a status change.
pub const MAX_REASON: usize = 200;
/// Most orders linked at sign-up.
pub const MAX_LINKED_ORDERS: usize = 20;
/// Most orders in one queue page.
pub const MAX_QUEUE: u32 = 200;

/// Reads the whole body, refusing more than [`BODY_LIMIT`] bytes.
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|error| {
            let error = error.into_inner();
            if error.is::<http_body_util::LengthLimitError>() {
                ApiError::BodyTooLarge { limit: BODY_LIMIT }
            } else {
                // The client stopped sending (`carte serve`'s body read timeout) or the
                // connection broke: nothing to answer but that.
                ApiError::Malformed(format!("the request body could not be read: {error}"))
            }
        })
}

/// The media type of the request, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Refuses a body that is not declared as JSON.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media = media_type(headers);
    if media == "application/json"
        || (media.starts_with("application/") && media.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        })
    }
}

/// Parses JSON, naming the field at fault: syntax errors are `malformed-body`,
/// shape errors (unknown, missing or mistyped fields) are `invalid-body`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.classify() == serde_json::error::Category::Data {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::InvalidBody(vec![FieldError::new(field, inner.to_string())])
        } else {
            ApiError::Malformed(inner.to_string())
        }
    })?;
    de.end().map_err(|e| ApiError::Malformed(e.to_string()))?;
    Ok(value)
}

/// Adds an error when `value` is longer than `max` characters or holds control characters.
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.push(FieldError::new(field, format!("at most {max} characters")));
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
}

/// Length checks on an optional text field.
pub fn check_opt_text(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) {
    if let Some(value) = value {
        check_text(errors, field, value, max);
    }
}

/// Bounds on a cart's text before it is priced (pricing checks quantities and
/// everything the menu allows).
pub fn check_cart(errors: &mut Vec<FieldError>, prefix: &str, cart: &Cart) {
    check_text(errors, &format!("{prefix}location"), &cart.location, MAX_ID);
    if let Fulfilment::DineIn { table } = &cart.fulfilment {
        check_text(
            errors,
            &format!("{prefix}fulfilment.table"),
            table,
            MAX_TABLE,
        );
    }
    check_opt_text(
        errors,
        &format!("{prefix}coupon"),
        cart.coupon.as_deref(),
        MAX_COUPON,
    );
    if cart.lines.len() > MAX_LINES {
        errors.push(FieldError::new(
            format!("{prefix}lines"),
            format!("at most {MAX_LINES} lines"),
        ));
        return;
    }
    for (index, line) in cart.lines.iter().enumerate() {
        let at = format!("{prefix}lines[{index}]");
        check_text(errors, &format!("{at}.dish"), &line.dish, MAX_ID);
        if line.options.len() > 32 {
            errors.push(FieldError::new(
                format!("{at}.options"),
                "at most 32 groups",
            ));
            continue;
        }
        for chosen in &line.options {
            check_text(
                errors,
                &format!("{at}.options.group"),
                &chosen.group,
                MAX_GROUP_KEY,
            );
            if chosen.choices.len() > 32 {
                errors.push(FieldError::new(
                    format!("{at}.options.{}", chosen.group),
                    "at most 32 choices",
                ));
            }
            for choice in &chosen.choices {
                check_text(
                    errors,
                    &format!("{at}.options.{}", chosen.group),
                    choice,
                    MAX_ID,
                );
            }
        }
    }
}

/// `Err(Validation)` when any check failed.
pub fn finish(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The header that makes a change safe to retry (placing an order, a counter payment).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The request's `Idempotency-Key`: required, visible ASCII, at most
/// [`MAX_IDEMPOTENCY_KEY`] characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
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
    if value.len() > MAX_IDEMPOTENCY_KEY {
        return Err(ApiError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            format!("at most {MAX_IDEMPOTENCY_KEY} characters"),
        )]));
    }
    Ok(value.to_owned())
}

/// The client's address for per-client limits ([`crate::api::extract::client_address`]).
pub(crate) fn client_of(request: &axum::extract::Request) -> String {
    crate::api::extract::client_address(request.headers(), request.extensions())
}
