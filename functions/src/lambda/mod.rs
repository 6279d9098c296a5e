//! Start-up shared by the Lambda binaries (`quote`, `orders`, `members`, `passkeys`, `staff`, `marketing`, `payments`).
//!
//! Each binary does the same three things once, before its first request: load the
//! catalog from the private `site.json`, build the store's client, and bind them into
//! one [`AppState`]. Then it hands its router to the Lambda runtime when
//! `AWS_LAMBDA_RUNTIME_API` is set, or serves it over plain HTTP on `127.0.0.1:$PORT`
//! otherwise, so the very same binary can be tried locally with `curl`.
//!
//! Configuration is read from the environment:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `CARTE_SITE_JSON` | where `site.json` is: a file path, or `s3://bucket/key` (the key `carte publish` writes). Default: `site.json` next to the binary. |
//! | `CARTE_STORE` | `dynamodb` (default when `CARTE_TABLE` is set) or `sqlite` (only in builds with the `sqlite` feature, which the Lambda builds leave out) |
//! | `CARTE_TABLE` | the DynamoDB table |
//! | `CARTE_SQLITE_PATH` | the SQLite file (default `carte.db` in the working folder) |
//! | `CARTE_CATALOG_REFRESH_SECS` | with an S3 catalog: how often a running function asks S3 whether `carte publish` replaced it (default 60; 0 = before every request) |
//! | `PORT` | the local HTTP port when not on Lambda (default 9000) |
//!
//! AWS settings come from the usual variables. Built with the `aws-config` feature (the
//! default, for the CLI) the SDK's whole chain applies: profiles, SSO, web identity, IMDS.
//! The Lambda builds (`--no-default-features`) read only what Lambda sets:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or
//! `AWS_DEFAULT_REGION`), plus the endpoint overrides `AWS_ENDPOINT_URL_DYNAMODB`,
//! `AWS_ENDPOINT_URL_S3` and `AWS_ENDPOINT_URL`; see [`crate::aws::sdk_config_from_env_vars`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use serde::Deserialize;
use thiserror::Error;

use crate::aws::SdkConfig;
use crate::state::{AppState, Catalog};
#[cfg(feature = "sqlite")]
use crate::store::SqliteStore;
use crate::store::{DynamoStore, Store};

mod s3;

/// Where `site.json` is read from.
pub const ENV_SITE_JSON: &str = "CARTE_SITE_JSON";
/// Which store backend: `sqlite` or `dynamodb`.
pub const ENV_STORE: &str = "CARTE_STORE";
/// The DynamoDB table name.
pub const ENV_TABLE: &str = "CARTE_TABLE";
/// The SQLite file.
pub const ENV_SQLITE_PATH: &str = "CARTE_SQLITE_PATH";
/// Set by Lambda: the Runtime API's `host:port`.
pub const ENV_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// Seconds between checks for a newly published S3 catalog.
pub const ENV_CATALOG_REFRESH: &str = "CARTE_CATALOG_REFRESH_SECS";
/// Seconds between checks when `CARTE_CATALOG_REFRESH_SECS` is not set.
pub const DEFAULT_CATALOG_REFRESH: u64 = 60;
/// The local HTTP port.
pub const ENV_PORT: &str = "PORT";
/// The local HTTP port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 9000;
/// The catalog's file name, next to the binary when `CARTE_SITE_JSON` is not set.
pub const SITE_JSON: &str = "site.json";

