//! Properties of `price` over generated menus, coupons, charges and carts.
//!
//! The cart is generated as raw selectors (indexes, counts) and resolved against
//! the generated site, so lines name real dishes, groups and choices most of the
//! time and unknown ones some of the time.

mod common;

use std::collections::HashSet;

use catalog::pricing::{PricedLine, MAX_QUANTITY};
use catalog::{
    price, Cart, CartLine, Category, Charges, Choice, ChosenOptions, Coupon, CouponKind,
    CouponOutcome, Dish, Fulfilment, Location, Menu, OptionGroup, Pickup, PricingError, Rounding,
    Scope, Site, SoldOut, Window,
};
use chrono::{DateTime, Duration, Utc};
use common::*;
use proptest::prelude::*;

/// Prices up to the content limit (10^13 minor units), mostly small.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => 0i64..5_000,
        2 => 0i64..=catalog::money::MAX_AMOUNT,
        1 => Just(catalog::money::MAX_AMOUNT),
    ]
}

/// A choice delta: mostly zero or positive; a few "without" choices are negative.
fn delta() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => Just(0i64),
        4 => 0i64..2_000,
        1 => 0i64..=catalog::money::MAX_AMOUNT,
        1 => -5_000i64..0,
    ]
}

#[derive(Debug, Clone)]
struct RawGroup {
    min: u32,
    max: u32,
    choices: Vec<(i64, bool, Option<usize>)>,
}

fn raw_group() -> impl Strategy<Value = RawGroup> {
    prop::collection::vec(
        (
            delta(),
            prop::bool::weighted(0.1),
            prop::option::weighted(0.3, any::<usize>()),
        ),
        1..5,
    )
    .prop_flat_map(|choices| {
        let n = choices.len() as u32;
        (0..=n).prop_flat_map(move |min| {
            let choices = choices.clone();
            (min.max(1)..=n).prop_map(move |max| RawGroup {
                min,
                max,
                choices: choices.clone(),
            })
        })
    })
}

#[derive(Debug, Clone)]
struct RawDish {
    price: i64,
    sold_out: bool,
    groups: Vec<RawGroup>,
}

fn raw_dish() -> impl Strategy<Value = RawDish> {
    (
        amount(),
        prop::bool::weighted(0.05),
        prop::collection::vec(raw_group(), 0..4),
    )
        .prop_map(|(price, sold_out, groups)| RawDish {
            price,
            sold_out,
            groups,
        })
}

/// A selector for the dishes and categories a coupon covers.
#[derive(Debug, Clone)]
struct RawCoupon {
    kind: u8,
    value: i64,
    percent: u32,
    free: usize,
    min_spend: i64,
    cap: Option<i64>,
    dishes: Vec<usize>,
    categories: Vec<usize>,
}

fn raw_coupon() -> impl Strategy<Value = RawCoupon> {
    (
        0u8..3,
        amount(),
        0u32..=10_000,
        any::<usize>(),
        prop_oneof![3 => Just(0i64), 1 => amount()],
        prop::option::of(amount()),
        prop_oneof![2 => Just(vec![]), 1 => prop::collection::vec(any::<usize>(), 1..3)],
        prop_oneof![2 => Just(vec![]), 1 => prop::collection::vec(any::<usize>(), 1..2)],
    )
        .prop_map(
            |(kind, value, percent, free, min_spend, cap, dishes, categories)| RawCoupon {
                kind,
                value,
                percent,
                free,
                min_spend,
                cap,
                dishes,
                categories,
            },
        )
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop::sample::select(vec![Rounding::HalfUp, Rounding::HalfEven, Rounding::Down])
}

fn charges() -> impl Strategy<Value = Charges> {
    (0u32..=3_000, 0u32..=3_000, any::<bool>(), rounding()).prop_map(
        |(service_charge, tax_rate, tax_inclusive, rounding)| Charges {
            service_charge,
            tax_rate,
            tax_inclusive,
            rounding,
        },
    )
}

/// A generated site: one shop open around the clock, one menu, one campaign.
fn generated_site() -> impl Strategy<Value = Site> {
    (
        prop::collection::vec(prop::collection::vec(raw_dish(), 1..5), 1..4),
        prop::collection::vec(raw_coupon(), 1..4),
        charges(),
    )
        .prop_map(|(raw_categories, raw_coupons, charges)| {
            build_site(raw_categories, raw_coupons, charges)
        })
}

