//! WeChat Pay API v3: Native and H5 orders, signed requests, verified and decrypted
//! notifications, order query, refunds.
//!
//! - Every request is signed with the merchant's RSA private key (PKCS#1 v1.5, SHA-256)
//!   over `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` and carries
//!   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
//!   timestamp="…",serial_no="…"`.
//! - Every answer and notification is verified with WeChat Pay's platform public key:
//!   `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature` over
//!   `TIMESTAMP\nNONCE\nBODY\n`, and `Wechatpay-Serial` naming that key; the timestamp
//!   within five minutes.
//! - A notification's `resource` is decrypted with AEAD_AES_256_GCM under the APIv3 key
//!   (its `nonce` and `associated_data` as given).
//! - Native (`POST /v3/pay/transactions/native` → `code_url`, shown as a QR code) for
//!   screens; H5 (`POST /v3/pay/transactions/h5` → `h5_url`) for phone browsers outside
//!   WeChat. The order id is the `out_trade_no`.
//! - Query: `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…`; refunds:
//!   `POST /v3/refund/domestic/refunds`.
//!
//! Only the platform *public key* mode is read (WeChat Pay's "微信支付公钥", id
//! `PUB_KEY_ID_…`); a merchant on platform certificates gives the certificate's public key
//! (`openssl x509 -in cert.pem -pubkey -noout`) and its serial number as the id.
//!
//! The cryptography is *ring*'s (already in the functions for TLS): RSA signing in
//! constant time, AES-256-GCM, and no second big-number library.

use async_trait::async_trait;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use catalog::payment::Method;
use chrono::{DateTime, Utc};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::SystemRandom;
use ring::signature::{
    RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivatePkcs8KeyDer, SubjectPublicKeyInfoDer};
use serde_json::{json, Value};

use super::{
    base_url, fresh, header, optional, required, Checkout, CheckoutRequest, EventKind, NextStep,
    PaymentError, PaymentQuery, Provider, ProviderEvent, RefundAccepted, RefundRequest,
    RefundStatus, Secret, Surface,
};
use crate::outgoing::{Answer, Client, Outgoing};

/// `WECHATPAY_MCHID`: the merchant id.
pub const ENV_MCHID: &str = "WECHATPAY_MCHID";
/// `WECHATPAY_APPID`: the app id the merchant id is bound to (an Official Account's or
/// a website app's).
pub const ENV_APPID: &str = "WECHATPAY_APPID";
/// `WECHATPAY_MERCHANT_SERIAL_NO`: the serial number of the merchant API certificate whose
/// private key signs the requests.
pub const ENV_MERCHANT_SERIAL_NO: &str = "WECHATPAY_MERCHANT_SERIAL_NO";
/// `WECHATPAY_PRIVATE_KEY`: that private key, PKCS#8 PEM (`apiclient_key.pem`'s text).
pub const ENV_PRIVATE_KEY: &str = "WECHATPAY_PRIVATE_KEY";
/// `WECHATPAY_PUBLIC_KEY`: WeChat Pay's platform public key, PEM (`pub_key.pem`'s text).
pub const ENV_PUBLIC_KEY: &str = "WECHATPAY_PUBLIC_KEY";
/// `WECHATPAY_PUBLIC_KEY_ID`: its id (`PUB_KEY_ID_…`), as `Wechatpay-Serial` names it.
pub const ENV_PUBLIC_KEY_ID: &str = "WECHATPAY_PUBLIC_KEY_ID";
/// `WECHATPAY_APIV3_KEY`: the 32-character APIv3 key that encrypts notifications.
pub const ENV_APIV3_KEY: &str = "WECHATPAY_APIV3_KEY";
/// `WECHATPAY_NOTIFY_URL`: the https URL WeChat Pay posts notifications to
/// (`https://<shop>/api/payments/wechat/notify`).
pub const ENV_NOTIFY_URL: &str = "WECHATPAY_NOTIFY_URL";
/// `WECHATPAY_API_BASE`: where the API is (a server on 127.0.0.1 in tests).
pub const ENV_API_BASE: &str = "WECHATPAY_API_BASE";
/// WeChat Pay's API.
pub const DEFAULT_API_BASE: &str = "https://api.mch.weixin.qq.com";

