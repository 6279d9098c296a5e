//! The production store: one DynamoDB table (single-table design) through
//! `aws-sdk-dynamodb`.
//!
//! Every invariant is a condition checked by DynamoDB itself, never a read
//! followed by a write: an order, its idempotency key, its coupon redemption,
//! the coupon's budget counter, the member's counter, a single-use code and a
//! pickup-slot place are one `TransactWriteItems`, each item guarded by a
//! condition. When DynamoDB cancels the transaction it says which item's
//! condition failed, and that index is mapped to the precise domain error.
//! A payment is one too: the ledger entry, its event key and the order's
//! running totals, guarded by the length of the ledger the entry was judged
//! against (optimistic, like a status change; see `payments.rs`).
//!
//! The key schema, the indexes and every access pattern are described in
//! `docs/dynamodb.md`; the item layout lives in [`schema`].
//!
//! Order numbers are the one thing a transaction cannot hand back (it returns
//! no values), and the conformance suite asks that a refused order moves no
//! counter. So the number is drawn *after* the order commits: an atomic `ADD`
//! on the location's day counter, then a conditional `SET` on the order. A
//! refused order therefore never skips a number; a crash between commit and
//! numbering leaves an unnumbered order that the next read numbers (see
//! `orders.rs`).

mod account;
mod coupons;
mod error;
mod item;
mod marketing;
mod members;
mod orders;
mod passkeys;
mod payments;
mod proofs;
mod push;
mod ratings;
pub mod schema;
mod sessions;
mod staff;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{CancellationReason, ConditionCheck, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use catalog::payment::Entry;
use catalog::SoldOut;
use chrono::{DateTime, Utc};

use super::{
    ApiKey, Ceremony, CodeCheck, IssuedCode, LedgerWindow, Member, MemberKey, MemberSession,
    NewCode, NewMember, NewMemberSession, NewOrder, Order, OrderStatus, PaymentRow, Placed,
    PushSubscription, Rating, Recorded, ReportRange, SignedUp, SoldOutItem, Store, StoreError,
    StoredPasskey,
};

/// The most budget shards a coupon may be spread over.
pub const MAX_COUPON_SHARDS: u32 = 64;

/// How long an idempotency key is remembered by default.
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = crate::store::DEFAULT_IDEMPOTENCY_TTL;

/// How many store operations one process runs against DynamoDB at once by default.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

/// The DynamoDB backend of [`Store`].
///
/// Build it once per process (a Lambda's cold start, `carte serve`'s start) and
/// share it: the SDK client holds the connection pool and the credentials.
pub struct DynamoStore {
    client: Client,
    table: String,
    coupon_shards: u32,
    idempotency_ttl: Duration,
    /// Budget shards seen full, as `(coupon, shard, shard budget)`, and when: later
    /// orders skip such a shard for a few seconds instead of paying a cancelled
    /// transaction (a cancelled order may give a place back, so not for longer).
    exhausted: Mutex<HashMap<(String, u32, u32), std::time::Instant>>,
    /// Bounds the operations in flight: a burst waits here, as parked tasks,
    /// instead of opening a connection per request and timing out in a queue.
    in_flight: Semaphore,
}

impl DynamoStore {
    /// A store on `table` through an already configured client.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            coupon_shards: 1,
            idempotency_ttl: DEFAULT_IDEMPOTENCY_TTL,
            exhausted: Mutex::new(HashMap::new()),
            in_flight: Semaphore::new(DEFAULT_MAX_IN_FLIGHT),
        }
    }

    /// A store on `table` with the standard AWS configuration of the
    /// environment (credentials, region, and the endpoint from
    /// `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL`), with Carte's
    /// retry and timeout settings.
    pub async fn from_env(table: impl Into<String>) -> DynamoStore {
        let config = crate::aws::config_from_env().await;
        DynamoStore::new(Client::new(&config), table)
    }

    /// Spreads each coupon's budget over `shards` counter items (clamped to
    /// `1..=MAX_COUPON_SHARDS`). Keep it fixed for the life of a table: the
    /// split of a budget depends on it. See `docs/dynamodb.md`.
    pub fn with_coupon_shards(mut self, shards: u32) -> DynamoStore {
        self.coupon_shards = shards.clamp(1, MAX_COUPON_SHARDS);
        self
    }

    /// How long an idempotency key is remembered (DynamoDB's TTL removes it after).
    pub fn with_idempotency_ttl(mut self, ttl: Duration) -> DynamoStore {
        self.idempotency_ttl = ttl;
        self
    }

    /// How many store operations may run at once (at least one). A Lambda
    /// instance serves one request at a time and never reaches the bound;
    /// `carte serve` and tests with hundreds of concurrent orders do.
    pub fn with_max_in_flight(mut self, operations: usize) -> DynamoStore {
        self.in_flight = Semaphore::new(operations.max(1));
        self
    }

    /// Waits for a turn to talk to DynamoDB.
    async fn turn(&self) -> Result<SemaphorePermit<'_>, StoreError> {
        self.in_flight
            .acquire()
            .await
            .map_err(|_| StoreError::Backend("the store is shut down".into()))
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the table with its indexes and TTL if it does not exist yet,
    /// and waits until it is active. Safe to call on an existing table.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        schema::create_table(&self.client, &self.table).await
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn place_order(&self, order: NewOrder) -> Result<Placed, StoreError> {
        let _turn = self.turn().await?;
        orders::place(self, order).await
    }

    async fn replay(
        &self,
        idempotency_key_hash: &str,
        request_hash: &str,
    ) -> Result<Option<Placed>, StoreError> {
        let _turn = self.turn().await?;
        orders::replay(self, idempotency_key_hash, request_hash).await
    }

    async fn get_order(&self, id: &str) -> Result<Order, StoreError> {
        let _turn = self.turn().await?;
        orders::get(self, id).await
    }

    async fn queue(
        &self,
        location: &str,
        statuses: &[OrderStatus],
        limit: u32,
    ) -> Result<Vec<Order>, StoreError> {
        let _turn = self.turn().await?;
        orders::queue(self, location, statuses, limit).await
    }

    async fn set_status(
        &self,
        id: &str,
        to: OrderStatus,
        by: &str,
        reason: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Order, StoreError> {
        let _turn = self.turn().await?;
        orders::set_status(self, id, to, by, reason, at).await
    }

    async fn link_order(&self, order_id: &str, member_id: &str) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        orders::link(self, order_id, member_id).await
    }

    async fn sign_up(&self, member: NewMember) -> Result<SignedUp, StoreError> {
        let _turn = self.turn().await?;
        members::sign_up(self, member).await
    }

    async fn find_member(&self, key: MemberKey) -> Result<Option<Member>, StoreError> {
        let _turn = self.turn().await?;
        members::find(self, key).await
    }

    async fn redemption_count(&self, coupon: &str) -> Result<u32, StoreError> {
        let _turn = self.turn().await?;
        coupons::redemption_count(self, coupon).await
    }

    async fn member_redemption_count(
        &self,
        coupon: &str,
        member_id: &str,
    ) -> Result<u32, StoreError> {
        let _turn = self.turn().await?;
        coupons::member_redemption_count(self, coupon, member_id).await
    }

    async fn redemption_counts(&self) -> Result<Vec<(String, u32)>, StoreError> {
        let _turn = self.turn().await?;
        coupons::redemption_counts(self).await
    }

    async fn find_issued_code(&self, code: &str) -> Result<Option<IssuedCode>, StoreError> {
        let _turn = self.turn().await?;
        members::find_issued_code(self, code).await
    }

    async fn sold_out(&self) -> Result<SoldOut, StoreError> {
        let _turn = self.turn().await?;
        staff::sold_out(self).await
    }

    async fn set_sold_out(&self, item: SoldOutItem, sold_out: bool) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        staff::set_sold_out(self, item, sold_out).await
    }

    async fn create_key(&self, key: ApiKey) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        staff::create_key(self, key).await
    }

    async fn find_key(&self, hash: &str, at: DateTime<Utc>) -> Result<Option<ApiKey>, StoreError> {
        let _turn = self.turn().await?;
        staff::find_key(self, hash, at).await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let _turn = self.turn().await?;
        staff::list_keys(self).await
    }

    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        staff::revoke_key(self, id, at).await
    }

    async fn create_session(&self, session: super::NewSession) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sessions::create(self, session).await
    }

    async fn find_session(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<super::Session>, StoreError> {
        let _turn = self.turn().await?;
        sessions::find(self, hash, at).await
    }

    async fn revoke_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        sessions::revoke(self, hash, at).await
    }

    async fn issue_codes(&self, codes: Vec<crate::store::BatchCode>) -> Result<u32, StoreError> {
        let _turn = self.turn().await?;
        marketing::issue_codes(self, codes).await
    }

    async fn redeem_at_counter(
        &self,
        r: crate::store::CounterRedemption,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        marketing::redeem_at_counter(self, r).await
    }

    async fn member_order_count(&self, member_id: &str) -> Result<u32, StoreError> {
        let _turn = self.turn().await?;
        marketing::member_order_count(self, member_id).await
    }

    async fn record_visit(&self, visit: crate::store::Visit, cap: u32) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        marketing::record_visit(self, visit, cap).await
    }

    async fn coupon_totals(&self) -> Result<Vec<crate::store::CouponTotal>, StoreError> {
        let _turn = self.turn().await?;
        marketing::coupon_totals(self).await
    }

    async fn campaign_rows(
        &self,
        range: &crate::store::ReportRange,
    ) -> Result<Vec<crate::store::CampaignRow>, StoreError> {
        let _turn = self.turn().await?;
        marketing::campaign_rows(self, range).await
    }

    async fn dish_sales(
        &self,
        range: &crate::store::ReportRange,
    ) -> Result<Vec<crate::store::DishRow>, StoreError> {
        let _turn = self.turn().await?;
        marketing::dish_sales(self, range).await
    }

    async fn hourly_sales(
        &self,
        range: &crate::store::ReportRange,
    ) -> Result<Vec<crate::store::HourRow>, StoreError> {
        let _turn = self.turn().await?;
        marketing::hourly_sales(self, range).await
    }

    async fn export_orders(
        &self,
        range: &crate::store::ReportRange,
    ) -> Result<Vec<crate::store::OrderExport>, StoreError> {
        let _turn = self.turn().await?;
        marketing::export_orders(self, range).await
    }

    async fn export_members(
        &self,
        range: &crate::store::ReportRange,
    ) -> Result<Vec<crate::store::MemberExport>, StoreError> {
        let _turn = self.turn().await?;
        marketing::export_members(self, range).await
    }

    async fn export_redemptions(
        &self,
        range: &crate::store::ReportRange,
    ) -> Result<Vec<crate::store::RedemptionExport>, StoreError> {
        let _turn = self.turn().await?;
        marketing::export_redemptions(self, range).await
    }

    async fn erase_member(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        marketing::erase_member(self, id, at).await?;
        passkeys::remove_all(self, id).await
    }

    async fn record_payment(
        &self,
        order_id: &str,
        entry: Entry,
        event_key: Option<String>,
    ) -> Result<Recorded, StoreError> {
        let _turn = self.turn().await?;
        payments::record(self, order_id, entry, event_key).await
    }

    async fn record_refund_total(
        &self,
        order_id: &str,
        total: Entry,
        event_key: String,
    ) -> Result<Option<Recorded>, StoreError> {
        let _turn = self.turn().await?;
        payments::record_total(self, order_id, total, event_key).await
    }

    async fn payments(&self, order_id: &str) -> Result<Vec<Entry>, StoreError> {
        let _turn = self.turn().await?;
        payments::payments(self, order_id).await
    }

    // --- Payments in reports

    async fn payment_rows(
        &self,
        range: &ReportRange,
        window: LedgerWindow,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let _turn = self.turn().await?;
        payments::payment_rows(self, range, window).await
    }

    // --- Members who prove who they are

    async fn issue_code(&self, code: NewCode, per_hour: u32) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        proofs::issue(self, code, per_hour).await
    }

    async fn redeem_code(
        &self,
        address: &str,
        code_hash: &str,
        at: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError> {
        let _turn = self.turn().await?;
        proofs::redeem(self, address, code_hash, at, max_tries).await
    }

    async fn create_member_session(&self, session: NewMemberSession) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        proofs::create_session(self, session).await
    }

    async fn find_member_session(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<MemberSession>, StoreError> {
        let _turn = self.turn().await?;
        proofs::find_session(self, hash, at).await
    }

    async fn revoke_member_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        proofs::revoke_session(self, hash, at).await
    }

    async fn save_ceremony(&self, ceremony: Ceremony) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        passkeys::save_ceremony(self, ceremony).await
    }

    async fn take_ceremony(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError> {
        let _turn = self.turn().await?;
        passkeys::take_ceremony(self, id, at).await
    }

    async fn add_passkey(&self, passkey: StoredPasskey) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        passkeys::add(self, passkey).await
    }

    async fn find_passkey(&self, credential_id: &str) -> Result<Option<StoredPasskey>, StoreError> {
        let _turn = self.turn().await?;
        passkeys::find(self, credential_id).await
    }

    async fn member_passkeys(&self, member_id: &str) -> Result<Vec<StoredPasskey>, StoreError> {
        let _turn = self.turn().await?;
        passkeys::of_member(self, member_id).await
    }

    async fn touch_passkey(
        &self,
        credential_id: &str,
        passkey: String,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        passkeys::touch(self, credential_id, passkey, at).await
    }

    async fn remove_passkey(
        &self,
        member_id: &str,
        credential_id: &str,
    ) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        passkeys::remove(self, member_id, credential_id).await
    }

    async fn add_push_subscription(
        &self,
        subscription: PushSubscription,
    ) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        push::add(self, subscription).await
    }

    async fn push_subscriptions(
        &self,
        order_id: &str,
    ) -> Result<Vec<PushSubscription>, StoreError> {
        let _turn = self.turn().await?;
        push::of_order(self, order_id).await
    }

    async fn remove_push_subscriptions(
        &self,
        order_id: &str,
        endpoint: Option<&str>,
    ) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        push::remove(self, order_id, endpoint).await
    }

    async fn rate_order(&self, rating: Rating) -> Result<bool, StoreError> {
        let _turn = self.turn().await?;
        ratings::rate(self, rating).await
    }

    async fn order_rating(&self, order_id: &str) -> Result<Option<Rating>, StoreError> {
        let _turn = self.turn().await?;
        ratings::of_order(self, order_id).await
    }

    async fn ratings(&self, range: &ReportRange) -> Result<Vec<Rating>, StoreError> {
        let _turn = self.turn().await?;
        ratings::in_range(self, range).await
    }

    // --- The member's own data

    async fn member_orders(&self, member_id: &str, limit: u32) -> Result<Vec<Order>, StoreError> {
        let _turn = self.turn().await?;
        account::member_orders(self, member_id, limit).await
    }

    async fn member_codes(&self, member_id: &str) -> Result<Vec<IssuedCode>, StoreError> {
        let _turn = self.turn().await?;
        account::member_codes(self, member_id).await
    }

    async fn withdraw_consent(&self, member_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _turn = self.turn().await?;
        account::withdraw_consent(self, member_id, at).await
    }
}

