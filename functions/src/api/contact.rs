//! Who a diner is, as the member routes read it: phone numbers and email addresses
//! normalized, orders proven by their tokens, and the welcome code a new member gets.
//! Shared by the sign-up (`members`) and the proof of an address (`proof`).

use catalog::{Issue, Site};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::limits;
use crate::api::problem::{ApiError, FieldError};
use crate::senders::Address;
use crate::state::AppState;
use crate::store::proofs::code_hash;
use crate::store::{
    Attribution, CodeCheck, IssuedCode, Member, MemberKey, NewCode, NewMember, Touch,
};

/// How long a code is valid.
pub const CODE_MINUTES: i64 = 10;
/// Codes one address may be sent in a clock hour.
pub const CODES_PER_HOUR: u32 = 5;

/// An order placed before signing up, proven by its token.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRef {
    pub id: String,
    pub token: String,
}

/// A single-use welcome code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WelcomeCode {
    /// The code to type at checkout or show at the counter.
    pub code: String,
    /// The campaign coupon it redeems.
    pub coupon: String,
}

/// The country calling code for national numbers, read from the site's currency.
///
/// A site has one currency and, for the restaurants Carte serves, that names
/// its country well enough; euro sites (many countries) have no default and
/// need numbers with `+`.
pub fn default_calling_code(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "CNY" => "86",
        "HKD" => "852",
        "MOP" => "853",
        "TWD" => "886",
        "JPY" => "81",
        "KRW" => "82",
        "SGD" => "65",
        "MYR" => "60",
        "THB" => "66",
        "VND" => "84",
        "PHP" => "63",
        "IDR" => "62",
        "INR" => "91",
        "USD" | "CAD" => "1",
        "GBP" => "44",
        "AUD" => "61",
        "NZD" => "64",
        "CHF" => "41",
        "SEK" => "46",
        "NOK" => "47",
        "DKK" => "45",
        "MXN" => "52",
        "BRL" => "55",
        _ => return None,
    })
}

/// Normalizes a phone number to E.164 (`+8613800138000`).
///
/// Spaces, dashes, dots and parentheses are dropped. `+` or `00` starts an
/// international number; otherwise the number is national, its one leading
/// trunk `0` is dropped, and `calling_code` is put in front. The result must
/// have 8 to 15 digits.
pub fn normalize_phone(input: &str, calling_code: Option<&str>) -> Result<String, &'static str> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    let digits = if let Some(rest) = compact.strip_prefix('+') {
        rest.to_owned()
    } else if let Some(rest) = compact.strip_prefix("00") {
        rest.to_owned()
    } else {
        let code = calling_code.ok_or("start the number with + and the country code")?;
        let national = compact.strip_prefix('0').unwrap_or(&compact);
        format!("{code}{national}")
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("use digits only, e.g. +86 138 0013 8000");
    }
    if digits.starts_with('0') || !(8..=15).contains(&digits.len()) {
        return Err("this is not a complete phone number");
    }
    Ok(format!("+{digits}"))
}

/// Lower-cases and checks an email address: one `@`, a dot in the domain, no spaces.
pub fn normalize_email(input: &str) -> Result<String, &'static str> {
    let email = input.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return Err("an email address has an @");
    };
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if ok {
        Ok(email)
    } else {
        Err("this is not an email address")
    }
}

pub(crate) fn welcome_for(site: &Site, member_id: &str) -> Option<IssuedCode> {
    let coupon = site
        .campaigns
        .iter()
        .flat_map(|c| c.coupons.iter())
        .find(|c| c.issue == Issue::OnSignUp)?;
    // Unguessable and without look-alikes (see `codes::new_code`); the primary
    // key guards uniqueness. Without randomness there is no welcome code.
    let suffix = crate::codes::new_code().ok()?;
    Some(IssuedCode {
        code: format!("{}-{suffix}", coupon.code.to_uppercase()),
        coupon: coupon.code.clone(),
        member_id: member_id.to_owned(),
        used_by: None,
        channel: None,
    })
}

/// A code was sent (or, for an address that asked too often, was not: the answer is the same
/// for members and strangers).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeSent {
    /// `phone` or `email`.
    pub sent_to: String,
    /// How long the code is valid.
    pub expires_in_seconds: i64,
}

