//! The whole checked site: settings, locations, menus, campaigns and pages.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::campaign::{Campaign, Coupon};
use crate::menu::{Category, Dish, Menu};
use crate::money::{BasisPoints, Currency, Rounding};
use crate::payment_policy::PaymentPolicy;
use crate::schedule::Window;
use crate::text::Localized;

/// Everything the storefront and the functions know about a restaurant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub settings: Settings,
    pub locations: Vec<Location>,
    pub menus: Vec<Menu>,
    pub campaigns: Vec<Campaign>,
    pub pages: Vec<Page>,
}

/// `site.yaml`: the restaurant's name, languages, money and charges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub name: Localized,
    /// Language codes; the first is the default and the fallback.
    pub languages: Vec<String>,
    pub currency: Currency,
    pub timezone: Tz,
    /// Absolute base URL the site is published at, e.g. `https://example.com`.
    pub base_url: String,
    #[serde(default)]
    pub description: Localized,
    #[serde(default)]
    pub charges: Charges,
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Minutes after which an open order turns amber and red on the staff screen.
    #[serde(default)]
    pub age_warnings: AgeWarnings,
    /// Display names of tags and allergens per language.
    #[serde(default)]
    pub labels: Labels,
}

/// Display names of tag and allergen ids, per language (`spicy` → 辣 / Spicy).
/// An id without a name shows as itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, Localized>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allergens: BTreeMap<String, Localized>,
}

impl Labels {
    /// The name of tag `id` in `lang` (else `fallback`), or the id itself.
    pub fn tag<'a>(&'a self, id: &'a str, lang: &str, fallback: &str) -> &'a str {
        named(&self.tags, id, lang, fallback)
    }

    /// The name of allergen `id` in `lang` (else `fallback`), or the id itself.
    pub fn allergen<'a>(&'a self, id: &'a str, lang: &str, fallback: &str) -> &'a str {
        named(&self.allergens, id, lang, fallback)
    }
}

fn named<'a>(
    names: &'a BTreeMap<String, Localized>,
    id: &'a str,
    lang: &str,
    fallback: &str,
) -> &'a str {
    match names.get(id).map(|n| n.get(lang, fallback)) {
        Some(name) if !name.is_empty() => name,
        _ => id,
    }
}

fn default_theme() -> String {
    "default".to_owned()
}

/// Service charge and tax rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    /// Service charge on dine-in orders, in basis points of the discounted subtotal.
    #[serde(default)]
    pub service_charge: BasisPoints,
    /// Tax rate in basis points.
    #[serde(default)]
    pub tax_rate: BasisPoints,
    /// Whether menu prices already include tax (the usual case in China and Europe).
    #[serde(default)]
    pub tax_inclusive: bool,
    #[serde(default)]
    pub rounding: Rounding,
}

/// Staff-screen thresholds for open orders, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeWarnings {
    pub amber: u32,
    pub red: u32,
}

impl Default for AgeWarnings {
    fn default() -> Self {
        AgeWarnings { amber: 10, red: 20 }
    }
}

/// A shop: where it is, when it is open, how it serves, which menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Unique across the site; also the short prefix of order numbers (first letter, upper-cased).
    pub id: String,
    pub name: Localized,
    pub address: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Opening hours; several windows for split days.
    pub hours: Vec<Window>,
    /// Table labels for dine-in ("1".."12", "A3"…); empty when there is no dine-in.
    #[serde(default)]
    pub tables: Vec<String>,
    pub dine_in: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup: Option<Pickup>,
    /// Id of the menu served here.
    pub menu: String,
    /// Short prefix for order numbers, e.g. `A` → `A-042`.
    pub order_prefix: String,
    /// Which payment methods are offered and when payment is due.
    #[serde(default, skip_serializing_if = "PaymentPolicy::is_default")]
    pub payment: PaymentPolicy,
}

/// Pickup slots: length, how many orders each takes, and how far ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pickup {
    pub slot_minutes: u32,
    pub capacity: u32,
    /// The earliest slot starts at least this many minutes from now.
    pub lead_minutes: u32,
    /// Slots are offered and taken for today and this many days after it (in the
    /// site's timezone), never further ahead: 1, today and tomorrow, by default.
    #[serde(default = "Pickup::default_days_ahead")]
    pub days_ahead: u32,
}

impl Pickup {
    /// Today and tomorrow, what the storefront has always offered.
    pub const DEFAULT_DAYS_AHEAD: u32 = 1;
    /// The furthest a location may take pickup orders ahead (a month).
    pub const MAX_DAYS_AHEAD: u32 = 30;

