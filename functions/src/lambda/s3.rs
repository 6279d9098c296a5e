//! The one S3 call the functions make, reading the catalog: a SigV4-signed `GET` of one
//! object over the HTTPS client the DynamoDB store uses anyway (`aws-smithy-http-client`,
//! rustls on *ring*). It replaces `aws-sdk-s3`, whose GetObject brought about 1.1 MB into
//! every binary (flexible-checksum CRC tables, XML, the S3 endpoint rules) for this one
//! request.
//!
//! What the SDK did and this keeps: the S3 endpoint (path-style under an endpoint override,
//! virtual-hosted otherwise), SigV4 the S3 way (`x-amz-content-sha256`, no double encoding
//! or normalisation of the path, the session token signed), the configuration's
//! credentials, region, retries and timeouts, and `If-None-Match` for the cheap "has it
//! changed" check.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningParams,
    SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_types::service_config::ServiceConfigKey;
use aws_types::SdkConfig;

/// Credentials are fetched again when they expire within this.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

/// What a GET brought back.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 304: the object still has the ETag given.
    Unchanged,
    /// 200: the object and its ETag.
    Object { body: Vec<u8>, etag: Option<String> },
}

/// Why a GET failed, and whether trying again may help.
enum Failure {
    Transient(String),
    Final(String),
}

