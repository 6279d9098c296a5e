//! Carte's domain model, shared by the generator and the ordering functions.
//!
//! What a menu, a price and a coupon *are*: no I/O, no async. Money is an
//! integer count of the currency's minor unit everywhere.

pub mod attribution;
pub mod campaign;
pub mod menu;
pub mod money;
pub mod payment;
pub mod payment_policy;
pub mod pricing;
pub mod schedule;
pub mod site;
pub mod text;
pub mod version;

pub use campaign::{Campaign, Channel, ChannelKind, Coupon, CouponKind, Issue, Scope};
pub use menu::{Category, Choice, Dish, Menu, OptionGroup};
pub use money::{Currency, Minor, MoneyError, Rounding};
pub use pricing::{
    price, price_with, Cart, CartLine, ChosenOptions, CounterGrant, CouponOutcome, CouponRejection,
    Diner, Fulfilment, PricingError, Quote, SoldOut,
};
pub use schedule::{TimeRange, Window};
pub use site::{Charges, Labels, Location, Page, Pickup, Settings, Site};
pub use text::Localized;
pub use version::catalog_version;
