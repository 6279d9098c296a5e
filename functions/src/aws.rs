//! The AWS configuration from the environment, shared by the DynamoDB store, the S3
//! catalog of the Lambda functions and the `carte` command: one HTTP client, and the
//! retry and timeout settings every call to AWS runs under.

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::BehaviorVersion;
use aws_types::region::Region;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
pub use aws_types::SdkConfig;

/// Retries with exponential backoff and jitter on throttling and transient
/// errors; what is still failing after them becomes `StoreError::Unavailable`.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(25))
        .with_max_backoff(Duration::from_secs(2))
}

/// Bounds on one call, so a stuck connection becomes a 503 rather than a hung order.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// The AWS configuration from the environment (credentials, region, and endpoint
/// overrides such as `AWS_ENDPOINT_URL_DYNAMODB`), loaded once so S3 and DynamoDB share one
/// HTTP client, with [`retry_config`] and [`timeout_config`].
///
/// With the `aws-config` feature: the SDK's default chain (environment, profiles, SSO, web
/// identity, container and instance metadata). Without it (the Lambda builds):
/// [`sdk_config_from_env_vars`].
#[cfg(feature = "aws-config")]
pub async fn config_from_env() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await
}

/// The AWS configuration from the environment: [`sdk_config_from_env_vars`] (this build
/// has no `aws-config` feature).
#[cfg(not(feature = "aws-config"))]
pub async fn config_from_env() -> SdkConfig {
    sdk_config_from_env_vars()
}

/// Service endpoint overrides from the environment, as the SDK names them:
/// `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3`), then
/// `AWS_ENDPOINT_URL`.
#[derive(Debug, Clone, Copy)]
struct EnvEndpoints;

impl LoadServiceConfig for EnvEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        service_setting(key.service_id(), key.env(), |name| std::env::var(name).ok())
    }
}

/// A per-service setting the SDK's way: `<env>_<SERVICE ID>` (upper case, spaces as
/// underscores), then `<env>`; empty values count as unset.
fn service_setting(
    service_id: &str,
    env: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let service = service_id.to_uppercase().replace(' ', "_");
    [format!("{env}_{service}"), env.to_owned()]
        .into_iter()
        .find_map(|name| lookup(&name).filter(|v| !v.is_empty()))
}

/// The AWS configuration from the process environment alone, which is what Lambda gives a
/// function: credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`, the region from `AWS_REGION` (or `AWS_DEFAULT_REGION`), endpoint
/// overrides from `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`, and an HTTPS client on
/// rustls with *ring* (one TLS stack). No profile files, SSO, STS or instance metadata: the
/// code for them stays out of the Lambda binaries.
pub fn sdk_config_from_env_vars() -> SdkConfig {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(
            var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .map(Region::new),
        )
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .http_client(https)
        .service_config(EnvEndpoints);
    if let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        let credentials =
            Credentials::new(id, secret, var("AWS_SESSION_TOKEN"), None, "environment");
        config = config.credentials_provider(SharedCredentialsProvider::new(credentials));
    }
    config.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_overrides_are_read_per_service_then_shared() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both = env(&[
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9999"),
        ]);
        assert_eq!(
            service_setting("DynamoDB", "AWS_ENDPOINT_URL", both).as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(
            service_setting("S3", "AWS_ENDPOINT_URL", both).as_deref(),
            Some("http://127.0.0.1:9999")
        );
        let empty = env(&[("AWS_ENDPOINT_URL_S3", "")]);
        assert_eq!(service_setting("S3", "AWS_ENDPOINT_URL", empty), None);
    }

    #[test]
    fn the_environment_config_brings_its_own_https_client() {
        let config = sdk_config_from_env_vars();
        assert!(config.http_client().is_some());
        assert!(config.behavior_version().is_some());
        let dynamo = aws_sdk_dynamodb::config::Builder::from(&config).build();
        assert!(dynamo.http_client().is_some());
    }
}
