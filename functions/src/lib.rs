//! Carte's ordering API: quotes, orders, members, the staff queue and the
//! marketer's figures over HTTP, on a domain-level [`store::Store`] with an
//! embedded SQLite backend and a DynamoDB one.
//!
//! The crate is laid out in floors; each imports only from the floors below it:
//!
//! - [`api`] — the HTTP API, one module per resource, and the routers of each
//!   function; `pages` — the server-rendered HTML answers (no-JS ordering);
//! - [`lambda`] — start-up of the Lambda binaries (`src/bin/`), the S3 catalog;
//! - shared logic the handlers and the `carte` command both use: [`figures`]
//!   (reports), [`csv`] (exports), [`codes`] (single-use coupon codes), [`keys`]
//!   (ids, tokens, API keys);
//! - [`payments`] — the online payment providers (Stripe, WeChat Pay) behind one
//!   trait; no store or route yet;
//! - [`state`] (what every handler shares), [`events`] (the live staff events),
//!   `limiter`, [`aws`] (AWS configuration from the environment);
//! - [`store`] — the `Store` trait, its conformance suite, and its `sqlite` and
//!   `dynamo` backends as mirror images.
//!
//! `docs/architecture.md` says where a new piece goes.

pub mod api;
pub mod aws;
pub mod codes;
pub mod csv;
pub mod estimate;
pub mod events;
pub mod figures;
pub mod keys;
pub mod lambda;
pub(crate) mod limiter;
pub(crate) mod outgoing;
pub(crate) mod pages;
pub mod payments;
pub mod push;
pub mod senders;
pub mod settlement;
pub mod state;
pub mod store;

#[cfg(feature = "passkeys")]
pub use api::passkeys_router;
pub use api::problem::ApiError;
pub use api::{
    marketing_router, members_router, orders_router, payments_router, quote_router, router,
    staff_router,
};
pub use keys::create_key;
pub use state::{AppState, Catalog, Clock};
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{Store, StoreError};
