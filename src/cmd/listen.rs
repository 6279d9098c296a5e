//! The HTTP/1.1 server of `carte serve`: every connection under a deadline and a cap
//! on how many are open, so idle or slow clients cannot hold the server.
//!
//! `axum::serve` keeps a connection for as long as its client likes: one that sends
//! nothing, half a request line or half a body holds a socket forever, and enough
//! of them exhaust the process's file descriptors (then nobody gets an answer). Here:
//!
//! - **header read timeout** ([`Limits::header_read`]): the request line and
//!   headers must arrive within it, counted from when the server starts waiting
//!   for them — on a new connection, and again on a kept-alive one after each
//!   answer, so it is also the **idle keep-alive timeout** (hyper's HTTP/1 timer
//!   runs whenever the connection waits for a request head);
//! - **body read timeout** ([`Limits::body_read`]): a request body must be read
//!   whole within it (tower-http's `RequestBodyTimeout`, in `serve::app`); a body
//!   that stalls ends in an error answer and the connection is closed;
//! - **connection cap** ([`Limits::max_connections`]): at most this many
//!   connections are open at once, so they never take the file descriptors the
//!   store and the answers need. A new connection past the cap closes the oldest
//!   one that has not sent a whole request yet (a client holding sockets open
//!   without using them loses them first, and a real request gets in at once);
//!   when every open connection has served a request, the new one is closed and
//!   its client tries again (those close within the idle timeout). The cap is
//!   lowered to fit under the process's open-file limit where the system tells
//!   it (macOS allows 256 by default, Linux often 1,024).
//!
//! Answers themselves are not timed: the live-reload and staff event streams are
//! long answers on purpose, and end when the server stops.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, Semaphore};
use tower::ServiceExt;

/// How long a client may take over each part of a connection, and how many may
/// be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// To send a request's line and headers, and to send the next one on an idle
    /// kept-alive connection.
    pub header_read: Duration,
    /// To send a request's body.
    pub body_read: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Limits {
    /// Ten seconds for a request head: a phone on a poor network sends its few
    /// hundred bytes in one or two round trips, well under a second each, while a
    /// browser that keeps a connection open for later reconnects at once when it
    /// finds it closed. (Apache waits 5 s for the next request on a kept-alive
    /// connection, nginx 60 s for a head; hyper's own default is 30 s.)
    pub const HEADER_READ: Duration = Duration::from_secs(10);
    /// Thirty seconds for a body: the largest the API takes (64 KiB) crosses a
    /// 2G link of a few KB/s in about fifteen.
    pub const BODY_READ: Duration = Duration::from_secs(30);
    /// 512 connections: a browser opens up to six, so this serves a shop's staff
    /// screens and a room of diners with room to spare, and stays well below the
    /// usual limit of 1,024 open files per process.
    pub const MAX_CONNECTIONS: usize = 512;
}

/// Open files kept for the store, the site's files and the process itself when the
/// connection cap is fitted under the open-file limit.
const RESERVED_FILES: usize = 64;

impl Limits {
    /// These limits with the connection cap lowered, if need be, to fit under a
    /// process limit of `open_files` (keeping [`RESERVED_FILES`] for the rest, and
    /// at least 16 connections): past the limit the server could accept nobody.
    pub fn within_open_files(self, open_files: Option<usize>) -> Limits {
        let Some(files) = open_files else {
            return self;
        };
        let room = files.saturating_sub(RESERVED_FILES).max(16);
        Limits {
            max_connections: self.max_connections.min(room),
            ..self
        }
    }
}

/// The soft limit of open files of this process, where the system tells it
/// (`/proc/self/limits` on Linux); `None` elsewhere or when unlimited.
pub fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read: Limits::HEADER_READ,
            body_read: Limits::BODY_READ,
            max_connections: Limits::MAX_CONNECTIONS,
        }
    }
}

/// How long the server waits for open connections to finish after it was asked
/// to stop (answers in flight complete; event streams were closed by the caller).
const DRAIN: Duration = Duration::from_secs(10);

