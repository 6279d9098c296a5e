//! Stripe: Checkout Sessions, signed webhooks, refunds.
//!
//! - A checkout is one Checkout Session (`POST /v1/checkout/sessions`, form-encoded) with
//!   a single line of the amount Carte priced, the order id as `client_reference_id` and
//!   in the metadata of the session and of its PaymentIntent, and an `Idempotency-Key`.
//! - A webhook is verified as Stripe documents: the `Stripe-Signature` header's `t` and
//!   every `v1`, HMAC-SHA256 with the endpoint secret over `"{t}.{payload}"`, compared in
//!   constant time, within five minutes of `t`.
//! - Events read: `checkout.session.completed` (when `payment_status` is `paid`),
//!   `checkout.session.async_payment_succeeded` / `_failed`, `charge.refunded`.
//! - A refund is `POST /v1/refunds` on the PaymentIntent, with an `Idempotency-Key`.
//!
//! Settings: `STRIPE_SECRET_KEY` (`sk_test_…` or `sk_live_…`, or a restricted `rk_…`),
//! `STRIPE_WEBHOOK_SECRET` (`whsec_…`), `STRIPE_API_BASE` (default
//! `https://api.stripe.com`).

use async_trait::async_trait;
use axum::http::HeaderMap;
use catalog::payment::Method;
use chrono::{DateTime, Utc};
use ring::hmac;
use serde_json::Value;

use super::{
    base_url, fresh, header, optional, required, Checkout, CheckoutRequest, EventKind, NextStep,
    PaymentError, PaymentQuery, Provider, ProviderEvent, RefundAccepted, RefundRequest,
    RefundStatus, Secret,
};
use crate::outgoing::{Client, Outgoing};

/// `STRIPE_SECRET_KEY`: the API key requests are made with.
pub const ENV_SECRET_KEY: &str = "STRIPE_SECRET_KEY";
/// `STRIPE_WEBHOOK_SECRET`: the webhook endpoint's signing secret.
pub const ENV_WEBHOOK_SECRET: &str = "STRIPE_WEBHOOK_SECRET";
/// `STRIPE_API_BASE`: where the API is (a server on 127.0.0.1 in tests).
pub const ENV_API_BASE: &str = "STRIPE_API_BASE";
/// Stripe's API.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// Stripe's settings, from the environment.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    api_base: String,
    secret_key: Secret,
    webhook_secret: Secret,
}

impl StripeConfig {
    /// The settings from the process environment.
    pub fn from_env() -> Result<StripeConfig, PaymentError> {
        StripeConfig::from_lookup(&|name| std::env::var(name).ok())
    }

    /// The settings through `lookup` (the environment's names; a map in tests).
    pub fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<StripeConfig, PaymentError> {
        let secret_key = required(lookup, ENV_SECRET_KEY)?;
        if !["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
            .iter()
            .any(|p| secret_key.starts_with(p))
        {
            return Err(PaymentError::Config {
                variable: ENV_SECRET_KEY,
                problem: "must be a secret key (sk_test_…, sk_live_…) or a restricted key (rk_…), \
                          not a publishable key"
                    .into(),
            });
        }
        let webhook_secret = required(lookup, ENV_WEBHOOK_SECRET)?;
        Ok(StripeConfig {
            api_base: base_url(lookup, ENV_API_BASE, DEFAULT_API_BASE)?,
            secret_key: Secret(secret_key),
            webhook_secret: Secret(webhook_secret),
        })
    }

    /// Whether the key is a live-mode key (events must then be live too).
    pub fn live(&self) -> bool {
        let key = self.secret_key.expose();
        key.starts_with("sk_live_") || key.starts_with("rk_live_")
    }

    /// Which of Stripe's settings are missing from `lookup`, for `carte check`.
    pub fn missing(lookup: &dyn Fn(&str) -> Option<String>) -> Vec<&'static str> {
        [ENV_SECRET_KEY, ENV_WEBHOOK_SECRET]
            .into_iter()
            .filter(|v| optional(lookup, v).is_none())
            .collect()
    }
}

