//! Passkeys and WebAuthn ceremonies (see [`crate::store::passkeys`]).
//!
//! | item | key | written by |
//! |---|---|---|
//! | passkey | `PASSKEY#<credential id>` / `PASSKEY` | a Put on condition the id is new and the member live, in one transaction with the next row |
//! | a member's passkey | `MEMBER#<id>#PASSKEYS` / `<credential id>` | the same transaction; a member's passkeys are one `Query` |
//! | ceremony | `CEREMONY#<id>` / `CEREMONY` | a Put; taken by one `DeleteItem` returning the old item, so of racing takes one gets it |
//!
//! DynamoDB's TTL (`expires_at`) removes ceremonies nobody finished; a take checks
//! the time itself.

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::error::{build, condition_failed, sdk, updated_if_present};
use super::item::{n, opt_text, opt_time, parse_ts, s, text, ts, Item};
use super::schema::{self, PK, SK};
use super::DynamoStore;
use crate::store::{Ceremony, StoreError, StoredPasskey};

fn key(pk: String, sk: impl Into<String>) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn passkey_key(credential_id: &str) -> Item {
    key(format!("PASSKEY#{credential_id}"), "PASSKEY")
}

fn member_passkey_key(member_id: &str, credential_id: &str) -> Item {
    key(format!("MEMBER#{member_id}#PASSKEYS"), credential_id)
}

fn ceremony_key(id: &str) -> Item {
    key(format!("CEREMONY#{id}"), "CEREMONY")
}

fn decode(item: &Item) -> Result<StoredPasskey, StoreError> {
    Ok(StoredPasskey {
        credential_id: text(item, "credential_id")?,
        member_id: text(item, "member_id")?,
        passkey: text(item, "passkey")?,
        created_at: parse_ts(&text(item, "created_at")?)?,
        last_used_at: opt_time(item, "last_used_at")?,
    })
}

pub(super) async fn save_ceremony(
    store: &DynamoStore,
    ceremony: Ceremony,
) -> Result<(), StoreError> {
    let mut item = ceremony_key(&ceremony.id);
    if let Some(member_id) = &ceremony.member_id {
        item.insert("member_id".into(), s(member_id));
    }
    item.insert("state".into(), s(ceremony.state));
    item.insert("expires".into(), s(ts(ceremony.expires_at)));
    item.insert(
        schema::EXPIRES_AT.into(),
        n(ceremony.expires_at.timestamp() + 3600),
    );
    store
        .client
        .put_item()
        .table_name(&store.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .send()
        .await
        .map_err(|e| sdk("PutItem", e))?;
    Ok(())
}

pub(super) async fn take_ceremony(
    store: &DynamoStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<Ceremony>, StoreError> {
    let output = store
        .client
        .delete_item()
        .table_name(&store.table)
        .set_key(Some(ceremony_key(id)))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .map_err(|e| sdk("DeleteItem", e))?;
    let Some(item) = output.attributes() else {
        return Ok(None);
    };
    let expires_at = parse_ts(&text(item, "expires")?)?;
    if expires_at <= at {
        return Ok(None);
    }
    Ok(Some(Ceremony {
        id: id.to_owned(),
        member_id: opt_text(item, "member_id"),
        state: text(item, "state")?,
        expires_at,
    }))
}

pub(super) async fn add(store: &DynamoStore, passkey: StoredPasskey) -> Result<bool, StoreError> {
    let live = ConditionCheck::builder()
        .table_name(&store.table)
        .set_key(Some(schema::member(&passkey.member_id)))
        .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#erased)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#erased", "erased_at")
        .build()
        .map_err(build)?;
    let mut item = passkey_key(&passkey.credential_id);
    item.insert("credential_id".into(), s(&passkey.credential_id));
    item.insert("member_id".into(), s(&passkey.member_id));
    item.insert("passkey".into(), s(&passkey.passkey));
    item.insert("created_at".into(), s(ts(passkey.created_at)));
    let mut pointer = member_passkey_key(&passkey.member_id, &passkey.credential_id);
    pointer.insert("created_at".into(), s(ts(passkey.created_at)));
    let items = vec![
        TransactWriteItem::builder().condition_check(live).build(),
        TransactWriteItem::builder()
            .put(store.put_if_new(item)?)
            .build(),
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&store.table)
                    .set_item(Some(pointer))
                    .build()
                    .map_err(build)?,
            )
            .build(),
    ];
    match store.transact(items).await? {
        None => Ok(true),
        Some(reasons) if reasons.first().is_some_and(condition_failed) => {
            Err(StoreError::UnknownMember)
        }
        Some(reasons) if reasons.get(1).is_some_and(condition_failed) => Ok(false),
        Some(_) => Err(StoreError::Unavailable(
            "adding a passkey: contended, try again".into(),
        )),
    }
}