/// A GET client for S3 objects, configured from the shared AWS configuration.
pub(crate) struct S3Get {
    connector: Connector,
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` (or, with `aws-config`, a profile's).
    endpoint: Option<String>,
    region: Option<String>,
    provider: Option<SharedCredentialsProvider>,
    credentials: Mutex<Option<Credentials>>,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    attempt_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
}

impl S3Get {
    /// A client on `aws`'s region, credentials, endpoint override, retry and timeout
    /// settings (the store's when the configuration has none).
    pub(crate) fn new(aws: &SdkConfig) -> S3Get {
        let retry = aws
            .retry_config()
            .cloned()
            .unwrap_or_else(crate::aws::retry_config);
        let timeouts = aws
            .timeout_config()
            .cloned()
            .unwrap_or_else(crate::aws::timeout_config);
        let mut settings = HttpConnectorSettings::builder();
        settings.set_connect_timeout(timeouts.connect_timeout());
        let connector = Connector::builder()
            .connector_settings(settings.build())
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build();
        let endpoint = ServiceConfigKey::builder()
            .service_id("S3")
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .ok()
            .and_then(|key| aws.service_config()?.load_config(key))
            .or_else(|| aws.endpoint_url().map(str::to_owned))
            .filter(|url| !url.is_empty());
        S3Get {
            connector,
            endpoint,
            region: aws.region().map(|r| r.to_string()),
            provider: aws.credentials_provider(),
            credentials: Mutex::new(None),
            max_attempts: retry.max_attempts().max(1),
            initial_backoff: retry.initial_backoff(),
            max_backoff: retry.max_backoff(),
            attempt_timeout: timeouts.operation_attempt_timeout(),
            operation_timeout: timeouts.operation_timeout(),
        }
    }

    /// GETs `bucket/key`, conditionally on `if_none_match` (an ETag). The error is a
    /// sentence for [`super::StartError::FetchCatalog`].
    pub(crate) async fn get(
        &self,
        bucket: &str,
        key: &str,
        if_none_match: Option<&str>,
    ) -> Result<Fetched, String> {
        let attempts = self.get_with_retries(bucket, key, if_none_match);
        match self.operation_timeout {
            Some(limit) => tokio::time::timeout(limit, attempts)
                .await
                .unwrap_or_else(|_| Err(format!("S3 did not answer within {limit:?}"))),
            None => attempts.await,
        }
    }

    async fn get_with_retries(
        &self,
        bucket: &str,
        key: &str,
        if_none_match: Option<&str>,
    ) -> Result<Fetched, String> {
        let region = self
            .region
            .as_deref()
            .ok_or("no AWS region: set AWS_REGION")?;
        let target = object_url(self.endpoint.as_deref(), region, bucket, key)?;
        let credentials = self.credentials().await?;
        let mut attempt = 1;
        loop {
            let once = self.attempt(&target, region, &credentials, if_none_match);
            let result = match self.attempt_timeout {
                Some(limit) => tokio::time::timeout(limit, once).await.unwrap_or_else(|_| {
                    Err(Failure::Transient(format!(
                        "S3 did not answer within {limit:?}"
                    )))
                }),
                None => once.await,
            };
            match result {
                Ok(fetched) => return Ok(fetched),
                Err(Failure::Transient(_)) if attempt < self.max_attempts => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                Err(Failure::Transient(detail)) if attempt > 1 => {
                    return Err(format!("{detail} (after {attempt} attempts)"))
                }
                Err(Failure::Transient(detail) | Failure::Final(detail)) => return Err(detail),
            }
        }
    }

    /// Exponential: the initial backoff doubled for each attempt made, at most the maximum.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The configuration's credentials, kept until they are about to expire.
    async fn credentials(&self) -> Result<Credentials, String> {
        let cached = self
            .credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(credentials) = cached {
            let fresh = credentials
                .expiry()
                .is_none_or(|expiry| expiry > SystemTime::now() + CREDENTIALS_MARGIN);
            if fresh {
                return Ok(credentials);
            }
        }
        let provider = self.provider.as_ref().ok_or(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them from the function's role)",
        )?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| format!("no AWS credentials: {}", DisplayErrorContext(&e)))?;
        *self.credentials.lock().unwrap_or_else(|p| p.into_inner()) = Some(credentials.clone());
        Ok(credentials)
    }

    async fn attempt(
        &self,
        target: &ObjectUrl,
        region: &str,
        credentials: &Credentials,
        if_none_match: Option<&str>,
    ) -> Result<Fetched, Failure> {
        let conditional: Vec<(&'static str, &str)> = if_none_match
            .map(|etag| ("if-none-match", etag))
            .into_iter()
            .collect();
        let signed = sign_get(
            target,
            &conditional,
            credentials.clone(),
            region,
            SystemTime::now(),
        )
        .map_err(Failure::Final)?;
        let mut request = HttpRequest::get(&target.url)
            .map_err(|e| Failure::Final(format!("invalid URL {}: {e}", target.url)))?;
        let headers = request.headers_mut();
        let all = [("host", target.host.clone())]
            .into_iter()
            .chain(conditional.iter().map(|(n, v)| (*n, (*v).to_owned())))
            .chain(signed);
        for (name, value) in all {
            headers
                .try_insert(name, value)
                .map_err(|e| Failure::Final(format!("invalid {name} header: {e}")))?;
        }
        let response = self.connector.call(request).await.map_err(|e| {
            let detail = format!(
                "cannot reach S3 at {}: {}",
                target.url,
                DisplayErrorContext(&e)
            );
            if e.is_user() {
                Failure::Final(detail)
            } else {
                Failure::Transient(detail)
            }
        })?;
        let status = response.status().as_u16();
        let etag = response.headers().get("etag").map(str::to_owned);
        let bucket_region = response
            .headers()
            .get("x-amz-bucket-region")
            .map(str::to_owned);
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| {
                Failure::Transient(format!(
                    "the answer from S3 broke off: {}",
                    DisplayErrorContext(&e)
                ))
            })?
            .to_vec();
        match status {
            200 => Ok(Fetched::Object { body, etag }),
            304 => Ok(Fetched::Unchanged),
            _ => Err(failure(status, &body, region, bucket_region.as_deref())),
        }
    }
}

/// An S3 error answer as a sentence: the status, S3's error code and message, and what to
/// do for the usual ones. Throttling and server errors may pass when tried again.
fn failure(status: u16, body: &[u8], region: &str, bucket_region: Option<&str>) -> Failure {
    let text = String::from_utf8_lossy(body);
    let code = xml_element(&text, "Code");
    let mut detail = format!("S3 answered {status}");
    if let Some(code) = code {
        detail.push_str(&format!(" {code}"));
    }
    if let Some(message) = xml_element(&text, "Message") {
        detail.push_str(&format!(": {message}"));
    }
    match (status, bucket_region) {
        (404, _) if code.is_none_or(|c| c == "NoSuchKey") => detail
            .push_str(" (no object at that key: run `carte publish`, or check CARTE_SITE_JSON)"),
        (403, _) => detail.push_str(
            " (the function's role needs s3:GetObject on the key; without s3:ListBucket on the \
             bucket S3 also answers 403 for a key that does not exist)",
        ),
        (301 | 400, Some(actual)) if actual != region => detail.push_str(&format!(
            " (the bucket is in {actual}, the function in {region})"
        )),
        _ => {}
    }
    let transient = matches!(status, 429 | 500 | 502 | 503 | 504)
        || matches!(code, Some("SlowDown" | "RequestTimeout" | "InternalError"));
    if transient {
        Failure::Transient(detail)
    } else {
        Failure::Final(detail)
    }
}

/// The text of the first `<name>…</name>` in an XML error document.
fn xml_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim()).filter(|t| !t.is_empty())
}

/// Where an object is: the URL to GET and the `Host` it is signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectUrl {
    pub(crate) url: String,
    pub(crate) host: String,
}

/// The object's URL as the SDK's S3 endpoint rules give it. With an endpoint override (a
/// local S3-compatible server), path-style under it: `{endpoint}/{bucket}/{key}`.
/// Otherwise virtual-hosted, `https://{bucket}.s3.{region}.{suffix}/{key}`, or path-style
/// on the regional endpoint for a bucket name that cannot be one TLS host label (dots).
pub(crate) fn object_url(
    endpoint: Option<&str>,
    region: &str,
    bucket: &str,
    key: &str,
) -> Result<ObjectUrl, String> {
    let key = encode(key, true);
    match endpoint {
        Some(endpoint) => {
            let uri: axum::http::Uri = endpoint
                .parse()
                .map_err(|e| format!("the S3 endpoint {endpoint:?} is not a URL: {e}"))?;
            let host = match (uri.scheme_str(), uri.authority()) {
                (Some("http" | "https"), Some(authority)) => authority.as_str().to_owned(),
                _ => {
                    return Err(format!(
                        "the S3 endpoint {endpoint:?} is not an http:// or https:// URL"
                    ))
                }
            };
            let base = endpoint.trim_end_matches('/');
            Ok(ObjectUrl {
                url: format!("{base}/{}/{key}", encode(bucket, false)),
                host,
            })
        }
        None => {
            let valid_region = !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_region {
                return Err(format!("{region:?} is not an AWS region"));
            }
            let suffix = dns_suffix(region);
            if virtual_hostable(bucket) {
                let host = format!("{bucket}.s3.{region}.{suffix}");
                Ok(ObjectUrl {
                    url: format!("https://{host}/{key}"),
                    host,
                })
            } else {
                let host = format!("s3.{region}.{suffix}");
                Ok(ObjectUrl {
                    url: format!("https://{host}/{}/{key}", encode(bucket, false)),
                    host,
                })
            }
        }
    }
}

/// The partition's domain for a region.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-isof-") {
        "csp.hci.ic.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else if region.starts_with("eu-isoe-") {
        "cloud.adc-e.uk"
    } else {
        "amazonaws.com"
    }
}

