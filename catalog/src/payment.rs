//! Payments: an order's append-only ledger and the payment state derived from it.
//!
//! Nothing here trusts a client or stores anything: the store appends [`Entry`]s (a staff
//! tender, a verified provider notification) and every reader derives the same
//! [`Summary`] from them with [`summarize`]. Money is integer minor units of the order's
//! currency, as everywhere in Carte.
//!
//! The rules, in the order the ledger is read (its append order):
//!
//! - A **charge** counts as paid only when it is in the order's currency and its amount is
//!   exactly the amount due at that point ([`check_charge`]). Anything else — a wrong
//!   currency, a wrong amount, a second payment of an order already paid — stays in the
//!   ledger (the money was received) but is listed as a [`Mismatch`] for staff, and never
//!   marks the order paid. Split tenders (part cash, part card) are therefore not a
//!   thing yet: one matching charge settles the amount due.
//! - A **refund** may give back at most what is refundable: matching charges less what was
//!   refunded already ([`check_refund`] is the gate before a refund is appended; a refund
//!   in the ledger beyond that is listed as a mismatch and not counted).
//! - A **checkout** entry records that a provider checkout (a Stripe Checkout Session, a
//!   WeChat Pay order) was started for the order: it moves no money and makes an unpaid
//!   order `pending`. A **failure** entry records that a provider reported the attempt
//!   failed: the order is `failed` until a new checkout is started. Both live in the
//!   ledger rather than beside it so that the state survives restarts and both backends
//!   derive it from the same rows.
//! - An unpaid order past its hold ([`Hold`]) is `expired`, pending or not. Money that
//!   arrives later still counts (it was received); what to do with the order is the
//!   caller's policy.
//!
//! `amount_due = total − paid + refunded`, never negative: a refund is money no longer
//! received, so it is owed again unless the caller lowers the order's total with it. The
//! state (`partially_refunded`, `refunded`) is what tells that the order was settled and
//! then given money back.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::money::Minor;

/// How money moved: a counter tender or an online provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Cash at the counter.
    Cash,
    /// The shop's own card terminal.
    CardTerminal,
    /// The shop's own payment QR code shown at the counter (scanned by the diner's app).
    CounterQr,
    /// Stripe Checkout.
    Stripe,
    /// WeChat Pay (API v3).
    WechatPay,
}

impl Method {
    /// Every method, in the order a staff screen lists them.
    pub const ALL: [Method; 5] = [
        Method::Cash,
        Method::CardTerminal,
        Method::CounterQr,
        Method::Stripe,
        Method::WechatPay,
    ];

    /// The name used in content, JSON and the ledger (`card_terminal`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::CardTerminal => "card_terminal",
            Method::CounterQr => "counter_qr",
            Method::Stripe => "stripe",
            Method::WechatPay => "wechat_pay",
        }
    }

    /// Whether the money goes through an online provider (and so through notifications)
    /// rather than being recorded by staff.
    pub fn is_online(self) -> bool {
        matches!(self, Method::Stripe | Method::WechatPay)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment method name that Carte does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "`{0}` is not a payment method (use cash, card_terminal, counter_qr, stripe or wechat_pay)"
)]
pub struct UnknownMethod(pub String);

impl FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(text: &str) -> Result<Method, UnknownMethod> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == text)
            .ok_or_else(|| UnknownMethod(text.to_owned()))
    }
}

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Money received.
    Charge,
    /// Money given back.
    Refund,
    /// A provider checkout was started for `amount`; moves no money.
    Checkout,
    /// A provider reported that an attempt to pay `amount` failed; moves no money.
    Failure,
}

/// One line of an order's append-only payment ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Charge, refund, or a provider checkout started or failed.
    pub kind: EntryKind,
    /// How the money moved (or would have).
    pub method: Method,
    /// Minor units of `currency`.
    pub amount: Minor,
    /// ISO 4217 code as the provider or staff gave it (compared case-insensitively).
    pub currency: String,
    /// The provider's reference (a PaymentIntent, a WeChat Pay transaction or refund id),
    /// or a terminal slip number; `None` for cash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who recorded it: a staff key id, or the provider (`stripe`, `wechat_pay`).
    pub by: String,
}

