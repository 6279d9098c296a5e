//! The member's own data, as the "my account" page reads and changes it: their
//! orders, the codes issued to them, and the withdrawal of their consent.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::orders::{order_from_row, RawOrder, ORDER_COLUMNS};
use super::{backend, col, query_rows, ts, SqliteStore};
use crate::store::{IssuedCode, Order, StoreError};

pub(super) async fn member_orders(
    store: &SqliteStore,
    member_id: &str,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let member_id = member_id.to_owned();
    store
        .read(move |conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE member_id = ?1
                     ORDER BY placed_at DESC, rowid DESC LIMIT ?2"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![member_id, limit], order_from_row)
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(RawOrder::decode))
                .collect()
        })
        .await
}

pub(super) async fn member_codes(
    store: &SqliteStore,
    member_id: &str,
) -> Result<Vec<IssuedCode>, StoreError> {
    let member_id = member_id.to_owned();
    store
        .read(move |conn| {
            query_rows(
                conn,
                "SELECT code, coupon, member_id, used_by, channel FROM issued_codes
                 WHERE member_id = ?1 ORDER BY code",
                [member_id],
                |r| {
                    Ok(IssuedCode {
                        code: col(r, 0)?,
                        coupon: col(r, 1)?,
                        member_id: col(r, 2)?,
                        used_by: col(r, 3)?,
                        channel: col(r, 4)?,
                    })
                },
            )
        })
        .await
}

pub(super) async fn withdraw_consent(
    store: &SqliteStore,
    member_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let member_id = member_id.to_owned();
    store
        .write(move |tx| {
            let changed = tx
                .execute(
                    "UPDATE members SET consent_withdrawn_at = COALESCE(consent_withdrawn_at, ?1)
                     WHERE id = ?2",
                    params![ts(at), member_id],
                )
                .map_err(backend)?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
}
