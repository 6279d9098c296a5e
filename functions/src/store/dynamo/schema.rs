//! The table's layout: key attributes, index names, the key of every kind of
//! item, and the table's creation. `docs/dynamodb.md` explains the choices.
//!
//! | item                    | pk                               | sk              |
//! |-------------------------|----------------------------------|-----------------|
//! | order                   | `ORDER#<id>`                     | `ORDER`         |
//! | redemption of an order  | `ORDER#<id>`                     | `REDEMPTION`    |
//! | payment ledger of an order | `ORDER#<id>`                  | `LEDGER`        |
//! | payment ledger entry    | `ORDER#<id>`                     | `PAY#<seq, 6 digits>` |
//! | payment event key       | `PAYKEY#<sha256 of key>`         | `PAYKEY`        |
//! | idempotency key         | `IDEM#<sha256 of key>`           | `IDEM`          |
//! | order-number counter    | `LOC#<location>`                 | `NUMBER#<day>`  |
//! | pickup-slot counter     | `LOC#<location>`                 | `SLOT#<start>`  |
//! | coupon budget shard     | `COUPON#<code>#<shard>`          | `COUNT`         |
//! | member's coupon counter | `COUPON#<code>#MEMBER#<member>`  | `COUNT`         |
//! | member's order counter  | `MEMBER#<id>#ORDERS`             | `COUNT`         |
//! | member                  | `MEMBER#<id>`                    | `MEMBER`        |
//! | phone / email claim     | `MEMBER#PHONE#<e164>` / `MEMBER#EMAIL#<email>` | `MEMBER` |
//! | issued single-use code  | `CODE#<CODE IN UPPER CASE>`      | `CODE`          |
//! | sold-out switch         | `SOLDOUT`                        | `DISH#…` / `CHOICE#…` |
//! | API key                 | `KEY#<sha256 of key>`            | `KEY`           |
//! | API key directory entry | `KEYS`                           | `KEY#<id>`      |
//!
//! A member's orders are also on `gsi3` under `MORDERS#<member>` and a welcome code
//! under `MCODES#<member>`: what the account page reads without a scan.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use super::error::{build, sdk};
use super::item::{s, ts, Item};
use crate::store::StoreError;
use chrono::{DateTime, NaiveDate, Utc};

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";
/// The TTL attribute (epoch seconds).
pub const EXPIRES_AT: &str = "expires_at";

/// Orders by location, newest first; redemptions by coupon (per shard).
pub const GSI1: &str = "gsi1";
/// Orders by location and status, newest first; redemptions by campaign (per shard).
pub const GSI2: &str = "gsi2";
/// Sparse, keys only: the coupon counters, for reports.
pub const GSI3: &str = "gsi3";

/// The partition of [`GSI3`] that lists every coupon budget shard.
pub const COUPON_DIRECTORY: &str = "COUPONS";

/// `(partition, sort)` attribute names of each index.
pub const INDEX_KEYS: [(&str, &str, &str); 3] = [
    (GSI1, "gsi1pk", "gsi1sk"),
    (GSI2, "gsi2pk", "gsi2sk"),
    (GSI3, "gsi3pk", "gsi3sk"),
];

fn key(pk: String, sk: impl Into<String>) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

pub(super) fn order(id: &str) -> Item {
    key(format!("ORDER#{id}"), "ORDER")
}

pub(super) fn redemption(order_id: &str) -> Item {
    key(format!("ORDER#{order_id}"), "REDEMPTION")
}

/// A cancelled order's redemption, given back to its coupon's budget.
pub(super) fn returned_redemption(order_id: &str) -> Item {
    key(format!("ORDER#{order_id}"), "REDEMPTION_RETURNED")
}

/// The partition of an order and everything kept under it (its redemption, its
/// payment ledger).
pub(super) fn order_partition(id: &str) -> String {
    format!("ORDER#{id}")
}

