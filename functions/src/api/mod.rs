//! The HTTP API: one module per resource, each with its handlers, and the shared
//! pieces below them (extractors, authentication, limits, problem mapping, the
//! checkout path). Each function (quote, orders, members, staff, marketing) has its
//! own router built from the same [`AppState`], so each can become its own Lambda
//! binary; [`router`] mounts them all in one process for `carte serve`.
//!
//! A handler module never imports another handler module: what two need moves down
//! to `auth`, `extract`, `limits`, `problem` or `checkout`.

pub(crate) mod account;
pub(crate) mod auth;
pub(crate) mod checkout;
pub(crate) mod contact;
pub mod events;
pub(crate) mod exports;
pub(crate) mod extract;
pub(crate) mod health;
pub mod limits;
pub(crate) mod members;
pub mod openapi;
pub(crate) mod orders;
#[cfg(feature = "passkeys")]
pub(crate) mod passkeys;
pub(crate) mod pay;
pub(crate) mod payments;
pub mod problem;
pub(crate) mod proof;
pub(crate) mod push;
pub(crate) mod quote;
pub(crate) mod ratings;
pub(crate) mod redemptions;
pub(crate) mod reports;
pub(crate) mod session;
pub(crate) mod staff;
pub(crate) mod visits;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
use health::health;
use problem::ApiError;

fn quote_routes() -> Router<AppState> {
    Router::new()
        .route("/api/quote", post(quote::quote))
        .route("/api/sold-out", get(staff::public_sold_out))
}

fn orders_routes() -> Router<AppState> {
    Router::new()
        .route("/api/orders", post(orders::place_order))
        .route("/api/orders/{id}", get(orders::order_status))
        .route("/api/orders/{id}/push", post(push::subscribe))
        .route("/api/orders/{id}/rating", post(ratings::rate))
}

fn members_routes() -> Router<AppState> {
    Router::new()
        .route("/api/members", post(members::sign_up))
        .route("/api/members/code", post(proof::send_code))
        .route("/api/members/verify", post(proof::verify))
        .route("/api/members/me", get(proof::me))
        .route(
            "/api/members/session",
            axum::routing::delete(proof::sign_out),
        )
        // The diner's own data: the "my account" pages (plain forms) and their orders.
        .route("/api/members/account", get(account::account))
        .route("/api/members/account/code", post(account::send_code))
        .route("/api/members/account/verify", post(account::verify))
        .route(
            "/api/members/account/consent",
            post(account::withdraw_consent),
        )
        .route("/api/members/account/sign-out", post(account::sign_out))
        .route("/api/members/account/erase", post(account::erase))
        .route(
            "/api/members/account/erase/confirm",
            post(account::confirm_erase),
        )
        .route("/api/members/account/orders/{id}", get(account::order))
        .route("/api/members/me/orders", get(account::my_orders))
}

/// The passkey routes: registering, listing and removing a member's passkeys, and
/// signing in with one.
#[cfg(feature = "passkeys")]
fn passkeys_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/members/passkeys",
            get(passkeys::list).post(passkeys::register),
        )
        .route(
            "/api/members/passkeys/options",
            post(passkeys::registration_options),
        )
        .route(
            "/api/members/passkeys/{id}",
            axum::routing::delete(passkeys::remove),
        )
        .route(
            "/api/members/passkey/options",
            post(passkeys::sign_in_options),
        )
        .route("/api/members/passkey/verify", post(passkeys::sign_in))
}

fn staff_routes() -> Router<AppState> {
    Router::new()
        .route("/api/staff/queue", get(staff::queue))
        .route("/api/staff/orders/{id}/status", post(staff::set_status))
        .route(
            "/api/staff/orders/{id}/payments",
            post(payments::take_payment),
        )
        .route("/api/staff/orders/{id}/refunds", post(payments::refund))
        .route(
            "/api/staff/sold-out",
            get(staff::get_sold_out).put(staff::put_sold_out),
        )
        .route(
            "/api/staff/session",
            post(session::sign_in)
                .get(session::whoami)
                .delete(session::sign_out),
        )
        .route("/api/staff/config", get(staff::config))
        .route("/api/staff/board", get(staff::board))
        .route("/api/staff/redemptions", post(redemptions::redeem))
        .route("/api/staff/members", get(members::find_member))
        .route(
            "/api/staff/members/{id}",
            axum::routing::delete(members::erase_member),
        )
}

fn payments_routes() -> Router<AppState> {
    Router::new()
        .route("/api/payments/checkout", post(pay::start_checkout))
        .route(
            "/api/payments/stripe/webhook",
            post(payments::stripe_webhook),
        )
        .route("/api/payments/wechat/notify", post(payments::wechat_notify))
}

fn marketing_routes() -> Router<AppState> {
    Router::new()
        .route("/api/visits", post(visits::record))
        .route("/api/reports/campaigns", get(reports::campaigns))
        .route("/api/reports/sales", get(reports::sales))
        .route("/api/reports/settlement", get(reports::settlement))
        .route("/api/reports/ratings", get(ratings::report))
        .route("/api/exports/{file}", get(exports::export))
}

fn meta_routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi::openapi_json))
}

/// Answers unknown paths and methods with problems too, and binds the state.
fn finish(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(crate::pages::security_headers))
        .with_state(state)
}

/// The quote function: `POST /api/quote`, `GET /api/sold-out`, `GET /api/health`.
pub fn quote_router(state: AppState) -> Router {
    finish(quote_routes().route("/api/health", get(health)), state)
}

/// The orders function: `POST /api/orders`, `GET /api/orders/{id}`,
/// `POST /api/orders/{id}/push`, `POST /api/orders/{id}/rating`.
pub fn orders_router(state: AppState) -> Router {
    finish(orders_routes(), state)
}

/// The members function: sign-up, one-time codes, member sessions and the diner's
/// account pages (`/api/members/…`).
pub fn members_router(state: AppState) -> Router {
    finish(members_routes(), state)
}

/// The passkeys function: a member's passkeys and signing in with one
/// (`/api/members/passkeys…`, `/api/members/passkey/…`). Apart from the members
/// function so that only this one links WebAuthn's OpenSSL.
#[cfg(feature = "passkeys")]
pub fn passkeys_router(state: AppState) -> Router {
    finish(passkeys_routes(), state)
}

/// The staff function: queue, status changes, counter payments and refunds, and
/// sold-out switches.
pub fn staff_router(state: AppState) -> Router {
    finish(staff_routes(), state)
}

/// The marketing function: visits, reports and CSV exports.
pub fn marketing_router(state: AppState) -> Router {
    finish(marketing_routes(), state)
}

/// The payments function: the diner's online checkout and the providers'
/// notifications (Stripe's webhook, WeChat Pay's notify URL).
pub fn payments_router(state: AppState) -> Router {
    finish(payments_routes(), state)
}

/// Every function under `/api` in one router, for `carte serve`.
pub fn router(state: AppState) -> Router {
    let routes = quote_routes()
        .merge(orders_routes())
        .merge(members_routes())
        .merge(staff_routes())
        .merge(marketing_routes())
        .merge(payments_routes());
    #[cfg(feature = "passkeys")]
    let routes = routes.merge(passkeys_routes());
    let routes = routes
        // Only a long-lived process can hold the event stream open and see every
        // order; the Lambda staff function's consoles poll the queue instead.
        .route("/api/staff/events", get(events::stream))
        .merge(meta_routes());
    finish(routes, state)
}
