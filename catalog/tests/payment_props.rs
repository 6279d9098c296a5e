//! Properties of the payment ledger over generated ledgers: what counts is never more
//! than was paid, a mismatch changes nothing but the mismatch list, and nothing panics.

use catalog::payment::{
    check_charge, check_refund, summarize, Entry, EntryKind, Hold, Method, PaymentState,
};
use catalog::Minor;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

/// Amounts: mostly small and positive, some zero, negative or at the extremes.
fn amount() -> impl Strategy<Value = Minor> {
    prop_oneof![
        6 => 1i64..10_000,
        1 => Just(0i64),
        1 => -10_000i64..0,
        1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(catalog::money::MAX_AMOUNT)],
    ]
}

fn currency() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just("CNY".to_owned()),
        1 => Just("cny".to_owned()),
        1 => Just("USD".to_owned()),
    ]
}

fn kind() -> impl Strategy<Value = EntryKind> {
    prop_oneof![
        4 => Just(EntryKind::Charge),
        3 => Just(EntryKind::Refund),
        1 => Just(EntryKind::Checkout),
        1 => Just(EntryKind::Failure),
    ]
}

fn entry(total: Minor) -> impl Strategy<Value = Entry> {
    (
        kind(),
        prop::sample::select(Method::ALL.to_vec()),
        // Often exactly the total or a part of it, so ledgers that pay and refund come up.
        prop_oneof![3 => Just(total), 2 => 1..=total.max(1), 3 => amount()],
        currency(),
        0i64..600,
    )
        .prop_map(|(kind, method, amount, currency, minute)| Entry {
            kind,
            method,
            amount,
            currency,
            reference: None,
            at: start() + Duration::minutes(minute),
            by: "staff-1".into(),
        })
}

fn order() -> impl Strategy<Value = (Minor, Vec<Entry>)> {
    prop_oneof![9 => 1i64..10_000, 1 => Just(0i64)]
        .prop_flat_map(|total| (Just(total), prop::collection::vec(entry(total), 0..12)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn what_counts_is_never_more_than_was_paid((total, ledger) in order()) {
        let s = summarize(total, "CNY", &ledger, None);
        prop_assert!(s.amount_due >= 0);
        prop_assert!(s.refundable >= 0);
        prop_assert!(s.refunded <= s.paid);
        prop_assert_eq!(s.refundable, s.paid - s.refunded);
        // Charges only ever settle what is due, so the net never exceeds the total and
        // net plus due is exactly the total.
        prop_assert_eq!(s.paid - s.refunded + s.amount_due, total);
    }

    #[test]
    fn a_mismatched_charge_changes_nothing_but_the_mismatch_list(
        (total, ledger) in order(),
        amount in amount(),
        currency in currency(),
    ) {
        let before = summarize(total, "CNY", &ledger, None);
        let mut after_ledger = ledger.clone();
        after_ledger.push(Entry {
            kind: EntryKind::Charge,
            method: Method::Stripe,
            amount,
            currency: currency.clone(),
            reference: Some("pi_x".into()),
            at: start(),
            by: "stripe".into(),
        });
        let after = summarize(total, "CNY", &after_ledger, None);
        match check_charge(total, "CNY", &ledger, amount, &currency) {
            Ok(()) => {
                prop_assert_eq!(after.amount_due, 0);
                prop_assert_eq!(after.paid, before.paid + amount);
                prop_assert_eq!(after.mismatches.len(), before.mismatches.len());
            }
            Err(mismatch) => {
                prop_assert_eq!(after.state, before.state);
                prop_assert_eq!(after.paid, before.paid);
                prop_assert_eq!(after.amount_due, before.amount_due);
                prop_assert_eq!(after.mismatches.len(), before.mismatches.len() + 1);
                prop_assert_eq!(&after.mismatches.last().unwrap().mismatch, &mismatch);
            }
        }
    }

    #[test]
    fn a_refund_the_check_allows_keeps_refunds_within_payments(
        (total, ledger) in order(),
        amount in amount(),
    ) {
        let before = summarize(total, "CNY", &ledger, None);
        let allowed = check_refund(total, "CNY", &ledger, amount, "CNY").is_ok();
        prop_assert_eq!(allowed, amount > 0 && amount <= before.refundable);
        if allowed {
            let mut after_ledger = ledger.clone();
            after_ledger.push(Entry {
                kind: EntryKind::Refund,
                method: Method::Cash,
                amount,
                currency: "CNY".into(),
                reference: None,
                at: start(),
                by: "staff-1".into(),
            });
            let after = summarize(total, "CNY", &after_ledger, None);
            prop_assert_eq!(after.refunded, before.refunded + amount);
            prop_assert!(after.refunded <= after.paid);
            prop_assert!(matches!(
                after.state,
                PaymentState::PartiallyRefunded | PaymentState::Refunded
            ));
        }
    }

    #[test]
    fn the_hold_only_decides_orders_with_nothing_paid(
        (total, ledger) in order(),
        minutes in -30i64..30,
    ) {
        let hold = Hold { until: start(), now: start() + Duration::minutes(minutes) };
        let without = summarize(total, "CNY", &ledger, None);
        let with = summarize(total, "CNY", &ledger, Some(hold));
        prop_assert_eq!(with.amount_due, without.amount_due);
        if without.paid > 0 || total == 0 || minutes < 0 {
            prop_assert_eq!(with.state, without.state);
        } else {
            prop_assert_eq!(with.state, PaymentState::Expired);
        }
    }

    #[test]
    fn any_ledger_in_any_currency_summarizes_without_panicking(
        total in amount(),
        ledger in prop::collection::vec(entry(1), 0..16),
        order_currency in currency(),
    ) {
        let s = summarize(total, &order_currency, &ledger, None);
        prop_assert!(s.amount_due >= 0 && s.refundable >= 0);
    }
}
