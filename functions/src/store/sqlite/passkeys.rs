//! Passkeys and WebAuthn ceremonies (see [`crate::store::passkeys`]): each change is
//! one writer transaction, so a ceremony is taken once and a credential id is
//! registered once.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{backend, col, parse_opt_ts, parse_ts, query_rows, ts, SqliteStore};
use crate::store::{Ceremony, StoreError, StoredPasskey};

const COLUMNS: &str = "p.credential_id, p.member_id, p.passkey, p.created_at, p.last_used_at";

fn decode(row: &rusqlite::Row<'_>) -> Result<StoredPasskey, StoreError> {
    Ok(StoredPasskey {
        credential_id: col(row, 0)?,
        member_id: col(row, 1)?,
        passkey: col(row, 2)?,
        created_at: parse_ts(&col::<String>(row, 3)?)?,
        last_used_at: parse_opt_ts(col(row, 4)?)?,
    })
}

pub(super) async fn save_ceremony(
    store: &SqliteStore,
    ceremony: Ceremony,
) -> Result<(), StoreError> {
    store
        .write(move |tx| {
            // Ceremonies nobody finished are of no use after they expire.
            tx.execute(
                "DELETE FROM passkey_ceremonies WHERE expires_at < ?1",
                [ts(ceremony.expires_at - chrono::Duration::hours(1))],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO passkey_ceremonies (id, member_id, state, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    ceremony.id,
                    ceremony.member_id,
                    ceremony.state,
                    ts(ceremony.expires_at)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
}

pub(super) async fn take_ceremony(
    store: &SqliteStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<Ceremony>, StoreError> {
    let id = id.to_owned();
    store
        .write(move |tx| {
            let found: Option<(Option<String>, String, String)> = tx
                .query_row(
                    "DELETE FROM passkey_ceremonies WHERE id = ?1
                     RETURNING member_id, state, expires_at",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(backend)?;
            let Some((member_id, state, expires)) = found else {
                return Ok(None);
            };
            let expires_at = parse_ts(&expires)?;
            if expires_at <= at {
                return Ok(None);
            }
            Ok(Some(Ceremony {
                id,
                member_id,
                state,
                expires_at,
            }))
        })
        .await
}

pub(super) async fn add(store: &SqliteStore, passkey: StoredPasskey) -> Result<bool, StoreError> {
    store
        .write(move |tx| {
            let live: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM members WHERE id = ?1 AND erased_at IS NULL",
                    [&passkey.member_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            if live.is_none() {
                return Err(StoreError::UnknownMember);
            }
            let added = tx
                .execute(
                    "INSERT INTO passkeys (credential_id, member_id, passkey, created_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (credential_id) DO NOTHING",
                    params![
                        passkey.credential_id,
                        passkey.member_id,
                        passkey.passkey,
                        ts(passkey.created_at)
                    ],
                )
                .map_err(backend)?;
            Ok(added == 1)
        })
        .await
}

pub(super) async fn find(
    store: &SqliteStore,
    credential_id: &str,
) -> Result<Option<StoredPasskey>, StoreError> {
    let credential_id = credential_id.to_owned();
    store
        .read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM passkeys p JOIN members m ON m.id = p.member_id
                 WHERE p.credential_id = ?1 AND m.erased_at IS NULL"
            );
            Ok(query_rows(conn, &sql, [&credential_id], decode)?.pop())
        })
        .await
}

pub(super) async fn of_member(
    store: &SqliteStore,
    member_id: &str,
) -> Result<Vec<StoredPasskey>, StoreError> {
    let member_id = member_id.to_owned();
    store
        .read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM passkeys p WHERE p.member_id = ?1
                 ORDER BY p.created_at, p.credential_id"
            );
            query_rows(conn, &sql, [&member_id], decode)
        })
        .await
}

pub(super) async fn touch(
    store: &SqliteStore,
    credential_id: &str,
    passkey: String,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let credential_id = credential_id.to_owned();
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE passkeys SET passkey = ?1, last_used_at = ?2 WHERE credential_id = ?3",
                params![passkey, ts(at), credential_id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
}

pub(super) async fn remove(
    store: &SqliteStore,
    member_id: &str,
    credential_id: &str,
) -> Result<bool, StoreError> {
    let (member_id, credential_id) = (member_id.to_owned(), credential_id.to_owned());
    store
        .write(move |tx| {
            let removed = tx
                .execute(
                    "DELETE FROM passkeys WHERE member_id = ?1 AND credential_id = ?2",
                    params![member_id, credential_id],
                )
                .map_err(backend)?;
            Ok(removed == 1)
        })
        .await
}
