//! The shared state every function's router takes: catalog, store and clock.

use std::sync::{Arc, RwLock};

use catalog::Site;
use chrono::{DateTime, Utc};

use crate::store::Store;

/// The checked site the API prices against, with its content version.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub site: Site,
    /// `catalog::catalog_version` of `site`; carts name it to detect a menu change.
    pub version: String,
}

impl Catalog {
    /// A catalog of `site`, versioned by its content hash.
    pub fn new(site: Site) -> Catalog {
        let version = catalog::catalog_version(&site);
        Catalog { site, version }
    }
}

/// Where "now" comes from; tests fix it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything a handler needs, built once at start-up and shared.
///
/// Cloning is cheap (reference counts). The catalog sits behind a lock so
/// `carte serve` can swap in a rebuilt one while requests run; a request takes
/// one snapshot (`Arc<Catalog>`) and prices everything against it.
#[derive(Clone)]
pub struct AppState {
    catalog: Arc<RwLock<Arc<Catalog>>>,
    /// The order, member and key storage.
    pub store: Arc<dyn Store>,
    clock: Clock,
    /// Live events for staff screens: orders placed, status changes, sold-out switches.
    pub events: crate::events::Events,
    /// Failed staff sign-ins per client address.
    pub sign_in: Arc<crate::limiter::SignInLimiter>,
    /// The online payment providers set up in the environment; `None` when none is
    /// (their routes then answer 503 `payments-not-configured`).
    pub payments: Option<Arc<crate::payments::Providers>>,
    /// Who sends one-time codes (email, SMS, or the console of `carte serve`).
    pub senders: crate::senders::Senders,
    /// One-time codes asked for per client address (every request counts).
    pub code_requests: Arc<crate::limiter::SignInLimiter>,
    /// Pickup orders placed per client (address, or member when signed in).
    pub pickup_orders: Arc<crate::limiter::SignInLimiter>,
    /// Web Push ("your order is ready"), when a VAPID key is set up; `None` turns it off.
    pub push: Option<Arc<crate::push::Push>>,
}

impl AppState {
    /// State on the system clock, with the payment providers the environment sets up.
    pub fn new(catalog: Catalog, store: Arc<dyn Store>) -> AppState {
        AppState {
            catalog: Arc::new(RwLock::new(Arc::new(catalog))),
            store,
            clock: Arc::new(Utc::now),
            events: crate::events::Events::new(),
            sign_in: Arc::default(),
            payments: crate::payments::Providers::from_env().map(Arc::new),
            senders: crate::senders::Senders::from_env(false),
            code_requests: Arc::new(crate::limiter::SignInLimiter::with_max(
                crate::limiter::CODE_REQUESTS_PER_MINUTE,
            )),
            pickup_orders: Arc::new(crate::limiter::SignInLimiter::with_max_per(
                crate::limiter::pickup_orders_per_hour(),
                crate::limiter::PICKUP_WINDOW,
            )),
            push: crate::push::Push::from_env()
                .unwrap_or_else(|error| {
                    eprintln!("carte: Web Push is off: {error}");
                    None
                })
                .map(Arc::new),
        }
    }

    /// The same state with this Web Push set-up (`carte serve` makes a key of its own;
    /// tests send to a push service on 127.0.0.1).
    pub fn with_push(mut self, push: Option<crate::push::Push>) -> AppState {
        self.push = push.map(Arc::new);
        self
    }

    /// The same state with these code senders (`carte serve` lets the console show
    /// codes; tests send through their own mail server).
    pub fn with_senders(mut self, senders: crate::senders::Senders) -> AppState {
        self.senders = senders;
        self
    }

    /// The same state with these payment providers (tests set them up in code).
    pub fn with_payments(mut self, payments: Option<crate::payments::Providers>) -> AppState {
        self.payments = payments.map(Arc::new);
        self
    }

    /// The same state reading "now" from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    /// A snapshot of the current catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        // A poisoned lock still holds a whole Arc: a panic elsewhere cannot tear it.
        self.catalog
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Swaps in a rebuilt catalog and hands back the one it replaces (so the caller
    /// chooses when to free it); requests already running keep their snapshot.
    pub fn set_catalog(&self, catalog: Catalog) -> Arc<Catalog> {
        let mut slot = self
            .catalog
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::replace(&mut *slot, Arc::new(catalog))
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}
