//! Payments taken at the counter: `POST /api/staff/orders/{id}/payments` (cash with
//! change due, the card terminal, the shop's own QR code) and
//! `POST /api/staff/orders/{id}/refunds`; and the providers' notifications:
//! `POST /api/payments/stripe/webhook` and `POST /api/payments/wechat/notify`.
//!
//! A notification is verified by its provider ([`crate::payments`]) before anything is
//! read from it, and recorded under its event's
//! [`idempotency_key`](crate::payments::ProviderEvent::idempotency_key), so a repeated,
//! concurrent or replayed delivery changes nothing twice.
//!
//! Each is one entry appended to the order's ledger with
//! [`Store::record_payment`](crate::store::Store::record_payment); the request's
//! `Idempotency-Key` (prefixed `staff:`) is the entry's event key, so a retried request
//! appends nothing and answers with the entry recorded the first time. What the ledger
//! adds up to is computed by [`catalog::payment`] (in
//! [`checkout::payment_summary`]), never taken from the request.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::payment::{Entry, EntryKind, Method};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{self, Access};
use crate::api::checkout::{self, PaymentSummary};
use crate::api::limits;
use crate::api::problem::{self, ApiError, FieldError, ProblemDoc};
use crate::payments::{Provider, Providers, RefundStatus};
use crate::state::AppState;
use crate::store::{Role, StoreError};

/// What prefixes a staff request's `Idempotency-Key` in the ledger's event keys, so it
/// never names the same fact as a provider's event.
pub const STAFF_EVENT_PREFIX: &str = "staff:";

/// Largest amount a counter entry takes, in minor units (a sanity bound, not a policy).
pub const MAX_AMOUNT: i64 = 100_000_000;

/// A payment taken at the counter.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderRequest {
    /// `cash`, `card_terminal` or `counter_qr`.
    pub method: String,
    /// The amount charged, in minor units of the order's currency: normally the
    /// amount due. Another amount is recorded and listed as a mismatch.
    pub amount: i64,
    /// Cash only: what the diner handed over, for the change due.
    #[serde(default)]
    pub tendered: Option<i64>,
    /// The terminal slip or QR transaction number, if any.
    #[serde(default)]
    pub reference: Option<String>,
}

/// Money given back at the counter.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// At most what was paid and not yet refunded, in minor units.
    pub amount: i64,
    /// `cash`, `card_terminal` or `counter_qr`: how the money goes back at the counter;
    /// `stripe` or `wechat_pay`: through the provider that took the payment.
    pub method: String,
    /// Why; kept as the entry's reference.
    pub reason: String,
}

/// One ledger entry as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    /// Its position in the order's ledger.
    pub index: usize,
    /// `charge`, `refund`, `checkout` or `failure`.
    #[schema(value_type = String)]
    pub kind: EntryKind,
    /// `cash`, `card_terminal`, `counter_qr`, `stripe` or `wechat_pay`.
    #[schema(value_type = String)]
    pub method: Method,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who recorded it: the staff key's label and id.
    pub by: String,
}

/// A counter payment or refund as recorded, and the order's payment after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentRecorded {
    pub order_id: String,
    pub entry: EntryView,
    /// Cash only: what to hand back (`tendered − amount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_due: Option<i64>,
    pub payment: PaymentSummary,
}

impl PaymentRecorded {
    /// The answer about an entry the store recorded (or had recorded before).
    fn of(
        order_id: String,
        recorded: crate::store::Recorded,
        change_due: Option<i64>,
        payment: PaymentSummary,
    ) -> PaymentRecorded {
        let entry = recorded.entry;
        PaymentRecorded {
            order_id,
            entry: EntryView {
                index: recorded.index,
                kind: entry.kind,
                method: entry.method,
                amount: entry.amount,
                currency: entry.currency,
                reference: entry.reference,
                at: entry.at,
                by: entry.by,
            },
            change_due,
            payment,
        }
    }
}

