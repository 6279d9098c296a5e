//! The one pricing function: a cart in, priced lines, discount, charges and total out.
//!
//! The generator (prices on pages), the storefront's `catalog.json` and the ordering
//! API all call [`price`]; nothing else computes what an order costs.

use std::collections::HashSet;

use chrono::{DateTime, Duration, LocalResult, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::campaign::{Coupon, CouponKind};
use crate::menu::{Category, Dish, OptionGroup};
use crate::money::Minor;
use crate::site::{Location, Site};

/// Most units of one line.
pub const MAX_QUANTITY: u32 = 99;
/// Most lines in one cart.
pub const MAX_LINES: usize = 100;

/// What the diner wants, as sent by the storefront (no prices: the server never trusts them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cart {
    pub location: String,
    pub fulfilment: Fulfilment,
    pub lines: Vec<CartLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
}

/// How the diner gets the food.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", deny_unknown_fields)]
pub enum Fulfilment {
    /// At a table of the location (from the table QR code).
    DineIn { table: String },
    /// Collected at the counter in a pickup slot starting at `slot`.
    Pickup { slot: DateTime<Utc> },
}

/// One dish of a cart with its chosen options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartLine {
    pub dish: String,
    pub quantity: u32,
    #[serde(default)]
    pub options: Vec<ChosenOptions>,
}

/// The choices picked in one option group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChosenOptions {
    pub group: String,
    pub choices: Vec<String>,
}

/// Sold-out switches set by staff at run time, on top of the content's `sold_out`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoldOut {
    /// Dish ids.
    pub dishes: HashSet<String>,
    /// `dish/group/choice` keys.
    pub choices: HashSet<String>,
}

impl SoldOut {
    /// The key of a choice in [`SoldOut::choices`].
    pub fn choice_key(dish: &str, group: &str, choice: &str) -> String {
        format!("{dish}/{group}/{choice}")
    }

    /// Whether a dish is sold out, by content or by staff.
    pub fn dish(&self, dish: &Dish) -> bool {
        dish.sold_out || self.dishes.contains(&dish.id)
    }
}

/// A priced cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub currency: String,
    pub lines: Vec<PricedLine>,
    /// Sum of the line totals.
    pub subtotal: Minor,
    /// Taken off by the coupon.
    pub discount: Minor,
    pub service_charge: Minor,
    /// Tax contained in (inclusive) or added to (exclusive) the total.
    pub tax: Minor,
    pub tax_inclusive: bool,
    /// What the diner pays.
    pub total: Minor,
    /// What became of the coupon in the cart, if there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<CouponOutcome>,
}

/// One cart line with its prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub dish: String,
    pub category: String,
    /// The dish name in the site's default language (for tickets and exports).
    pub name: String,
    pub quantity: u32,
    /// Dish price plus the choices' deltas, for one unit.
    pub unit_price: Minor,
    pub options: Vec<PricedChoice>,
    /// `unit_price * quantity`.
    pub total: Minor,
}

/// A picked choice with its price delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedChoice {
    pub group: String,
    pub choice: String,
    pub name: String,
    pub price_delta: Minor,
}

