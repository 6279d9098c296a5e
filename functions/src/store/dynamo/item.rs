//! Attribute values in and out: small typed readers for stored items, and
//! the order item's encoding.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};

use super::error::corrupt;
use crate::store::{Attribution, Order, OrderStatus, StoreError};

/// One stored item (or a key).
pub(super) type Item = HashMap<String, AttributeValue>;

/// A string value.
pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number value.
pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Timestamps as fixed-width RFC 3339 UTC text, so text order is time order
/// (the same text the SQLite store keeps).
pub(super) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads a timestamp written by [`ts`].
pub(super) fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("timestamp `{text}`: {e}")))
}

/// A string attribute that may be absent.
pub(super) fn opt_text(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(text)) => Some(text.clone()),
        _ => None,
    }
}

/// A string attribute that must be there.
pub(super) fn text(item: &Item, name: &str) -> Result<String, StoreError> {
    opt_text(item, name).ok_or_else(|| corrupt(format!("missing string `{name}`")))
}

/// A number attribute that may be absent.
pub(super) fn opt_number<T: FromStr>(item: &Item, name: &str) -> Result<Option<T>, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(text)) => text
            .parse()
            .map(Some)
            .map_err(|_| corrupt(format!("number `{name}` = {text}"))),
        Some(_) => Err(corrupt(format!("`{name}` is not a number"))),
        None => Ok(None),
    }
}

/// A timestamp attribute that may be absent.
pub(super) fn opt_time(item: &Item, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    opt_text(item, name).as_deref().map(parse_ts).transpose()
}

/// A JSON document kept as a string attribute.
pub(super) fn json<T: serde::de::DeserializeOwned>(
    item: &Item,
    name: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(&text(item, name)?).map_err(|e| corrupt(format!("`{name}`: {e}")))
}

/// A value as a JSON string attribute.
pub(super) fn to_json(value: &impl serde::Serialize) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(value)
        .map(s)
        .map_err(|e| StoreError::Backend(format!("encoding JSON: {e}")))
}

/// Adds `name = value` when there is a value (DynamoDB has no null worth storing).
pub(super) fn put_opt(item: &mut Item, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        item.insert(name.to_owned(), s(value));
    }
}

/// Decodes an order item. `None` when it has no number yet (committed, not yet numbered).
pub(super) fn decode_order(item: &Item) -> Result<Option<Order>, StoreError> {
    let Some(number) = opt_text(item, "number") else {
        return Ok(None);
    };
    let status_text = text(item, "status")?;
    let status = OrderStatus::parse(&status_text)
        .ok_or_else(|| corrupt(format!("unknown status `{status_text}`")))?;
    let attribution = match (opt_text(item, "campaign"), opt_text(item, "channel")) {
        (Some(campaign), Some(channel)) => Some(Attribution { campaign, channel }),
        _ => None,
    };
    Ok(Some(Order {
        id: text(item, "id")?,
        number,
        location: text(item, "location")?,
        status,
        cart: json(item, "cart")?,
        quote: json(item, "quote")?,
        note: opt_text(item, "note"),
        name: opt_text(item, "name"),
        member_id: opt_text(item, "member_id"),
        attribution,
        coupon: opt_text(item, "coupon"),
        slot: opt_time(item, "slot")?,
        times: json(item, "times")?,
        history: json(item, "history")?,
        token_hash: text(item, "token_hash")?,
    }))
}
