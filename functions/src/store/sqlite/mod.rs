//! The embedded store: one SQLite file in WAL mode with durable commits.
//!
//! # Connections
//!
//! SQLite lets one writer commit at a time, whatever the number of
//! connections. So the store keeps exactly **one writer connection**, owned by
//! a writer thread that commits the writes queued while the previous commit
//! was syncing as one transaction (group commit, see `writer.rs`): one `fsync`
//! per batch instead of one per order, each write in its own savepoint so it
//! succeeds or fails alone, and every caller answered only after the commit.
//! A few **reader connections** serve reads, which never wait for the writer
//! thanks to WAL. Each batch runs in `BEGIN IMMEDIATE`, which takes the file's
//! write lock up front, so the invariants also hold when a second process
//! (`carte report`, another `carte serve`) opens the same file;
//! `busy_timeout` makes that process wait rather than fail.
//!
//! Blocking reads run on `spawn_blocking` while the task holds the
//! connection's guard, so at most one blocking thread per connection is busy.

mod account;
mod coupons;
mod marketing;
mod members;
mod orders;
mod passkeys;
mod payments;
mod proofs;
mod push;
mod ratings;
mod schema;
mod sessions;
mod staff;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use catalog::payment::Entry;
use catalog::SoldOut;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::FromSql;
use rusqlite::{Connection, Row};
use tokio::sync::Mutex;

use super::{
    ApiKey, BatchCode, CampaignRow, Ceremony, CodeCheck, CounterRedemption, CouponTotal, DishRow,
    HourRow, IssuedCode, LedgerWindow, Member, MemberExport, MemberKey, MemberSession, NewCode,
    NewMember, NewMemberSession, NewOrder, NewSession, Order, OrderExport, OrderStatus, PaymentRow,
    Placed, PushSubscription, Rating, Recorded, RedemptionExport, ReportRange, Session, SignedUp,
    SoldOutItem, Store, StoreError, StoredPasskey, Visit,
};

/// How many reader connections the store opens.
const READERS: usize = 3;

/// The SQLite backend of [`Store`].
pub struct SqliteStore {
    writer: writer::Writer,
    _checkpointer: writer::Checkpointer,
    readers: Vec<Arc<Mutex<Connection>>>,
    next_reader: AtomicUsize,
    idempotency_ttl: std::time::Duration,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A row that names a missing order (its foreign key fails) is `NotFound`; any other
/// failure is the backend's.
fn unknown_order(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::NotFound
        }
        e => backend(e),
    }
}

/// Timestamps as fixed-width RFC 3339 UTC text, so text order is time order.
fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(backend)
}

fn parse_opt_ts(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.as_deref().map(parse_ts).transpose()
}

fn count(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<u32, StoreError> {
    let n: i64 = conn.query_row(sql, params, |r| r.get(0)).map_err(backend)?;
    u32::try_from(n).map_err(backend)
}

/// Column `index` of a row, for [`query_rows`].
fn col<T: FromSql>(row: &Row<'_>, index: usize) -> Result<T, StoreError> {
    row.get(index).map_err(backend)
}

/// Runs a query and decodes each row with `decode` (which reads columns with [`col`]).
fn query_rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    mut decode: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let mut rows = stmt.query(params).map_err(backend)?;
    let mut decoded = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        decoded.push(decode(row)?);
    }
    Ok(decoded)
}

