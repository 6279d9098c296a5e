//! The content format as written: raw values parsed from the YAML files of a site.
//!
//! Every struct denies unknown fields, so a typo is an error with a hint rather
//! than a silently ignored line. Values are kept close to what the merchant
//! wrote (decimal strings, day names, `"11:00-14:30"`); [`crate::check`] turns
//! them into a [`catalog::Site`].

use std::fmt;

use catalog::{ChannelKind, Issue, Rounding};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// `site.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub name: RawText,
    pub languages: Vec<String>,
    pub currency: String,
    pub timezone: String,
    pub base_url: String,
    #[serde(default)]
    pub description: Option<RawText>,
    #[serde(default)]
    pub charges: RawCharges,
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub age_warnings: Option<RawAgeWarnings>,
    /// Display names of tag ids, per language.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, RawText>,
    /// Display names of allergen ids, per language.
    #[serde(default)]
    pub allergens: std::collections::BTreeMap<String, RawText>,
}

/// `charges:` of `site.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCharges {
    #[serde(default)]
    pub service_charge: Option<RawDecimal>,
    #[serde(default)]
    pub tax_rate: Option<RawDecimal>,
    #[serde(default)]
    pub tax_inclusive: Option<bool>,
    #[serde(default)]
    pub rounding: Option<Rounding>,
}

/// `age_warnings:` of `site.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgeWarnings {
    pub amber: u32,
    pub red: u32,
}

/// `locations/<id>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocation {
    #[serde(default)]
    pub id: Option<String>,
    pub name: RawText,
    pub address: RawText,
    #[serde(default)]
    pub phone: Option<String>,
    pub hours: Vec<RawWindow>,
    #[serde(default)]
    pub tables: Option<RawTables>,
    #[serde(default)]
    pub dine_in: Option<bool>,
    #[serde(default)]
    pub pickup: Option<RawPickup>,
    pub menu: String,
    #[serde(default)]
    pub order_prefix: Option<String>,
    #[serde(default)]
    pub payment: Option<RawPayment>,
}

/// `payment:` of a location; every field has a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayment {
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    #[serde(default)]
    pub dine_in: Option<String>,
    #[serde(default)]
    pub pickup: Option<String>,
    #[serde(default)]
    pub unpaid_hold_minutes: Option<u32>,
}

/// `pickup:` of a location; every field has a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPickup {
    #[serde(default)]
    pub slot_minutes: Option<u32>,
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub lead_minutes: Option<u32>,
    #[serde(default)]
    pub days_ahead: Option<u32>,
}

/// Days and hours: `{days: [mon, tue], hours: ["11:00-14:30"]}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    #[serde(default)]
    pub days: Option<Words>,
    #[serde(default)]
    pub hours: Option<Words>,
}

/// `menus/<id>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMenu {
    #[serde(default)]
    pub id: Option<String>,
    pub name: RawText,
    pub categories: Vec<RawCategory>,
}

/// A category of a menu.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCategory {
    pub id: String,
    pub name: RawText,
    #[serde(default)]
    pub available: Option<RawWindow>,
    pub dishes: Vec<RawDish>,
}

/// A dish of a category.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDish {
    pub id: String,
    pub name: RawText,
    #[serde(default)]
    pub description: Option<RawText>,
    pub price: RawDecimal,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub allergens: Vec<String>,
    #[serde(default)]
    pub options: Vec<RawGroup>,
    #[serde(default)]
    pub available: Option<RawWindow>,
    #[serde(default)]
    pub sold_out: bool,
    #[serde(default)]
    pub combo: bool,
}

/// An option group of a dish.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub id: String,
    pub name: RawText,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
    /// Exactly this many: `min = max = pick` (the usual combo group).
    #[serde(default)]
    pub pick: Option<u32>,
    pub choices: Vec<RawChoice>,
}

/// A choice of an option group. In a combo, `dish:` names the dish it stands
/// for, and `id` and `name` default to the dish's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<RawText>,
    #[serde(default)]
    pub price: Option<RawDecimal>,
    #[serde(default)]
    pub sold_out: bool,
    #[serde(default)]
    pub dish: Option<String>,
}

/// `campaigns.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCampaigns {
    #[serde(default)]
    pub campaigns: Vec<RawCampaign>,
}

/// A campaign.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCampaign {
    pub id: String,
    pub name: RawText,
    #[serde(default)]
    pub channels: Vec<RawChannel>,
    #[serde(default)]
    pub coupons: Vec<RawCoupon>,
}

/// A channel of a campaign.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub id: String,
    pub name: RawText,
    pub kind: ChannelKind,
    #[serde(default)]
    pub location: Option<String>,
}

