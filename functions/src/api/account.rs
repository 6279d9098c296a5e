//! The diner's "my account": server-rendered pages under `/api/members/account` that
//! work without JavaScript, and the same orders as JSON for the storefront.
//!
//! Signed out, the page signs in with a one-time code through plain forms (the
//! address, then the code; a new address becomes a member with consent). Signed in
//! it shows the member's orders, coupons and consent, withdraws the consent, signs
//! out, and deletes the member's data once a fresh code sent to their address proves
//! it is them (the erasure of `carte members erase`, which ends every session).
//!
//! Every form is a same-origin POST carrying the `SameSite=Lax` member cookie; the
//! browser's `Sec-Fetch-Site`, `Origin` or `Referer` must name this site when sent
//! ([`auth::check_form_origin`]). The pages are never cached or framed and run no
//! script ([`pages::private_page`]).

use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use catalog::{Coupon, Site};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::auth::{self, is_https, member_cookie};
use crate::api::checkout::{expire_if_unpaid, read_payment_summary_settled};
use crate::api::contact::{self, address_of};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError, ProblemDoc};
use crate::pages::account::{self as page, Account, Allowance, CodeLine, ACCOUNT_PATH};
use crate::pages::{self, private_page};
use crate::senders::Address;
use crate::state::AppState;
use crate::store::{Member, MemberSession, Order, OrderStatus};

/// How many of the member's orders the account shows (newest first).
pub const ORDERS_SHOWN: u32 = 20;
/// Most fields an account form may carry.
const MAX_FIELDS: usize = 16;

/// One field of a query string or form.
fn field(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn pairs_of(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .take(MAX_FIELDS)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A plain form's fields, after the checks every account form shares: a form body,
/// within the size limit, from this site.
async fn read_form(headers: &HeaderMap, body: Body) -> Result<Vec<(String, String)>, ApiError> {
    auth::check_form_origin(headers)?;
    if limits::media_type(headers) != "application/x-www-form-urlencoded" {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/x-www-form-urlencoded",
        });
    }
    let bytes = limits::read_body(body).await?;
    Ok(pairs_of(&bytes))
}

/// The page's language: the form's or query's `lang` if the site has it.
fn lang_of(state: &AppState, pairs: &[(String, String)]) -> String {
    let catalog = state.catalog();
    page::choose_lang(&catalog.site, field(pairs, "lang").as_deref())
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    pairs_of(query.unwrap_or("").as_bytes())
}

