//! WeChat Pay API v3 against an independent implementation (the PyPI package
//! `wechatpayv3`) and a recording server on 127.0.0.1: the library checks the signatures
//! of the requests Carte sends and builds the signed, encrypted notifications Carte must
//! accept; tampered, mis-signed, stale or mis-encrypted ones are refused.

#[path = "payments/support.rs"]
mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use catalog::payment::Method;
use chrono::Utc;
use functions::payments::{
    CheckoutRequest, EventKind, NextStep, PaymentError, PaymentQuery, Provider, ProviderEvent,
    RefundRequest, RefundStatus, Surface, Wechat, WechatConfig,
};
use serde_json::{json, Value};
use support::{header_map, helper, Canned, Recorder};

const PIP: &str = "run `python3 -m pip install wechatpayv3`";
const MCHID: &str = "1230000109";
const APPID: &str = "wxd678efh567hg6787";
const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0112301230001234567890123456";
const NOTIFY_URL: &str = "https://shop.example/api/payments/wechat/notify";
const ORDER: &str = "ord_3f2a9c0d1e2f3a4b5c6d7e8f";
const TRANSACTION: &str = "4200000985202103031441826014";
const CODE_URL: &str = "weixin://wxpay/bizpayurl?pr=p4lpSuKzz";
const H5_URL: &str = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2916263004719461949c84457c735b0000&package=2150917749";

/// Throwaway keys from the helper (Python `cryptography`).
struct Keys(Value);

impl Keys {
    async fn new() -> Keys {
        Keys(
            helper(
                "python3",
                "wechatpay_helper.py",
                &json!({"op": "keys"}),
                PIP,
            )
            .await,
        )
    }

    fn get(&self, name: &str) -> String {
        self.0[name].as_str().unwrap().to_owned()
    }

    fn config(&self, base: &str) -> WechatConfig {
        let settings: HashMap<&str, String> = HashMap::from([
            ("WECHATPAY_MCHID", MCHID.to_owned()),
            ("WECHATPAY_APPID", APPID.to_owned()),
            ("WECHATPAY_MERCHANT_SERIAL_NO", SERIAL.to_owned()),
            ("WECHATPAY_PRIVATE_KEY", self.get("merchant_private_key")),
            // As a one-line setting with escaped newlines, the way some stacks pass it.
            (
                "WECHATPAY_PUBLIC_KEY",
                self.get("platform_public_key").replace('\n', "\\n"),
            ),
            ("WECHATPAY_PUBLIC_KEY_ID", PUBLIC_KEY_ID.to_owned()),
            ("WECHATPAY_APIV3_KEY", self.get("apiv3_key")),
            ("WECHATPAY_NOTIFY_URL", NOTIFY_URL.to_owned()),
            ("WECHATPAY_API_BASE", base.to_owned()),
        ]);
        WechatConfig::from_lookup(&move |name| settings.get(name).cloned()).unwrap()
    }
}

fn transaction(mchid: &str) -> Value {
    json!({
        "amount": { "currency": "CNY", "payer_currency": "CNY", "payer_total": 4800, "total": 4800 },
        "appid": APPID,
        "attach": "",
        "bank_type": "OTHERS",
        "mchid": mchid,
        "out_trade_no": ORDER,
        "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
        "success_time": "2025-03-01T12:03:00+08:00",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "trade_type": "NATIVE",
        "transaction_id": TRANSACTION
    })
}

fn refund_answer() -> Value {
    json!({
        "refund_id": "50000000382019052709732678859",
        "out_refund_no": "refund_ord_x_1",
        "transaction_id": TRANSACTION,
        "out_trade_no": ORDER,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": "2025-03-01T13:00:00+08:00",
        "status": "PROCESSING",
        "amount": {
            "total": 4800, "refund": 1200, "payer_total": 4800, "payer_refund": 1200,
            "settlement_refund": 1200, "settlement_total": 4800, "discount_refund": 0,
            "currency": "CNY"
        }
    })
}

