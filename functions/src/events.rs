//! Live events for staff screens: an in-process broadcast that order placement,
//! status changes and sold-out switches publish to, and the Server-Sent Events
//! stream (`GET /api/staff/events?location=…`) that staff consoles listen on.
//!
//! The broadcast only reaches listeners in the same process, which is what
//! `carte serve` is: one process takes every order. A Lambda function instance
//! neither sees orders taken by other instances nor can hold a response open,
//! so production consoles poll the queue with `If-None-Match` instead (see
//! `docs/staff.md`); the stream is mounted only by [`crate::router`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use crate::orders::query_param;
use crate::problem::{ApiError, FieldError};
use crate::session::{self, Access};
use crate::state::AppState;
use crate::store::{Order, OrderStatus, Role};

/// How many events a slow listener may fall behind before it is told to resync.
const CAPACITY: usize = 1024;
/// How often an open stream checks that its session or key is still live, so
/// signing out or revoking the key also ends the streams already open.
pub const RECHECK: Duration = Duration::from_secs(5);

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

    fn concerns(&self, location: &str) -> bool {
        match self {
            StaffEvent::Placed { location: l, .. } | StaffEvent::Status { location: l, .. } => {
                l == location
            }
            StaffEvent::SoldOut => true,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            StaffEvent::Placed { .. } => "placed",
            StaffEvent::Status { .. } => "status",
            StaffEvent::SoldOut => "sold_out",
        }
    }
}

/// The broadcaster in [`AppState`]; cloning shares it.
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

    /// A new listener, receiving what is published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<StaffEvent> {
        self.sender.subscribe()
    }
}

fn sse_event(event: &StaffEvent) -> Event {
    Event::default()
        .event(event.name())
        .data(serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned()))
}

/// The live event stream of one location for staff screens.
///
/// Starts with a `ready` event; then `placed`, `status` and `sold_out` events as
/// they happen, `resync` when this listener fell behind (fetch the queue again),
/// and `ended` just before the stream closes because the session or key ended.
#[utoipa::path(
    get,
    path = "/api/staff/events",
    tag = "staff",
    params(("location" = String, Query, description = "Location id")),
    security(("api_key" = []), ("session" = [])),
    responses(
        (status = 200, description = "A text/event-stream of order events", content_type = "text/event-stream", body = String),
        (status = 401, description = "No live session or API key", body = crate::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key, or a cross-site request", body = crate::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Unknown location", body = crate::problem::ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    session::authorize(&state, &headers, Role::Staff, Access::Read).await?;
    let location = query_param(query.as_deref(), "location").unwrap_or_default();
    if state.catalog().site.location(&location).is_none() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "location",
            "no location with this id",
        )]));
    }
    // Subscribe before answering, so nothing published after the answer is missed.
    let mut events = state.events.subscribe();
    let mut closed = state.events.closed.subscribe();
    if *closed.borrow() {
        return Err(ApiError::NotFound);
    }
    let (tx, rx) = mpsc::channel::<Event>(64);
    tokio::spawn(async move {
        let ready = Event::default()
            .event("ready")
            .retry(Duration::from_secs(1))
            .data("{}");
        if tx.send(ready).await.is_err() {
            return;
        }
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.tick().await;
        loop {
            let next = tokio::select! {
                got = events.recv() => match got {
                    Ok(event) if event.concerns(&location) => Some(sse_event(&event)),
                    Ok(_) => None,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        Some(Event::default().event("resync").data("{}"))
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = recheck.tick() => {
                    match session::authorize(&state, &headers, Role::Staff, Access::Read).await {
                        Ok(_) => None,
                        Err(ApiError::Store(_)) => None,
                        Err(_) => {
                            let _ = tx.send(Event::default().event("ended").data("{}")).await;
                            break;
                        }
                    }
                },
                _ = tx.closed() => break,
                _ = closed.changed() => break,
            };
            if let Some(event) = next {
                if tx.send(event).await.is_err() {
                    break;
                }
            }
        }
    });
    let body = ReceiverStream::new(rx).map(Ok::<_, Infallible>);
    let mut response = Sse::new(body)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
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
