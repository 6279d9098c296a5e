//! Online payment providers behind one small trait: start a checkout for an order, turn
//! a provider's notification into a verified domain event, refund, and ask for an
//! order's payment when a notification is late.
//!
//! One module per provider ([`stripe`], [`wechat`]); their base URLs, keys and secrets
//! come from environment variables only (`docs/payments.md` lists them) and are never
//! logged: every configuration's `Debug` redacts them. Nothing here touches the store:
//! the caller appends what a [`ProviderEvent`] says to the order's ledger
//! ([`catalog::payment`]) exactly once, keyed by [`ProviderEvent::idempotency_key`].

use async_trait::async_trait;
use axum::http::HeaderMap;
use catalog::payment::Method;
use catalog::Minor;
use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

pub mod stripe;
pub mod wechat;

pub use stripe::{Stripe, StripeConfig};
pub use wechat::{Wechat, WechatConfig};

/// How far a notification's timestamp may be from now before it is refused as stale
/// (Stripe's documented default, and WeChat Pay's advice): five minutes.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Where the diner pays, which decides the kind of checkout a provider starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// A screen the diner scans a QR code from: a desktop, the counter screen, a table
    /// tablet (WeChat Pay Native).
    QrCode,
    /// A phone browser (WeChat Pay H5; outside WeChat's own browser).
    MobileBrowser,
}

/// A checkout to start for an order; every amount was priced by Carte.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// Carte's order id; the provider carries it back in its notifications.
    pub order_id: String,
    /// What the diner sees on the provider's page, e.g. `"Noodle Bar — order A12"`.
    pub description: String,
    /// The amount due, in minor units of `currency`.
    pub amount: Minor,
    /// ISO 4217 code.
    pub currency: String,
    /// Where the provider sends the diner back to after paying (the order status page).
    pub return_url: String,
    /// Where the provider sends the diner who gives up.
    pub cancel_url: String,
    /// The diner's IP address (WeChat Pay H5 requires it).
    pub client_ip: Option<String>,
    /// Where the diner pays.
    pub surface: Surface,
    /// Same key, same checkout: a retried request does not start a second one.
    pub idempotency_key: String,
}

/// What the diner does next to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", content = "url", rename_all = "snake_case")]
pub enum NextStep {
    /// Send the diner to this page (a 303 from the plain form).
    Redirect(String),
    /// Show this as a QR code for the diner to scan with the provider's app.
    QrCode(String),
}

/// A checkout a provider started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkout {
    /// The provider's reference for it (a Checkout Session id; WeChat Pay's
    /// `out_trade_no`, which is the order id), kept in the ledger's checkout entry.
    pub reference: String,
    /// What the diner does next.
    pub next: NextStep,
}

/// What a verified notification (or an order query) says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The payment succeeded: append a charge.
    Succeeded,
    /// The attempt failed: append a failure.
    Failed,
    /// Money was given back: append a refund. When `cumulative`, `amount` is the total
    /// refunded on the payment so far (Stripe's `charge.refunded` carries only that):
    /// the refund to append is that total less what the ledger already holds for the
    /// payment's reference.
    Refunded {
        /// `amount` is a running total rather than this one refund.
        cumulative: bool,
    },
}

/// A provider notification, verified and parsed into the domain's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderEvent {
    /// Which provider.
    pub method: Method,
    /// The provider's id of this notification (`evt_…`, WeChat Pay's notification id),
    /// or `query:…` for what an order query found.
    pub event_id: String,
    /// Carte's order id, when the provider carried it (a Stripe refund may not: the
    /// order is then found by `reference`).
    pub order_id: Option<String>,
    /// Minor units of `currency` (see [`EventKind::Refunded`]).
    pub amount: Minor,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// What happened.
    pub kind: EventKind,
    /// The payment's reference (Stripe PaymentIntent, WeChat Pay `transaction_id`); for a
    /// WeChat Pay refund, the refund's `refund_id`.
    pub reference: String,
}

impl ProviderEvent {
    /// What makes two deliveries the same fact, whatever their event ids: a payment's
    /// success or failure, or a refund. A notification and an order query that find the
    /// same payment share it, so recording this key with the ledger entry applies the
    /// fact once however it arrives.
    pub fn idempotency_key(&self) -> String {
        let method = self.method.as_str();
        match self.kind {
            EventKind::Succeeded => format!("{method}:succeeded:{}", self.reference),
            EventKind::Failed => format!("{method}:failed:{}:{}", self.reference, self.event_id),
            EventKind::Refunded { cumulative: true } => {
                format!("{method}:refunded:{}:{}", self.reference, self.amount)
            }
            EventKind::Refunded { cumulative: false } => {
                format!("{method}:refund:{}", self.reference)
            }
        }
    }
}

