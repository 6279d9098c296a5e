//! The plain HTML form path of `POST /api/orders`: ordering with JavaScript off.
//!
//! Field contract (the storefront template posts exactly this):
//! `location`, `mode` (`dine_in` | `pickup`), `table`, `slot` (RFC 3339, or local `HH:MM`),
//! `coupon`, `note`, `name`, `lang`, `idempotency_key` (a hidden random value the
//! storefront's script fills; when it is empty, see [`REPEAT_WINDOW_SECONDS`]),
//! and per dish `qty.<dish-id>` = quantity (0 or empty lines are skipped) and
//! `opt.<dish-id>.<group-id>` = choice id, repeated for multi-choice groups.
//! Unknown fields (submit buttons and the like) are ignored.
//!
//! The menu page posts quantities only: a dish with options comes back as the
//! options step ([`super::options_step`]), whose form adds `options=chosen` and
//! `back` (the menu's path, since these pages send no referrer).

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use catalog::{Cart, CartLine, ChosenOptions, Fulfilment};
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::checkout::{self, place, PlaceInput};
use crate::api::limits;
use crate::api::problem::{ApiError, FieldError};
use crate::keys;
use crate::pages;
use crate::pages::options_step;
use crate::state::AppState;

/// Most fields one form may carry.
const MAX_FIELDS: usize = 600;

/// How long the same plain form counts as one order when it carries no
/// `idempotency_key`.
///
/// With JavaScript off the menu page cannot make a per-order key: it is one static
/// file, the same for every diner and every visit, so a key written into it (per
/// build, or per page) would be shared by every order from it. What the server can
/// tell is the form's content and when it came, so such an order is keyed on the
/// hash of its body (and member) and the [`REPEAT_WINDOW_SECONDS`] window it arrived
/// in, and the previous window's key is tried first. So a double submit, a second
/// tap on a slow network or a reload that posts again less than a minute after the
/// first stays one order; the same order sent two minutes or more later — the same
/// table ordering the same dish again — is a new order (between one and two
/// minutes, it depends on where the window's boundary falls). A minute covers a
/// phone's retry and the diner's impatience while leaving a real second round
/// alone. The store frees the key of a cancelled order, so a cancelled order never
/// answers for a new one, and keys expire after a day on both stores.
pub(crate) const REPEAT_WINDOW_SECONDS: i64 = 60;

/// The idempotency key of a plain form without one, for window `window`.
fn repeat_key(body_hash: &str, window: i64) -> String {
    format!("form:{body_hash}:{window}")
}

/// The window `now` falls in (see [`REPEAT_WINDOW_SECONDS`]).
fn repeat_window(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(REPEAT_WINDOW_SECONDS)
}

/// The key of a plain form's order without an `idempotency_key`: the previous
/// window's, when the same form placed an order then (a double submit across the
/// window's boundary), else this window's.
async fn form_key(state: &AppState, body_hash: &str) -> Result<String, ApiError> {
    let window = repeat_window(state.now());
    let previous = repeat_key(body_hash, window - 1);
    if state
        .store
        .replay(&keys::sha256_hex(&previous), body_hash)
        .await?
        .is_some()
    {
        return Ok(previous);
    }
    Ok(repeat_key(body_hash, window))
}

/// The fixed fields of the order form (for the OpenAPI document). Dishes come
/// as `qty.<dish-id>` and `opt.<dish-id>.<group-id>` fields besides these.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderForm {
    pub location: String,
    /// `dine_in` or `pickup`.
    pub mode: String,
    /// For dine-in.
    pub table: Option<String>,
    /// For pickup: the slot's start, RFC 3339.
    pub slot: Option<String>,
    pub coupon: Option<String>,
    pub note: Option<String>,
    pub name: Option<String>,
    /// Language of the answer page.
    pub lang: Option<String>,
    /// A hidden random value that makes a double submit place one order.
    pub idempotency_key: Option<String>,
    /// `chosen` from the options step: an optional group left empty is meant so.
    pub options: Option<String>,
    /// The menu's path, for the answer's way back (the options step carries it).
    pub back: Option<String>,
}

/// What a form carried, read into a cart and the order's other fields.
#[derive(Debug, Clone, Default)]
struct FormOrder {
    cart: Option<Cart>,
    note: Option<String>,
    name: Option<String>,
    lang: Option<String>,
    idempotency_key: Option<String>,
    /// Every field as posted, for the options step to carry.
    fields: Vec<(String, String)>,
    /// The options step was answered: an optional group left empty is meant so.
    options_chosen: bool,
    /// The menu to go back to, as the options step carries it.
    back: Option<String>,
}

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Reads a pickup slot: RFC 3339, or a local `HH:MM` meaning the next such time
/// in the site's timezone (what a static page without JavaScript can offer).
fn read_slot(text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M").ok()?;
    let today = now.with_timezone(&tz).date_naive();
    [today, today.succ_opt()?]
        .into_iter()
        .filter_map(|day| day.and_time(time).and_local_timezone(tz).earliest())
        .map(|at| at.with_timezone(&Utc))
        .find(|at| *at > now)
}

