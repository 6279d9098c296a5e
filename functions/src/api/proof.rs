//! A diner proves their phone or email: `POST /api/members/code` sends a one-time code,
//! `POST /api/members/verify` checks it and opens a member session (signing the diner
//! up on first proof, with consent), `GET /api/members/me` says who the session is, and
//! `DELETE /api/members/session` signs out.
//!
//! Asking for a code answers the same whether or not the address belongs to a member,
//! and nothing about a member is shown before the code is proven. A code is 6 digits,
//! valid [`CODE_MINUTES`](contact::CODE_MINUTES), at most [`MAX_TRIES`](contact::MAX_TRIES) tries, stored hashed; an address gets
//! at most [`CODES_PER_HOUR`](contact::CODES_PER_HOUR) codes an hour, a client address
//! [`CODE_REQUESTS_PER_MINUTE`](crate::limiter::CODE_REQUESTS_PER_MINUTE) requests a minute. The session is an HttpOnly, SameSite=Lax cookie (Secure over
//! HTTPS) holding a random token whose SHA-256 is stored; it lives
//! [`MEMBER_SESSION_DAYS`](crate::api::auth::MEMBER_SESSION_DAYS) days and is rotated once a day when used.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{is_https, member_cookie};
use crate::api::contact::{self, CodeSent};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::keys;
use crate::state::AppState;
use crate::store::Touch;

/// Where to send a code: a phone number or an email address.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A code to prove, and the sign-up details used when the address is new.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The 6 digits received.
    pub code: String,
    /// Consent to be contacted and to have orders linked; needed to become a member.
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub name: Option<String>,
    /// Orders of this browser to link to the member, each proven by its token.
    #[serde(default)]
    pub order_ids: Vec<crate::api::contact::OrderRef>,
    /// The campaign channel the diner last arrived through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_touch: Option<Touch>,
    /// The location whose storefront the diner signed up on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A proven code: the member, signed in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verified {
    pub member: contact::MemberView,
    /// True when the proof made a new member.
    pub created: bool,
    /// Issued to a new member when a campaign has a sign-up coupon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub welcome_code: Option<crate::api::contact::WelcomeCode>,
    /// Ids of the orders now linked to the member.
    pub linked_orders: Vec<String>,
}

/// Sends a one-time code to a phone or email address.
#[utoipa::path(
    post,
    path = "/api/members/code",
    tag = "members",
    request_body = CodeRequest,
    responses(
        (status = 202, description = "A code is on its way (the same answer for members and strangers)", body = CodeSent),
        (status = 422, description = "`validation-failed`: the phone or email named", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many codes asked from this client; see Retry-After", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "`sender-not-configured`: no way to send to this kind of address", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn send_code(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let client = limits::client_of(&request);
    state
        .code_requests
        .check(&client)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let (parts, body) = request.into_parts();
    limits::require_json(&parts.headers)?;
    let bytes = limits::read_body(body).await?;
    let asked: CodeRequest = limits::parse_json(&bytes)?;
    let mut errors = Vec::new();
    let address = contact::address_of(
        &state,
        asked.phone.as_deref(),
        asked.email.as_deref(),
        &mut errors,
    );
    limits::finish(errors)?;
    let Some(address) = address else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "phone", "missing",
        )]));
    };
    state.code_requests.fail(&client);
    let sent = contact::send_code_to(&state, &address).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)).into_response())
}

/// Proves a code: signs the member in (and up, with consent, when the address is new).
#[utoipa::path(
    post,
    path = "/api/members/verify",
    tag = "members",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Proven: the member, signed in (cookie `carte_member`)", body = Verified),
        (status = 201, description = "Proven: a new member, signed in", body = Verified),
        (status = 422, description = "`validation-failed`: `code` wrong (tries left said) or spent, `consent` needed for a new member, or the address named", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: VerifyRequest = limits::parse_json(&bytes)?;
    let mut errors = Vec::new();
    let address = contact::address_of(
        &state,
        request.phone.as_deref(),
        request.email.as_deref(),
        &mut errors,
    );
    let code = request.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(FieldError::new("code", "the 6 digits of the code"));
    }
    limits::check_opt_text(
        &mut errors,
        "name",
        request.name.as_deref(),
        limits::MAX_NAME,
    );
    if request.order_ids.len() > limits::MAX_LINKED_ORDERS {
        errors.push(FieldError::new(
            "order_ids",
            format!("at most {} orders", limits::MAX_LINKED_ORDERS),
        ));
    }
    limits::finish(errors)?;
    let Some(address) = address else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "phone", "missing",
        )]));
    };
    let signed = contact::sign_in_with_code(
        &state,
        contact::Proof {
            address,
            code: code.to_owned(),
            consent: request.consent,
            name: request.name,
            order_ids: request.order_ids,
            last_touch: request.last_touch,
            location: request.location,
        },
    )
    .await?;
    let created = signed.created;
    let body = Verified {
        member: contact::member_view(signed.member),
        created,
        welcome_code: signed.welcome.map(|w| crate::api::contact::WelcomeCode {
            code: w.code,
            coupon: w.coupon,
        }),
        linked_orders: signed.linked,
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let cookie = member_cookie(&signed.token, signed.max_age, is_https(&headers));
    Ok(crate::api::auth::private(
        (status, Json(body)).into_response(),
        Some(cookie),
    ))
}

/// The signed-in member; a session older than a day gets a new token (cookie) now.
#[utoipa::path(
    get,
    path = "/api/members/me",
    tag = "members",
    responses(
        (status = 200, description = "The member of the session", body = contact::MemberView),
        (status = 401, description = "No live member session", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let Some(session) = crate::api::auth::member_session(&state, &headers).await? else {
        return Err(ApiError::Unauthorized);
    };
    let cookie = crate::api::auth::rotate_member_session(&state, &session, &headers).await?;
    Ok(crate::api::auth::private(
        Json(contact::member_view(session.member)).into_response(),
        cookie,
    ))
}

/// Signs the member out: the session ends and the cookie is cleared.
#[utoipa::path(
    delete,
    path = "/api/members/session",
    tag = "members",
    responses((status = 204, description = "Signed out (also when no session was live)"))
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = crate::api::auth::member_token(&headers) {
        state
            .store
            .revoke_member_session(&keys::sha256_hex(token), state.now())
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, member_cookie("", 0, is_https(&headers)));
    Ok(response)
}