/// The running totals of an order's payment ledger and its length.
pub(super) fn payment_ledger(order_id: &str) -> Item {
    key(order_partition(order_id), LEDGER_SK)
}

/// `sk` of an order's payment ledger item.
pub(super) const LEDGER_SK: &str = "LEDGER";

/// `sk` prefix of an order's payment ledger entries.
pub(super) const PAYMENT_PREFIX: &str = "PAY#";

/// Entry `seq` (0-based) of an order's payment ledger; the sort key keeps append order.
pub(super) fn payment_entry(order_id: &str, seq: usize) -> Item {
    key(
        order_partition(order_id),
        format!("{PAYMENT_PREFIX}{seq:06}"),
    )
}

/// A payment event key (a provider event, a staff request) that was applied.
pub(super) fn payment_key(key_hash: &str) -> Item {
    key(format!("PAYKEY#{key_hash}"), "PAYKEY")
}

pub(super) fn idempotency(key_hash: &str) -> Item {
    key(format!("IDEM#{key_hash}"), "IDEM")
}

pub(super) fn number_counter(location: &str, day: NaiveDate) -> Item {
    key(format!("LOC#{location}"), format!("NUMBER#{day}"))
}

pub(super) fn slot_counter(location: &str, start: DateTime<Utc>) -> Item {
    key(format!("LOC#{location}"), format!("SLOT#{}", ts(start)))
}

pub(super) fn coupon_shard(coupon: &str, shard: u32) -> Item {
    key(format!("COUPON#{coupon}#{shard}"), "COUNT")
}

pub(super) fn member_counter(coupon: &str, member_id: &str) -> Item {
    key(format!("COUPON#{coupon}#MEMBER#{member_id}"), "COUNT")
}

/// Counts a member's orders in their transactions, so a first-order coupon
/// can be conditioned on none before it.
pub(super) fn member_order_counter(member_id: &str) -> Item {
    key(format!("MEMBER#{member_id}#ORDERS"), "COUNT")
}

pub(super) fn member(id: &str) -> Item {
    key(format!("MEMBER#{id}"), "MEMBER")
}

pub(super) fn member_phone(phone: &str) -> Item {
    key(format!("MEMBER#PHONE#{phone}"), "MEMBER")
}

pub(super) fn member_email(email: &str) -> Item {
    key(format!("MEMBER#EMAIL#{email}"), "MEMBER")
}

/// Codes compare without regard to (ASCII) case, like the SQLite store's `NOCASE`.
pub(super) fn issued_code(code: &str) -> Item {
    key(format!("CODE#{}", code.trim().to_ascii_uppercase()), "CODE")
}

/// `gsi3pk` of a member's orders (`gsi3sk`: the order's `placed_at`).
pub(super) fn member_orders(member_id: &str) -> String {
    format!("MORDERS#{member_id}")
}

/// `gsi3pk` of the single-use codes issued to a member (`gsi3sk`: the code).
pub(super) fn member_codes(member_id: &str) -> String {
    format!("MCODES#{member_id}")
}

/// The partition of [`GSI3`] that lists members (`<created_at>#<id>`).
pub(super) const MEMBER_DIRECTORY: &str = "MEMBERS";

/// The partition of [`GSI3`] that lists order-number counters
/// (`<location>#<day>`), so reports know every location that has orders.
pub(super) const LOCATION_DIRECTORY: &str = "LOCATIONS";

/// The partition of [`GSI3`] that lists visit counters
/// (`<day>#<campaign>#<channel>#<location>`).
pub(super) const VISIT_DIRECTORY: &str = "VISITS";

/// A redemption at the counter (online ones live under their order).
pub(super) fn counter_redemption(id: &str) -> Item {
    key(format!("COUNTER#{id}"), "REDEMPTION")
}

