//! Errors at the edge: every failure becomes one RFC 9457 problem, mapped here and only here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::{CouponRejection, PricingError, Quote};
use serde::Serialize;
use serde_json::{json, Map, Value};
use thiserror::Error;
use utoipa::ToSchema;

use crate::payments::PaymentError;
use crate::store::StoreError;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Problem type URIs are this prefix plus a slug, e.g. `urn:carte:problem:slot-full`.
pub const PROBLEM_BASE: &str = "urn:carte:problem:";

/// One field of a request and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `cart.lines[2].options.spice` or `coupon`.
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub reason: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The body is not well-formed JSON (or form data).
    #[error("the request body is not well-formed: {0}")]
    Malformed(String),
    /// The body is JSON of the wrong shape: unknown or missing fields, wrong types.
    #[error("the request body does not have the expected shape")]
    InvalidBody(Vec<FieldError>),
    /// Fields with values out of bounds or the wrong format.
    #[error("some fields are not valid")]
    Validation(Vec<FieldError>),
    /// The content type is not one the endpoint reads.
    #[error("send {expected}")]
    UnsupportedMediaType { expected: &'static str },
    /// The body is longer than the endpoint takes.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// Placing an order needs an `Idempotency-Key` header.
    #[error("send an Idempotency-Key header (a random value, the same on every retry)")]
    MissingIdempotencyKey,
    /// The cart cannot be priced.
    #[error("the cart cannot be ordered as it is")]
    InvalidCart(Vec<PricingError>),
    /// The coupon does not apply, by its rules or because it is used up.
    #[error("{reason}")]
    CouponRejected {
        code: String,
        reason: CouponRejection,
    },
    /// The menu changed since the cart was priced; here is the cart priced anew.
    #[error("the menu changed; check the new prices and order again")]
    MenuChanged {
        version: String,
        quote: Option<Box<Quote>>,
        errors: Vec<PricingError>,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(StoreError),
    /// No API key, or an unknown one.
    #[error("send a valid API key as `Authorization: Bearer <key>`")]
    Unauthorized,
    /// The key's role may not do this.
    #[error("this API key's role may not do this")]
    Forbidden,
    /// Nothing here (or nothing this caller may know about).
    #[error("not found")]
    NotFound,
    /// The path exists, the method does not.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// Too many attempts (failed sign-ins, code requests, pickup orders) from this
    /// client; try again after `retry_after` seconds.
    #[error("too many attempts from this client; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// A request signed in by cookie that the browser says came from another site.
    #[error("a signed-in change must come from the staff console's own pages")]
    CrossSite,
    /// A payment provider's route while that provider is not set up.
    #[error("{0} is not set up on this server")]
    PaymentsNotConfigured(&'static str),
    /// A provider notification that does not verify or cannot be read: nothing recorded.
    #[error(transparent)]
    Notification(PaymentError),
    /// An online payment of an order with nothing left to pay.
    #[error("the order is paid: nothing is due")]
    AlreadyPaid,
    /// A payment for an order that no longer takes one (named: its status, or `expired`).
    #[error("the order is {0}: it takes no payment")]
    OrderClosed(&'static str),
    /// The payment provider refused a request or could not be reached.
    #[error(transparent)]
    Provider(PaymentError),
    /// A one-time code could not be sent.
    #[error(transparent)]
    Sender(crate::senders::SendError),
    /// Web Push is not set up on this server (no VAPID key).
    #[error("notifications are not set up on this server")]
    PushNotConfigured,
    /// A push subscription the order takes no longer (says why).
    #[error("{0}")]
    PushRefused(&'static str),
    /// A rating the order does not take (not completed yet, or rated already).
    #[error("{0}")]
    RatingRefused(&'static str),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            // Coupon refusals from the store read exactly like those from pricing.
            StoreError::BudgetExhausted => ApiError::CouponRejected {
                code: String::new(),
                reason: CouponRejection::BudgetExhausted,
            },
            StoreError::PerMemberLimit => ApiError::CouponRejected {
                code: String::new(),
                reason: CouponRejection::PerMemberLimit,
            },
            StoreError::CodeAlreadyUsed => ApiError::CouponRejected {
                code: String::new(),
                reason: CouponRejection::AlreadyUsed,
            },
            StoreError::CouponRefused(reason) => ApiError::CouponRejected {
                code: String::new(),
                reason,
            },
            StoreError::NotFound => ApiError::NotFound,
            other => ApiError::Store(other),
        }
    }
}

/// A problem document before it is written as JSON or HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: StatusCode,
    /// The last part of the type URI, e.g. `slot-full`.
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Extra members, e.g. `quote` for `menu-changed`.
    pub extensions: Map<String, Value>,
}

impl Problem {
    fn new(status: StatusCode, slug: &'static str, title: &'static str, detail: String) -> Problem {
        Problem {
            status,
            slug,
            title,
            detail,
            errors: Vec::new(),
            extensions: Map::new(),
        }
    }

    fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.errors = errors;
        self
    }

    fn with(mut self, key: &str, value: Value) -> Problem {
        self.extensions.insert(key.to_owned(), value);
        self
    }

    /// The full type URI.
    pub fn type_uri(&self) -> String {
        format!("{PROBLEM_BASE}{}", self.slug)
    }

    /// The problem as an RFC 9457 JSON document.
    pub fn to_json(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("type".into(), json!(self.type_uri()));
        doc.insert("title".into(), json!(self.title));
        doc.insert("status".into(), json!(self.status.as_u16()));
        doc.insert("detail".into(), json!(self.detail));
        if !self.errors.is_empty() {
            doc.insert("errors".into(), json!(self.errors));
        }
        for (key, value) in &self.extensions {
            doc.insert(key.clone(), value.clone());
        }
        Value::Object(doc)
    }
}

/// The field errors of pricing errors.
pub fn pricing_field_errors(errors: &[PricingError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| FieldError::new(format!("cart.{}", e.field()), e.to_string()))
        .collect()
}

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl ApiError {
    /// The one mapping from errors to problem types and HTTP statuses.
    pub fn problem(&self) -> Problem {
        use StatusCode as S;
        let detail = self.to_string();
        match self {
            ApiError::Malformed(_) => Problem::new(
                S::BAD_REQUEST,
                "malformed-body",
                "Malformed request body",
                detail,
            ),
            ApiError::InvalidBody(errors) => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "Request body has the wrong shape",
                detail,
            )
            .with_errors(errors.clone()),
            ApiError::Validation(errors) => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Some fields are not valid",
                detail,
            )
            .with_errors(errors.clone()),
            ApiError::UnsupportedMediaType { .. } => Problem::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported content type",
                detail,
            ),
            ApiError::BodyTooLarge { limit } => Problem::new(
                S::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Request body too large",
                detail,
            )
            .with("limit", json!(limit)),
            ApiError::MissingIdempotencyKey => Problem::new(
                S::BAD_REQUEST,
                "idempotency-key-required",
                "Idempotency-Key header required",
                detail,
            )
            .with_errors(vec![FieldError::new("Idempotency-Key", "missing or empty")]),
            ApiError::InvalidCart(errors) => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-cart",
                "The cart cannot be ordered",
                detail,
            )
            .with_errors(pricing_field_errors(errors))
            .with("pricing_errors", to_value(errors)),
            ApiError::CouponRejected { code, reason } => {
                let mut problem = Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "coupon-rejected",
                    "The coupon cannot be used",
                    detail,
                )
                .with_errors(vec![FieldError::new("coupon", reason.to_string())])
                .with("reason", to_value(reason));
                if !code.is_empty() {
                    problem = problem.with("code", json!(code));
                }
                problem
            }
            ApiError::MenuChanged {
                version,
                quote,
                errors,
            } => {
                let mut problem =
                    Problem::new(S::CONFLICT, "menu-changed", "The menu changed", detail)
                        .with("version", json!(version))
                        .with_errors(pricing_field_errors(errors));
                if let Some(quote) = quote {
                    problem = problem.with("quote", to_value(quote));
                }
                problem
            }
            ApiError::Store(error) => store_problem(error, detail),
            ApiError::Unauthorized => {
                Problem::new(S::UNAUTHORIZED, "unauthorized", "API key required", detail)
            }
            ApiError::Forbidden => Problem::new(
                S::FORBIDDEN,
                "forbidden",
                "Not allowed for this role",
                detail,
            ),
            ApiError::NotFound => Problem::new(S::NOT_FOUND, "not-found", "Not found", detail),
            ApiError::MethodNotAllowed => Problem::new(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                detail,
            ),
            ApiError::TooManyRequests { retry_after } => Problem::new(
                S::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many attempts",
                detail,
            )
            .with("retry_after", json!(retry_after)),
            ApiError::CrossSite => Problem::new(
                S::FORBIDDEN,
                "cross-site",
                "Cross-site request refused",
                detail,
            ),
            ApiError::PaymentsNotConfigured(_) => Problem::new(
                S::SERVICE_UNAVAILABLE,
                "payments-not-configured",
                "Payments not configured",
                detail,
            ),
            ApiError::Notification(error) => notification_problem(error, detail),
            ApiError::AlreadyPaid => {
                Problem::new(S::CONFLICT, "already-paid", "Already paid", detail)
            }
            ApiError::PushNotConfigured => Problem::new(
                S::SERVICE_UNAVAILABLE,
                "push-not-configured",
                "Notifications not set up",
                detail,
            ),
            ApiError::RatingRefused(_) => Problem::new(
                S::CONFLICT,
                "rating-refused",
                "The order takes no rating",
                detail,
            ),
            ApiError::PushRefused(_) => Problem::new(
                S::CONFLICT,
                "push-refused",
                "No notification can be added",
                detail,
            ),
            ApiError::OrderClosed(_) => Problem::new(
                S::CONFLICT,
                "order-closed",
                "The order takes no payment",
                detail,
            ),
            ApiError::Sender(error) => match error {
                crate::senders::SendError::Failed(_) => Problem::new(
                    S::BAD_GATEWAY,
                    "code-not-sent",
                    "The code could not be sent",
                    detail,
                ),
                _ => Problem::new(
                    S::SERVICE_UNAVAILABLE,
                    "sender-not-configured",
                    "Codes cannot be sent to this kind of address",
                    detail,
                ),
            },
            ApiError::Provider(error) => {
                let status = match error {
                    PaymentError::Unreachable(_) | PaymentError::Config { .. } => {
                        S::SERVICE_UNAVAILABLE
                    }
                    _ => S::BAD_GATEWAY,
                };
                Problem::new(
                    status,
                    "payment-provider-failed",
                    "The payment provider did not take the request",
                    detail,
                )
            }
        }
    }
}