/// Variables the Lambda runtime client reads and would panic without.
const LAMBDA_ENV: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// Why a function could not start or stopped serving.
#[derive(Debug, Error)]
pub enum StartError {
    /// The catalog file could not be read.
    #[error("cannot read the catalog {path}: {source} (set CARTE_SITE_JSON, or put site.json next to the binary)")]
    ReadCatalog {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The catalog object could not be fetched from S3.
    #[error("cannot fetch the catalog s3://{bucket}/{key}: {detail}")]
    FetchCatalog {
        bucket: String,
        key: String,
        detail: String,
    },
    /// The catalog is not a `site.json` written by `carte build` or `carte publish`.
    #[error("the catalog {source_name} is not a Carte site.json: {source}")]
    ParseCatalog {
        source_name: String,
        source: serde_json::Error,
    },
    /// The catalog's stated version is not its content's: written by another Carte version, or edited.
    #[error("the catalog {source_name} states version {stated} but its content is version {actual}; publish it again with `carte publish`")]
    VersionMismatch {
        source_name: String,
        stated: String,
        actual: String,
    },
    /// `CARTE_SITE_JSON` names an S3 location without a key.
    #[error("CARTE_SITE_JSON={0:?} is not s3://bucket/key")]
    BadCatalogUrl(String),
    /// `CARTE_STORE=sqlite` in a build without the `sqlite` feature (the Lambda builds).
    #[error("CARTE_STORE=sqlite, but this build has no SQLite store (built without the `sqlite` feature): set CARTE_TABLE for DynamoDB")]
    SqliteNotBuilt,
    /// `CARTE_STORE` names no known backend.
    #[error("CARTE_STORE={0:?} is not a store: use sqlite or dynamodb")]
    UnknownStore(String),
    /// A variable the chosen configuration needs is not set.
    #[error("{0} is not set")]
    MissingEnv(&'static str),
    /// A variable holds a value that cannot be used.
    #[error("{name}={value:?} is not valid: {expected}")]
    BadEnv {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(String),
    /// The local HTTP server failed.
    #[error("the local HTTP server failed: {0}")]
    Serve(std::io::Error),
    /// The Lambda runtime loop failed.
    #[error("the Lambda runtime failed: {0}")]
    Runtime(String),
}

/// Where the catalog comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    /// A local file (bundled in the function's zip, or a developer's build).
    File(PathBuf),
    /// An S3 object, the private key `carte publish` writes.
    S3 { bucket: String, key: String },
}

impl CatalogSource {
    /// Reads `CARTE_SITE_JSON`, defaulting to `site.json` next to the running binary.
    pub fn from_env() -> Result<CatalogSource, StartError> {
        match std::env::var(ENV_SITE_JSON) {
            Ok(value) if !value.is_empty() => CatalogSource::parse(&value),
            _ => {
                let beside = std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(|dir| dir.join(SITE_JSON)))
                    .unwrap_or_else(|| PathBuf::from(SITE_JSON));
                Ok(CatalogSource::File(beside))
            }
        }
    }

    /// `s3://bucket/key` or a file path.
    pub fn parse(value: &str) -> Result<CatalogSource, StartError> {
        match value.strip_prefix("s3://") {
            Some(rest) => match rest.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                    Ok(CatalogSource::S3 {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                    })
                }
                _ => Err(StartError::BadCatalogUrl(value.to_owned())),
            },
            None => Ok(CatalogSource::File(PathBuf::from(value))),
        }
    }

    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            CatalogSource::File(path) => path.display().to_string(),
            CatalogSource::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }
}

/// The shape of `site.json` (`generator::render::catalog_json::SiteJson`).
#[derive(Deserialize)]
struct SiteFile {
    version: String,
    site: catalog::Site,
}

/// Reads a `site.json`, checking that its stated version is its content's.
pub fn parse_site_json(bytes: &[u8], source_name: &str) -> Result<Catalog, StartError> {
    let file: SiteFile =
        serde_json::from_slice(bytes).map_err(|source| StartError::ParseCatalog {
            source_name: source_name.to_owned(),
            source,
        })?;
    let catalog = Catalog::new(file.site);
    if catalog.version != file.version {
        return Err(StartError::VersionMismatch {
            source_name: source_name.to_owned(),
            stated: file.version,
            actual: catalog.version,
        });
    }
    Ok(catalog)
}

/// Reads a `site.json` file.
pub fn load_catalog_file(path: &Path) -> Result<Catalog, StartError> {
    let bytes = std::fs::read(path).map_err(|source| StartError::ReadCatalog {
        path: path.to_owned(),
        source,
    })?;
    parse_site_json(&bytes, &path.display().to_string())
}

/// A catalog in S3, with the client and ETag to ask cheaply whether it changed.
pub struct S3Catalog {
    client: s3::S3Get,
    bucket: String,
    key: String,
    /// The ETag of the catalog being served.
    etag: Mutex<Option<String>>,
    /// When S3 was last asked (at start, then at each check).
    checked: Mutex<Instant>,
    every: Duration,
}

impl S3Catalog {
    /// A client for `bucket/key` on the shared AWS configuration, checking for a new
    /// catalog every `every`. With an endpoint override (`AWS_ENDPOINT_URL_S3` or
    /// `AWS_ENDPOINT_URL`: a local S3-compatible server) the object is addressed
    /// path-style, otherwise virtual-hosted.
    pub fn new(aws: &SdkConfig, bucket: &str, key: &str, every: Duration) -> S3Catalog {
        S3Catalog {
            client: s3::S3Get::new(aws),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag: Mutex::new(None),
            checked: Mutex::new(Instant::now()),
            every,
        }
    }