/// The settings WeChat Pay cannot work without, for `carte check`.
pub(crate) const REQUIRED: [&str; 8] = [
    ENV_MCHID,
    ENV_APPID,
    ENV_MERCHANT_SERIAL_NO,
    ENV_PRIVATE_KEY,
    ENV_PUBLIC_KEY,
    ENV_PUBLIC_KEY_ID,
    ENV_APIV3_KEY,
    ENV_NOTIFY_URL,
];

/// The signature scheme named in `Authorization` and `Wechatpay-Signature-Type`.
const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// WeChat Pay's settings, from the environment. `Debug` shows no key.
pub struct WechatConfig {
    api_base: String,
    mchid: String,
    appid: String,
    merchant_serial_no: String,
    private_key: RsaKeyPair,
    /// PKCS#1 `RSAPublicKey` DER of the platform key.
    platform_key: Vec<u8>,
    platform_key_id: String,
    apiv3_key: Secret,
    notify_url: String,
}

impl std::fmt::Debug for WechatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatConfig")
            .field("api_base", &self.api_base)
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("private_key", &"[redacted]")
            .field("platform_key_id", &self.platform_key_id)
            .field("apiv3_key", &self.apiv3_key)
            .field("notify_url", &self.notify_url)
            .finish()
    }
}

/// PEM text from an environment variable: a whole PEM, or only its base64 body (as the
/// merchant platform shows keys); `\n` written as two characters is a newline, for
/// settings that cannot hold one.
fn pem_text(value: &str, label: &str) -> String {
    let value = value.trim().replace("\\n", "\n");
    if value.starts_with("-----BEGIN") {
        value
    } else {
        format!("-----BEGIN {label}-----\n{value}\n-----END {label}-----\n")
    }
}

impl WechatConfig {
    /// The settings from the process environment.
    pub fn from_env() -> Result<WechatConfig, PaymentError> {
        WechatConfig::from_lookup(&|name| std::env::var(name).ok())
    }

