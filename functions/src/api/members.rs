//! `POST /api/members`: sign-up with consent, the welcome code, and linking
//! the orders placed earlier in the same browser session.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::{self, Access};
use crate::api::checkout::known_touch;
use crate::api::contact::{
    default_calling_code, normalize_email, normalize_phone, welcome_for, OrderRef, WelcomeCode,
};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::keys;
use crate::state::AppState;
use crate::store::{Attribution, NewMember, Role, Touch};

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

/// The member signed up (or found again).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignUpResponse {
    pub id: String,
    /// False when the phone or email belonged to a member already.
    pub created: bool,
    /// E.164.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub consent_at: DateTime<Utc>,
    /// Issued to new members when a campaign has a sign-up coupon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub welcome_code: Option<WelcomeCode>,
    /// Ids of the orders now linked to the member.
    pub linked_orders: Vec<String>,
}

/// Signs a diner up as a member (phone or email, with consent). A new member
/// gets a single-use welcome code when a campaign has a sign-up coupon; a
/// second sign-up with the same phone or email finds the member again.
#[utoipa::path(
    post,
    path = "/api/members",
    tag = "members",
    request_body = SignUpRequest,
    responses(
        (status = 201, description = "A new member", body = SignUpResponse),
        (status = 200, description = "The phone or email belongs to a member already", body = SignUpResponse),
        (status = 400, description = "Malformed JSON", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` or `validation-failed` (consent, phone, email, order_ids)", body = ProblemDoc, content_type = "application/problem+json"),
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
    let phone_in = request
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let email_in = request
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if phone_in.is_none() && email_in.is_none() {
        errors.push(FieldError::new(
            "phone",
            "give a phone number or an email address",
        ));
    }
    let phone = match phone_in {
        Some(p) if p.chars().count() > limits::MAX_PHONE => {
            errors.push(FieldError::new(
                "phone",
                format!("at most {} characters", limits::MAX_PHONE),
            ));
            None
        }
        Some(p) => normalize_phone(p, default_calling_code(&site.settings.currency.code))
            .map_err(|reason| errors.push(FieldError::new("phone", reason)))
            .ok(),
        None => None,
    };
    let email = match email_in {
        Some(e) if e.chars().count() > limits::MAX_EMAIL => {
            errors.push(FieldError::new(
                "email",
                format!("at most {} characters", limits::MAX_EMAIL),
            ));
            None
        }
        Some(e) => normalize_email(e)
            .map_err(|reason| errors.push(FieldError::new("email", reason)))
            .ok(),
        None => None,
    };
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
    // Check every order's token before anything is written.
    let mut errors = Vec::new();
    for (index, order) in request.order_ids.iter().enumerate() {
        let owned = order.id.len() <= limits::MAX_ID
            && order.token.len() <= 128
            && match state.store.get_order(&order.id).await {
                Ok(stored) => keys::token_matches(&order.token, &stored.token_hash),
                Err(crate::store::StoreError::NotFound) => false,
                Err(other) => return Err(other.into()),
            };
        if !owned {
            errors.push(FieldError::new(
                format!("order_ids[{index}]"),
                "no order with this id and token",
            ));
        }
    }
    limits::finish(errors)?;
    let now = state.now();
    let id = keys::new_id("mem");
    let signed = state
        .store
        .sign_up(NewMember {
            id: id.clone(),
            phone: phone.clone(),
            email: email.clone(),
            name: request.name.clone().filter(|n| !n.trim().is_empty()),
            consent_at: now,
            welcome: welcome_for(site, &id),
            attribution: known_touch(request.last_touch.clone(), site).map(|t| Attribution {
                campaign: t.campaign,
                channel: t.channel,
            }),
            location: request.location.clone(),
        })
        .await?;
    let mut linked = Vec::new();
    for order in &request.order_ids {
        state.store.link_order(&order.id, &signed.member.id).await?;
        linked.push(order.id.clone());
    }
    let member = signed.member;
    // A found-again member is described only by what the caller sent: knowing
    // a phone number must not reveal the name or email behind it.
    let response = if signed.created {
        SignUpResponse {
            id: member.id,
            created: true,
            phone: member.phone,
            email: member.email,
            name: member.name,
            consent_at: member.consent_at,
            welcome_code: signed.welcome.map(|w| WelcomeCode {
                code: w.code,
                coupon: w.coupon,
            }),
            linked_orders: linked,
        }
    } else {
        SignUpResponse {
            id: member.id,
            created: false,
            phone,
            email,
            name: None,
            consent_at: member.consent_at,
            welcome_code: None,
            linked_orders: linked,
        }
    };
    let status = if response.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(response)).into_response())
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