/// `303 See Other` back to the account page (a form's answer, so a reload does not post
/// again), with a cookie to set or clear.
fn back_to_account(lang: &str, cookie: Option<HeaderValue>) -> Response {
    let location = format!("{ACCOUNT_PATH}?lang={}", urlencode(lang));
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// An error as a page of its own, with its status (and `Retry-After` when it says when).
fn problem_response(error: ApiError, lang: &str) -> Response {
    let retry_after = match &error {
        ApiError::TooManyRequests { retry_after } => Some(*retry_after),
        _ => None,
    };
    let problem = error.problem();
    let mut response = private_page(problem.status, page::problem_page(lang, &problem));
    if let Some(value) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The coupons of the site with a per-member allowance the member can still see:
/// shared codes (issued ones show as the member's codes), not expired at `now`, and
/// first-order coupons only while the member has no order.
fn allowance_coupons(site: &Site, now: DateTime<Utc>, has_orders: bool) -> Vec<&Coupon> {
    site.campaigns
        .iter()
        .flat_map(|c| c.coupons.iter())
        .filter(|c| c.per_member_limit().is_some() && !c.uses_issued_codes())
        .filter(|c| !(c.first_order_only && has_orders))
        .filter(|c| c.valid_until.is_none_or(|until| until > now))
        .collect()
}

/// Everything the account page shows about `member`.
async fn account_of(
    state: &AppState,
    member: &Member,
    lang: &str,
) -> Result<(Vec<Order>, Vec<CodeLine>, Vec<Allowance>), ApiError> {
    let catalog = state.catalog();
    let site = &catalog.site;
    let orders = state.store.member_orders(&member.id, ORDERS_SHOWN).await?;
    let codes = state
        .store
        .member_codes(&member.id)
        .await?
        .into_iter()
        .map(|issued| {
            let coupon = site.coupon(&issued.coupon).map(|(_, c)| c);
            CodeLine {
                offer: coupon.map_or_else(|| issued.coupon.clone(), |c| c.offer(site, lang)),
                valid_until: coupon.and_then(|c| c.valid_until),
                used: issued.used_by.is_some(),
                code: issued.code,
            }
        })
        .collect();
    let mut allowances = Vec::new();
    for coupon in allowance_coupons(site, state.now(), !orders.is_empty()) {
        let Some(limit) = coupon.per_member_limit() else {
            continue;
        };
        let used = state
            .store
            .member_redemption_count(&coupon.code, &member.id)
            .await?;
        allowances.push(Allowance {
            coupon: coupon.code.clone(),
            offer: coupon.offer(site, lang),
            used,
            limit,
            valid_until: coupon.valid_until,
        });
    }
    Ok((orders, codes, allowances))
}

/// The account page: signed in, the member's orders, coupons and consent; signed out,
/// the sign-in form.
#[utoipa::path(
    get,
    path = "/api/members/account",
    tag = "members",
    params(("lang" = Option<String>, Query, description = "A language of the site (default: its first)")),
    responses(
        (status = 200, description = "HTML: the account of the member signed in (cookie `carte_member`), or the sign-in form", content_type = "text/html"),
    )
)]
pub async fn account(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&state, &query_pairs(query.as_deref()));
    let catalog = state.catalog();
    let site = &catalog.site;
    let session = match auth::member_session(&state, &headers).await {
        Ok(session) => session,
        Err(error) => return problem_response(error, &lang),
    };
    let Some(session) = session else {
        return private_page(StatusCode::OK, page::sign_in_page(&lang, "", None));
    };
    let shown = async {
        let cookie = auth::rotate_member_session(&state, &session, &headers).await?;
        Ok::<_, ApiError>((account_of(&state, &session.member, &lang).await?, cookie))
    };
    match shown.await {
        Ok(((orders, codes, allowances), cookie)) => {
            let view = Account {
                member: &session.member,
                orders: &orders,
                codes,
                allowances,
            };
            let mut response = private_page(StatusCode::OK, page::account_page(site, &lang, &view));
            if let Some(cookie) = cookie {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => problem_response(error, &lang),
    }
}

/// A typed address: an email address when it has an `@`, else a phone number.
fn typed_address(state: &AppState, typed: &str) -> Result<Address, ApiError> {
    let mut errors = Vec::new();
    let (phone, email) = if typed.contains('@') {
        (None, Some(typed))
    } else {
        (Some(typed), None)
    };
    let address = address_of(state, phone, email, &mut errors);
    limits::finish(errors)?;
    address.ok_or_else(|| {
        ApiError::Validation(vec![FieldError::new(
            "address",
            "give a phone number or an email address",
        )])
    })
}

/// The sign-in form's address: sends a one-time code and asks for it.
#[utoipa::path(
    post,
    path = "/api/members/account/code",
    tag = "members",
    request_body(content = AddressForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "HTML: the form asking for the code (the same page for members and strangers)", content_type = "text/html"),
        (status = 403, description = "HTML: a post from another site", content_type = "text/html"),
        (status = 415, description = "HTML: not a form", content_type = "text/html"),
        (status = 422, description = "HTML: the sign-in form again, saying what is wrong with the address", content_type = "text/html"),
        (status = 429, description = "HTML: too many codes asked from this client; see Retry-After", content_type = "text/html"),
        (status = 503, description = "HTML: no way to send to this kind of address", content_type = "text/html"),
    )
)]
pub async fn send_code(State(state): State<AppState>, request: Request) -> Response {
    let client = limits::client_of(&request);
    let (parts, body) = request.into_parts();
    let pairs = match read_form(&parts.headers, body).await {
        Ok(pairs) => pairs,
        Err(error) => return problem_response(error, &lang_of(&state, &[])),
    };
    let lang = lang_of(&state, &pairs);
    let catalog = state.catalog();
    let site = &catalog.site;
    let typed = field(&pairs, "address").unwrap_or_default();
    if typed.chars().count() > limits::MAX_EMAIL.max(limits::MAX_PHONE) {
        let error = ApiError::Validation(vec![FieldError::new(
            "address",
            "this is not a phone number or an email address",
        )]);
        let problem = error.problem();
        let html = page::sign_in_page(&lang, "", Some(&problem));
        return private_page(problem.status, html);
    }
    if let Err(retry_after) = state.code_requests.check(&client) {
        return problem_response(ApiError::TooManyRequests { retry_after }, &lang);
    }
    let address = match typed_address(&state, &typed) {
        Ok(address) => address,
        Err(error) => {
            let problem = error.problem();
            let html = page::sign_in_page(&lang, &typed, Some(&problem));
            return private_page(problem.status, html);
        }
    };
    state.code_requests.fail(&client);
    match contact::send_code_to(&state, &address).await {
        Ok(sent) => private_page(
            StatusCode::OK,
            page::code_page(site, &lang, &typed, &sent.sent_to, None),
        ),
        Err(error) => problem_response(error, &lang),
    }
}

