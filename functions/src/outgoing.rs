//! Outgoing requests to other services (the payment providers, the browsers' push
//! services) over the HTTPS client the functions already carry (`aws-smithy-http-client`:
//! hyper with rustls on *ring*), so neither adds a second TLS stack. One request,
//! bounded in time; the providers' idempotency keys make a caller's retry safe.

use std::time::Duration;

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutgoingError {
    /// The request itself cannot be made (method, URL or a header).
    #[error("the request cannot be made: {0}")]
    Invalid(String),
    /// No answer: connecting failed, timed out, or the answer broke off.
    #[error("{0}")]
    Unreachable(String),
    /// An answer too large to be one of the service's.
    #[error("{0}")]
    Malformed(String),
}

/// Connecting may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The whole request, answer included, may take this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer read.
const MAX_ANSWER: usize = 1 << 20;

/// A request to send.
pub(crate) struct Outgoing<'a> {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Which service (a payment provider, a push service), for messages.
    pub provider: &'a str,
}

/// A service's answer.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header of that name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTPS client (one per provider or push sender).
pub(crate) struct Client {
    connector: Connector,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Client")
    }
}

impl Client {
    pub(crate) fn new() -> Client {
        let mut settings = HttpConnectorSettings::builder();
        settings.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let connector = Connector::builder()
            .connector_settings(settings.build())
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build();
        Client { connector }
    }

    /// Sends `request` and reads the answer, whatever its status.
    pub(crate) async fn send(&self, request: Outgoing<'_>) -> Result<Answer, OutgoingError> {
        let provider = request.provider.to_owned();
        tokio::time::timeout(REQUEST_TIMEOUT, self.send_once(request))
            .await
            .unwrap_or_else(|_| {
                Err(OutgoingError::Unreachable(format!(
                    "{provider} did not answer within {REQUEST_TIMEOUT:?}"
                )))
            })
    }

    async fn send_once(&self, request: Outgoing<'_>) -> Result<Answer, OutgoingError> {
        let mut http = HttpRequest::new(SdkBody::from(request.body));
        http.set_method(request.method)
            .map_err(|e| OutgoingError::Invalid(format!("method {}: {e}", request.method)))?;
        http.set_uri(request.url.as_str())
            .map_err(|e| OutgoingError::Invalid(format!("URL {}: {e}", request.url)))?;
        for (name, value) in request.headers {
            http.headers_mut()
                .try_insert(name, value)
                .map_err(|e| OutgoingError::Invalid(format!("header {name}: {e}")))?;
        }
        let response = self.connector.call(http).await.map_err(|e| {
            OutgoingError::Unreachable(format!(
                "{} at {}: {}",
                request.provider,
                request.url,
                DisplayErrorContext(&e)
            ))
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| {
                OutgoingError::Unreachable(format!(
                    "the answer from {} broke off: {}",
                    request.provider,
                    DisplayErrorContext(&e)
                ))
            })?
            .to_vec();
        if body.len() > MAX_ANSWER {
            return Err(OutgoingError::Malformed(format!(
                "an answer of {} bytes from {}",
                body.len(),
                request.provider
            )));
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}