/// The table a table's QR code named: `?table=7` in the address of the menu the form
/// was posted from (its `Referer`: the storefront's pages keep same-origin referrers
/// whole). A page without JavaScript cannot preselect it in the form itself.
fn qr_table(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(axum::http::header::REFERER)?.to_str().ok()?;
    let (_, query) = referer.split_once('?')?;
    let query = query.split('#').next().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "table")
        .and_then(|(_, v)| non_empty(&v))
}

fn read_form(
    body: &[u8],
    tz: Tz,
    now: DateTime<Utc>,
    qr_table: Option<String>,
) -> Result<FormOrder, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .take(MAX_FIELDS + 1)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.len() > MAX_FIELDS {
        return Err(ApiError::Validation(vec![FieldError::new(
            "form",
            format!("at most {MAX_FIELDS} fields"),
        )]));
    }
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| non_empty(v))
    };
    let mut errors = Vec::new();
    let mut form = FormOrder {
        note: field("note"),
        name: field("name"),
        lang: field("lang"),
        idempotency_key: field("idempotency_key"),
        options_chosen: field(super::options_step::CHOSEN_FIELD).is_some(),
        back: field("back").filter(|b| pages::same_site(b)),
        ..FormOrder::default()
    };
    let location = field("location");
    if location.is_none() {
        errors.push(FieldError::new("location", "choose a shop"));
    }
    let fulfilment = match field("mode").as_deref() {
        Some("dine_in") => match field("table").or(qr_table) {
            Some(table) => Some(Fulfilment::DineIn { table }),
            None => {
                errors.push(FieldError::new("table", "say which table you are at"));
                None
            }
        },
        Some("pickup") => match field("slot").map(|s| read_slot(&s, tz, now).ok_or(())) {
            Some(Ok(slot)) => Some(Fulfilment::Pickup { slot }),
            Some(Err(())) => {
                errors.push(FieldError::new("slot", "pick a pickup time from the list"));
                None
            }
            None => {
                errors.push(FieldError::new("slot", "pick a pickup time"));
                None
            }
        },
        Some(_) | None => {
            errors.push(FieldError::new("mode", "choose dine-in or pickup"));
            None
        }
    };
    let mut lines: Vec<CartLine> = Vec::new();
    for (key, value) in &pairs {
        let Some(dish) = key.strip_prefix("qty.") else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() || dish.is_empty() {
            continue;
        }
        match value.parse::<u32>() {
            Ok(0) => {}
            Ok(quantity) => match lines.iter_mut().find(|l| l.dish == dish) {
                Some(line) => line.quantity = line.quantity.saturating_add(quantity),
                None => lines.push(CartLine {
                    dish: dish.to_owned(),
                    quantity,
                    options: Vec::new(),
                }),
            },
            Err(_) => errors.push(FieldError::new(
                key.clone(),
                "the quantity must be a whole number",
            )),
        }
    }
    for (key, value) in &pairs {
        let Some((dish, group)) = key
            .strip_prefix("opt.")
            .and_then(|rest| rest.rsplit_once('.'))
        else {
            continue;
        };
        let (Some(line), Some(choice)) =
            (lines.iter_mut().find(|l| l.dish == dish), non_empty(value))
        else {
            continue;
        };
        match line.options.iter_mut().find(|o| o.group == group) {
            Some(chosen) => chosen.choices.push(choice),
            None => line.options.push(ChosenOptions {
                group: group.to_owned(),
                choices: vec![choice],
            }),
        }
    }
    // A set meal's form offers every choice's own options (shown for the picked one):
    // keep only those of the dishes picked.
    for line in &mut lines {
        let picked: Vec<(String, String)> = line
            .options
            .iter()
            .flat_map(|o| o.choices.iter().map(|c| (o.group.clone(), c.clone())))
            .collect();
        line.options
            .retain(|o| match catalog::menu::split_nested_key(&o.group) {
                Some((group, choice, _)) => picked.iter().any(|(g, c)| g == group && c == choice),
                None => true,
            });
    }
    if lines.is_empty() {
        errors.push(FieldError::new("lines", "add at least one dish"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    form.cart = match (location, fulfilment) {
        (Some(location), Some(fulfilment)) => Some(Cart {
            location,
            fulfilment,
            lines,
            coupon: field("coupon"),
        }),
        _ => None,
    };
    form.fields = pairs;
    Ok(form)
}

fn error_response(error: ApiError, back: Option<&str>, lang: &str) -> Response {
    let problem = error.problem();
    let page = pages::error_page(&problem, back, lang);
    (problem.status, Html(page)).into_response()
}

/// The path part of a same-site `Referer`, to link back to the menu.
fn back_link(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(axum::http::header::REFERER)?.to_str().ok()?;
    let path = match referer.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None => referer,
    };
    Some(path.to_owned())
}

/// Places an order from a form post and answers with an HTML page: the
/// confirmation, or every problem in words with a link back.
pub(crate) async fn place_form_order(
    state: &AppState,
    headers: &HeaderMap,
    client: &str,
    body: Body,
) -> Response {
    let catalog = state.catalog();
    let default_lang = catalog.site.default_language().to_owned();
    let mut back = back_link(headers);
    let bytes = match limits::read_body(body).await {
        Ok(bytes) => bytes,
        Err(error) => return error_response(error, back.as_deref(), &default_lang),
    };
    let tz = catalog.site.settings.timezone;
    let form = match read_form(&bytes, tz, state.now(), qr_table(headers)) {
        Ok(form) => form,
        Err(error) => return error_response(error, back.as_deref(), &default_lang),
    };
    back = form.back.clone().or(back);
    let lang = form.lang.clone().unwrap_or(default_lang);
    let Some(cart) = form.cart else {
        return error_response(ApiError::Validation(Vec::new()), back.as_deref(), &lang);
    };
    if !form.options_chosen {
        let lines = options_step::lines_to_choose(&catalog.site, &cart);
        if !lines.is_empty() {
            let page = options_step::page(
                &catalog.site,
                &cart,
                &lines,
                &form.fields,
                back.as_deref(),
                &lang,
            );
            return (StatusCode::OK, Html(page)).into_response();
        }
    }
    // The member is the one signed in in this browser, if any.
    let member = match crate::api::auth::member_session(state, headers).await {
        Ok(session) => session.map(|s| s.member.id),
        Err(error) => return error_response(error, back.as_deref(), &lang),
    };
    let body_hash =
        keys::sha256_hex([&bytes[..], member.as_deref().unwrap_or("").as_bytes()].concat());
    let idempotency_key = match form.idempotency_key {
        Some(key) => key,
        None => match form_key(state, &body_hash).await {
            Ok(key) => key,
            Err(error) => return error_response(error, back.as_deref(), &lang),
        },
    };
    let input = PlaceInput {
        cart,
        version: None,
        note: form.note,
        name: form.name,
        member_id: member,
        attribution: None,
        touches: Default::default(),
        idempotency_key,
        request_hash: body_hash,
        client: client.to_owned(),
    };
    if input.idempotency_key.len() > limits::MAX_IDEMPOTENCY_KEY {
        let error = ApiError::Validation(vec![FieldError::new(
            "idempotency_key",
            format!("at most {} characters", limits::MAX_IDEMPOTENCY_KEY),
        )]);
        return error_response(error, back.as_deref(), &lang);
    }
    match place(state, input).await {
        Ok(placed) => {
            let status = if placed.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            // A fresh order's ledger is empty; a retried form's may not be.
            let payment = checkout::read_payment_summary(state, &placed.order)
                .await
                .ok();
            let page = pages::confirmation_page(
                &placed.order,
                &placed.status_url(),
                &placed.token,
                payment.as_ref(),
                &catalog.site,
                &lang,
            );
            (status, Html(page)).into_response()
        }
        Err(error) => error_response(error, back.as_deref(), &lang),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_qr_codes_table_comes_from_the_menus_address() {
        let with = |referer: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                axum::http::header::REFERER,
                axum::http::HeaderValue::from_str(referer).expect("header"),
            );
            qr_table(&headers)
        };
        assert_eq!(
            with("https://shop.example/en/chunxi/?table=7").as_deref(),
            Some("7")
        );
        assert_eq!(
            with("https://shop.example/en/chunxi/?c=spring&table=A%2012#checkout").as_deref(),
            Some("A 12")
        );
        assert_eq!(with("https://shop.example/en/chunxi/?table="), None);
        assert_eq!(with("https://shop.example/en/chunxi/"), None);
        assert_eq!(qr_table(&HeaderMap::new()), None);
        // The form's own choice wins; the address only fills an empty one.
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0).unwrap();
        let body = b"location=alpha&mode=dine_in&table=3&qty.tea=1";
        let form = read_form(body, chrono_tz::Asia::Shanghai, now, Some("7".into())).unwrap();
        let table = |form: &FormOrder| match &form.cart.as_ref().unwrap().fulfilment {
            Fulfilment::DineIn { table } => table.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(table(&form), "3");
        let body = b"location=alpha&mode=dine_in&table=&qty.tea=1";
        let form = read_form(body, chrono_tz::Asia::Shanghai, now, Some("7".into())).unwrap();
        assert_eq!(table(&form), "7");
        assert!(read_form(body, chrono_tz::Asia::Shanghai, now, None).is_err());
    }

    #[test]
    fn local_slot_times_mean_the_next_such_time() {
        let tz = chrono_tz::Asia::Shanghai;
        // 10:00 in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
        let later = read_slot("12:30", tz, now).unwrap();
        assert_eq!(later, Utc.with_ymd_and_hms(2026, 3, 2, 4, 30, 0).unwrap());
        // 09:00 has passed today: tomorrow's.
        let tomorrow = read_slot("09:00", tz, now).unwrap();
        assert_eq!(tomorrow, Utc.with_ymd_and_hms(2026, 3, 3, 1, 0, 0).unwrap());
        assert_eq!(
            read_slot("2026-03-02T05:00:00Z", tz, now),
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 5, 0, 0).unwrap())
        );
        assert_eq!(read_slot("25:00", tz, now), None);
        assert_eq!(read_slot("soon", tz, now), None);
    }
}
