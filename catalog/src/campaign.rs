//! Campaigns, their channels, and the coupon rules they offer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{BasisPoints, Minor};
use crate::schedule::Window;
use crate::text::Localized;

/// A promotion with tracked channels and coupons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: Localized,
    pub channels: Vec<Channel>,
    pub coupons: Vec<Coupon>,
}

/// Where a campaign reaches diners; each gets a tracked link and a QR code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Unique within the campaign.
    pub id: String,
    pub name: Localized,
    /// What kind of entrance this is.
    pub kind: ChannelKind,
    /// The location whose menu the link opens; `None` means the site's first location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// The kind of entrance a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    TableQr,
    ChatLink,
    Flyer,
    WifiPortal,
    Website,
    Other,
}

/// The rules of a coupon. Budgets and per-member limits are enforced by the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    /// Unique across the site. Shared coupons are redeemed with this code (case-insensitive).
    pub code: String,
    pub kind: CouponKind,
    /// Subtotal of the eligible lines needed before the coupon applies.
    #[serde(default)]
    pub min_spend: Minor,
    /// Cap on the discount, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_discount: Option<Minor>,
    /// Dishes and categories it applies to; empty means the whole cart.
    #[serde(default)]
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
    /// Days and hours it can be used, in the site timezone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<Window>,
    /// Total redemptions allowed, across all diners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<u32>,
    /// Redemptions allowed per member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member: Option<u32>,
    /// How the coupon is handed out.
    #[serde(default)]
    pub issue: Issue,
    /// Total discount allowed across all redemptions, in minor units: the sum
    /// of the discounts given never exceeds it (enforced by the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_amount: Option<Minor>,
    /// Only a member's first order may use it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_order_only: bool,
    /// Only members may use it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub members_only: bool,
}

impl Coupon {
    /// Redemptions allowed per member: `per_member`, and at most one for a first-order
    /// coupon. A member has one first order; at the counter, where a redemption is not
    /// an order, this keeps a first-order coupon to one use too, online and in the shop
    /// together.
    pub fn per_member_limit(&self) -> Option<u32> {
        if self.first_order_only {
            Some(self.per_member.map_or(1, |n| n.min(1)))
        } else {
            self.per_member
        }
    }

    /// What the coupon gives, in `lang` (Chinese for `zh…`, else English), for a
    /// printed sheet or the diner's account page: "10.00 off orders of 60.00 or more",
    /// "满 60.00 立减 10.00".
    pub fn offer(&self, site: &crate::Site, lang: &str) -> String {
        let zh = lang.starts_with("zh");
        let money = |m: Minor| site.settings.currency.format(m);
        let text = match &self.kind {
            CouponKind::PercentOff { percent } => {
                let shown = format!("{}%", f64::from(*percent) / 100.0);
                if zh {
                    format!("{shown} 折扣")
                } else {
                    format!("{shown} off")
                }
            }
            CouponKind::AmountOff { amount } => {
                if zh {
                    format!("立减 {}", money(*amount))
                } else {
                    format!("{} off", money(*amount))
                }
            }
            CouponKind::FreeItem { dish } => {
                let name = site
                    .dish(dish)
                    .map(|(_, d)| d.name.get(lang, site.default_language()).to_owned())
                    .unwrap_or_else(|| dish.clone());
                if zh {
                    format!("赠送 {name}")
                } else {
                    format!("a free {name}")
                }
            }
            CouponKind::BuyXGetY { buy, get, .. } => {
                if zh {
                    format!("买 {buy} 送 {get}")
                } else {
                    format!("buy {buy}, get {get} free")
                }
            }
        };
        if self.min_spend > 0 {
            if zh {
                format!("满 {} {text}", money(self.min_spend))
            } else {
                format!("{text} orders of {} or more", money(self.min_spend))
            }
        } else {
            text
        }
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CouponKind {
    /// A share of the eligible subtotal.
    PercentOff { percent: BasisPoints },
    /// A fixed amount off the eligible subtotal.
    AmountOff { amount: Minor },
    /// One unit of a dish for free (the dish must be in the cart).
    FreeItem { dish: String },
    /// For every `buy` units of the dishes in scope, `get` more units free: the
    /// cheapest units in scope are the free ones, at most `max_free` of them.
    BuyXGetY {
        buy: u32,
        get: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_free: Option<u32>,
    },
}

/// Dishes and categories a coupon is limited to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default)]
    pub dishes: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub locations: Vec<String>,
}

impl Scope {
    /// Whether the scope limits nothing.
    pub fn is_whole_cart(&self) -> bool {
        self.dishes.is_empty() && self.categories.is_empty()
    }

    /// Whether a dish of a category is in scope.
    pub fn covers(&self, dish: &str, category: &str) -> bool {
        self.is_whole_cart()
            || self.dishes.iter().any(|d| d == dish)
            || self.categories.iter().any(|c| c == category)
    }
}

/// How a coupon reaches diners.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issue {
    /// One shared public code.
    #[default]
    Shared,
    /// A unique single-use code for each new member at sign-up.
    OnSignUp,
    /// Unique single-use codes printed in batches (`carte coupons issue`);
    /// the coupon's own code is not accepted.
    Batch,
}

impl Coupon {
    /// Whether diners redeem it only through issued single-use codes.
    pub fn uses_issued_codes(&self) -> bool {
        matches!(self.issue, Issue::OnSignUp | Issue::Batch)
    }

    /// Whether any diner may type its code: a shared code that is not for members
    /// only — `members_only`, and also `per_member` and `first_order_only`, which
    /// refuse anonymous diners the same way (`docs/marketing.md`). Only such codes
    /// are published in the storefront's catalog (a campaign link fills them in);
    /// the others reach members another way (a mail, the counter) and stay on the
    /// server, which still takes them from a signed-in member.
    pub fn code_is_public(&self) -> bool {
        self.issue == Issue::Shared
            && !self.members_only
            && !self.first_order_only
            && self.per_member.is_none()
    }
}

impl Campaign {
    /// The channel with this id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon(per_member: Option<u32>, first_order_only: bool) -> Coupon {
        Coupon {
            per_member,
            first_order_only,
            ..serde_json::from_value(serde_json::json!({
                "code": "C", "kind": {"type": "amount_off", "amount": 100}
            }))
            .expect("a coupon")
        }
    }

    #[test]
    fn a_first_order_coupon_is_one_use_per_member() {
        assert_eq!(coupon(None, false).per_member_limit(), None);
        assert_eq!(coupon(Some(3), false).per_member_limit(), Some(3));
        assert_eq!(coupon(None, true).per_member_limit(), Some(1));
        assert_eq!(coupon(Some(3), true).per_member_limit(), Some(1));
        assert_eq!(coupon(Some(0), true).per_member_limit(), Some(0));
    }
}