    /// The settings through `lookup` (the environment's names; a map in tests).
    pub fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<WechatConfig, PaymentError> {
        let bad = |variable: &'static str, problem: &str| PaymentError::Config {
            variable,
            problem: problem.to_owned(),
        };
        let private_pem = pem_text(&required(lookup, ENV_PRIVATE_KEY)?, "PRIVATE KEY");
        let private_der = PrivatePkcs8KeyDer::from_pem_slice(private_pem.as_bytes())
            .map_err(|_| bad(ENV_PRIVATE_KEY, "is not a PKCS#8 PEM private key"))?;
        let private_key = RsaKeyPair::from_pkcs8(private_der.secret_pkcs8_der()).map_err(|_| {
            bad(
                ENV_PRIVATE_KEY,
                "is not an RSA private key of 2048 bits or more",
            )
        })?;
        let public_pem = pem_text(&required(lookup, ENV_PUBLIC_KEY)?, "PUBLIC KEY");
        let public_der = SubjectPublicKeyInfoDer::from_pem_slice(public_pem.as_bytes())
            .map_err(|_| bad(ENV_PUBLIC_KEY, "is not a PEM public key"))?;
        let platform_key = rsa_public_key(public_der.as_ref())
            .ok_or_else(|| bad(ENV_PUBLIC_KEY, "is not an RSA public key"))?
            .to_vec();
        let apiv3_key = required(lookup, ENV_APIV3_KEY)?;
        if apiv3_key.len() != 32 {
            return Err(bad(ENV_APIV3_KEY, "must be the 32-character APIv3 key"));
        }
        let notify_url = required(lookup, ENV_NOTIFY_URL)?;
        if !notify_url.starts_with("https://") && !notify_url.starts_with("http://127.0.0.1") {
            return Err(bad(ENV_NOTIFY_URL, "must be an https:// URL"));
        }
        Ok(WechatConfig {
            api_base: base_url(lookup, ENV_API_BASE, DEFAULT_API_BASE)?,
            mchid: required(lookup, ENV_MCHID)?,
            appid: required(lookup, ENV_APPID)?,
            merchant_serial_no: required(lookup, ENV_MERCHANT_SERIAL_NO)?,
            private_key,
            platform_key,
            platform_key_id: required(lookup, ENV_PUBLIC_KEY_ID)?,
            apiv3_key: Secret(apiv3_key),
            notify_url,
        })
    }

    /// Which of WeChat Pay's settings are missing from `lookup`, for `carte check`.
    pub fn missing(lookup: &dyn Fn(&str) -> Option<String>) -> Vec<&'static str> {
        REQUIRED
            .into_iter()
            .filter(|v| optional(lookup, v).is_none())
            .collect()
    }

    /// The `Authorization` header for a request, signed at `timestamp` with `nonce`.
    fn authorization(
        &self,
        method: &str,
        path_and_query: &str,
        body: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<String, PaymentError> {
        let message = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n");
        let mut signature = vec![0; self.private_key.public().modulus_len()];
        self.private_key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message.as_bytes(),
                &mut signature,
            )
            .map_err(|_| PaymentError::Invalid("the request could not be signed".into()))?;
        Ok(format!(
            "{SCHEME} mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.mchid,
            BASE64.encode(signature),
            self.merchant_serial_no
        ))
    }

    /// Verifies a signed body (an answer or a notification) with the platform key.
    fn verify(
        &self,
        get: &dyn Fn(&str) -> Result<String, PaymentError>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), PaymentError> {
        let serial = get("wechatpay-serial")?;
        if serial != self.platform_key_id {
            return Err(PaymentError::Unauthentic(format!(
                "signed with {serial:?}, not the configured platform key {:?}",
                self.platform_key_id
            )));
        }
        if let Ok(kind) = get("wechatpay-signature-type") {
            if kind != SCHEME {
                return Err(PaymentError::Unauthentic(format!(
                    "an unknown signature type {kind:?}"
                )));
            }
        }
        let timestamp = get("wechatpay-timestamp")?;
        let nonce = get("wechatpay-nonce")?;
        let signature = BASE64
            .decode(get("wechatpay-signature")?)
            .map_err(|_| PaymentError::Unauthentic("the signature is not base64".into()))?;
        let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
        for part in [
            timestamp.as_bytes(),
            b"\n",
            nonce.as_bytes(),
            b"\n",
            body,
            b"\n",
        ] {
            message.extend_from_slice(part);
        }
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.platform_key)
            .verify(&message, &signature)
            .map_err(|_| {
                PaymentError::Unauthentic(
                    "the signature does not verify with the platform public key".into(),
                )
            })?;
        let sent: i64 = timestamp
            .parse()
            .map_err(|_| PaymentError::Unauthentic("an unreadable timestamp".into()))?;
        if !fresh(sent, now) {
            return Err(PaymentError::Unauthentic(format!(
                "the timestamp {sent} is more than five minutes from now"
            )));
        }
        Ok(())
    }

    /// Decrypts a notification's `resource` (AEAD_AES_256_GCM with the APIv3 key).
    fn decrypt(&self, resource: &Value) -> Result<Value, PaymentError> {
        let field = |name: &str| {
            resource[name]
                .as_str()
                .ok_or_else(|| PaymentError::Malformed(format!("the resource has no `{name}`")))
        };
        if field("algorithm")? != "AEAD_AES_256_GCM" {
            return Err(PaymentError::Malformed(
                "the resource is not AEAD_AES_256_GCM".into(),
            ));
        }
        let nonce = Nonce::try_assume_unique_for_key(field("nonce")?.as_bytes())
            .map_err(|_| PaymentError::Malformed("the resource nonce is not 12 bytes".into()))?;
        let aad = resource["associated_data"].as_str().unwrap_or("");
        let mut sealed = BASE64
            .decode(field("ciphertext")?)
            .map_err(|_| PaymentError::Malformed("the ciphertext is not base64".into()))?;
        let key = UnboundKey::new(&AES_256_GCM, self.apiv3_key.expose().as_bytes())
            .map(LessSafeKey::new)
            .map_err(|_| PaymentError::Malformed("the APIv3 key is not 32 bytes".into()))?;
        let plain = key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut sealed)
            .map_err(|_| {
                PaymentError::Unauthentic("the resource does not decrypt with the APIv3 key".into())
            })?;
        serde_json::from_slice(plain)
            .map_err(|e| PaymentError::Malformed(format!("the resource is not JSON: {e}")))
    }
}

