//! Who is calling a staff route: an API key in `Authorization: Bearer …` (API
//! clients), or a session cookie the staff console got by signing in with a key.
//!
//! - `POST /api/staff/session` takes `{"key": "carte_…"}` once and answers with an
//!   httpOnly, `SameSite=Strict` cookie (`Secure` over https) holding a random
//!   session token; only the token's SHA-256 is stored. The key never travels
//!   again, and never in a URL.
//! - `DELETE /api/staff/session` signs out: the session is revoked in the store,
//!   not just forgotten by the browser. Revoking the key ends all its sessions.
//! - Requests authenticated by the cookie must come from the console's own
//!   origin: `Sec-Fetch-Site` (or, from older browsers, `Origin`) is checked, and
//!   a state change without either is refused. `SameSite=Strict` already keeps
//!   the cookie off cross-site requests; this is the second lock.
//! - Failed sign-ins are limited per client address ([`MAX_FAILURES`] a minute,
//!   then 429 with `Retry-After`), in memory: per process, which is per
//!   `carte serve` and per warm Lambda instance.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::keys;
use crate::limits;
use crate::problem::{ApiError, ProblemDoc};
use crate::state::AppState;
use crate::store::{ApiKey, NewSession, Role, StoreError};

/// The session cookie's name.
pub const COOKIE: &str = "carte_staff";
/// The cookie is only sent to the staff API.
pub const COOKIE_PATH: &str = "/api/staff";
/// How long a session lasts: a long shift.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins a client address may make per [`FAILURE_WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failed sign-ins are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; beyond it, addresses with no recent failure are dropped.
const MAX_TRACKED: usize = 10_000;

/// Whether a request only reads or changes state: a change authenticated by the
/// cookie must prove it comes from the console's own origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Change,
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The session cookie; `hash` is the stored hash of its token.
    Session {
        hash: String,
        expires_at: DateTime<Utc>,
    },
}

/// An authenticated caller: the key it acts for, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key: ApiKey,
    pub via: Via,
}

impl Caller {
    /// Who made a change, for the order's history: the key's label and its id
    /// (labels are for people and need not be unique).
    pub fn who(&self) -> String {
        format!("{} ({})", self.key.label, self.key.id)
    }
}

fn bearer(headers: &HeaderMap) -> Option<Option<&str>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, key) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
            })
            .filter(|k| !k.is_empty() && k.len() <= 200),
    )
}

/// The session token in the request's cookies, if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

fn first_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or("").trim())
        .filter(|v| !v.is_empty())
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to.
fn same_host(headers: &HeaderMap, origin: &str) -> bool {
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    let hosts = [
        first_header(headers, "x-forwarded-host"),
        first_header(headers, header::HOST.as_str()),
    ];
    hosts
        .into_iter()
        .flatten()
        .any(|host| host.eq_ignore_ascii_case(authority))
}

/// Refuses a cookie-authenticated request that a browser says came from another
/// site; a change must carry the browser's word that it did not.
pub fn check_same_origin(headers: &HeaderMap, access: Access) -> Result<(), ApiError> {
    if let Some(site) = first_header(headers, "sec-fetch-site") {
        return match site {
            "same-origin" => Ok(()),
            // Typed into the address bar or opened from a bookmark: fine to read.
            "none" if access == Access::Read => Ok(()),
            _ => Err(ApiError::CrossSite),
        };
    }
    if let Some(origin) = first_header(headers, header::ORIGIN.as_str()) {
        return if same_host(headers, origin) {
            Ok(())
        } else {
            Err(ApiError::CrossSite)
        };
    }
    match access {
        Access::Read => Ok(()),
        Access::Change => Err(ApiError::CrossSite),
    }
}

/// Who is calling: a Bearer key if the request has an `Authorization` header
/// (a wrong one is 401, with no fall-back to the cookie), else the session cookie.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    access: Access,
) -> Result<Caller, ApiError> {
    if let Some(key) = bearer(headers) {
        let key = key.ok_or(ApiError::Unauthorized)?;
        let found = state
            .store
            .find_key(&keys::sha256_hex(key), state.now())
            .await?
            .ok_or(ApiError::Unauthorized)?;
        return Ok(Caller {
            key: found,
            via: Via::Bearer,
        });
    }
    let token = session_token(headers).ok_or(ApiError::Unauthorized)?;
    check_same_origin(headers, access)?;
    let hash = keys::sha256_hex(token);
    let session = state
        .store
        .find_session(&hash, state.now())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Caller {
        key: session.key,
        via: Via::Session {
            hash,
            expires_at: session.expires_at,
        },
    })
}

/// [`authenticate`], then the key's role: another role is 403.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    role: Role,
    access: Access,
) -> Result<Caller, ApiError> {
    let caller = authenticate(state, headers, access).await?;
    if caller.key.role != role {
        return Err(ApiError::Forbidden);
    }
    Ok(caller)
}

/// Failed sign-ins per client address, in memory.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // The map holds only counters: a panic elsewhere cannot leave it torn.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// 429 with the seconds to wait when `client` failed too often lately.
    pub fn check(&self, client: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut failures = self.lock();
        let Some(times) = failures.get_mut(client) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
        {
            times.pop_front();
        }
        if times.len() < MAX_FAILURES {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        let wait = FAILURE_WINDOW.saturating_sub(now.duration_since(oldest));
        Err(ApiError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
        })
    }

    /// Counts a failed sign-in of `client`.
    pub fn fail(&self, client: &str) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= MAX_TRACKED && !failures.contains_key(client) {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < FAILURE_WINDOW)
            });
        }
        let times = failures.entry(client.to_owned()).or_default();
        times.push_back(now);
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }

    /// Forgets `client`'s failures after a good sign-in.
    pub fn succeed(&self, client: &str) {
        self.lock().remove(client);
    }
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

