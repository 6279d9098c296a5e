//! Sold-out switches and API keys.
//!
//! A key lives in its own partition under its hash (`KEY#<hash>`), so
//! checking a key and recording its use is one conditional `UpdateItem`
//! whatever the number of keys; a small directory partition (`KEYS`) lists
//! the keys by id for `carte keys list` and revocation.

use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem};
use catalog::SoldOut;
use chrono::{DateTime, Utc};

use super::error::{condition_failed, corrupt, sdk, update_refused};
use super::item::{opt_text, opt_time, parse_ts, s, text, ts, Item};
use super::schema::{self, PK};
use super::DynamoStore;
use crate::store::{ApiKey, Role, SoldOutItem, StoreError};

fn sold_out_sort(item: &SoldOutItem) -> String {
    match item {
        SoldOutItem::Dish { dish } => format!("DISH#{dish}"),
        SoldOutItem::Choice {
            dish,
            group,
            choice,
        } => format!("CHOICE#{}", SoldOut::choice_key(dish, group, choice)),
    }
}

/// Every switch, from the one `SOLDOUT` partition (a handful of items).
pub(super) async fn sold_out(store: &DynamoStore) -> Result<SoldOut, StoreError> {
    let mut sold_out = SoldOut::default();
    for item in store.partition(schema::SOLD_OUT_PK).await? {
        let key = text(&item, "key")?;
        match text(&item, "kind")?.as_str() {
            "dish" => sold_out.dishes.insert(key),
            _ => sold_out.choices.insert(key),
        };
    }
    Ok(sold_out)
}

/// Sets (an idempotent put) or clears (a delete) one switch.
pub(super) async fn set_sold_out(
    store: &DynamoStore,
    item: SoldOutItem,
    sold_out: bool,
) -> Result<(), StoreError> {
    let key = schema::sold_out(sold_out_sort(&item));
    if !sold_out {
        store
            .client
            .delete_item()
            .table_name(&store.table)
            .set_key(Some(key))
            .send()
            .await
            .map_err(|e| sdk("DeleteItem", e))?;
        return Ok(());
    }
    let (kind, value) = match &item {
        SoldOutItem::Dish { dish } => ("dish", dish.clone()),
        SoldOutItem::Choice {
            dish,
            group,
            choice,
        } => ("choice", SoldOut::choice_key(dish, group, choice)),
    };
    let mut stored = key;
    stored.insert("kind".into(), s(kind));
    stored.insert("key".into(), s(value));
    store
        .client
        .put_item()
        .table_name(&store.table)
        .set_item(Some(stored))
        .send()
        .await
        .map_err(|e| sdk("PutItem", e))?;
    Ok(())
}

/// An API key from its item.
pub(super) fn decode_key(item: &Item) -> Result<ApiKey, StoreError> {
    let role = text(item, "role")?;
    Ok(ApiKey {
        id: text(item, "id")?,
        hash: text(item, "hash")?,
        role: Role::parse(&role).ok_or_else(|| corrupt(format!("unknown role `{role}`")))?,
        label: text(item, "label")?,
        created_at: parse_ts(&text(item, "created_at")?)?,
        last_used: opt_time(item, "last_used")?,
        revoked_at: opt_time(item, "revoked_at")?,
    })
}

/// Stores a key and its directory entry together.
pub(super) async fn create_key(store: &DynamoStore, key: ApiKey) -> Result<(), StoreError> {
    let mut item = schema::api_key(&key.hash);
    item.insert("id".into(), s(&key.id));
    item.insert("hash".into(), s(&key.hash));
    item.insert("role".into(), s(key.role.as_str()));
    item.insert("label".into(), s(&key.label));
    item.insert("created_at".into(), s(ts(key.created_at)));
    let mut entry = schema::api_key_entry(&key.id);
    entry.insert("hash".into(), s(&key.hash));
    let mut items = Vec::new();
    for item in [item, entry] {
        let put = store.put_if_new(item)?;
        items.push(TransactWriteItem::builder().put(put).build());
    }
    let Some(reasons) = store.transact(items).await? else {
        return Ok(());
    };
    if reasons.iter().any(condition_failed) {
        return Err(StoreError::Backend(
            "an API key with this id or hash exists already".into(),
        ));
    }
    Err(StoreError::Unavailable(
        "CreateKey: contended, try again".into(),
    ))
}

/// The live key with this hash, recording its use in the same write.
pub(super) async fn find_key(
    store: &DynamoStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<ApiKey>, StoreError> {
    let updated = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(schema::api_key(hash)))
        .update_expression("SET #last_used = :at")
        .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#revoked_at)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#last_used", "last_used")
        .expression_attribute_names("#revoked_at", "revoked_at")
        .expression_attribute_values(":at", s(ts(at)))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match updated {
        Ok(output) => output
            .attributes()
            .map(decode_key)
            .transpose()?
            .map(Some)
            .ok_or_else(|| corrupt("UpdateItem returned no key")),
        // Unknown or revoked.
        Err(error) if update_refused(&error) => Ok(None),
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}

/// Every key, revoked ones included, oldest first.
pub(super) async fn list_keys(store: &DynamoStore) -> Result<Vec<ApiKey>, StoreError> {
    let entries = store.partition(schema::KEY_DIRECTORY_PK).await?;
    let keys = entries
        .iter()
        .map(|entry| text(entry, "hash").map(|hash| schema::api_key(&hash)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut listed = store
        .batch_get(keys)
        .await?
        .iter()
        .map(decode_key)
        .collect::<Result<Vec<_>, _>>()?;
    listed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(listed)
}

/// Revokes a key by id: the directory names its hash.
pub(super) async fn revoke_key(
    store: &DynamoStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(hash) = store
        .get(schema::api_key_entry(id))
        .await?
        .and_then(|entry| opt_text(&entry, "hash"))
    else {
        return Err(StoreError::NotFound);
    };
    set_revoked(
        store,
        schema::api_key(&hash),
        "SET #revoked_at = :at",
        "attribute_exists(#pk) AND attribute_not_exists(#revoked_at)",
        at,
    )
    .await
}

/// Sets `revoked_at` (`:at`) on the item at `key` by `update` under
/// `condition`; `NotFound` when the condition does not hold.
pub(super) async fn set_revoked(
    store: &DynamoStore,
    key: Item,
    update: &str,
    condition: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let revoked = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(key))
        .update_expression(update)
        .condition_expression(condition)
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#revoked_at", "revoked_at")
        .expression_attribute_values(":at", s(ts(at)))
        .send()
        .await;
    match revoked {
        Ok(_) => Ok(()),
        Err(error) if update_refused(&error) => Err(StoreError::NotFound),
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}