/// A counter method named in a request, or the field error saying why it is not one.
fn counter_method(errors: &mut Vec<FieldError>, text: &str) -> Option<Method> {
    match text.parse::<Method>() {
        Ok(method) if !method.is_online() => Some(method),
        Ok(method) => {
            errors.push(FieldError::new(
                "method",
                format!(
                    "{} payments are recorded from the provider's notification, not at the counter",
                    method.as_str()
                ),
            ));
            None
        }
        Err(_) => {
            errors.push(FieldError::new(
                "method",
                "one of cash, card_terminal, counter_qr",
            ));
            None
        }
    }
}

fn check_amount(errors: &mut Vec<FieldError>, field: &str, amount: i64) {
    if amount <= 0 || amount > MAX_AMOUNT {
        errors.push(FieldError::new(
            field,
            format!("a whole number of minor units from 1 to {MAX_AMOUNT}"),
        ));
    }
}

/// Appends `entry` under the request's key and answers with the order's summary.
async fn record(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    entry: Entry,
    change_due: Option<i64>,
) -> Result<Response, ApiError> {
    let key = limits::idempotency_key(headers)?;
    if id.len() > limits::MAX_ID {
        return Err(ApiError::NotFound);
    }
    let order = state.store.get_order(id).await?;
    let mut entry = entry;
    entry.currency = order.quote.currency.clone();
    let recorded = state
        .store
        .record_payment(
            &order.id,
            entry.clone(),
            Some(format!("{STAFF_EVENT_PREFIX}{key}")),
        )
        .await?;
    // A retry must be the same request: the same key for another payment is a mistake
    // the caller should see, not a silent answer about a different entry.
    let first = &recorded.entry;
    if !recorded.created
        && (first.kind != entry.kind
            || first.method != entry.method
            || first.amount != entry.amount
            || first.reference != entry.reference)
    {
        return Err(ApiError::Store(StoreError::IdempotencyConflict));
    }
    if recorded.created {
        state
            .events
            .publish(crate::events::StaffEvent::payment(&order));
    }
    let payment = checkout::read_payment_summary(state, &order).await?;
    let status = if recorded.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = PaymentRecorded::of(order.id, recorded, change_due, payment);
    Ok((status, Json(body)).into_response())
}

/// Records a payment taken at the counter: cash (with the change due), the card
/// terminal or the shop's own QR code. The amount is normally the amount due; another
/// amount, or a payment of an order already paid, is recorded (the money was
/// received) and listed in `mismatches`, and never marks the order paid.
#[utoipa::path(
    post,
    path = "/api/staff/orders/{id}/payments",
    tag = "staff",
    params(
        ("id" = String, Path, description = "The order id"),
        ("Idempotency-Key" = String, Header, description = "A random value, the same on every retry of one payment"),
    ),
    request_body = TenderRequest,
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 201, description = "Recorded; the order's payment after it", body = PaymentRecorded),
        (status = 200, description = "A retry: the entry this key recorded before", body = PaymentRecorded),
        (status = 400, description = "Malformed body or missing Idempotency-Key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key, or a cross-site request", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`validation-failed` (the field is named), `invalid-body` or `idempotency-conflict`", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn take_payment(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = auth::authorize(&state, &headers, Role::Staff, Access::Change).await?;
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: TenderRequest = limits::parse_json(&bytes)?;
    let mut errors = Vec::new();
    let method = counter_method(&mut errors, &request.method);
    check_amount(&mut errors, "amount", request.amount);
    limits::check_opt_text(
        &mut errors,
        "reference",
        request.reference.as_deref(),
        limits::MAX_REASON,
    );
    let mut change_due = None;
    if let Some(tendered) = request.tendered {
        if method.is_some_and(|m| m != Method::Cash) {
            errors.push(FieldError::new("tendered", "only for cash"));
        } else if tendered < request.amount || tendered > MAX_AMOUNT {
            errors.push(FieldError::new(
                "tendered",
                format!("at least the amount, at most {MAX_AMOUNT}"),
            ));
        } else {
            // An amount out of bounds (already refused above) has no change to give.
            change_due = tendered.checked_sub(request.amount);
        }
    } else if method == Some(Method::Cash) {
        change_due = Some(0);
    }
    limits::finish(errors)?;
    let Some(method) = method else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "method", "missing",
        )]));
    };
    let entry = Entry {
        kind: EntryKind::Charge,
        method,
        amount: request.amount,
        currency: String::new(),
        reference: request.reference.filter(|r| !r.trim().is_empty()),
        at: state.now(),
        by: caller.who(),
    };
    record(&state, &headers, &id, entry, change_due).await
}

