//! SDK errors as store errors: a short message for the log (never an SDK
//! dump), and "slow down / try again" as [`StoreError::Unavailable`].

use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::CancellationReason;

use crate::store::StoreError;

/// Service error codes that mean "too much at once" or "try again": what is
/// left of them after the SDK's own retries becomes `Unavailable` (HTTP 503).
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "Throttling",
    "TransactionConflictException",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
];

/// Cancellation reason codes of a transaction that are worth another attempt.
const RETRYABLE_REASONS: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// How many times a transaction cancelled for contention is tried again.
pub(super) const CONTENTION_ATTEMPTS: u32 = 8;

/// At most this many characters of a service message reach the error.
const MESSAGE_CHARS: usize = 160;

fn short(text: &str) -> String {
    let mut out: String = text.chars().take(MESSAGE_CHARS).collect();
    if text.chars().count() > MESSAGE_CHARS {
        out.push('…');
    }
    out
}

/// Maps an SDK error of `operation` (e.g. `"PutItem"`) to a store error.
pub(super) fn sdk<E, R>(operation: &'static str, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata,
{
    match &error {
        SdkError::TimeoutError(_) => StoreError::Unavailable(format!("{operation}: timed out")),
        SdkError::DispatchFailure(failure) => StoreError::Unavailable(format!(
            "{operation}: could not reach DynamoDB{}",
            if failure.is_timeout() {
                " (timeout)"
            } else {
                ""
            }
        )),
        SdkError::ConstructionFailure(_) => {
            StoreError::Backend(format!("{operation}: the request could not be built"))
        }
        _ => {
            let code = error.code().unwrap_or("unknown error");
            let message = error.message().map(short).unwrap_or_default();
            if RETRYABLE_CODES.contains(&code) {
                StoreError::Unavailable(format!("{operation}: {code}"))
            } else if message.is_empty() {
                StoreError::Backend(format!("{operation}: {code}"))
            } else {
                StoreError::Backend(format!("{operation}: {code}: {message}"))
            }
        }
    }
}

/// A request the SDK refused to build (a missing required field: a bug here).
pub(super) fn build(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!(
        "building a DynamoDB request: {}",
        short(&error.to_string())
    ))
}

/// A stored item that does not have the shape this code writes.
pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("unexpected item in the table: {what}"))
}

/// The reasons of a cancelled transaction (one per item, in request order),
/// or the store error for any other failure.
pub(super) fn cancellation<R>(
    error: SdkError<TransactWriteItemsError, R>,
) -> Result<Vec<CancellationReason>, StoreError> {
    match error {
        SdkError::ServiceError(service) => match service.into_err() {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                Ok(cancelled.cancellation_reasons().to_vec())
            }
            other => Err(sdk_service("TransactWriteItems", &other)),
        },
        other => Err(sdk("TransactWriteItems", other)),
    }
}

fn sdk_service(operation: &'static str, error: &impl ProvideErrorMetadata) -> StoreError {
    let code = error.code().unwrap_or("unknown error");
    if RETRYABLE_CODES.contains(&code) {
        StoreError::Unavailable(format!("{operation}: {code}"))
    } else {
        let message = error.message().map(short).unwrap_or_default();
        StoreError::Backend(format!("{operation}: {code}: {message}"))
    }
}

/// The code of one cancellation reason (`None` when the item was fine).
pub(super) fn reason_code(reason: &CancellationReason) -> &str {
    reason.code().unwrap_or("None")
}

/// Whether the item's condition failed.
pub(super) fn condition_failed(reason: &CancellationReason) -> bool {
    reason_code(reason) == "ConditionalCheckFailed"
}

/// Whether the item was cancelled for contention or throttling (worth a retry).
pub(super) fn contended(reason: &CancellationReason) -> bool {
    RETRYABLE_REASONS.contains(&reason_code(reason))
}

/// A reason that is neither fine, a failed condition, nor contention.
pub(super) fn unexpected(reasons: &[CancellationReason]) -> Option<StoreError> {
    reasons
        .iter()
        .find(|r| !matches!(reason_code(r), "None") && !condition_failed(r) && !contended(r))
        .map(|r| {
            let message = r.message().map(short).unwrap_or_default();
            StoreError::Backend(format!(
                "TransactWriteItems cancelled: {}: {message}",
                reason_code(r)
            ))
        })
}

/// Sleeps before attempt `attempt` (1-based) after contention: exponential
/// with full jitter, 10 ms doubling, at most 640 ms.
pub(super) async fn back_off(attempt: u32) {
    let ceiling = 10u64 << attempt.min(6);
    let wait = rand::random_range(1..=ceiling);
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

/// The error once contention outlasted every retry.
pub(super) fn still_contended(operation: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "{operation}: still contended after {CONTENTION_ATTEMPTS} attempts"
    ))
}

/// The reason of the first item guarding `wanted` whose condition failed;
/// `guards` names what each item of the transaction guards, in request order.
pub(super) fn failed<'r, G: PartialEq>(
    guards: &[G],
    reasons: &'r [CancellationReason],
    wanted: G,
) -> Option<&'r CancellationReason> {
    guards
        .iter()
        .zip(reasons)
        .find(|(g, r)| **g == wanted && condition_failed(r))
        .map(|(_, r)| r)
}

/// After a cancellation that no failed condition explains: backs off and
/// returns `Ok` to try again while contention lasts (up to
/// [`CONTENTION_ATTEMPTS`]); else the error to give up with.
pub(super) async fn retry_contended(
    reasons: &[CancellationReason],
    attempt: u32,
    operation: &str,
) -> Result<(), StoreError> {
    if reasons.iter().any(contended) && attempt < CONTENTION_ATTEMPTS {
        back_off(attempt).await;
        return Ok(());
    }
    if reasons.iter().any(contended) {
        return Err(still_contended(operation));
    }
    Err(StoreError::Backend(
        "TransactWriteItems cancelled without a reason".into(),
    ))
}

/// The outcome of an `UpdateItem` made on condition that its item exists: done, or
/// nothing to do because the item is not there.
pub(super) fn updated_if_present<T, R>(
    sent: Result<T, SdkError<UpdateItemError, R>>,
) -> Result<(), StoreError> {
    match sent {
        Ok(_) => Ok(()),
        Err(error) if update_refused(&error) => Ok(()),
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}

/// Whether an `UpdateItem` failed because its condition did not hold.
pub(super) fn update_refused<R>(error: &SdkError<UpdateItemError, R>) -> bool {
    error
        .as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}
