//! Money: integer counts of a currency's minor unit, parsed from decimal strings.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An amount in a currency's minor unit (fen, cents, yen). Never a float.
pub type Minor = i64;

/// A currency and how many decimals its minor unit has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    /// ISO 4217 code, e.g. `CNY`.
    pub code: String,
    /// Decimals of the minor unit: 2 for CNY/USD, 0 for JPY.
    pub exponent: u8,
}

/// The ISO 4217 codes this build knows, with the decimals of their minor unit.
pub const CURRENCIES: &[(&str, u8)] = &[
    ("JPY", 0),
    ("KRW", 0),
    ("VND", 0),
    ("CLP", 0),
    ("ISK", 0),
    ("BHD", 3),
    ("KWD", 3),
    ("OMR", 3),
    ("JOD", 3),
    ("TND", 3),
    ("CNY", 2),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("TWD", 2),
    ("SGD", 2),
    ("MYR", 2),
    ("THB", 2),
    ("AUD", 2),
    ("CAD", 2),
    ("NZD", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("MOP", 2),
    ("PHP", 2),
    ("IDR", 2),
    ("INR", 2),
    ("MXN", 2),
    ("BRL", 2),
];

impl Currency {
    /// The currency for an ISO 4217 code this build knows, or `None`.
    pub fn from_code(code: &str) -> Option<Currency> {
        let exponent = CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, e)| *e)?;
        Some(Currency {
            code: code.to_owned(),
            exponent,
        })
    }

    /// Parses a decimal string such as `"32"`, `"32.5"` or `"32.00"` into minor units.
    pub fn parse(&self, text: &str) -> Result<Minor, MoneyError> {
        parse_decimal(text, self.exponent)
    }

    /// Formats minor units as a decimal string with exactly `exponent` decimals.
    pub fn format(&self, amount: Minor) -> String {
        format_decimal(amount, self.exponent)
    }
}

/// Why a decimal string is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// Nothing but whitespace.
    #[error("an amount must not be empty")]
    Empty,
    /// Not digits with an optional `.` and decimals (e.g. `"+3"`, `"3,5"`, `"1e5"`).
    #[error("`{0}` is not a decimal number")]
    NotDecimal(String),
    /// Starts with `-`.
    #[error("an amount must not be negative")]
    Negative,
    /// More decimals than the currency's minor unit has.
    #[error("`{text}` has {found} decimals but the currency has {allowed}")]
    TooManyDecimals {
        /// The amount as written (trimmed).
        text: String,
        /// Decimals written.
        found: usize,
        /// Decimals the currency allows.
        allowed: u8,
    },
    /// Above [`MAX_AMOUNT`] (or a rate above 100%).
    #[error("`{0}` is too large")]
    Overflow(String),
}

/// Parses a non-negative decimal string into an integer of `exponent` decimals.
///
/// Accepted: ASCII digits, optionally a `.` followed by at least one and at most
/// `exponent` digits, with surrounding whitespace ignored (`" 3.0 "` is 300 at
/// exponent 2). Rejected, so that a price means the same thing everywhere: a
/// leading `+` (`"+3"`), a decimal comma or thousands separator (`"3,5"`,
/// `"1,000"`), exponents (`"1e5"`), a bare `.` at either end (`".5"`, `"3."`),
/// inner whitespace, non-ASCII digits, and anything above [`MAX_AMOUNT`].
/// Negative amounts are [`MoneyError::Negative`].
pub fn parse_decimal(text: &str, exponent: u8) -> Result<Minor, MoneyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if text.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(frac)
        || (text.contains('.') && frac.is_empty())
    {
        return Err(MoneyError::NotDecimal(text.to_owned()));
    }
    if frac.len() > usize::from(exponent) {
        return Err(MoneyError::TooManyDecimals {
            text: text.to_owned(),
            found: frac.len(),
            allowed: exponent,
        });
    }
    let overflow = || MoneyError::Overflow(text.to_owned());
    let scale = 10i64
        .checked_pow(u32::from(exponent))
        .ok_or_else(overflow)?;
    let whole: i64 = whole.parse().map_err(|_| overflow())?;
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| overflow())?
    };
    for _ in frac.len()..usize::from(exponent) {
        frac_value *= 10;
    }
    let amount = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_value))
        .ok_or_else(overflow)?;
    // Keep well below i64::MAX so sums of many lines cannot overflow.
    if amount > MAX_AMOUNT {
        return Err(overflow());
    }
    Ok(amount)
}