/// The one address a request names, or the field errors saying why not.
pub(crate) fn address_of(
    state: &AppState,
    phone: Option<&str>,
    email: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<Address> {
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    let currency = state.catalog().site.settings.currency.code.clone();
    match (phone, email) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "email",
                "give a phone number or an email address, not both",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(
                "phone",
                "give a phone number or an email address",
            ));
            None
        }
        (Some(p), None) if p.chars().count() > limits::MAX_PHONE => {
            errors.push(FieldError::new(
                "phone",
                format!("at most {} characters", limits::MAX_PHONE),
            ));
            None
        }
        (Some(p), None) => crate::api::contact::normalize_phone(
            p,
            crate::api::contact::default_calling_code(&currency),
        )
        .map(Address::Phone)
        .map_err(|reason| errors.push(FieldError::new("phone", reason)))
        .ok(),
        (None, Some(e)) if e.chars().count() > limits::MAX_EMAIL => {
            errors.push(FieldError::new(
                "email",
                format!("at most {} characters", limits::MAX_EMAIL),
            ));
            None
        }
        (None, Some(e)) => crate::api::contact::normalize_email(e)
            .map(Address::Email)
            .map_err(|reason| errors.push(FieldError::new("email", reason)))
            .ok(),
    }
}

/// Six random digits.
pub(crate) fn new_code() -> Result<String, ApiError> {
    use rand::Rng;
    let mut rng = rand::rng();
    Ok(format!("{:06}", rng.random_range(0..1_000_000u32)))
}

/// Sends a one-time code to `address` (at most [`CODES_PER_HOUR`] an hour: beyond, the
/// same answer and no code), the same answer for members and strangers.
pub(crate) async fn send_code_to(
    state: &AppState,
    address: &Address,
) -> Result<CodeSent, ApiError> {
    send_code_for(state, address, &address.key()).await
}

/// What a one-time code proves is kept apart by the key it is stored under: signing
/// in uses the address itself ([`Address::key`]), confirming an erasure this key, so a
/// code sent for one cannot be spent on the other.
pub(crate) fn erasure_key(address: &Address) -> String {
    format!("erase:{}", address.key())
}

/// Sends a one-time code to `address`, stored under `key` (see [`erasure_key`]).
pub(crate) async fn send_code_for(
    state: &AppState,
    address: &Address,
    key: &str,
) -> Result<CodeSent, ApiError> {
    let address = address.clone();
    let sender = state
        .senders
        .for_address(&address)
        .map_err(ApiError::Sender)?;
    let now = state.now();
    let code = new_code()?;
    let issued = state
        .store
        .issue_code(
            NewCode {
                address: key.to_owned(),
                code_hash: code_hash(key, &code),
                created_at: now,
                expires_at: now + chrono::Duration::minutes(CODE_MINUTES),
            },
            CODES_PER_HOUR,
        )
        .await?;
    if issued {
        let catalog = state.catalog();
        let site = &catalog.site;
        let shop = site
            .settings
            .name
            .get(site.default_language(), site.default_language());
        sender
            .send(&address, &code, shop)
            .await
            .map_err(ApiError::Sender)?;
    }
    let sent = CodeSent {
        sent_to: match address {
            Address::Phone(_) => "phone".into(),
            Address::Email(_) => "email".into(),
        },
        expires_in_seconds: CODE_MINUTES * 60,
    };
    Ok(sent)
}

/// Tries `code` (as typed) against the live code stored under `key`, spending it when
/// right: a wrong, malformed or spent code is a validation error naming `code`.
pub(crate) async fn check_code(state: &AppState, key: &str, code: &str) -> Result<(), ApiError> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "code",
            "the 6 digits of the code",
        )]));
    }
    match state
        .store
        .redeem_code(key, &code_hash(key, code), state.now(), MAX_TRIES)
        .await?
    {
        CodeCheck::Proven => Ok(()),
        CodeCheck::Wrong { tries_left } => Err(ApiError::Validation(vec![FieldError::new(
            "code",
            format!("not the code sent; {tries_left} tries left"),
        )])),
        CodeCheck::Spent => Err(ApiError::Validation(vec![FieldError::new(
            "code",
            "this code is no longer valid: ask for a new one",
        )])),
    }
}

