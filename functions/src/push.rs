//! "Your order is ready" as a notification, sent by Web Push from the shop's own
//! server: no SMS bill, no platform in between.
//!
//! The diner's browser subscribes on the status page ([`PushSubscription`]); when staff
//! mark the order ready, each of its subscriptions gets one message, encrypted for that
//! browser (RFC 8291, `aes128gcm`, by `web-push-native`) and signed for the push service
//! with the shop's VAPID key (RFC 8292: an ES256 token naming the push service and a
//! contact). Messages go only to the push services in [`Push::hosts`] (the browsers' own,
//! by default), so a diner's subscription cannot make the server call anything else.
//!
//! Keys: `CARTE_VAPID_PRIVATE_KEY` (the P-256 private scalar, base64url, as `carte push-key`
//! prints it) and `CARTE_VAPID_SUBJECT` (`mailto:` or `https:` contact; the site's address
//! when unset). Without a key, push is off and the status page does not offer it.

use std::time::Duration;

use axum::http::Uri;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::Serialize;
use thiserror::Error;

use crate::outgoing::{Client, Outgoing};
use crate::store::{Order, PushSubscription, Store};
use catalog::{Fulfilment, Site};

/// The environment variables of Web Push.
pub const VAPID_PRIVATE_KEY: &str = "CARTE_VAPID_PRIVATE_KEY";
pub const VAPID_SUBJECT: &str = "CARTE_VAPID_SUBJECT";
pub const PUSH_HOSTS: &str = "CARTE_PUSH_HOSTS";

/// The browsers' push services (Chrome and Edge on Android, Firefox, Safari, Edge on
/// Windows): an endpoint's host must be one of these or end in `.` and one of these.
pub const DEFAULT_HOSTS: &[&str] = &[
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
];

/// The longest endpoint kept (the services' are about 200–500 characters).
pub const MAX_ENDPOINT: usize = 1000;

/// How long a push service keeps a message for a browser that is offline: an order
/// ready an hour ago is news no longer.
const TTL: Duration = Duration::from_secs(60 * 60);

/// How long the whole round of sends may hold up the staff's status change.
const SEND_BUDGET: Duration = Duration::from_secs(4);

/// Why push could not be set up or a subscription was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PushError {
    /// A key or setting is unusable; names the environment variable.
    #[error("{variable} {problem}")]
    Config {
        variable: &'static str,
        problem: String,
    },
    /// The subscription is not one this server sends to.
    #[error("{0}")]
    Subscription(&'static str),
}

/// The shop's VAPID key pair and contact. The token is signed by *ring* (which the
/// functions link already for TLS and payments), so push adds no second ECDSA.
#[derive(Clone)]
pub struct Vapid {
    key: std::sync::Arc<EcdsaKeyPair>,
    private: [u8; 32],
    public: String,
    subject: Option<String>,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    /// The key pair of a private scalar in base64url (32 bytes).
    pub fn from_base64(private: &str, subject: Option<String>) -> Result<Vapid, PushError> {
        let problem = |problem: &str| PushError::Config {
            variable: VAPID_PRIVATE_KEY,
            problem: problem.to_owned(),
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(private.trim().trim_end_matches('='))
            .map_err(|_| problem("is not base64url"))?;
        let key = Vapid::key_pair(&bytes)
            .ok_or_else(|| problem("is not a P-256 private key (32 bytes, base64url)"))?;
        if let Some(subject) = &subject {
            if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
                return Err(PushError::Config {
                    variable: VAPID_SUBJECT,
                    problem: "must start with mailto: or https://".into(),
                });
            }
        }
        Ok(Vapid::of(key, subject))
    }

    /// A new random key pair.
    pub fn generate() -> Vapid {
        loop {
            let bytes: [u8; 32] = rand::random();
            // All but about 2^-128 of 32-byte strings are valid scalars.
            if let Some(key) = Vapid::key_pair(&bytes) {
                return Vapid::of(key, None);
            }
        }
    }

