//! Live reload for `carte serve`: an SSE stream of rebuild results and the tiny
//! script, injected only in serve mode, that reloads the page or shows an overlay.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, Response};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;

/// Where the event stream is served.
pub const EVENTS_PATH: &str = "/__carte/events";

/// What a rebuild did, as the browser hears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// The site was rebuilt: reload.
    Reload,
    /// The content has errors: show them over the last good page.
    Errors(String),
}

/// Broadcasts rebuild results to every open page and remembers the current error.
#[derive(Clone)]
pub struct LiveReload {
    sender: broadcast::Sender<Signal>,
    current_error: Arc<Mutex<Option<String>>>,
    /// Set once the server stops, to end every open stream.
    closed: watch::Sender<bool>,
}

impl Default for LiveReload {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(16);
        LiveReload {
            sender,
            current_error: Arc::default(),
            closed: watch::Sender::new(false),
        }
    }
}

impl LiveReload {
    /// Tells every open page what the last rebuild did.
    pub fn send(&self, signal: Signal) {
        let error = match &signal {
            Signal::Errors(text) => Some(text.clone()),
            Signal::Reload => None,
        };
        if let Ok(mut current) = self.current_error.lock() {
            *current = error;
        }
        // No receivers just means no page is open.
        let _ = self.sender.send(signal);
    }

    /// Ends every open event stream. A graceful shutdown waits for open
    /// connections to finish, and an open page's stream otherwise never does.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    fn subscribe(&self) -> (Option<String>, broadcast::Receiver<Signal>) {
        let current = self.current_error.lock().ok().and_then(|c| c.clone());
        (current, self.sender.subscribe())
    }
}

fn to_event(signal: Signal) -> Event {
    match signal {
        Signal::Reload => Event::default().event("reload").data("1"),
        Signal::Errors(text) => Event::default().event("content-error").data(text),
    }
}

/// `GET /__carte/events`: the current error at once, then every rebuild result.
pub async fn events(
    State(live): State<LiveReload>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (current, receiver) = live.subscribe();
    let mut closed = live.closed.subscribe();
    let first = stream::iter(current.map(|text| Ok(to_event(Signal::Errors(text)))));
    let rest = BroadcastStream::new(receiver)
        .filter_map(|item| async move { item.ok().map(|s| Ok(to_event(s))) });
    let until_closed = async move {
        let _ = closed.wait_for(|closed| *closed).await;
    };
    Sse::new(first.chain(rest).take_until(until_closed)).keep_alive(KeepAlive::default())
}

/// The script added to every HTML page in serve mode.
/// Where the live-reload script is served: a file of the site's own origin, so the
/// pages whose Content-Security-Policy allows only `script-src 'self'` (the staff and
/// admin consoles) run it too, where an inline script would be blocked.
pub const SCRIPT_PATH: &str = "/__carte/livereload.js";

/// The live-reload script: reload on a rebuild, an overlay over the last good page on
/// content errors.
pub const SCRIPT: &str = r#"(()=>{const s=new EventSource("/__carte/events");let o;s.addEventListener("reload",()=>location.reload());s.addEventListener("content-error",e=>{if(!o){o=document.createElement("pre");o.id="carte-errors";o.setAttribute("role","alert");o.style.cssText="position:fixed;inset:0;z-index:99999;margin:0;padding:1rem;overflow:auto;background:#1b1b1bee;color:#ffb4a9;font:14px/1.4 ui-monospace,monospace;white-space:pre-wrap";document.body.append(o)}o.textContent="carte: the site has content errors; the last good version is shown under this message.\n\n"+e.data});})();"#;

/// What is added before `</body>`.
const TAG: &str = "<script src=\"/__carte/livereload.js\"></script>";

/// `GET /__carte/livereload.js`.
pub async fn script() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        SCRIPT,
    )
}

/// Adds the script tag of [`SCRIPT_PATH`] before `</body>` of HTML responses to GET requests (and
/// gives HEAD the same headers). Cache-Control stays what production sends.
pub async fn inject(request: Request, next: Next) -> Response<Body> {
    let method = request.method().clone();
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !(method == Method::GET || method == Method::HEAD) || !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    // The page sent is not the file on disk, so the file's validators do not
    // describe it; worse, Last-Modified has one-second steps, so a browser
    // revalidating after a rebuild in the same second would get a stale 304.
    parts.headers.remove(header::LAST_MODIFIED);
    parts.headers.remove(header::ETAG);
    if method == Method::HEAD {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut html = String::from_utf8_lossy(&bytes).into_owned();
    match html.rfind("</body>") {
        Some(at) => html.insert_str(at, TAG),
        None => html.push_str(TAG),
    }
    Response::from_parts(parts, Body::from(html))
}
