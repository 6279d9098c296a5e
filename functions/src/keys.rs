//! Secrets: order status tokens, API keys, ids, and the hashes stored in their place.
//!
//! Only SHA-256 hashes of tokens and keys reach the store. A token is also kept
//! *sealed* with the order's idempotency key (XOR with a hash of the key, whose
//! own hash is all the store holds), so a retry that presents the same key can be
//! answered with the same token while a copy of the database alone reveals none.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::store::{ApiKey, Role, Store, StoreError};

/// Bytes of randomness in a status token (128 bits).
const TOKEN_BYTES: usize = 16;
/// Bytes of randomness in an API key (256 bits).
const KEY_BYTES: usize = 32;
/// What every API key starts with, so a leaked key is easy to recognise.
pub const KEY_PREFIX: &str = "carte_";

/// SHA-256 of `data` as lower-case hex.
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

fn random_bytes<const N: usize>() -> [u8; N] {
    // ThreadRng is a CSPRNG seeded from the operating system.
    rand::random::<[u8; N]>()
}

/// A fresh random id with a short prefix saying what it names, e.g. `ord_3f…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(random_bytes::<12>()))
}

/// A fresh unguessable order status token (128 random bits, hex).
pub fn new_token() -> String {
    hex::encode(random_bytes::<TOKEN_BYTES>())
}

fn seal_pad(idempotency_key: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"carte/token-seal\0");
    hasher.update(idempotency_key.as_bytes());
    hasher.finalize().into()
}

/// The token sealed with the idempotency key (hex).
pub fn seal_token(token: &str, idempotency_key: &str) -> String {
    let pad = seal_pad(idempotency_key);
    let bytes: Vec<u8> = token
        .as_bytes()
        .iter()
        .zip(pad.iter().cycle())
        .map(|(t, p)| t ^ p)
        .collect();
    hex::encode(bytes)
}

/// The token a [`seal_token`] sealed, given the same idempotency key.
pub fn unseal_token(sealed: &str, idempotency_key: &str) -> Option<String> {
    let pad = seal_pad(idempotency_key);
    let bytes = hex::decode(sealed).ok()?;
    let plain: Vec<u8> = bytes
        .iter()
        .zip(pad.iter().cycle())
        .map(|(s, p)| s ^ p)
        .collect();
    String::from_utf8(plain).ok()
}

/// Whether `token` is the one whose hash is stored. Compares hashes, so the
/// time taken says nothing about the stored token.
pub fn token_matches(token: &str, stored_hash: &str) -> bool {
    constant_time_eq(sha256_hex(token).as_bytes(), stored_hash.as_bytes())
}

/// Whether `a` and `b` are equal, in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Creates an API key with `role`, stores its hash, and returns the key itself:
/// the only time it is ever shown.
pub async fn create_key(
    store: &dyn Store,
    role: Role,
    label: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let key = format!("{KEY_PREFIX}{}", hex::encode(random_bytes::<KEY_BYTES>()));
    store
        .create_key(ApiKey {
            id: new_id("key"),
            hash: sha256_hex(&key),
            role,
            label: label.to_owned(),
            created_at: now,
            last_used: None,
            revoked_at: None,
        })
        .await?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_with_their_key() {
        let token = new_token();
        let sealed = seal_token(&token, "key-1");
        assert_ne!(sealed, token);
        assert_eq!(
            unseal_token(&sealed, "key-1").as_deref(),
            Some(token.as_str())
        );
        assert_ne!(
            unseal_token(&sealed, "key-2").as_deref(),
            Some(token.as_str())
        );
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(token_matches(&a, &sha256_hex(&a)));
        assert!(!token_matches(&b, &sha256_hex(&a)));
    }
}