/// Records money given back at the counter. Never more than was paid and not yet
/// refunded: a larger refund is refused (409 `refund-refused`) and nothing is recorded.
#[utoipa::path(
    post,
    path = "/api/staff/orders/{id}/refunds",
    tag = "staff",
    params(
        ("id" = String, Path, description = "The order id"),
        ("Idempotency-Key" = String, Header, description = "A random value, the same on every retry of one refund"),
    ),
    request_body = RefundRequest,
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 201, description = "Recorded; the order's payment after it", body = PaymentRecorded),
        (status = 200, description = "A retry: the entry this key recorded before", body = PaymentRecorded),
        (status = 202, description = "The provider accepted the refund and will confirm it (its notification records it)", body = RefundPending),
        (status = 400, description = "Malformed body or missing Idempotency-Key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key, or a cross-site request", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 502, description = "`payment-provider-failed`: the provider refused the refund", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`refund-refused`: more than was paid and not yet refunded", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`validation-failed` (the field is named), `invalid-body` or `idempotency-conflict`", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn refund(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = auth::authorize(&state, &headers, Role::Staff, Access::Change).await?;
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: RefundRequest = limits::parse_json(&bytes)?;
    let mut errors = Vec::new();
    check_amount(&mut errors, "amount", request.amount);
    let online = request
        .method
        .parse::<Method>()
        .ok()
        .filter(|m| m.is_online());
    let method = match online {
        Some(method) => Some(method),
        None => counter_method(&mut errors, &request.method),
    };
    if request.reason.trim().is_empty() {
        errors.push(FieldError::new("reason", "say why the money goes back"));
    }
    limits::check_text(&mut errors, "reason", &request.reason, limits::MAX_REASON);
    limits::finish(errors)?;
    let Some(method) = method else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "method", "missing",
        )]));
    };
    if method.is_online() {
        let refund = ProviderRefund {
            method,
            amount: request.amount,
            reason: request.reason.trim().to_owned(),
            by: caller.who(),
        };
        return provider_refund(&state, &headers, &id, refund).await;
    }
    let entry = Entry {
        kind: EntryKind::Refund,
        method,
        amount: request.amount,
        currency: String::new(),
        reference: Some(request.reason.trim().to_owned()),
        at: state.now(),
        by: caller.who(),
    };
    record(&state, &headers, &id, entry, None).await
}

/// A refund to give back through the provider that took the payment.
struct ProviderRefund {
    method: Method,
    amount: i64,
    reason: String,
    by: String,
}

/// A refund the provider accepted but has not finished: its notification records it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundPending {
    pub order_id: String,
    /// The provider's refund id.
    pub reference: String,
    pub amount: i64,
    /// The order's payment now (the refund is not in it yet).
    pub payment: PaymentSummary,
}

