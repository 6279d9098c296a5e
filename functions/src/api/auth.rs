//! Who is calling a staff or marketer route: an API key in `Authorization: Bearer …`
//! (API clients), or a session cookie the staff console got by signing in with a key
//! (`POST /api/staff/session`, in [`super::session`]).
//!
//! Requests authenticated by the cookie must come from the console's own origin:
//! `Sec-Fetch-Site` (or, from older browsers, `Origin`) is checked, and a state change
//! without either is refused. `SameSite=Strict` already keeps the cookie off cross-site
//! requests; this is the second lock.

use axum::http::{header, HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};

use crate::api::problem::ApiError;
use crate::keys;
use crate::state::AppState;
use crate::store::{ApiKey, Role};

/// The session cookie's name.
pub const COOKIE: &str = "carte_staff";
/// The cookie is only sent to the staff API.
pub const COOKIE_PATH: &str = "/api/staff";

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

pub(crate) fn first_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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

/// The member session cookie (see `api::proof`).
pub const MEMBER_COOKIE: &str = "carte_member";
/// How long a member session lives.
pub const MEMBER_SESSION_DAYS: i64 = 180;

/// Whether the request reached the shop over HTTPS (the CDN says so).
pub(crate) fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The member session cookie carrying `token` for `max_age` seconds (0 clears it).
pub(crate) fn member_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{MEMBER_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("carte_member=; Path=/; Max-Age=0"))
}

/// Opens a session for `member_id`: its token (for the cookie) and lifetime in seconds.
pub(crate) async fn open_member_session(
    state: &AppState,
    member_id: &str,
) -> Result<(String, i64), ApiError> {
    let token = keys::new_token();
    let now = state.now();
    state
        .store
        .create_member_session(crate::store::NewMemberSession {
            hash: keys::sha256_hex(&token),
            member_id: member_id.to_owned(),
            created_at: now,
            expires_at: now + chrono::Duration::days(MEMBER_SESSION_DAYS),
        })
        .await?;
    Ok((token, MEMBER_SESSION_DAYS * 86_400))
}

/// A member session older than this is given a new token when it is used.
pub const MEMBER_ROTATE_AFTER_HOURS: i64 = 24;

/// Rotates `session` when it is older than [`MEMBER_ROTATE_AFTER_HOURS`]: a new session
/// for its member, the old one ended, and the new cookie to set (`None`: kept as it is).
pub(crate) async fn rotate_member_session(
    state: &AppState,
    session: &crate::store::MemberSession,
    headers: &HeaderMap,
) -> Result<Option<HeaderValue>, ApiError> {
    let now = state.now();
    if now - session.created_at < chrono::Duration::hours(MEMBER_ROTATE_AFTER_HOURS) {
        return Ok(None);
    }
    let (token, max_age) = open_member_session(state, &session.member.id).await?;
    state
        .store
        .revoke_member_session(&session.hash, now)
        .await?;
    Ok(Some(member_cookie(&token, max_age, is_https(headers))))
}

/// Whether `origin` (`scheme://host[:port]`) is the shop's: the host the request was
/// sent to, or the public address `CARTE_PUBLIC_URL` names (behind the CDN the request's
/// host is the API's own, not the shop's).
fn shop_origin(headers: &HeaderMap, origin: &str) -> bool {
    if same_host(headers, origin) {
        return true;
    }
    std::env::var("CARTE_PUBLIC_URL").is_ok_and(|public| {
        let public = public.trim().trim_end_matches('/');
        !public.is_empty() && public.eq_ignore_ascii_case(origin)
    })
}

