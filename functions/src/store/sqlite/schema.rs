//! The SQL schema: the versioned migrations, and the settings every
//! connection runs with.

use rusqlite::{Connection, TransactionBehavior};

use super::backend;
use crate::store::StoreError;

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
    MARKETING,
    // 4: the one attribution rule: a printed batch's channel, a member's sign-up touch.
    "ALTER TABLE issued_codes ADD COLUMN channel TEXT;
    ALTER TABLE members ADD COLUMN campaign TEXT;
    ALTER TABLE members ADD COLUMN channel TEXT;
    ALTER TABLE members ADD COLUMN location TEXT;
    CREATE INDEX members_by_created ON members(created_at);",
    // 5: each order's append-only payment ledger; an entry's event key (a provider
    // event, a staff request) is unique, so it is applied once.
    "CREATE TABLE payments (
        order_id TEXT NOT NULL REFERENCES orders(id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        method TEXT NOT NULL,
        amount INTEGER NOT NULL,
        currency TEXT NOT NULL,
        reference TEXT,
        at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        event_key TEXT UNIQUE,
        PRIMARY KEY (order_id, seq)
    );",
    // 6: a cancelled (or expired) order gives its coupon redemption back to the
    // budget; the redemption moves here, so nothing about it is lost. And ledger
    // entries by the time they were recorded, for settlement and the payments export.
    "CREATE TABLE returned_redemptions (
        id TEXT PRIMARY KEY,
        order_id TEXT REFERENCES orders(id),
        source TEXT NOT NULL,
        coupon TEXT NOT NULL,
        campaign TEXT NOT NULL,
        channel TEXT,
        location TEXT,
        member_id TEXT,
        issued_code TEXT,
        amount INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        by_label TEXT,
        at TEXT NOT NULL,
        returned_at TEXT NOT NULL
    );
    CREATE INDEX payments_by_at ON payments(at);",
    // 7: what diners prove: one-time codes (hashed, counted per address and hour)
    // and member sessions (the hash of the cookie's token).
    "CREATE TABLE proof_codes (
        address TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        tries INTEGER NOT NULL,
        spent INTEGER NOT NULL
    );
    CREATE INDEX proof_codes_by_address ON proof_codes(address, created_at);
    CREATE TABLE member_sessions (
        hash TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE INDEX member_sessions_by_member ON member_sessions(member_id);",
    // 8: passkeys members registered (public keys and counters, never a secret), and
    // the WebAuthn ceremonies in flight.
    "CREATE TABLE passkeys (
        credential_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(id),
        passkey TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    CREATE INDEX passkeys_by_member ON passkeys(member_id, created_at);
    CREATE TABLE passkey_ceremonies (
        id TEXT PRIMARY KEY,
        member_id TEXT,
        state TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );",
    // 9: the member's own data (the "my account" page): a withdrawal of consent, and
    // the member's orders and issued codes read by member.
    "ALTER TABLE members ADD COLUMN consent_withdrawn_at TEXT;
    CREATE INDEX orders_by_member_placed ON orders(member_id, placed_at)
        WHERE member_id IS NOT NULL;
    CREATE INDEX issued_codes_by_member ON issued_codes(member_id)
        WHERE member_id IS NOT NULL;",
    // 10: idempotency keys expire (in epoch seconds, like DynamoDB's TTL attribute);
    // the keys kept so far get a full day from the upgrade.
    "ALTER TABLE idempotency ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
    UPDATE idempotency SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) + 86400;
    CREATE INDEX idempotency_by_expiry ON idempotency(expires_at);",
    // 11: Web Push subscriptions, one per order and browser, kept until the order is over.
    "CREATE TABLE push_subscriptions (
        order_id TEXT NOT NULL REFERENCES orders(id),
        endpoint TEXT NOT NULL,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        lang TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (order_id, endpoint)
    );
    CREATE INDEX push_subscriptions_by_age ON push_subscriptions(created_at);",
    // 12: ratings after the meal, one per order.
    "CREATE TABLE ratings (
        order_id TEXT PRIMARY KEY REFERENCES orders(id),
        location TEXT NOT NULL,
        campaign TEXT,
        stars INTEGER NOT NULL,
        note TEXT,
        dishes TEXT NOT NULL,
        rated_at TEXT NOT NULL
    );
    CREATE INDEX ratings_by_time ON ratings(rated_at);",
];

/// Schema migration 3: the marketing loop.
const MARKETING: &str = "
    ALTER TABLE orders ADD COLUMN first_touch TEXT;
    ALTER TABLE orders ADD COLUMN last_touch TEXT;
    CREATE INDEX orders_by_campaign ON orders(campaign, placed_at);
    CREATE INDEX orders_by_placed ON orders(placed_at);
    ALTER TABLE members ADD COLUMN erased_at TEXT;
    CREATE TABLE redemptions_v3 (
        id TEXT PRIMARY KEY,
        order_id TEXT UNIQUE REFERENCES orders(id),
        source TEXT NOT NULL,
        coupon TEXT NOT NULL,
        campaign TEXT NOT NULL,
        channel TEXT,
        location TEXT,
        member_id TEXT,
        issued_code TEXT,
        amount INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        by_label TEXT,
        at TEXT NOT NULL
    );
    INSERT INTO redemptions_v3
        (id, order_id, source, coupon, campaign, channel, location, member_id, issued_code,
         amount, discount, at)
        SELECT r.order_id, r.order_id, 'online', r.coupon, r.campaign,
               CASE WHEN o.campaign = r.campaign THEN o.channel END, o.location,
               r.member_id, r.issued_code, COALESCE(o.total, 0), r.discount, r.at
        FROM redemptions r LEFT JOIN orders o ON o.id = r.order_id;
    DROP TABLE redemptions;
    ALTER TABLE redemptions_v3 RENAME TO redemptions;
    CREATE INDEX redemptions_by_coupon ON redemptions(coupon, member_id);
    CREATE INDEX redemptions_by_at ON redemptions(at);
    CREATE TABLE issued_codes_v3 (
        code TEXT PRIMARY KEY COLLATE NOCASE,
        coupon TEXT NOT NULL,
        member_id TEXT REFERENCES members(id),
        used_by TEXT,
        campaign TEXT,
        batch TEXT,
        created_at TEXT,
        used_at TEXT,
        used_via TEXT
    );
    INSERT INTO issued_codes_v3 (code, coupon, member_id, used_by)
        SELECT code, coupon, member_id, used_by FROM issued_codes;
    DROP TABLE issued_codes;
    ALTER TABLE issued_codes_v3 RENAME TO issued_codes;
    CREATE TABLE visits (
        day TEXT NOT NULL,
        campaign TEXT NOT NULL,
        channel TEXT NOT NULL,
        location TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, campaign, channel, location)
    );";

/// The settings every connection runs with: WAL, durable commits, foreign
/// keys, and a wait instead of a failure when another process writes.
pub(super) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(backend)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(backend)
}

/// Applies the migrations the file has not seen yet, in one transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
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
