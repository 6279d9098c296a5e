//! Passkeys (WebAuthn): the quick way back for a member who proved their phone or
//! email once, on a device they registered — no code to wait for, no SMS to pay for.
//!
//! A signed-in member registers a passkey with `POST /api/members/passkeys/options`
//! then `POST /api/members/passkeys`; lists them with `GET /api/members/passkeys` and
//! removes one with `DELETE /api/members/passkeys/{id}`. Anyone signs in with one by
//! `POST /api/members/passkey/options` then `POST /api/members/passkey/verify`, which
//! opens the same member session as a proven code. Passkeys are offered, never required.
//!
//! The ceremonies are the `webauthn-rs` library's: user verification required, ES256
//! and the other algorithms it allows, the signature counter kept. Passkeys are asked
//! for as discoverable credentials, so signing in needs no phone or email typed (and
//! reveals nothing about who is a member). The relying party is the shop's public origin
//! (`CARTE_PUBLIC_URL`, else the request's host); a ceremony lives
//! [`CEREMONY_MINUTES`] minutes and is used once.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::api::auth;
use crate::api::contact::{self, MemberView};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::keys;
use crate::state::AppState;
use crate::store::{Ceremony, MemberSession, StoredPasskey};

/// How long a ceremony (the browser asking the authenticator) may take.
pub const CEREMONY_MINUTES: i64 = 5;
/// The most passkeys one member keeps.
pub const MAX_PASSKEYS: usize = 10;

/// The options to hand to `navigator.credentials.create()` or `.get()`, and the
/// ceremony to send back with the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyOptions {
    /// Send this back with the authenticator's answer.
    pub ceremony: String,
    /// WebAuthn options (`publicKey`), binary fields as base64url.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// The authenticator's answer to a ceremony.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAnswer {
    pub ceremony: String,
    /// The `PublicKeyCredential`, binary fields as base64url.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// One of the member's passkeys.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyView {
    /// The credential id (base64url).
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Signed in with a passkey.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeySignedIn {
    pub member: MemberView,
}

/// The relying party for this request: the shop's public origin.
fn relying_party(headers: &HeaderMap) -> Result<Webauthn, ApiError> {
    let origin = auth::public_origin(headers);
    let unusable = || {
        ApiError::Validation(vec![FieldError::new(
            "origin",
            "passkeys need the shop's own domain name",
        )])
    };
    let url = Url::parse(&origin).map_err(|_| unusable())?;
    let host = url.host_str().ok_or_else(unusable)?.to_owned();
    WebauthnBuilder::new(&host, &url)
        .and_then(|b| b.rp_name("Carte").build())
        .map_err(|_| unusable())
}

/// The WebAuthn user handle of a member: a hash of the id, so the authenticator
/// keeps nothing about the person.
fn user_handle(member_id: &str) -> Uuid {
    let digest = Sha256::digest(member_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// A ceremony state or passkey the server wrote and cannot read back: a bug, not the diner's.
fn broken(error: impl std::fmt::Display) -> ApiError {
    ApiError::Store(crate::store::StoreError::Backend(format!(
        "passkey state: {error}"
    )))
}

fn refused(reason: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new("credential", reason)])
}

async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<MemberSession, ApiError> {
    auth::member_session(state, headers)
        .await?
        .ok_or(ApiError::Unauthorized)
}

async fn save(
    state: &AppState,
    member_id: Option<String>,
    ceremony: &impl Serialize,
    options: serde_json::Value,
) -> Result<Response, ApiError> {
    let id = keys::new_token();
    let state_json = serde_json::to_string(ceremony).map_err(broken)?;
    state
        .store
        .save_ceremony(Ceremony {
            id: id.clone(),
            member_id,
            state: state_json,
            expires_at: state.now() + chrono::Duration::minutes(CEREMONY_MINUTES),
        })
        .await?;
    Ok(auth::private(
        Json(PasskeyOptions {
            ceremony: id,
            options,
        })
        .into_response(),
        None,
    ))
}