fn build_site(
    raw_categories: Vec<Vec<RawDish>>,
    raw_coupons: Vec<RawCoupon>,
    charges: Charges,
) -> Site {
    let dish_count: usize = raw_categories.iter().map(Vec::len).sum();
    let dish_id = |i: usize| format!("d{}", i % dish_count);
    let mut next = 0;
    let categories: Vec<Category> = raw_categories
        .into_iter()
        .enumerate()
        .map(|(c, dishes)| {
            let dishes = dishes
                .into_iter()
                .map(|raw| {
                    let id = format!("d{next}");
                    next += 1;
                    let options = raw
                        .groups
                        .into_iter()
                        .enumerate()
                        .map(|(g, group)| OptionGroup {
                            choices: group
                                .choices
                                .into_iter()
                                .enumerate()
                                .map(|(k, (price_delta, sold_out, combo))| Choice {
                                    price_delta,
                                    sold_out,
                                    dish: combo.map(dish_id),
                                    ..choice(&format!("c{k}"), 0)
                                })
                                .collect(),
                            min: group.min,
                            max: group.max,
                            ..common::group(&format!("g{g}"), 0, 0, vec![])
                        })
                        .collect();
                    Dish {
                        sold_out: raw.sold_out,
                        options,
                        ..dish(&id, raw.price)
                    }
                })
                .collect();
            category(&format!("cat{c}"), dishes)
        })
        .collect();
    let category_count = categories.len();
    let coupons = raw_coupons
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let kind = match raw.kind {
                0 => CouponKind::PercentOff {
                    percent: raw.percent,
                },
                1 => CouponKind::AmountOff { amount: raw.value },
                _ => CouponKind::FreeItem {
                    dish: dish_id(raw.free),
                },
            };
            Coupon {
                min_spend: raw.min_spend,
                max_discount: raw.cap,
                scope: Scope {
                    dishes: raw.dishes.into_iter().map(dish_id).collect(),
                    categories: raw
                        .categories
                        .into_iter()
                        .map(|c| format!("cat{}", c % category_count))
                        .collect(),
                    locations: vec![],
                },
                ..coupon(&format!("CODE{i}"), kind)
            }
        })
        .collect();
    let shop = Location {
        hours: vec![Window::default()],
        tables: vec!["T".into()],
        dine_in: true,
        pickup: Some(Pickup {
            slot_minutes: 15,
            capacity: 10,
            lead_minutes: 0,
            days_ahead: 1,
        }),
        ..location("shop")
    };
    let mut settings = settings();
    settings.charges = charges;
    Site {
        settings,
        locations: vec![shop],
        menus: vec![Menu {
            id: "main".into(),
            name: text("Menu"),
            categories,
        }],
        campaigns: vec![catalog::Campaign {
            id: "promo".into(),
            name: text("Promo"),
            channels: vec![],
            coupons,
        }],
        pages: vec![],
    }
}

/// A cart line as selectors: which dish, how many, which choices per group.
#[derive(Debug, Clone)]
struct RawLine {
    dish: usize,
    unknown_dish: bool,
    quantity: u32,
    /// Per group of the dish (by position): choice selectors; `usize::MAX` is an unknown choice.
    picks: Vec<Vec<usize>>,
    unknown_group: bool,
    /// Pick within each group's min and max, mostly avoiding sold-out choices, instead of `picks`.
    tidy: bool,
    /// Where tidy picking starts in each group.
    tidy_seed: usize,
}

fn quantity() -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => 1u32..=5,
        1 => 1u32..=MAX_QUANTITY,
        1 => prop::sample::select(vec![0, MAX_QUANTITY, MAX_QUANTITY + 1, u32::MAX]),
    ]
}

fn raw_line() -> impl Strategy<Value = RawLine> {
    (
        any::<usize>(),
        prop::bool::weighted(0.05),
        quantity(),
        prop::collection::vec(
            prop::collection::vec(prop_oneof![20 => 0usize..5, 1 => Just(usize::MAX)], 0..4),
            0..4,
        ),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.8),
        any::<usize>(),
    )
        .prop_map(
            |(dish, unknown_dish, quantity, picks, unknown_group, tidy, tidy_seed)| RawLine {
                dish,
                unknown_dish,
                quantity,
                picks,
                unknown_group,
                tidy,
                tidy_seed,
            },
        )
}