/// A refund to ask a provider for.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// Carte's order id.
    pub order_id: String,
    /// The payment's reference from its charge entry (PaymentIntent, `transaction_id`).
    pub payment_reference: String,
    /// Carte's id for this refund, the provider's idempotency key (`out_refund_no`).
    pub refund_id: String,
    /// What to give back, already checked with `catalog::payment::check_refund`.
    pub amount: Minor,
    /// The payment's full amount (WeChat Pay requires it).
    pub payment_amount: Minor,
    /// ISO 4217 code.
    pub currency: String,
    /// Shown to the diner where the provider shows one.
    pub reason: Option<String>,
}

/// Where a refund the provider accepted stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// The money is on its way back.
    Succeeded,
    /// Accepted; a notification (or query) will say when it is done.
    Pending,
}

/// A refund the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundAccepted {
    /// The provider's refund id (`re_…`, WeChat Pay's `refund_id`).
    pub reference: String,
    /// Minor units given back.
    pub amount: Minor,
    /// Done or on its way.
    pub status: RefundStatus,
}

/// An order's payment to ask a provider about.
#[derive(Debug, Clone)]
pub struct PaymentQuery {
    /// Carte's order id (WeChat Pay's `out_trade_no`).
    pub order_id: String,
    /// The checkout's reference (a Stripe Checkout Session id, which Stripe needs).
    pub checkout_reference: Option<String>,
}

/// Why a provider operation failed. The messages name no secret.
#[derive(Debug, Error)]
pub enum PaymentError {
    /// A setting is missing or unusable; names the environment variable.
    #[error("payments are not configured: {variable} {problem}")]
    Config {
        /// The environment variable to set.
        variable: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A notification whose signature, timestamp or key does not verify: refuse it.
    #[error("the notification is not authentic: {0}")]
    Unauthentic(String),
    /// An authentic notification or answer that Carte cannot read.
    #[error("the provider sent something Carte cannot read: {0}")]
    Malformed(String),
    /// A request Carte will not send (an order id the provider cannot carry, …).
    #[error("invalid payment request: {0}")]
    Invalid(String),
    /// The provider could not be reached or did not answer in time; may pass when tried
    /// again.
    #[error("cannot reach the payment provider: {0}")]
    Unreachable(String),
    /// The provider refused the request.
    #[error("the payment provider answered {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The provider's code and message.
        message: String,
    },
}

impl From<crate::outgoing::OutgoingError> for PaymentError {
    fn from(error: crate::outgoing::OutgoingError) -> Self {
        use crate::outgoing::OutgoingError;
        match error {
            OutgoingError::Invalid(message) => PaymentError::Invalid(message),
            OutgoingError::Unreachable(message) => PaymentError::Unreachable(message),
            OutgoingError::Malformed(message) => PaymentError::Malformed(message),
        }
    }
}

/// A payment provider: the few operations the domain needs.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The ledger method its entries carry.
    fn method(&self) -> Method;

    /// Starts a checkout for an order (once per idempotency key).
    async fn create_checkout(&self, checkout: &CheckoutRequest) -> Result<Checkout, PaymentError>;

    /// Verifies a notification's signature (at `now`) and parses it. `Ok(None)`: authentic
    /// but nothing for the ledger (another event type); answer it with a 2xx so the
    /// provider stops sending it. An error other than [`PaymentError::Unauthentic`] is
    /// also refused, so the provider tries again.
    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ProviderEvent>, PaymentError>;

    /// Asks the provider to give money back.
    async fn refund(&self, refund: &RefundRequest) -> Result<RefundAccepted, PaymentError>;

    /// Asks the provider how an order's payment stands (when a notification is late).
    /// `Ok(None)`: not settled yet.
    async fn query(&self, query: &PaymentQuery) -> Result<Option<ProviderEvent>, PaymentError>;
}

/// The providers this process takes payments through, configured once at start-up.
///
/// A provider none of whose required settings are present is simply off; one that is
/// half set up or mis-set is off too, and [`Providers::from_lookup`] says which
/// variable (never its value) on standard error.
pub struct Providers {
    /// Stripe, when `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET` are set.
    pub stripe: Option<Stripe>,
    /// WeChat Pay, when its `WECHATPAY_*` settings are set.
    pub wechat: Option<Wechat>,
    /// When each order's payment was last asked of its provider (see [`Providers::may_query`]).
    queried: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers")
            .field("stripe", &self.stripe.is_some())
            .field("wechat", &self.wechat.is_some())
            .finish()
    }
}

/// How often one order's payment is asked of its provider, at most, in one process.
pub const QUERY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15);

