//! Text messages through AWS SNS: one `Publish` to a phone number, a SigV4-signed form
//! POST on the HTTPS client the functions already link (no `aws-sdk-sns`, like the
//! catalog's S3 GET in `lambda/s3.rs`).
//!
//! Settings: `CARTE_SMS=sns` turns it on; the region, credentials and an endpoint
//! override (`AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL`) come from the usual AWS
//! variables, which Lambda sets from the function's role. `CARTE_SMS_SENDER_ID`
//! optionally names the sender where carriers show one.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;

use super::{message_text, Address, CodeSender, SendError};

/// The environment variable that turns SNS text messages on (`sns`).
pub const SMS: &str = "CARTE_SMS";
/// An optional sender id shown by carriers that support one.
pub const SMS_SENDER_ID: &str = "CARTE_SMS_SENDER_ID";

/// Text messages through SNS `Publish`.
pub struct SnsSender {
    connector: Connector,
    url: String,
    host: String,
    region: String,
    credentials: Credentials,
    sender_id: Option<String>,
}

impl std::fmt::Debug for SnsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnsSender")
            .field("url", &self.url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl SnsSender {
    /// The sender set up by `lookup`, `Ok(None)` unless `CARTE_SMS=sns`.
    pub fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<SnsSender>, SendError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        match var(SMS).as_deref().map(str::trim) {
            None => return Ok(None),
            Some("sns") => {}
            Some(_) => {
                return Err(SendError::Config {
                    variable: SMS,
                    problem: "is `sns` (the only SMS provider for now)".into(),
                })
            }
        }
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(SendError::Config {
                variable: "AWS_REGION",
                problem: "is not set".into(),
            })?;
        let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(SendError::Config {
                variable: "AWS_ACCESS_KEY_ID",
                problem: "and AWS_SECRET_ACCESS_KEY are not set".into(),
            });
        };
        let credentials = Credentials::new(id, secret, var("AWS_SESSION_TOKEN"), None, "env");
        let url = var("AWS_ENDPOINT_URL_SNS")
            .or_else(|| var("AWS_ENDPOINT_URL"))
            .map(|u| format!("{}/", u.trim().trim_end_matches('/')))
            .unwrap_or_else(|| format!("https://sns.{region}.amazonaws.com/"));
        let host = url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_owned())
            .filter(|h| !h.is_empty())
            .ok_or(SendError::Config {
                variable: "AWS_ENDPOINT_URL_SNS",
                problem: "is not a URL".into(),
            })?;
        let connector = Connector::builder()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build();
        Ok(Some(SnsSender {
            connector,
            url,
            host,
            region,
            credentials,
            sender_id: var(SMS_SENDER_ID),
        }))
    }

    /// The form body of a `Publish` of `message` to `phone`.
    fn body(&self, phone: &str, message: &str) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", "Publish")
            .append_pair("Version", "2010-03-31")
            .append_pair("PhoneNumber", phone)
            .append_pair("Message", message)
            .append_pair("MessageAttributes.entry.1.Name", "AWS.SNS.SMS.SMSType")
            .append_pair("MessageAttributes.entry.1.Value.DataType", "String")
            .append_pair(
                "MessageAttributes.entry.1.Value.StringValue",
                "Transactional",
            );
        if let Some(id) = &self.sender_id {
            form.append_pair("MessageAttributes.entry.2.Name", "AWS.SNS.SMS.SenderID")
                .append_pair("MessageAttributes.entry.2.Value.DataType", "String")
                .append_pair("MessageAttributes.entry.2.Value.StringValue", id);
        }
        form.finish()
    }
}

#[async_trait]
impl CodeSender for SnsSender {
    async fn send(&self, to: &Address, code: &str, shop: &str) -> Result<(), SendError> {
        let Address::Phone(phone) = to else {
            return Err(SendError::NotConfigured("email"));
        };
        let body = self.body(phone, &message_text(code, shop));
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let identity = Identity::from(self.credentials.clone());
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("sns")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| SendError::Failed(format!("cannot sign the request: {e}")))?
            .into();
        let headers = [("host", self.host.as_str()), ("content-type", content_type)];
        let signable = SignableRequest::new(
            "POST",
            self.url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| SendError::Failed(format!("cannot sign the request: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| SendError::Failed(format!("cannot sign the request: {e}")))?
            .into_parts();
        let (signed, _) = instructions.into_parts();
        let mut request = HttpRequest::new(SdkBody::from(body));
        request
            .set_uri(self.url.as_str())
            .map_err(|e| SendError::Failed(format!("invalid SNS URL: {e}")))?;
        request
            .set_method("POST")
            .map_err(|e| SendError::Failed(e.to_string()))?;
        let all = headers
            .iter()
            .map(|(n, v)| (*n, (*v).to_owned()))
            .chain(signed.iter().map(|h| (h.name(), h.value().to_owned())));
        for (name, value) in all {
            request
                .headers_mut()
                .try_insert(name, value)
                .map_err(|e| SendError::Failed(format!("invalid {name} header: {e}")))?;
        }
        let call = self.connector.call(request);
        let response = tokio::time::timeout(std::time::Duration::from_secs(10), call)
            .await
            .map_err(|_| SendError::Failed("SNS did not answer within 10 s".into()))?
            .map_err(|e| {
                SendError::Failed(format!("cannot reach SNS: {}", DisplayErrorContext(&e)))
            })?;
        let status = response.status().as_u16();
        let answer = ByteStream::new(response.into_body())
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_vec()).into_owned())
            .unwrap_or_default();
        if status == 200 && answer.contains("<MessageId>") {
            Ok(())
        } else {
            let code = answer
                .split("<Code>")
                .nth(1)
                .and_then(|r| r.split("</Code>").next())
                .unwrap_or("no error code");
            Err(SendError::Failed(format!("SNS answered {status}: {code}")))
        }
    }
}