#[derive(Debug, Clone)]
struct Scenario {
    site: Site,
    sold_out: SoldOut,
    cart: Cart,
    now: DateTime<Utc>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        generated_site(),
        prop_oneof![
            1 => prop::collection::vec(raw_line(), 0..8),
            4 => prop::collection::vec(raw_line(), 1..4),
        ],
        prop::option::weighted(0.7, 0usize..4),
        any::<bool>(),
        prop_oneof![3 => Just(vec![]), 1 => prop::collection::vec(any::<usize>(), 1..3)],
        prop_oneof![3 => Just(vec![]), 1 => prop::collection::vec(any::<(usize, usize, usize)>(), 1..3)],
    )
        .prop_map(|(site, raw_lines, coupon, dine_in, out_dishes, out_choices)| {
            let dishes: Vec<&Dish> = site.menus[0].dishes().map(|(_, d)| d).collect();
            let sold_out = SoldOut {
                dishes: out_dishes
                    .iter()
                    .map(|i| dishes[i % dishes.len()].id.clone())
                    .collect(),
                choices: out_choices
                    .iter()
                    .filter_map(|&(d, g, c)| {
                        let dish = dishes[d % dishes.len()];
                        let group = dish.options.get(g % dish.options.len().max(1))?;
                        let choice = &group.choices[c % group.choices.len()];
                        Some(SoldOut::choice_key(&dish.id, &group.id, &choice.id))
                    })
                    .collect(),
            };
            let lines = raw_lines
                .into_iter()
                .map(|raw| resolve_line(&site, &sold_out, &dishes, raw))
                .collect();
            let now = lunch();
            let fulfilment = if dine_in {
                table("T")
            } else {
                pickup(now + Duration::minutes(30))
            };
            let coupon_count = site.campaigns[0].coupons.len();
            let cart = Cart {
                location: "shop".into(),
                fulfilment,
                lines,
                // Some codes beyond the campaign's: unknown.
                coupon: coupon.map(|i| {
                    if i < coupon_count {
                        format!("code{i}")
                    } else {
                        format!("NOPE{i}")
                    }
                }),
            };
            Scenario {
                site,
                sold_out,
                cart,
                now,
            }
        })
}

fn resolve_line(site: &Site, sold_out: &SoldOut, dishes: &[&Dish], raw: RawLine) -> CartLine {
    let dish = dishes[raw.dish % dishes.len()];
    let available = |owner: &Dish, group: &OptionGroup, choice: &Choice| {
        !choice.sold_out
            && !choice.dish.as_ref().is_some_and(|d| {
                sold_out.dishes.contains(d) || site.dish(d).is_some_and(|(_, c)| c.sold_out)
            })
            && !sold_out
                .choices
                .contains(&SoldOut::choice_key(&owner.id, &group.id, &choice.id))
    };
    let mut options: Vec<ChosenOptions> = if raw.tidy {
        let tidy = |owner: &Dish, key: String, group: &OptionGroup| {
            let span = (group.max - group.min + 1) as usize;
            let want = group.min as usize + raw.tidy_seed % span;
            let n = group.choices.len();
            ChosenOptions {
                group: key,
                choices: (0..n)
                    .map(|k| &group.choices[(raw.tidy_seed + k) % n])
                    // One time in four, do not look at what is sold out.
                    .filter(|c| raw.tidy_seed.is_multiple_of(4) || available(owner, group, c))
                    .take(want)
                    .map(|c| c.id.clone())
                    .collect(),
            }
        };
        let mut options = Vec::new();
        for group in &dish.options {
            let chosen = tidy(dish, group.id.clone(), group);
            // A set meal's picked dish brings its own groups (one time in eight, not).
            for id in &chosen.choices {
                let inner = group
                    .choices
                    .iter()
                    .find(|c| &c.id == id)
                    .and_then(|c| c.dish.as_ref())
                    .and_then(|d| site.dish(d));
                if let (Some((_, inner)), false) = (inner, raw.tidy_seed % 8 == 1) {
                    for g in &inner.options {
                        options.push(tidy(inner, format!("{}/{id}/{}", group.id, g.id), g));
                    }
                }
            }
            options.push(chosen);
        }
        options
    } else {
        dish.options
            .iter()
            .zip(raw.picks.iter())
            .map(|(group, picks)| ChosenOptions {
                group: group.id.clone(),
                choices: picks
                    .iter()
                    .map(|&k| {
                        if k == usize::MAX {
                            "ghost".to_owned()
                        } else {
                            group.choices[k % group.choices.len()].id.clone()
                        }
                    })
                    .collect(),
            })
            .collect()
    };
    if raw.unknown_group {
        options.push(ChosenOptions {
            group: "ghost".into(),
            choices: vec![],
        });
    }
    CartLine {
        dish: if raw.unknown_dish {
            "ghost".into()
        } else {
            dish.id.clone()
        },
        quantity: raw.quantity,
        options,
    }
}

