//! Unique single-use coupon codes: sign-up welcome codes and printed batches.
//!
//! - [`new_code`]: from the operating system's RNG, in an alphabet without
//!   look-alikes (no 0/O, 1/I/L), compared without case ([`normalize_code`]).
//! - [`issue_batch`]: `carte coupons issue` — a batch stored in one transaction.

use catalog::Site;
use chrono::{DateTime, Utc};
use rand::TryRngCore;
use thiserror::Error;

use crate::keys;
use crate::store::{BatchCode, Store, StoreError};

/// The letters and digits codes are made of: no 0/O, no 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of randomness in a code: 12 × log2(31) ≈ 59 bits.
pub const CODE_LENGTH: usize = 12;
/// Most codes one `carte coupons issue` run makes.
pub const MAX_BATCH: u32 = 100_000;

/// Why codes could not be issued.
#[derive(Debug, Error)]
pub enum IssueError {
    #[error("no campaign `{0}`")]
    UnknownCampaign(String),
    #[error("campaign `{campaign}` has no coupon `{coupon}`")]
    UnknownCoupon { campaign: String, coupon: String },
    #[error("campaign `{0}` has several coupons: name one with --coupon")]
    WhichCoupon(String),
    #[error("campaign `{campaign}` has no channel `{channel}`")]
    UnknownChannel { campaign: String, channel: String },
    #[error("campaign `{0}` has no coupon to issue codes for")]
    NoCoupon(String),
    #[error("issue between 1 and {MAX_BATCH} codes at a time")]
    BadCount,
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh code of [`CODE_LENGTH`] characters from [`CODE_ALPHABET`], drawn
/// from the operating system's RNG without modulo bias.
pub fn new_code() -> Result<String, IssueError> {
    let n = CODE_ALPHABET.len();
    // The largest multiple of the alphabet's size below 256: bytes above it are redrawn.
    let limit = (256 / n * n) as u8;
    let mut code = String::with_capacity(CODE_LENGTH);
    let mut buf = [0u8; 32];
    while code.len() < CODE_LENGTH {
        rand::rngs::OsRng
            .try_fill_bytes(&mut buf)
            .map_err(|e| IssueError::Random(e.to_string()))?;
        for b in buf {
            if b < limit && code.len() < CODE_LENGTH {
                code.push(char::from(CODE_ALPHABET[usize::from(b) % n]));
            }
        }
    }
    Ok(code)
}

/// A code as typed or scanned: spaces and dashes dropped, upper-cased.
pub fn normalize_code(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Issues `count` unique single-use codes for a coupon of `campaign` and stores
/// them in one transaction. `coupon` may be left out when the campaign has one
/// `batch` coupon (or only one coupon); `channel`, when given, is the campaign
/// channel the codes are handed out through, which their orders are attributed to.
pub async fn issue_batch(
    store: &dyn Store,
    site: &Site,
    campaign: &str,
    coupon: Option<&str>,
    channel: Option<&str>,
    count: u32,
    now: DateTime<Utc>,
) -> Result<Vec<BatchCode>, IssueError> {
    if count == 0 || count > MAX_BATCH {
        return Err(IssueError::BadCount);
    }
    let found = site
        .campaign(campaign)
        .ok_or_else(|| IssueError::UnknownCampaign(campaign.to_owned()))?;
    if let Some(channel) = channel.filter(|c| found.channel(c).is_none()) {
        return Err(IssueError::UnknownChannel {
            campaign: campaign.to_owned(),
            channel: channel.to_owned(),
        });
    }
    let chosen = match coupon {
        Some(code) => found
            .coupons
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
            .ok_or_else(|| IssueError::UnknownCoupon {
                campaign: campaign.to_owned(),
                coupon: code.to_owned(),
            })?,
        None => {
            let batch: Vec<_> = found
                .coupons
                .iter()
                .filter(|c| c.issue == catalog::Issue::Batch)
                .collect();
            match (batch.as_slice(), found.coupons.as_slice()) {
                ([one], _) => *one,
                ([], [one]) => one,
                ([], []) => return Err(IssueError::NoCoupon(campaign.to_owned())),
                _ => return Err(IssueError::WhichCoupon(campaign.to_owned())),
            }
        }
    };
    let batch = keys::new_id("batch");
    let mut seen = std::collections::HashSet::new();
    let mut codes = Vec::with_capacity(count as usize);
    while codes.len() < count as usize {
        let code = new_code()?;
        if seen.insert(code.clone()) {
            codes.push(BatchCode {
                code,
                coupon: chosen.code.clone(),
                campaign: found.id.clone(),
                batch: batch.clone(),
                channel: channel.map(str::to_owned),
                created_at: now,
            });
        }
    }
    store.issue_codes(codes.clone()).await?;
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_avoid_look_alikes_and_are_long_enough() {
        for _ in 0..200 {
            let code = new_code().expect("rng");
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        }
        let bits = CODE_LENGTH as f64 * (CODE_ALPHABET.len() as f64).log2();
        assert!(bits >= 50.0, "{bits}");
    }

    #[test]
    fn codes_are_read_without_case_spaces_or_dashes() {
        assert_eq!(normalize_code(" abcd-efgh 2345 "), "ABCDEFGH2345");
    }
}
