//! Every order `carte serve` acknowledged survives the server being killed
//! mid-load (SIGKILL: no shutdown code runs) and is found after a restart.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{catalog_version, client, dan_dan_cart, demo_copy, run_carte, Server};
use serde_json::{json, Value};

const CLIENTS: usize = 8;
const ORDERS_PER_CLIENT: usize = 200;
/// Kill once this many orders were acknowledged (well before all are sent).
const KILL_AFTER_ACKS: usize = 300;

/// An order the server answered 2xx for.
#[derive(Debug, Clone)]
struct Acknowledged {
    id: String,
    number: String,
    token: String,
    total: i64,
}

#[test]
fn acknowledged_orders_survive_sigkill() {
    let (_dir, site) = demo_copy();
    let mut server = Server::start(&site);
    let version = catalog_version(&server);
    let acked: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));

    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, version) = (server.base.clone(), version.clone());
            let (acked, count, killed) = (acked.clone(), count.clone(), killed.clone());
            thread::spawn(move || {
                let http = client();
                for n in 0..ORDERS_PER_CLIENT {
                    let order = json!({
                        "cart": dan_dan_cart(1 + (n % 3) as u32),
                        "version": version,
                        "note": format!("client {c} order {n}"),
                    });
                    let response = http
                        .post(format!("{base}/api/orders"))
                        .header("Idempotency-Key", format!("durability-{c}-{n}"))
                        .json(&order)
                        .send();
                    // After the kill, requests fail (or their answers are cut): stop.
                    let Ok(response) = response else { break };
                    let status = response.status();
                    let Ok(body) = response.json::<Value>() else {
                        assert!(killed.load(Ordering::SeqCst), "an unreadable answer");
                        break;
                    };
                    assert!(
                        status.is_success(),
                        "order {c}/{n} refused before the kill: {status} {body}"
                    );
                    acked.lock().unwrap().push(Acknowledged {
                        id: body["id"].as_str().unwrap().to_owned(),
                        number: body["number"].as_str().unwrap().to_owned(),
                        token: body["token"].as_str().unwrap().to_owned(),
                        total: body["quote"]["total"].as_i64().unwrap(),
                    });
                    count.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(120);
    while count.load(Ordering::SeqCst) < KILL_AFTER_ACKS {
        assert!(
            Instant::now() < deadline,
            "only {} orders acknowledged in 120 s",
            count.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(5));
    }
    killed.store(true, Ordering::SeqCst);
    server.kill_hard();
    for client in clients {
        client.join().expect("a client thread failed");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER_ACKS);
    assert!(
        acked.len() < CLIENTS * ORDERS_PER_CLIENT,
        "the load ended before the kill: nothing was in flight"
    );
    let mut numbers: Vec<&str> = acked.iter().map(|o| o.number.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), acked.len(), "two orders got one number");

    // Restart on the same folder: every acknowledged order is there, as acknowledged.
    let server = Server::start(&site);
    let http = client();
    for order in &acked {
        let response = http
            .get(server.url(&format!("/api/orders/{}?token={}", order.id, order.token)))
            .send()
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "acknowledged order {} ({}) lost after SIGKILL",
            order.number,
            order.id
        );
        let stored: Value = response.json().unwrap();
        assert_eq!(stored["number"], order.number.as_str());
        assert_eq!(stored["quote"]["total"], order.total);
    }

    // The counter survived too: a new order gets a number no one had.
    let next: Value = http
        .post(server.url("/api/orders"))
        .header("Idempotency-Key", "after-restart")
        .json(&json!({"cart": dan_dan_cart(1), "version": version}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let next_number = next["number"].as_str().expect("an order after restart");
    assert!(!numbers.contains(&next_number), "{next_number} given twice");

    // And staff see the last acknowledged orders in their queue, with a key
    // made by `carte keys create` on the same folder.
    let (code, key, err) = run_carte(&[
        "keys",
        "--dir",
        site.to_str().unwrap(),
        "create",
        "--role",
        "staff",
    ]);
    assert_eq!(code, 0, "{err}");
    let queue: Value = http
        .get(server.url("/api/staff/queue?location=chunxi&limit=200"))
        .bearer_auth(key.trim())
        .send()
        .unwrap()
        .json()
        .unwrap();
    let listed = queue.to_string();
    let last = acked.last().unwrap();
    assert!(
        listed.contains(&last.id),
        "the last acknowledged order {} is not in the staff queue",
        last.number
    );
}