/// What a line's options break, by an independent reading of the rules: whether
/// anything but a count is wrong, and each group key whose min (`false`) or max
/// (`true`) is broken, with the group's min and max. A set meal's picked dish
/// brings its own groups under `group/choice/inner`, one level deep.
#[allow(clippy::type_complexity)]
fn option_problems(
    site: &Site,
    sold_out: &SoldOut,
    dish: &Dish,
    line: &CartLine,
) -> (bool, Vec<(String, bool, u32, u32)>) {
    let mut other = false;
    let mut counts = Vec::new();
    let mut groups: Vec<(String, &Dish, &OptionGroup, bool)> = dish
        .options
        .iter()
        .map(|g| (g.id.clone(), dish, g, true))
        .collect();
    let mut read = 0;
    while let Some((key, owner, group, top)) = groups.get(read).cloned() {
        read += 1;
        let picked: Vec<&String> = line
            .options
            .iter()
            .filter(|c| c.group == key)
            .flat_map(|c| &c.choices)
            .collect();
        let unique: HashSet<&String> = picked.iter().copied().collect();
        if unique.len() != picked.len() {
            other = true;
        }
        for id in &unique {
            match group.choices.iter().find(|c| &&c.id == id) {
                None => other = true,
                Some(choice) => {
                    let stands_for = choice.dish.as_ref().and_then(|d| site.dish(d));
                    let combo_out = choice.dish.as_ref().is_some_and(|d| {
                        sold_out.dishes.contains(d)
                            || stands_for.is_some_and(|(_, dish)| dish.sold_out)
                    });
                    if choice.sold_out
                        || combo_out
                        || sold_out
                            .choices
                            .contains(&SoldOut::choice_key(&owner.id, &group.id, &choice.id))
                    {
                        other = true;
                    }
                    if let (true, Some((_, inner))) = (top, stands_for) {
                        groups.extend(
                            inner.options.iter().map(|g| {
                                (format!("{key}/{}/{}", choice.id, g.id), inner, g, false)
                            }),
                        );
                    }
                }
            }
        }
        let n = picked.len() as u32;
        if n < group.min {
            counts.push((key.clone(), false, group.min, group.max));
        }
        if n > group.max {
            counts.push((key.clone(), true, group.min, group.max));
        }
    }
    if line
        .options
        .iter()
        .any(|chosen| !groups.iter().any(|(key, ..)| *key == chosen.group))
    {
        other = true;
    }
    (other, counts)
}

