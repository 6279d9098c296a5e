//! Web Push subscriptions: where a diner's browser asked to be told that an order is
//! ready. A subscription belongs to one order and is kept until the order is completed
//! or cancelled (DynamoDB's TTL and SQLite's next write also drop those older than
//! [`KEEP`]). Its endpoint is the browser's push service URL; its keys encrypt the
//! message for that browser only (RFC 8291), so the push service cannot read it.

use chrono::{DateTime, Utc};

/// The most subscriptions one order keeps (a diner's phone, tablet and laptop).
pub const MAX_PER_ORDER: u32 = 5;

/// How long a subscription is kept at most.
pub const KEEP: chrono::Duration = chrono::Duration::days(2);

/// One browser's push subscription for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub order_id: String,
    /// The push service URL the message is POSTed to.
    pub endpoint: String,
    /// The browser's P-256 public key, base64url (65 bytes, uncompressed).
    pub p256dh: String,
    /// The browser's authentication secret, base64url (16 bytes).
    pub auth: String,
    /// The language the message is written in.
    pub lang: String,
    pub created_at: DateTime<Utc>,
}
