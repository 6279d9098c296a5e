//! An AWS failure in one line, with what to do about it, instead of the SDK's nested
//! dump (a "dispatch failure … ConnectorError { … }", or 950 characters about IMDS when
//! no credentials are found).

/// What went wrong, in words, and the one thing to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub what: String,
    pub hint: &'static str,
    /// S3 was never asked (offline, no credentials, no region): what the bucket holds
    /// is unknown, not refused.
    pub not_asked: bool,
}

/// Explains an error by its message and its causes' messages (the SDK's error kinds
/// and S3's error codes are stable text).
pub fn explain(error: &(dyn std::error::Error + 'static)) -> Explained {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    explain_chain(&chain)
}

/// [`explain`] on the messages themselves, outermost first.
pub fn explain_chain(chain: &[String]) -> Explained {
    let all = chain.join(" | ");
    let has = |needle: &str| all.contains(needle);
    let lower = all.to_lowercase();
    let what = |text: &str| text.to_owned();
    let by_code: &[(&str, &str, &'static str)] = &[
        (
            "NoSuchBucket",
            "the bucket does not exist",
            "check --bucket (the stack's SiteBucket output) and AWS_REGION (the stack's region)",
        ),
        (
            "AccessDenied",
            "access denied",
            "the credentials need s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket (and s3:GetBucketVersioning, s3:ListBucketVersions for --list and --rollback)",
        ),
        (
            "InvalidAccessKeyId",
            "the access key is not known to AWS",
            "check AWS_ACCESS_KEY_ID or AWS_PROFILE (`aws sts get-caller-identity` shows who you are)",
        ),
        (
            "SignatureDoesNotMatch",
            "the secret key does not match the access key",
            "check AWS_SECRET_ACCESS_KEY or AWS_PROFILE",
        ),
        (
            "ExpiredToken",
            "the session's credentials have expired",
            "sign in again (`aws sso login`, or new temporary credentials)",
        ),
        (
            "PermanentRedirect",
            "the bucket is in another region",
            "set AWS_REGION to the bucket's region (the stack's region)",
        ),
        (
            "AuthorizationHeaderMalformed",
            "the bucket is in another region",
            "set AWS_REGION to the bucket's region (the stack's region)",
        ),
    ];
    if let Some((_, text, hint)) = by_code.iter().find(|(code, _, _)| has(code)) {
        return Explained {
            what: (*text).to_owned(),
            hint,
            not_asked: false,
        };
    }
    if lower.contains("credential") {
        return Explained {
            what: what("no AWS credentials were found"),
            hint: "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`aws configure` writes them)",
            not_asked: true,
        };
    }
    if lower.contains("region") {
        return Explained {
            what: what("no AWS region is set"),
            hint: "set AWS_REGION to the stack's region, e.g. AWS_REGION=ap-east-1",
            not_asked: true,
        };
    }
    if lower.contains("timed out") || lower.contains("timeout") {
        return Explained {
            what: what("S3 did not answer in time"),
            hint: "check the network and try again",
            not_asked: true,
        };
    }
    if lower.contains("dispatch failure") || lower.contains("connect") || lower.contains("dns") {
        return Explained {
            what: what("S3 could not be reached"),
            hint: "check the network, AWS_REGION, and --endpoint if you publish to a local S3",
            not_asked: true,
        };
    }
    // Something else: the outermost message and its first cause, cut to a line.
    let mut text = chain.iter().take(2).cloned().collect::<Vec<_>>().join(": ");
    if text.chars().count() > 200 {
        text = text.chars().take(199).collect::<String>() + "…";
    }
    Explained {
        what: text,
        hint: "the bucket is the stack's SiteBucket output; AWS_REGION is the stack's region",
        not_asked: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(chain: &[&str]) -> Explained {
        let chain: Vec<String> = chain.iter().map(|s| (*s).to_owned()).collect();
        explain_chain(&chain)
    }

    #[test]
    fn the_sdk_failures_a_merchant_meets_are_named_with_a_hint() {
        let none = of(&[
            "dispatch failure",
            "other",
            "the credential provider was not enabled",
            "no providers in chain provided credentials",
        ]);
        assert_eq!(none.what, "no AWS credentials were found");
        assert!(none.not_asked);
        assert!(none.hint.contains("AWS_PROFILE"));
        let offline = of(&[
            "dispatch failure",
            "io error",
            "client error (Connect)",
            "tcp connect error: Connection refused (os error 111)",
        ]);
        assert_eq!(offline.what, "S3 could not be reached");
        let missing = of(&[
            "service error",
            "NoSuchBucket: The specified bucket does not exist",
        ]);
        assert_eq!(missing.what, "the bucket does not exist");
        assert!(missing.hint.contains("--bucket"));
        assert!(!missing.not_asked, "the bucket was asked and said no");
        let region = of(&[
            "failed to construct request",
            "A region must be set when sending requests to S3.",
        ]);
        assert_eq!(region.what, "no AWS region is set");
    }

    #[test]
    fn anything_else_is_cut_to_one_line() {
        let long = "x".repeat(500);
        let other = of(&["response error", &long, "more"]);
        assert!(other.what.chars().count() <= 200, "{}", other.what);
        assert!(!other.what.contains('\n'));
    }
}