fn eligible(coupon: &Coupon, lines: &[PricedLine]) -> i64 {
    lines
        .iter()
        .filter(|l| coupon.scope.covers(&l.dish, &l.category))
        .map(|l| l.total)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The arithmetic of an accepted quote.
    #[test]
    fn quotes_add_up(s in scenario()) {
        let Ok(q) = price(&s.site, &s.sold_out, &s.cart, s.now) else {
            return Ok(());
        };
        prop_assert!(q.subtotal >= 0 && q.discount >= 0 && q.service_charge >= 0 && q.tax >= 0);
        prop_assert!(q.total >= 0);
        // subtotal == sum of line totals == sum of unit price x quantity.
        let sum_totals: i64 = q.lines.iter().map(|l| l.total).sum();
        let sum_units: i64 = q.lines.iter().map(|l| l.unit_price * i64::from(l.quantity)).sum();
        prop_assert_eq!(q.subtotal, sum_totals);
        prop_assert_eq!(q.subtotal, sum_units);
        // Each unit price is the dish price plus the deltas, never below zero.
        for l in &q.lines {
            let (_, dish) = s.site.dish(&l.dish).expect("a priced dish exists");
            let deltas: i64 = l.options.iter().map(|o| o.price_delta).sum();
            prop_assert_eq!(l.unit_price, (dish.price + deltas).max(0));
            prop_assert!(l.quantity >= 1 && l.quantity <= MAX_QUANTITY);
        }
        let tax_added = if q.tax_inclusive { 0 } else { q.tax };
        prop_assert_eq!(q.total, q.subtotal - q.discount + q.service_charge + tax_added);
        if q.tax_inclusive {
            prop_assert!(q.tax <= q.total);
        }
        if matches!(s.cart.fulfilment, Fulfilment::Pickup { .. }) {
            prop_assert_eq!(q.service_charge, 0);
        }
        // The discount: only from an applied coupon, within its cap and its eligible lines.
        match &q.coupon {
            Some(CouponOutcome::Applied { code, discount, .. }) => {
                prop_assert_eq!(*discount, q.discount);
                let (_, coupon) = s.site.coupon(code).expect("applied coupon exists");
                if let Some(cap) = coupon.max_discount {
                    prop_assert!(q.discount <= cap);
                }
                prop_assert!(q.discount <= eligible(coupon, &q.lines));
                prop_assert!(q.discount <= q.subtotal);
                if let CouponKind::AmountOff { amount } = coupon.kind {
                    prop_assert!(q.discount <= amount);
                }
                if let CouponKind::PercentOff { percent } = coupon.kind {
                    // At most the percentage of the eligible subtotal, rounded up.
                    let exact = i128::from(eligible(coupon, &q.lines)) * i128::from(percent);
                    prop_assert!(i128::from(q.discount) * 10_000 <= exact + 9_999);
                }
            }
            Some(CouponOutcome::Rejected { .. }) | None => prop_assert_eq!(q.discount, 0),
        }
        prop_assert_eq!(q.coupon.is_some(), s.cart.coupon.is_some());
    }

    /// `price` accepts a cart exactly when every line is valid, and names every
    /// group whose min or max a line breaks.
    #[test]
    fn option_rules_are_enforced(s in scenario()) {
        let result = price(&s.site, &s.sold_out, &s.cart, s.now);
        let mut valid = !s.cart.lines.is_empty();
        let mut expected_counts = Vec::new();
        for (index, line) in s.cart.lines.iter().enumerate() {
            let Some((_, dish)) = s.site.dish(&line.dish) else {
                valid = false;
                continue;
            };
            if line.quantity == 0 || line.quantity > MAX_QUANTITY || s.sold_out.dish(dish) {
                valid = false;
            }
            let (other, counts) = option_problems(&s.site, &s.sold_out, dish, line);
            if other || !counts.is_empty() {
                valid = false;
            }
            for (group, too_many, min, max) in counts {
                expected_counts.push(if too_many {
                    PricingError::OptionTooMany { line: index, group, max }
                } else {
                    PricingError::OptionTooFew { line: index, group, min }
                });
            }
        }
        match result {
            Ok(q) => {
                prop_assert!(valid, "accepted an invalid cart");
                // Every line of an accepted cart picks within each group's min and max.
                for (line, priced) in s.cart.lines.iter().zip(&q.lines) {
                    let (_, dish) = s.site.dish(&line.dish).expect("exists");
                    for group in &dish.options {
                        let n = priced.options.iter().filter(|o| o.group == group.id).count() as u32;
                        prop_assert!(group.min <= n && n <= group.max);
                    }
                }
            }
            Err(errors) => {
                prop_assert!(!valid, "refused a valid cart: {:?}", errors);
                for expected in &expected_counts {
                    prop_assert!(errors.contains(expected), "missing {:?} in {:?}", expected, errors);
                }
                // And no min/max error that the rules do not call for.
                for error in &errors {
                    if matches!(error, PricingError::OptionTooFew { .. } | PricingError::OptionTooMany { .. }) {
                        prop_assert!(expected_counts.contains(error), "unexpected {:?}", error);
                    }
                }
            }
        }
    }

    /// Arbitrary ids, quantities and codes never make `price` panic.
    #[test]
    fn never_panics_on_arbitrary_input(
        site in generated_site(),
        location in prop_oneof![Just("shop".to_owned()), ".{0,8}"],
        lines in prop::collection::vec(
            (
                prop_oneof![Just("d0".to_owned()), Just("d1".to_owned()), ".{0,6}"],
                any::<u32>(),
                prop::collection::vec(
                    (prop_oneof![Just("g0".to_owned()), ".{0,3}"],
                     prop::collection::vec(prop_oneof![Just("c0".to_owned()), Just("c1".to_owned()), ".{0,3}"], 0..6)),
                    0..4,
                ),
            ),
            0..8,
        ),
        table_or_slot in prop_oneof![Just(None), (-10_000_000_000i64..10_000_000_000).prop_map(Some)],
        coupon in prop::option::of(prop_oneof![Just("code0".to_owned()), ".{0,10}"]),
        now_secs in -10_000_000_000i64..10_000_000_000,
    ) {
        let now = DateTime::from_timestamp(now_secs, 0).expect("in range");
        let fulfilment = match table_or_slot {
            None => table("T"),
            Some(secs) => pickup(DateTime::from_timestamp(secs, 0).expect("in range")),
        };
        let cart = Cart {
            location,
            fulfilment,
            lines: lines
                .into_iter()
                .map(|(dish, quantity, options)| CartLine {
                    dish,
                    quantity,
                    options: options
                        .into_iter()
                        .map(|(group, choices)| ChosenOptions { group, choices })
                        .collect(),
                })
                .collect(),
            coupon,
        };
        let _ = price(&site, &SoldOut::default(), &cart, now);
    }
}

