//! How long `carte serve` takes to apply a payment notification: places `N` orders,
//! has Stripe's own Node library sign one `checkout.session.completed` event per order,
//! then delivers every event once (each appends a ledger entry) and once more (each is a
//! repeat that appends nothing), `WORKERS` at a time, and prints the latencies.
//!
//! ```text
//! cargo run --release --example webhook_load -- BASE ORDER_JSON WEBHOOK_SECRET [N=1000] [WORKERS=16]
//! ```
//! `ORDER_JSON` is a `POST /api/orders` body; the server must run with
//! `STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET` (and a `STRIPE_SECRET_KEY`). `bench/payments.sh`
//! does all of it.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, order_file, secret, rest @ ..] = args.as_slice() else {
        eprintln!("usage: webhook_load BASE ORDER_JSON WEBHOOK_SECRET [N=1000] [WORKERS=16]");
        std::process::exit(2);
    };
    let count: usize = rest.first().map_or(Ok(1000), |s| s.parse())?;
    let workers: usize = rest.get(1).map_or(Ok(16), |s| s.parse())?;
    let order: Value = serde_json::from_str(&std::fs::read_to_string(order_file)?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(
        base.trim_end_matches('/').to_owned(),
        order,
        secret.clone(),
        count,
        workers,
    ))
}

/// One `checkout.session.completed` for an order, as Stripe sends it.
fn event(n: usize, placed: &Value) -> String {
    let order = placed["id"].as_str().unwrap_or_default();
    json!({
        "id": format!("evt_bench_{n}"),
        "object": "event",
        "created": chrono::Utc::now().timestamp(),
        "livemode": false,
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": format!("cs_test_bench_{n}"),
            "object": "checkout.session",
            "amount_total": placed["quote"]["total"],
            "currency": placed["quote"]["currency"].as_str().unwrap_or("cny").to_ascii_lowercase(),
            "client_reference_id": order,
            "metadata": {"order_id": order},
            "mode": "payment",
            "payment_intent": format!("pi_bench_{n}"),
            "payment_status": "paid",
            "status": "complete",
        }},
    })
    .to_string()
}

/// `Stripe-Signature` values from Stripe's npm library (`npm ci` at the repository root).
fn sign(payloads: &[String], secret: &str) -> Result<Vec<String>, Error> {
    let now = chrono::Utc::now().timestamp();
    let input: Vec<Value> = payloads
        .iter()
        .map(|p| json!({"payload": p, "secret": secret, "timestamp": now}))
        .collect();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new("node")
        .arg(format!("{root}/functions/tests/payments/stripe_sign.js"))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(json!(input).to_string().as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err("stripe_sign.js failed".into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Delivers every (payload, signature) once, `workers` at a time; the latencies and
/// how many deliveries recorded an entry.
async fn deliver_all(
    client: &reqwest::Client,
    base: &str,
    signed: Arc<Vec<(String, String)>>,
    workers: usize,
) -> Result<(Vec<Duration>, usize, Duration), Error> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, base, signed, next) = (
            client.clone(),
            base.to_owned(),
            signed.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut recorded = 0usize;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((payload, signature)) = signed.get(n) else {
                    break;
                };
                let sent = Instant::now();
                let response = client
                    .post(format!("{base}/api/payments/stripe/webhook"))
                    .header("Stripe-Signature", signature)
                    .header("Content-Type", "application/json")
                    .body(payload.clone())
                    .send()
                    .await?;
                if !response.status().is_success() {
                    return Err(format!("delivery {n}: {}", response.status()).into());
                }
                let body: Value = response.json().await?;
                latencies.push(sent.elapsed());
                recorded += usize::from(body["recorded"] == true);
            }
            Ok::<_, Error>((latencies, recorded))
        }));
    }
    let mut latencies = Vec::new();
    let mut recorded = 0;
    for task in tasks {
        let (mut l, r) = task.await??;
        latencies.append(&mut l);
        recorded += r;
    }
    latencies.sort_unstable();
    Ok((latencies, recorded, started.elapsed()))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

async fn run(
    base: String,
    order: Value,
    secret: String,
    count: usize,
    workers: usize,
) -> Result<(), Error> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()?;
    let mut payloads = Vec::with_capacity(count);
    for n in 0..count {
        let placed: Value = client
            .post(format!("{base}/api/orders"))
            .header(
                "Idempotency-Key",
                format!("webhook-bench-{n}-{}", std::process::id()),
            )
            .json(&order)
            .send()
            .await?
            .json()
            .await?;
        if placed["id"].is_null() {
            return Err(format!("order {n} refused: {placed}").into());
        }
        payloads.push(event(n, &placed));
    }
    let signatures = sign(&payloads, &secret)?;
    let signed: Arc<Vec<(String, String)>> =
        Arc::new(payloads.into_iter().zip(signatures).collect());
    println!("| deliveries | workers | recorded | per s | p50 ms | p99 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for round in ["first (appends)", "repeat (appends nothing)"] {
        let (latencies, recorded, took) =
            deliver_all(&client, &base, signed.clone(), workers).await?;
        println!(
            "| {round} | {workers} | {recorded} | {:.0} | {:.1} | {:.1} | {:.1} |",
            latencies.len() as f64 / took.as_secs_f64(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
        );
    }
    Ok(())
}