/// Wrong tries a code takes before it is spent.
pub const MAX_TRIES: u32 = 5;

/// A proof of an address, with the sign-up details used when the address is new.
#[derive(Debug, Clone)]
pub(crate) struct Proof {
    pub address: Address,
    /// The digits as typed.
    pub code: String,
    pub consent: bool,
    pub name: Option<String>,
    /// Orders of this browser to link to the member, each proven by its token.
    pub order_ids: Vec<OrderRef>,
    pub last_touch: Option<Touch>,
    pub location: Option<String>,
}

/// A proven address: the member, signed in with a new session.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub member: Member,
    /// True when the proof made a new member.
    pub created: bool,
    pub welcome: Option<IssuedCode>,
    /// Ids of the orders now linked to the member.
    pub linked: Vec<String>,
    /// The new session's token, for the cookie, and its lifetime in seconds.
    pub token: String,
    pub max_age: i64,
}

/// Proves a code and signs the member in, signing them up (with consent) when the
/// address is new: the one path of the JSON proof and the account page's form.
pub(crate) async fn sign_in_with_code(
    state: &AppState,
    proof: Proof,
) -> Result<SignedIn, ApiError> {
    let key = match &proof.address {
        Address::Phone(p) => MemberKey::Phone(p.clone()),
        Address::Email(e) => MemberKey::Email(e.clone()),
    };
    // A new member needs consent: said before the code is spent, so it can be given.
    let known = state.store.find_member(key).await?;
    if known.is_none() && !proof.consent {
        return Err(ApiError::Validation(vec![FieldError::new(
            "consent",
            "consent is needed to become a member",
        )]));
    }
    check_code(state, &proof.address.key(), &proof.code).await?;
    let now = state.now();
    // Orders to link, each proven by its token.
    let mut linked = Vec::new();
    for order in &proof.order_ids {
        let owned = order.id.len() <= limits::MAX_ID
            && order.token.len() <= 128
            && match state.store.get_order(&order.id).await {
                Ok(stored) => crate::keys::token_matches(&order.token, &stored.token_hash),
                Err(crate::store::StoreError::NotFound) => false,
                Err(other) => return Err(other.into()),
            };
        if owned {
            linked.push(order.id.clone());
        }
    }
    let catalog = state.catalog();
    let site = &catalog.site;
    let (member, created, welcome) = match known {
        Some(member) => (member, false, None),
        None => {
            let id = crate::keys::new_id("mem");
            let (phone, email) = match &proof.address {
                Address::Phone(p) => (Some(p.clone()), None),
                Address::Email(e) => (None, Some(e.clone())),
            };
            let signed = state
                .store
                .sign_up(NewMember {
                    id: id.clone(),
                    phone,
                    email,
                    name: proof.name.clone().filter(|n| !n.trim().is_empty()),
                    consent_at: now,
                    welcome: welcome_for(site, &id),
                    attribution: crate::api::checkout::known_touch(proof.last_touch.clone(), site)
                        .map(|t| Attribution {
                            campaign: t.campaign,
                            channel: t.channel,
                        }),
                    location: proof
                        .location
                        .clone()
                        .filter(|l| site.location(l).is_some()),
                })
                .await?;
            (signed.member, signed.created, signed.welcome)
        }
    };
    for order in &linked {
        state.store.link_order(order, &member.id).await?;
    }
    let (token, max_age) = crate::api::auth::open_member_session(state, &member.id).await?;
    Ok(SignedIn {
        member,
        created,
        welcome,
        linked,
        token,
        max_age,
    })
}

/// The signed-in member.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub consent_at: DateTime<Utc>,
    /// When the member withdrew their consent (the account page), if they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub consent_withdrawn_at: Option<DateTime<Utc>>,
}

/// What a member sees of themselves.
pub fn member_view(member: crate::store::Member) -> MemberView {
    MemberView {
        id: member.id,
        phone: member.phone,
        email: member.email,
        name: member.name,
        consent_at: member.consent_at,
        consent_withdrawn_at: member.consent_withdrawn_at,
    }
}