    fn name(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn fail(&self, detail: String) -> StartError {
        StartError::FetchCatalog {
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            detail,
        }
    }

    /// The catalog if it differs from the one served (`None`: unchanged, a 304).
    pub async fn fetch(&self) -> Result<Option<Catalog>, StartError> {
        let known = self.etag.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let fetched = self
            .client
            .get(&self.bucket, &self.key, known.as_deref())
            .await
            .map_err(|detail| self.fail(detail))?;
        let (body, etag) = match fetched {
            s3::Fetched::Unchanged => return Ok(None),
            s3::Fetched::Object { body, etag } => (body, etag),
        };
        let catalog = parse_site_json(&body, &self.name())?;
        *self.etag.lock().unwrap_or_else(|p| p.into_inner()) = etag;
        Ok(Some(catalog))
    }

    /// Whether it is time to ask S3 again; if so, the clock restarts now.
    fn due(&self) -> bool {
        let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        if checked.elapsed() >= self.every {
            *checked = Instant::now();
            true
        } else {
            false
        }
    }
}

/// The refresh interval from `CARTE_CATALOG_REFRESH_SECS`.
pub fn refresh_from_env() -> Result<Duration, StartError> {
    match std::env::var(ENV_CATALOG_REFRESH) {
        Ok(value) if !value.is_empty() => {
            value
                .parse()
                .map(Duration::from_secs)
                .map_err(|_| StartError::BadEnv {
                    name: ENV_CATALOG_REFRESH,
                    value,
                    expected: "a number of seconds",
                })
        }
        _ => Ok(Duration::from_secs(DEFAULT_CATALOG_REFRESH)),
    }
}

/// Loads the catalog from a file or from S3 (with `aws`, the shared AWS configuration);
/// for S3, also what keeps it fresh.
pub async fn load_catalog(
    source: &CatalogSource,
    aws: Option<&SdkConfig>,
) -> Result<(Catalog, Option<Arc<S3Catalog>>), StartError> {
    match source {
        CatalogSource::File(path) => Ok((load_catalog_file(path)?, None)),
        CatalogSource::S3 { bucket, key } => {
            let aws = aws.ok_or(StartError::MissingEnv("an AWS configuration"))?;
            let s3 = S3Catalog::new(aws, bucket, key, refresh_from_env()?);
            match s3.fetch().await? {
                Some(catalog) => Ok((catalog, Some(Arc::new(s3)))),
                None => Err(s3.fail("S3 answered 304 to a first request".into())),
            }
        }
    }
}

/// Middleware: before a request, when the interval has passed, asks S3 whether `carte
/// publish` replaced the catalog (a conditional GET, a 304 when not) and swaps the new one
/// in. A failure keeps the catalog being served: a diner never sees S3 trouble.
async fn refresh_catalog(
    State((state, s3)): State<(AppState, Arc<S3Catalog>)>,
    request: Request,
    next: Next,
) -> Response {
    if s3.due() {
        match s3.fetch().await {
            Ok(Some(catalog)) => {
                eprintln!(
                    "carte: catalog {} loaded from {}",
                    catalog.version,
                    s3.name()
                );
                state.set_catalog(catalog);
            }
            Ok(None) => {}
            Err(error) => eprintln!("carte: keeping the current catalog: {error}"),
        }
    }
    next.run(request).await
}

/// Which store backend the function uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// The embedded SQLite file (local runs and tests; one process only).
    Sqlite(PathBuf),
    /// The production DynamoDB table.
    DynamoDb { table: String },
}

impl StoreChoice {
    /// Reads `CARTE_STORE`, `CARTE_TABLE` and `CARTE_SQLITE_PATH`. Without `CARTE_STORE`,
    /// a set `CARTE_TABLE` means DynamoDB and anything else SQLite.
    pub fn from_env() -> Result<StoreChoice, StartError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let table = var(ENV_TABLE);
        let kind = var(ENV_STORE).unwrap_or_else(|| {
            if table.is_some() {
                "dynamodb"
            } else {
                "sqlite"
            }
            .to_owned()
        });
        match kind.as_str() {
            "dynamodb" => Ok(StoreChoice::DynamoDb {
                table: table.ok_or(StartError::MissingEnv(ENV_TABLE))?,
            }),
            "sqlite" => Ok(StoreChoice::Sqlite(PathBuf::from(
                var(ENV_SQLITE_PATH).unwrap_or_else(|| "carte.db".to_owned()),
            ))),
            _ => Err(StartError::UnknownStore(kind)),
        }
    }
}

/// Opens the chosen store (DynamoDB on `aws`, the shared AWS configuration): its client
/// is built here, once, and shared by every request.
pub fn open_store(
    choice: &StoreChoice,
    aws: Option<&SdkConfig>,
) -> Result<Arc<dyn Store>, StartError> {
    match choice {
        #[cfg(feature = "sqlite")]
        StoreChoice::Sqlite(path) => {
            let store = SqliteStore::open(path).map_err(|e| StartError::Store(e.to_string()))?;
            Ok(Arc::new(store))
        }
        #[cfg(not(feature = "sqlite"))]
        StoreChoice::Sqlite(_) => Err(StartError::SqliteNotBuilt),
        StoreChoice::DynamoDb { table } => {
            let aws = aws.ok_or(StartError::MissingEnv("an AWS configuration"))?;
            Ok(Arc::new(DynamoStore::new(
                aws_sdk_dynamodb::Client::new(aws),
                table.as_str(),
            )))
        }
    }
}