/// The `RSAPublicKey` inside an RSA `SubjectPublicKeyInfo` (DER), which is what *ring*
/// verifies with; `None` for anything else.
fn rsa_public_key(spki: &[u8]) -> Option<&[u8]> {
    // rsaEncryption, 1.2.840.113549.1.1.1
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (0x30, info, []) = der(spki)? else {
        return None;
    };
    let (0x30, algorithm, rest) = der(info)? else {
        return None;
    };
    let (0x06, oid, _) = der(algorithm)? else {
        return None;
    };
    let (0x03, bits, []) = der(rest)? else {
        return None;
    };
    match (oid == RSA_ENCRYPTION, bits.split_first()) {
        (true, Some((0, key))) => Some(key),
        _ => None,
    }
}

/// One DER element: its tag, its contents, and what follows it.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let length = bytes.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
        (length, rest)
    };
    if rest.len() < length {
        return None;
    }
    let (contents, rest) = rest.split_at(length);
    Some((tag, contents, rest))
}

/// A random nonce of 32 letters and digits.
fn nonce() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

/// Whether WeChat Pay accepts `id` as an `out_trade_no` / `out_refund_no`: 6 to 32 of
/// letters, digits, `_`, `-`, `|`, `*`.
fn acceptable_id(id: &str) -> bool {
    (6..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*'))
}

/// WeChat Pay, API v3.
#[derive(Debug)]
pub struct Wechat {
    config: WechatConfig,
    client: Client,
}

impl Wechat {
    /// A provider on these settings.
    pub fn new(config: WechatConfig) -> Wechat {
        Wechat {
            config,
            client: Client::new(),
        }
    }

    /// Sends a signed request and returns the verified answer's JSON.
    async fn call(
        &self,
        method: &'static str,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Value, PaymentError> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let authorization = self.config.authorization(
            method,
            path_and_query,
            &body,
            Utc::now().timestamp(),
            &nonce(),
        )?;
        let mut headers = vec![
            ("authorization", authorization),
            ("accept", "application/json".to_owned()),
            ("user-agent", format!("carte/{}", env!("CARGO_PKG_VERSION"))),
        ];
        if !body.is_empty() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        let answer = self
            .client
            .send(Outgoing {
                method,
                url: format!("{}{path_and_query}", self.config.api_base),
                headers,
                body: body.into_bytes(),
                provider: "WeChat Pay",
            })
            .await?;
        if !(200..300).contains(&answer.status) {
            let json: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
            let message = [&json["code"], &json["message"]]
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(": ");
            return Err(PaymentError::Refused {
                status: answer.status,
                message,
            });
        }
        self.verify_answer(&answer)?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| PaymentError::Malformed(format!("WeChat Pay answered with no JSON: {e}")))
    }

    /// An answer is believed only when the platform key signed it.
    fn verify_answer(&self, answer: &Answer) -> Result<(), PaymentError> {
        let get = |name: &str| {
            answer.header(name).map(str::to_owned).ok_or_else(|| {
                PaymentError::Unauthentic(format!("the answer has no {name} header"))
            })
        };
        self.config
            .verify(&get, &answer.body, Utc::now())
            .map_err(|e| match e {
                PaymentError::Unauthentic(why) => {
                    PaymentError::Unauthentic(format!("WeChat Pay's answer: {why}"))
                }
                other => other,
            })
    }

    /// The event a transaction (decrypted from a notification, or queried) stands for.
    fn transaction_event(
        &self,
        event_id: String,
        transaction: &Value,
    ) -> Result<Option<ProviderEvent>, PaymentError> {
        if transaction["mchid"].as_str() != Some(self.config.mchid.as_str()) {
            return Err(PaymentError::Unauthentic(
                "a transaction of another merchant".into(),
            ));
        }
        let kind = match transaction["trade_state"].as_str() {
            // REFUND: it was paid; the refund is its own notification.
            Some("SUCCESS" | "REFUND") => EventKind::Succeeded,
            Some("CLOSED" | "PAYERROR" | "REVOKED") => EventKind::Failed,
            _ => return Ok(None),
        };
        let text = |name: &str, value: &Value| {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| PaymentError::Malformed(format!("the transaction has no `{name}`")))
        };
        let order_id = text("out_trade_no", &transaction["out_trade_no"])?;
        // A closed order that was never paid has no transaction id.
        let reference = transaction["transaction_id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| order_id.clone());
        Ok(Some(ProviderEvent {
            method: Method::WechatPay,
            event_id,
            order_id: Some(order_id),
            amount: transaction["amount"]["total"].as_i64().ok_or_else(|| {
                PaymentError::Malformed("the transaction has no `amount.total`".into())
            })?,
            currency: transaction["amount"]["currency"]
                .as_str()
                .unwrap_or("CNY")
                .to_ascii_uppercase(),
            kind,
            reference,
        }))
    }
}

