//! `carte serve`: build the site, serve it and the ordering API on one local
//! port with the embedded store, rebuild on change and reload open browsers.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::timeout::RequestBodyTimeoutLayer;

use generator::build::{BuildError, BuildReport, Session};

use super::listen::Limits;
use super::livereload::{self, LiveReload, Signal};

/// How long the files must stay quiet after a change before the rebuild starts.
const DEBOUNCE: Duration = Duration::from_millis(10);
/// The longest a burst of changes can hold a rebuild back.
const DEBOUNCE_MAX: Duration = Duration::from_millis(200);

/// What `carte serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site folder.
    pub root: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    /// Watch content and theme and rebuild on change.
    pub watch: bool,
    /// Where orders live: the embedded SQLite file by default.
    pub store: super::store::StoreArgs,
    /// Connection timeouts and cap.
    pub limits: Limits,
}

/// The site's own Web Push key: read from `path`, or made and written there (owner-only).
fn local_vapid_key(path: &std::path::Path) -> anyhow::Result<functions::push::Vapid> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return functions::push::Vapid::from_base64(text.trim(), None).with_context(|| {
            format!(
                "{} holds no usable key: delete it to make a new one",
                path.display()
            )
        });
    }
    let vapid = functions::push::Vapid::generate();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(
        &mut options
            .open(path)
            .with_context(|| format!("cannot write the Web Push key to {}", path.display()))?,
        vapid.private_base64().as_bytes(),
    )?;
    Ok(vapid)
}