/// The state a function serves with, configured from the environment, and for an S3
/// catalog what keeps it fresh.
pub async fn state_from_env() -> Result<(AppState, Option<Arc<S3Catalog>>), StartError> {
    let source = CatalogSource::from_env()?;
    let choice = StoreChoice::from_env()?;
    let aws = match (&source, &choice) {
        (CatalogSource::File(_), StoreChoice::Sqlite(_)) => None,
        _ => Some(crate::aws::config_from_env().await),
    };
    let store = open_store(&choice, aws.as_ref())?;
    let (catalog, s3) = load_catalog(&source, aws.as_ref()).await?;
    Ok((AppState::new(catalog, store), s3))
}

/// The function's router, refreshing an S3 catalog when it is one.
pub fn app(
    state: AppState,
    s3: Option<Arc<S3Catalog>>,
    make_router: fn(AppState) -> Router,
) -> Router {
    let router = make_router(state.clone());
    match s3 {
        Some(s3) => router.layer(axum::middleware::from_fn_with_state(
            (state, s3),
            refresh_catalog,
        )),
        None => router,
    }
}

/// The local HTTP port from `PORT`.
pub fn port_from_env() -> Result<u16, StartError> {
    match std::env::var(ENV_PORT) {
        Ok(value) if !value.is_empty() => value.parse().map_err(|_| StartError::BadEnv {
            name: ENV_PORT,
            value,
            expected: "a port number",
        }),
        _ => Ok(DEFAULT_PORT),
    }
}

/// Whether this process runs inside Lambda (or an emulator of its Runtime API).
pub fn on_lambda() -> bool {
    std::env::var_os(ENV_RUNTIME_API).is_some_and(|v| !v.is_empty())
}

/// Builds the state, then serves `make_router`'s router until the runtime or server stops.
pub async fn start(function: &str, make_router: fn(AppState) -> Router) -> Result<(), StartError> {
    let started = Instant::now();
    let (state, s3) = state_from_env().await?;
    let router = app(state, s3, make_router);
    if on_lambda() {
        for name in LAMBDA_ENV {
            if std::env::var_os(name).is_none() {
                return Err(StartError::MissingEnv(name));
            }
        }
        eprintln!(
            "carte {function}: ready in {} µs",
            started.elapsed().as_micros()
        );
        lambda_http::run(router)
            .await
            .map_err(|e| StartError::Runtime(e.to_string()))
    } else {
        let port = port_from_env()?;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(StartError::Serve)?;
        let addr = listener.local_addr().map_err(StartError::Serve)?;
        eprintln!(
            "carte {function}: ready in {} µs, serving http://{addr}/api/",
            started.elapsed().as_micros()
        );
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(StartError::Serve)
    }
}

/// The whole `main` of a function binary: a single-threaded runtime (one request at a
/// time is all a Lambda instance gets), [`start`], and an exit code with the error printed.
pub fn main(function: &str, make_router: fn(AppState) -> Router) -> ExitCode {
    prefer_ca_bundle();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: carte {function}: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(start(function, make_router)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: carte {function}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The trust bundle files of the usual Linux systems, Lambda's Amazon Linux first.
const CA_BUNDLES: [&str; 3] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/cert.pem",
];

/// Points the HTTPS clients' roots at the system's one bundle file when the
/// environment names none. Otherwise rustls-native-certs also reads every file of the
/// certificate folder (about 290 on Debian), which doubled a cold start here
/// (BENCHMARKS.md "Lambda"); the bundle holds the same roots. Called first thing in
/// [`main`], while the process has one thread.
fn prefer_ca_bundle() {
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return;
    }
    if let Some(bundle) = CA_BUNDLES.iter().find(|p| Path::new(p).is_file()) {
        std::env::set_var("SSL_CERT_FILE", bundle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_sources_parse() {
        assert_eq!(
            CatalogSource::parse("s3://shop-site/private/site.json").ok(),
            Some(CatalogSource::S3 {
                bucket: "shop-site".into(),
                key: "private/site.json".into()
            })
        );
        assert_eq!(
            CatalogSource::parse("/var/task/site.json").ok(),
            Some(CatalogSource::File("/var/task/site.json".into()))
        );
        assert!(matches!(
            CatalogSource::parse("s3://bucket-only"),
            Err(StartError::BadCatalogUrl(_))
        ));
        assert!(matches!(
            CatalogSource::parse("s3:///key"),
            Err(StartError::BadCatalogUrl(_))
        ));
    }

    #[test]
    fn a_catalog_that_is_not_site_json_is_refused_with_its_name() {
        let error = parse_site_json(b"{\"version\": 1}", "x/site.json")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("x/site.json"), "{error}");
    }
}