/// The sign-in form's fields (for the OpenAPI document).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressForm {
    /// A phone number or an email address.
    pub address: String,
    pub lang: Option<String>,
}

/// The code form's fields (for the OpenAPI document).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeForm {
    /// The address the code was sent to, as typed.
    pub address: String,
    /// The 6 digits.
    pub code: String,
    /// `yes` to become a member when the address is new.
    pub consent: Option<String>,
    pub lang: Option<String>,
}

/// A form carrying only the page's language (consent, sign-out, erasure).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LangForm {
    pub lang: Option<String>,
}

/// A form carrying a code (confirming an erasure).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfirmForm {
    /// The 6 digits sent to the member's address.
    pub code: String,
    pub lang: Option<String>,
}

/// The code form: proves it and signs the member in (up, with consent, when new), then
/// back to the account page with the session cookie.
#[utoipa::path(
    post,
    path = "/api/members/account/verify",
    tag = "members",
    request_body(content = CodeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed in: the session cookie `carte_member`, and back to the account page"),
        (status = 403, description = "HTML: a post from another site", content_type = "text/html"),
        (status = 415, description = "HTML: not a form", content_type = "text/html"),
        (status = 422, description = "HTML: the code form again, saying what is wrong (the code, its tries left, consent for a new member)", content_type = "text/html"),
    )
)]
pub async fn verify(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let pairs = match read_form(&headers, body).await {
        Ok(pairs) => pairs,
        Err(error) => return problem_response(error, &lang_of(&state, &[])),
    };
    let lang = lang_of(&state, &pairs);
    let catalog = state.catalog();
    let site = &catalog.site;
    let typed = field(&pairs, "address").unwrap_or_default();
    let sent_to = if typed.contains('@') {
        "email"
    } else {
        "phone"
    };
    let again = |error: ApiError| {
        let problem = error.problem();
        let html = page::code_page(site, &lang, &typed, sent_to, Some(&problem));
        private_page(problem.status, html)
    };
    let address = match typed_address(&state, &typed) {
        Ok(address) => address,
        Err(error) => return again(error),
    };
    let proof = contact::Proof {
        address,
        code: field(&pairs, "code").unwrap_or_default(),
        consent: field(&pairs, "consent").is_some_and(|v| v == "yes" || v == "on"),
        name: None,
        order_ids: Vec::new(),
        last_touch: None,
        location: None,
    };
    match contact::sign_in_with_code(&state, proof).await {
        Ok(signed) => back_to_account(
            &lang,
            Some(member_cookie(
                &signed.token,
                signed.max_age,
                is_https(&headers),
            )),
        ),
        Err(error @ ApiError::Validation(_)) => again(error),
        Err(error) => problem_response(error, &lang),
    }
}

/// The member of the session, for a form that needs one: `Err` answers the request
/// (a refused post, or back to the sign-in page when signed out).
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(MemberSession, Vec<(String, String)>, String), Response> {
    let pairs = match read_form(headers, body).await {
        Ok(pairs) => pairs,
        Err(error) => return Err(problem_response(error, &lang_of(state, &[]))),
    };
    let lang = lang_of(state, &pairs);
    match auth::member_session(state, headers).await {
        Ok(Some(session)) => Ok((session, pairs, lang)),
        Ok(None) => Err(back_to_account(&lang, None)),
        Err(error) => Err(problem_response(error, &lang)),
    }
}

