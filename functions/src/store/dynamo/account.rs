//! The member's own data, as the "my account" page reads and changes it, without a
//! scan: the member's orders are the `MORDERS#<member>` partition of the keys-only
//! `gsi3` (newest first by `placed_at`), the codes issued to them the
//! `MCODES#<member>` partition, each followed by a consistent `BatchGetItem` of the
//! items; a withdrawal of consent is one conditional `UpdateItem` of the member.

use chrono::{DateTime, Utc};

use super::error::{sdk, update_refused};
use super::item::{opt_text, s, text, ts};
use super::marketing::{index_items, table_keys};
use super::orders::numbered_order;
use super::schema::{self, PK};
use super::DynamoStore;
use crate::store::{IssuedCode, Order, StoreError};

pub(super) async fn member_orders(
    store: &DynamoStore,
    member_id: &str,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let entries = store
        .index_newest(
            schema::GSI3,
            "gsi3pk",
            schema::member_orders(member_id),
            limit,
        )
        .await?;
    let mut items = store.batch_get(table_keys(&entries)).await?;
    // `BatchGetItem` answers in any order: newest first again, ties by id.
    items
        .sort_by_key(|item| std::cmp::Reverse((opt_text(item, "placed_at"), opt_text(item, "id"))));
    let mut orders = Vec::with_capacity(items.len());
    for item in items {
        orders.push(numbered_order(store, item).await?);
    }
    Ok(orders)
}

pub(super) async fn member_codes(
    store: &DynamoStore,
    member_id: &str,
) -> Result<Vec<IssuedCode>, StoreError> {
    let entries = index_items(
        store,
        schema::GSI3,
        ("gsi3pk", "gsi3sk"),
        schema::member_codes(member_id),
        None,
    )
    .await?;
    let mut codes = Vec::new();
    for item in store.batch_get(table_keys(&entries)).await? {
        codes.push(IssuedCode {
            code: text(&item, "code")?,
            coupon: text(&item, "coupon")?,
            member_id: opt_text(&item, "member_id").unwrap_or_default(),
            used_by: opt_text(&item, "used_by"),
            channel: opt_text(&item, "channel"),
        });
    }
    codes.retain(|code| code.member_id == member_id);
    codes.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(codes)
}

pub(super) async fn withdraw_consent(
    store: &DynamoStore,
    member_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(schema::member(member_id)))
        .update_expression("SET #withdrawn = if_not_exists(#withdrawn, :at)")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#withdrawn", "consent_withdrawn_at")
        .expression_attribute_values(":at", s(ts(at)))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(()),
        Err(error) if update_refused(&error) => Err(StoreError::NotFound),
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}
