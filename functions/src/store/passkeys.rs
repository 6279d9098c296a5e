//! Passkeys: the WebAuthn credentials members register on their devices, and the
//! ceremonies in flight between asking the browser and hearing back.
//!
//! A credential is kept as the relying-party library serialises it (its public key
//! and signature counter, never a secret), under its credential id, which is unique
//! across members. A ceremony's state lives a few minutes and is taken once, so an
//! answer cannot be replayed. Erasing a member removes their passkeys.

use chrono::{DateTime, Utc};

/// A passkey a member registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// The credential id, base64url without padding.
    pub credential_id: String,
    pub member_id: String,
    /// The credential as the WebAuthn library serialises it (JSON): public key and counter.
    pub passkey: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A WebAuthn ceremony in flight: registering a passkey (for `member_id`) or signing
/// in with one (no member yet: the passkey will say whose it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// The random id the browser sends back with its answer.
    pub id: String,
    /// The member registering, for a registration; `None` for a sign-in.
    pub member_id: Option<String>,
    /// The library's ceremony state (JSON), including the challenge.
    pub state: String,
    pub expires_at: DateTime<Utc>,
}