/// A notification from the helper: `overrides` change the request to it.
async fn notification(keys: &Keys, overrides: Value) -> (Vec<(String, String)>, String) {
    let mut request = json!({
        "op": "notify",
        "platform_private_key": keys.get("platform_private_key"),
        "public_key": keys.get("platform_public_key"),
        "public_key_id": PUBLIC_KEY_ID,
        "apiv3_key": keys.get("apiv3_key"),
        "id": "EV-2018022511223320873",
        "event_type": "TRANSACTION.SUCCESS",
        "resource": transaction(MCHID),
    });
    for (k, v) in overrides.as_object().unwrap() {
        request[k] = v.clone();
    }
    let out = helper("python3", "wechatpay_helper.py", &request, PIP).await;
    let headers = out["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    (headers, out["body"].as_str().unwrap().to_owned())
}

fn deliver(
    wechat: &Wechat,
    (headers, body): &(Vec<(String, String)>, String),
) -> Result<Option<ProviderEvent>, PaymentError> {
    let map = header_map(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    wechat.verify_notification(&map, body.as_bytes(), Utc::now())
}

#[tokio::test]
async fn notifications_built_by_wechatpayv3_are_accepted_and_forged_ones_refused() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let keys = Keys::new().await;
        let wechat = Wechat::new(keys.config("http://127.0.0.1:9"));

        let paid = deliver(&wechat, &notification(&keys, json!({})).await)
            .unwrap()
            .unwrap();
        assert_eq!(
            paid,
            ProviderEvent {
                method: Method::WechatPay,
                event_id: "EV-2018022511223320873".into(),
                order_id: Some(ORDER.into()),
                amount: 4800,
                currency: "CNY".into(),
                kind: EventKind::Succeeded,
                reference: TRANSACTION.into(),
            }
        );

        let refund = deliver(
            &wechat,
            &notification(
                &keys,
                json!({
                    "id": "EV-refund-1",
                    "event_type": "REFUND.SUCCESS",
                    "associated_data": "refund",
                    "resource": {
                        "mchid": MCHID,
                        "out_trade_no": ORDER,
                        "transaction_id": TRANSACTION,
                        "out_refund_no": "refund_ord_x_1",
                        "refund_id": "50000000382019052709732678859",
                        "refund_status": "SUCCESS",
                        "success_time": "2025-03-01T13:00:05+08:00",
                        "user_received_account": "支付用户零钱",
                        "amount": { "total": 4800, "refund": 1200, "payer_total": 4800, "payer_refund": 1200 }
                    }
                }),
            )
            .await,
        )
        .unwrap()
        .unwrap();
        assert_eq!(refund.kind, EventKind::Refunded { cumulative: false });
        assert_eq!(
            (refund.amount, refund.reference.as_str()),
            (1200, "50000000382019052709732678859")
        );

        let refused = |result: Result<Option<ProviderEvent>, PaymentError>, what: &str| {
            assert!(
                matches!(result, Err(PaymentError::Unauthentic(_))),
                "{what}: {result:?}"
            );
        };
        let (headers, body) = notification(&keys, json!({})).await;
        refused(
            deliver(&wechat, &(headers.clone(), body.replace("支付成功", "支付失败"))),
            "tampered body",
        );
        let without_signature: Vec<_> = headers
            .iter()
            .filter(|(k, _)| k != "Wechatpay-Signature")
            .cloned()
            .collect();
        refused(deliver(&wechat, &(without_signature, body.clone())), "no signature");
        refused(
            deliver(
                &wechat,
                &notification(
                    &keys,
                    json!({
                        "platform_private_key": keys.get("merchant_private_key"),
                        "public_key": keys.get("merchant_public_key"),
                    }),
                )
                .await,
            ),
            "signed with another key",
        );
        let stale = Utc::now().timestamp() - 600;
        refused(
            deliver(&wechat, &notification(&keys, json!({ "timestamp": stale })).await),
            "stale",
        );
        refused(
            deliver(
                &wechat,
                &notification(&keys, json!({ "public_key_id": "PUB_KEY_ID_SOMEONE_ELSE" })).await,
            ),
            "another key id",
        );
        refused(
            deliver(
                &wechat,
                &notification(&keys, json!({ "apiv3_key": "0123456789abcdef0123456789abcdef" }))
                    .await,
            ),
            "encrypted with another APIv3 key",
        );
        refused(
            deliver(
                &wechat,
                &notification(&keys, json!({ "resource": transaction("1900000001") })).await,
            ),
            "another merchant's transaction",
        );
    })
    .await
    .expect("bounded in time");
}

