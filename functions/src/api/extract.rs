//! Small readers of a request shared by the handlers: query parameters, the
//! client's address and a report's period.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

use crate::api::problem::ApiError;
use crate::figures::Period;
use crate::state::AppState;

/// Reads one query parameter.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The header CloudFront adds when the origin request policy asks for it: the viewer's
/// address and source port, `198.51.100.10:46532` or `2001:db8::1:46532` (IPv6 without
/// brackets; a bracketed `[2001:db8::1]:46532` is read too).
pub const VIEWER_ADDRESS: &str = "cloudfront-viewer-address";

/// The client's address, for per-client limits and the payment providers.
///
/// - Under `carte serve` (a TCP peer in the request's extensions): that peer. No header
///   is read, so nobody can claim another address on a local or self-hosted server.
/// - On Lambda behind CloudFront: API Gateway's `sourceIp` is the CloudFront edge, shared
///   by every diner near it, so the viewer address CloudFront forwards
///   ([`VIEWER_ADDRESS`]) is used; CloudFront sets it itself, unlike `X-Forwarded-For`,
///   whose first hop is whatever the client sent. Without it (the HTTP API called
///   directly), `sourceIp`, which a client cannot set.
/// - Anything else: one shared `"unknown"` bucket.
pub fn client_address(headers: &HeaderMap, extensions: &Extensions) -> String {
    if let Some(ConnectInfo(addr)) = extensions.get::<ConnectInfo<SocketAddr>>() {
        return addr.ip().to_string();
    }
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        extensions.get::<lambda_http::request::RequestContext>()
    {
        if let Some(ip) = viewer_of(headers, origin_secret()) {
            return ip.to_string();
        }
        if let Some(ip) = &context.http.source_ip {
            return ip.clone();
        }
    }
    "unknown".to_owned()
}

/// The header CloudFront adds to every request it sends to the API (an origin custom
/// header); CloudFront overwrites a viewer's header of the same name.
pub const ORIGIN_SECRET_HEADER: &str = "x-carte-origin";

/// The environment variable holding the value of [`ORIGIN_SECRET_HEADER`] (the template
/// sets both from the stack's id, which the public never sees).
pub const ORIGIN_SECRET_ENV: &str = "CARTE_ORIGIN_SECRET";

fn origin_secret() -> Option<&'static str> {
    static SECRET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SECRET
        .get_or_init(|| {
            std::env::var(ORIGIN_SECRET_ENV)
                .ok()
                .filter(|s| !s.is_empty())
        })
        .as_deref()
}

/// The viewer's address CloudFront forwarded, trusted only when the request proves it came
/// through CloudFront (when `secret` is set): the HTTP API's own address is public, and a
/// caller there could claim any viewer address to dodge a per-client limit.
pub fn viewer_of(headers: &HeaderMap, secret: Option<&str>) -> Option<IpAddr> {
    if let Some(secret) = secret {
        let sent = headers.get(ORIGIN_SECRET_HEADER)?.as_bytes();
        if !crate::keys::constant_time_eq(sent, secret.as_bytes()) {
            return None;
        }
    }
    headers
        .get(VIEWER_ADDRESS)
        .and_then(|v| v.to_str().ok())
        .and_then(viewer_ip)
}

/// [`client_address`] of a request's parts.
pub fn client_ip(parts: &Parts) -> String {
    client_address(&parts.headers, &parts.extensions)
}

/// The IP address in a `CloudFront-Viewer-Address` value (`ip:port`, IPv6 bracketed or
/// not), or `None` when it is not one.
pub fn viewer_ip(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    let (host, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_address_is_read_in_each_form_cloudfront_sends() {
        assert_eq!(
            viewer_ip("198.51.100.10:46532"),
            Some("198.51.100.10".parse().unwrap())
        );
        // IPv6 as CloudFront writes it: no brackets, the port after the last colon.
        assert_eq!(
            viewer_ip("2001:db8:85a3::8a2e:370:7334:46532"),
            Some("2001:db8:85a3::8a2e:370:7334".parse().unwrap())
        );
        assert_eq!(
            viewer_ip("[2001:db8::1]:443"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            viewer_ip(" 203.0.113.9:1 "),
            Some("203.0.113.9".parse().unwrap())
        );
    }

    #[test]
    fn a_value_that_is_not_an_address_and_port_is_refused() {
        for bad in [
            "",
            "198.51.100.10",
            "198.51.100.10:",
            "198.51.100.10:99999",
            "example.com:443",
            "[2001:db8::1]",
            "2001:db8::zz:443",
            "203.0.113.7, 15.158.35.41",
        ] {
            assert_eq!(viewer_ip(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn under_carte_serve_the_peer_counts_and_no_header_does() {
        let mut headers = HeaderMap::new();
        headers.insert(VIEWER_ADDRESS, "198.51.100.10:46532".parse().unwrap());
        headers.insert("x-forwarded-for", "198.51.100.11".parse().unwrap());
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 50000))));
        assert_eq!(client_address(&headers, &extensions), "192.0.2.1");
        // Neither a peer nor a Lambda context: one shared bucket, never the headers.
        assert_eq!(client_address(&headers, &Extensions::new()), "unknown");
    }

    #[test]
    fn with_an_origin_secret_only_cloudfront_may_name_the_viewer() {
        let mut headers = HeaderMap::new();
        headers.insert(VIEWER_ADDRESS, "198.51.100.10:46532".parse().unwrap());
        let viewer = Some("198.51.100.10".parse().unwrap());
        assert_eq!(viewer_of(&headers, None), viewer);
        // Straight to the HTTP API, without CloudFront's header, or with a wrong one.
        assert_eq!(viewer_of(&headers, Some("stack-uuid")), None);
        headers.insert(ORIGIN_SECRET_HEADER, "guess".parse().unwrap());
        assert_eq!(viewer_of(&headers, Some("stack-uuid")), None);
        headers.insert(ORIGIN_SECRET_HEADER, "stack-uuid".parse().unwrap());
        assert_eq!(viewer_of(&headers, Some("stack-uuid")), viewer);
    }
}
