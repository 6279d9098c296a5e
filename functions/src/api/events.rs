//! The Server-Sent Events stream (`GET /api/staff/events?location=…`) that staff
//! consoles listen on, fed by the in-process [`crate::events::Events`] broadcast. It is mounted only
//! by the one-process router of `carte serve` (see [`crate::events`] for why).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::api::auth::{self, Access};
use crate::api::extract::query_param;
use crate::api::problem::{ApiError, FieldError};
use crate::events::StaffEvent;
use crate::state::AppState;
use crate::store::Role;

/// How often an open stream checks that its session or key is still live, so
/// signing out or revoking the key also ends the streams already open.
pub const RECHECK: Duration = Duration::from_secs(5);

fn sse_event(event: &StaffEvent) -> Event {
    Event::default()
        .event(event.name())
        .data(serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned()))
}

/// The live event stream of one location for staff screens.
///
/// Starts with a `ready` event; then `placed`, `status`, `payment` and `sold_out` events as
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
        (status = 401, description = "No live session or API key", body = crate::api::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key, or a cross-site request", body = crate::api::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Unknown location", body = crate::api::problem::ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    auth::authorize(&state, &headers, Role::Staff, Access::Read).await?;
    let location = query_param(query.as_deref(), "location").unwrap_or_default();
    if state.catalog().site.location(&location).is_none() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "location",
            "no location with this id",
        )]));
    }
    // Subscribe before answering, so nothing published after the answer is missed.
    let mut events = state.events.subscribe();
    let mut closed = state.events.on_close();
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
                    match auth::authorize(&state, &headers, Role::Staff, Access::Read).await {
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