    /// The key pair of a private scalar, with its public key derived (P-256 arithmetic).
    fn key_pair(private: &[u8]) -> Option<([u8; 32], EcdsaKeyPair)> {
        let secret = p256::SecretKey::from_slice(private).ok()?;
        let public = secret.public_key().to_encoded_point(false);
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            private,
            public.as_bytes(),
            &SystemRandom::new(),
        )
        .ok()?;
        Some((private.try_into().ok()?, pair))
    }

    fn of((private, key): ([u8; 32], EcdsaKeyPair), subject: Option<String>) -> Vapid {
        let public = URL_SAFE_NO_PAD.encode(key.public_key().as_ref());
        Vapid {
            key: std::sync::Arc::new(key),
            private,
            public,
            subject,
        }
    }

    /// The private scalar in base64url, for `CARTE_VAPID_PRIVATE_KEY`.
    pub fn private_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.private)
    }

    /// The public key in base64url (65 bytes, uncompressed): the browser's
    /// `applicationServerKey`.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a message to `endpoint`: `vapid t=<ES256 JWT>,
    /// k=<public key>`, valid for 12 hours from `now`.
    pub fn authorization(&self, endpoint: &Uri, subject: &str, now: DateTime<Utc>) -> String {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: String,
            exp: i64,
            sub: &'a str,
        }
        let audience = format!(
            "{}://{}",
            endpoint.scheme_str().unwrap_or("https"),
            endpoint.authority().map(|a| a.as_str()).unwrap_or("")
        );
        let claims = Claims {
            aud: audience,
            exp: (now + chrono::Duration::hours(12)).timestamp(),
            sub: self.subject.as_deref().unwrap_or(subject),
        };
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signing_input = format!("{header}.{claims}");
        // ES256 in JWS form is the fixed-width r ‖ s that *ring*'s `_FIXED` signing makes.
        let signature = self
            .key
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map(|sig| URL_SAFE_NO_PAD.encode(sig.as_ref()))
            .unwrap_or_default();
        format!("vapid t={signing_input}.{signature}, k={}", self.public)
    }
}

/// Web Push as this server sends it: the key, the push services allowed, a client.
pub struct Push {
    pub vapid: Vapid,
    /// Hosts an endpoint may name (see [`DEFAULT_HOSTS`]). `127.0.0.1` or `localhost`
    /// here also allows plain `http` to this machine (tests, `carte serve` demos).
    pub hosts: Vec<String>,
    client: Client,
}

impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Push")
            .field("vapid", &self.vapid)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl Push {
    /// Push with this key, to the browsers' push services.
    pub fn new(vapid: Vapid) -> Push {
        Push {
            vapid,
            hosts: DEFAULT_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            client: Client::new(),
        }
    }

    /// The same, sending only to `hosts`.
    pub fn with_hosts(mut self, hosts: Vec<String>) -> Push {
        self.hosts = hosts;
        self
    }

    /// Push as the environment sets it up: `None` without `CARTE_VAPID_PRIVATE_KEY`.
    pub fn from_env() -> Result<Option<Push>, PushError> {
        let Some(private) = std::env::var(VAPID_PRIVATE_KEY)
            .ok()
            .filter(|v| !v.trim().is_empty())
        else {
            return Ok(None);
        };
        let subject = std::env::var(VAPID_SUBJECT)
            .ok()
            .filter(|v| !v.trim().is_empty());
        Ok(Some(Push::with_env_hosts(Vapid::from_base64(
            &private, subject,
        )?)))
    }

    /// Push with this key, to the hosts `CARTE_PUSH_HOSTS` lists (comma-separated), or
    /// to the browsers' push services when it is unset.
    pub fn with_env_hosts(vapid: Vapid) -> Push {
        let push = Push::new(vapid);
        match std::env::var(PUSH_HOSTS) {
            Ok(hosts) if !hosts.trim().is_empty() => push.with_hosts(
                hosts
                    .split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect(),
            ),
            _ => push,
        }
    }

    /// The endpoint as a URI, when it is one this server sends to: `https` to an allowed
    /// push service, or `http` to this machine when `127.0.0.1`/`localhost` is allowed.
    pub fn check_endpoint(&self, endpoint: &str) -> Result<Uri, PushError> {
        if endpoint.len() > MAX_ENDPOINT {
            return Err(PushError::Subscription("the endpoint is too long"));
        }
        let uri: Uri = endpoint
            .parse()
            .map_err(|_| PushError::Subscription("the endpoint is not a URL"))?;
        let host = uri
            .host()
            .ok_or(PushError::Subscription("the endpoint names no host"))?
            .to_ascii_lowercase();
        let loopback = host == "127.0.0.1" || host == "localhost";
        let allowed = self
            .hosts
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")));
        if !allowed {
            return Err(PushError::Subscription(
                "the endpoint is not a browser push service this shop sends to",
            ));
        }
        match uri.scheme_str() {
            Some("https") => Ok(uri),
            Some("http") if loopback => Ok(uri),
            _ => Err(PushError::Subscription("the endpoint must be https")),
        }
    }

    /// The request carrying `message` to one subscription.
    pub(crate) fn request(
        &self,
        sub: &PushSubscription,
        message: &Message,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<Outgoing<'static>, PushError> {
        let endpoint = self.check_endpoint(&sub.endpoint)?;
        let bad = |what| PushError::Subscription(what);
        let public = URL_SAFE_NO_PAD
            .decode(sub.p256dh.trim_end_matches('='))
            .ok()
            .and_then(|b| web_push_native::p256::PublicKey::from_sec1_bytes(&b).ok())
            .ok_or(bad("keys.p256dh is not a P-256 public key"))?;
        let auth = URL_SAFE_NO_PAD
            .decode(sub.auth.trim_end_matches('='))
            .ok()
            .filter(|a| a.len() == 16)
            .ok_or(bad("keys.auth is not 16 bytes of base64url"))?;
        let built = web_push_native::WebPushBuilder::new(
            endpoint.clone(),
            public,
            web_push_native::Auth::clone_from_slice(&auth),
        )
        .with_valid_duration(TTL)
        .build(serde_json::to_vec(message).unwrap_or_default())
        .map_err(|_| bad("the message could not be encrypted for these keys"))?;
        let mut headers: Vec<(&'static str, String)> = built
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                let name = match name.as_str() {
                    "ttl" => "TTL",
                    "content-encoding" => "Content-Encoding",
                    "content-type" => "Content-Type",
                    _ => return None,
                };
                Some((name, value.to_str().ok()?.to_owned()))
            })
            .collect();
        headers.push(("Urgency", "high".into()));
        headers.push((
            "Authorization",
            self.vapid.authorization(&endpoint, subject, now),
        ));
        Ok(Outgoing {
            method: "POST",
            url: sub.endpoint.clone(),
            headers,
            body: built.into_body(),
            provider: "the push service",
        })
    }
}