/// Gives money back through Stripe or WeChat Pay: checked against the ledger first
/// (never more than was paid and not yet refunded), asked of the provider with an id
/// derived from the request's `Idempotency-Key` (so a retry is the same refund there
/// too), and recorded under the same event key the provider's own notification of it
/// carries, so the notification arriving later appends nothing. A refund the provider
/// has not finished (202) is recorded by that notification.
async fn provider_refund(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    refund: ProviderRefund,
) -> Result<Response, ApiError> {
    let key = limits::idempotency_key(headers)?;
    if id.len() > limits::MAX_ID {
        return Err(ApiError::NotFound);
    }
    let providers = providers(state).ok_or(ApiError::PaymentsNotConfigured("payments"))?;
    let provider = providers
        .provider(refund.method)
        .ok_or(ApiError::PaymentsNotConfigured(checkout::provider_name(
            refund.method,
        )))?;
    let order = state.store.get_order(id).await?;
    let entries = state.store.payments(&order.id).await?;
    let currency = order.quote.currency.clone();
    let charge = entries
        .iter()
        .rev()
        .find(|e| e.kind == EntryKind::Charge && e.method == refund.method && e.reference.is_some())
        .ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new(
                "method",
                format!(
                    "this order has no {} payment to refund",
                    refund.method.as_str()
                ),
            )])
        })?;
    catalog::payment::check_refund(
        order.quote.total,
        &currency,
        &entries,
        refund.amount,
        &currency,
    )
    .map_err(|m| ApiError::Store(StoreError::RefundRefused(m)))?;
    let payment_reference = charge.reference.clone().unwrap_or_default();
    // WeChat Pay's `out_refund_no` takes at most 64 characters of [0-9A-Za-z_-|*@].
    let refund_id = format!(
        "rf{}",
        &crate::keys::sha256_hex(format!("{}:{key}", order.id))[..40]
    );
    let accepted = provider
        .refund(&crate::payments::RefundRequest {
            order_id: order.id.clone(),
            payment_reference: payment_reference.clone(),
            refund_id,
            amount: refund.amount,
            payment_amount: charge.amount,
            currency: currency.clone(),
            reason: Some(refund.reason.clone()),
        })
        .await
        .map_err(ApiError::Provider)?;
    if accepted.status == RefundStatus::Pending {
        let payment = checkout::read_payment_summary(state, &order).await?;
        let body = RefundPending {
            order_id: order.id,
            reference: accepted.reference,
            amount: accepted.amount,
            payment,
        };
        return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
    }
    // The entry's reference and event key are those the provider's notification of
    // this refund yields (see `payments::ProviderEvent::idempotency_key`): Stripe's
    // running total is counted per PaymentIntent, WeChat Pay's refunds by refund id.
    let mut entry = Entry {
        kind: EntryKind::Refund,
        method: refund.method,
        amount: accepted.amount,
        currency,
        reference: Some(accepted.reference.clone()),
        at: state.now(),
        by: refund.by,
    };
    let recorded = if refund.method == Method::Stripe {
        // Stripe's `charge.refunded` reports the running total per PaymentIntent: record
        // this refund as that total, under the key that event will carry, so whichever
        // comes first appends it and the other appends nothing.
        let held: i64 = entries
            .iter()
            .filter(|e| {
                e.kind == EntryKind::Refund
                    && e.method == Method::Stripe
                    && e.reference.as_deref() == Some(payment_reference.as_str())
            })
            .map(|e| e.amount)
            .sum();
        let total = held + accepted.amount;
        entry.amount = total;
        entry.reference = Some(payment_reference.clone());
        let key = format!("stripe:refunded:{payment_reference}:{total}");
        match state
            .store
            .record_refund_total(&order.id, entry, key)
            .await?
        {
            Some(recorded) => recorded,
            None => {
                // The webhook was first: it holds this refund already.
                let payment = checkout::read_payment_summary(state, &order).await?;
                let body = RefundPending {
                    order_id: order.id,
                    reference: accepted.reference,
                    amount: accepted.amount,
                    payment,
                };
                return Ok((StatusCode::OK, Json(body)).into_response());
            }
        }
    } else {
        // WeChat Pay's refund notification names the refund by its `refund_id`.
        let key = format!("wechat_pay:refund:{}", accepted.reference);
        state
            .store
            .record_payment(&order.id, entry, Some(key))
            .await?
    };
    let payment = checkout::read_payment_summary(state, &order).await?;
    let body = PaymentRecorded::of(order.id, recorded, None, payment);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// What a provider notification changed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationApplied {
    /// Always true: the notification was verified and applied (or was applied before).
    pub received: bool,
    /// Whether a ledger entry was appended by this delivery (false: a repeat, or an
    /// event Carte does not record).
    pub recorded: bool,
}