impl Providers {
    /// The provider behind an online method, if it is set up.
    pub fn provider(&self, method: Method) -> Option<&dyn Provider> {
        match method {
            Method::Stripe => self.stripe.as_ref().map(|p| p as &dyn Provider),
            Method::WechatPay => self.wechat.as_ref().map(|p| p as &dyn Provider),
            _ => None,
        }
    }

    /// Whether order `order_id`'s payment may be asked of its provider now: at most once
    /// per [`QUERY_INTERVAL`], however often the diner's status page asks.
    pub fn may_query(&self, order_id: &str) -> bool {
        let now = std::time::Instant::now();
        let Ok(mut queried) = self.queried.lock() else {
            return false;
        };
        if queried.len() > 10_000 {
            queried.retain(|_, at| now.duration_since(*at) < QUERY_INTERVAL);
        }
        match queried.get(order_id) {
            Some(at) if now.duration_since(*at) < QUERY_INTERVAL => false,
            _ => {
                queried.insert(order_id.to_owned(), now);
                true
            }
        }
    }

    /// The providers set up in the process environment; `None` when none is.
    pub fn from_env() -> Option<Providers> {
        Providers::from_lookup(&|name| std::env::var(name).ok())
    }

    /// The providers set up through `lookup`; `None` when none is.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Option<Providers> {
        fn configured<C>(
            name: &str,
            missing: Vec<&'static str>,
            all: usize,
            config: impl FnOnce() -> Result<C, PaymentError>,
        ) -> Option<C> {
            if missing.len() == all {
                return None;
            }
            match config() {
                Ok(config) => Some(config),
                Err(error) => {
                    eprintln!("carte functions: {name} is off: {error}");
                    None
                }
            }
        }
        let stripe = configured(
            "Stripe",
            StripeConfig::missing(lookup),
            2, // STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET
            || StripeConfig::from_lookup(lookup),
        )
        .map(Stripe::new);
        let wechat = configured(
            "WeChat Pay",
            WechatConfig::missing(lookup),
            wechat::REQUIRED.len(),
            || WechatConfig::from_lookup(lookup),
        )
        .map(Wechat::new);
        (stripe.is_some() || wechat.is_some()).then(|| Providers {
            stripe,
            wechat,
            queried: Default::default(),
        })
    }
}

/// A secret from the environment: usable, never printed.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A required setting through `lookup` (the environment, or a map in tests); empty is
/// unset.
pub(crate) fn required(
    lookup: &dyn Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<String, PaymentError> {
    lookup(variable)
        .filter(|v| !v.trim().is_empty())
        .ok_or(PaymentError::Config {
            variable,
            problem: "is not set".into(),
        })
}

/// An optional setting through `lookup`; empty is unset.
pub(crate) fn optional(lookup: &dyn Fn(&str) -> Option<String>, variable: &str) -> Option<String> {
    lookup(variable).filter(|v| !v.trim().is_empty())
}

/// A base URL setting: `http://` or `https://`, without a trailing `/`.
pub(crate) fn base_url(
    lookup: &dyn Fn(&str) -> Option<String>,
    variable: &'static str,
    default: &str,
) -> Result<String, PaymentError> {
    let url = optional(lookup, variable).unwrap_or_else(|| default.to_owned());
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(PaymentError::Config {
            variable,
            problem: format!("must be an http:// or https:// URL, not {url:?}"),
        });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The value of a header as text, or why not.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, PaymentError> {
    headers
        .get(name)
        .ok_or_else(|| PaymentError::Unauthentic(format!("no {name} header")))?
        .to_str()
        .map_err(|_| PaymentError::Unauthentic(format!("the {name} header is not text")))
}

/// Whether a notification sent at `sent` (Unix seconds) is within the tolerance of `now`.
pub(crate) fn fresh(sent: i64, now: DateTime<Utc>) -> bool {
    now.timestamp()
        .checked_sub(sent)
        .is_some_and(|age| age.abs() <= TOLERANCE_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn providers_are_on_only_when_set_up_whole() {
        assert!(Providers::from_lookup(&lookup(&[])).is_none());
        // Half set up, or a publishable key: off, and no provider at all.
        assert!(Providers::from_lookup(&lookup(&[("STRIPE_SECRET_KEY", "sk_test_x")])).is_none());
        assert!(Providers::from_lookup(&lookup(&[
            ("STRIPE_SECRET_KEY", "pk_test_x"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
        ]))
        .is_none());
        let stripe = Providers::from_lookup(&lookup(&[
            ("STRIPE_SECRET_KEY", "sk_test_x"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
        ]))
        .expect("Stripe is set up");
        assert!(stripe.stripe.is_some() && stripe.wechat.is_none());
        assert_eq!(
            format!("{stripe:?}"),
            "Providers { stripe: true, wechat: false }"
        );
    }
}
