//! Browser sessions of API keys (the staff console): only the SHA-256 of a
//! session's token is stored. A session is live while it is not signed out,
//! not expired, and its key is not revoked.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::staff::{decode_key, key_from_row};
use super::{backend, count, parse_ts, ts, SqliteStore};
use crate::store::{NewSession, Session, StoreError};

pub(super) async fn create(store: &SqliteStore, session: NewSession) -> Result<(), StoreError> {
    store
        .write(move |tx| {
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

pub(super) async fn find(
    store: &SqliteStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let hash = hash.to_owned();
    store
        .read(move |conn| {
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

pub(super) async fn revoke(
    store: &SqliteStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let hash = hash.to_owned();
    store
        .write(move |tx| {
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
