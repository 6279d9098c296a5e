//! Carte's ordering API: quotes, orders, members and the staff queue over HTTP,
//! on a domain-level [`store::Store`] with an embedded SQLite backend.
//!
//! Each function (quote, orders, members, staff) has its own router built from
//! the same [`AppState`], so each can become its own Lambda binary; [`router`]
//! mounts them all in one process for `carte serve`.

pub mod events;
pub mod export;
pub mod forms;
pub mod html;
pub mod keys;
pub mod lambda;
pub mod limits;
pub mod members;
pub mod openapi;
pub mod orders;
pub mod problem;
pub mod quote;
pub mod redeem;
pub mod reports;
pub mod session;
pub mod staff;
pub mod state;
pub mod store;
pub mod visits;

use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

pub use keys::create_key;
pub use problem::ApiError;
pub use state::{AppState, Catalog, Clock};
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{Store, StoreError};

/// `GET /api/health`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the function answers.
    pub status: &'static str,
    /// The catalog version being served.
    pub version: String,
}

/// Whether the function is up, and which catalog it serves.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "meta",
    responses((status = 200, description = "Up", body = Health))
)]
pub async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: state.catalog().version.clone(),
    })
}

fn quote_routes() -> Router<AppState> {
    Router::new()
        .route("/api/quote", post(quote::quote))
        .route("/api/sold-out", get(staff::public_sold_out))
}

fn orders_routes() -> Router<AppState> {
    Router::new()
        .route("/api/orders", post(orders::place_order))
        .route("/api/orders/{id}", get(orders::order_status))
}

fn members_routes() -> Router<AppState> {
    Router::new().route("/api/members", post(members::sign_up))
}

fn staff_routes() -> Router<AppState> {
    Router::new()
        .route("/api/staff/queue", get(staff::queue))
        .route("/api/staff/orders/{id}/status", post(staff::set_status))
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
        .route("/api/staff/redemptions", post(redeem::redeem))
        .route(
            "/api/staff/members/{id}",
            axum::routing::delete(export::erase_member),
        )
}

fn marketing_routes() -> Router<AppState> {
    Router::new()
        .route("/api/visits", post(visits::record))
        .route("/api/reports/campaigns", get(reports::campaigns))
        .route("/api/reports/sales", get(reports::sales))
        .route("/api/exports/{file}", get(export::export))
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
        .with_state(state)
}

/// The quote function: `POST /api/quote`, `GET /api/sold-out`, `GET /api/health`.
pub fn quote_router(state: AppState) -> Router {
    finish(quote_routes().route("/api/health", get(health)), state)
}

/// The orders function: `POST /api/orders`, `GET /api/orders/{id}`.
pub fn orders_router(state: AppState) -> Router {
    finish(orders_routes(), state)
}

/// The members function: `POST /api/members`.
pub fn members_router(state: AppState) -> Router {
    finish(members_routes(), state)
}

/// The staff function: queue, status changes and sold-out switches.
pub fn staff_router(state: AppState) -> Router {
    finish(staff_routes(), state)
}

/// The marketing function: visits, reports and CSV exports.
pub fn marketing_router(state: AppState) -> Router {
    finish(marketing_routes(), state)
}

/// Every function under `/api` in one router, for `carte serve`.
pub fn router(state: AppState) -> Router {
    let routes = quote_routes()
        .merge(orders_routes())
        .merge(members_routes())
        .merge(staff_routes())
        .merge(marketing_routes())
        // Only a long-lived process can hold the event stream open and see every
        // order; the Lambda staff function's consoles poll the queue instead.
        .route("/api/staff/events", get(events::stream))
        .merge(meta_routes());
    finish(routes, state)
}