/// Builds, serves and watches until Ctrl-C or SIGTERM.
pub async fn run(opts: ServeOptions) -> anyhow::Result<()> {
    let root = opts
        .root
        .canonicalize()
        .with_context(|| format!("no site folder at {}", opts.root.display()))?;
    let out = root.join(".carte").join("serve");
    let started = Instant::now();
    let root_for_build = root.clone();
    let out_for_build = out.clone();
    let (session, built) = tokio::task::spawn_blocking(move || {
        let mut session = Session::new();
        let built = build_in(&mut session, &root_for_build, &out_for_build);
        (session, built)
    })
    .await?;
    let project = match built? {
        Ok((project, _)) => project,
        Err(text) => {
            eprintln!("{text}");
            anyhow::bail!("fix the content errors above, then run `carte serve` again");
        }
    };
    let db_path = opts.store.describe(&root);
    let store = opts.store.open(&root).await?;
    let state = functions::AppState::new(
        functions::Catalog {
            site: project.site.clone(),
            version: project.version.clone(),
        },
        store,
    )
    // One machine without a mail server: one-time codes are shown on this console.
    .with_senders(functions::senders::Senders::from_env(true));
    // Web Push works out of the box: without CARTE_VAPID_PRIVATE_KEY, the site keeps a
    // key of its own beside its store.
    let state = if state.push.is_some() {
        state
    } else {
        let vapid = local_vapid_key(&root.join(".carte").join("vapid.key"))?;
        state.with_push(Some(functions::push::Push::with_env_hosts(vapid)))
    };
    let live = LiveReload::default();
    let limits = opts
        .limits
        .within_open_files(super::listen::open_file_limit());
    let app = app(&out, state.clone(), live.clone(), opts.watch, limits);

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(opts.bind, opts.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", opts.bind, opts.port))?;
    let addr = listener.local_addr()?;
    println!(
        "Built {} in {} ms. Serving {} at http://{addr}/ (orders in {})",
        project
            .site
            .settings
            .name
            .get(project.site.default_language(), ""),
        started.elapsed().as_millis(),
        root.display(),
        db_path
    );
    println!("Press Ctrl-C to stop.");

    let staff_events = state.events.clone();
    let _watcher = if opts.watch {
        Some(watch(
            root.clone(),
            out.clone(),
            session,
            state,
            live.clone(),
        )?)
    } else {
        None
    };
    // Each request carries its peer address: what per-client limits count by.
    super::listen::serve(listener, app, limits, async move {
        shutdown_signal().await;
        // Open pages hold their event stream forever: end them, or the
        // graceful shutdown would wait for every browser tab to close.
        live.close();
        staff_events.close();
    })
    .await?;
    println!("Stopped. Every acknowledged order is in {}", db_path);
    Ok(())
}

/// A missing page: the 404 page of the language its path starts with (`/en/…`),
/// else the site's default one.
async fn not_found_page(out: &Path, path: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let lang_page = (!first.is_empty()
        && first.len() <= 16
        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    .then(|| out.join(first).join("404.html"))
    .filter(|p| p.is_file());
    let file = lang_page.unwrap_or_else(|| out.join("404.html"));
    let body = tokio::fs::read(&file).await.unwrap_or_default();
    (
        StatusCode::NOT_FOUND,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The whole local app: the API, the live-reload stream and the built site; a
/// request body must arrive within `limits.body_read`.
pub fn app(
    out: &Path,
    state: functions::AppState,
    live: LiveReload,
    inject: bool,
    limits: Limits,
) -> Router {
    let pages = out.to_path_buf();
    let not_found = tower::service_fn(move |request: axum::extract::Request| {
        let pages = pages.clone();
        async move {
            Ok::<_, std::convert::Infallible>(not_found_page(&pages, request.uri().path()).await)
        }
    });
    let mut site = Router::new().fallback_service(ServeDir::new(out).not_found_service(not_found));
    if inject {
        site = site.layer(middleware::from_fn(livereload::inject));
    }
    let site = site.layer(middleware::from_fn(cache_headers));
    Router::new()
        .route(
            livereload::EVENTS_PATH,
            get(livereload::events).with_state(live),
        )
        .route(livereload::SCRIPT_PATH, get(livereload::script))
        .merge(functions::router(state))
        // An unknown API path is answered by the API, as in production where
        // the CDN sends all of `/api/*` to the functions: a problem, not a page.
        .route(
            "/api/{*rest}",
            any(|| async { functions::ApiError::NotFound }),
        )
        .fallback_service(site)
        .layer(CompressionLayer::new())
        .layer(RequestBodyTimeoutLayer::new(limits.body_read))
}

/// Sets the same Cache-Control as production for every static file; the 404
/// page is never cached, so a page added later shows on the next visit. And the
/// security headers production's CDN adds.
async fn cache_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = if response.status().is_client_error() || response.status().is_server_error() {
            "no-cache"
        } else {
            generator::urls::cache_control(&path)
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    // What the CDN's security headers policy adds in production (AWS's managed
    // SecurityHeadersPolicy in deploy/template.yaml), but HSTS, which means nothing on
    // a plain-HTTP preview.
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ] {
        if !response.headers().contains_key(&name) {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Builds `root` into `out` through `session`, which keeps what the last build learned
/// so a rebuild re-parses, re-renders and rewrites only what a change touched;
/// content errors come back as their rendered text.
fn build_in(
    session: &mut Session,
    root: &Path,
    out: &Path,
) -> anyhow::Result<Result<(generator::Project, BuildReport), String>> {
    rebuild_in(session, root, out, &mut |_| {})
}

/// [`build_in`], calling `checked` with the checked project before any page is written.
fn rebuild_in(
    session: &mut Session,
    root: &Path,
    out: &Path,
    checked: &mut dyn FnMut(&generator::Project),
) -> anyhow::Result<Result<(generator::Project, BuildReport), String>> {
    match session.build_with(root, out, &super::build_options(root)?, checked) {
        Ok(built) => Ok(Ok(built)),
        Err(BuildError::Content(diagnostics)) => Ok(Err(diagnostics.to_string())),
        Err(other) => Err(other.into()),
    }
}

/// Watches the site (and its theme) and rebuilds on every change, debounced.
fn watch(
    root: PathBuf,
    out: PathBuf,
    session: Session,
    state: functions::AppState,
    live: LiveReload,
) -> anyhow::Result<notify::RecommendedWatcher> {
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let ignored = root.join(".carte");
    let public = root.join("public");
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        for path in event.paths {
            if !path.starts_with(&ignored) && !path.starts_with(&public) {
                let _ = tx.send(path);
            }
        }
    })?;
    watcher.watch(&root, RecursiveMode::Recursive)?;
    if let Some(theme) = super::theme_dir_outside(&root) {
        watcher.watch(&theme, RecursiveMode::Recursive)?;
    }
    tokio::spawn(async move {
        let mut session = Some(session);
        while let Some(first) = rx.recv().await {
            // Editors save in bursts (temp file, rename, chmod): wait until the files
            // have been quiet for DEBOUNCE since the last event.
            let burst = Instant::now();
            let mut changed = vec![first];
            while burst.elapsed() < DEBOUNCE_MAX {
                match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                    Ok(Some(path)) => changed.push(path),
                    Ok(None) | Err(_) => break,
                }
            }
            let started = Instant::now();
            let (r, o) = (root.clone(), out.clone());
            let mut held = session.take().unwrap_or_default();
            // The API prices with the new catalog before the first new page is
            // written: a diner may see an old page priced anew (`menu-changed` says
            // so), never a new price the API does not charge yet.
            let before = state.catalog();
            let swapping = state.clone();
            let Ok((held, built)) = tokio::task::spawn_blocking(move || {
                let built = rebuild_in(&mut held, &r, &o, &mut |project| {
                    swapping.set_catalog(functions::Catalog {
                        site: project.site.clone(),
                        version: project.version.clone(),
                    });
                });
                (held, built)
            })
            .await
            else {
                // The build panicked: start again from nothing next time, on the
                // catalog of the pages that were served.
                state.set_catalog((*before).clone());
                continue;
            };
            session = Some(held);
            if !matches!(built, Ok(Ok(_))) {
                // Nothing new was written whole: the pages served are the last good
                // build's, so is the catalog.
                state.set_catalog((*before).clone());
            }
            match built {
                Ok(Ok((_, report))) => {
                    live.send(Signal::Reload);
                    println!(
                        "Rebuilt in {} ms ({} changed; {} of {} pages rendered, {} files written)",
                        started.elapsed().as_millis(),
                        changed.len(),
                        report.rendered,
                        report.pages,
                        report.written
                    );
                }
                Ok(Err(text)) => {
                    eprintln!("{text}\nStill serving the last good build.");
                    live.send(Signal::Errors(text));
                }
                Err(error) => eprintln!("rebuild failed: {error:#}"),
            }
            // The replaced catalog (a whole site) is freed once the pages have been told.
            drop(before);
        }
    });
    Ok(watcher)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