/// Write requests shared by the item modules.
impl DynamoStore {
    /// A put of `item` on condition that no item has its key yet.
    fn put_if_new(&self, item: item::Item) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", schema::PK)
            .build()
            .map_err(error::build)
    }

    /// Sends one transaction: `None` when it committed, else the reasons it
    /// was cancelled for, one per item (any other failure, or a reason that is
    /// neither a failed condition nor contention, is the error).
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<CancellationReason>>, StoreError> {
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let reasons = match sent {
            Ok(_) => return Ok(None),
            Err(error) => error::cancellation(error)?,
        };
        if let Some(error) = error::unexpected(&reasons) {
            return Err(error);
        }
        Ok(Some(reasons))
    }

    /// A check, within a transaction, that the member exists.
    fn member_exists(&self, member_id: &str) -> Result<ConditionCheck, StoreError> {
        self.item_exists(schema::member(member_id))
    }

    /// A check, within a transaction, that the order exists.
    fn order_exists(&self, order_id: &str) -> Result<ConditionCheck, StoreError> {
        self.item_exists(schema::order(order_id))
    }

    fn item_exists(&self, key: item::Item) -> Result<ConditionCheck, StoreError> {
        ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", schema::PK)
            .build()
            .map_err(error::build)
    }
}

/// Reads shared by the item modules: always strongly consistent on the base
/// table, because every caller acts on what it reads.
impl DynamoStore {
    async fn get(&self, key: item::Item) -> Result<Option<item::Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| error::sdk("GetItem", e))?;
        Ok(output.item().cloned())
    }

    /// Every item of one base-table partition, in sort-key order.
    async fn partition(&self, pk: &str) -> Result<Vec<item::Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", schema::PK)
                .expression_attribute_values(":pk", item::s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| error::sdk("Query", e))?;
            items.extend(page.items().iter().cloned());
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Up to `limit` items of one index partition, newest (highest sort key) first.
    async fn index_newest(
        &self,
        index: &str,
        partition_attribute: &str,
        partition: String,
        limit: u32,
    ) -> Result<Vec<item::Item>, StoreError> {
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut start = None;
        while items.len() < wanted {
            let left = i32::try_from(wanted - items.len()).unwrap_or(i32::MAX);
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", partition_attribute)
                .expression_attribute_values(":pk", item::s(partition.clone()))
                .scan_index_forward(false)
                .limit(left.min(500))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| error::sdk("Query", e))?;
            items.extend(page.items().iter().cloned());
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        items.truncate(wanted);
        Ok(items)
    }

    /// The items with these keys that exist (any order), strongly consistent.
    async fn batch_get(&self, keys: Vec<item::Item>) -> Result<Vec<item::Item>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        /// DynamoDB's limit of keys per `BatchGetItem`.
        const PER_CALL: usize = 100;
        let mut found = Vec::new();
        for chunk in keys.chunks(PER_CALL) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                attempt += 1;
                if attempt > error::CONTENTION_ATTEMPTS {
                    return Err(error::still_contended("BatchGetItem"));
                }
                if attempt > 1 {
                    error::back_off(attempt - 1).await;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(error::build)?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| error::sdk("BatchGetItem", e))?;
                if let Some(items) = output.responses().and_then(|r| r.get(&self.table)) {
                    found.extend(items.iter().cloned());
                }
                if let Some(left) = output.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    pending = left.keys().to_vec();
                }
            }
        }
        Ok(found)
    }
}