fn notification_problem(error: &PaymentError, detail: String) -> Problem {
    use StatusCode as S;
    match error {
        PaymentError::Unauthentic(_) => Problem::new(
            S::BAD_REQUEST,
            "notification-refused",
            "Notification not authentic",
            detail,
        ),
        PaymentError::Malformed(_) | PaymentError::Invalid(_) => Problem::new(
            S::BAD_REQUEST,
            "notification-unreadable",
            "Notification cannot be read",
            detail,
        ),
        PaymentError::Config { .. } => Problem::new(
            S::SERVICE_UNAVAILABLE,
            "payments-not-configured",
            "Payments not configured",
            detail,
        ),
        PaymentError::Unreachable(_) | PaymentError::Refused { .. } => Problem::new(
            S::BAD_GATEWAY,
            "provider-unavailable",
            "Payment provider unavailable",
            detail,
        ),
    }
}

/// A problem answered to WeChat Pay: its documented failure answer (`code: FAIL` and a
/// `message`) as members of the problem document, so WeChat Pay retries and a person
/// reading it sees the problem.
pub fn wechat_failure(error: ApiError) -> Response {
    let mut problem = error.problem();
    problem = problem.with("code", json!("FAIL"));
    let message = problem.detail.clone();
    problem = problem.with("message", json!(message));
    let mut response = (problem.status, problem.to_json().to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if matches!(error, ApiError::Store(StoreError::Unavailable(_))) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn store_problem(error: &StoreError, detail: String) -> Problem {
    use StatusCode as S;
    match error {
        StoreError::SlotFull => {
            Problem::new(S::CONFLICT, "slot-full", "The pickup slot is full", detail).with_errors(
                vec![FieldError::new(
                    "cart.fulfilment.slot",
                    "this pickup time is fully booked; pick another",
                )],
            )
        }
        StoreError::IdempotencyConflict => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "idempotency-conflict",
            "Idempotency-Key reused with a different request",
            detail,
        ),
        StoreError::InvalidTransition { from, to } => Problem::new(
            S::CONFLICT,
            "invalid-transition",
            "Status change not allowed",
            detail,
        )
        .with("from", json!(from))
        .with("to", json!(to)),
        StoreError::UnknownMember => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Some fields are not valid",
            detail,
        )
        .with_errors(vec![FieldError::new("member_id", "no member with this id")]),
        StoreError::NotFound => Problem::new(S::NOT_FOUND, "not-found", "Not found", detail),
        StoreError::RefundRefused(_) => {
            Problem::new(S::CONFLICT, "refund-refused", "Refund refused", detail)
        }
        // Converted to coupon-rejected in `From<StoreError>`; kept total here.
        StoreError::BudgetExhausted
        | StoreError::PerMemberLimit
        | StoreError::CodeAlreadyUsed
        | StoreError::CouponRefused(_) => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "coupon-rejected",
            "The coupon cannot be used",
            detail,
        )
        .with_errors(vec![FieldError::new("coupon", error.to_string())]),
        StoreError::Unavailable(cause) => {
            // Throttled, contended or unreachable: the same request may succeed shortly.
            eprintln!("carte functions: storage unavailable: {cause}");
            Problem::new(
                S::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                "we are very busy right now; please try again in a moment".to_owned(),
            )
        }
        StoreError::Backend(cause) => {
            // The cause is for the operator's log, never for the caller.
            eprintln!("carte functions: storage error: {cause}");
            Problem::new(
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "something went wrong on our side; please try again".to_owned(),
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let mut response = (problem.status, problem.to_json().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if matches!(self, ApiError::Unauthorized) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if matches!(self, ApiError::Store(StoreError::Unavailable(_))) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let ApiError::TooManyRequests { retry_after } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// The shape of every error response (for the OpenAPI document).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDoc {
    /// `urn:carte:problem:<slug>`, e.g. `urn:carte:problem:slot-full`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}
