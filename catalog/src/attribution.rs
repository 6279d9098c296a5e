//! The one attribution rule: which campaign and channel an order belongs to.
//!
//! Reports, exports and the dashboard all read the campaign and channel stored
//! with the order, and the order takes them from [`attribute`] when it is placed,
//! so a campaign's orders, revenue, discount and redemptions always agree.
//!
//! 1. An order that redeems a campaign's coupon belongs to that campaign. Its
//!    channel is the channel the redeemed code was printed for
//!    (`carte coupons issue --channel`), else the last touch's channel when that
//!    touch is of the same campaign, else [`COUPON_ONLY`].
//! 2. An order without a campaign's coupon belongs to its last touch (the
//!    campaign link or QR code the diner last arrived through), or to no campaign.

/// The channel of an order that redeemed a campaign's coupon without arriving
/// through one of that campaign's channels (a code typed from a poster, a friend).
pub const COUPON_ONLY: &str = "coupon";

/// The channel of redemptions at the counter.
pub const COUNTER: &str = "counter";

/// A campaign channel: `(campaign, channel)` ids.
pub type Touch<'a> = (&'a str, &'a str);

/// What the order's coupon says about where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redeemed<'a> {
    /// The campaign of the coupon the order redeems.
    pub campaign: &'a str,
    /// The channel the redeemed single-use code was printed for, if any.
    pub code_channel: Option<&'a str>,
}

/// The campaign and channel an order belongs to (see the module's rule).
pub fn attribute(
    redeemed: Option<Redeemed<'_>>,
    last_touch: Option<Touch<'_>>,
) -> Option<(String, String)> {
    match redeemed {
        Some(coupon) => {
            let channel = coupon
                .code_channel
                .or_else(|| {
                    last_touch
                        .filter(|(campaign, _)| *campaign == coupon.campaign)
                        .map(|(_, channel)| channel)
                })
                .unwrap_or(COUPON_ONLY);
            Some((coupon.campaign.to_owned(), channel.to_owned()))
        }
        None => last_touch.map(|(campaign, channel)| (campaign.to_owned(), channel.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(campaign: &str, channel: &str) -> Option<(String, String)> {
        Some((campaign.to_owned(), channel.to_owned()))
    }

    #[test]
    fn a_coupon_order_belongs_to_the_coupons_campaign() {
        let festival = Redeemed {
            campaign: "festival",
            code_channel: None,
        };
        // Through one of its own channels: that channel.
        assert_eq!(
            attribute(Some(festival), Some(("festival", "chat"))),
            owned("festival", "chat")
        );
        // Last touched another campaign: the coupon wins, coupon only.
        assert_eq!(
            attribute(Some(festival), Some(("spring", "flyer"))),
            owned("festival", COUPON_ONLY)
        );
        // No touch at all.
        assert_eq!(
            attribute(Some(festival), None),
            owned("festival", COUPON_ONLY)
        );
    }

    #[test]
    fn a_printed_code_brings_its_batch_channel() {
        let printed = Redeemed {
            campaign: "festival",
            code_channel: Some("flyer"),
        };
        assert_eq!(
            attribute(Some(printed), Some(("festival", "chat"))),
            owned("festival", "flyer")
        );
        assert_eq!(attribute(Some(printed), None), owned("festival", "flyer"));
    }

    #[test]
    fn an_order_without_a_coupon_belongs_to_its_last_touch() {
        assert_eq!(
            attribute(None, Some(("spring", "flyer"))),
            owned("spring", "flyer")
        );
        assert_eq!(attribute(None, None), None);
    }
}
