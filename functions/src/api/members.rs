//! `POST /api/members`: sign-up, which starts by sending a one-time code (the member is
//! made when `POST /api/members/verify` proves it, see `proof`), and staff erasing a
//! member's personal data.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{self, Access};
use crate::api::contact::{address_of, send_code_to, CodeSent, OrderRef};
use crate::api::extract::query_param;
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::senders::Address;
use crate::state::AppState;
use crate::store::{MemberKey, Role, Touch};

/// A sign-up.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// A phone number: `+86 138-0013-8000`, or national (`13800138000`) in the site's country.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Consent to be contacted and to have orders linked; must be `true`.
    pub consent: bool,
    #[serde(default)]
    pub name: Option<String>,
    /// Orders of this browser session to link to the member.
    #[serde(default)]
    pub order_ids: Vec<OrderRef>,
    /// The campaign channel the diner last arrived through, as the storefront
    /// remembers it: the member is counted as a new member of it. A touch naming no
    /// channel of the content (an ended campaign) is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_touch: Option<Touch>,
    /// The location whose storefront the diner signed up on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Signs a diner up — which starts with proof: checks the sign-up (consent, the phone
/// or email, the orders' tokens) and sends a one-time code to the address, answering
/// exactly like `POST /api/members/code`. Nothing is stored about the diner and no
/// member is named until `POST /api/members/verify` proves the code (with the same
/// details, `consent` included): only then is a new member created and given a welcome
/// code.
#[utoipa::path(
    post,
    path = "/api/members",
    tag = "members",
    request_body = SignUpRequest,
    responses(
        (status = 202, description = "A code is on its way to the phone or email (the same answer for members and strangers)", body = CodeSent),
        (status = 400, description = "Malformed JSON", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` or `validation-failed` (consent, phone, email, order_ids)", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "`sender-not-configured`: no way to send to this kind of address", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    limits::require_json(&headers)?;
    let bytes = limits::read_body(body).await?;
    let request: SignUpRequest = limits::parse_json(&bytes)?;
    let catalog = state.catalog();
    let site = &catalog.site;
    let mut errors = Vec::new();
    if !request.consent {
        errors.push(FieldError::new("consent", "consent is needed to sign up"));
    }
    let address = address_of(
        &state,
        request.phone.as_deref(),
        request.email.as_deref(),
        &mut errors,
    );
    limits::check_opt_text(
        &mut errors,
        "name",
        request.name.as_deref(),
        limits::MAX_NAME,
    );
    if let Some(location) = &request.location {
        if site.location(location).is_none() {
            errors.push(FieldError::new("location", "no location with this id"));
        }
    }
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
    let sent = send_code_to(&state, &address).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)).into_response())
}

/// A member looked up at the counter, by phone or email (staff only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberFound {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Looks a member up by phone (`?phone=`) or email (`?email=`), for staff linking a
/// counter redemption to them.
#[utoipa::path(
    get,
    path = "/api/staff/members",
    tag = "staff",
    params(
        ("phone" = Option<String>, Query, description = "A phone number, as a diner would give it"),
        ("email" = Option<String>, Query, description = "An email address"),
    ),
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 200, description = "The member", body = MemberFound),
        (status = 401, description = "No or unknown API key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No member with this phone or email", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`validation-failed`: the phone or email named", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn find_member(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<MemberFound>, ApiError> {
    auth::authorize(&state, &headers, Role::Staff, Access::Read).await?;
    let query = query.as_deref();
    let mut errors = Vec::new();
    let address = address_of(
        &state,
        query_param(query, "phone").as_deref(),
        query_param(query, "email").as_deref(),
        &mut errors,
    );
    limits::finish(errors)?;
    let key = match address {
        Some(Address::Phone(phone)) => MemberKey::Phone(phone),
        Some(Address::Email(email)) => MemberKey::Email(email),
        None => return Err(ApiError::NotFound),
    };
    let member = state
        .store
        .find_member(key)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(MemberFound {
        id: member.id,
        phone: member.phone,
        email: member.email,
        name: member.name,
    }))
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
    auth::authorize(&state, &headers, Role::Staff, Access::Change).await?;
    let Path(id) = id.map_err(|_| ApiError::NotFound)?;
    if id.len() > limits::MAX_ID {
        return Err(ApiError::NotFound);
    }
    state.store.erase_member(&id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