/// Whether the request reached us over https (directly or through a proxy that says so).
fn is_https(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || first_header(&parts.headers, "x-forwarded-proto") == Some("https")
        || first_header(&parts.headers, header::ORIGIN.as_str())
            .is_some_and(|o| o.starts_with("https://"))
}

fn cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Signing in.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// An API key (`carte_…`), as `carte keys create` printed it.
    pub key: String,
}

/// Who is signed in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub role: Role,
    /// The key's label, e.g. `counter`.
    pub label: String,
    pub key_id: String,
    /// When the session ends; absent for a Bearer key.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl SessionView {
    fn of(caller: &Caller) -> SessionView {
        SessionView {
            role: caller.key.role,
            label: caller.key.label.clone(),
            key_id: caller.key.id.clone(),
            expires_at: match &caller.via {
                Via::Session { expires_at, .. } => Some(*expires_at),
                Via::Bearer => None,
            },
        }
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Signs in with an API key: answers with the session cookie.
#[utoipa::path(
    post,
    path = "/api/staff/session",
    tag = "staff",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in; the session is in the `carte_staff` cookie", body = SessionView),
        (status = 401, description = "Unknown or revoked key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "A cross-site request", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins from this address; see Retry-After", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let client = client_ip(&parts);
    state.sign_in.check(&client)?;
    check_same_origin(&parts.headers, Access::Read)?;
    limits::require_json(&parts.headers)?;
    let bytes = limits::read_body(body).await?;
    let request: SignInRequest = limits::parse_json(&bytes)?;
    let key = request.key.trim();
    let found = if key.is_empty() || key.len() > 200 {
        None
    } else {
        state
            .store
            .find_key(&keys::sha256_hex(key), state.now())
            .await?
    };
    let Some(found) = found else {
        state.sign_in.fail(&client);
        return Err(ApiError::Unauthorized);
    };
    state.sign_in.succeed(&client);
    let token = keys::new_token();
    let now = state.now();
    let expires_at = now + chrono::Duration::hours(SESSION_HOURS);
    let stored = state
        .store
        .create_session(NewSession {
            hash: keys::sha256_hex(&token),
            key_id: found.id.clone(),
            created_at: now,
            expires_at,
        })
        .await;
    match stored {
        Ok(()) => {}
        // Revoked between the two calls.
        Err(StoreError::NotFound) => return Err(ApiError::Unauthorized),
        Err(other) => return Err(other.into()),
    }
    let caller = Caller {
        key: found,
        via: Via::Session {
            hash: String::new(),
            expires_at,
        },
    };
    let mut response = Json(SessionView::of(&caller)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&token, SESSION_HOURS * 3600, is_https(&parts)),
    );
    Ok(no_store(response))
}

/// Who is signed in (any role), by cookie or Bearer key.
#[utoipa::path(
    get,
    path = "/api/staff/session",
    tag = "staff",
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 200, description = "The caller", body = SessionView),
        (status = 401, description = "No live session or API key", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &headers, Access::Read).await?;
    Ok(no_store(Json(SessionView::of(&caller)).into_response()))
}

/// Signs out: revokes the session in the store and clears the cookie.
#[utoipa::path(
    delete,
    path = "/api/staff/session",
    tag = "staff",
    responses(
        (status = 204, description = "Signed out (also when there was no session)"),
        (status = 403, description = "A cross-site request", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn sign_out(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    if let Some(token) = session_token(&parts.headers) {
        check_same_origin(&parts.headers, Access::Change)?;
        match state
            .store
            .revoke_session(&keys::sha256_hex(token), state.now())
            .await
        {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", 0, is_https(&parts)));
    Ok(no_store(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; carte_staff=abc ; b=2")]);
        assert_eq!(session_token(&h), Some("abc"));
        assert_eq!(
            session_token(&headers(&[("cookie", "carte_staffx=1")])),
            None
        );
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let same = headers(&[("sec-fetch-site", "same-origin")]);
        assert!(check_same_origin(&same, Access::Change).is_ok());
        let cross = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(check_same_origin(&cross, Access::Read).is_err());
        let sibling = headers(&[("sec-fetch-site", "same-site")]);
        assert!(check_same_origin(&sibling, Access::Change).is_err());
        let typed = headers(&[("sec-fetch-site", "none")]);
        assert!(check_same_origin(&typed, Access::Read).is_ok());
        assert!(check_same_origin(&typed, Access::Change).is_err());
        let origin = headers(&[
            ("origin", "http://shop.test:8080"),
            ("host", "shop.test:8080"),
        ]);
        assert!(check_same_origin(&origin, Access::Change).is_ok());
        let other = headers(&[("origin", "http://evil.test"), ("host", "shop.test")]);
        assert!(check_same_origin(&other, Access::Change).is_err());
        assert!(check_same_origin(&HeaderMap::new(), Access::Read).is_ok());
        assert!(check_same_origin(&HeaderMap::new(), Access::Change).is_err());
    }

    #[test]
    fn five_failures_a_minute_then_wait() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(limiter.check("1.2.3.4").is_ok());
            limiter.fail("1.2.3.4");
        }
        match limiter.check("1.2.3.4") {
            Err(ApiError::TooManyRequests { retry_after }) => {
                assert!((1..=60).contains(&retry_after))
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limiter.check("5.6.7.8").is_ok());
        limiter.succeed("1.2.3.4");
        assert!(limiter.check("1.2.3.4").is_ok());
    }
}