impl SqliteStore {
    /// Opens (creating if needed, with parent folders) the database file at `path`
    /// and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(backend)?;
        }
        let mut writer = Connection::open(path).map_err(backend)?;
        schema::configure(&writer)?;
        schema::migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open(path).map_err(backend)?;
                schema::configure(&conn)?;
                Ok(Arc::new(Mutex::new(conn)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(backend)?;
        let checkpoints = Connection::open(path).map_err(backend)?;
        schema::configure(&checkpoints)?;
        Ok(SqliteStore {
            writer: writer::Writer::spawn(writer).map_err(backend)?,
            _checkpointer: writer::Checkpointer::spawn(checkpoints).map_err(backend)?,
            readers,
            next_reader: AtomicUsize::new(0),
            idempotency_ttl: super::DEFAULT_IDEMPOTENCY_TTL,
        })
    }

    /// How long an idempotency key is remembered: expired keys are free again, and
    /// their records are deleted when the next order is placed.
    pub fn with_idempotency_ttl(mut self, ttl: std::time::Duration) -> SqliteStore {
        self.idempotency_ttl = ttl;
        self
    }

    async fn run<T, F>(conn: &Arc<Mutex<Connection>>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let mut guard = conn.clone().lock_owned().await;
        tokio::task::spawn_blocking(move || f(&mut guard))
            .await
            .map_err(backend)?
    }

    /// Runs `f` as one write on the writer thread, inside a `BEGIN IMMEDIATE`
    /// transaction shared with the writes queued beside it (see [`writer`]);
    /// returns once that transaction is durably committed.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.write(f).await
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        Self::run(&self.readers[index], move |conn| f(conn)).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn place_order(&self, order: NewOrder) -> Result<Placed, StoreError> {
        orders::place(self, order).await
    }

    async fn replay(
        &self,
        idempotency_key_hash: &str,
        request_hash: &str,
    ) -> Result<Option<Placed>, StoreError> {
        orders::replay(self, idempotency_key_hash, request_hash).await
    }

    async fn get_order(&self, id: &str) -> Result<Order, StoreError> {
        orders::get(self, id).await
    }

    async fn queue(
        &self,
        location: &str,
        statuses: &[OrderStatus],
        limit: u32,
    ) -> Result<Vec<Order>, StoreError> {
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
        orders::set_status(self, id, to, by, reason, at).await
    }

    async fn link_order(&self, order_id: &str, member_id: &str) -> Result<(), StoreError> {
        orders::link(self, order_id, member_id).await
    }

    async fn sign_up(&self, member: NewMember) -> Result<SignedUp, StoreError> {
        members::sign_up(self, member).await
    }

    async fn find_member(&self, key: MemberKey) -> Result<Option<Member>, StoreError> {
        members::find(self, key).await
    }

    async fn redemption_count(&self, coupon: &str) -> Result<u32, StoreError> {
        coupons::redemption_count(self, coupon).await
    }

    async fn member_redemption_count(
        &self,
        coupon: &str,
        member_id: &str,
    ) -> Result<u32, StoreError> {
        coupons::member_redemption_count(self, coupon, member_id).await
    }

    async fn redemption_counts(&self) -> Result<Vec<(String, u32)>, StoreError> {
        coupons::redemption_counts(self).await
    }

    async fn find_issued_code(&self, code: &str) -> Result<Option<IssuedCode>, StoreError> {
        members::find_issued_code(self, code).await
    }

    async fn sold_out(&self) -> Result<SoldOut, StoreError> {
        staff::sold_out(self).await
    }

    async fn set_sold_out(&self, item: SoldOutItem, sold_out: bool) -> Result<(), StoreError> {
        staff::set_sold_out(self, item, sold_out).await
    }

    async fn create_key(&self, key: ApiKey) -> Result<(), StoreError> {
        staff::create_key(self, key).await
    }

    async fn find_key(&self, hash: &str, at: DateTime<Utc>) -> Result<Option<ApiKey>, StoreError> {
        staff::find_key(self, hash, at).await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        staff::list_keys(self).await
    }

    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        staff::revoke_key(self, id, at).await
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        sessions::create(self, session).await
    }

    async fn find_session(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        sessions::find(self, hash, at).await
    }

    async fn revoke_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sessions::revoke(self, hash, at).await
    }

    async fn issue_codes(&self, codes: Vec<BatchCode>) -> Result<u32, StoreError> {
        marketing::issue_codes(self, codes).await
    }

    async fn redeem_at_counter(&self, redemption: CounterRedemption) -> Result<(), StoreError> {
        marketing::redeem_at_counter(self, redemption).await
    }

    async fn member_order_count(&self, member_id: &str) -> Result<u32, StoreError> {
        marketing::member_order_count(self, member_id).await
    }

    async fn record_visit(&self, visit: Visit, cap: u32) -> Result<bool, StoreError> {
        marketing::record_visit(self, visit, cap).await
    }

    async fn coupon_totals(&self) -> Result<Vec<CouponTotal>, StoreError> {
        marketing::coupon_totals(self).await
    }

    async fn campaign_rows(&self, range: &ReportRange) -> Result<Vec<CampaignRow>, StoreError> {
        marketing::campaign_rows(self, range).await
    }

    async fn dish_sales(&self, range: &ReportRange) -> Result<Vec<DishRow>, StoreError> {
        marketing::dish_sales(self, range).await
    }

    async fn hourly_sales(&self, range: &ReportRange) -> Result<Vec<HourRow>, StoreError> {
        marketing::hourly_sales(self, range).await
    }

    async fn export_orders(&self, range: &ReportRange) -> Result<Vec<OrderExport>, StoreError> {
        marketing::export_orders(self, range).await
    }

    async fn export_members(&self, range: &ReportRange) -> Result<Vec<MemberExport>, StoreError> {
        marketing::export_members(self, range).await
    }

    async fn export_redemptions(
        &self,
        range: &ReportRange,
    ) -> Result<Vec<RedemptionExport>, StoreError> {
        marketing::export_redemptions(self, range).await
    }

    async fn erase_member(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        marketing::erase_member(self, id, at).await
    }

    async fn record_payment(
        &self,
        order_id: &str,
        entry: Entry,
        event_key: Option<String>,
    ) -> Result<Recorded, StoreError> {
        payments::record(self, order_id, entry, event_key).await
    }

    async fn record_refund_total(
        &self,
        order_id: &str,
        total: Entry,
        event_key: String,
    ) -> Result<Option<Recorded>, StoreError> {
        payments::record_total(self, order_id, total, event_key).await
    }

    async fn payments(&self, order_id: &str) -> Result<Vec<Entry>, StoreError> {
        payments::payments(self, order_id).await
    }

    // --- Payments in reports

    async fn payment_rows(
        &self,
        range: &ReportRange,
        window: LedgerWindow,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        payments::payment_rows(self, range, window).await
    }

    // --- Members who prove who they are

    async fn issue_code(&self, code: NewCode, per_hour: u32) -> Result<bool, StoreError> {
        proofs::issue(self, code, per_hour).await
    }

    async fn redeem_code(
        &self,
        address: &str,
        code_hash: &str,
        at: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError> {
        proofs::redeem(self, address, code_hash, at, max_tries).await
    }

    async fn create_member_session(&self, session: NewMemberSession) -> Result<(), StoreError> {
        proofs::create_session(self, session).await
    }

    async fn find_member_session(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<MemberSession>, StoreError> {
        proofs::find_session(self, hash, at).await
    }

    async fn revoke_member_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        proofs::revoke_session(self, hash, at).await
    }

    async fn save_ceremony(&self, ceremony: Ceremony) -> Result<(), StoreError> {
        passkeys::save_ceremony(self, ceremony).await
    }

    async fn take_ceremony(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError> {
        passkeys::take_ceremony(self, id, at).await
    }

    async fn add_passkey(&self, passkey: StoredPasskey) -> Result<bool, StoreError> {
        passkeys::add(self, passkey).await
    }

    async fn find_passkey(&self, credential_id: &str) -> Result<Option<StoredPasskey>, StoreError> {
        passkeys::find(self, credential_id).await
    }

    async fn member_passkeys(&self, member_id: &str) -> Result<Vec<StoredPasskey>, StoreError> {
        passkeys::of_member(self, member_id).await
    }

    async fn touch_passkey(
        &self,
        credential_id: &str,
        passkey: String,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        passkeys::touch(self, credential_id, passkey, at).await
    }

    async fn remove_passkey(
        &self,
        member_id: &str,
        credential_id: &str,
    ) -> Result<bool, StoreError> {
        passkeys::remove(self, member_id, credential_id).await
    }

    async fn add_push_subscription(
        &self,
        subscription: PushSubscription,
    ) -> Result<bool, StoreError> {
        push::add(self, subscription).await
    }

    async fn push_subscriptions(
        &self,
        order_id: &str,
    ) -> Result<Vec<PushSubscription>, StoreError> {
        push::of_order(self, order_id).await
    }

    async fn remove_push_subscriptions(
        &self,
        order_id: &str,
        endpoint: Option<&str>,
    ) -> Result<(), StoreError> {
        push::remove(self, order_id, endpoint).await
    }

    async fn rate_order(&self, rating: Rating) -> Result<bool, StoreError> {
        ratings::rate(self, rating).await
    }

    async fn order_rating(&self, order_id: &str) -> Result<Option<Rating>, StoreError> {
        ratings::of_order(self, order_id).await
    }

    async fn ratings(&self, range: &ReportRange) -> Result<Vec<Rating>, StoreError> {
        ratings::in_range(self, range).await
    }

    // --- The member's own data

    async fn member_orders(&self, member_id: &str, limit: u32) -> Result<Vec<Order>, StoreError> {
        account::member_orders(self, member_id, limit).await
    }

    async fn member_codes(&self, member_id: &str) -> Result<Vec<IssuedCode>, StoreError> {
        account::member_codes(self, member_id).await
    }

    async fn withdraw_consent(&self, member_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        account::withdraw_consent(self, member_id, at).await
    }
}
