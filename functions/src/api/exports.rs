//! `GET /api/exports/{kind}.csv` (role `marketer`): the merchant's data out, as the
//! RFC 4180 CSV of [`crate::csv`]; `?excel=1` for Excel's flavour.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::api::auth::{self, Access};
use crate::api::extract::{period_of, query_param};
use crate::api::problem::{ApiError, ProblemDoc};
use crate::csv::{export_csv, ExportKind, Flavour};
use crate::state::AppState;
use crate::store::Role;

/// Orders, members (with consent), redemptions or payments (one row per ledger entry
/// recorded in the period) as CSV.
#[utoipa::path(
    get,
    path = "/api/exports/{file}",
    tag = "marketing",
    params(
        ("file" = String, Path, description = "`orders.csv`, `members.csv`, `redemptions.csv`, `payments.csv` or `ratings.csv`"),
        ("from" = Option<String>, Query, description = "First day (YYYY-MM-DD, site timezone)"),
        ("to" = Option<String>, Query, description = "Last day included"),
        ("location" = Option<String>, Query, description = "One location; default all"),
        ("excel" = Option<String>, Query, description = "`1`: for Excel (a UTF-8 byte-order mark, phone numbers kept as text)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "RFC 4180 CSV, UTF-8", content_type = "text/csv"),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a marketer key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such export", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Bad dates or location", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    file: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    auth::authorize(&state, &headers, Role::Marketer, Access::Read).await?;
    let Path(file) = file.map_err(|_| ApiError::NotFound)?;
    let kind = file
        .strip_suffix(".csv")
        .and_then(ExportKind::parse)
        .ok_or(ApiError::NotFound)?;
    let period = period_of(&state, query.as_deref())?;
    let flavour = match query_param(query.as_deref(), "excel").as_deref() {
        Some("1" | "true" | "yes") => Flavour::Excel,
        _ => Flavour::Plain,
    };
    let catalog = state.catalog();
    let csv = export_csv(state.store.as_ref(), &catalog.site, kind, &period, flavour).await?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    let disposition = format!(
        "attachment; filename=\"{}-{}-{}{}.csv\"",
        kind.as_str(),
        period.from,
        period.to,
        if flavour == Flavour::Excel {
            "-excel"
        } else {
            ""
        }
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
