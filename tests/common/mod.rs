//! Helpers shared by the end-to-end tests of the `carte` command: copies of the
//! demo restaurant, a real `carte serve` on a free loopback port that is killed
//! when the test ends (even on failure), and a reader for the live-reload stream.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The demo restaurant of the repository (only ever read, never written).
pub const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/site-content");

/// How long a debug `carte serve` may take to build the demo and answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The `carte` binary under test.
pub fn carte() -> Command {
    Command::new(env!("CARGO_BIN_EXE_carte"))
}

/// Runs `carte` with `args` to the end and returns (exit code, stdout, stderr).
pub fn run_carte(args: &[&str]) -> (i32, String, String) {
    let output = carte()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run carte");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Copies the folder `from` into `to`, leaving out build output and the store
/// (`.carte/`, `public/`) at its top level.
pub fn copy_site(from: &Path, to: &Path) {
    fn copy(from: &Path, to: &Path, top: bool) {
        std::fs::create_dir_all(to).expect("create folder");
        for entry in std::fs::read_dir(from).expect("read folder") {
            let entry = entry.expect("folder entry");
            let name = entry.file_name();
            if top && (name == ".carte" || name == "public") {
                continue;
            }
            let (source, target) = (entry.path(), to.join(&name));
            if entry.file_type().expect("file type").is_dir() {
                copy(&source, &target, false);
            } else {
                std::fs::copy(&source, &target).expect("copy file");
            }
        }
    }
    copy(from, to, true);
}

/// A copy of the demo restaurant in a fresh temporary folder, with every shop
/// open around the clock, so ordering does not depend on when the test runs.
pub fn demo_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("site");
    copy_site(Path::new(DEMO), &site);
    // The theme goes with the copy, as `carte new` puts it in a new site: the
    // binary's fallback to the theme folder it was compiled beside is only
    // there when the binary was compiled from this checkout.
    copy_site(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default"),
        &site.join("themes/default"),
    );
    for entry in std::fs::read_dir(site.join("locations")).expect("locations") {
        open_all_day(&entry.expect("location file").path());
    }
    (dir, site)
}

/// Replaces the top-level `hours:` block of a location file with "every day, all day".
pub fn open_all_day(location: &Path) {
    let text = std::fs::read_to_string(location).expect("read location");
    let mut out = String::new();
    let mut in_hours = false;
    for line in text.lines() {
        if line == "hours:" || line.starts_with("hours: ") {
            out.push_str("hours:\n  - days: daily\n    hours: [\"00:00-24:00\"]\n");
            in_hours = true;
            continue;
        }
        if in_hours && (line.starts_with(' ') || line.starts_with('-')) {
            continue;
        }
        in_hours = false;
        out.push_str(line);
        out.push('\n');
    }
    assert!(
        out.contains("00:00-24:00"),
        "no hours in {}",
        location.display()
    );
    std::fs::write(location, out).expect("write location");
}

/// Where a value sits in a file: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Sets the `price:` of dish `dish` in `menus/main.yaml` of `site` to the YAML
/// text `literal` (e.g. `"19.70"` with its quotes), as an editor would save it,
/// and returns where the value now stands.
pub fn set_dish_price(site: &Path, dish: &str, literal: &str) -> Position {
    let path = site.join("menus").join("main.yaml");
    let text = std::fs::read_to_string(&path).expect("read menu");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("- id: {dish}"))
        .unwrap_or_else(|| panic!("no dish {dish} in {}", path.display()));
    let at = (start + 1..lines.len())
        .find(|&i| lines[i].trim_start().starts_with("price:"))
        .expect("the dish has a price");
    let indent = lines[at].len() - lines[at].trim_start().len();
    lines[at] = format!("{}price: {literal}", " ".repeat(indent));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write menu");
    Position {
        line: at + 1,
        column: indent + "price: ".len() + 1,
    }
}

