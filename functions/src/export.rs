//! The merchant's data, out and away: CSV exports of orders, members and
//! redemptions (`GET /api/exports/{kind}.csv`, role `marketer`, and
//! `carte export`), and erasing a member's personal data
//! (`DELETE /api/staff/members/{id}`, role `staff`, and `carte members erase`).
//!
//! CSV is RFC 4180: comma-separated, CRLF line ends, fields quoted when they
//! hold a comma, quote, CR or LF, quotes doubled; UTF-8 without a byte-order
//! mark. Money is a decimal string in the site currency
//! ([`catalog::Currency::format`]); instants are RFC 3339 UTC.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::Currency;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::problem::{ApiError, ProblemDoc};
use crate::reports::{period_of, Period};
use crate::session::{self, Access};
use crate::state::AppState;
use crate::store::{Role, Store, StoreError};

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Orders,
    Members,
    Redemptions,
}

impl ExportKind {
    /// Reads `orders`, `members` or `redemptions`.
    pub fn parse(text: &str) -> Option<ExportKind> {
        match text {
            "orders" => Some(ExportKind::Orders),
            "members" => Some(ExportKind::Members),
            "redemptions" => Some(ExportKind::Redemptions),
            _ => None,
        }
    }

    /// The name, as in the file name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Orders => "orders",
            ExportKind::Members => "members",
            ExportKind::Redemptions => "redemptions",
        }
    }
}

/// One CSV field, quoted when it needs to be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A CSV document being written.
#[derive(Debug, Default)]
pub struct Csv {
    out: String,
}

impl Csv {
    /// Appends one record.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        let line: Vec<String> = fields.iter().map(|f| field(f.as_ref())).collect();
        self.out.push_str(&line.join(","));
        self.out.push_str("\r\n");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt(text: &Option<String>) -> String {
    text.clone().unwrap_or_default()
}

/// The CSV of `kind` over `period`.
pub async fn export_csv(
    store: &dyn Store,
    site: &catalog::Site,
    kind: ExportKind,
    period: &Period,
) -> Result<String, StoreError> {
    let range = period.range(site);
    let money = |m: i64, c: &Currency| c.format(m);
    let currency = &site.settings.currency;
    let mut csv = Csv::default();
    match kind {
        ExportKind::Orders => {
            csv.row(&[
                "id",
                "number",
                "location",
                "status",
                "placed_at",
                "fulfilment",
                "items",
                "currency",
                "subtotal",
                "discount",
                "service_charge",
                "tax",
                "total",
                "coupon",
                "campaign",
                "channel",
                "first_touch",
                "last_touch",
                "member_id",
            ]);
            for o in store.export_orders(&range).await? {
                csv.row(&[
                    o.id,
                    o.number,
                    o.location,
                    o.status,
                    when(o.placed_at),
                    o.fulfilment,
                    o.items.to_string(),
                    currency.code.clone(),
                    money(o.subtotal, currency),
                    money(o.discount, currency),
                    money(o.service_charge, currency),
                    money(o.tax, currency),
                    money(o.total, currency),
                    opt(&o.coupon),
                    opt(&o.campaign),
                    opt(&o.channel),
                    opt(&o.first_touch),
                    opt(&o.last_touch),
                    opt(&o.member_id),
                ]);
            }
        }
        ExportKind::Members => {
            csv.row(&[
                "id",
                "phone",
                "email",
                "name",
                "consent",
                "consent_at",
                "created_at",
                "erased_at",
                "orders",
                "currency",
                "spent",
            ]);
            for m in store.export_members(&range).await? {
                csv.row(&[
                    m.id,
                    opt(&m.phone),
                    opt(&m.email),
                    opt(&m.name),
                    // Consent is required to sign up; an erased member's is void.
                    if m.erased_at.is_some() { "no" } else { "yes" }.to_owned(),
                    when(m.consent_at),
                    when(m.created_at),
                    m.erased_at.map(when).unwrap_or_default(),
                    m.orders.to_string(),
                    currency.code.clone(),
                    money(m.spent, currency),
                ]);
            }
        }
        ExportKind::Redemptions => {
            csv.row(&[
                "id",
                "at",
                "source",
                "coupon",
                "campaign",
                "channel",
                "location",
                "order_id",
                "member_id",
                "issued_code",
                "currency",
                "amount",
                "discount",
            ]);
            for r in store.export_redemptions(&range).await? {
                csv.row(&[
                    r.id,
                    when(r.at),
                    r.source,
                    r.coupon,
                    r.campaign,
                    opt(&r.channel),
                    opt(&r.location),
                    opt(&r.order_id),
                    opt(&r.member_id),
                    opt(&r.issued_code),
                    currency.code.clone(),
                    money(r.amount, currency),
                    money(r.discount, currency),
                ]);
            }
        }
    }
    Ok(csv.finish())
}

/// Orders, members (with consent) or redemptions as CSV.
#[utoipa::path(
    get,
    path = "/api/exports/{file}",
    tag = "marketing",
    params(
        ("file" = String, Path, description = "`orders.csv`, `members.csv` or `redemptions.csv`"),
        ("from" = Option<String>, Query, description = "First day (YYYY-MM-DD, site timezone)"),
        ("to" = Option<String>, Query, description = "Last day included"),
        ("location" = Option<String>, Query, description = "One location; default all"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "RFC 4180 CSV, UTF-8", content_type = "text/csv"),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a marketer key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such export", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    file: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    session::authorize(&state, &headers, Role::Marketer, Access::Read).await?;
    let Path(file) = file.map_err(|_| ApiError::NotFound)?;
    let kind = file
        .strip_suffix(".csv")
        .and_then(ExportKind::parse)
        .ok_or(ApiError::NotFound)?;
    let period = period_of(&state, query.as_deref())?;
    let catalog = state.catalog();
    let csv = export_csv(state.store.as_ref(), &catalog.site, kind, &period).await?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    let disposition = format!(
        "attachment; filename=\"{}-{}-{}.csv\"",
        kind.as_str(),
        period.from,
        period.to
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Erases a member's personal data (phone, email, name, and the names and
/// notes on their orders). Order figures stay, anonymised, so reports stay true.
#[utoipa::path(
    delete,
    path = "/api/staff/members/{id}",
    tag = "staff",
    params(("id" = String, Path, description = "The member id")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn erase_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, ApiError> {
    session::authorize(&state, &headers, Role::Staff, Access::Change).await?;
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    if id.len() > crate::limits::MAX_ID {
        return Err(ApiError::NotFound);
    }
    state.store.erase_member(&id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut csv = Csv::default();
        csv.row(&["plain", "a,b", "say \"hi\"", "two\nlines", "面"]);
        assert_eq!(
            csv.finish(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",面\r\n"
        );
    }
}