/// Whether a bucket name can be the first label of an HTTPS host name: 3–63 lower-case
/// letters, digits and hyphens, starting and ending with a letter or digit.
fn virtual_hostable(bucket: &str) -> bool {
    let bytes = bucket.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// Everything but RFC 3986's unreserved characters is percent-encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The same, keeping `/` (an object key's separators).
const NOT_UNRESERVED_OR_SLASH: &AsciiSet = &NOT_UNRESERVED.remove(b'/');

/// Percent-encodes all but RFC 3986's unreserved characters (and `/` when `keep_slash`,
/// for a key), as S3 expects a path.
fn encode(text: &str, keep_slash: bool) -> String {
    let set = if keep_slash {
        NOT_UNRESERVED_OR_SLASH
    } else {
        NOT_UNRESERVED
    };
    utf8_percent_encode(text, set).to_string()
}

/// The SigV4 headers for a GET of `target` with `headers` (besides `host`), the way S3
/// verifies them: `x-amz-date`, `x-amz-content-sha256` (of the empty body),
/// `x-amz-security-token` with temporary credentials (signed), and `authorization`.
pub(crate) fn sign_get(
    target: &ObjectUrl,
    headers: &[(&str, &str)],
    credentials: Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(&'static str, String)>, String> {
    let identity = Identity::from(credentials);
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params: SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into();
    let all = [("host", target.host.as_str())]
        .into_iter()
        .chain(headers.iter().copied());
    let request = SignableRequest::new("GET", target.url.as_str(), all, SignableBody::empty())
        .map_err(|e| format!("cannot sign the request: {e}"))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into_parts();
    let (signed, _params) = instructions.into_parts();
    Ok(signed
        .into_iter()
        .map(|header| (header.name(), header.value().to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// AWS's published example for S3 ("Signature Calculations for the Authorization
    /// Header: Transferring Payload in a Single Chunk", GET Object), signed by this code.
    #[test]
    fn the_s3_documentation_example_is_signed_to_its_published_signature() {
        let target = ObjectUrl {
            url: "https://examplebucket.s3.amazonaws.com/test.txt".into(),
            host: "examplebucket.s3.amazonaws.com".into(),
        };
        let credentials = Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        );
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600); // 2013-05-24T00:00:00Z
        let headers = sign_get(
            &target,
            &[("range", "bytes=0-9")],
            credentials,
            "us-east-1",
            time,
        )
        .expect("signs");
        assert_eq!(
            header(&headers, "authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
                 Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
            )
        );
        assert_eq!(
            header(&headers, "x-amz-content-sha256"),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(header(&headers, "x-amz-date"), Some("20130524T000000Z"));
        assert_eq!(header(&headers, "x-amz-security-token"), None);
    }

    #[test]
    fn a_session_token_is_sent_and_signed() {
        let target = object_url(None, "eu-west-1", "shop-site", "private/site.json").expect("url");
        let credentials = Credentials::new("AKID", "SECRET", Some("TOKEN".into()), None, "test");
        let headers = sign_get(
            &target,
            &[("if-none-match", "\"abc\"")],
            credentials,
            "eu-west-1",
            SystemTime::now(),
        )
        .expect("signs");
        assert_eq!(header(&headers, "x-amz-security-token"), Some("TOKEN"));
        let authorization = header(&headers, "authorization").unwrap_or_default();
        assert!(
            authorization.contains(
                "SignedHeaders=host;if-none-match;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
            ),
            "{authorization}"
        );
        assert!(
            authorization.contains("/eu-west-1/s3/aws4_request"),
            "{authorization}"
        );
    }

    #[test]
    fn objects_are_addressed_virtual_hosted_on_aws_and_path_style_under_an_endpoint() {
        assert_eq!(
            object_url(None, "eu-west-1", "shop-site", "private/site.json"),
            Ok(ObjectUrl {
                url: "https://shop-site.s3.eu-west-1.amazonaws.com/private/site.json".into(),
                host: "shop-site.s3.eu-west-1.amazonaws.com".into(),
            })
        );
        assert_eq!(
            object_url(
                Some("http://127.0.0.1:5000/"),
                "us-east-1",
                "shop",
                "private/site.json"
            ),
            Ok(ObjectUrl {
                url: "http://127.0.0.1:5000/shop/private/site.json".into(),
                host: "127.0.0.1:5000".into(),
            })
        );
        // A dotted name would not match the `*.s3.…` certificate: path-style, as the SDK does.
        assert_eq!(
            object_url(None, "us-east-1", "shop.example.com", "site.json").map(|u| u.url),
            Ok("https://s3.us-east-1.amazonaws.com/shop.example.com/site.json".into())
        );
        assert_eq!(
            object_url(None, "cn-north-1", "shop", "a b/é+.json").map(|u| u.url),
            Ok("https://shop.s3.cn-north-1.amazonaws.com.cn/a%20b/%C3%A9%2B.json".into())
        );
        assert!(object_url(None, "", "shop", "site.json").is_err());
        assert!(object_url(None, "eu-west-1/x", "shop", "site.json").is_err());
        assert!(object_url(Some("localhost:5000"), "us-east-1", "shop", "k").is_err());
    }

    #[test]
    fn s3_error_answers_become_sentences() {
        let not_found = b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>private/site.json</Key></Error>";
        let Failure::Final(detail) = failure(404, not_found, "us-east-1", None) else {
            panic!("a 404 is not retried");
        };
        assert!(
            detail.starts_with("S3 answered 404 NoSuchKey: The specified key does not exist."),
            "{detail}"
        );
        let denied = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        let Failure::Final(detail) = failure(403, denied, "us-east-1", None) else {
            panic!("a 403 is not retried");
        };
        assert!(detail.contains("AccessDenied: Access Denied"), "{detail}");
        assert!(detail.contains("s3:GetObject"), "{detail}");
        let moved = b"<Error><Code>PermanentRedirect</Code><Message>Use the right endpoint.</Message></Error>";
        let Failure::Final(detail) = failure(301, moved, "us-east-1", Some("eu-west-1")) else {
            panic!("a redirect is not retried");
        };
        assert!(detail.contains("the bucket is in eu-west-1"), "{detail}");
        let slow = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
        assert!(matches!(
            failure(503, slow, "us-east-1", None),
            Failure::Transient(_)
        ));
        assert!(matches!(
            failure(500, b"", "us-east-1", None),
            Failure::Transient(_)
        ));
    }
}