/// A blocking HTTP client with a bound on every request.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// A running `carte serve`, killed and reaped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap_or_else(|p| p.into_inner());
            text.push_str(&line);
            text.push('\n');
        }
    });
}

impl Server {
    /// Starts `carte serve SITE --port 0` and waits until the API answers.
    /// Port 0 lets the system pick a free port; the server prints the one it got.
    pub fn start(site: &Path) -> Server {
        Server::start_with(site, &[])
    }

    /// Like [`Server::start`] with more arguments (e.g. `--no-watch`).
    pub fn start_with(site: &Path, extra: &[&str]) -> Server {
        Server::start_env(site, extra, &[])
    }

    /// Like [`Server::start_with`] with environment variables for the server.
    pub fn start_env(site: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = carte()
            .envs(env.iter().copied())
            .arg("serve")
            .arg(site)
            .args(["--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn carte serve");
        let (stdout, stderr) = (Arc::default(), Arc::default());
        collect(child.stdout.take().expect("stdout"), Arc::clone(&stdout));
        collect(child.stderr.take().expect("stderr"), Arc::clone(&stderr));
        let mut server = Server {
            child,
            base: String::new(),
            stdout,
            stderr,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while server.base.is_empty() {
            let printed = server.stdout();
            if let Some(at) = printed.find("at http://") {
                let url = printed[at + 3..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default();
                server.base = url.trim_end_matches('/').to_owned();
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "carte serve exited ({status}) before serving:\n{}\n{}",
                    server.stdout(),
                    server.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "carte serve printed no address within {START_TIMEOUT:?}:\n{}",
                server.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
        let http = client();
        loop {
            match http.get(server.url("/api/health")).send() {
                Ok(r) if r.status().is_success() => break,
                _ if Instant::now() > deadline => {
                    panic!("carte serve does not answer:\n{}", server.stderr())
                }
                _ => thread::sleep(Duration::from_millis(20)),
            }
        }
        server
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the server printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What the server printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `INT`) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits up to `timeout` for the server to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap: a crash, no clean-up.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub data: String,
}

/// A subscription to `/__carte/events`, read on its own thread.
pub struct Events {
    events: mpsc::Receiver<Event>,
    /// Set when the stream ended (the server closed it).
    ended: Arc<Mutex<bool>>,
}

impl Events {
    /// Subscribes as a browser's `EventSource` does (asking for gzip, like a
    /// browser, so a compressed and therefore buffered stream would show).
    /// Returns once the server answered, i.e. once the subscription exists.
    pub fn subscribe(server: &Server) -> Events {
        let http = reqwest::blocking::Client::builder()
            .timeout(None::<Duration>)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("sse client");
        let response = http
            .get(server.url("/__carte/events"))
            .header("Accept", "text/event-stream")
            .header("Accept-Encoding", "gzip, deflate, br")
            .send()
            .expect("subscribe to events");
        assert_eq!(response.status(), 200);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        assert!(
            response.headers().get("content-encoding").is_none(),
            "the event stream must not be compressed (it would be buffered)"
        );
        let (tx, events) = mpsc::channel();
        let ended = Arc::new(Mutex::new(false));
        let ended_by_reader = Arc::clone(&ended);
        thread::spawn(move || {
            let (mut name, mut data) = (String::new(), Vec::<String>::new());
            for line in BufReader::new(response).lines() {
                let Ok(line) = line else { break };
                if line.is_empty() {
                    if !name.is_empty() || !data.is_empty() {
                        let event = Event {
                            name: std::mem::take(&mut name),
                            data: std::mem::take(&mut data).join("\n"),
                        };
                        if tx.send(event).is_err() {
                            break;
                        }
                    }
                } else if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim_start().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                }
            }
            *ended_by_reader.lock().unwrap_or_else(|p| p.into_inner()) = true;
        });
        Events { events, ended }
    }

    /// The next event named `name` within `timeout`, skipping others; panics if none comes.
    pub fn expect(&self, name: &str, timeout: Duration) -> Event {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) if event.name == name => return event,
                Ok(_) => continue,
                Err(_) => panic!("no `{name}` event within {timeout:?}"),
            }
        }
    }

    /// Whether the server ended the stream within `timeout`.
    pub fn ends_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if *self.ended.lock().unwrap_or_else(|p| p.into_inner()) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// A dine-in cart for the demo: `quantity` × dan dan noodles, mild, at table 7.
pub fn dan_dan_cart(quantity: u32) -> Value {
    json!({
        "location": "chunxi",
        "fulfilment": {"mode": "dine_in", "table": "7"},
        "lines": [{
            "dish": "dan-dan-noodles",
            "quantity": quantity,
            "options": [{"group": "spice", "choices": ["mild"]}]
        }]
    })
}

/// The catalog version the server prices with.
pub fn catalog_version(server: &Server) -> String {
    let health: Value = client()
        .get(server.url("/api/health"))
        .send()
        .expect("health")
        .json()
        .expect("health json");
    health["version"].as_str().expect("version").to_owned()
}

/// The server's quote for `cart`.
pub fn quote(server: &Server, cart: &Value) -> Value {
    let response = client()
        .post(server.url("/api/quote"))
        .json(&json!({ "cart": cart }))
        .send()
        .expect("quote");
    assert_eq!(response.status(), 200, "quote failed");
    response.json::<Value>().expect("quote json")["quote"].clone()
}

/// A Dynoxide server (a DynamoDB-compatible server from the npm package
/// `@dynoxide/linux-x64`, or `DYNOXIDE_BIN`) on a free loopback port, killed when dropped.
pub struct Dynoxide {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Dynoxide {
    /// Starts the server and waits until it listens.
    pub fn start() -> Dynoxide {
        let binary = std::env::var_os("DYNOXIDE_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("node_modules/@dynoxide/linux-x64/dynoxide")
            });
        assert!(
            binary.is_file(),
            "Dynoxide is missing at {}: run `npm ci` (scripts/test does)",
            binary.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&binary)
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dynoxide");
        let server = Dynoxide {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dynoxide did not listen within 10 s"
            );
            thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// The AWS settings a `carte` process needs to use this server.
    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("AWS_ENDPOINT_URL_DYNAMODB", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
    }
}

impl Drop for Dynoxide {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Proves `address` (`{"phone": …}` or `{"email": …}`) through `carte serve`'s routes,
/// reading the one-time code from its console (no mail server is configured, so
/// `carte serve` prints it), with `extra` sign-up fields (`consent` is added). Answers
/// what `POST /api/members/verify` said.
pub fn sign_in(server: &Server, address: Value, extra: Value) -> Value {
    let http = client();
    let asked = http
        .post(server.url("/api/members/code"))
        .json(&address)
        .send()
        .expect("ask for a code");
    assert_eq!(asked.status().as_u16(), 202, "{:?}", asked.text());
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        let printed = server.stderr();
        let found = printed.rfind("one-time code for ").and_then(|at| {
            let rest = &printed[at..];
            let digits = &rest[rest.find("): ")? + 3..];
            digits
                .get(..6)
                .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned)
        });
        if let Some(code) = found {
            break code;
        }
        assert!(
            Instant::now() < deadline,
            "no code on the console:\n{printed}"
        );
        thread::sleep(Duration::from_millis(20));
    };
    let mut body = address;
    body["code"] = Value::from(code);
    body["consent"] = Value::from(true);
    if let Value::Object(fields) = extra {
        for (name, value) in fields {
            body[name] = value;
        }
    }
    let verified = http
        .post(server.url("/api/members/verify"))
        .json(&body)
        .send()
        .expect("verify");
    assert!(verified.status().is_success(), "{:?}", verified.status());
    verified.json().expect("json")
}
