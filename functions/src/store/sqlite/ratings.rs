//! Ratings (see [`crate::store::ratings`]): one row per order, its primary key the
//! order's id, so of two ratings of one order the second inserts nothing.

use rusqlite::{params, OptionalExtension};

use super::{backend, col, parse_ts, query_rows, ts, unknown_order, SqliteStore};
use crate::store::{DishRating, Rating, ReportRange, StoreError};

const COLUMNS: &str = "order_id, location, campaign, stars, note, dishes, rated_at";

fn decode(row: &rusqlite::Row<'_>) -> Result<Rating, StoreError> {
    let dishes: String = col(row, 5)?;
    Ok(Rating {
        order_id: col(row, 0)?,
        location: col(row, 1)?,
        campaign: col(row, 2)?,
        stars: col(row, 3)?,
        note: col(row, 4)?,
        dishes: serde_json::from_str::<Vec<DishRating>>(&dishes).map_err(backend)?,
        at: parse_ts(&col::<String>(row, 6)?)?,
    })
}

pub(super) async fn rate(store: &SqliteStore, rating: Rating) -> Result<bool, StoreError> {
    let dishes = serde_json::to_string(&rating.dishes).map_err(backend)?;
    store
        .write(move |tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO ratings (order_id, location, campaign, stars, note, dishes, rated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (order_id) DO NOTHING",
                    params![
                        rating.order_id,
                        rating.location,
                        rating.campaign,
                        rating.stars,
                        rating.note,
                        dishes,
                        ts(rating.at)
                    ],
                )
                .map_err(unknown_order)?;
            Ok(inserted == 1)
        })
        .await
}

pub(super) async fn of_order(
    store: &SqliteStore,
    order_id: &str,
) -> Result<Option<Rating>, StoreError> {
    let order_id = order_id.to_owned();
    store
        .read(move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM ratings WHERE order_id = ?1");
            let mut stmt = conn.prepare(&sql).map_err(backend)?;
            let row = stmt
                .query_row([&order_id], |row| Ok(decode(row)))
                .optional()
                .map_err(backend)?;
            row.transpose()
        })
        .await
}

pub(super) async fn in_range(
    store: &SqliteStore,
    range: &ReportRange,
) -> Result<Vec<Rating>, StoreError> {
    let (start, end, location) = (ts(range.start), ts(range.end), range.location.clone());
    store
        .read(move |conn| {
            query_rows(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM ratings
                     WHERE rated_at >= ?1 AND rated_at < ?2 AND (?3 IS NULL OR location = ?3)
                     ORDER BY rated_at, order_id"
                ),
                params![start, end, location],
                decode,
            )
        })
        .await
}