/// What the notification says, in the subscriber's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub title: String,
    pub body: String,
    /// One notification per order: a later one replaces it.
    pub tag: String,
    pub order: String,
    /// Where a tap leads when the device has no page of this order open: its orders.
    pub url: String,
}

/// "Order A-042 is ready", with where to find it.
pub fn ready_message(order: &Order, site: &Site, lang: &str) -> Message {
    let zh = lang == "zh" || lang.starts_with("zh-");
    let number = &order.number;
    let place = site
        .location(&order.location)
        .map(|l| l.name.get(lang, site.default_language()).to_owned())
        .unwrap_or_default();
    let body = match (&order.cart.fulfilment, zh) {
        (Fulfilment::DineIn { table }, false) => format!("On its way to table {table}."),
        (Fulfilment::DineIn { table }, true) => format!("马上送到 {table} 号桌。"),
        (_, false) => format!("Collect it at {place}."),
        (_, true) => format!("请到{place}取餐。"),
    };
    Message {
        title: if zh {
            format!("订单 {number} 已做好")
        } else {
            format!("Order {number} is ready")
        },
        body,
        tag: format!("order-{}", order.id),
        order: order.id.clone(),
        url: format!("/{lang}/status/"),
    }
}

/// "How was your meal?": sent when the order is completed; a tap opens its status page,
/// which asks for the rating.
pub fn rating_message(order: &Order, _site: &Site, lang: &str) -> Message {
    let zh = lang == "zh" || lang.starts_with("zh-");
    let number = &order.number;
    Message {
        title: if zh {
            "这餐怎么样？"
        } else {
            "How was your meal?"
        }
        .to_owned(),
        body: if zh {
            format!("点一下为订单 {number} 评分。")
        } else {
            format!("Rate order {number} in a tap.")
        },
        tag: format!("order-{}", order.id),
        order: order.id.clone(),
        url: format!("/{lang}/status/"),
    }
}

/// What one round of sends did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub delivered: usize,
    /// Subscriptions the push service said are gone (404, 410), now removed.
    pub gone: usize,
    pub failed: usize,
}

/// Tells every browser subscribed to `order` that it is ready ([`ready_message`]).
pub async fn notify_ready(push: &Push, store: &dyn Store, site: &Site, order: &Order) -> Sent {
    notify(push, store, site, order, ready_message).await
}