/// One open connection, as the cap sees it.
#[derive(Default)]
struct Open {
    /// A whole request head arrived on it.
    served: AtomicBool,
    /// Closes it to make room.
    evict: Notify,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Connections {
    open: Mutex<BTreeMap<u64, Arc<Open>>>,
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Open>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers connection `id` if there is room, making room by closing the oldest
    /// connection that has not sent a request yet; `None` when every open one has.
    fn admit(&self, id: u64, max: usize) -> Option<Arc<Open>> {
        let mut open = self.lock();
        if open.len() >= max {
            let idle = open
                .iter()
                .find(|(_, c)| !c.served.load(Ordering::Relaxed))
                .map(|(id, _)| *id)?;
            if let Some(evicted) = open.remove(&idle) {
                evicted.evict.notify_one();
            }
        }
        let admitted = Arc::new(Open::default());
        open.insert(id, Arc::clone(&admitted));
        Some(admitted)
    }

    fn close(&self, id: u64) {
        self.lock().remove(&id);
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then
/// lets the answers in flight finish (for at most [`DRAIN`]). Each request carries
/// its peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let max = limits.max_connections.max(1);
    // Each connection task holds a permit until it ends (an evicted one a moment past
    // its place in `connections`): all of them back means every connection is done.
    let all = u32::try_from(max.saturating_mul(2)).unwrap_or(u32::MAX);
    let permits = Arc::new(Semaphore::new(all as usize));
    let connections = Arc::new(Connections::default());
    let mut next_id: u64 = 0;
    let (stop, stopping) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment, go on.
                    eprintln!("carte serve: accepting a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        next_id += 1;
        let id = next_id;
        let Some(open) = connections.admit(id, max) else {
            // Every place serves a client: this one tries again in a moment.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn({
            let app = app.clone();
            let open = Arc::clone(&open);
            move |mut request: hyper::Request<Incoming>| {
                open.served.store(true, Ordering::Relaxed);
                request.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(request)
            }
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stopping = stopping.clone();
        let connections = Arc::clone(&connections);
        tokio::spawn(async move {
            let _permit = permit;
            tokio::pin!(connection);
            tokio::select! {
                // A closed or timed-out connection is the client's business.
                _ = connection.as_mut() => {}
                // Past the cap, with no request sent: dropped, which closes it.
                () = open.evict.notified() => {}
                () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            connections.close(id);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let _ = tokio::time::timeout(DRAIN, permits.acquire_many(all)).await;
    Ok(())
}

/// The peer address a request came from, for tests of this module.
#[cfg(test)]
fn peer_of(request: &axum::extract::Request) -> Option<std::net::SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn the_cap_fits_under_the_open_file_limit() {
        let limits = Limits::default();
        assert_eq!(limits.within_open_files(None), limits);
        assert_eq!(limits.within_open_files(Some(20_000)), limits);
        assert_eq!(limits.within_open_files(Some(256)).max_connections, 192);
        assert_eq!(limits.within_open_files(Some(10)).max_connections, 16);
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|n| n > 0));
        }
    }

    #[test]
    fn past_the_cap_the_oldest_unused_connection_makes_room() {
        let connections = Connections::default();
        let first = connections.admit(1, 2).expect("room");
        let second = connections.admit(2, 2).expect("room");
        second.served.store(true, Ordering::Relaxed);
        // Full: the oldest that sent nothing (1) goes.
        let third = connections.admit(3, 2).expect("made room");
        assert_eq!(
            connections.lock().keys().copied().collect::<Vec<_>>(),
            [2, 3]
        );
        drop(first);
        third.served.store(true, Ordering::Relaxed);
        // Every open connection served a request: no room.
        assert!(connections.admit(4, 2).is_none());
        connections.close(2);
        assert!(connections.admit(5, 2).is_some());
    }

    #[tokio::test]
    async fn requests_carry_their_peer_and_the_server_stops_on_request() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().route(
            "/",
            get(|request: axum::extract::Request| async move {
                peer_of(&request)
                    .map(|p| p.ip().to_string())
                    .unwrap_or_default()
            }),
        );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, Limits::default(), async {
            let _ = rx.await;
        }));
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        assert!(answer.ends_with("127.0.0.1"), "{answer}");
        let _ = tx.send(());
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("stops")
            .expect("task")
            .expect("serve");
    }
}
