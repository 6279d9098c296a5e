//! When an open order will likely be ready, from the location's own recent orders.
//!
//! Kept simple so the diner can be told how it is counted: the median time from
//! "received" to "ready" of the location's last [`SAMPLE`] orders that reached
//! "ready", added to when this order was received (a pickup order is never ready
//! before its slot). With fewer than [`MIN_SAMPLES`] such orders it falls back to the
//! location's pickup lead time, else there is no time, only the place in the queue.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use catalog::{Fulfilment, Location};

use crate::store::{Order, OrderStatus, Store, StoreError};

/// How many recent orders the median is taken over.
pub const SAMPLE: u32 = 20;
/// Below this many recent orders the median says too little.
pub const MIN_SAMPLES: usize = 3;
/// At most this many open orders are counted ahead of one.
const OPEN_LIMIT: u32 = 500;

/// An open order's expected ready time and place in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Estimate {
    /// Open orders of the same location received before this one.
    pub ahead: u32,
    /// When the order should be ready; absent when nothing to count it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ready_at: Option<DateTime<Utc>>,
    /// The minutes from received to ready the time is counted with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
    /// `recent` (the median of `samples` recent orders), `lead_time` (the
    /// location's pickup lead time) or `none`.
    pub basis: &'static str,
    /// How many recent orders the median was taken over (0 unless `recent`).
    pub samples: u32,
}

/// The estimate for `order` from the location's open orders and its recently
/// readied ones (each as the store's queue returns them). `None` once the order is
/// ready, completed or cancelled.
pub fn estimate(
    order: &Order,
    location: Option<&Location>,
    open: &[Order],
    recently_ready: &[Order],
) -> Option<Estimate> {
    if !matches!(
        order.status,
        OrderStatus::Received | OrderStatus::Accepted | OrderStatus::Preparing
    ) {
        return None;
    }
    let received = order.times.received;
    let ahead = open
        .iter()
        .filter(|o| o.id != order.id)
        .filter(|o| match (o.times.received, received) {
            (Some(theirs), Some(ours)) => theirs < ours || (theirs == ours && o.id < order.id),
            _ => false,
        })
        .count();
    let mut durations: Vec<i64> = recently_ready
        .iter()
        .filter_map(|o| Some((o.times.ready? - o.times.received?).num_seconds()))
        .filter(|s| *s >= 0)
        .collect();
    durations.sort_unstable();
    let (basis, seconds) = if durations.len() >= MIN_SAMPLES {
        ("recent", Some(durations[durations.len() / 2]))
    } else if let Some(pickup) = location.and_then(|l| l.pickup) {
        ("lead_time", Some(i64::from(pickup.lead_minutes) * 60))
    } else {
        ("none", None)
    };
    let ready_at = match (received, seconds) {
        (Some(at), Some(s)) => {
            let at = at + Duration::seconds(s);
            Some(match order.cart.fulfilment {
                Fulfilment::Pickup { slot } => at.max(slot),
                Fulfilment::DineIn { .. } => at,
            })
        }
        _ => None,
    };
    Some(Estimate {
        ahead: u32::try_from(ahead).unwrap_or(u32::MAX),
        ready_at,
        // Rounded up to whole minutes, at least one.
        minutes: seconds.map(|s| ((s + 59) / 60).max(1)),
        basis,
        samples: if basis == "recent" {
            u32::try_from(durations.len()).unwrap_or(u32::MAX)
        } else {
            0
        },
    })
}

/// Reads what [`estimate`] needs from the store: two queue reads of the location.
pub async fn for_order(
    store: &dyn Store,
    order: &Order,
    location: Option<&Location>,
) -> Result<Option<Estimate>, StoreError> {
    if !matches!(
        order.status,
        OrderStatus::Received | OrderStatus::Accepted | OrderStatus::Preparing
    ) {
        return Ok(None);
    }
    let open = store
        .queue(
            &order.location,
            &[
                OrderStatus::Received,
                OrderStatus::Accepted,
                OrderStatus::Preparing,
            ],
            OPEN_LIMIT,
        )
        .await?;
    let ready = store
        .queue(
            &order.location,
            &[OrderStatus::Ready, OrderStatus::Completed],
            SAMPLE,
        )
        .await?;
    Ok(estimate(order, location, &open, &ready))
}