/// Reads an answer and takes its ceremony (once): `None` when it is unknown or expired.
async fn answer(
    state: &AppState,
    body: axum::body::Body,
) -> Result<(PasskeyAnswer, Option<Ceremony>), ApiError> {
    let bytes = limits::read_body(body).await?;
    let answer: PasskeyAnswer = limits::parse_json(&bytes)?;
    if answer.ceremony.len() > 128 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "ceremony", "unknown",
        )]));
    }
    let ceremony = state
        .store
        .take_ceremony(&answer.ceremony, state.now())
        .await?;
    Ok((answer, ceremony))
}

/// Starts registering a passkey on this device for the signed-in member.
#[utoipa::path(
    post,
    path = "/api/members/passkeys/options",
    tag = "members",
    responses(
        (status = 200, description = "Options for `navigator.credentials.create()`", body = PasskeyOptions),
        (status = 401, description = "No live member session", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`validation-failed`: this shop's address cannot hold passkeys (`origin`), or the member has the most passkeys allowed (`passkeys`)", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn registration_options(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, &headers).await?;
    let webauthn = relying_party(&headers)?;
    let member = &session.member;
    let existing = state.store.member_passkeys(&member.id).await?;
    if existing.len() >= MAX_PASSKEYS {
        return Err(ApiError::Validation(vec![FieldError::new(
            "passkeys",
            format!("at most {MAX_PASSKEYS} passkeys: remove one first"),
        )]));
    }
    let exclude = existing
        .iter()
        .filter_map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id).ok())
        .collect::<Vec<_>>();
    let label = member
        .email
        .clone()
        .or_else(|| member.phone.clone())
        .unwrap_or_else(|| member.id.clone());
    let display = member.name.clone().unwrap_or_else(|| label.clone());
    let (options, registration) = webauthn
        .start_passkey_registration(user_handle(&member.id), &label, &display, Some(exclude))
        .map_err(|_| refused("could not start"))?;
    let mut options = serde_json::to_value(&options.public_key).map_err(broken)?;
    // Discoverable (resident), so signing in later needs nothing typed. The library
    // leaves residency to the device; none of its checks depend on it.
    options["authenticatorSelection"]["residentKey"] = "required".into();
    options["authenticatorSelection"]["requireResidentKey"] = true.into();
    save(&state, Some(member.id.clone()), &registration, options).await
}

/// Finishes registering a passkey: the authenticator's answer to the options.
#[utoipa::path(
    post,
    path = "/api/members/passkeys",
    tag = "members",
    request_body = PasskeyAnswer,
    responses(
        (status = 201, description = "The passkey is the member's", body = PasskeyView),
        (status = 400, description = "The body is not JSON", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No live member session", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`validation-failed`: the ceremony is unknown or expired (`ceremony`), or the credential does not verify or is registered already (`credential`)", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    limits::require_json(&parts.headers)?;
    let session = signed_in(&state, &parts.headers).await?;
    let webauthn = relying_party(&parts.headers)?;
    let (answer, ceremony) = answer(&state, body).await?;
    let Some(ceremony) = ceremony.filter(|c| c.member_id.as_deref() == Some(&session.member.id))
    else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "ceremony",
            "unknown or expired: start again",
        )]));
    };
    let registration: PasskeyRegistration =
        serde_json::from_str(&ceremony.state).map_err(broken)?;
    let credential: RegisterPublicKeyCredential = serde_json::from_value(answer.credential)
        .map_err(|_| refused("not a WebAuthn credential"))?;
    let passkey = webauthn
        .finish_passkey_registration(&credential, &registration)
        .map_err(|e| refused(&format!("does not verify: {e}")))?;
    let now = state.now();
    let stored = StoredPasskey {
        credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id()),
        member_id: session.member.id.clone(),
        passkey: serde_json::to_string(&passkey).map_err(broken)?,
        created_at: now,
        last_used_at: None,
    };
    if !state.store.add_passkey(stored.clone()).await? {
        return Err(refused("this passkey is registered already"));
    }
    Ok(auth::private(
        (
            StatusCode::CREATED,
            Json(PasskeyView {
                id: stored.credential_id,
                created_at: now,
                last_used_at: None,
            }),
        )
            .into_response(),
        None,
    ))
}