#[tokio::test]
async fn requests_are_signed_as_wechatpayv3_signs_them_and_answers_verified() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let keys = Keys::new().await;
        // WeChat Pay's documented answers, signed with the platform key as WeChat Pay does.
        let bodies = [
            json!({ "code_url": CODE_URL }).to_string(),
            json!({ "h5_url": H5_URL }).to_string(),
            transaction(MCHID).to_string(),
            refund_answer().to_string(),
        ];
        let signed = helper(
            "python3",
            "wechatpay_helper.py",
            &json!({
                "op": "sign",
                "platform_private_key": keys.get("platform_private_key"),
                "public_key_id": PUBLIC_KEY_ID,
                "bodies": bodies,
            }),
            PIP,
        )
        .await;
        let answers: Arc<Vec<Canned>> = Arc::new(
            bodies
                .iter()
                .zip(signed.as_array().unwrap())
                .map(|(body, headers)| {
                    let headers = headers
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect();
                    (200, headers, body.clone())
                })
                .collect(),
        );
        let canned = answers.clone();
        let query_path = format!("/v3/pay/transactions/out-trade-no/{ORDER}?mchid={MCHID}");
        let forged_path = "/v3/pay/transactions/out-trade-no/ord_forged_answer?mchid=1230000109";
        let server = Recorder::start(move |request| {
            match (request.method.as_str(), request.path.as_str()) {
                ("POST", "/v3/pay/transactions/native") => canned[0].clone(),
                ("POST", "/v3/pay/transactions/h5") => canned[1].clone(),
                ("GET", p) if p == query_path => canned[2].clone(),
                // The query's signed headers on a body that says something else.
                ("GET", p) if p == forged_path => {
                    let (status, headers, body) = canned[2].clone();
                    (status, headers, body.replace("4800", "1"))
                }
                ("POST", "/v3/refund/domestic/refunds") => canned[3].clone(),
                _ => (
                    404,
                    vec![],
                    json!({"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}).to_string(),
                ),
            }
        })
        .await;
        let wechat = Wechat::new(keys.config(&server.base));

        let mut checkout = CheckoutRequest {
            order_id: ORDER.into(),
            description: "面馆 — 订单 A12".into(),
            amount: 4800,
            currency: "CNY".into(),
            return_url: "https://shop.example/order/ord_x?t=tok".into(),
            cancel_url: "https://shop.example/".into(),
            client_ip: Some("203.0.113.7".into()),
            surface: Surface::QrCode,
            idempotency_key: "checkout-ord_x-1".into(),
        };
        let native = wechat.create_checkout(&checkout).await.unwrap();
        assert_eq!(native.next, NextStep::QrCode(CODE_URL.into()));
        assert_eq!(native.reference, ORDER);
        checkout.surface = Surface::MobileBrowser;
        let h5 = wechat.create_checkout(&checkout).await.unwrap();
        assert_eq!(
            h5.next,
            NextStep::Redirect(format!(
                "{H5_URL}&redirect_url=https%3A%2F%2Fshop.example%2Forder%2Ford_x%3Ft%3Dtok"
            ))
        );
        let found = wechat
            .query(&PaymentQuery {
                order_id: ORDER.into(),
                checkout_reference: None,
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.kind, found.amount, found.reference.as_str()),
            (EventKind::Succeeded, 4800, TRANSACTION)
        );
        let refund = wechat
            .refund(&RefundRequest {
                order_id: ORDER.into(),
                payment_reference: TRANSACTION.into(),
                refund_id: "refund_ord_x_1".into(),
                amount: 1200,
                payment_amount: 4800,
                currency: "CNY".into(),
                reason: Some("面凉了".into()),
            })
            .await
            .unwrap();
        assert_eq!(
            (refund.reference.as_str(), refund.amount, refund.status),
            ("50000000382019052709732678859", 1200, RefundStatus::Pending)
        );
        let forged = wechat
            .query(&PaymentQuery {
                order_id: "ord_forged_answer".into(),
                checkout_reference: None,
            })
            .await;
        assert!(
            matches!(forged, Err(PaymentError::Unauthentic(_))),
            "an answer whose signature does not match: {forged:?}"
        );
        let missing = wechat
            .query(&PaymentQuery {
                order_id: "ord_not_there".into(),
                checkout_reference: None,
            })
            .await;
        assert!(
            matches!(&missing, Err(PaymentError::Refused { status: 404, message }) if message.starts_with("RESOURCE_NOT_EXISTS")),
            "{missing:?}"
        );

        let requests = server.requests();
        assert_eq!(requests.len(), 6);
        let (native, h5, query, refund) = (&requests[0], &requests[1], &requests[2], &requests[3]);
        assert_eq!((native.method.as_str(), native.path.as_str()), ("POST", "/v3/pay/transactions/native"));
        assert_eq!((h5.method.as_str(), h5.path.as_str()), ("POST", "/v3/pay/transactions/h5"));
        assert_eq!(query.method, "GET");
        assert_eq!(query.path, format!("/v3/pay/transactions/out-trade-no/{ORDER}?mchid={MCHID}"));
        assert_eq!(query.body, "");
        assert_eq!((refund.method.as_str(), refund.path.as_str()), ("POST", "/v3/refund/domestic/refunds"));
        for r in [native, h5, refund] {
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
        for r in &requests {
            assert_eq!(r.header("accept"), Some("application/json"));
            assert!(r.header("user-agent").is_some_and(|ua| !ua.is_empty()));
        }
        let order = native.json();
        assert_eq!(order["appid"], APPID);
        assert_eq!(order["mchid"], MCHID);
        assert_eq!(order["out_trade_no"], ORDER);
        assert_eq!(order["notify_url"], NOTIFY_URL);
        assert_eq!(order["description"], "面馆 — 订单 A12");
        assert_eq!(order["amount"], json!({ "total": 4800, "currency": "CNY" }));
        assert!(order.get("scene_info").is_none());
        let order = h5.json();
        assert_eq!(
            order["scene_info"],
            json!({ "payer_client_ip": "203.0.113.7", "h5_info": { "type": "Wap" } })
        );
        let body = refund.json();
        assert_eq!(body["transaction_id"], TRANSACTION);
        assert_eq!(body["out_refund_no"], "refund_ord_x_1");
        assert_eq!(body["notify_url"], NOTIFY_URL);
        assert_eq!(body["reason"], "面凉了");
        assert_eq!(
            body["amount"],
            json!({ "refund": 1200, "total": 4800, "currency": "CNY" })
        );

        // wechatpayv3 checks every Authorization Carte sent; a tampered copy must fail, so
        // the check is not one that agrees with anything.
        let mut sent: Vec<Value> = requests
            .iter()
            .map(|r| {
                json!({
                    "method": r.method,
                    "path": r.path,
                    "body": r.body,
                    "authorization": r.header("authorization").unwrap_or(""),
                })
            })
            .collect();
        let mut tampered = sent[0].clone();
        tampered["body"] = json!(native.body.replace("4800", "1"));
        sent.push(tampered);
        let verdicts = helper(
            "python3",
            "wechatpay_helper.py",
            &json!({
                "op": "verify_requests",
                "mchid": MCHID,
                "serial_no": SERIAL,
                "merchant_private_key": keys.get("merchant_private_key"),
                "merchant_public_key": keys.get("merchant_public_key"),
                "requests": sent,
            }),
            PIP,
        )
        .await;
        let verdicts = verdicts.as_array().unwrap();
        for (i, verdict) in verdicts[..6].iter().enumerate() {
            assert_eq!(verdict["ok"], true, "request {i}: {verdict}");
        }
        assert_eq!(verdicts[6]["ok"], false, "the tampered request: {}", verdicts[6]);
    })
    .await
    .expect("bounded in time");
}

#[test]
fn settings_name_what_is_missing_and_show_no_key() {
    assert_eq!(WechatConfig::missing(&|_| None).len(), 8);
    let err = WechatConfig::from_lookup(&|_| None).unwrap_err();
    assert!(err.to_string().contains("WECHATPAY_PRIVATE_KEY"), "{err}");
    let err = WechatConfig::from_lookup(&|name| {
        (name == "WECHATPAY_PRIVATE_KEY").then(|| "not a key".to_owned())
    })
    .unwrap_err();
    assert!(err.to_string().contains("WECHATPAY_PRIVATE_KEY"), "{err}");
}

#[tokio::test]
async fn settings_debug_shows_no_secret() {
    let keys = Keys::new().await;
    let config = keys.config("http://127.0.0.1:9");
    let shown = format!("{config:?}");
    assert!(!shown.contains(&keys.get("apiv3_key")));
    assert!(!shown.contains("PRIVATE KEY"));
    assert!(shown.contains(MCHID));
}
