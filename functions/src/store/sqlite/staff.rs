//! Sold-out switches and API keys.

use catalog::SoldOut;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use super::{backend, parse_opt_ts, parse_ts, ts, SqliteStore};
use crate::store::{ApiKey, Role, SoldOutItem, StoreError};

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

pub(super) async fn sold_out(store: &SqliteStore) -> Result<SoldOut, StoreError> {
    store
        .read(|conn| {
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

pub(super) async fn set_sold_out(
    store: &SqliteStore,
    item: SoldOutItem,
    sold_out: bool,
) -> Result<(), StoreError> {
    let (kind, key) = sold_out_key(&item);
    store
        .write(move |tx| {
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

pub(super) const KEY_COLUMNS: &str = "id, hash, role, label, created_at, last_used, revoked_at";

pub(super) fn key_from_row(row: &Row<'_>) -> rusqlite::Result<[Option<String>; 7]> {
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

pub(super) fn decode_key(cols: [Option<String>; 7]) -> Result<ApiKey, StoreError> {
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

pub(super) async fn create_key(store: &SqliteStore, key: ApiKey) -> Result<(), StoreError> {
    store
        .write(move |tx| {
            tx.execute(
            "INSERT INTO api_keys (id, hash, role, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key.id, key.hash, key.role.as_str(), key.label, ts(key.created_at)],
        )
        .map_err(backend)?;
            Ok(())
        })
        .await
}

pub(super) async fn find_key(
    store: &SqliteStore,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<ApiKey>, StoreError> {
    let hash = hash.to_owned();
    store
        .write(move |tx| {
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

pub(super) async fn list_keys(store: &SqliteStore) -> Result<Vec<ApiKey>, StoreError> {
    store
        .read(|conn| {
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

pub(super) async fn revoke_key(
    store: &SqliteStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = id.to_owned();
    store
        .write(move |tx| {
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
