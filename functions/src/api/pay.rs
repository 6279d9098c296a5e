//! The diner pays online: `POST /api/payments/checkout` starts a provider checkout
//! (Stripe Checkout, WeChat Pay Native or H5) for an order's amount due.
//!
//! JSON in, JSON out for the storefront's script; the plain HTML form (JavaScript off)
//! gets a 303 to the provider's page, or a page with the QR code to scan. The amount is
//! what Carte computes as due from the order's ledger ([`checkout::payment_summary`]),
//! never a number from the request. Each checkout started is a `checkout` entry in the
//! ledger (no money), recorded once per provider reference, which makes the order
//! `pending` until the provider's notification (or an order query) says how it went.

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use catalog::payment::{Entry, EntryKind, Method, PaymentState};
use catalog::payment_policy::Due;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::checkout::{self, PaymentSummary};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::keys;
use crate::pages;
use crate::payments::{CheckoutRequest, NextStep, Surface};
use crate::state::AppState;
use crate::store::Order;

/// Pay an order online.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// The order id.
    pub order_id: String,
    /// The status token returned when the order was placed.
    pub token: String,
    /// `stripe` or `wechat_pay`: one of the location's online methods.
    pub method: String,
    /// `mobile_browser` (WeChat Pay H5) or `qr_code` (WeChat Pay Native: a code to scan
    /// from another screen). Without it, a phone's browser is `mobile_browser`.
    #[serde(default)]
    pub surface: Option<String>,
    /// The language of the pages the diner comes back to.
    #[serde(default)]
    pub lang: Option<String>,
}

/// What the diner does next, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextView {
    /// `redirect` (go to `url`) or `qr_code` (show `url` as a QR code to scan).
    pub action: String,
    pub url: String,
}

/// A checkout started for an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckoutStarted {
    pub order_id: String,
    /// `stripe` or `wechat_pay`.
    pub method: String,
    /// The provider's reference of the checkout (a Checkout Session id; for WeChat Pay
    /// the order id, its `out_trade_no`).
    pub reference: String,
    pub next: NextView,
    /// The order's payment now (`pending` while the provider has not answered).
    pub payment: PaymentSummary,
}

/// The online method named by `text`, if the order's location offers it online now.
fn offered_method(
    errors: &mut Vec<FieldError>,
    text: &str,
    order: &Order,
    site: &catalog::Site,
) -> Option<Method> {
    let policy = site.location(&order.location).map(|l| &l.payment);
    let offered: Vec<Method> = policy
        .filter(|p| p.due(&order.cart.fulfilment) != Due::PayAtCounter)
        .map(|p| p.online_methods().collect())
        .unwrap_or_default();
    match text.parse::<Method>() {
        Ok(method) if offered.contains(&method) => Some(method),
        _ if offered.is_empty() => {
            errors.push(FieldError::new(
                "method",
                "this order is paid at the counter: no online payment is offered",
            ));
            None
        }
        _ => {
            let names: Vec<&str> = offered.iter().map(|m| m.as_str()).collect();
            errors.push(FieldError::new(
                "method",
                format!("one of {}", names.join(", ")),
            ));
            None
        }
    }
}

fn surface_of(errors: &mut Vec<FieldError>, text: Option<&str>, headers: &HeaderMap) -> Surface {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some("qr_code") => Surface::QrCode,
        Some("mobile_browser") => Surface::MobileBrowser,
        Some(_) => {
            errors.push(FieldError::new("surface", "mobile_browser or qr_code"));
            Surface::QrCode
        }
        None => {
            let agent = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if agent.contains("Mobile") || agent.contains("Android") {
                Surface::MobileBrowser
            } else {
                Surface::QrCode
            }
        }
    }
}

/// The diner's address ([`crate::api::extract::client_ip`]): WeChat Pay H5 needs it;
/// loopback when it is not known.
fn client_ip(parts: &Parts) -> String {
    let client = crate::api::extract::client_ip(parts);
    if client.parse::<std::net::IpAddr>().is_ok() {
        client
    } else {
        "127.0.0.1".to_owned()
    }
}