/// An unpaid order's hold: past `until` (at `now`) an order that is still unpaid expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// The end of the hold (placed-at plus the location's `unpaid_hold`).
    pub until: DateTime<Utc>,
    /// The time of the reading.
    pub now: DateTime<Utc>,
}

impl Hold {
    fn expired(&self) -> bool {
        self.now >= self.until
    }
}

/// An order's payment state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Nothing received and no checkout started.
    Unpaid,
    /// A provider checkout was started; nothing received yet.
    Pending,
    /// The total was received (or the total is zero).
    Paid,
    /// Paid, then part of it given back.
    PartiallyRefunded,
    /// Paid, then all of it given back.
    Refunded,
    /// The last provider attempt failed and no new one was started.
    Failed,
    /// Still unpaid when its hold ended.
    Expired,
}

impl PaymentState {
    /// The name used in JSON and on staff screens.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Unpaid => "unpaid",
            PaymentState::Pending => "pending",
            PaymentState::Paid => "paid",
            PaymentState::PartiallyRefunded => "partially_refunded",
            PaymentState::Refunded => "refunded",
            PaymentState::Failed => "failed",
            PaymentState::Expired => "expired",
        }
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a charge or refund does not count. Recorded, shown to staff, never marks an order
/// paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Mismatch {
    /// The money is in another currency than the order.
    #[error("{found} received for an order in {expected}")]
    Currency {
        /// The order's currency.
        expected: String,
        /// The entry's currency.
        found: String,
    },
    /// A charge that is not the amount due (including any charge when nothing is due).
    #[error("{found} received when {expected} was due")]
    Amount {
        /// The amount due when the charge was read.
        expected: Minor,
        /// The charge's amount.
        found: Minor,
    },
    /// A refund above what may still be given back.
    #[error("a refund of {found} when only {refundable} was refundable")]
    RefundExceedsPaid {
        /// What could still be refunded.
        refundable: Minor,
        /// The refund's amount.
        found: Minor,
    },
    /// Zero or a negative amount.
    #[error("an amount of {0} is not money")]
    NotPositive(Minor),
}

/// A ledger entry that did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flagged {
    /// Its position in the ledger.
    pub index: usize,
    /// Why it did not count.
    pub mismatch: Mismatch,
}

/// What an order's ledger adds up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The payment state.
    pub state: PaymentState,
    /// Matching charges.
    pub paid: Minor,
    /// Refunds counted against them.
    pub refunded: Minor,
    /// `total − paid + refunded`, never negative.
    pub amount_due: Minor,
    /// What may still be given back: `paid − refunded`.
    pub refundable: Minor,
    /// Charges and refunds that did not count, for staff to resolve.
    pub mismatches: Vec<Flagged>,
}

/// Running totals while the ledger is read.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    paid: Minor,
    refunded: Minor,
}

impl Totals {
    fn due(self, total: Minor) -> Minor {
        total
            .saturating_sub(self.paid)
            .saturating_add(self.refunded)
            .max(0)
    }

    fn refundable(self) -> Minor {
        self.paid.saturating_sub(self.refunded).max(0)
    }
}

