//! The embedded store: one SQLite file in WAL mode with durable commits.
//!
//! # Connections
//!
//! SQLite lets one writer commit at a time, whatever the number of
//! connections. So the store keeps exactly **one writer connection**, owned by
//! a writer thread that commits the writes queued while the previous commit
//! was syncing as one transaction (group commit, see [`writer`]): one `fsync`
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

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use catalog::SoldOut;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use tokio::sync::Mutex;

use super::{
    ApiKey, IssuedCode, Member, MemberKey, NewMember, NewOrder, NewSession, Order, OrderStatus,
    Placed, Role, Session, SignedUp, SoldOutItem, StatusChange, StatusTimes, Store, StoreError,
};

mod marketing;
mod writer;

/// How many reader connections the store opens.
const READERS: usize = 3;

/// Versioned schema migrations; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    // 1: orders, idempotency, counters, redemptions, members, codes, sold-out, keys.
    "CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        number TEXT NOT NULL,
        location TEXT NOT NULL,
        status TEXT NOT NULL,
        cart TEXT NOT NULL,
        quote TEXT NOT NULL,
        total INTEGER NOT NULL,
        note TEXT,
        name TEXT,
        member_id TEXT,
        campaign TEXT,
        channel TEXT,
        coupon TEXT,
        slot TEXT,
        token_hash TEXT NOT NULL,
        times TEXT NOT NULL,
        history TEXT NOT NULL,
        placed_at TEXT NOT NULL
    );
    CREATE INDEX orders_by_location ON orders(location, placed_at);
    CREATE INDEX orders_by_slot ON orders(location, slot) WHERE slot IS NOT NULL;
    CREATE INDEX orders_by_member ON orders(member_id) WHERE member_id IS NOT NULL;
    CREATE TABLE idempotency (
        key_hash TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        order_id TEXT NOT NULL REFERENCES orders(id),
        sealed_token TEXT NOT NULL
    );
    CREATE TABLE order_counters (
        location TEXT NOT NULL,
        day TEXT NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (location, day)
    );
    CREATE TABLE redemptions (
        order_id TEXT PRIMARY KEY REFERENCES orders(id),
        coupon TEXT NOT NULL,
        campaign TEXT NOT NULL,
        member_id TEXT,
        issued_code TEXT,
        discount INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX redemptions_by_coupon ON redemptions(coupon, member_id);
    CREATE TABLE members (
        id TEXT PRIMARY KEY,
        phone TEXT UNIQUE,
        email TEXT UNIQUE,
        name TEXT,
        consent_at TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE issued_codes (
        code TEXT PRIMARY KEY COLLATE NOCASE,
        coupon TEXT NOT NULL,
        member_id TEXT NOT NULL REFERENCES members(id),
        used_by TEXT
    );
    CREATE TABLE sold_out (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used TEXT,
        revoked_at TEXT
    );",
    // 2: browser sessions of API keys (the staff console); only token hashes.
    "CREATE TABLE sessions (
        hash TEXT PRIMARY KEY,
        key_id TEXT NOT NULL REFERENCES api_keys(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE INDEX sessions_by_key ON sessions(key_id);",
    // 3: marketing: counter redemptions next to online ones, batch codes without
    // a member, campaign touches, visit counts, member erasure.
    marketing::MIGRATION,
];

/// The SQLite backend of [`Store`].
pub struct SqliteStore {
    writer: writer::Writer,
    _checkpointer: writer::Checkpointer,
    readers: Vec<Arc<Mutex<Connection>>>,
    next_reader: AtomicUsize,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
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

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(backend)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(backend)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
    let applied = usize::try_from(version).map_err(backend)?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "the database has schema version {applied}, newer than this build knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql).map_err(backend)?;
        tx.pragma_update(None, "user_version", index + 1)
            .map_err(backend)?;
    }
    tx.commit().map_err(backend)
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
        configure(&writer)?;
        migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open(path).map_err(backend)?;
                configure(&conn)?;
                Ok(Arc::new(Mutex::new(conn)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(backend)?;
        let checkpoints = Connection::open(path).map_err(backend)?;
        configure(&checkpoints)?;
        Ok(SqliteStore {
            writer: writer::Writer::spawn(writer).map_err(backend)?,
            _checkpointer: writer::Checkpointer::spawn(checkpoints).map_err(backend)?,
            readers,
            next_reader: AtomicUsize::new(0),
        })
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

const ORDER_COLUMNS: &str = "id, number, location, status, cart, quote, note, name, member_id,
    campaign, channel, coupon, slot, token_hash, times, history";

fn order_from_row(row: &Row<'_>) -> rusqlite::Result<RawOrder> {
    Ok(RawOrder {
        id: row.get(0)?,
        number: row.get(1)?,
        location: row.get(2)?,
        status: row.get(3)?,
        cart: row.get(4)?,
        quote: row.get(5)?,
        note: row.get(6)?,
        name: row.get(7)?,
        member_id: row.get(8)?,
        campaign: row.get(9)?,
        channel: row.get(10)?,
        coupon: row.get(11)?,
        slot: row.get(12)?,
        token_hash: row.get(13)?,
        times: row.get(14)?,
        history: row.get(15)?,
    })
}

/// An order row before its JSON and enum columns are decoded.
struct RawOrder {
    id: String,
    number: String,
    location: String,
    status: String,
    cart: String,
    quote: String,
    note: Option<String>,
    name: Option<String>,
    member_id: Option<String>,
    campaign: Option<String>,
    channel: Option<String>,
    coupon: Option<String>,
    slot: Option<String>,
    token_hash: String,
    times: String,
    history: String,
}

impl RawOrder {
    fn decode(self) -> Result<Order, StoreError> {
        let status = OrderStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Backend(format!("unknown status `{}`", self.status)))?;
        let attribution = match (self.campaign, self.channel) {
            (Some(campaign), Some(channel)) => Some(super::Attribution { campaign, channel }),
            _ => None,
        };
        Ok(Order {
            id: self.id,
            number: self.number,
            location: self.location,
            status,
            cart: serde_json::from_str(&self.cart).map_err(backend)?,
            quote: serde_json::from_str(&self.quote).map_err(backend)?,
            note: self.note,
            name: self.name,
            member_id: self.member_id,
            attribution,
            coupon: self.coupon,
            slot: parse_opt_ts(self.slot)?,
            times: serde_json::from_str(&self.times).map_err(backend)?,
            history: serde_json::from_str(&self.history).map_err(backend)?,
            token_hash: self.token_hash,
        })
    }
}

fn load_order(conn: &Connection, id: &str) -> Result<Order, StoreError> {
    conn.query_row(
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"),
        [id],
        order_from_row,
    )
    .optional()
    .map_err(backend)?
    .ok_or(StoreError::NotFound)?
    .decode()
}

fn count(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<u32, StoreError> {
    let n: i64 = conn.query_row(sql, params, |r| r.get(0)).map_err(backend)?;
    u32::try_from(n).map_err(backend)
}

fn replay(
    conn: &Connection,
    key_hash: &str,
    request_hash: &str,
) -> Result<Option<Placed>, StoreError> {
    let previous: Option<(String, String, String)> = conn
        .query_row(
            "SELECT request_hash, order_id, sealed_token FROM idempotency WHERE key_hash = ?1",
            [key_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(backend)?;
    let Some((stored_hash, order_id, sealed_token)) = previous else {
        return Ok(None);
    };
    if stored_hash != request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    Ok(Some(Placed {
        order: load_order(conn, &order_id)?,
        created: false,
        sealed_token,
    }))
}

fn place(tx: &Connection, order: NewOrder) -> Result<Placed, StoreError> {
    if let Some(placed) = replay(tx, &order.idempotency_key_hash, &order.request_hash)? {
        return Ok(placed);
    }
    if let Some(member) = &order.member_id {
        let known = count(tx, "SELECT COUNT(*) FROM members WHERE id = ?1", [member])?;
        if known == 0 {
            return Err(StoreError::UnknownMember);
        }
    }
    if let Some(claim) = &order.redemption {
        marketing::check_claim(
            tx,
            &marketing::Limits {
                coupon: &claim.coupon,
                discount: claim.discount,
                budget: claim.budget,
                budget_amount: claim.budget_amount,
                per_member: claim.per_member,
                member: order.member_id.as_deref(),
                issued_code: claim.issued_code.as_deref(),
            },
        )?;
    }
    if let Some(slot) = &order.slot {
        let taken = count(
            tx,
            "SELECT COUNT(*) FROM orders WHERE location = ?1 AND slot = ?2 AND status != 'cancelled'",
            params![order.location, ts(slot.start)],
        )?;
        if taken >= slot.capacity {
            return Err(StoreError::SlotFull);
        }
    }
    let day = order.local_day.to_string();
    let last: i64 = tx
        .query_row(
            "INSERT INTO order_counters (location, day, last) VALUES (?1, ?2, 1)
             ON CONFLICT (location, day) DO UPDATE SET last = last + 1
             RETURNING last",
            params![order.location, day],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let number = format!("{}-{last:03}", order.order_prefix);
    let mut times = StatusTimes::default();
    times.set(OrderStatus::Received, order.placed_at);
    let history = vec![StatusChange {
        status: OrderStatus::Received,
        at: order.placed_at,
        by: "diner".to_owned(),
        reason: None,
    }];
    let coupon = order.redemption.as_ref().map(|c| c.coupon.clone());
    tx.execute(
        &format!(
            "INSERT INTO orders ({ORDER_COLUMNS}, total, placed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
        ),
        params![
            order.id,
            number,
            order.location,
            OrderStatus::Received.as_str(),
            serde_json::to_string(&order.cart).map_err(backend)?,
            serde_json::to_string(&order.quote).map_err(backend)?,
            order.note,
            order.name,
            order.member_id,
            order.attribution.as_ref().map(|a| a.campaign.clone()),
            order.attribution.as_ref().map(|a| a.channel.clone()),
            coupon,
            order.slot.map(|s| ts(s.start)),
            order.token_hash,
            serde_json::to_string(&times).map_err(backend)?,
            serde_json::to_string(&history).map_err(backend)?,
            order.quote.total,
            ts(order.placed_at),
        ],
    )
    .map_err(backend)?;
    if let Some(claim) = &order.redemption {
        marketing::record_online(tx, &order, claim)?;
    }
    marketing::record_touches(tx, &order)?;
    tx.execute(
        "INSERT INTO idempotency (key_hash, request_hash, order_id, sealed_token)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            order.idempotency_key_hash,
            order.request_hash,
            order.id,
            order.sealed_token
        ],
    )
    .map_err(backend)?;
    Ok(Placed {
        order: load_order(tx, &order.id)?,
        created: true,
        sealed_token: order.sealed_token,
    })
}

fn member_from_row(row: &Row<'_>) -> rusqlite::Result<(Member, String, String)> {
    Ok((
        Member {
            id: row.get(0)?,
            phone: row.get(1)?,
            email: row.get(2)?,
            name: row.get(3)?,
            // Filled in by the caller after parsing the text columns below.
            consent_at: DateTime::<Utc>::UNIX_EPOCH,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        },
        row.get(4)?,
        row.get(5)?,
    ))
}

fn find_member(conn: &Connection, key: &MemberKey) -> Result<Option<Member>, StoreError> {
    let (column, value) = match key {
        MemberKey::Id(v) => ("id", v),
        MemberKey::Phone(v) => ("phone", v),
        MemberKey::Email(v) => ("email", v),
    };
    let found = conn
        .query_row(
            &format!(
                "SELECT id, phone, email, name, consent_at, created_at FROM members WHERE {column} = ?1"
            ),
            [value],
            member_from_row,
        )
        .optional()
        .map_err(backend)?;
    found
        .map(|(mut member, consent, created)| {
            member.consent_at = parse_ts(&consent)?;
            member.created_at = parse_ts(&created)?;
            Ok(member)
        })
        .transpose()
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<[Option<String>; 7]> {
    Ok([
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ])
}

fn decode_key(cols: [Option<String>; 7]) -> Result<ApiKey, StoreError> {
    let [id, hash, role, label, created, last_used, revoked] = cols;
    let missing = || StoreError::Backend("an api_keys column is empty".into());
    let role = role.ok_or_else(missing)?;
    Ok(ApiKey {
        id: id.ok_or_else(missing)?,
        hash: hash.ok_or_else(missing)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Backend(format!("unknown role `{role}`")))?,
        label: label.ok_or_else(missing)?,
        created_at: parse_ts(&created.ok_or_else(missing)?)?,
        last_used: parse_opt_ts(last_used)?,
        revoked_at: parse_opt_ts(revoked)?,
    })
}

const KEY_COLUMNS: &str = "id, hash, role, label, created_at, last_used, revoked_at";

fn sold_out_key(item: &SoldOutItem) -> (&'static str, String) {
    match item {
        SoldOutItem::Dish { dish } => ("dish", dish.clone()),
        SoldOutItem::Choice {
            dish,
            group,
            choice,
        } => ("choice", SoldOut::choice_key(dish, group, choice)),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn place_order(&self, order: NewOrder) -> Result<Placed, StoreError> {
        self.write(move |tx| place(tx, order)).await
    }

    async fn replay(
        &self,
        idempotency_key_hash: &str,
        request_hash: &str,
    ) -> Result<Option<Placed>, StoreError> {
        let key_hash = idempotency_key_hash.to_owned();
        let request_hash = request_hash.to_owned();
        self.read(move |conn| replay(conn, &key_hash, &request_hash))
            .await
    }

    async fn get_order(&self, id: &str) -> Result<Order, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| load_order(conn, &id)).await
    }

    async fn queue(
        &self,
        location: &str,
        statuses: &[OrderStatus],
        limit: u32,
    ) -> Result<Vec<Order>, StoreError> {
        let location = location.to_owned();
        let statuses: Vec<&'static str> = statuses.iter().map(|s| s.as_str()).collect();
        self.read(move |conn| {
            let filter = if statuses.is_empty() {
                String::new()
            } else {
                // Only the fixed status names are spliced in, never request text.
                let list: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
                format!("AND status IN ({})", list.join(", "))
            };
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE location = ?1 {filter}
                     ORDER BY placed_at DESC, rowid DESC LIMIT ?2"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![location, limit], order_from_row)
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(RawOrder::decode))
                .collect()
        })
        .await
    }

    async fn set_status(
        &self,
        id: &str,
        to: OrderStatus,
        by: &str,
        reason: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Order, StoreError> {
        let id = id.to_owned();
        let by = by.to_owned();
        self.write(move |tx| {
            let mut order = load_order(tx, &id)?;
            if !order.status.can_become(to) {
                return Err(StoreError::InvalidTransition {
                    from: order.status,
                    to,
                });
            }
            order.status = to;
            order.times.set(to, at);
            order.history.push(StatusChange {
                status: to,
                at,
                by,
                reason,
            });
            tx.execute(
                "UPDATE orders SET status = ?1, times = ?2, history = ?3 WHERE id = ?4",
                params![
                    to.as_str(),
                    serde_json::to_string(&order.times).map_err(backend)?,
                    serde_json::to_string(&order.history).map_err(backend)?,
                    id
                ],
            )
            .map_err(backend)?;
            Ok(order)
        })
        .await
    }

    async fn link_order(&self, order_id: &str, member_id: &str) -> Result<(), StoreError> {
        let order_id = order_id.to_owned();
        let member_id = member_id.to_owned();
        self.write(move |tx| {
            if find_member(tx, &MemberKey::Id(member_id.clone()))?.is_none() {
                return Err(StoreError::UnknownMember);
            }
            let changed = tx
                .execute(
                    "UPDATE orders SET member_id = ?1 WHERE id = ?2 AND member_id IS NULL",
                    params![member_id, order_id],
                )
                .map_err(backend)?;
            if changed == 0 {
                // Either no such order, or it belongs to a member already: say nothing more.
                let exists = count(tx, "SELECT COUNT(*) FROM orders WHERE id = ?1", [&order_id])?;
                if exists == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            Ok(())
        })
        .await
    }

    async fn sign_up(&self, member: NewMember) -> Result<SignedUp, StoreError> {
        self.write(move |tx| {
            let mut existing = None;
            if let Some(phone) = &member.phone {
                existing = find_member(tx, &MemberKey::Phone(phone.clone()))?;
            }
            if let (None, Some(email)) = (&existing, &member.email) {
                existing = find_member(tx, &MemberKey::Email(email.clone()))?;
            }
            if let Some(existing) = existing {
                return Ok(SignedUp {
                    member: existing,
                    created: false,
                    welcome: None,
                });
            }
            tx.execute(
                "INSERT INTO members (id, phone, email, name, consent_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![
                    member.id,
                    member.phone,
                    member.email,
                    member.name,
                    ts(member.consent_at)
                ],
            )
            .map_err(backend)?;
            if let Some(code) = &member.welcome {
                tx.execute(
                    "INSERT INTO issued_codes (code, coupon, member_id) VALUES (?1, ?2, ?3)",
                    params![code.code, code.coupon, member.id],
                )
                .map_err(backend)?;
            }
            let stored =
                find_member(tx, &MemberKey::Id(member.id.clone()))?.ok_or(StoreError::NotFound)?;
            Ok(SignedUp {
                member: stored,
                created: true,
                welcome: member.welcome,
            })
        })
        .await
    }

    async fn find_member(&self, key: MemberKey) -> Result<Option<Member>, StoreError> {
        self.read(move |conn| find_member(conn, &key)).await
    }

    async fn redemption_count(&self, coupon: &str) -> Result<u32, StoreError> {
        let coupon = coupon.to_owned();
        self.read(move |conn| {
            count(
                conn,
                "SELECT COUNT(*) FROM redemptions WHERE coupon = ?1",
                [coupon],
            )
        })
        .await
    }

    async fn member_redemption_count(
        &self,
        coupon: &str,
        member_id: &str,
    ) -> Result<u32, StoreError> {
        let coupon = coupon.to_owned();
        let member_id = member_id.to_owned();
        self.read(move |conn| {
            count(
                conn,
                "SELECT COUNT(*) FROM redemptions WHERE coupon = ?1 AND member_id = ?2",
                [coupon, member_id],
            )
        })
        .await
    }

    async fn redemption_counts(&self) -> Result<Vec<(String, u32)>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare("SELECT coupon, COUNT(*) FROM redemptions GROUP BY coupon ORDER BY coupon")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(backend)?;
            rows.map(|r| {
                let (coupon, n) = r.map_err(backend)?;
                Ok((coupon, u32::try_from(n).map_err(backend)?))
            })
            .collect()
        })
        .await
    }

    async fn find_issued_code(&self, code: &str) -> Result<Option<IssuedCode>, StoreError> {
        let code = code.trim().to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT code, coupon, member_id, used_by FROM issued_codes WHERE code = ?1",
                [code],
                |r| {
                    Ok(IssuedCode {
                        code: r.get(0)?,
                        coupon: r.get(1)?,
                        // Batch codes belong to no member.
                        member_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        used_by: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn sold_out(&self) -> Result<SoldOut, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare("SELECT kind, key FROM sold_out")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(backend)?;
            let mut sold_out = SoldOut::default();
            for row in rows {
                let (kind, key) = row.map_err(backend)?;
                if kind == "dish" {
                    sold_out.dishes.insert(key);
                } else {
                    sold_out.choices.insert(key);
                }
            }
            Ok(sold_out)
        })
        .await
    }

    async fn set_sold_out(&self, item: SoldOutItem, sold_out: bool) -> Result<(), StoreError> {
        let (kind, key) = sold_out_key(&item);
        self.write(move |tx| {
            let sql = if sold_out {
                "INSERT OR IGNORE INTO sold_out (kind, key) VALUES (?1, ?2)"
            } else {
                "DELETE FROM sold_out WHERE kind = ?1 AND key = ?2"
            };
            tx.execute(sql, params![kind, key]).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn create_key(&self, key: ApiKey) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO api_keys (id, hash, role, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.id, key.hash, key.role.as_str(), key.label, ts(key.created_at)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn find_key(&self, hash: &str, at: DateTime<Utc>) -> Result<Option<ApiKey>, StoreError> {
        let hash = hash.to_owned();
        self.write(move |tx| {
            let found = tx
                .query_row(
                    &format!(
                        "SELECT {KEY_COLUMNS} FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL"
                    ),
                    [&hash],
                    key_from_row,
                )
                .optional()
                .map_err(backend)?;
            let Some(cols) = found else {
                return Ok(None);
            };
            let mut key = decode_key(cols)?;
            tx.execute(
                "UPDATE api_keys SET last_used = ?1 WHERE id = ?2",
                params![ts(at), key.id],
            )
            .map_err(backend)?;
            key.last_used = Some(at);
            Ok(Some(key))
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([], key_from_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(decode_key))
                .collect()
        })
        .await
    }

    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |tx| {
            let changed = tx
                .execute(
                    "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                    params![ts(at), id],
                )
                .map_err(backend)?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute(
                "UPDATE sessions SET revoked_at = ?1 WHERE key_id = ?2 AND revoked_at IS NULL",
                params![ts(at), id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn issue_codes(&self, codes: Vec<super::BatchCode>) -> Result<u32, StoreError> {
        self.write(move |tx| marketing::issue_codes(tx, &codes))
            .await
    }

    async fn redeem_at_counter(
        &self,
        redemption: super::CounterRedemption,
    ) -> Result<(), StoreError> {
        self.write(move |tx| marketing::redeem_at_counter(tx, &redemption))
            .await
    }

    async fn member_order_count(&self, member_id: &str) -> Result<u32, StoreError> {
        let member = member_id.to_owned();
        self.read(move |conn| marketing::member_order_count(conn, &member))
            .await
    }

    async fn record_visit(&self, visit: super::Visit, cap: u32) -> Result<bool, StoreError> {
        self.write(move |tx| marketing::record_visit(tx, &visit, cap))
            .await
    }

    async fn coupon_totals(&self) -> Result<Vec<super::CouponTotal>, StoreError> {
        self.read(marketing::coupon_totals).await
    }

    async fn campaign_rows(
        &self,
        range: &super::ReportRange,
    ) -> Result<Vec<super::CampaignRow>, StoreError> {
        let range = range.clone();
        self.read(move |conn| marketing::campaign_rows(conn, &range))
            .await
    }

    async fn dish_sales(
        &self,
        range: &super::ReportRange,
    ) -> Result<Vec<super::DishRow>, StoreError> {
        let range = range.clone();
        self.read(move |conn| marketing::dish_sales(conn, &range))
            .await
    }

    async fn hourly_sales(
        &self,
        range: &super::ReportRange,
    ) -> Result<Vec<super::HourRow>, StoreError> {
        let range = range.clone();
        self.read(move |conn| marketing::hourly_sales(conn, &range))
            .await
    }

    async fn export_orders(
        &self,
        range: &super::ReportRange,
    ) -> Result<Vec<super::OrderExport>, StoreError> {
        let range = range.clone();
        self.read(move |conn| marketing::export_orders(conn, &range))
            .await
    }

    async fn export_members(
        &self,
        range: &super::ReportRange,
    ) -> Result<Vec<super::MemberExport>, StoreError> {
        let range = range.clone();
        self.read(move |conn| marketing::export_members(conn, &range))
            .await
    }

    async fn export_redemptions(
        &self,
        range: &super::ReportRange,
    ) -> Result<Vec<super::RedemptionExport>, StoreError> {
        let range = range.clone();
        self.read(move |conn| marketing::export_redemptions(conn, &range))
            .await
    }

    async fn erase_member(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |tx| marketing::erase_member(tx, &id, at))
            .await
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.write(move |tx| {
            let live = count(
                tx,
                "SELECT COUNT(*) FROM api_keys WHERE id = ?1 AND revoked_at IS NULL",
                [&session.key_id],
            )?;
            if live == 0 {
                return Err(StoreError::NotFound);
            }
            // Expired sessions are of no use to anyone: sweep them on the way.
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                [ts(session.created_at)],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO sessions (hash, key_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    session.hash,
                    session.key_id,
                    ts(session.created_at),
                    ts(session.expires_at)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn find_session(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            let found = conn
                .query_row(
                    "SELECT k.id, k.hash, k.role, k.label, k.created_at, k.last_used, k.revoked_at,
                            s.created_at, s.expires_at
                     FROM sessions s JOIN api_keys k ON k.id = s.key_id
                     WHERE s.hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                       AND k.revoked_at IS NULL",
                    params![hash, ts(at)],
                    |row| {
                        Ok((
                            key_from_row(row)?,
                            row.get::<_, String>(7)?,
                            row.get::<_, String>(8)?,
                        ))
                    },
                )
                .optional()
                .map_err(backend)?;
            let Some((cols, created, expires)) = found else {
                return Ok(None);
            };
            Ok(Some(Session {
                hash,
                key: decode_key(cols)?,
                created_at: parse_ts(&created)?,
                expires_at: parse_ts(&expires)?,
            }))
        })
        .await
    }

    async fn revoke_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |tx| {
            let known = count(tx, "SELECT COUNT(*) FROM sessions WHERE hash = ?1", [&hash])?;
            if known == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute(
                "UPDATE sessions SET revoked_at = ?1 WHERE hash = ?2 AND revoked_at IS NULL",
                params![ts(at), hash],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
