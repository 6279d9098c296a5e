//! Failed staff sign-ins per client address ([`MAX_FAILURES`] a minute, then a wait),
//! one-time code requests, and pickup orders per client ([`PICKUP_ORDERS_PER_HOUR`]),
//! in memory: per process, which is per `carte serve` and per warm Lambda instance.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins a client address may make per [`FAILURE_WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failed sign-ins are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// One-time code requests one client address may make per [`FAILURE_WINDOW`] (a
/// restaurant's guests may share one address behind its Wi-Fi).
pub const CODE_REQUESTS_PER_MINUTE: usize = 20;
/// Pickup orders one client (an address, or a signed-in member) may place per
/// [`PICKUP_WINDOW`]. A diner places one, perhaps a second to add a forgotten dish;
/// at four an hour one client needs more than an hour to book out a slot of the
/// demo's six places, and the lead time closes the slots near enough to matter.
pub const PICKUP_ORDERS_PER_HOUR: usize = 4;
/// The window pickup orders are counted in.
pub const PICKUP_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Sets another number of pickup orders per client and hour (a shop taking office
/// orders from one address; a test filling a slot from 127.0.0.1).
pub const PICKUP_ORDERS_ENV: &str = "CARTE_PICKUP_ORDERS_PER_HOUR";

/// The pickup orders per client and hour: [`PICKUP_ORDERS_ENV`] when set to a
/// positive number, else [`PICKUP_ORDERS_PER_HOUR`].
pub fn pickup_orders_per_hour() -> usize {
    std::env::var(PICKUP_ORDERS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(PICKUP_ORDERS_PER_HOUR)
}
/// Addresses remembered at most; beyond it, addresses with no recent failure are dropped.
const MAX_TRACKED: usize = 10_000;

/// Failed sign-ins per client address, in memory.
#[derive(Debug)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    max: usize,
    window: Duration,
}

impl Default for SignInLimiter {
    fn default() -> SignInLimiter {
        SignInLimiter::with_max(MAX_FAILURES)
    }
}

impl SignInLimiter {
    /// A limiter allowing `max` counted attempts per client per [`FAILURE_WINDOW`].
    pub fn with_max(max: usize) -> SignInLimiter {
        SignInLimiter::with_max_per(max, FAILURE_WINDOW)
    }

    /// A limiter allowing `max` counted attempts per client per `window`.
    pub fn with_max_per(max: usize, window: Duration) -> SignInLimiter {
        SignInLimiter {
            failures: Mutex::default(),
            max: max.max(1),
            window,
        }
    }

    /// Counts an attempt of `client` when it is within the limit (checked and counted
    /// under one lock, so a burst cannot all pass the check first); otherwise the
    /// seconds to wait. [`SignInLimiter::give_back`] undoes it.
    pub fn take(&self, client: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= MAX_TRACKED && !failures.contains_key(client) {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = failures.entry(client.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        times.push_back(now);
        Ok(())
    }

    /// Takes back the latest attempt counted for `client` (one that did not happen
    /// after all, such as an order the store refused).
    pub fn give_back(&self, client: &str) {
        let mut failures = self.lock();
        if let Some(times) = failures.get_mut(client) {
            times.pop_back();
            if times.is_empty() {
                failures.remove(client);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // The map holds only counters: a panic elsewhere cannot leave it torn.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The seconds `client` must wait when it failed too often lately (a 429 with
    /// `Retry-After` at the edge).
    pub fn check(&self, client: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.lock();
        let Some(times) = failures.get_mut(client) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() < self.max {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        let wait = self.window.saturating_sub(now.duration_since(oldest));
        Err(wait.as_secs().max(1))
    }

    /// Counts a failed sign-in of `client`.
    pub fn fail(&self, client: &str) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= MAX_TRACKED && !failures.contains_key(client) {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = failures.entry(client.to_owned()).or_default();
        times.push_back(now);
        while times.len() > self.max {
            times.pop_front();
        }
    }

    /// Forgets `client`'s failures after a good sign-in.
    pub fn succeed(&self, client: &str) {
        self.lock().remove(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_counts_and_giving_back_undoes() {
        let limiter = SignInLimiter::with_max_per(2, PICKUP_WINDOW);
        assert!(limiter.take("a").is_ok());
        assert!(limiter.take("a").is_ok());
        let wait = limiter.take("a").expect_err("a third within the hour");
        assert!((3590..=3600).contains(&wait), "{wait}");
        assert!(limiter.take("b").is_ok());
        limiter.give_back("a");
        assert!(limiter.take("a").is_ok());
    }

    #[test]
    fn five_failures_a_minute_then_wait() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(limiter.check("1.2.3.4").is_ok());
            limiter.fail("1.2.3.4");
        }
        match limiter.check("1.2.3.4") {
            Err(retry_after) => {
                assert!((1..=60).contains(&retry_after))
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limiter.check("5.6.7.8").is_ok());
        limiter.succeed("1.2.3.4");
        assert!(limiter.check("1.2.3.4").is_ok());
    }
}
