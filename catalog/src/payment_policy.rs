//! A location's payment policy, from its content file: which methods it offers,
//! and for each way of ordering when payment is due.
//!
//! ```yaml
//! payment:
//!   methods: [cash, card_terminal, wechat_pay]
//!   dine_in: pay_at_counter        # or pay_online_optional, pay_online_required
//!   pickup: pay_online_required
//!   unpaid_hold_minutes: 15        # an order that must be paid first waits this long
//! ```

use serde::{Deserialize, Serialize};

use crate::payment::Method;
use crate::pricing::Fulfilment;

/// When a diner pays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// At the counter or the table, after ordering: the order goes to the kitchen at once.
    #[default]
    PayAtCounter,
    /// Online if the diner likes, else at the counter: the order goes to the kitchen at once.
    PayOnlineOptional,
    /// Online before the kitchen sees the order; unpaid, it expires after the hold.
    PayOnlineRequired,
}

impl Due {
    /// Every policy, in the order the content documentation lists them.
    pub const ALL: [Due; 3] = [
        Due::PayAtCounter,
        Due::PayOnlineOptional,
        Due::PayOnlineRequired,
    ];

    /// The name used in content files.
    pub fn as_str(self) -> &'static str {
        match self {
            Due::PayAtCounter => "pay_at_counter",
            Due::PayOnlineOptional => "pay_online_optional",
            Due::PayOnlineRequired => "pay_online_required",
        }
    }

    /// The policy named `text` in a content file.
    pub fn parse(text: &str) -> Option<Due> {
        Due::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// Whether this policy takes payment online.
    pub fn online(self) -> bool {
        self != Due::PayAtCounter
    }
}

/// The payment policy of a location.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentPolicy {
    /// The methods offered, online and at the counter.
    pub methods: Vec<Method>,
    /// When dine-in orders are paid.
    pub dine_in: Due,
    /// When pickup orders are paid.
    pub pickup: Due,
    /// How long an order that must be paid first waits for its payment.
    pub unpaid_hold_minutes: u32,
}

/// The hold when the content names none: long enough to pay, short enough to free
/// the pickup slot for someone else.
pub const DEFAULT_UNPAID_HOLD_MINUTES: u32 = 15;

impl Default for PaymentPolicy {
    /// Without a `payment:` block: everything paid at the counter, in cash or by card.
    fn default() -> PaymentPolicy {
        PaymentPolicy {
            methods: vec![Method::Cash, Method::CardTerminal],
            dine_in: Due::PayAtCounter,
            pickup: Due::PayAtCounter,
            unpaid_hold_minutes: DEFAULT_UNPAID_HOLD_MINUTES,
        }
    }
}

impl PaymentPolicy {
    /// Whether this is the policy of a location without a `payment:` block.
    pub fn is_default(&self) -> bool {
        *self == PaymentPolicy::default()
    }

    /// When an order of this kind is paid.
    pub fn due(&self, fulfilment: &Fulfilment) -> Due {
        match fulfilment {
            Fulfilment::DineIn { .. } => self.dine_in,
            Fulfilment::Pickup { .. } => self.pickup,
        }
    }

    /// The online methods offered (Stripe, WeChat Pay).
    pub fn online_methods(&self) -> impl Iterator<Item = Method> + '_ {
        self.methods.iter().copied().filter(|m| m.is_online())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_and_print_their_content_names() {
        for due in Due::ALL {
            assert_eq!(Due::parse(due.as_str()), Some(due));
        }
        assert_eq!(Due::parse("pay_later"), None);
        assert!(!Due::PayAtCounter.online() && Due::PayOnlineRequired.online());
    }

    #[test]
    fn without_a_payment_block_everything_is_paid_at_the_counter() {
        let policy = PaymentPolicy::default();
        assert!(policy.is_default());
        assert_eq!(policy.online_methods().count(), 0);
        let pickup = Fulfilment::Pickup {
            slot: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        };
        assert_eq!(policy.due(&pickup), Due::PayAtCounter);
    }
}