/// Sends every browser subscribed to `order` the message `write` makes in its language.
/// Bounded in time; a failure is logged, never the staff's problem. The VAPID tokens
/// are dated by the system clock: the push service checks them against its own.
pub async fn notify(
    push: &Push,
    store: &dyn Store,
    site: &Site,
    order: &Order,
    write: fn(&Order, &Site, &str) -> Message,
) -> Sent {
    let now = Utc::now();
    let subs = match store.push_subscriptions(&order.id).await {
        Ok(subs) => subs,
        Err(error) => {
            eprintln!("push: reading the subscriptions of {}: {error}", order.id);
            return Sent::default();
        }
    };
    let subject = if site.settings.base_url.starts_with("https://") {
        site.settings.base_url.clone()
    } else {
        "mailto:push@localhost".to_owned()
    };
    let sends = subs.iter().map(|sub| {
        let message = write(order, site, &sub.lang);
        let request = push.request(sub, &message, &subject, now);
        async move {
            let request = request.map_err(|e| e.to_string())?;
            push.client
                .send(request)
                .await
                .map(|answer| answer.status)
                .map_err(|e| e.to_string())
        }
    });
    let answers = tokio::time::timeout(SEND_BUDGET, futures_util::future::join_all(sends))
        .await
        .unwrap_or_default();
    let mut sent = Sent::default();
    for (sub, answer) in subs
        .iter()
        .zip(answers.iter().map(Some).chain(std::iter::repeat(None)))
    {
        match answer {
            Some(Ok(200..=299)) => sent.delivered += 1,
            Some(Ok(404 | 410)) => {
                sent.gone += 1;
                if let Err(error) = store
                    .remove_push_subscriptions(&order.id, Some(&sub.endpoint))
                    .await
                {
                    eprintln!(
                        "push: removing a gone subscription of {}: {error}",
                        order.id
                    );
                }
            }
            Some(Ok(status)) => {
                sent.failed += 1;
                eprintln!("push: the push service answered {status} for {}", order.id);
            }
            Some(Err(error)) => {
                sent.failed += 1;
                eprintln!("push: {} not sent: {error}", order.id);
            }
            None => {
                sent.failed += 1;
                eprintln!("push: {} not sent within {SEND_BUDGET:?}", order.id);
            }
        }
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(hosts: &[&str]) -> Push {
        Push::new(Vapid::generate()).with_hosts(hosts.iter().map(|h| (*h).to_owned()).collect())
    }

    #[test]
    fn endpoints_go_to_allowed_push_services_only() {
        let p = Push::new(Vapid::generate());
        assert!(p
            .check_endpoint("https://fcm.googleapis.com/fcm/send/abc")
            .is_ok());
        assert!(p
            .check_endpoint("https://updates.push.services.mozilla.com/wpush/v2/x")
            .is_ok());
        assert!(p.check_endpoint("https://web.push.apple.com/Q1").is_ok());
        for bad in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://fcm.googleapis.com.evil.example/x",
            "https://evilfcm.googleapis.com.example/x",
            "https://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:9/x",
            "not a url",
            "",
        ] {
            assert!(p.check_endpoint(bad).is_err(), "{bad} was allowed");
        }
        let long = format!("https://fcm.googleapis.com/{}", "a".repeat(MAX_ENDPOINT));
        assert!(p.check_endpoint(&long).is_err());
        let local = push(&["127.0.0.1"]);
        assert!(local.check_endpoint("http://127.0.0.1:4000/push/1").is_ok());
        assert!(local.check_endpoint("http://10.0.0.1/push/1").is_err());
    }

    #[test]
    fn a_key_round_trips_and_bad_keys_are_named() {
        let vapid = Vapid::generate();
        let again = Vapid::from_base64(&vapid.private_base64(), None).expect("key");
        assert_eq!(again.public_key(), vapid.public_key());
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(vapid.public_key())
                .expect("b64")
                .len(),
            65
        );
        assert!(matches!(
            Vapid::from_base64("not base64!", None),
            Err(PushError::Config {
                variable: VAPID_PRIVATE_KEY,
                ..
            })
        ));
        assert!(matches!(
            Vapid::from_base64(&URL_SAFE_NO_PAD.encode([0u8; 32]), None),
            Err(PushError::Config {
                variable: VAPID_PRIVATE_KEY,
                ..
            })
        ));
        assert!(matches!(
            Vapid::from_base64(&vapid.private_base64(), Some("owner@example.com".into())),
            Err(PushError::Config {
                variable: VAPID_SUBJECT,
                ..
            })
        ));
    }

    #[test]
    fn the_vapid_token_names_the_push_service_and_verifies() {
        let vapid = Vapid::generate();
        let endpoint: Uri = "https://fcm.googleapis.com/fcm/send/abc"
            .parse()
            .expect("uri");
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let header = vapid.authorization(&endpoint, "mailto:owner@example.com", now);
        let (token, key) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .expect("vapid t=…, k=…");
        assert_eq!(key, vapid.public_key());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
        assert_eq!(claims["exp"], 1_800_000_000 + 12 * 3600);
        assert_eq!(claims["sub"], "mailto:owner@example.com");
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        assert_eq!(signature.len(), 64, "r ‖ s");
        let signed = format!("{}.{}", parts[0], parts[1]);
        let public = URL_SAFE_NO_PAD.decode(vapid.public_key()).expect("b64");
        assert!(ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            public
        )
        .verify(signed.as_bytes(), &signature)
        .is_ok());
    }
}