/// Starts the checkout `request` asks for and records it in the ledger.
async fn start(
    state: &AppState,
    headers: &HeaderMap,
    client: &str,
    request: &PayRequest,
) -> Result<(Order, CheckoutStarted), ApiError> {
    if request.order_id.len() > limits::MAX_ID || request.token.len() > 128 {
        return Err(ApiError::NotFound);
    }
    let order = state.store.get_order(&request.order_id).await?;
    // A wrong token reads exactly like a missing order.
    if !keys::token_matches(&request.token, &order.token_hash) {
        return Err(ApiError::NotFound);
    }
    let catalog = state.catalog();
    let mut errors = Vec::new();
    let method = offered_method(&mut errors, &request.method, &order, &catalog.site);
    let surface = surface_of(&mut errors, request.surface.as_deref(), headers);
    limits::finish(errors)?;
    let Some(method) = method else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "method", "missing",
        )]));
    };
    if !order.status.is_open() {
        return Err(ApiError::OrderClosed(order.status.as_str()));
    }
    let summary = checkout::read_payment_summary(state, &order).await?;
    match summary.state {
        PaymentState::Expired => return Err(ApiError::OrderClosed("expired")),
        _ if summary.due <= 0 => return Err(ApiError::AlreadyPaid),
        _ => {}
    }
    let providers = state
        .payments
        .as_deref()
        .ok_or(ApiError::PaymentsNotConfigured("payments"))?;
    let provider = providers
        .provider(method)
        .ok_or(ApiError::PaymentsNotConfigured(checkout::provider_name(
            method,
        )))?;
    let lang = request
        .lang
        .clone()
        .filter(|l| catalog.site.settings.languages.contains(l))
        .unwrap_or_else(|| catalog.site.default_language().to_owned());
    let status_url = format!(
        "{}/api/orders/{}?token={}&lang={lang}",
        crate::api::auth::public_origin(headers),
        order.id,
        request.token
    );
    let shop = catalog
        .site
        .settings
        .name
        .get(&lang, catalog.site.default_language());
    let checkout = provider
        .create_checkout(&CheckoutRequest {
            order_id: order.id.clone(),
            description: format!("{shop} — {}", order.number),
            amount: summary.due,
            currency: order.quote.currency.clone(),
            return_url: status_url.clone(),
            cancel_url: status_url,
            client_ip: Some(client.to_owned()),
            surface,
            // The same order, method and amount due: the same checkout, however often
            // the diner taps "Pay now".
            idempotency_key: format!("carte-{}-{}-{}", order.id, method.as_str(), summary.due),
        })
        .await
        .map_err(ApiError::Provider)?;
    let entry = Entry {
        kind: EntryKind::Checkout,
        method,
        amount: summary.due,
        currency: order.quote.currency.clone(),
        reference: Some(checkout.reference.clone()),
        at: state.now(),
        by: "diner".to_owned(),
    };
    let key = format!("checkout:{}:{}", method.as_str(), checkout.reference);
    state
        .store
        .record_payment(&order.id, entry, Some(key))
        .await?;
    let payment = checkout::read_payment_summary(state, &order).await?;
    let next = match &checkout.next {
        NextStep::Redirect(url) => NextView {
            action: "redirect".into(),
            url: url.clone(),
        },
        NextStep::QrCode(url) => NextView {
            action: "qr_code".into(),
            url: url.clone(),
        },
    };
    let started = CheckoutStarted {
        order_id: order.id.clone(),
        method: method.as_str().to_owned(),
        reference: checkout.reference,
        next,
        payment,
    };
    Ok((order, started))
}

/// Reads the form's fields into a request (unknown fields, like a submit button, ignored).
fn form_request(bytes: &[u8]) -> PayRequest {
    let mut request = PayRequest {
        order_id: String::new(),
        token: String::new(),
        method: String::new(),
        surface: None,
        lang: None,
    };
    for (name, value) in form_urlencoded::parse(bytes) {
        let value = value.into_owned();
        match name.as_ref() {
            "order_id" => request.order_id = value,
            "token" => request.token = value,
            "method" => request.method = value,
            "surface" => request.surface = Some(value),
            "lang" => request.lang = Some(value),
            _ => {}
        }
    }
    request
}

/// Starts an online payment of an order's amount due through Stripe or WeChat Pay.
///
/// JSON answers with what the diner does next (`redirect` to the provider's page, or
/// `qr_code` to show); the plain form (`application/x-www-form-urlencoded`, fields
/// `order_id`, `token`, `method`, `surface`, `lang`) is answered with a 303 to the
/// provider, or a page with the QR code, or a page saying what went wrong.
#[utoipa::path(
    post,
    path = "/api/payments/checkout",
    tag = "payments",
    request_body(content(
        (PayRequest = "application/json"),
        (PayRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Checkout started: what the diner does next (the plain form: a page with the QR code)", body = CheckoutStarted),
        (status = 303, description = "The plain form: to the provider's page"),
        (status = 404, description = "No such order, or a wrong token", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "`already-paid`, or `order-closed` (cancelled, completed, or its unpaid hold expired)", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`validation-failed`: `method` not offered online for this order, or a bad `surface`", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 502, description = "`payment-provider-failed`: the provider refused or could not be reached", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "`payments-not-configured`: the provider is not set up", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn start_checkout(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let client = client_ip(&parts);
    let headers = parts.headers;
    let bytes = limits::read_body(body).await?;
    if limits::media_type(&headers) == "application/x-www-form-urlencoded" {
        let request = form_request(&bytes);
        let lang = request.lang.clone().unwrap_or_default();
        return Ok(match start(&state, &headers, &client, &request).await {
            Ok((_, started)) if started.next.action == "redirect" => {
                Redirect::to(&started.next.url).into_response()
            }
            Ok((order, started)) => {
                let catalog = state.catalog();
                let back = format!(
                    "/api/orders/{}?token={}&lang={lang}",
                    order.id, request.token
                );
                Html(pages::pay::qr_page(
                    &order,
                    &started.next.url,
                    &back,
                    &catalog.site,
                    &lang,
                ))
                .into_response()
            }
            Err(error) => {
                let problem = error.problem();
                let back = (!request.order_id.is_empty()).then(|| {
                    format!(
                        "/api/orders/{}?token={}&lang={lang}",
                        request.order_id, request.token
                    )
                });
                let status = problem.status;
                (
                    status,
                    Html(pages::error_page(&problem, back.as_deref(), &lang)),
                )
                    .into_response()
            }
        });
    }
    limits::require_json(&headers)?;
    let request: PayRequest = limits::parse_json(&bytes)?;
    let (_, started) = start(&state, &headers, &client, &request).await?;
    Ok((StatusCode::OK, Json(started)).into_response())
}