/// Verifies a `Stripe-Signature` header for `payload` with the endpoint `secret` at `now`,
/// as Stripe documents it: `t=<unix seconds>` and one or more `v1=<hex HMAC-SHA256>` of
/// `"{t}.{payload}"`; any `v1` may match (Stripe sends several while a secret is being
/// rolled); `t` must be within five minutes of `now`.
pub fn verify_signature(
    signature_header: &str,
    payload: &[u8],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), PaymentError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in signature_header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) if timestamp.is_none() => timestamp = Some(value),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp
        .ok_or_else(|| PaymentError::Unauthentic("Stripe-Signature has no timestamp".into()))?;
    let sent: i64 = timestamp.parse().map_err(|_| {
        PaymentError::Unauthentic("Stripe-Signature has an unreadable timestamp".into())
    })?;
    if signatures.is_empty() {
        return Err(PaymentError::Unauthentic(
            "Stripe-Signature has no v1 signature".into(),
        ));
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = Vec::with_capacity(timestamp.len() + 1 + payload.len());
    signed.extend_from_slice(timestamp.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(payload);
    // Every candidate is checked in constant time; which one matched is not revealed.
    let matched = signatures
        .iter()
        .filter_map(|s| hex::decode(s).ok())
        .fold(false, |any, tag| {
            hmac::verify(&key, &signed, &tag).is_ok() | any
        });
    if !matched {
        return Err(PaymentError::Unauthentic(
            "no v1 signature matches the payload and the webhook secret".into(),
        ));
    }
    if !fresh(sent, now) {
        return Err(PaymentError::Unauthentic(format!(
            "the timestamp {sent} is more than five minutes from now"
        )));
    }
    Ok(())
}

/// Stripe Checkout.
#[derive(Debug)]
pub struct Stripe {
    config: StripeConfig,
    client: Client,
}

impl Stripe {
    /// A provider on these settings.
    pub fn new(config: StripeConfig) -> Stripe {
        Stripe {
            config,
            client: Client::new(),
        }
    }

    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<Value, PaymentError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        self.call("POST", path, body.into_bytes(), Some(idempotency_key))
            .await
    }

    async fn call(
        &self,
        method: &'static str,
        path: &str,
        body: Vec<u8>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, PaymentError> {
        let mut headers = vec![
            (
                "authorization",
                format!("Bearer {}", self.config.secret_key.expose()),
            ),
            ("accept", "application/json".to_owned()),
        ];
        if method == "POST" {
            headers.push((
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ));
        }
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key.to_owned()));
        }
        let answer = self
            .client
            .send(Outgoing {
                method,
                url: format!("{}{path}", self.config.api_base),
                headers,
                body,
                provider: "Stripe",
            })
            .await?;
        let json: Value = serde_json::from_slice(&answer.body).map_err(|e| {
            PaymentError::Malformed(format!(
                "Stripe answered {} with no JSON: {e}",
                answer.status
            ))
        })?;
        if !(200..300).contains(&answer.status) {
            let error = &json["error"];
            let message = [&error["code"], &error["message"]]
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(": ");
            return Err(PaymentError::Refused {
                status: answer.status,
                message,
            });
        }
        Ok(json)
    }

    /// The event a Checkout Session stands for, if it is settled.
    fn session_event(
        &self,
        event_id: &str,
        session: &Value,
        kind: EventKind,
    ) -> Result<ProviderEvent, PaymentError> {
        let order_id = session["client_reference_id"]
            .as_str()
            .or_else(|| session["metadata"]["order_id"].as_str())
            .ok_or_else(|| {
                PaymentError::Malformed("a Checkout Session without Carte's order id".into())
            })?;
        let reference = session["payment_intent"]
            .as_str()
            .or_else(|| session["payment_intent"]["id"].as_str())
            .or_else(|| session["id"].as_str())
            .ok_or_else(|| PaymentError::Malformed("a Checkout Session without an id".into()))?;
        Ok(ProviderEvent {
            method: Method::Stripe,
            event_id: event_id.to_owned(),
            order_id: Some(order_id.to_owned()),
            amount: integer(session, "amount_total")?,
            currency: text(session, "currency")?.to_ascii_uppercase(),
            kind,
            reference: reference.to_owned(),
        })
    }
}

