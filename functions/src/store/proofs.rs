//! What a diner proves: one-time codes sent to a phone or an email address, and the
//! member sessions that proof yields.
//!
//! A code is stored only as the SHA-256 of its address and digits, lives ten minutes,
//! takes at most a few tries, and is used once; an address gets at most a few codes an
//! hour. A member session is stored only as the SHA-256 of its cookie's token, and
//! ends when it expires or is signed out. The rules are the store's, so both
//! backends keep them under concurrency (see [`super::conformance`]).

use chrono::{DateTime, Timelike, Utc};

use super::Member;

/// A one-time code to store for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    /// `phone:+8613800138000` or `email:li@example.com`: what the code was sent to.
    pub address: String,
    /// SHA-256 (hex) of the address and the code ([`code_hash`]).
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a code tried against an address proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The right code, live: it is used up now.
    Proven,
    /// Not the code; this many tries are left.
    Wrong { tries_left: u32 },
    /// No live code: none sent, expired, used already, or its tries are used up.
    Spent,
}

/// A member session to store (the hash of its token, never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMemberSession {
    /// SHA-256 (hex) of the token the cookie carries.
    pub hash: String,
    pub member_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A live member session and its member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSession {
    pub hash: String,
    pub member: Member,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// SHA-256 (hex) of a code sent to `address`: the only form the store keeps.
pub fn code_hash(address: &str, code: &str) -> String {
    crate::keys::sha256_hex(format!("{address}\n{code}"))
}

/// The clock hour `at` falls in: an address's codes are counted per hour.
pub fn rate_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_code_hash_names_its_address() {
        assert_ne!(
            code_hash("email:a@b.cn", "123456"),
            code_hash("email:c@b.cn", "123456")
        );
        assert_eq!(code_hash("email:a@b.cn", "123456").len(), 64);
    }

    #[test]
    fn codes_are_counted_per_clock_hour() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 4, 59, 59).unwrap();
        assert_eq!(
            rate_hour(at),
            Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0).unwrap()
        );
    }
}
