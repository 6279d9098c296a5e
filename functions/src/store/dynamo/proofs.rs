//! One-time codes and member sessions (see [`crate::store::proofs`]).
//!
//! | item | key | written by |
//! |---|---|---|
//! | live code | `PROOF#<address>` / `CODE` | a Put replacing the earlier code, in one transaction with the hour's counter |
//! | codes this hour | `PROOF#<address>` / `RATE#<hour>` | `ADD sent 1` on condition `sent < per_hour` |
//! | member session | `MSESSION#<hash>` / `SESSION` | a Put on condition the member exists |
//!
//! A try is one conditional `UpdateItem`: the right code, live and with tries left,
//! is marked used (so of racing right tries one wins); a wrong one adds a try on
//! condition there are tries left. DynamoDB's TTL (`expires_at`) removes codes,
//! counters and sessions after they end; reads check the times themselves.

use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::error::{build, condition_failed, sdk, update_refused, updated_if_present};
use super::item::{n, opt_number, opt_text, parse_ts, s, text, ts, Item};
use super::schema::{self, PK, SK};
use super::DynamoStore;
use crate::store::proofs::rate_hour;
use crate::store::{CodeCheck, MemberKey, MemberSession, NewCode, NewMemberSession, StoreError};

fn key(pk: String, sk: impl Into<String>) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn code_key(address: &str) -> Item {
    key(format!("PROOF#{address}"), "CODE")
}

fn session_key(hash: &str) -> Item {
    key(format!("MSESSION#{hash}"), "SESSION")
}

pub(super) async fn issue(
    store: &DynamoStore,
    code: NewCode,
    per_hour: u32,
) -> Result<bool, StoreError> {
    let hour = rate_hour(code.created_at);
    let rate = Update::builder()
        .table_name(&store.table)
        .set_key(Some(key(
            format!("PROOF#{}", code.address),
            format!("RATE#{}", ts(hour)),
        )))
        .update_expression("ADD #sent :one SET #ttl = :ttl")
        .condition_expression("attribute_not_exists(#sent) OR #sent < :limit")
        .expression_attribute_names("#sent", "sent")
        .expression_attribute_names("#ttl", schema::EXPIRES_AT)
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":limit", n(per_hour))
        .expression_attribute_values(":ttl", n((hour + chrono::Duration::hours(2)).timestamp()))
        .build()
        .map_err(build)?;
    let mut item = code_key(&code.address);
    item.insert("code_hash".into(), s(&code.code_hash));
    item.insert("created_at".into(), s(ts(code.created_at)));
    item.insert("valid_until".into(), n(code.expires_at.timestamp_micros()));
    item.insert("tries".into(), n(0));
    item.insert(
        schema::EXPIRES_AT.into(),
        n(code.expires_at.timestamp() + 3600),
    );
    let put = Put::builder()
        .table_name(&store.table)
        .set_item(Some(item))
        .build()
        .map_err(build)?;
    let items = vec![
        TransactWriteItem::builder().update(rate).build(),
        TransactWriteItem::builder().put(put).build(),
    ];
    match store.transact(items).await? {
        None => Ok(true),
        Some(reasons) if reasons.first().is_some_and(condition_failed) => Ok(false),
        Some(_) => Err(StoreError::Unavailable(
            "sending a code: contended, try again".into(),
        )),
    }
}

pub(super) async fn redeem(
    store: &DynamoStore,
    address: &str,
    code_hash: &str,
    at: DateTime<Utc>,
    max_tries: u32,
) -> Result<CodeCheck, StoreError> {
    let live =
        "attribute_exists(#pk) AND attribute_not_exists(#used) AND #valid > :now AND #tries < :max";
    let proven = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(code_key(address)))
        .update_expression("SET #used = :at")
        .condition_expression(format!("{live} AND #hash = :hash"))
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#used", "used_at")
        .expression_attribute_names("#valid", "valid_until")
        .expression_attribute_names("#tries", "tries")
        .expression_attribute_names("#hash", "code_hash")
        .expression_attribute_values(":now", n(at.timestamp_micros()))
        .expression_attribute_values(":max", n(max_tries))
        .expression_attribute_values(":hash", s(code_hash))
        .expression_attribute_values(":at", s(ts(at)))
        .send()
        .await;
    match proven {
        Ok(_) => return Ok(CodeCheck::Proven),
        Err(error) if update_refused(&error) => {}
        Err(error) => return Err(sdk("UpdateItem", error)),
    }
    let wrong = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(code_key(address)))
        .update_expression("ADD #tries :one")
        .condition_expression(live)
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#used", "used_at")
        .expression_attribute_names("#valid", "valid_until")
        .expression_attribute_names("#tries", "tries")
        .expression_attribute_values(":now", n(at.timestamp_micros()))
        .expression_attribute_values(":max", n(max_tries))
        .expression_attribute_values(":one", n(1))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match wrong {
        Ok(output) => {
            let tries: u32 = output
                .attributes()
                .map(|item| opt_number(item, "tries"))
                .transpose()?
                .flatten()
                .unwrap_or(max_tries);
            Ok(CodeCheck::Wrong {
                tries_left: max_tries.saturating_sub(tries),
            })
        }
        Err(error) if update_refused(&error) => Ok(CodeCheck::Spent),
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}

pub(super) async fn create_session(
    store: &DynamoStore,
    session: NewMemberSession,
) -> Result<(), StoreError> {
    let mut item = session_key(&session.hash);
    item.insert("member_id".into(), s(&session.member_id));
    item.insert("created_at".into(), s(ts(session.created_at)));
    item.insert("expires".into(), s(ts(session.expires_at)));
    item.insert(schema::EXPIRES_AT.into(), n(session.expires_at.timestamp()));
    let check = store.member_exists(&session.member_id)?;
    let items = vec![
        TransactWriteItem::builder().condition_check(check).build(),
        TransactWriteItem::builder()
            .put(store.put_if_new(item)?)
            .build(),
    ];
    match store.transact(items).await? {
        None => Ok(()),
        Some(reasons) if reasons.first().is_some_and(condition_failed) => {
            Err(StoreError::UnknownMember)
        }
        Some(_) => Err(StoreError::Unavailable(
            "creating a member session: contended, try again".into(),
        )),
    }
}

pub(super) async fn find_session(
    store: &DynamoStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<MemberSession>, StoreError> {
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
    let member_id = text(&item, "member_id")?;
    // An erased member has neither phone nor email left: no session stands for them.
    let Some(member) = super::members::find(store, MemberKey::Id(member_id)).await? else {
        return Ok(None);
    };
    if member.phone.is_none() && member.email.is_none() {
        return Ok(None);
    }
    Ok(Some(MemberSession {
        hash: hash.to_owned(),
        member,
        created_at: parse_ts(&text(&item, "created_at")?)?,
        expires_at,
    }))
}

pub(super) async fn revoke_session(
    store: &DynamoStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(session_key(hash)))
        .update_expression("SET #revoked = if_not_exists(#revoked, :at)")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#revoked", "revoked_at")
        .expression_attribute_values(":at", s(ts(at)))
        .send()
        .await;
    updated_if_present(sent)
}