/// The largest single amount accepted from content (10^13 minor units).
pub const MAX_AMOUNT: Minor = 10_000_000_000_000;

/// Formats an integer of `exponent` decimals, e.g. `3250, 2` → `"32.50"`.
///
/// Works on the digits, so any exponent (even one above 19) formats without overflow.
pub fn format_decimal(amount: Minor, exponent: u8) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let digits = amount.unsigned_abs().to_string();
    let exponent = usize::from(exponent);
    if exponent == 0 {
        return format!("{sign}{digits}");
    }
    // At least one digit before the point: 5 at exponent 2 is "0.05".
    let padded = format!("{digits:0>width$}", width = exponent + 1);
    let (whole, frac) = padded.split_at(padded.len() - exponent);
    format!("{sign}{whole}.{frac}")
}

/// A rate in basis points (1/100 of a percent): `"10%"` or `"10"` → 1000.
pub type BasisPoints = u32;

/// Parses a percentage written as a decimal string with at most two decimals ("6", "6.5%", "12.25").
pub fn parse_percent(text: &str) -> Result<BasisPoints, MoneyError> {
    let bare = text.trim().trim_end_matches('%').trim();
    let bp = parse_decimal(bare, 2)?;
    if bp > 10_000 {
        return Err(MoneyError::Overflow(text.to_owned()));
    }
    Ok(bp as BasisPoints)
}

/// How a fractional minor unit is rounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Half away from zero (the usual till rounding).
    #[default]
    HalfUp,
    /// Half to even (banker's rounding).
    HalfEven,
    /// Toward zero.
    Down,
}

impl Rounding {
    /// `amount * bp / 10_000`, rounded. `amount` must be non-negative.
    pub fn apply_rate(self, amount: Minor, bp: BasisPoints) -> Minor {
        self.divide(i128::from(amount) * i128::from(bp), 10_000)
    }

    /// `numerator / denominator` rounded; both non-negative, denominator > 0.
    pub fn divide(self, numerator: i128, denominator: i128) -> Minor {
        let q = numerator / denominator;
        let r = numerator % denominator;
        let up = match self {
            Rounding::Down => false,
            Rounding::HalfUp => r * 2 >= denominator,
            Rounding::HalfEven => r * 2 > denominator || (r * 2 == denominator && q % 2 == 1),
        };
        (q + i128::from(up)) as Minor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_strings() {
        assert_eq!(parse_decimal("32", 2), Ok(3200));
        assert_eq!(parse_decimal("32.5", 2), Ok(3250));
        assert_eq!(parse_decimal("32.05", 2), Ok(3205));
        assert_eq!(parse_decimal("0", 2), Ok(0));
        assert_eq!(parse_decimal("1200", 0), Ok(1200));
    }

    #[test]
    fn rejects_bad_amounts() {
        assert_eq!(parse_decimal("-3", 2), Err(MoneyError::Negative));
        assert!(matches!(
            parse_decimal("3.125", 2),
            Err(MoneyError::TooManyDecimals { found: 3, .. })
        ));
        assert!(matches!(
            parse_decimal("12.5", 0),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            parse_decimal("1e3", 2),
            Err(MoneyError::NotDecimal(_))
        ));
        assert!(matches!(
            parse_decimal("3.", 2),
            Err(MoneyError::NotDecimal(_))
        ));
        assert!(matches!(
            parse_decimal(".5", 2),
            Err(MoneyError::NotDecimal(_))
        ));
        assert!(matches!(
            parse_decimal("99999999999999999999", 2),
            Err(MoneyError::Overflow(_))
        ));
        assert_eq!(parse_decimal("", 2), Err(MoneyError::Empty));
    }

    #[test]
    fn formats_with_exponent() {
        assert_eq!(format_decimal(3250, 2), "32.50");
        assert_eq!(format_decimal(5, 2), "0.05");
        assert_eq!(format_decimal(-5, 2), "-0.05");
        assert_eq!(format_decimal(1200, 0), "1200");
    }

    #[test]
    fn rounds_rates() {
        assert_eq!(Rounding::HalfUp.apply_rate(105, 5000), 53);
        assert_eq!(Rounding::HalfEven.apply_rate(105, 5000), 52);
        assert_eq!(Rounding::Down.apply_rate(105, 5000), 52);
        assert_eq!(parse_percent("6.5%"), Ok(650));
    }
}
