//! A small closed-loop load generator for the ordering API on loopback.
//!
//! ```text
//! cargo run --release --example loadgen -- http://127.0.0.1:1111 cart.json [workers] [seconds]
//! ```
//! Each worker places orders one after another, each with a fresh
//! Idempotency-Key; at the end it prints orders/s, latency percentiles and errors.

use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, cart_file, rest @ ..] = args.as_slice() else {
        eprintln!("usage: loadgen BASE_URL CART_JSON [WORKERS=32] [SECONDS=10]");
        std::process::exit(2);
    };
    let workers: usize = rest.first().map_or(Ok(32), |s| s.parse())?;
    let seconds: u64 = rest.get(1).map_or(Ok(10), |s| s.parse())?;
    let body: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(cart_file)?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(
        base.trim_end_matches('/').to_owned(),
        body,
        workers,
        Duration::from_secs(seconds),
    ))
}

async fn run(
    base: String,
    body: serde_json::Value,
    workers: usize,
    length: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()?;
    let started = Instant::now();
    let deadline = started + length;
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (client, base, body) = (client.clone(), base.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let key = format!("load-{worker}-{n}-{}", started.elapsed().as_nanos());
                let sent = Instant::now();
                let response = client
                    .post(format!("{base}/api/orders"))
                    .header("Idempotency-Key", key)
                    .json(&body)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    Ok(r) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!(
                                "worker {worker}: {} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            );
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("worker {worker}: {e}");
                        }
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{} orders in {:.1} s with {workers} workers: {:.0} orders/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {errors} errors",
        all.len(),
        elapsed,
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        all.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
    Ok(())
}