/// Withdraws the member's consent (recorded by the store), then back to the account.
#[utoipa::path(
    post,
    path = "/api/members/account/consent",
    tag = "members",
    request_body(content = LangForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Withdrawn (or signed out): back to the account page"),
        (status = 403, description = "HTML: a post from another site", content_type = "text/html"),
        (status = 415, description = "HTML: not a form", content_type = "text/html"),
    )
)]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (session, _, lang) = match signed_in(&state, &headers, body).await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    match state
        .store
        .withdraw_consent(&session.member.id, state.now())
        .await
    {
        Ok(()) => back_to_account(&lang, None),
        Err(error) => problem_response(error.into(), &lang),
    }
}

/// Signs out from the account page: the session ends, the cookie is cleared.
#[utoipa::path(
    post,
    path = "/api/members/account/sign-out",
    tag = "members",
    request_body(content = LangForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed out: the cookie cleared, back to the (sign-in) page"),
        (status = 403, description = "HTML: a post from another site", content_type = "text/html"),
        (status = 415, description = "HTML: not a form", content_type = "text/html"),
    )
)]
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let (session, _, lang) = match signed_in(&state, &headers, body).await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    if let Err(error) = state
        .store
        .revoke_member_session(&session.hash, state.now())
        .await
    {
        return problem_response(error.into(), &lang);
    }
    back_to_account(&lang, Some(member_cookie("", 0, is_https(&headers))))
}

/// Where a member's codes go: their email address, else their phone.
fn address_of_member(member: &Member) -> Option<Address> {
    member
        .email
        .clone()
        .map(Address::Email)
        .or_else(|| member.phone.clone().map(Address::Phone))
}

fn shown(address: &Address) -> &str {
    match address {
        Address::Phone(p) | Address::Email(p) => p,
    }
}

/// "Delete my data": sends a fresh one-time code to the member's address and asks for it.
#[utoipa::path(
    post,
    path = "/api/members/account/erase",
    tag = "members",
    request_body(content = LangForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "HTML: a code was sent to the member's address; the form to confirm with it", content_type = "text/html"),
        (status = 303, description = "Signed out: back to the sign-in page"),
        (status = 403, description = "HTML: a post from another site", content_type = "text/html"),
        (status = 415, description = "HTML: not a form", content_type = "text/html"),
        (status = 429, description = "HTML: too many codes asked from this client; see Retry-After", content_type = "text/html"),
        (status = 503, description = "HTML: no way to send to the member's address", content_type = "text/html"),
    )
)]
pub async fn erase(State(state): State<AppState>, request: Request) -> Response {
    let client = limits::client_of(&request);
    let (parts, body) = request.into_parts();
    let (session, _, lang) = match signed_in(&state, &parts.headers, body).await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    if let Err(retry_after) = state.code_requests.check(&client) {
        return problem_response(ApiError::TooManyRequests { retry_after }, &lang);
    }
    state.code_requests.fail(&client);
    let Some(address) = address_of_member(&session.member) else {
        return back_to_account(&lang, None);
    };
    match contact::send_code_for(&state, &address, &contact::erasure_key(&address)).await {
        Ok(_) => private_page(
            StatusCode::OK,
            page::erase_code_page(&lang, shown(&address), None),
        ),
        Err(error) => problem_response(error, &lang),
    }
}

/// Confirms "delete my data" with the code: erases the member's personal data (as
/// `carte members erase`), which ends every session of theirs, and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/members/account/erase/confirm",
    tag = "members",
    request_body(content = ConfirmForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "HTML: erased, signed out everywhere, the cookie cleared", content_type = "text/html"),
        (status = 303, description = "Signed out: back to the sign-in page"),
        (status = 403, description = "HTML: a post from another site", content_type = "text/html"),
        (status = 415, description = "HTML: not a form", content_type = "text/html"),
        (status = 422, description = "HTML: the confirmation form again, saying what is wrong with the code; nothing erased", content_type = "text/html"),
    )
)]
pub async fn confirm_erase(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (session, pairs, lang) = match signed_in(&state, &headers, body).await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    let Some(address) = address_of_member(&session.member) else {
        return back_to_account(&lang, None);
    };
    let code = field(&pairs, "code").unwrap_or_default();
    if let Err(error) = contact::check_code(&state, &contact::erasure_key(&address), &code).await {
        let problem = error.problem();
        let html = page::erase_code_page(&lang, shown(&address), Some(&problem));
        return private_page(problem.status, html);
    }
    let now = state.now();
    if let Err(error) = state.store.erase_member(&session.member.id, now).await {
        return problem_response(error.into(), &lang);
    }
    // The erasure already ends every session of the member (none stands for an erased
    // member); this one is signed out outright too.
    if let Err(error) = state.store.revoke_member_session(&session.hash, now).await {
        return problem_response(error.into(), &lang);
    }
    let mut response = private_page(StatusCode::OK, page::erased_page(&lang));
    response
        .headers_mut()
        .insert(header::SET_COOKIE, member_cookie("", 0, is_https(&headers)));
    response
}