/// What a coupon takes off, as written in `kind:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawCouponKind {
    PercentOff,
    AmountOff,
    FreeItem,
    BuyXGetY,
}

/// A coupon of a campaign.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoupon {
    pub code: String,
    pub kind: RawCouponKind,
    /// `"20%"` for `percent_off`, an amount for `amount_off`.
    #[serde(default)]
    pub value: Option<RawDecimal>,
    /// The free dish of a `free_item` coupon.
    #[serde(default)]
    pub dish: Option<String>,
    #[serde(default)]
    pub min_spend: Option<RawDecimal>,
    #[serde(default)]
    pub max_discount: Option<RawDecimal>,
    #[serde(default)]
    pub scope: Option<RawScope>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub hours: Option<RawWindow>,
    #[serde(default)]
    pub budget: Option<u32>,
    #[serde(default)]
    pub per_member: Option<u32>,
    #[serde(default)]
    pub issue: Option<Issue>,
    /// `buy_x_get_y`: units to buy for each free group.
    #[serde(default)]
    pub buy: Option<u32>,
    /// `buy_x_get_y`: units free per group.
    #[serde(default)]
    pub get: Option<u32>,
    /// `buy_x_get_y`: most free units per order.
    #[serde(default)]
    pub max_free: Option<u32>,
    /// Total discount allowed across all redemptions, an amount.
    #[serde(default)]
    pub budget_amount: Option<RawDecimal>,
    #[serde(default)]
    pub first_order_only: bool,
    #[serde(default)]
    pub members_only: bool,
}

/// Which dishes, categories and locations a coupon is limited to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    #[serde(default)]
    pub dishes: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub locations: Vec<String>,
}

/// The YAML front matter of a page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFrontMatter {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
}

/// Text written either as one string or as `{zh: …, en: …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawText {
    /// One string, in the site's default language.
    Plain(String),
    /// One string per language code, in file order.
    ByLanguage(Vec<(String, String)>),
}

/// A decimal value (price, rate) as written: it must be a quoted string.
#[derive(Debug, Clone, PartialEq)]
pub enum RawDecimal {
    /// `"32.50"`: what the format asks for.
    Text(String),
    /// `32.5`: a YAML number, refused by the checks (floats lose digits).
    Number(String),
}

/// One word or a list of words: `mon` or `[mon, tue]`; numbers are read as their text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words(pub Vec<String>);

/// Tables: a count (`12` → "1".."12") or a list of labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawTables {
    Count(u64),
    Labels(Vec<String>),
}

/// Starts the message of a text map with a key and no text, most often text with
/// an unquoted comma.
pub const UNQUOTED_COMMA: &str = "a language with no text in {zh: …, en: …}";

/// Any YAML scalar read as its text.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text, or a map of language code to text such as {zh: …, en: …}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawText, E> {
                Ok(RawText::Plain(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawText, E> {
                Ok(RawText::Plain(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawText, E> {
                Ok(RawText::Plain(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawText, E> {
                Ok(RawText::Plain(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawText, E> {
                Ok(RawText::Plain(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawText, E> {
                Ok(RawText::Plain(String::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawText, A::Error> {
                let mut out = Vec::new();
                while let Some((lang, text)) = map.next_entry::<Scalar, Option<Scalar>>()? {
                    match text {
                        Some(text) => out.push((lang.0, text.0)),
                        // `{en: Pork, chilli oil}`: the comma ended the text, and
                        // the rest became a key with no value.
                        None => {
                            return Err(de::Error::custom(format!(
                                "{UNQUOTED_COMMA}: `{}` has no text",
                                lang.0
                            )))
                        }
                    }
                }
                Ok(RawText::ByLanguage(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDecimal;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string such as \"32.00\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDecimal, E> {
                Ok(RawDecimal::Text(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDecimal, E> {
                Ok(RawDecimal::Number(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawDecimal, E> {
                Ok(RawDecimal::Number(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawDecimal, E> {
                Ok(RawDecimal::Number(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Words {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Words;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a word or a list of words")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Words, E> {
                Ok(Words(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Words, A::Error> {
                let mut out = Vec::new();
                while let Some(word) = seq.next_element::<Scalar>()? {
                    out.push(word.0);
                }
                Ok(Words(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawTables {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTables;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of tables or a list of table labels")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawTables, E> {
                Ok(RawTables::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawTables, E> {
                u64::try_from(v)
                    .map(RawTables::Count)
                    .map_err(|_| E::custom("the number of tables must not be negative"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawTables, A::Error> {
                let mut out = Vec::new();
                while let Some(label) = seq.next_element::<Scalar>()? {
                    out.push(label.0);
                }
                Ok(RawTables::Labels(out))
            }
        }
        d.deserialize_any(V)
    }
}