    fn default_days_ahead() -> u32 {
        Pickup::DEFAULT_DAYS_AHEAD
    }

    /// Whether `slot` falls on today (the local day of `now` in `tz`) or one of the
    /// [`Pickup::days_ahead`] days after it.
    pub fn within_horizon(
        &self,
        slot: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
        tz: chrono_tz::Tz,
    ) -> bool {
        let today = now.with_timezone(&tz).date_naive();
        let day = slot.with_timezone(&tz).date_naive();
        let ahead = day.signed_duration_since(today).num_days();
        ahead <= i64::from(self.days_ahead.min(Pickup::MAX_DAYS_AHEAD))
    }
}

/// A Markdown page (about, news…), rendered per language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// URL slug, e.g. `about`.
    pub slug: String,
    pub title: Localized,
    /// Markdown source per language.
    pub body: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub description: Localized,
}

impl Site {
    /// The default language (the first listed).
    pub fn default_language(&self) -> &str {
        self.settings
            .languages
            .first()
            .map(String::as_str)
            .unwrap_or("en")
    }

    /// The location with this id.
    pub fn location(&self, id: &str) -> Option<&Location> {
        self.locations.iter().find(|l| l.id == id)
    }

    /// The menu with this id.
    pub fn menu(&self, id: &str) -> Option<&Menu> {
        self.menus.iter().find(|m| m.id == id)
    }

    /// The menu a location serves.
    pub fn menu_of(&self, location: &Location) -> Option<&Menu> {
        self.menu(&location.menu)
    }

    /// A dish by id in any menu, with its category.
    pub fn dish(&self, id: &str) -> Option<(&Category, &Dish)> {
        self.menus.iter().find_map(|m| m.dish(id))
    }

    /// The option group `key` of `dish` and the dish it belongs to: the dish's own
    /// group, or, for a set meal's nested key (`main/dandan/spice`, see
    /// [`crate::menu::nested_group_key`]), the chosen dish's group.
    pub fn option_group<'a>(
        &'a self,
        dish: &'a Dish,
        key: &str,
    ) -> Option<(&'a Dish, &'a crate::menu::OptionGroup)> {
        match crate::menu::split_nested_key(key) {
            None => dish.group(key).map(|g| (dish, g)),
            Some((group, choice, inner)) => {
                let chosen = dish
                    .group(group)?
                    .choices
                    .iter()
                    .find(|c| c.id == choice)?
                    .dish
                    .as_deref()?;
                let (_, chosen) = self.dish(chosen)?;
                chosen.group(inner).map(|g| (chosen, g))
            }
        }
    }

    /// The campaign and coupon for a code, compared case-insensitively.
    pub fn coupon(&self, code: &str) -> Option<(&Campaign, &Coupon)> {
        let code = code.trim();
        self.campaigns.iter().find_map(|c| {
            c.coupons
                .iter()
                .find(|k| k.code.eq_ignore_ascii_case(code))
                .map(|k| (c, k))
        })
    }

    /// The campaign with this id.
    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }
}

impl Location {
    /// Whether the shop is open at `at`.
    pub fn is_open(&self, at: chrono::DateTime<chrono::Utc>, tz: Tz) -> bool {
        self.hours.iter().any(|w| w.is_open(at, tz))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::Pickup;

    #[test]
    fn the_horizon_counts_local_days_from_today() {
        let tz = chrono_tz::Asia::Shanghai;
        let pickup = Pickup {
            slot_minutes: 15,
            capacity: 6,
            lead_minutes: 15,
            days_ahead: 1,
        };
        // 23:30 in Shanghai on 2 March.
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 15, 30, 0).unwrap();
        let local = |d: u32, h: u32| tz.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap().to_utc();
        assert!(pickup.within_horizon(local(2, 23), now, tz));
        // Tomorrow is the whole of 3 March, though it starts in half an hour.
        assert!(pickup.within_horizon(local(3, 22), now, tz));
        assert!(!pickup.within_horizon(local(4, 8), now, tz));
        let today_only = Pickup {
            days_ahead: 0,
            ..pickup
        };
        assert!(!today_only.within_horizon(local(3, 8), now, tz));
        let far = Utc.with_ymd_and_hms(9999, 12, 31, 15, 45, 0).unwrap();
        let month = Pickup {
            days_ahead: u32::MAX,
            ..pickup
        };
        assert!(!month.within_horizon(far, now, tz), "capped at a month");
    }
}