/// One day's visit counter of a campaign channel at a location.
pub(super) fn visit(day: NaiveDate, campaign: &str, channel: &str, location: &str) -> Item {
    key(
        format!("VISIT#{day}#{campaign}#{channel}#{location}"),
        "VISIT",
    )
}

pub(super) const SOLD_OUT_PK: &str = "SOLDOUT";

pub(super) fn sold_out(sort: String) -> Item {
    key(SOLD_OUT_PK.to_owned(), sort)
}

pub(super) fn api_key(hash: &str) -> Item {
    key(format!("KEY#{hash}"), "KEY")
}

pub(super) const KEY_DIRECTORY_PK: &str = "KEYS";

pub(super) fn api_key_entry(id: &str) -> Item {
    key(KEY_DIRECTORY_PK.to_owned(), format!("KEY#{id}"))
}

/// `gsi1pk` of a payment ledger entry: the order's location (`gsi1sk`:
/// `<at>#<order id>#<seq>`), so a day's entries are one range read per location.
pub(super) fn paid_at(location: &str) -> String {
    format!("PAID#{location}")
}

/// `gsi1pk` of an order: its location.
pub(super) fn by_location(location: &str) -> String {
    format!("LOC#{location}")
}

/// `gsi2pk` of an order: its location and status.
pub(super) fn by_status(location: &str, status: &str) -> String {
    format!("LOC#{location}#{status}")
}

/// `gsi1sk` / `gsi2sk` of an order: placement time, then id for uniqueness.
pub(super) fn by_time(placed_at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", ts(placed_at))
}

fn attribute(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(build)
}

fn key_schema(partition: &str, sort: &str) -> Result<Vec<KeySchemaElement>, StoreError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(partition)
            .key_type(KeyType::Hash)
            .build()
            .map_err(build)?,
        KeySchemaElement::builder()
            .attribute_name(sort)
            .key_type(KeyType::Range)
            .build()
            .map_err(build)?,
    ])
}

/// How long [`create_table`] waits for the table to become active.
const ACTIVE_WAIT: Duration = Duration::from_secs(120);

/// Creates `table` (on-demand capacity, the three indexes, TTL on
/// [`EXPIRES_AT`]) unless it exists, then waits until it is active.
pub(super) async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let mut attributes = vec![attribute(PK)?, attribute(SK)?];
    let mut indexes = Vec::new();
    for (name, partition, sort) in INDEX_KEYS {
        attributes.push(attribute(partition)?);
        attributes.push(attribute(sort)?);
        // The directory index only needs keys; the others serve whole orders.
        let projection = if name == GSI3 {
            ProjectionType::KeysOnly
        } else {
            ProjectionType::All
        };
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .set_key_schema(Some(key_schema(partition, sort)?))
                .projection(Projection::builder().projection_type(projection).build())
                .build()
                .map_err(build)?,
        );
    }
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(PK, SK)?))
        .set_global_secondary_indexes(Some(indexes))
        .send()
        .await;
    if let Err(error) = created {
        let exists = error
            .as_service_error()
            .is_some_and(|e| e.is_resource_in_use_exception());
        if !exists {
            return Err(sdk("CreateTable", error));
        }
    }
    wait_until_active(client, table).await?;
    enable_ttl(client, table).await
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    loop {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| sdk("DescribeTable", e))?;
        let status = described.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(());
        }
        if started.elapsed() > ACTIVE_WAIT {
            return Err(StoreError::Unavailable(format!(
                "table `{table}` is not active after {} s",
                ACTIVE_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn enable_ttl(client: &Client, table: &str) -> Result<(), StoreError> {
    let current = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk("DescribeTimeToLive", e))?;
    let on = current
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|status| status.as_str() == "ENABLED" || status.as_str() == "ENABLING");
    if on {
        return Ok(());
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(EXPIRES_AT)
                .build()
                .map_err(build)?,
        )
        .send()
        .await
        .map_err(|e| sdk("UpdateTimeToLive", e))?;
    Ok(())
}
