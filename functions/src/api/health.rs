//! `GET /api/health`: whether the function is up, and which catalog it serves.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

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
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: state.catalog().version.clone(),
    })
}