#[async_trait]
impl Provider for Wechat {
    fn method(&self) -> Method {
        Method::WechatPay
    }

    async fn create_checkout(&self, checkout: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        if !checkout.currency.eq_ignore_ascii_case("CNY") {
            return Err(PaymentError::Invalid(format!(
                "WeChat Pay takes CNY, not {}",
                checkout.currency
            )));
        }
        if checkout.amount <= 0 {
            return Err(PaymentError::Invalid(format!(
                "nothing to pay ({})",
                checkout.amount
            )));
        }
        if !acceptable_id(&checkout.order_id) {
            return Err(PaymentError::Invalid(format!(
                "{:?} cannot be a WeChat Pay out_trade_no",
                checkout.order_id
            )));
        }
        // WeChat Pay limits the description to 127 bytes.
        let mut description = checkout.description.clone();
        while description.len() > 127 {
            description.pop();
        }
        let mut order = json!({
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": description,
            "out_trade_no": checkout.order_id,
            "notify_url": self.config.notify_url,
            "amount": { "total": checkout.amount, "currency": "CNY" },
        });
        let (path, field) = match checkout.surface {
            Surface::QrCode => ("/v3/pay/transactions/native", "code_url"),
            Surface::MobileBrowser => {
                let ip = checkout.client_ip.as_deref().ok_or_else(|| {
                    PaymentError::Invalid("WeChat Pay H5 needs the diner's IP address".into())
                })?;
                order["scene_info"] = json!({
                    "payer_client_ip": ip,
                    "h5_info": { "type": "Wap" },
                });
                ("/v3/pay/transactions/h5", "h5_url")
            }
        };
        let answer = self.call("POST", path, Some(&order)).await?;
        let url = answer[field].as_str().ok_or_else(|| {
            PaymentError::Malformed(format!("WeChat Pay's answer has no `{field}`"))
        })?;
        let next = match checkout.surface {
            Surface::QrCode => NextStep::QrCode(url.to_owned()),
            Surface::MobileBrowser => {
                // After paying, WeChat Pay sends the diner to `redirect_url`.
                let back: String =
                    form_urlencoded::byte_serialize(checkout.return_url.as_bytes()).collect();
                NextStep::Redirect(format!("{url}&redirect_url={back}"))
            }
        };
        Ok(Checkout {
            reference: checkout.order_id.clone(),
            next,
        })
    }

    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ProviderEvent>, PaymentError> {
        let get = |name: &str| header(headers, name).map(str::to_owned);
        self.config.verify(&get, body, now)?;
        let notice: Value = serde_json::from_slice(body)
            .map_err(|e| PaymentError::Malformed(format!("the notification is not JSON: {e}")))?;
        let id = notice["id"]
            .as_str()
            .ok_or_else(|| PaymentError::Malformed("the notification has no `id`".into()))?
            .to_owned();
        let event_type = notice["event_type"].as_str().unwrap_or_default();
        if !matches!(event_type, "TRANSACTION.SUCCESS" | "REFUND.SUCCESS") {
            return Ok(None);
        }
        let resource = self.config.decrypt(&notice["resource"])?;
        if event_type == "TRANSACTION.SUCCESS" {
            return self.transaction_event(id, &resource);
        }
        if resource["mchid"].as_str() != Some(self.config.mchid.as_str()) {
            return Err(PaymentError::Unauthentic(
                "a refund of another merchant".into(),
            ));
        }
        if resource["refund_status"].as_str() != Some("SUCCESS") {
            return Ok(None);
        }
        let text = |name: &str| {
            resource[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| PaymentError::Malformed(format!("the refund has no `{name}`")))
        };
        Ok(Some(ProviderEvent {
            method: Method::WechatPay,
            event_id: id,
            order_id: Some(text("out_trade_no")?),
            amount: resource["amount"]["refund"].as_i64().ok_or_else(|| {
                PaymentError::Malformed("the refund has no `amount.refund`".into())
            })?,
            currency: "CNY".to_owned(),
            kind: EventKind::Refunded { cumulative: false },
            reference: text("refund_id")?,
        }))
    }

