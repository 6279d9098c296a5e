//! Live events for staff screens: an in-process broadcast that order placement,
//! status changes and sold-out switches publish to, and that the staff event
//! stream (`GET /api/staff/events`, in `api/events.rs`) listens on.
//!
//! The broadcast only reaches listeners in the same process, which is what
//! `carte serve` is: one process takes every order. A Lambda function instance
//! neither sees orders taken by other instances nor can hold a response open,
//! so production consoles poll the queue with `If-None-Match` instead (see
//! `docs/staff.md`).

use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::store::{Order, OrderStatus};

/// How many events a slow listener may fall behind before it is told to resync.
const CAPACITY: usize = 1024;

/// Something staff screens show changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StaffEvent {
    /// A new order was placed.
    Placed {
        location: String,
        order: String,
        number: String,
    },
    /// An order changed status.
    Status {
        location: String,
        order: String,
        number: String,
        status: OrderStatus,
    },
    /// A payment or refund was recorded in an order's ledger.
    Payment {
        location: String,
        order: String,
        number: String,
    },
    /// A sold-out switch was set or cleared (every location's menu may change).
    SoldOut,
}

impl StaffEvent {
    /// The event of a freshly placed order.
    pub fn placed(order: &Order) -> StaffEvent {
        StaffEvent::Placed {
            location: order.location.clone(),
            order: order.id.clone(),
            number: order.number.clone(),
        }
    }

    /// The event of an order that changed status.
    pub fn status(order: &Order) -> StaffEvent {
        StaffEvent::Status {
            location: order.location.clone(),
            order: order.id.clone(),
            number: order.number.clone(),
            status: order.status,
        }
    }

    /// The event of an order whose payment ledger grew (a payment or a refund).
    pub fn payment(order: &Order) -> StaffEvent {
        StaffEvent::Payment {
            location: order.location.clone(),
            order: order.id.clone(),
            number: order.number.clone(),
        }
    }

    pub(crate) fn concerns(&self, location: &str) -> bool {
        match self {
            StaffEvent::Placed { location: l, .. }
            | StaffEvent::Status { location: l, .. }
            | StaffEvent::Payment { location: l, .. } => l == location,
            StaffEvent::SoldOut => true,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            StaffEvent::Placed { .. } => "placed",
            StaffEvent::Status { .. } => "status",
            StaffEvent::Payment { .. } => "payment",
            StaffEvent::SoldOut => "sold_out",
        }
    }
}

/// The broadcaster every handler shares through the app state; cloning shares it.
#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<StaffEvent>,
    /// Turns `true` when the server shuts down: open streams end.
    closed: watch::Sender<bool>,
}

impl Default for Events {
    fn default() -> Self {
        Events::new()
    }
}

impl Events {
    /// A broadcaster with no listeners yet.
    pub fn new() -> Events {
        let (sender, _) = broadcast::channel(CAPACITY);
        let (closed, _) = watch::channel(false);
        Events { sender, closed }
    }

    /// Ends every open stream (a graceful shutdown would otherwise wait for
    /// every staff screen to close its page).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Tells every listener; having none is fine.
    pub fn publish(&self, event: StaffEvent) {
        let _ = self.sender.send(event);
    }

    /// Turns `true` when [`Events::close`] is called.
    pub fn on_close(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// A new listener, receiving what is published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<StaffEvent> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listeners_get_what_is_published_after_they_subscribe() {
        let events = Events::new();
        events.publish(StaffEvent::SoldOut);
        let mut listener = events.subscribe();
        let placed = StaffEvent::Placed {
            location: "alpha".into(),
            order: "ord_1".into(),
            number: "A-001".into(),
        };
        events.publish(placed.clone());
        assert_eq!(listener.recv().await.ok(), Some(placed.clone()));
        assert!(placed.concerns("alpha"));
        assert!(!placed.concerns("beta"));
        assert!(StaffEvent::SoldOut.concerns("beta"));
    }
}
