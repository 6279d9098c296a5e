//! Money as decimal strings: round trips, what is accepted, and that nothing panics.

use catalog::money::{format_decimal, parse_decimal, parse_percent, MAX_AMOUNT};
use catalog::{MoneyError, Rounding};
use proptest::prelude::*;

/// The accepted grammar, written independently of the parser: digits, then
/// optionally `.` and 1..=exponent digits, after trimming whitespace.
fn well_formed(text: &str, exponent: u8) -> bool {
    let text = text.trim();
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole)
        && match frac {
            None => true,
            Some(f) => digits(f) && f.len() <= usize::from(exponent),
        }
}

#[test]
fn lookalikes_of_numbers_are_rejected_consistently() {
    for exponent in [0u8, 2, 3] {
        for text in [
            "1e5", "1E5", "+3", "+3.00", "3,5", "1,000", "3 5", "0x10", "３", "1_000",
        ] {
            assert!(
                matches!(
                    parse_decimal(text, exponent),
                    Err(MoneyError::NotDecimal(_))
                ),
                "{text:?} at exponent {exponent}"
            );
        }
        assert_eq!(parse_decimal("-3", exponent), Err(MoneyError::Negative));
        assert_eq!(parse_decimal("  ", exponent), Err(MoneyError::Empty));
    }
    // Surrounding whitespace is ignored, as YAML and forms add it.
    assert_eq!(parse_decimal(" 3.0 ", 2), Ok(300));
    assert_eq!(parse_decimal("\t3.0\n", 1), Ok(30));
    // "3.0" is one decimal too many for yen.
    assert!(matches!(
        parse_decimal(" 3.0 ", 0),
        Err(MoneyError::TooManyDecimals {
            found: 1,
            allowed: 0,
            ..
        })
    ));
    assert_eq!(parse_decimal("00012.50", 2), Ok(1250));
}

#[test]
fn max_amount_is_the_limit() {
    assert_eq!(parse_decimal("100000000000.00", 2), Ok(MAX_AMOUNT));
    assert!(matches!(
        parse_decimal("100000000000.01", 2),
        Err(MoneyError::Overflow(_))
    ));
    assert_eq!(parse_decimal("10000000000000", 0), Ok(MAX_AMOUNT));
    assert!(matches!(
        parse_decimal("10000000000001", 0),
        Err(MoneyError::Overflow(_))
    ));
    assert!(matches!(
        parse_decimal("99999999999999999999999999", 0),
        Err(MoneyError::Overflow(_))
    ));
}

#[test]
fn formats_any_exponent() {
    assert_eq!(format_decimal(0, 2), "0.00");
    assert_eq!(format_decimal(7, 3), "0.007");
    assert_eq!(format_decimal(-1234, 3), "-1.234");
    assert_eq!(format_decimal(i64::MIN, 2), "-92233720368547758.08");
    assert_eq!(format_decimal(i64::MAX, 0), "9223372036854775807");
    // Exponents above 19 used to overflow 10^exponent.
    assert_eq!(format_decimal(5, 20), "0.00000000000000000005");
    assert_eq!(format_decimal(1, 255).len(), 257);
}

#[test]
fn percentages() {
    assert_eq!(parse_percent("100%"), Ok(10_000));
    assert_eq!(parse_percent(" 6.5 % "), Ok(650));
    assert_eq!(parse_percent("0"), Ok(0));
    assert!(matches!(
        parse_percent("100.01"),
        Err(MoneyError::Overflow(_))
    ));
    assert!(parse_percent("+5%").is_err());
    assert!(parse_percent("5,5%").is_err());
    assert!(parse_percent("6.125").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn format_then_parse_is_the_identity(amount in 0..=MAX_AMOUNT, exponent in 0u8..=18) {
        let text = format_decimal(amount, exponent);
        prop_assert_eq!(parse_decimal(&text, exponent), Ok(amount), "{}", text);
    }

    #[test]
    fn small_amounts_round_trip_too(amount in 0i64..1_000_000, exponent in 0u8..=4) {
        let text = format_decimal(amount, exponent);
        prop_assert_eq!(parse_decimal(&text, exponent), Ok(amount));
        // Exactly `exponent` decimals.
        let decimals = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert_eq!(decimals, usize::from(exponent));
    }

    #[test]
    fn formatting_never_panics(amount in any::<i64>(), exponent in any::<u8>()) {
        let text = format_decimal(amount, exponent);
        prop_assert_eq!(text.starts_with('-'), amount < 0);
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>(), exponent in any::<u8>()) {
        let _ = parse_decimal(&text, exponent);
        let _ = parse_percent(&text);
    }

    /// Number-like strings: accepted exactly when well formed and in range, and
    /// then the value is what the digits say.
    #[test]
    fn accepts_exactly_the_grammar(
        text in "[ ]?[-+]?[0-9]{0,16}([.,][0-9]{0,5})?(e[0-9])?[ ]?",
        exponent in 0u8..=6,
    ) {
        match parse_decimal(&text, exponent) {
            Ok(value) => {
                prop_assert!(well_formed(&text, exponent), "{:?} accepted", text);
                prop_assert!((0..=MAX_AMOUNT).contains(&value));
                // The value is the digits read with `exponent` decimals.
                let trimmed = text.trim();
                let (whole, frac) = trimmed.split_once('.').unwrap_or((trimmed, ""));
                let digits = format!("{whole}{frac:0<width$}", width = usize::from(exponent));
                prop_assert_eq!(digits.parse::<i128>().ok(), Some(i128::from(value)));
            }
            Err(MoneyError::Overflow(_)) => prop_assert!(well_formed(&text, exponent)),
            Err(_) => prop_assert!(!well_formed(&text, exponent), "{:?} rejected", text),
        }
    }

    /// The three roundings bracket the exact value: down <= half even <= half up <= down + 1.
    #[test]
    fn roundings_bracket_the_exact_rate(amount in 0..=MAX_AMOUNT, bp in 0u32..=10_000) {
        let down = Rounding::Down.apply_rate(amount, bp);
        let even = Rounding::HalfEven.apply_rate(amount, bp);
        let up = Rounding::HalfUp.apply_rate(amount, bp);
        prop_assert!(down <= even && even <= up && up <= down + 1);
        let exact = i128::from(amount) * i128::from(bp);
        prop_assert_eq!(i128::from(down), exact / 10_000);
        // Half up rounds to the nearest, ties up.
        prop_assert!((i128::from(up) * 10_000 - exact).abs() * 2 <= 10_000);
        prop_assert!(up <= amount);
    }
}