/// One of the member's orders, for their own eyes: its status page (HTML). Another
/// member's order, or none, is 404.
#[utoipa::path(
    get,
    path = "/api/members/account/orders/{id}",
    tag = "members",
    params(
        ("id" = String, Path, description = "The order id"),
        ("lang" = Option<String>, Query, description = "A language of the site"),
    ),
    responses(
        (status = 200, description = "HTML: the order's status page (without online payment: that needs the order's own link)", content_type = "text/html"),
        (status = 303, description = "Signed out: to the sign-in page"),
        (status = 404, description = "HTML: no such order of this member", content_type = "text/html"),
    )
)]
pub async fn order(
    State(state): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&state, &query_pairs(query.as_deref()));
    let session = match auth::member_session(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return back_to_account(&lang, None),
        Err(error) => return problem_response(error, &lang),
    };
    let found = async {
        let Path(id) = id.map_err(|_| ApiError::NotFound)?;
        if id.len() > limits::MAX_ID {
            return Err(ApiError::NotFound);
        }
        let order = state.store.get_order(&id).await?;
        // Another member's order reads exactly like a missing one.
        if order.member_id.as_deref() != Some(session.member.id.as_str()) {
            return Err(ApiError::NotFound);
        }
        let payment = read_payment_summary_settled(&state, &order).await?;
        let order = expire_if_unpaid(&state, order, &payment).await?;
        let location = state.catalog().site.location(&order.location).cloned();
        let estimate =
            crate::estimate::for_order(state.store.as_ref(), &order, location.as_ref()).await?;
        Ok((order, payment, estimate))
    };
    match found.await {
        Ok((order, payment, estimate)) => {
            let catalog = state.catalog();
            let html = pages::status_page(
                &order,
                &catalog.site,
                &lang,
                None,
                Some(&payment),
                estimate.as_ref(),
                pages::RatingOffer::Not,
            );
            private_page(StatusCode::OK, html)
        }
        Err(error) => problem_response(error, &lang),
    }
}

/// One of the member's orders, as the storefront lists them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberOrder {
    pub id: String,
    /// Short number for the counter, e.g. `A-042`.
    pub number: String,
    pub status: OrderStatus,
    pub location: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub placed_at: Option<DateTime<Utc>>,
    /// What the order costs, minor units of `currency`.
    pub total: i64,
    pub currency: String,
    /// The coupon redeemed, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
}

/// The member's orders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberOrders {
    /// Newest first, at most [`ORDERS_SHOWN`].
    pub orders: Vec<MemberOrder>,
}

/// The signed-in member's recent orders, newest first.
#[utoipa::path(
    get,
    path = "/api/members/me/orders",
    tag = "members",
    responses(
        (status = 200, description = "The member's recent orders, newest first", body = MemberOrders),
        (status = 401, description = "No live member session", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn my_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = auth::member_session(&state, &headers)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let orders = state
        .store
        .member_orders(&session.member.id, ORDERS_SHOWN)
        .await?
        .into_iter()
        .map(|order| MemberOrder {
            placed_at: order.times.received,
            total: order.quote.total,
            currency: order.quote.currency.clone(),
            id: order.id,
            number: order.number,
            status: order.status,
            location: order.location,
            coupon: order.coupon,
        })
        .collect();
    let mut response = Json(MemberOrders { orders }).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_read_with_a_field_limit() {
        let many: String = (0..40).map(|i| format!("f{i}=x&")).collect();
        assert_eq!(pairs_of(many.as_bytes()).len(), MAX_FIELDS);
        let pairs = pairs_of(b"address=+li%40example.com+&lang=en&empty=");
        assert_eq!(field(&pairs, "address").as_deref(), Some("li@example.com"));
        assert_eq!(field(&pairs, "empty"), None);
    }
}