    async fn refund(&self, refund: &RefundRequest) -> Result<RefundAccepted, PaymentError> {
        if !refund.currency.eq_ignore_ascii_case("CNY") {
            return Err(PaymentError::Invalid(format!(
                "WeChat Pay refunds CNY, not {}",
                refund.currency
            )));
        }
        if refund.amount <= 0 || refund.amount > refund.payment_amount {
            return Err(PaymentError::Invalid(format!(
                "a refund of {} on a payment of {}",
                refund.amount, refund.payment_amount
            )));
        }
        if !acceptable_id(&refund.refund_id) {
            return Err(PaymentError::Invalid(format!(
                "{:?} cannot be a WeChat Pay out_refund_no",
                refund.refund_id
            )));
        }
        let mut body = json!({
            "transaction_id": refund.payment_reference,
            "out_refund_no": refund.refund_id,
            "notify_url": self.config.notify_url,
            "amount": {
                "refund": refund.amount,
                "total": refund.payment_amount,
                "currency": "CNY",
            },
        });
        if let Some(reason) = &refund.reason {
            let mut reason = reason.clone();
            while reason.len() > 80 {
                reason.pop();
            }
            body["reason"] = json!(reason);
        }
        let answer = self
            .call("POST", "/v3/refund/domestic/refunds", Some(&body))
            .await?;
        let status = match answer["status"].as_str() {
            Some("SUCCESS") => RefundStatus::Succeeded,
            Some("PROCESSING") => RefundStatus::Pending,
            other => {
                return Err(PaymentError::Refused {
                    status: 200,
                    message: format!("the refund is {}", other.unwrap_or("of no status")),
                })
            }
        };
        Ok(RefundAccepted {
            reference: answer["refund_id"]
                .as_str()
                .ok_or_else(|| PaymentError::Malformed("the answer has no `refund_id`".into()))?
                .to_owned(),
            amount: answer["amount"]["refund"].as_i64().unwrap_or(refund.amount),
            status,
        })
    }

    async fn query(&self, query: &PaymentQuery) -> Result<Option<ProviderEvent>, PaymentError> {
        if !acceptable_id(&query.order_id) {
            return Err(PaymentError::Invalid(format!(
                "{:?} cannot be a WeChat Pay out_trade_no",
                query.order_id
            )));
        }
        let mchid: String = form_urlencoded::byte_serialize(self.config.mchid.as_bytes()).collect();
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}?mchid={mchid}",
            query.order_id
        );
        let transaction = self.call("GET", &path, None).await?;
        let event_id = format!(
            "query:{}:{}",
            query.order_id,
            transaction["trade_state"].as_str().unwrap_or_default()
        );
        self.transaction_event(event_id, &transaction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reading_refuses_what_is_not_an_rsa_key_without_panicking() {
        assert_eq!(rsa_public_key(&[]), None);
        assert_eq!(rsa_public_key(&[0x30]), None);
        assert_eq!(rsa_public_key(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(rsa_public_key(&[0x30, 0x80]), None);
        // An EC key's algorithm (1.2.840.10045.2.1) is not RSA.
        let ec = [
            0x30, 0x0d, 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x03,
            0x02, 0x00, 0x00,
        ];
        assert_eq!(rsa_public_key(&ec), None);
        for len in 0..64 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let _ = rsa_public_key(&bytes);
        }
    }

    #[test]
    fn out_trade_numbers_follow_wechat_pay_rules() {
        assert!(acceptable_id("ord_3f2a9c0d1e2f3a4b5c6d7e8f"));
        assert!(!acceptable_id("short"));
        assert!(!acceptable_id(&"a".repeat(33)));
        assert!(!acceptable_id("order/../x"));
    }

    #[test]
    fn pem_text_accepts_bare_base64_and_escaped_newlines() {
        assert_eq!(
            pem_text("QUJD", "PUBLIC KEY"),
            "-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----\n"
        );
        assert!(pem_text("-----BEGIN X-----\\nQUJD\\n-----END X-----", "X").contains("\nQUJD\n"));
    }
}
