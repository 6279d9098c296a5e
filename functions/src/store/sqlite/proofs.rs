//! One-time codes and member sessions (see [`crate::store::proofs`]): each check and
//! change is one writer transaction, so racing tries of one code are counted one by one.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::members::find_in;
use super::{backend, count, parse_ts, ts, SqliteStore};
use crate::store::proofs::rate_hour;
use crate::store::{CodeCheck, MemberKey, MemberSession, NewCode, NewMemberSession, StoreError};

pub(super) async fn issue(
    store: &SqliteStore,
    code: NewCode,
    per_hour: u32,
) -> Result<bool, StoreError> {
    store
        .write(move |tx| {
            let sent = count(
                tx,
                "SELECT COUNT(*) FROM proof_codes WHERE address = ?1 AND created_at >= ?2",
                params![code.address, ts(rate_hour(code.created_at))],
            )?;
            if sent >= per_hour {
                return Ok(false);
            }
            // Old codes are of no use: only the latest per address is live.
            tx.execute(
                "UPDATE proof_codes SET spent = 1 WHERE address = ?1",
                [&code.address],
            )
            .map_err(backend)?;
            tx.execute(
                "DELETE FROM proof_codes WHERE created_at < ?1",
                [ts(rate_hour(code.created_at) - chrono::Duration::hours(1))],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO proof_codes (address, code_hash, created_at, expires_at, tries, spent)
                 VALUES (?1, ?2, ?3, ?4, 0, 0)",
                params![
                    code.address,
                    code.code_hash,
                    ts(code.created_at),
                    ts(code.expires_at)
                ],
            )
            .map_err(backend)?;
            Ok(true)
        })
        .await
}

pub(super) async fn redeem(
    store: &SqliteStore,
    address: &str,
    code_hash: &str,
    at: DateTime<Utc>,
    max_tries: u32,
) -> Result<CodeCheck, StoreError> {
    let address = address.to_owned();
    let code_hash = code_hash.to_owned();
    store
        .write(move |tx| {
            let live: Option<(i64, String, u32)> = tx
                .query_row(
                    "SELECT rowid, code_hash, tries FROM proof_codes
                     WHERE address = ?1 AND spent = 0 AND expires_at > ?2
                     ORDER BY rowid DESC LIMIT 1",
                    params![address, ts(at)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(backend)?;
            let Some((row, stored, tries)) = live else {
                return Ok(CodeCheck::Spent);
            };
            if tries >= max_tries {
                return Ok(CodeCheck::Spent);
            }
            if crate::keys::constant_time_eq(stored.as_bytes(), code_hash.as_bytes()) {
                tx.execute("UPDATE proof_codes SET spent = 1 WHERE rowid = ?1", [row])
                    .map_err(backend)?;
                return Ok(CodeCheck::Proven);
            }
            tx.execute(
                "UPDATE proof_codes SET tries = tries + 1 WHERE rowid = ?1",
                [row],
            )
            .map_err(backend)?;
            Ok(CodeCheck::Wrong {
                tries_left: max_tries - tries - 1,
            })
        })
        .await
}

pub(super) async fn create_session(
    store: &SqliteStore,
    session: NewMemberSession,
) -> Result<(), StoreError> {
    store
        .write(move |tx| {
            let live = count(
                tx,
                "SELECT COUNT(*) FROM members WHERE id = ?1 AND erased_at IS NULL",
                [&session.member_id],
            )?;
            if live == 0 {
                return Err(StoreError::UnknownMember);
            }
            tx.execute(
                "DELETE FROM member_sessions WHERE expires_at < ?1",
                [ts(session.created_at)],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO member_sessions (hash, member_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    session.hash,
                    session.member_id,
                    ts(session.created_at),
                    ts(session.expires_at)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
}

pub(super) async fn find_session(
    store: &SqliteStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<MemberSession>, StoreError> {
    let hash = hash.to_owned();
    store
        .read(move |conn| {
            let found: Option<(String, String, String)> = conn
                .query_row(
                    "SELECT s.member_id, s.created_at, s.expires_at
                     FROM member_sessions s JOIN members m ON m.id = s.member_id
                     WHERE s.hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                       AND m.erased_at IS NULL",
                    params![hash, ts(at)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(backend)?;
            let Some((member_id, created, expires)) = found else {
                return Ok(None);
            };
            let Some(member) = find_in(conn, &MemberKey::Id(member_id))? else {
                return Ok(None);
            };
            Ok(Some(MemberSession {
                hash,
                member,
                created_at: parse_ts(&created)?,
                expires_at: parse_ts(&expires)?,
            }))
        })
        .await
}

pub(super) async fn revoke_session(
    store: &SqliteStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let hash = hash.to_owned();
    store
        .write(move |tx| {
            tx.execute(
                "UPDATE member_sessions SET revoked_at = ?1 WHERE hash = ?2 AND revoked_at IS NULL",
                params![ts(at), hash],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
}
