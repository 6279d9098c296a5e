//! Web Push subscriptions (see [`crate::store::push`]).
//!
//! | item | key | written by |
//! |---|---|---|
//! | subscription | `ORDER#<id>#PUSH` / `SUB#<sha-256 of the endpoint>` | a Put on condition it is new, in one transaction with the next row and a check that the order exists |
//! | count | `ORDER#<id>#PUSH` / `COUNT` | `ADD n 1` on condition `n < MAX_PER_ORDER`: the cap holds under concurrent adds |
//!
//! Both carry DynamoDB's TTL attribute ([`KEEP`] after the add).

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use sha2::{Digest, Sha256};

use super::error::{build, condition_failed, retry_contended, sdk, update_refused};
use super::item::{n, parse_ts, s, text, ts, Item};
use super::schema::{EXPIRES_AT, PK, SK};
use super::DynamoStore;
use crate::store::push::{KEEP, MAX_PER_ORDER};
use crate::store::{PushSubscription, StoreError};

const COUNT: &str = "COUNT";

fn partition(order_id: &str) -> String {
    format!("ORDER#{order_id}#PUSH")
}

fn key(order_id: &str, sk: impl Into<String>) -> Item {
    Item::from([
        (PK.to_owned(), s(partition(order_id))),
        (SK.to_owned(), s(sk)),
    ])
}

fn sub_key(order_id: &str, endpoint: &str) -> Item {
    key(
        order_id,
        format!("SUB#{}", hex::encode(Sha256::digest(endpoint))),
    )
}

pub(super) async fn add(store: &DynamoStore, sub: PushSubscription) -> Result<bool, StoreError> {
    let expires = (sub.created_at + KEEP).timestamp();
    let mut item = sub_key(&sub.order_id, &sub.endpoint);
    item.insert("order_id".into(), s(&sub.order_id));
    item.insert("endpoint".into(), s(&sub.endpoint));
    item.insert("p256dh".into(), s(&sub.p256dh));
    item.insert("auth".into(), s(&sub.auth));
    item.insert("lang".into(), s(&sub.lang));
    item.insert("created_at".into(), s(ts(sub.created_at)));
    item.insert(EXPIRES_AT.into(), n(expires));
    for attempt in 1.. {
        let order = store.order_exists(&sub.order_id)?;
        let count = Update::builder()
            .table_name(&store.table)
            .set_key(Some(key(&sub.order_id, COUNT)))
            .update_expression("ADD #n :one SET #exp = :exp")
            .condition_expression("attribute_not_exists(#n) OR #n < :max")
            .expression_attribute_names("#n", "n")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(MAX_PER_ORDER))
            .expression_attribute_values(":exp", n(expires))
            .build()
            .map_err(build)?;
        let items = vec![
            TransactWriteItem::builder().condition_check(order).build(),
            TransactWriteItem::builder()
                .put(store.put_if_new(item.clone())?)
                .build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        let Some(reasons) = store.transact(items).await? else {
            return Ok(true);
        };
        if reasons.first().is_some_and(condition_failed) {
            return Err(StoreError::NotFound);
        }
        if reasons.get(1).is_some_and(condition_failed) {
            // The same browser again: its keys may have changed.
            return refresh(store, &sub).await;
        }
        if reasons.get(2).is_some_and(condition_failed) {
            return Ok(false);
        }
        retry_contended(&reasons, attempt, "adding a push subscription").await?;
    }
    unreachable!("the loop returns or fails")
}

/// Replaces an existing subscription's keys and language (it keeps its age).
async fn refresh(store: &DynamoStore, sub: &PushSubscription) -> Result<bool, StoreError> {
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(sub_key(&sub.order_id, &sub.endpoint)))
        .update_expression("SET #p256dh = :p256dh, #auth = :auth, #lang = :lang")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#p256dh", "p256dh")
        .expression_attribute_names("#auth", "auth")
        .expression_attribute_names("#lang", "lang")
        .expression_attribute_values(":p256dh", s(&sub.p256dh))
        .expression_attribute_values(":auth", s(&sub.auth))
        .expression_attribute_values(":lang", s(&sub.lang))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(true),
        // Removed meanwhile (the order ended): nothing is kept for it now.
        Err(error) if update_refused(&error) => Ok(false),
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}

pub(super) async fn of_order(
    store: &DynamoStore,
    order_id: &str,
) -> Result<Vec<PushSubscription>, StoreError> {
    let mut found = Vec::new();
    for item in store.partition(&partition(order_id)).await? {
        if text(&item, SK)? == COUNT {
            continue;
        }
        found.push(PushSubscription {
            order_id: text(&item, "order_id")?,
            endpoint: text(&item, "endpoint")?,
            p256dh: text(&item, "p256dh")?,
            auth: text(&item, "auth")?,
            lang: text(&item, "lang")?,
            created_at: parse_ts(&text(&item, "created_at")?)?,
        });
    }
    found.sort_by(|a, b| (a.created_at, &a.endpoint).cmp(&(b.created_at, &b.endpoint)));
    Ok(found)
}

pub(super) async fn remove(
    store: &DynamoStore,
    order_id: &str,
    endpoint: Option<&str>,
) -> Result<(), StoreError> {
    let Some(endpoint) = endpoint else {
        for item in store.partition(&partition(order_id)).await? {
            let key = key(order_id, text(&item, SK)?);
            store
                .client
                .delete_item()
                .table_name(&store.table)
                .set_key(Some(key))
                .send()
                .await
                .map_err(|e| sdk("DeleteItem", e))?;
        }
        return Ok(());
    };
    for attempt in 1.. {
        let gone = Delete::builder()
            .table_name(&store.table)
            .set_key(Some(sub_key(order_id, endpoint)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(build)?;
        let count = Update::builder()
            .table_name(&store.table)
            .set_key(Some(key(order_id, COUNT)))
            .update_expression("ADD #n :less")
            .condition_expression("#n > :zero")
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":less", n(-1))
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(build)?;
        let items = vec![
            TransactWriteItem::builder().delete(gone).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        let Some(reasons) = store.transact(items).await? else {
            return Ok(());
        };
        if reasons.iter().any(condition_failed) {
            // Removed already (or never kept).
            return Ok(());
        }
        retry_contended(&reasons, attempt, "removing a push subscription").await?;
    }
    unreachable!("the loop returns or fails")
}