fn same_currency(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn charge_against(
    totals: Totals,
    total: Minor,
    currency: &str,
    amount: Minor,
    charge_currency: &str,
) -> Result<(), Mismatch> {
    if !same_currency(currency, charge_currency) {
        return Err(Mismatch::Currency {
            expected: currency.to_owned(),
            found: charge_currency.to_owned(),
        });
    }
    if amount <= 0 {
        return Err(Mismatch::NotPositive(amount));
    }
    let due = totals.due(total);
    if amount != due {
        return Err(Mismatch::Amount {
            expected: due,
            found: amount,
        });
    }
    Ok(())
}

fn refund_against(
    totals: Totals,
    currency: &str,
    amount: Minor,
    refund_currency: &str,
) -> Result<(), Mismatch> {
    if !same_currency(currency, refund_currency) {
        return Err(Mismatch::Currency {
            expected: currency.to_owned(),
            found: refund_currency.to_owned(),
        });
    }
    if amount <= 0 {
        return Err(Mismatch::NotPositive(amount));
    }
    let refundable = totals.refundable();
    if amount > refundable {
        return Err(Mismatch::RefundExceedsPaid {
            refundable,
            found: amount,
        });
    }
    Ok(())
}

/// Reads the ledger of an order of `total` in `currency`, in append order.
///
/// Total over any input: negative or huge amounts, unknown currencies and entries in any
/// order give a summary (with mismatches), never a panic.
pub fn summarize(total: Minor, currency: &str, entries: &[Entry], hold: Option<Hold>) -> Summary {
    let mut totals = Totals::default();
    let mut mismatches = Vec::new();
    // The last provider attempt: `Some(true)` started, `Some(false)` failed.
    let mut attempt: Option<bool> = None;
    for (index, entry) in entries.iter().enumerate() {
        let counted = match entry.kind {
            EntryKind::Charge => {
                charge_against(totals, total, currency, entry.amount, &entry.currency)
                    .map(|()| totals.paid = totals.paid.saturating_add(entry.amount))
            }
            EntryKind::Refund => refund_against(totals, currency, entry.amount, &entry.currency)
                .map(|()| totals.refunded = totals.refunded.saturating_add(entry.amount)),
            EntryKind::Checkout => {
                attempt = Some(true);
                Ok(())
            }
            EntryKind::Failure => {
                attempt = Some(false);
                Ok(())
            }
        };
        if let Err(mismatch) = counted {
            mismatches.push(Flagged { index, mismatch });
        }
    }
    let amount_due = totals.due(total);
    let state = if totals.paid > 0 {
        if totals.refunded == 0 {
            PaymentState::Paid
        } else if totals.refunded >= totals.paid {
            PaymentState::Refunded
        } else {
            // Also when what a partial refund gave back was paid again: it stays visible.
            PaymentState::PartiallyRefunded
        }
    } else if total <= 0 {
        PaymentState::Paid
    } else if hold.is_some_and(|h| h.expired()) {
        PaymentState::Expired
    } else {
        match attempt {
            Some(true) => PaymentState::Pending,
            Some(false) => PaymentState::Failed,
            None => PaymentState::Unpaid,
        }
    };
    Summary {
        state,
        paid: totals.paid,
        refunded: totals.refunded,
        amount_due,
        refundable: totals.refundable(),
        mismatches,
    }
}

/// The payment state of an order of `total` in `currency` with this ledger.
pub fn state(total: Minor, currency: &str, entries: &[Entry], hold: Option<Hold>) -> PaymentState {
    summarize(total, currency, entries, hold).state
}

/// `total − paid + refunded`, never negative.
pub fn amount_due(total: Minor, currency: &str, entries: &[Entry]) -> Minor {
    summarize(total, currency, entries, None).amount_due
}

/// What may still be refunded: matching charges less refunds already counted.
pub fn refundable(total: Minor, currency: &str, entries: &[Entry]) -> Minor {
    summarize(total, currency, entries, None).refundable
}

fn totals_of(total: Minor, currency: &str, entries: &[Entry]) -> Totals {
    let summary = summarize(total, currency, entries, None);
    Totals {
        paid: summary.paid,
        refunded: summary.refunded,
    }
}

/// Whether a charge of `amount` in `charge_currency`, appended to this ledger, would mark
/// the order paid. A charge that does not is still recorded (the money was received);
/// the error says why it is a mismatch.
pub fn check_charge(
    total: Minor,
    currency: &str,
    entries: &[Entry],
    amount: Minor,
    charge_currency: &str,
) -> Result<(), Mismatch> {
    let totals = totals_of(total, currency, entries);
    charge_against(totals, total, currency, amount, charge_currency)
}

/// Whether a refund of `amount` in `refund_currency` may be appended to this ledger: in
/// the order's currency, positive, and at most [`refundable`]. Callers refuse the refund
/// when this fails, so a refund never exceeds what was paid.
pub fn check_refund(
    total: Minor,
    currency: &str,
    entries: &[Entry],
    amount: Minor,
    refund_currency: &str,
) -> Result<(), Mismatch> {
    let totals = totals_of(total, currency, entries);
    refund_against(totals, currency, amount, refund_currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, minute, 0).unwrap()
    }

    fn entry(kind: EntryKind, method: Method, amount: Minor, currency: &str) -> Entry {
        Entry {
            kind,
            method,
            amount,
            currency: currency.into(),
            reference: None,
            at: at(0),
            by: "staff-1".into(),
        }
    }

    fn charge(amount: Minor) -> Entry {
        entry(EntryKind::Charge, Method::Cash, amount, "CNY")
    }

    fn refund(amount: Minor) -> Entry {
        entry(EntryKind::Refund, Method::Cash, amount, "CNY")
    }

    #[test]
    fn an_empty_ledger_is_unpaid_and_owes_the_total() {
        let s = summarize(4800, "CNY", &[], None);
        assert_eq!(s.state, PaymentState::Unpaid);
        assert_eq!(
            (s.paid, s.refunded, s.amount_due, s.refundable),
            (0, 0, 4800, 0)
        );
    }

    #[test]
    fn a_matching_charge_pays_and_currency_case_does_not_matter() {
        let mut e = charge(4800);
        e.currency = "cny".into();
        let s = summarize(4800, "CNY", &[e], None);
        assert_eq!(s.state, PaymentState::Paid);
        assert_eq!(s.amount_due, 0);
        assert_eq!(s.refundable, 4800);
        assert!(s.mismatches.is_empty());
    }

    #[test]
    fn a_wrong_amount_or_currency_is_recorded_as_a_mismatch_and_never_pays() {
        let ledger = [
            charge(4700),
            entry(EntryKind::Charge, Method::Stripe, 4800, "USD"),
            charge(0),
        ];
        let s = summarize(4800, "CNY", &ledger, None);
        assert_eq!(s.state, PaymentState::Unpaid);
        assert_eq!(s.amount_due, 4800);
        assert_eq!(
            s.mismatches,
            vec![
                Flagged {
                    index: 0,
                    mismatch: Mismatch::Amount {
                        expected: 4800,
                        found: 4700
                    }
                },
                Flagged {
                    index: 1,
                    mismatch: Mismatch::Currency {
                        expected: "CNY".into(),
                        found: "USD".into()
                    }
                },
                Flagged {
                    index: 2,
                    mismatch: Mismatch::NotPositive(0)
                },
            ]
        );
    }

    #[test]
    fn a_second_payment_is_a_mismatch() {
        let s = summarize(4800, "CNY", &[charge(4800), charge(4800)], None);
        assert_eq!(s.state, PaymentState::Paid);
        assert_eq!(s.paid, 4800);
        assert_eq!(
            s.mismatches[0].mismatch,
            Mismatch::Amount {
                expected: 0,
                found: 4800
            }
        );
        assert_eq!(
            check_charge(4800, "CNY", &[charge(4800)], 4800, "CNY"),
            Err(Mismatch::Amount {
                expected: 0,
                found: 4800
            })
        );
    }

    #[test]
    fn refunds_partial_then_full() {
        let mut ledger = vec![charge(4800), refund(800)];
        let s = summarize(4800, "CNY", &ledger, None);
        assert_eq!(s.state, PaymentState::PartiallyRefunded);
        assert_eq!((s.amount_due, s.refundable), (800, 4000));
        assert_eq!(check_refund(4800, "CNY", &ledger, 4000, "CNY"), Ok(()));
        assert_eq!(
            check_refund(4800, "CNY", &ledger, 4001, "CNY"),
            Err(Mismatch::RefundExceedsPaid {
                refundable: 4000,
                found: 4001
            })
        );
        ledger.push(refund(4000));
        let s = summarize(4800, "CNY", &ledger, None);
        assert_eq!(s.state, PaymentState::Refunded);
        assert_eq!((s.amount_due, s.refundable), (4800, 0));
    }

    #[test]
    fn a_refund_before_any_payment_does_not_count() {
        assert_eq!(
            check_refund(4800, "CNY", &[], 100, "CNY"),
            Err(Mismatch::RefundExceedsPaid {
                refundable: 0,
                found: 100
            })
        );
        let s = summarize(4800, "CNY", &[refund(100)], None);
        assert_eq!(s.state, PaymentState::Unpaid);
        assert_eq!(s.refunded, 0);
        assert_eq!(s.mismatches.len(), 1);
    }

    #[test]
    fn what_a_partial_refund_gave_back_can_be_paid_again() {
        let s = summarize(4800, "CNY", &[charge(4800), refund(800), charge(800)], None);
        assert_eq!(s.amount_due, 0);
        assert_eq!(s.state, PaymentState::PartiallyRefunded);
        assert!(s.mismatches.is_empty());
    }

    #[test]
    fn checkout_makes_pending_failure_makes_failed_a_new_checkout_pending_again() {
        let started = entry(EntryKind::Checkout, Method::Stripe, 4800, "CNY");
        let failed = entry(EntryKind::Failure, Method::Stripe, 4800, "CNY");
        assert_eq!(
            state(4800, "CNY", std::slice::from_ref(&started), None),
            PaymentState::Pending
        );
        assert_eq!(
            state(4800, "CNY", &[started.clone(), failed.clone()], None),
            PaymentState::Failed
        );
        assert_eq!(
            state(
                4800,
                "CNY",
                &[started.clone(), failed, started.clone()],
                None
            ),
            PaymentState::Pending
        );
        assert_eq!(
            state(4800, "CNY", &[started, charge(4800)], None),
            PaymentState::Paid
        );
    }

    #[test]
    fn the_hold_expires_only_unpaid_orders() {
        let before = Hold {
            until: at(15),
            now: at(14),
        };
        let after = Hold {
            until: at(15),
            now: at(15),
        };
        let started = entry(EntryKind::Checkout, Method::WechatPay, 4800, "CNY");
        assert_eq!(
            state(4800, "CNY", std::slice::from_ref(&started), Some(before)),
            PaymentState::Pending
        );
        assert_eq!(
            state(4800, "CNY", &[started], Some(after)),
            PaymentState::Expired
        );
        assert_eq!(state(4800, "CNY", &[], Some(after)), PaymentState::Expired);
        assert_eq!(
            state(4800, "CNY", &[charge(4800)], Some(after)),
            PaymentState::Paid
        );
    }

    #[test]
    fn a_free_order_is_paid() {
        assert_eq!(state(0, "CNY", &[], None), PaymentState::Paid);
        assert_eq!(amount_due(0, "CNY", &[]), 0);
    }

    #[test]
    fn entries_and_methods_serialize_in_snake_case() {
        let mut e = entry(EntryKind::Charge, Method::CardTerminal, 4800, "CNY");
        e.reference = Some("slip-0042".into());
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "charge");
        assert_eq!(json["method"], "card_terminal");
        assert_eq!(json["reference"], "slip-0042");
        let back: Entry = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(
            serde_json::to_value(PaymentState::PartiallyRefunded).unwrap(),
            "partially_refunded"
        );
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert!("paypal".parse::<Method>().is_err());
    }
}
