//! Web Push subscriptions (see [`crate::store::push`]): an add counts the order's
//! others in the same writer transaction, so the cap holds under concurrent adds.

use rusqlite::params;

use super::{backend, col, count, parse_ts, query_rows, ts, unknown_order, SqliteStore};
use crate::store::push::{KEEP, MAX_PER_ORDER};
use crate::store::{PushSubscription, StoreError};

pub(super) async fn add(store: &SqliteStore, sub: PushSubscription) -> Result<bool, StoreError> {
    store
        .write(move |tx| {
            tx.execute(
                "DELETE FROM push_subscriptions WHERE created_at < ?1",
                [ts(sub.created_at - KEEP)],
            )
            .map_err(backend)?;
            let replaced = tx
                .execute(
                    "UPDATE push_subscriptions SET p256dh = ?3, auth = ?4, lang = ?5
                     WHERE order_id = ?1 AND endpoint = ?2",
                    params![sub.order_id, sub.endpoint, sub.p256dh, sub.auth, sub.lang],
                )
                .map_err(backend)?;
            if replaced > 0 {
                return Ok(true);
            }
            let held = count(
                tx,
                "SELECT COUNT(*) FROM push_subscriptions WHERE order_id = ?1",
                [&sub.order_id],
            )?;
            if held >= MAX_PER_ORDER {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO push_subscriptions (order_id, endpoint, p256dh, auth, lang, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    sub.order_id,
                    sub.endpoint,
                    sub.p256dh,
                    sub.auth,
                    sub.lang,
                    ts(sub.created_at)
                ],
            )
            .map_err(unknown_order)?;
            Ok(true)
        })
        .await
}

pub(super) async fn of_order(
    store: &SqliteStore,
    order_id: &str,
) -> Result<Vec<PushSubscription>, StoreError> {
    let order_id = order_id.to_owned();
    store
        .read(move |conn| {
            query_rows(
                conn,
                "SELECT order_id, endpoint, p256dh, auth, lang, created_at
                 FROM push_subscriptions WHERE order_id = ?1 ORDER BY created_at, endpoint",
                [&order_id],
                |row| {
                    Ok(PushSubscription {
                        order_id: col(row, 0)?,
                        endpoint: col(row, 1)?,
                        p256dh: col(row, 2)?,
                        auth: col(row, 3)?,
                        lang: col(row, 4)?,
                        created_at: parse_ts(&col::<String>(row, 5)?)?,
                    })
                },
            )
        })
        .await
}

pub(super) async fn remove(
    store: &SqliteStore,
    order_id: &str,
    endpoint: Option<&str>,
) -> Result<(), StoreError> {
    let order_id = order_id.to_owned();
    let endpoint = endpoint.map(str::to_owned);
    store
        .write(move |tx| {
            match endpoint {
                Some(endpoint) => tx.execute(
                    "DELETE FROM push_subscriptions WHERE order_id = ?1 AND endpoint = ?2",
                    params![order_id, endpoint],
                ),
                None => tx.execute(
                    "DELETE FROM push_subscriptions WHERE order_id = ?1",
                    [order_id],
                ),
            }
            .map_err(backend)?;
            Ok(())
        })
        .await
}