/// Refuses a plain HTML form post that a browser says came from another site: a
/// `Sec-Fetch-Site` other than `same-origin`, or an `Origin` (else a `Referer`) naming
/// another origin than the shop's ([`shop_origin`]). Without any of them the post is
/// let through: the member cookie is `SameSite=Lax`, so a cross-site form post does not
/// carry it anyway.
pub(crate) fn check_form_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(site) = first_header(headers, "sec-fetch-site") {
        return match site {
            "same-origin" => Ok(()),
            _ => Err(ApiError::CrossSite),
        };
    }
    if let Some(origin) = first_header(headers, header::ORIGIN.as_str()) {
        return if shop_origin(headers, origin) {
            Ok(())
        } else {
            Err(ApiError::CrossSite)
        };
    }
    if let Some(referer) = first_header(headers, header::REFERER.as_str()) {
        let origin = match referer.split_once("://") {
            Some((scheme, rest)) => {
                let host = rest.split(['/', '?', '#']).next().unwrap_or("");
                format!("{scheme}://{host}")
            }
            None => String::new(),
        };
        return if shop_origin(headers, &origin) {
            Ok(())
        } else {
            Err(ApiError::CrossSite)
        };
    }
    Ok(())
}

/// The member session token in the request's cookies, if any.
pub fn member_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == MEMBER_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The live member session the request's cookie names, if any: the only way an order,
/// a quote or a sign-up link knows its member.
pub(crate) async fn member_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<crate::store::MemberSession>, ApiError> {
    let Some(token) = member_token(headers) else {
        return Ok(None);
    };
    Ok(state
        .store
        .find_member_session(&keys::sha256_hex(token), state.now())
        .await?)
}

/// A `member_id` sent in a request body: refused, naming the field, because the member
/// is who proved it in this browser (the session), never what a body says.
pub(crate) fn refuse_member_id(member_id: Option<&str>) -> Result<(), ApiError> {
    match member_id {
        None => Ok(()),
        Some(_) => Err(ApiError::Validation(
            vec![crate::api::problem::FieldError::new(
            "member_id",
            "the member is the one signed in here (POST /api/members/verify), never a body field",
        )],
        )),
    }
}

/// A member's own answer: never cached, with the session cookie when one is (re)set.
pub(crate) fn private(
    mut response: axum::response::Response,
    cookie: Option<HeaderValue>,
) -> axum::response::Response {
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The shop's public origin (payment return links, the passkeys' relying party):
/// `CARTE_PUBLIC_URL` when set (behind a CDN, where the request's host is the API's), else the request's host.
pub(crate) fn public_origin(headers: &HeaderMap) -> String {
    if let Ok(url) = std::env::var("CARTE_PUBLIC_URL") {
        let url = url.trim().trim_end_matches('/');
        if !url.is_empty() {
            return url.to_owned();
        }
    }
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let host = value("x-forwarded-host")
        .or_else(|| value("host"))
        .unwrap_or_else(|| "localhost".to_owned());
    let local =
        host.starts_with("127.0.0.1") || host.starts_with("localhost") || host.starts_with("[::1]");
    let scheme = value("x-forwarded-proto")
        .unwrap_or_else(|| if local { "http" } else { "https" }.to_owned());
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

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
    fn form_posts_from_another_site_are_refused() {
        assert!(check_form_origin(&HeaderMap::new()).is_ok());
        let same = headers(&[("sec-fetch-site", "same-origin")]);
        assert!(check_form_origin(&same).is_ok());
        let cross = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(check_form_origin(&cross).is_err());
        let origin = headers(&[("origin", "https://shop.test"), ("host", "shop.test")]);
        assert!(check_form_origin(&origin).is_ok());
        let other = headers(&[("origin", "https://evil.test"), ("host", "shop.test")]);
        assert!(check_form_origin(&other).is_err());
        let opaque = headers(&[("origin", "null"), ("host", "shop.test")]);
        assert!(check_form_origin(&opaque).is_err());
        let referer = headers(&[
            ("referer", "https://shop.test/api/members/account?lang=en"),
            ("host", "shop.test"),
        ]);
        assert!(check_form_origin(&referer).is_ok());
        let elsewhere = headers(&[
            ("referer", "https://evil.test/shop.test"),
            ("host", "shop.test"),
        ]);
        assert!(check_form_origin(&elsewhere).is_err());
    }
}
