//! `carte serve` under idle and slow clients on 127.0.0.1: a connection that sends
//! nothing, half a request head, half a body, or nothing after its answer is closed
//! within the timeouts, and sockets held open without a request cannot keep
//! `/api/health` from answering. Timeouts are set to one second here (hidden
//! options), so every test ends within seconds.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{demo_copy, Server};

/// What a test allows past a one-second timeout before calling a connection held.
const CLOSED_WITHIN: Duration = Duration::from_secs(5);

fn connect(server: &Server) -> TcpStream {
    let addr = server.base.trim_start_matches("http://");
    TcpStream::connect(addr).expect("connect")
}

/// Reads until the server closes the connection; the time that took and what came,
/// or `None` when it was still open after `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, String)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        match stream.read(&mut buf) {
            Ok(0) => return Some((started.elapsed(), String::from_utf8_lossy(&received).into())),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            // A reset is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some((started.elapsed(), String::from_utf8_lossy(&received).into()))
            }
            Err(_) => return None,
        }
    }
}

#[test]
fn idle_and_slow_connections_are_closed_within_the_timeouts() {
    let (_dir, site) = demo_copy();
    let server = Server::start_env(
        &site,
        &["--no-watch"],
        &[
            ("CARTE_SERVE_HEADER_TIMEOUT", "1"),
            ("CARTE_SERVE_BODY_TIMEOUT", "1"),
        ],
    );
    let silent = connect(&server);
    let mut half_head = connect(&server);
    half_head
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Ag")
        .expect("half a head");
    let mut half_body = connect(&server);
    half_body
        .write_all(
            b"POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Idempotency-Key: slow\r\nContent-Length: 400\r\n\r\n{\"cart\": {\"loc",
        )
        .expect("half a body");
    let mut kept_alive = connect(&server);
    kept_alive
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .expect("a whole request");
    for (name, mut stream) in [
        ("no bytes", silent),
        ("half a request head", half_head),
        ("half a body", half_body),
        ("idle after its answer", kept_alive),
    ] {
        let (after, received) = closed_within(&mut stream, CLOSED_WITHIN)
            .unwrap_or_else(|| panic!("{name}: still open after {CLOSED_WITHIN:?}"));
        eprintln!("{name}: closed after {after:?}");
        match name {
            "half a body" => assert!(
                received.starts_with("HTTP/1.1 400"),
                "{name}: a stalled body is a bad request: {received}"
            ),
            "idle after its answer" => assert!(received.starts_with("HTTP/1.1 200"), "{received}"),
            _ => {}
        }
    }
    // The server still answers.
    let health = common::client()
        .get(server.url("/api/health"))
        .send()
        .expect("health");
    assert!(health.status().is_success());
}

/// `carte serve` under a limit of `files` open files (its connection cap at its
/// default, fitted under them); killed when dropped.
struct Limited {
    child: Child,
    base: String,
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_limited(site: &std::path::Path, files: u32) -> Limited {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_carte"))
        .arg("serve")
        .arg(site)
        .args(["--port", "0", "--no-watch"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn carte serve");
    let mut stdout = child.stdout.take().expect("stdout");
    let deadline = Instant::now() + common::START_TIMEOUT;
    let mut printed = Vec::new();
    let mut buf = [0u8; 1024];
    let base = loop {
        let text = String::from_utf8_lossy(&printed).into_owned();
        if let Some(at) = text.find("at http://") {
            if let Some(url) = text[at + 3..].split_whitespace().next() {
                break url.trim_end_matches('/').to_owned();
            }
        }
        assert!(Instant::now() < deadline, "no address: {text}");
        match stdout.read(&mut buf) {
            Ok(0) => panic!("carte serve exited: {text}"),
            Ok(n) => printed.extend_from_slice(&buf[..n]),
            Err(e) => panic!("reading carte serve: {e}"),
        }
    };
    // Keep reading its output so it never blocks on a full pipe.
    std::thread::spawn(move || while stdout.read(&mut buf).is_ok_and(|n| n > 0) {});
    Limited { child, base }
}

#[test]
fn sockets_held_open_without_a_request_do_not_stop_health_from_answering() {
    let (_dir, site) = demo_copy();
    // 128 open files for the server: its default cap fits under them (64
    // connections), where the 400 idle sockets below would take every file it may
    // open if it accepted them all.
    let server = serve_limited(&site, 128);
    let addr = server.base.trim_start_matches("http://").to_owned();
    // A new connection for every request, as a new visitor makes.
    let http = reqwest::blocking::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let health = || {
        let started = Instant::now();
        let ok = http
            .get(format!("{}/api/health", server.base))
            .timeout(Duration::from_secs(5))
            .send()
            .is_ok_and(|r| r.status().is_success());
        (ok, started.elapsed())
    };
    assert!(health().0, "answers before");
    let idle: Vec<TcpStream> = (0..400)
        .map(|_| TcpStream::connect(&addr).expect("an idle socket"))
        .collect();
    // Let the server accept what it will.
    std::thread::sleep(Duration::from_millis(500));
    for round in 0..3 {
        let (ok, took) = health();
        eprintln!("round {round}: {ok} in {took:?}");
        assert!(ok, "round {round}: /api/health did not answer within 5 s");
        assert!(
            took < Duration::from_secs(2),
            "round {round}: took {took:?}"
        );
    }
    // The server kept to its cap: it holds at most 64 of them (and a few files of
    // its own), whatever the clients open.
    let fds = std::fs::read_dir(format!("/proc/{}/fd", server.child.id()))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert!(fds < 64 + 48, "{fds} open files");
    drop(idle);
}