/// The largest cart the rules allow, at the largest prices, adds up without overflow.
#[test]
fn the_largest_cart_at_the_largest_prices() {
    let max = catalog::money::MAX_AMOUNT;
    let mut site = build_site(
        vec![vec![RawDish {
            price: max,
            sold_out: false,
            groups: vec![RawGroup {
                min: 4,
                max: 4,
                choices: vec![(max, false, None); 4],
            }],
        }]],
        vec![RawCoupon {
            kind: 0,
            value: 0,
            percent: 10_000,
            free: 0,
            min_spend: 0,
            cap: None,
            dishes: vec![],
            categories: vec![],
        }],
        Charges {
            service_charge: 10_000,
            tax_rate: 10_000,
            tax_inclusive: false,
            rounding: Rounding::HalfUp,
        },
    );
    let line = line_with("d0", MAX_QUANTITY, &[("g0", &["c0", "c1", "c2", "c3"])]);
    let lines = vec![line; catalog::pricing::MAX_LINES];
    let cart = Cart {
        location: "shop".into(),
        fulfilment: table("T"),
        lines,
        coupon: None,
    };
    // 5 x 10^13 a unit, x 99 x 100 lines = 4.95 x 10^17; service 100% doubles it,
    // tax 100% doubles again: 1.98 x 10^18, inside i64.
    let quote = price(&site, &SoldOut::default(), &cart, lunch()).expect("priced");
    let subtotal = 5 * max * 99 * 100;
    assert_eq!(quote.subtotal, subtotal);
    assert_eq!(quote.service_charge, subtotal);
    assert_eq!(quote.tax, 2 * subtotal);
    assert_eq!(quote.total, 4 * subtotal);
    // With the 100% coupon: nothing to pay.
    let with_coupon = Cart {
        coupon: Some("CODE0".into()),
        ..cart
    };
    let free = price(&site, &SoldOut::default(), &with_coupon, lunch()).expect("priced");
    assert_eq!((free.discount, free.total), (subtotal, 0));
    // Content beyond the limit (built by hand, not loaded) saturates instead of panicking.
    site.menus[0].categories[0].dishes[0].price = i64::MAX;
    let huge = price(&site, &SoldOut::default(), &with_coupon, lunch()).expect("priced");
    assert!(huge.total >= 0);
}
