//! Small readers of a request shared by the handlers: query parameters, the
//! client's address and a report's period.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::api::problem::ApiError;
use crate::figures::Period;
use crate::state::AppState;

/// Reads one query parameter.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The client's address: the TCP peer under `carte serve`, API Gateway's
/// `sourceIp` on Lambda (which a client cannot set, unlike `X-Forwarded-For`).
pub fn client_ip(parts: &Parts) -> String {
    if let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        return addr.ip().to_string();
    }
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        parts
            .extensions
            .get::<lambda_http::request::RequestContext>()
    {
        if let Some(ip) = &context.http.source_ip {
            return ip.clone();
        }
    }
    "unknown".to_owned()
}

/// Reads the period of a report or export request.
pub(crate) fn period_of(state: &AppState, query: Option<&str>) -> Result<Period, ApiError> {
    let catalog = state.catalog();
    Period::parse(
        &catalog.site,
        query_param(query, "from").as_deref(),
        query_param(query, "to").as_deref(),
        query_param(query, "location").as_deref(),
        state.now(),
    )
    .map_err(ApiError::Validation)
}