pub(super) async fn find(
    store: &DynamoStore,
    credential_id: &str,
) -> Result<Option<StoredPasskey>, StoreError> {
    let Some(item) = store.get(passkey_key(credential_id)).await? else {
        return Ok(None);
    };
    let passkey = decode(&item)?;
    // Erasure removes a member's passkeys after the member; until then, none stands.
    match store.get(schema::member(&passkey.member_id)).await? {
        Some(member) if opt_text(&member, "erased_at").is_none() => Ok(Some(passkey)),
        _ => Ok(None),
    }
}

pub(super) async fn of_member(
    store: &DynamoStore,
    member_id: &str,
) -> Result<Vec<StoredPasskey>, StoreError> {
    let pointers = store
        .partition(&format!("MEMBER#{member_id}#PASSKEYS"))
        .await?;
    let mut found = Vec::with_capacity(pointers.len());
    for pointer in pointers {
        let credential_id = text(&pointer, SK)?;
        if let Some(item) = store.get(passkey_key(&credential_id)).await? {
            found.push(decode(&item)?);
        }
    }
    found.sort_by(|a, b| (a.created_at, &a.credential_id).cmp(&(b.created_at, &b.credential_id)));
    Ok(found)
}

pub(super) async fn touch(
    store: &DynamoStore,
    credential_id: &str,
    passkey: String,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(passkey_key(credential_id)))
        .update_expression("SET #passkey = :passkey, #used = :at")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#passkey", "passkey")
        .expression_attribute_names("#used", "last_used_at")
        .expression_attribute_values(":passkey", s(passkey))
        .expression_attribute_values(":at", s(ts(at)))
        .send()
        .await;
    updated_if_present(sent)
}

pub(super) async fn remove(
    store: &DynamoStore,
    member_id: &str,
    credential_id: &str,
) -> Result<bool, StoreError> {
    let owned = Delete::builder()
        .table_name(&store.table)
        .set_key(Some(passkey_key(credential_id)))
        .condition_expression("#member = :member")
        .expression_attribute_names("#member", "member_id")
        .expression_attribute_values(":member", s(member_id))
        .build()
        .map_err(build)?;
    let pointer = Delete::builder()
        .table_name(&store.table)
        .set_key(Some(member_passkey_key(member_id, credential_id)))
        .build()
        .map_err(build)?;
    let items = vec![
        TransactWriteItem::builder().delete(owned).build(),
        TransactWriteItem::builder().delete(pointer).build(),
    ];
    match store.transact(items).await? {
        None => Ok(true),
        Some(reasons) if reasons.first().is_some_and(condition_failed) => Ok(false),
        Some(_) => Err(StoreError::Unavailable(
            "removing a passkey: contended, try again".into(),
        )),
    }
}

/// Removes every passkey of a member (erasure).
pub(super) async fn remove_all(store: &DynamoStore, member_id: &str) -> Result<(), StoreError> {
    for pointer in store
        .partition(&format!("MEMBER#{member_id}#PASSKEYS"))
        .await?
    {
        let credential_id = text(&pointer, SK)?;
        remove(store, member_id, &credential_id).await?;
    }
    Ok(())
}
