//! Members, unique per phone and per email, and their issued single-use codes.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{backend, parse_ts, ts, SqliteStore};
use crate::store::{IssuedCode, Member, MemberKey, NewMember, SignedUp, StoreError};

type RawMember = (Member, String, String, Option<String>);

fn member_from_row(row: &Row<'_>) -> rusqlite::Result<RawMember> {
    Ok((
        Member {
            id: row.get(0)?,
            phone: row.get(1)?,
            email: row.get(2)?,
            name: row.get(3)?,
            // Filled in by the caller after parsing the text columns below.
            consent_at: DateTime::<Utc>::UNIX_EPOCH,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            consent_withdrawn_at: None,
        },
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

/// A member by id, phone or email, read on `conn`.
pub(super) fn find_in(conn: &Connection, key: &MemberKey) -> Result<Option<Member>, StoreError> {
    let (column, value) = match key {
        MemberKey::Id(v) => ("id", v),
        MemberKey::Phone(v) => ("phone", v),
        MemberKey::Email(v) => ("email", v),
    };
    let found = conn
        .query_row(
            &format!(
                "SELECT id, phone, email, name, consent_at, created_at, consent_withdrawn_at
                 FROM members WHERE {column} = ?1"
            ),
            [value],
            member_from_row,
        )
        .optional()
        .map_err(backend)?;
    found
        .map(|(mut member, consent, created, withdrawn)| {
            member.consent_at = parse_ts(&consent)?;
            member.created_at = parse_ts(&created)?;
            member.consent_withdrawn_at = super::parse_opt_ts(withdrawn)?;
            Ok(member)
        })
        .transpose()
}

pub(super) async fn sign_up(
    store: &SqliteStore,
    member: NewMember,
) -> Result<SignedUp, StoreError> {
    store
        .write(move |tx| {
            let mut existing = None;
            if let Some(phone) = &member.phone {
                existing = find_in(tx, &MemberKey::Phone(phone.clone()))?;
            }
            if let (None, Some(email)) = (&existing, &member.email) {
                existing = find_in(tx, &MemberKey::Email(email.clone()))?;
            }
            if let Some(existing) = existing {
                return Ok(SignedUp {
                    member: existing,
                    created: false,
                    welcome: None,
                });
            }
            tx.execute(
                "INSERT INTO members (id, phone, email, name, consent_at, created_at,
                     campaign, channel, location)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
                params![
                    member.id,
                    member.phone,
                    member.email,
                    member.name,
                    ts(member.consent_at),
                    member.attribution.as_ref().map(|a| &a.campaign),
                    member.attribution.as_ref().map(|a| &a.channel),
                    member.location
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
                find_in(tx, &MemberKey::Id(member.id.clone()))?.ok_or(StoreError::NotFound)?;
            Ok(SignedUp {
                member: stored,
                created: true,
                welcome: member.welcome,
            })
        })
        .await
}

pub(super) async fn find(
    store: &SqliteStore,
    key: MemberKey,
) -> Result<Option<Member>, StoreError> {
    store.read(move |conn| find_in(conn, &key)).await
}

pub(super) async fn find_issued_code(
    store: &SqliteStore,
    code: &str,
) -> Result<Option<IssuedCode>, StoreError> {
    let code = code.trim().to_owned();
    store
        .read(move |conn| {
            conn.query_row(
                "SELECT code, coupon, member_id, used_by, channel FROM issued_codes WHERE code = ?1",
                [code],
                |r| {
                    Ok(IssuedCode {
                        code: r.get(0)?,
                        coupon: r.get(1)?,
                        // Batch codes belong to no member.
                        member_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        used_by: r.get(3)?,
                        channel: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
}
