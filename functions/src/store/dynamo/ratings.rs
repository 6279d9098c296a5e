//! Ratings (see [`crate::store::ratings`]).
//!
//! | item | key | written by |
//! |---|---|---|
//! | rating | `ORDER#<id>` / `RATING` | a Put on condition it is new, in one transaction with a check that the order exists; listed by location and time on `gsi1` (`RATED#<location>`, `<at>#<order id>`) |

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::{build, condition_failed, retry_contended, updated_if_present};
use super::item::{n, opt_text, parse_ts, s, text, ts, Item};
use super::marketing;
use super::schema::{self, PK, SK};
use super::DynamoStore;
use crate::store::{DishRating, Rating, ReportRange, StoreError};

fn key(order_id: &str) -> Item {
    Item::from([
        (PK.to_owned(), s(schema::order_partition(order_id))),
        (SK.to_owned(), s("RATING")),
    ])
}

fn rated_at(location: &str) -> String {
    format!("RATED#{location}")
}

fn decode(item: &Item) -> Result<Rating, StoreError> {
    let dishes: Vec<DishRating> =
        serde_json::from_str(&text(item, "dishes")?).map_err(super::error::corrupt)?;
    Ok(Rating {
        order_id: text(item, "order_id")?,
        location: text(item, "location")?,
        campaign: opt_text(item, "campaign"),
        stars: text(item, "stars")?
            .parse()
            .map_err(|e| super::error::corrupt(format!("stars: {e}")))?,
        note: opt_text(item, "note"),
        dishes,
        at: parse_ts(&text(item, "at")?)?,
    })
}

pub(super) async fn rate(store: &DynamoStore, rating: Rating) -> Result<bool, StoreError> {
    let mut item = key(&rating.order_id);
    item.insert("order_id".into(), s(&rating.order_id));
    item.insert("location".into(), s(&rating.location));
    if let Some(campaign) = &rating.campaign {
        item.insert("campaign".into(), s(campaign));
    }
    item.insert("stars".into(), s(rating.stars.to_string()));
    item.insert("stars_n".into(), n(rating.stars));
    if let Some(note) = &rating.note {
        item.insert("note".into(), s(note));
    }
    item.insert(
        "dishes".into(),
        s(serde_json::to_string(&rating.dishes).map_err(build)?),
    );
    item.insert("at".into(), s(ts(rating.at)));
    item.insert("gsi1pk".into(), s(rated_at(&rating.location)));
    item.insert(
        "gsi1sk".into(),
        s(format!("{}#{}", ts(rating.at), rating.order_id)),
    );
    for attempt in 1.. {
        let order = store.order_exists(&rating.order_id)?;
        let items = vec![
            TransactWriteItem::builder().condition_check(order).build(),
            TransactWriteItem::builder()
                .put(store.put_if_new(item.clone())?)
                .build(),
        ];
        let Some(reasons) = store.transact(items).await? else {
            return Ok(true);
        };
        if reasons.first().is_some_and(condition_failed) {
            return Err(StoreError::NotFound);
        }
        if reasons.get(1).is_some_and(condition_failed) {
            return Ok(false);
        }
        retry_contended(&reasons, attempt, "rating an order").await?;
    }
    unreachable!("the loop returns or fails")
}

/// Removes the diner's note from the rating of `order_id`, if it was rated (the stars
/// stay: they are figures, not personal data).
pub(super) async fn erase_note(store: &DynamoStore, order_id: &str) -> Result<(), StoreError> {
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(key(order_id)))
        .update_expression("REMOVE #note")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#note", "note")
        .send()
        .await;
    updated_if_present(sent)
}

pub(super) async fn of_order(
    store: &DynamoStore,
    order_id: &str,
) -> Result<Option<Rating>, StoreError> {
    store
        .get(key(order_id))
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}

pub(super) async fn in_range(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<Rating>, StoreError> {
    let places = match &range.location {
        Some(location) => BTreeSet::from([location.clone()]),
        None => marketing::locations(store).await?,
    };
    let (start, end) = marketing::instants(range);
    let mut found = Vec::new();
    for location in places {
        for item in marketing::index_items(
            store,
            schema::GSI1,
            ("gsi1pk", "gsi1sk"),
            rated_at(&location),
            Some((start.clone(), end.clone())),
        )
        .await?
        {
            let rating = decode(&item)?;
            if rating.at >= range.start && rating.at < range.end {
                found.push(rating);
            }
        }
    }
    found.sort_by(|a, b| (a.at, &a.order_id).cmp(&(b.at, &b.order_id)));
    Ok(found)
}
