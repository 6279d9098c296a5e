//! Browser sessions of API keys (the staff console).
//!
//! A session lives in its own partition under its token's hash
//! (`SESSION#<hash>`), naming the hash of its key, so checking a session is two
//! strongly consistent `GetItem`s whatever the number of sessions: the session,
//! then its key. Because every check reads the key, revoking a key ends all its
//! sessions at once without finding them. DynamoDB's TTL removes a session
//! after it expires; until then the expiry is checked on every read.

use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::error::{build, condition_failed};
use super::item::{n, opt_text, parse_ts, s, text, ts, Item};
use super::schema::{self, PK, SK};
use super::DynamoStore;
use crate::store::{NewSession, Session, StoreError};

fn session_key(hash: &str) -> Item {
    Item::from([
        (PK.to_owned(), s(format!("SESSION#{hash}"))),
        (SK.to_owned(), s("SESSION")),
    ])
}

fn epoch_seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// Stores a session if its key is live, in one transaction with a check of the key.
pub(super) async fn create(store: &DynamoStore, session: NewSession) -> Result<(), StoreError> {
    let Some(key_hash) = store
        .get(schema::api_key_entry(&session.key_id))
        .await?
        .and_then(|entry| opt_text(&entry, "hash"))
    else {
        return Err(StoreError::NotFound);
    };
    let check = ConditionCheck::builder()
        .table_name(&store.table)
        .set_key(Some(schema::api_key(&key_hash)))
        .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#revoked_at)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#revoked_at", "revoked_at")
        .build()
        .map_err(build)?;
    let mut item = session_key(&session.hash);
    item.insert("hash".into(), s(&session.hash));
    item.insert("key_id".into(), s(&session.key_id));
    item.insert("key_hash".into(), s(&key_hash));
    item.insert("created_at".into(), s(ts(session.created_at)));
    item.insert("expires".into(), s(ts(session.expires_at)));
    item.insert(
        schema::EXPIRES_AT.into(),
        n(epoch_seconds(session.expires_at)),
    );
    let put = store.put_if_new(item)?;
    let items = vec![
        TransactWriteItem::builder().condition_check(check).build(),
        TransactWriteItem::builder().put(put).build(),
    ];
    let Some(reasons) = store.transact(items).await? else {
        return Ok(());
    };
    if reasons.first().is_some_and(condition_failed) {
        return Err(StoreError::NotFound);
    }
    if reasons.get(1).is_some_and(condition_failed) {
        return Err(StoreError::Backend(
            "a session with this token hash exists already".into(),
        ));
    }
    Err(StoreError::Unavailable(
        "CreateSession: contended, try again".into(),
    ))
}

/// The live session with this hash and its live key.
pub(super) async fn find(
    store: &DynamoStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let Some(item) = store.get(session_key(hash)).await? else {
        return Ok(None);
    };
    if opt_text(&item, "revoked_at").is_some() {
        return Ok(None);
    }
    let expires_at = parse_ts(&text(&item, "expires")?)?;
    if expires_at <= at {
        return Ok(None);
    }
    let Some(key) = store
        .get(schema::api_key(&text(&item, "key_hash")?))
        .await?
    else {
        return Ok(None);
    };
    let key = super::staff::decode_key(&key)?;
    if key.revoked_at.is_some() {
        return Ok(None);
    }
    Ok(Some(Session {
        hash: hash.to_owned(),
        key,
        created_at: parse_ts(&text(&item, "created_at")?)?,
        expires_at,
    }))
}

/// Marks a session signed out (idempotent for a known session).
pub(super) async fn revoke(
    store: &DynamoStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    super::staff::set_revoked(
        store,
        session_key(hash),
        "SET #revoked_at = if_not_exists(#revoked_at, :at)",
        "attribute_exists(#pk)",
        at,
    )
    .await
}