/// A line's choices as one reads them: each set meal choice followed by its dish's
/// own choices in parentheses, `Beef noodles (Large, Egg), Tea`. `names` are the
/// choice names in the reader's language, one per entry of `options`, in order.
pub fn choices_text<S: AsRef<str>>(options: &[PricedChoice], names: &[S]) -> String {
    let mut parts: Vec<(String, Vec<&str>)> = Vec::new();
    for (picked, name) in options.iter().zip(names) {
        let nested = crate::menu::split_nested_key(&picked.group).is_some();
        match parts.last_mut() {
            Some((_, inner)) if nested => inner.push(name.as_ref()),
            _ => parts.push((name.as_ref().to_owned(), Vec::new())),
        }
    }
    parts
        .into_iter()
        .map(|(name, inner)| match inner.is_empty() {
            true => name,
            false => format!("{name} ({})", inner.join(", ")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A coupon applied, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CouponOutcome {
    Applied {
        code: String,
        campaign: String,
        discount: Minor,
    },
    Rejected {
        code: String,
        reason: CouponRejection,
    },
}

/// Why a coupon does not apply to a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum CouponRejection {
    #[error("no coupon has this code")]
    Unknown,
    #[error("the coupon is not valid yet")]
    NotYetValid,
    #[error("the coupon has expired")]
    Expired,
    #[error("the coupon cannot be used at this time of day")]
    OutsideHours,
    #[error("the coupon is not valid at this location")]
    WrongLocation,
    #[error("spend {min_spend} (minor units) on eligible dishes to use this coupon")]
    BelowMinimum { min_spend: Minor, eligible: Minor },
    #[error("no dish in the cart is covered by this coupon")]
    NothingInScope,
    #[error("add the free dish to the cart to use this coupon")]
    FreeItemNotInCart { dish: String },
    #[error("the coupon's budget is used up")]
    BudgetExhausted,
    #[error("the coupon has already been used the allowed number of times by this member")]
    PerMemberLimit,
    #[error("the coupon code has already been used")]
    AlreadyUsed,
    #[error("this coupon is for members only")]
    MembersOnly,
    #[error("this coupon is redeemed with one of its printed codes, not its own code")]
    PrintedCodesOnly,
    #[error("this coupon is for a member's first order only")]
    FirstOrderOnly,
    #[error("add more dishes covered by the coupon: it needs {needed}, the cart has {have}")]
    NotEnoughItems { needed: u32, have: u32 },
    #[error("this code was issued to another member")]
    IssuedToAnotherMember,
}

/// Why a coupon's own code is refused when it is only redeemed through issued
/// codes: a sign-up coupon through a member's welcome code, a batch coupon through
/// one of its printed codes. The same answer online and at the counter.
pub fn own_code_refusal(coupon: &Coupon) -> Option<CouponRejection> {
    match coupon.issue {
        crate::campaign::Issue::OnSignUp => Some(CouponRejection::MembersOnly),
        crate::campaign::Issue::Batch => Some(CouponRejection::PrintedCodesOnly),
        crate::campaign::Issue::Shared => None,
    }
}

/// Why an issued single-use code is refused to `diner` (the member the order
/// or counter redemption is for, if any), or `None` when they may use it.
///
/// `holder` is the code's `member_id`: a welcome code belongs to the member it
/// was issued to and is refused on anyone else's order (`MembersOnly` for an
/// anonymous diner, who may be that member not signed in); a printed batch
/// code (empty `holder`) is anyone's. The checkout, the counter and both
/// stores' transactions all ask this one rule.
pub fn issued_code_refusal(holder: &str, diner: Option<&str>) -> Option<CouponRejection> {
    if holder.is_empty() {
        return None;
    }
    match diner {
        None => Some(CouponRejection::MembersOnly),
        Some(member) if member == holder => None,
        Some(_) => Some(CouponRejection::IssuedToAnotherMember),
    }
}

/// What the store knows about the diner that coupon rules depend on.
///
/// [`price`] prices for an anonymous diner ([`Diner::default`]); the ordering
/// API looks the facts up and calls [`price_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diner {
    /// The diner is a signed-up member.
    pub member: bool,
    /// The member has no order yet (only meaningful for members).
    pub first_order: bool,
}

/// Why a cart cannot be priced. `line` is the index of the cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PricingError {
    #[error("no location `{location}`")]
    UnknownLocation { location: String },
    #[error("the cart is empty")]
    EmptyCart,
    #[error("a cart takes at most {max} lines")]
    TooManyLines { max: usize },
    #[error("this location does not offer {mode}")]
    FulfilmentNotOffered { mode: String },
    #[error("no table `{table}` at this location")]
    UnknownTable { table: String },
    #[error("the shop is closed now")]
    ShopClosed,
    #[error("the pickup slot is in the past or too soon")]
    SlotTooSoon,
    #[error("the pickup slot does not start on a slot boundary")]
    SlotNotAligned,
    #[error("the shop is closed at that pickup time")]
    SlotClosed,
    #[error("pickup orders are taken for today and the next {days_ahead} day(s) only")]
    SlotTooFar { days_ahead: u32 },
    #[error("no dish `{dish}` on this location's menu")]
    UnknownDish { line: usize, dish: String },
    #[error("quantity must be between 1 and {max}")]
    BadQuantity { line: usize, max: u32 },
    #[error("`{dish}` is sold out")]
    SoldOut { line: usize, dish: String },
    #[error("`{dish}` is not available at this time")]
    Unavailable { line: usize, dish: String },
    #[error("`{dish}` has no option group `{group}`")]
    UnknownGroup {
        line: usize,
        dish: String,
        group: String,
    },
    #[error("option group `{group}` has no choice `{choice}`")]
    UnknownChoice {
        line: usize,
        group: String,
        choice: String,
    },
    #[error("choice `{choice}` is sold out")]
    ChoiceSoldOut {
        line: usize,
        group: String,
        choice: String,
    },
    #[error("choice `{choice}` is picked twice")]
    DuplicateChoice {
        line: usize,
        group: String,
        choice: String,
    },
    #[error("option group `{group}` needs at least {min} choice(s)")]
    OptionTooFew {
        line: usize,
        group: String,
        min: u32,
    },
    #[error("option group `{group}` takes at most {max} choice(s)")]
    OptionTooMany {
        line: usize,
        group: String,
        max: u32,
    },
}

impl PricingError {
    /// The request field the error is about, e.g. `lines[2].options.spice`.
    pub fn field(&self) -> String {
        use PricingError::*;
        match self {
            UnknownLocation { .. } => "location".into(),
            EmptyCart | TooManyLines { .. } => "lines".into(),
            FulfilmentNotOffered { .. } => "fulfilment.mode".into(),
            UnknownTable { .. } => "fulfilment.table".into(),
            ShopClosed => "fulfilment".into(),
            SlotTooSoon | SlotNotAligned | SlotClosed | SlotTooFar { .. } => {
                "fulfilment.slot".into()
            }
            UnknownDish { line, .. } | SoldOut { line, .. } | Unavailable { line, .. } => {
                format!("lines[{line}].dish")
            }
            BadQuantity { line, .. } => format!("lines[{line}].quantity"),
            UnknownGroup { line, group, .. }
            | UnknownChoice { line, group, .. }
            | ChoiceSoldOut { line, group, .. }
            | DuplicateChoice { line, group, .. }
            | OptionTooFew { line, group, .. }
            | OptionTooMany { line, group, .. } => format!("lines[{line}].options.{group}"),
        }
    }
}

/// Prices `cart` at instant `now` against the site and the live sold-out switches.
///
/// Returns every line error at once, so a form can show them all. The diner is
/// anonymous: coupons for members or first orders are rejected (see [`price_with`]).
pub fn price(
    site: &Site,
    sold_out: &SoldOut,
    cart: &Cart,
    now: DateTime<Utc>,
) -> Result<Quote, Vec<PricingError>> {
    price_with(site, sold_out, cart, now, &Diner::default())
}

/// [`price`] for a diner whose membership and order history are known.
pub fn price_with(
    site: &Site,
    sold_out: &SoldOut,
    cart: &Cart,
    now: DateTime<Utc>,
    diner: &Diner,
) -> Result<Quote, Vec<PricingError>> {
    let tz = site.settings.timezone;
    let location = site.location(&cart.location).ok_or_else(|| {
        vec![PricingError::UnknownLocation {
            location: cart.location.clone(),
        }]
    })?;
    let mut errors = Vec::new();
    let service_time = check_fulfilment(location, &cart.fulfilment, now, tz, &mut errors);
    if cart.lines.is_empty() {
        errors.push(PricingError::EmptyCart);
    }
    if cart.lines.len() > MAX_LINES {
        errors.push(PricingError::TooManyLines { max: MAX_LINES });
        return Err(errors);
    }
    let menu = site.menu_of(location);
    let lang = site.default_language();
    let mut lines = Vec::with_capacity(cart.lines.len());
    for (index, line) in cart.lines.iter().enumerate() {
        let found = menu.and_then(|m| m.dish(&line.dish));
        let Some((category, dish)) = found else {
            errors.push(PricingError::UnknownDish {
                line: index,
                dish: line.dish.clone(),
            });
            continue;
        };
        if let Some(priced) = price_line(
            site,
            index,
            line,
            category,
            dish,
            sold_out,
            service_time,
            tz,
            lang,
            &mut errors,
        ) {
            lines.push(priced);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let subtotal: Minor = lines.iter().fold(0, |sum, l| sum.saturating_add(l.total));
    let (discount, coupon) = match &cart.coupon {
        Some(code) if !code.trim().is_empty() => {
            // A coupon is valid when the diner orders, whatever the pickup time.
            apply_coupon(site, code, &cart.location, &lines, now, diner)
        }
        _ => (0, None),
    };
    let charges = &site.settings.charges;
    let after_discount = subtotal - discount;
    let service_charge = match cart.fulfilment {
        Fulfilment::DineIn { .. } => charges
            .rounding
            .apply_rate(after_discount, charges.service_charge),
        Fulfilment::Pickup { .. } => 0,
    };
    let base = after_discount.saturating_add(service_charge);
    let (tax, total) = if charges.tax_inclusive {
        let tax = charges.rounding.divide(
            i128::from(base) * i128::from(charges.tax_rate),
            10_000 + i128::from(charges.tax_rate),
        );
        (tax, base)
    } else {
        let tax = charges.rounding.apply_rate(base, charges.tax_rate);
        (tax, base.saturating_add(tax))
    };
    Ok(Quote {
        currency: site.settings.currency.code.clone(),
        lines,
        subtotal,
        discount,
        service_charge,
        tax,
        tax_inclusive: charges.tax_inclusive,
        total,
        coupon,
    })
}

/// Checks how the order is served; returns the instant the food is for.
fn check_fulfilment(
    location: &Location,
    fulfilment: &Fulfilment,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    errors: &mut Vec<PricingError>,
) -> DateTime<Utc> {
    match fulfilment {
        Fulfilment::DineIn { table } => {
            if !location.dine_in {
                errors.push(PricingError::FulfilmentNotOffered {
                    mode: "dine_in".into(),
                });
            } else if !location.tables.iter().any(|t| t == table) {
                errors.push(PricingError::UnknownTable {
                    table: table.clone(),
                });
            } else if !location.is_open(now, tz) {
                errors.push(PricingError::ShopClosed);
            }
            now
        }
        Fulfilment::Pickup { slot } => {
            match &location.pickup {
                None => errors.push(PricingError::FulfilmentNotOffered {
                    mode: "pickup".into(),
                }),
                Some(pickup) => {
                    if *slot < now + Duration::minutes(i64::from(pickup.lead_minutes)) {
                        errors.push(PricingError::SlotTooSoon);
                    } else if !pickup.within_horizon(*slot, now, tz) {
                        errors.push(PricingError::SlotTooFar {
                            days_ahead: pickup.days_ahead,
                        });
                    } else if !slot_aligned(*slot, pickup.slot_minutes, tz) {
                        errors.push(PricingError::SlotNotAligned);
                    } else if !location.is_open(*slot, tz) {
                        errors.push(PricingError::SlotClosed);
                    }
                }
            }
            *slot
        }
    }
}

/// Whether a slot starts on a multiple of `slot_minutes` after local midnight.
pub fn slot_aligned(slot: DateTime<Utc>, slot_minutes: u32, tz: chrono_tz::Tz) -> bool {
    let local = slot.with_timezone(&tz);
    let minutes = local.hour() * 60 + local.minute();
    slot_minutes > 0
        && local.second() == 0
        && local.nanosecond() == 0
        && minutes.is_multiple_of(slot_minutes)
}

/// The longest look-ahead [`pickup_slots`] serves, in hours (31 days).
pub const MAX_PICKUP_HORIZON_HOURS: u32 = 31 * 24;

/// The pickup slots a location offers from `now` until `horizon_hours` later (capacity not considered).
///
/// Slots start on multiples of `slot_minutes` after local midnight in `tz` (exactly
/// what [`slot_aligned`] accepts, so [`price`] takes every slot offered), no sooner
/// than the lead time, and only while the location is open. Local times skipped by a
/// daylight-saving change are not offered; a local time that happens twice is offered
/// twice. The horizon is capped at [`MAX_PICKUP_HORIZON_HOURS`]. Sorted, no duplicates.
pub fn pickup_slots(
    location: &Location,
    now: DateTime<Utc>,
    horizon_hours: u32,
    tz: chrono_tz::Tz,
) -> Vec<DateTime<Utc>> {
    let Some(pickup) = location.pickup else {
        return Vec::new();
    };
    if pickup.slot_minutes == 0 {
        return Vec::new();
    }
    let horizon = horizon_hours.min(MAX_PICKUP_HORIZON_HOURS);
    let (Some(earliest), Some(end)) = (
        now.checked_add_signed(Duration::minutes(i64::from(pickup.lead_minutes))),
        now.checked_add_signed(Duration::hours(i64::from(horizon))),
    ) else {
        return Vec::new();
    };
    // Stepping a fixed duration from the first slot would drift off the local grid
    // at midnight (when slot_minutes does not divide a day) and at DST changes, so
    // walk the local grid day by day instead.
    let mut slots = Vec::new();
    let mut day = earliest.with_timezone(&tz).date_naive();
    let last_day = end.with_timezone(&tz).date_naive();
    while day <= last_day {
        for minute in (0..24 * 60).step_by(pickup.slot_minutes as usize) {
            let Some(naive) = day.and_hms_opt(minute / 60, minute % 60, 0) else {
                continue;
            };
            let candidates: Vec<DateTime<Utc>> = match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
                LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
                LocalResult::None => Vec::new(),
            };
            slots.extend(
                candidates
                    .into_iter()
                    .filter(|s| *s >= earliest && *s <= end && location.is_open(*s, tz)),
            );
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    slots.sort();
    slots.dedup();
    slots
}

#[allow(clippy::too_many_arguments)]
fn price_line(
    site: &Site,
    index: usize,
    line: &CartLine,
    category: &Category,
    dish: &Dish,
    sold_out: &SoldOut,
    at: DateTime<Utc>,
    tz: chrono_tz::Tz,
    lang: &str,
    errors: &mut Vec<PricingError>,
) -> Option<PricedLine> {
    let before = errors.len();
    if line.quantity == 0 || line.quantity > MAX_QUANTITY {
        errors.push(PricingError::BadQuantity {
            line: index,
            max: MAX_QUANTITY,
        });
    }
    if sold_out.dish(dish) {
        errors.push(PricingError::SoldOut {
            line: index,
            dish: dish.id.clone(),
        });
    }
    let window_closed =
        |w: &Option<crate::schedule::Window>| w.as_ref().is_some_and(|w| !w.is_open(at, tz));
    if window_closed(&category.available) || window_closed(&dish.available) {
        errors.push(PricingError::Unavailable {
            line: index,
            dish: dish.id.clone(),
        });
    }
    let mut picker = Picker {
        site,
        line,
        index,
        sold_out,
        errors,
        options: Vec::new(),
        seen: Vec::new(),
    };
    for group in &dish.options {
        picker.group(&group.id, dish, group, true);
    }
    let Picker { options, seen, .. } = picker;
    for chosen in &line.options {
        if !seen.contains(&chosen.group.as_str()) {
            errors.push(PricingError::UnknownGroup {
                line: index,
                dish: dish.id.clone(),
                group: chosen.group.clone(),
            });
        }
    }
    if errors.len() > before {
        return None;
    }
    // A negative delta ("no rice") can make a dish cheaper, never cost less than nothing.
    // Saturating sums keep content beyond MAX_AMOUNT from panicking; checked content
    // never comes near i64::MAX.
    let unit_price = options
        .iter()
        .fold(dish.price, |sum, o| sum.saturating_add(o.price_delta))
        .max(0);
    Some(PricedLine {
        dish: dish.id.clone(),
        category: category.id.clone(),
        name: dish.name.get(lang, lang).to_owned(),
        quantity: line.quantity,
        unit_price,
        total: unit_price.saturating_mul(Minor::from(line.quantity)),
        options,
    })
}

/// Reads one cart line's picks, group by group, into priced choices and errors.
struct Picker<'a, 'e> {
    site: &'a Site,
    line: &'a CartLine,
    index: usize,
    sold_out: &'a SoldOut,
    errors: &'e mut Vec<PricingError>,
    options: Vec<PricedChoice>,
    /// The group keys read so far; any other key in the line is unknown.
    seen: Vec<&'a str>,
}

impl<'a> Picker<'a, '_> {
    /// Reads the picks of `group` (of dish `owner`) under `key`. In a set meal
    /// (`nest`), each picked choice that stands for a dish is followed by that
    /// dish's own groups under their nested keys, so its spice or size reaches
    /// the kitchen and is priced here like any other choice.
    fn group(&mut self, key: &str, owner: &'a Dish, group: &'a OptionGroup, nest: bool) {
        let index = self.index;
        let picked: Vec<&'a String> = self
            .line
            .options
            .iter()
            .filter(|c| c.group == key)
            .flat_map(|c| c.choices.iter())
            .collect();
        if let Some(chosen) = self.line.options.iter().find(|c| c.group == key) {
            self.seen.push(chosen.group.as_str());
        }
        let mut unique = HashSet::new();
        for choice_id in &picked {
            if !unique.insert(choice_id.as_str()) {
                self.errors.push(PricingError::DuplicateChoice {
                    line: index,
                    group: key.to_owned(),
                    choice: (*choice_id).clone(),
                });
                continue;
            }
            let Some(choice) = group.choices.iter().find(|c| &c.id == *choice_id) else {
                self.errors.push(PricingError::UnknownChoice {
                    line: index,
                    group: key.to_owned(),
                    choice: (*choice_id).clone(),
                });
                continue;
            };
            // A combo choice stands for a dish: it is out when that dish is, whether
            // staff switched it off or the content marks it sold out.
            let stands_for = choice.dish.as_deref().and_then(|d| self.site.dish(d));
            let combo_dish_out = choice.dish.as_ref().is_some_and(|d| {
                self.sold_out.dishes.contains(d) || stands_for.is_some_and(|(_, out)| out.sold_out)
            });
            if choice.sold_out
                || combo_dish_out
                || self
                    .sold_out
                    .choices
                    .contains(&SoldOut::choice_key(&owner.id, &group.id, &choice.id))
            {
                self.errors.push(PricingError::ChoiceSoldOut {
                    line: index,
                    group: key.to_owned(),
                    choice: choice.id.clone(),
                });
            }
            let lang = self.site.default_language();
            self.options.push(PricedChoice {
                group: key.to_owned(),
                choice: choice.id.clone(),
                name: choice.name.get(lang, lang).to_owned(),
                price_delta: choice.price_delta,
            });
            if let (true, Some((_, chosen))) = (nest, stands_for) {
                for inner in &chosen.options {
                    let nested = crate::menu::nested_group_key(key, &choice.id, &inner.id);
                    self.group(&nested, chosen, inner, false);
                }
            }
        }
        let count = picked.len() as u32;
        if count < group.min {
            self.errors.push(PricingError::OptionTooFew {
                line: index,
                group: key.to_owned(),
                min: group.min,
            });
        }
        if count > group.max {
            self.errors.push(PricingError::OptionTooMany {
                line: index,
                group: key.to_owned(),
                max: group.max,
            });
        }
    }
}

/// The discount a coupon gives on priced lines, or why it gives none.
fn apply_coupon(
    site: &Site,
    code: &str,
    location: &str,
    lines: &[PricedLine],
    at: DateTime<Utc>,
    diner: &Diner,
) -> (Minor, Option<CouponOutcome>) {
    let code_shown = code.trim().to_owned();
    let Some((campaign, coupon)) = site.coupon(code) else {
        return (
            0,
            Some(CouponOutcome::Rejected {
                code: code_shown,
                reason: CouponRejection::Unknown,
            }),
        );
    };
    match coupon_discount_for(
        coupon,
        location,
        lines,
        at,
        site.settings.timezone,
        site.settings.charges.rounding,
        diner,
    ) {
        Ok(discount) => (
            discount,
            Some(CouponOutcome::Applied {
                code: coupon.code.clone(),
                campaign: campaign.id.clone(),
                discount,
            }),
        ),
        Err(reason) => (
            0,
            Some(CouponOutcome::Rejected {
                code: coupon.code.clone(),
                reason,
            }),
        ),
    }
}

/// The discount of `coupon` on `lines` at `at` for an anonymous diner: never
/// negative, never above its cap or the eligible subtotal.
pub fn coupon_discount(
    coupon: &Coupon,
    location: &str,
    lines: &[PricedLine],
    at: DateTime<Utc>,
    tz: chrono_tz::Tz,
    rounding: crate::money::Rounding,
) -> Result<Minor, CouponRejection> {
    coupon_discount_for(coupon, location, lines, at, tz, rounding, &Diner::default())
}

/// Checks the rules of `coupon` that do not depend on a cart: validity
/// window, hours, location, and who the diner is.
pub fn coupon_applies(
    coupon: &Coupon,
    location: &str,
    at: DateTime<Utc>,
    tz: chrono_tz::Tz,
    diner: &Diner,
) -> Result<(), CouponRejection> {
    if coupon.valid_from.is_some_and(|from| at < from) {
        return Err(CouponRejection::NotYetValid);
    }
    if coupon.valid_until.is_some_and(|until| at >= until) {
        return Err(CouponRejection::Expired);
    }
    if coupon.hours.as_ref().is_some_and(|w| !w.is_open(at, tz)) {
        return Err(CouponRejection::OutsideHours);
    }
    if !coupon.scope.locations.is_empty() && !coupon.scope.locations.iter().any(|l| l == location) {
        return Err(CouponRejection::WrongLocation);
    }
    // A first order can only be told for a member: anonymous diners could
    // claim every order is their first.
    if (coupon.members_only || coupon.first_order_only) && !diner.member {
        return Err(CouponRejection::MembersOnly);
    }
    if coupon.first_order_only && !diner.first_order {
        return Err(CouponRejection::FirstOrderOnly);
    }
    Ok(())
}

/// The discount of `coupon` on `lines` at `at` for `diner`: never negative,
/// never above its cap or the eligible subtotal.
pub fn coupon_discount_for(
    coupon: &Coupon,
    location: &str,
    lines: &[PricedLine],
    at: DateTime<Utc>,
    tz: chrono_tz::Tz,
    rounding: crate::money::Rounding,
    diner: &Diner,
) -> Result<Minor, CouponRejection> {
    coupon_applies(coupon, location, at, tz, diner)?;
    let eligible: Vec<&PricedLine> = lines
        .iter()
        .filter(|l| coupon.scope.covers(&l.dish, &l.category))
        .collect();
    if eligible.is_empty() {
        return Err(CouponRejection::NothingInScope);
    }
    let eligible_total: Minor = eligible
        .iter()
        .fold(0, |sum, l| sum.saturating_add(l.total));
    if eligible_total < coupon.min_spend {
        return Err(CouponRejection::BelowMinimum {
            min_spend: coupon.min_spend,
            eligible: eligible_total,
        });
    }
    let raw = match &coupon.kind {
        CouponKind::PercentOff { percent } => rounding.apply_rate(eligible_total, *percent),
        CouponKind::AmountOff { amount } => *amount,
        CouponKind::FreeItem { dish } => {
            let unit = eligible
                .iter()
                .filter(|l| &l.dish == dish)
                .map(|l| l.unit_price)
                .min();
            match unit {
                Some(unit) => unit,
                None => return Err(CouponRejection::FreeItemNotInCart { dish: dish.clone() }),
            }
        }
        CouponKind::BuyXGetY { buy, get, max_free } => {
            let units: Vec<(Minor, u32)> = eligible
                .iter()
                .map(|l| (l.unit_price, l.quantity))
                .collect();
            buy_x_get_y_discount(&units, *buy, *get, *max_free)?
        }
    };
    let capped = coupon.max_discount.map_or(raw, |cap| raw.min(cap));
    // Not `clamp`: it panics when the bound is below zero (lines built by hand).
    Ok(capped.min(eligible_total).max(0))
}

/// What "buy `buy`, get `get` free" takes off units `(unit price, quantity)`:
/// for each full group of `buy + get` units, `get` units are free, at most
/// `max_free`, and the free ones are the cheapest.
pub fn buy_x_get_y_discount(
    units: &[(Minor, u32)],
    buy: u32,
    get: u32,
    max_free: Option<u32>,
) -> Result<Minor, CouponRejection> {
    let group = u64::from(buy) + u64::from(get);
    let have: u64 = units.iter().map(|(_, q)| u64::from(*q)).sum();
    if get == 0 || have < group {
        return Err(CouponRejection::NotEnoughItems {
            needed: u32::try_from(group).unwrap_or(u32::MAX),
            have: u32::try_from(have).unwrap_or(u32::MAX),
        });
    }
    let mut free = (have / group) * u64::from(get);
    if let Some(cap) = max_free {
        free = free.min(u64::from(cap));
    }
    let mut cheapest: Vec<(Minor, u32)> = units.to_vec();
    cheapest.sort_by_key(|(price, _)| *price);
    let mut discount: Minor = 0;
    for (price, quantity) in cheapest {
        if free == 0 {
            break;
        }
        let take = free.min(u64::from(quantity));
        free -= take;
        let take = Minor::try_from(take).unwrap_or(Minor::MAX);
        discount = discount.saturating_add(price.max(0).saturating_mul(take));
    }
    Ok(discount)
}

/// What a coupon grants at the counter on an in-store spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterGrant {
    /// Taken off the spend, in minor units.
    pub discount: Minor,
    /// The spend after the discount.
    pub to_pay: Minor,
    /// A dish to hand over for free (free_item coupons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_dish: Option<String>,
    /// For buy_x_get_y coupons, which the spend alone cannot price: the rule
    /// the staff applies at the till (the discount is then 0 here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<CouponKind>,
}

/// What `coupon` grants at the counter on an in-store spend of `amount`
/// (the whole bill is taken as in scope), by the same rules as online.
///
/// A percent or amount off is computed on `amount`; a free item is worth the
/// dish's price at `location`; a buy-x-get-y needs the bill's items, so only
/// its rule is returned.
pub fn counter_grant(
    site: &Site,
    coupon: &Coupon,
    location: &str,
    amount: Minor,
    at: DateTime<Utc>,
    diner: &Diner,
) -> Result<CounterGrant, CouponRejection> {
    let tz = site.settings.timezone;
    coupon_applies(coupon, location, at, tz, diner)?;
    let amount = amount.max(0);
    if amount < coupon.min_spend {
        return Err(CouponRejection::BelowMinimum {
            min_spend: coupon.min_spend,
            eligible: amount,
        });
    }
    let rounding = site.settings.charges.rounding;
    let (raw, free_dish, rule) = match &coupon.kind {
        CouponKind::PercentOff { percent } => (rounding.apply_rate(amount, *percent), None, None),
        CouponKind::AmountOff { amount: off } => (*off, None, None),
        CouponKind::FreeItem { dish } => {
            let price = site
                .location(location)
                .and_then(|l| site.menu_of(l))
                .and_then(|m| m.dish(dish))
                .or_else(|| site.dish(dish))
                .map(|(_, d)| d.price)
                .unwrap_or(0);
            (price, Some(dish.clone()), None)
        }
        CouponKind::BuyXGetY { .. } => (0, None, Some(coupon.kind.clone())),
    };
    let capped = coupon.max_discount.map_or(raw, |cap| raw.min(cap));
    // A free item is handed over whatever the spend; money off never exceeds it.
    let discount = if free_dish.is_some() {
        capped.max(0)
    } else {
        capped.min(amount).max(0)
    };
    Ok(CounterGrant {
        discount,
        to_pay: (amount - discount).max(0),
        free_dish,
        rule,
    })
}