fn integer(object: &Value, field: &str) -> Result<i64, PaymentError> {
    object[field]
        .as_i64()
        .ok_or_else(|| PaymentError::Malformed(format!("no integer `{field}`")))
}

fn text<'a>(object: &'a Value, field: &str) -> Result<&'a str, PaymentError> {
    object[field]
        .as_str()
        .ok_or_else(|| PaymentError::Malformed(format!("no text `{field}`")))
}

#[async_trait]
impl Provider for Stripe {
    fn method(&self) -> Method {
        Method::Stripe
    }

    async fn create_checkout(&self, checkout: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        if checkout.amount <= 0 {
            return Err(PaymentError::Invalid(format!(
                "nothing to pay ({})",
                checkout.amount
            )));
        }
        let form = [
            ("mode", "payment".to_owned()),
            ("success_url", checkout.return_url.clone()),
            ("cancel_url", checkout.cancel_url.clone()),
            ("client_reference_id", checkout.order_id.clone()),
            ("metadata[order_id]", checkout.order_id.clone()),
            (
                "payment_intent_data[metadata][order_id]",
                checkout.order_id.clone(),
            ),
            (
                "line_items[0][price_data][currency]",
                checkout.currency.to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]",
                checkout.amount.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]",
                checkout.description.clone(),
            ),
            ("line_items[0][quantity]", "1".to_owned()),
        ];
        let session = self
            .post_form("/v1/checkout/sessions", &form, &checkout.idempotency_key)
            .await?;
        Ok(Checkout {
            reference: text(&session, "id")?.to_owned(),
            next: NextStep::Redirect(text(&session, "url")?.to_owned()),
        })
    }

    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ProviderEvent>, PaymentError> {
        verify_signature(
            header(headers, "stripe-signature")?,
            body,
            self.config.webhook_secret.expose(),
            now,
        )?;
        let event: Value = serde_json::from_slice(body)
            .map_err(|e| PaymentError::Malformed(format!("the event is not JSON: {e}")))?;
        if event["livemode"]
            .as_bool()
            .is_some_and(|live| live != self.config.live())
        {
            return Err(PaymentError::Unauthentic(
                "a live event for a test key, or a test event for a live key".into(),
            ));
        }
        let id = text(&event, "id")?;
        let object = &event["data"]["object"];
        match text(&event, "type")? {
            "checkout.session.completed" => match object["payment_status"].as_str() {
                // Cards: paid now. Bank debits and vouchers: an async event follows.
                Some("paid") => self
                    .session_event(id, object, EventKind::Succeeded)
                    .map(Some),
                _ => Ok(None),
            },
            "checkout.session.async_payment_succeeded" => self
                .session_event(id, object, EventKind::Succeeded)
                .map(Some),
            "checkout.session.async_payment_failed" => {
                self.session_event(id, object, EventKind::Failed).map(Some)
            }
            "charge.refunded" => {
                let reference = object["payment_intent"]
                    .as_str()
                    .or_else(|| object["id"].as_str())
                    .ok_or_else(|| PaymentError::Malformed("a charge without an id".into()))?;
                Ok(Some(ProviderEvent {
                    method: Method::Stripe,
                    event_id: id.to_owned(),
                    order_id: object["metadata"]["order_id"].as_str().map(str::to_owned),
                    amount: integer(object, "amount_refunded")?,
                    currency: text(object, "currency")?.to_ascii_uppercase(),
                    kind: EventKind::Refunded { cumulative: true },
                    reference: reference.to_owned(),
                }))
            }
            _ => Ok(None),
        }
    }

    async fn refund(&self, refund: &RefundRequest) -> Result<RefundAccepted, PaymentError> {
        if refund.amount <= 0 {
            return Err(PaymentError::Invalid(format!(
                "a refund of {}",
                refund.amount
            )));
        }
        let mut form = vec![
            ("payment_intent", refund.payment_reference.clone()),
            ("amount", refund.amount.to_string()),
            ("metadata[order_id]", refund.order_id.clone()),
            ("metadata[refund_id]", refund.refund_id.clone()),
        ];
        if let Some(reason) = &refund.reason {
            // Stripe's `reason` is an enum; the staff's words go into the metadata.
            form.push(("metadata[reason]", reason.clone()));
        }
        let answer = self
            .post_form("/v1/refunds", &form, &refund.refund_id)
            .await?;
        let status = match text(&answer, "status")? {
            "succeeded" => RefundStatus::Succeeded,
            "pending" | "requires_action" => RefundStatus::Pending,
            other => {
                return Err(PaymentError::Refused {
                    status: 200,
                    message: format!("the refund is {other}"),
                })
            }
        };
        Ok(RefundAccepted {
            reference: text(&answer, "id")?.to_owned(),
            amount: integer(&answer, "amount")?,
            status,
        })
    }

    async fn query(&self, query: &PaymentQuery) -> Result<Option<ProviderEvent>, PaymentError> {
        let session_id = query.checkout_reference.as_deref().ok_or_else(|| {
            PaymentError::Invalid("Stripe needs the Checkout Session id to query".into())
        })?;
        if !session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(PaymentError::Invalid(format!(
                "{session_id:?} is not a Checkout Session id"
            )));
        }
        let session = self
            .call(
                "GET",
                &format!("/v1/checkout/sessions/{session_id}"),
                Vec::new(),
                None,
            )
            .await?;
        let event_id = format!("query:{session_id}");
        match (
            session["payment_status"].as_str(),
            session["status"].as_str(),
        ) {
            (Some("paid"), _) => self
                .session_event(&event_id, &session, EventKind::Succeeded)
                .map(Some),
            (_, Some("expired")) => self
                .session_event(&event_id, &session, EventKind::Failed)
                .map(Some),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sign(secret: &str, t: i64, payload: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        hex::encode(hmac::sign(&key, format!("{t}.{payload}").as_bytes()))
    }

    #[test]
    fn a_signature_verifies_only_with_its_secret_payload_and_time() {
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let t = now.timestamp() - 10;
        let good = sign("whsec_a", t, "{}");
        let header = format!("t={t},v1={},v0=ignored,v1={good}", "00".repeat(32));
        assert!(verify_signature(&header, b"{}", "whsec_a", now).is_ok());
        assert!(verify_signature(&header, b"{ }", "whsec_a", now).is_err());
        assert!(verify_signature(&header, b"{}", "whsec_b", now).is_err());
        let later = now + chrono::Duration::seconds(TOLERANCE_SECONDS_TEST);
        assert!(verify_signature(&header, b"{}", "whsec_a", later).is_err());
        for broken in [
            "",
            "t=",
            "v1=",
            &format!("t={t}"),
            &format!("v1={good}"),
            "t=x,v1=zz",
        ] {
            assert!(
                verify_signature(broken, b"{}", "whsec_a", now).is_err(),
                "{broken}"
            );
        }
    }

    const TOLERANCE_SECONDS_TEST: i64 = super::super::TOLERANCE_SECONDS + 11;

    #[test]
    fn settings_redact_secrets_and_refuse_publishable_keys() {
        let env = |name: &str| match name {
            "STRIPE_SECRET_KEY" => Some("sk_test_abc".to_owned()),
            "STRIPE_WEBHOOK_SECRET" => Some("whsec_xyz".to_owned()),
            _ => None,
        };
        let config = StripeConfig::from_lookup(&env).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk_test_abc") && !shown.contains("whsec_xyz"));
        assert!(!config.live());
        let publishable = |name: &str| match name {
            "STRIPE_SECRET_KEY" => Some("pk_test_abc".to_owned()),
            other => env(other),
        };
        assert!(StripeConfig::from_lookup(&publishable).is_err());
        assert_eq!(
            StripeConfig::missing(&|_| None),
            vec![ENV_SECRET_KEY, ENV_WEBHOOK_SECRET]
        );
    }
}