fn providers(state: &AppState) -> Option<&Providers> {
    state.payments.as_deref()
}

/// Verifies and applies one notification through `provider`.
async fn notification(
    state: &AppState,
    provider: &dyn Provider,
    headers: &HeaderMap,
    body: Body,
) -> Result<NotificationApplied, ApiError> {
    providers(state).ok_or(ApiError::PaymentsNotConfigured("payments"))?;
    let bytes = limits::read_body(body).await?;
    let event = provider
        .verify_notification(headers, &bytes, state.now())
        .map_err(ApiError::Notification)?;
    let recorded = match event {
        Some(event) => checkout::apply_event(state, event).await?,
        None => false,
    };
    Ok(NotificationApplied {
        received: true,
        recorded,
    })
}

/// Stripe's webhook: `checkout.session.completed` (paid), the async payment succeeded
/// and failed events, and `charge.refunded`. The raw body is verified against the
/// `Stripe-Signature` header with the endpoint's secret before anything is read.
#[utoipa::path(
    post,
    path = "/api/payments/stripe/webhook",
    tag = "payments",
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature of the raw body")),
    request_body(content = Object, description = "A Stripe event, exactly as Stripe sent it", content_type = "application/json"),
    responses(
        (status = 200, description = "Verified and applied (or applied before, or not an event Carte records)", body = NotificationApplied),
        (status = 400, description = "`notification-refused` (signature, timestamp or mode) or `notification-unreadable`: nothing recorded", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "The event names no order of this shop", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`refund-refused`: a refund of a payment not in the ledger yet (Stripe delivers it again)", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "`payments-not-configured`: Stripe is not set up", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<NotificationApplied>, ApiError> {
    let stripe = providers(&state)
        .and_then(|p| p.stripe.as_ref())
        .ok_or(ApiError::PaymentsNotConfigured("Stripe"))?;
    Ok(Json(notification(&state, stripe, &headers, body).await?))
}

/// WeChat Pay's notification (API v3): verified with the platform public key
/// (`Wechatpay-Signature`, `-Timestamp`, `-Nonce`, `-Serial`), its resource decrypted
/// with the APIv3 key. Answered as WeChat Pay documents: 204 with no body when
/// received; otherwise a 4xx/5xx whose body carries `code: "FAIL"` and a `message`
/// (inside a problem document), and WeChat Pay sends it again.
#[utoipa::path(
    post,
    path = "/api/payments/wechat/notify",
    tag = "payments",
    params(
        ("Wechatpay-Signature" = String, Header, description = "The platform key's signature"),
        ("Wechatpay-Timestamp" = String, Header, description = "Unix seconds"),
        ("Wechatpay-Nonce" = String, Header, description = "A random string"),
        ("Wechatpay-Serial" = String, Header, description = "The platform public key's id"),
    ),
    request_body(content = Object, description = "A WeChat Pay notification, exactly as sent", content_type = "application/json"),
    responses(
        (status = 204, description = "Verified and applied (or applied before, or not an event Carte records)"),
        (status = 400, description = "`notification-refused` or `notification-unreadable`, with `code: FAIL`: nothing recorded", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "The notification names no order of this shop", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`refund-refused`: a refund of a payment not in the ledger yet", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "`payments-not-configured`: WeChat Pay is not set up", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn wechat_notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(wechat) = providers(&state).and_then(|p| p.wechat.as_ref()) else {
        return problem::wechat_failure(ApiError::PaymentsNotConfigured("WeChat Pay"));
    };
    match notification(&state, wechat, &headers, body).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => problem::wechat_failure(error),
    }
}
