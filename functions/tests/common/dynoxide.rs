//! A real DynamoDB-compatible server for tests: Dynoxide, started on a free
//! loopback port, in memory, and killed when its guard is dropped.
//!
//! The binary comes from the npm package `@dynoxide/linux-x64` (pinned in
//! `package.json`; `npm ci` installs it, `scripts/test` runs that), or from
//! the path in `DYNOXIDE_BIN`.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use functions::store::conformance::DynStore;
use functions::store::DynamoStore;

/// How long the server gets to answer after starting.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// How many ports are tried if another process takes the free one first.
const PORT_ATTEMPTS: usize = 5;

/// Where the Dynoxide binary is: `DYNOXIDE_BIN`, else the workspace's `node_modules`.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("DYNOXIDE_BIN") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/@dynoxide/linux-x64/dynoxide")
}

/// A running Dynoxide process; dropping it kills the process.
pub struct Dynoxide {
    child: Child,
    endpoint: String,
    client: Client,
    tables: AtomicUsize,
}

impl Drop for Dynoxide {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

impl Dynoxide {
    /// Starts a fresh in-memory server and waits until it accepts connections.
    ///
    /// Panics with what to do when the binary is missing: tests never skip silently.
    pub fn start() -> Dynoxide {
        let binary = binary();
        assert!(
            binary.is_file(),
            "the Dynoxide binary is missing at {}: run `npm ci` in the workspace \
             (scripts/test does) or set DYNOXIDE_BIN to its path",
            binary.display()
        );
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let mut child = Command::new(&binary)
                .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let started = Instant::now();
            let mut exited = false;
            while started.elapsed() < READY_WITHIN {
                if let Ok(Some(_)) = child.try_wait() {
                    // Most likely the port was taken in between: try another.
                    exited = true;
                    break;
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                    let endpoint = format!("http://{addr}");
                    return Dynoxide {
                        child,
                        client: client(&endpoint),
                        endpoint,
                        tables: AtomicUsize::new(0),
                    };
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                exited,
                "Dynoxide did not answer on {addr} within {READY_WITHIN:?}"
            );
        }
        panic!("Dynoxide could not start on a free port after {PORT_ATTEMPTS} attempts");
    }

    /// The server's endpoint URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The shared SDK client.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// A fresh table with Carte's schema, and a store on it.
    pub async fn store_with(&self, shards: u32) -> DynamoStore {
        let n = self.tables.fetch_add(1, Ordering::Relaxed);
        let store =
            DynamoStore::new(self.client(), format!("carte-test-{n}")).with_coupon_shards(shards);
        store.create_table().await.expect("create table");
        store
    }

    /// A fresh table and a store on it, as the conformance suite wants it.
    pub async fn open(&self) -> DynStore {
        Arc::new(self.store_with(1).await)
    }

    /// A fresh table and a store on it that forgets idempotency keys after `ttl`.
    pub async fn open_with_idempotency_ttl(&self, ttl: std::time::Duration) -> DynStore {
        Arc::new(self.store_with(1).await.with_idempotency_ttl(ttl))
    }

    /// The same, with the coupon budget spread over `shards` counters.
    pub async fn open_sharded(&self, shards: u32) -> DynStore {
        Arc::new(self.store_with(shards).await)
    }
}

/// An SDK client for `endpoint` with dummy credentials and a fixed region, set
/// on the client's config directly (the process environment plays no part), and the
/// functions' own HTTP client, so the suite also runs without the default features.
pub fn client(endpoint: &str) -> Client {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build_https(),
        )
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "carte-tests"))
        .endpoint_url(endpoint)
        .retry_config(functions::aws::retry_config())
        .timeout_config(functions::aws::timeout_config())
        .build();
    Client::from_conf(config)
}
