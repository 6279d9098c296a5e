//! An order's payment ledger as the store keeps it: entries appended one at a
//! time, each at most once per event key, and a refund only within what was paid.
//!
//! What an entry *means* (paid, refunded, a mismatch) is decided by the pure code
//! in [`catalog::payment`]; the store only guarantees that the ledger it hands
//! back is the one that code judged when each entry was appended:
//!
//! - entries of one order are appended one after the other (SQLite: the writer's
//!   transaction; DynamoDB: a sequence number on the order's ledger item), so
//!   their order is the append order on both backends;
//! - an event key (a provider event's `idempotency_key()`, such as
//!   `stripe:succeeded:pi_…`, or a staff request's `Idempotency-Key`) is recorded in the same transaction as its entry, so a
//!   repeated, concurrent or replayed delivery answers with the entry recorded
//!   the first time and appends nothing;
//! - a refund is checked with [`catalog::payment::check_refund`] against the
//!   entries read in that same transaction, so two racing refunds never give back
//!   more than was paid. Charges are never refused: one that does not match is
//!   recorded (the money was received) and the summary lists it as a mismatch.
//!
//! Event keys are kept for good: a provider may deliver again days later, and an
//! order query may find the same payment weeks later. A key names one fact of
//! one order: the same key for another order is an `IdempotencyConflict`.

use catalog::payment::{Entry, EntryKind};
use chrono::SubsecRound;

/// The result of [`Store::record_payment`](super::Store::record_payment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The entry as stored: on a repeated event key, the one recorded the first time.
    pub entry: Entry,
    /// Its position in the order's ledger (0-based, the index
    /// [`catalog::payment::Flagged`] uses).
    pub index: usize,
    /// False when the event key had been recorded before: nothing was appended.
    pub created: bool,
}

/// What a running refund total adds to a ledger: `total` is a refund entry whose
/// amount is everything refunded so far on the payment `total.reference` (Stripe's
/// `charge.refunded`); the entry to append carries the part the ledger does not hold
/// yet, `None` when it holds that much already (an older total delivered late).
pub(crate) fn refund_delta(total: &Entry, entries: &[Entry]) -> Option<Entry> {
    let held: i64 = entries
        .iter()
        .filter(|e| {
            e.kind == EntryKind::Refund
                && e.method == total.method
                && e.reference == total.reference
        })
        .map(|e| e.amount)
        .fold(0i64, i64::saturating_add);
    let delta = total.amount.saturating_sub(held);
    (delta > 0).then(|| Entry {
        amount: delta,
        ..total.clone()
    })
}

/// The ledger name of an entry kind (`charge`, `refund`, `checkout`, `failure`).
pub(crate) fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Charge => "charge",
        EntryKind::Refund => "refund",
        EntryKind::Checkout => "checkout",
        EntryKind::Failure => "failure",
    }
}

/// Reads a name written by [`kind_name`].
pub(crate) fn parse_kind(name: &str) -> Option<EntryKind> {
    [
        EntryKind::Charge,
        EntryKind::Refund,
        EntryKind::Checkout,
        EntryKind::Failure,
    ]
    .into_iter()
    .find(|kind| kind_name(*kind) == name)
}

/// The entry as both stores keep it: its time to the microsecond (their timestamp
/// text), so what `record_payment` answers is what `payments` reads back.
pub(crate) fn as_stored(mut entry: Entry) -> Entry {
    entry.at = entry.at.trunc_subsecs(6);
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_read_back() {
        for kind in [
            EntryKind::Charge,
            EntryKind::Refund,
            EntryKind::Checkout,
            EntryKind::Failure,
        ] {
            assert_eq!(parse_kind(kind_name(kind)), Some(kind));
            // The same names as the ledger's JSON.
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::from(kind_name(kind)))
            );
        }
        assert_eq!(parse_kind("gift"), None);
    }
}
