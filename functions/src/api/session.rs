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

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{
    authenticate, check_same_origin, first_header, session_token, Access, Caller, Via, COOKIE,
    COOKIE_PATH,
};
use crate::api::extract::client_ip;
use crate::api::limits;
use crate::api::problem::{ApiError, ProblemDoc};
use crate::keys;
use crate::state::AppState;
use crate::store::{NewSession, Role, StoreError};

/// How long a session lasts: a long shift.
pub const SESSION_HOURS: i64 = 12;

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
    state
        .sign_in
        .check(&client)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
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