/// The signed-in member's passkeys.
#[utoipa::path(
    get,
    path = "/api/members/passkeys",
    tag = "members",
    responses(
        (status = 200, description = "The member's passkeys, oldest first", body = [PasskeyView]),
        (status = 401, description = "No live member session", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let session = signed_in(&state, &headers).await?;
    let keys: Vec<PasskeyView> = state
        .store
        .member_passkeys(&session.member.id)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            id: p.credential_id,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
        .collect();
    Ok(auth::private(Json(keys).into_response(), None))
}

/// Removes one of the signed-in member's passkeys.
#[utoipa::path(
    delete,
    path = "/api/members/passkeys/{id}",
    tag = "members",
    params(("id" = String, Path, description = "The credential id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No live member session", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "The member has no such passkey", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, &headers).await?;
    if id.len() > 1024 || !state.store.remove_passkey(&session.member.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(auth::private(StatusCode::NO_CONTENT.into_response(), None))
}

/// Starts signing in with a passkey (any member's: the passkey says whose).
#[utoipa::path(
    post,
    path = "/api/members/passkey/options",
    tag = "members",
    responses(
        (status = 200, description = "Options for `navigator.credentials.get()`", body = PasskeyOptions),
        (status = 422, description = "`validation-failed`: this shop's address cannot hold passkeys (`origin`)", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ins asked from this client; see Retry-After", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in_options(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let client = limits::client_of(&request);
    state
        .code_requests
        .check(&client)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    state.code_requests.fail(&client);
    let webauthn = relying_party(request.headers())?;
    let (options, authentication) = webauthn
        .start_discoverable_authentication()
        .map_err(|_| refused("could not start"))?;
    let options = serde_json::to_value(&options.public_key).map_err(broken)?;
    save(&state, None, &authentication, options).await
}

/// Finishes signing in with a passkey: the member's session opens (cookie `carte_member`).
#[utoipa::path(
    post,
    path = "/api/members/passkey/verify",
    tag = "members",
    request_body = PasskeyAnswer,
    responses(
        (status = 200, description = "Signed in (cookie `carte_member`)", body = PasskeySignedIn),
        (status = 400, description = "The body is not JSON", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`validation-failed`: the ceremony is unknown or expired (`ceremony`), or the passkey is unknown or does not verify (`credential`)", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    limits::require_json(&parts.headers)?;
    let webauthn = relying_party(&parts.headers)?;
    let (answer, ceremony) = answer(&state, body).await?;
    let Some(ceremony) = ceremony.filter(|c| c.member_id.is_none()) else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "ceremony",
            "unknown or expired: start again",
        )]));
    };
    let authentication: DiscoverableAuthentication =
        serde_json::from_str(&ceremony.state).map_err(broken)?;
    let credential: PublicKeyCredential = serde_json::from_value(answer.credential)
        .map_err(|_| refused("not a WebAuthn credential"))?;
    let (handle, credential_id) = webauthn
        .identify_discoverable_authentication(&credential)
        .map_err(|_| refused("not a passkey of this shop"))?;
    let Some(stored) = state
        .store
        .find_passkey(&URL_SAFE_NO_PAD.encode(credential_id))
        .await?
        .filter(|s| user_handle(&s.member_id) == handle)
    else {
        return Err(refused("not a passkey of this shop"));
    };
    let mut passkey: Passkey = serde_json::from_str(&stored.passkey).map_err(broken)?;
    let result = webauthn
        .finish_discoverable_authentication_v2(&credential, authentication, &passkey)
        .map_err(|_| refused("does not verify"))?;
    passkey.update_credential(&result);
    let now = state.now();
    state
        .store
        .touch_passkey(
            &stored.credential_id,
            serde_json::to_string(&passkey).map_err(broken)?,
            now,
        )
        .await?;
    let Some(member) = state
        .store
        .find_member(crate::store::MemberKey::Id(stored.member_id.clone()))
        .await?
    else {
        return Err(refused("not a passkey of this shop"));
    };
    let (token, max_age) = auth::open_member_session(&state, &member.id).await?;
    let cookie = auth::member_cookie(&token, max_age, auth::is_https(&parts.headers));
    Ok(auth::private(
        Json(PasskeySignedIn {
            member: contact::member_view(member),
        })
        .into_response(),
        Some(cookie),
    ))
}
