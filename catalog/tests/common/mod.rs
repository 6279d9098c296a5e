//! A small noodle shop in Shanghai, built in Rust, shared by the pricing tests.
//!
//! Times are written in Shanghai local time (UTC+8, no DST) through [`local`], so
//! a test reads like the shop's clock.

// Each test crate uses a different part of the fixture.
#![allow(dead_code)]

use catalog::{
    Campaign, Cart, CartLine, Category, Charges, Choice, ChosenOptions, Coupon, CouponKind,
    Currency, Dish, Fulfilment, Issue, Localized, Location, Menu, OptionGroup, Pickup, Rounding,
    Scope, Settings, Site, TimeRange, Window,
};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The fixture's timezone.
pub const TZ: Tz = chrono_tz::Asia::Shanghai;

/// A wall-clock time in Shanghai as an instant.
pub fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("Shanghai has no DST, every local time exists once")
        .with_timezone(&Utc)
}

/// Wednesday 4 March 2026, 12:00 in Shanghai: lunch, breakfast is over.
pub fn lunch() -> DateTime<Utc> {
    local(2026, 3, 4, 12, 0)
}

/// Wednesday 4 March 2026, 09:00 in Shanghai: breakfast is served.
pub fn breakfast() -> DateTime<Utc> {
    local(2026, 3, 4, 9, 0)
}

/// A time of day.
pub fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

/// Every day, `from` until `until`.
pub fn daily(from: NaiveTime, until: NaiveTime) -> Window {
    Window {
        days: vec![],
        hours: vec![TimeRange { from, until }],
    }
}

/// English and Chinese text.
pub fn text(en: &str) -> Localized {
    [
        ("en".to_owned(), en.to_owned()),
        ("zh".to_owned(), format!("{en}（中）")),
    ]
    .into_iter()
    .collect()
}

/// A dish with no options.
pub fn dish(id: &str, price: i64) -> Dish {
    Dish {
        id: id.to_owned(),
        name: text(id),
        description: Localized::default(),
        price,
        image: None,
        tags: vec![],
        allergens: vec![],
        options: vec![],
        available: None,
        sold_out: false,
        combo: false,
    }
}

/// A choice with a price delta.
pub fn choice(id: &str, price_delta: i64) -> Choice {
    Choice {
        id: id.to_owned(),
        name: text(id),
        price_delta,
        sold_out: false,
        dish: None,
    }
}

/// A combo choice standing for `dish`.
pub fn combo_choice(id: &str, dish: &str) -> Choice {
    Choice {
        dish: Some(dish.to_owned()),
        ..choice(id, 0)
    }
}

/// An option group.
pub fn group(id: &str, min: u32, max: u32, choices: Vec<Choice>) -> OptionGroup {
    OptionGroup {
        id: id.to_owned(),
        name: text(id),
        min,
        max,
        choices,
    }
}

/// A category that is always available.
pub fn category(id: &str, dishes: Vec<Dish>) -> Category {
    Category {
        id: id.to_owned(),
        name: text(id),
        available: None,
        dishes,
    }
}

/// A coupon with only a code and a kind; the rest open.
pub fn coupon(code: &str, kind: CouponKind) -> Coupon {
    Coupon {
        code: code.to_owned(),
        kind,
        min_spend: 0,
        max_discount: None,
        scope: Scope::default(),
        valid_from: None,
        valid_until: None,
        hours: None,
        budget: None,
        per_member: None,
        issue: Issue::Shared,
        budget_amount: None,
        first_order_only: false,
        members_only: false,
    }
}

/// Site settings in CNY (2 decimals), Shanghai, no charges.
pub fn settings() -> Settings {
    Settings {
        name: text("Noodle House"),
        languages: vec!["zh".to_owned(), "en".to_owned()],
        currency: Currency::from_code("CNY").expect("CNY is known"),
        timezone: TZ,
        base_url: "https://noodles.example".to_owned(),
        description: Localized::default(),
        charges: Charges::default(),
        theme: "default".to_owned(),
        age_warnings: Default::default(),
        labels: Default::default(),
    }
}

/// A location serving menu `main`, open every day 07:00–22:00.
pub fn location(id: &str) -> Location {
    Location {
        id: id.to_owned(),
        name: text(id),
        address: text("1 Nanjing Road"),
        phone: None,
        hours: vec![daily(hm(7, 0), hm(22, 0))],
        tables: vec![],
        dine_in: false,
        pickup: None,
        menu: "main".to_owned(),
        order_prefix: id[..1].to_ascii_uppercase(),
        payment: Default::default(),
    }
}

/// The fixture site.
///
/// Locations:
/// - `central`: 07:00–22:00, dine-in at tables 1, 2, A3; pickup in 15-minute slots, 20 minutes lead.
/// - `bar`: 07:00–22:00, dine-in at table B1 only, no pickup.
/// - `kiosk`: 07:00–22:00, pickup only (10-minute slots, no lead).
///
/// Menu `main` (prices in fen):
/// - `breakfast` (07:00–10:30): `congee` 8.00
/// - `noodles`: `beef-noodles` 32.00 with `size` (exactly 1: regular +0, large +5.00),
///   `spice` (0–1: mild, hot), `toppings` (0–2: egg +2.00, tofu +3.00, pork +6.00 sold out);
///   `dan-dan` 28.00; `cold-noodles` 20.00 (sold out in the content)
/// - `drinks`: `tea` 6.00, `cola` 5.00
/// - `sets`: `lunch-set` 45.00, a combo: `main` (exactly 1: beef → beef-noodles,
///   dandan → dan-dan, cold → cold-noodles) and `drink` (exactly 1: tea, cola)
///
/// Campaign `launch`, coupons:
/// - `WELCOME10`: 10% off, at most 5.00
/// - `MINUS5`: 5.00 off from 30.00
/// - `FREETEA`: a tea for free
/// - `NOODLE20`: 20% off the `noodles` category
/// - `DANDAN`: 10.00 off dan-dan noodles only
/// - `CENTRAL`: 3.00 off, only at `central`
/// - `SPRING`: 10% off from 2026-03-01 10:00 (inclusive) to 2026-04-01 10:00 (exclusive), Shanghai time
/// - `TEATIME`: 2.00 off between 14:00 and 17:00
pub fn site() -> Site {
    let mut pork = choice("pork", 600);
    pork.sold_out = true;
    let beef_noodles = Dish {
        options: vec![
            group(
                "size",
                1,
                1,
                vec![choice("regular", 0), choice("large", 500)],
            ),
            group("spice", 0, 1, vec![choice("mild", 0), choice("hot", 0)]),
            group(
                "toppings",
                0,
                2,
                vec![choice("egg", 200), choice("tofu", 300), pork],
            ),
        ],
        ..dish("beef-noodles", 3200)
    };
    let cold_noodles = Dish {
        sold_out: true,
        ..dish("cold-noodles", 2000)
    };
    let lunch_set = Dish {
        combo: true,
        options: vec![
            group(
                "main",
                1,
                1,
                vec![
                    combo_choice("beef", "beef-noodles"),
                    combo_choice("dandan", "dan-dan"),
                    combo_choice("cold", "cold-noodles"),
                ],
            ),
            group(
                "drink",
                1,
                1,
                vec![combo_choice("tea", "tea"), combo_choice("cola", "cola")],
            ),
        ],
        ..dish("lunch-set", 4500)
    };
    let menu = Menu {
        id: "main".to_owned(),
        name: text("Main menu"),
        categories: vec![
            Category {
                available: Some(daily(hm(7, 0), hm(10, 30))),
                ..category("breakfast", vec![dish("congee", 800)])
            },
            category(
                "noodles",
                vec![beef_noodles, dish("dan-dan", 2800), cold_noodles],
            ),
            category("drinks", vec![dish("tea", 600), dish("cola", 500)]),
            category("sets", vec![lunch_set]),
        ],
    };
    let central = Location {
        tables: vec!["1".into(), "2".into(), "A3".into()],
        dine_in: true,
        pickup: Some(Pickup {
            slot_minutes: 15,
            capacity: 5,
            lead_minutes: 20,
            days_ahead: 1,
        }),
        ..location("central")
    };
    let bar = Location {
        tables: vec!["B1".into()],
        dine_in: true,
        ..location("bar")
    };
    let kiosk = Location {
        pickup: Some(Pickup {
            slot_minutes: 10,
            capacity: 3,
            lead_minutes: 0,
            days_ahead: 1,
        }),
        ..location("kiosk")
    };
    let coupons = vec![
        Coupon {
            max_discount: Some(500),
            ..coupon("WELCOME10", CouponKind::PercentOff { percent: 1000 })
        },
        Coupon {
            min_spend: 3000,
            ..coupon("MINUS5", CouponKind::AmountOff { amount: 500 })
        },
        coupon("FREETEA", CouponKind::FreeItem { dish: "tea".into() }),
        Coupon {
            scope: Scope {
                categories: vec!["noodles".into()],
                ..Scope::default()
            },
            ..coupon("NOODLE20", CouponKind::PercentOff { percent: 2000 })
        },
        Coupon {
            scope: Scope {
                dishes: vec!["dan-dan".into()],
                ..Scope::default()
            },
            ..coupon("DANDAN", CouponKind::AmountOff { amount: 1000 })
        },
        Coupon {
            scope: Scope {
                locations: vec!["central".into()],
                ..Scope::default()
            },
            ..coupon("CENTRAL", CouponKind::AmountOff { amount: 300 })
        },
        Coupon {
            valid_from: Some(local(2026, 3, 1, 10, 0)),
            valid_until: Some(local(2026, 4, 1, 10, 0)),
            ..coupon("SPRING", CouponKind::PercentOff { percent: 1000 })
        },
        Coupon {
            hours: Some(daily(hm(14, 0), hm(17, 0))),
            ..coupon("TEATIME", CouponKind::AmountOff { amount: 200 })
        },
    ];
    Site {
        settings: settings(),
        locations: vec![central, bar, kiosk],
        menus: vec![menu],
        campaigns: vec![Campaign {
            id: "launch".to_owned(),
            name: text("Launch"),
            channels: vec![],
            coupons,
        }],
        pages: vec![],
    }
}

/// The fixture site with other charges.
pub fn site_with_charges(
    service_charge: u32,
    tax_rate: u32,
    tax_inclusive: bool,
    rounding: Rounding,
) -> Site {
    let mut site = site();
    site.settings.charges = Charges {
        service_charge,
        tax_rate,
        tax_inclusive,
        rounding,
    };
    site
}

/// Sets the price of a dish of the fixture menu.
pub fn set_price(site: &mut Site, dish: &str, price: i64) {
    let found = site
        .menus
        .iter_mut()
        .flat_map(|m| m.categories.iter_mut())
        .flat_map(|c| c.dishes.iter_mut())
        .find(|d| d.id == dish)
        .expect("dish of the fixture");
    found.price = price;
}

/// Dine-in at table `table`.
pub fn table(table: &str) -> Fulfilment {
    Fulfilment::DineIn {
        table: table.to_owned(),
    }
}

/// Pickup in the slot starting at `slot`.
pub fn pickup(slot: DateTime<Utc>) -> Fulfilment {
    Fulfilment::Pickup { slot }
}

/// A line without options.
pub fn line(dish: &str, quantity: u32) -> CartLine {
    CartLine {
        dish: dish.to_owned(),
        quantity,
        options: vec![],
    }
}

/// A line with options, given as `(group, [choices])`.
pub fn line_with(dish: &str, quantity: u32, options: &[(&str, &[&str])]) -> CartLine {
    CartLine {
        dish: dish.to_owned(),
        quantity,
        options: options
            .iter()
            .map(|(group, choices)| ChosenOptions {
                group: (*group).to_owned(),
                choices: choices.iter().map(|c| (*c).to_owned()).collect(),
            })
            .collect(),
    }
}

/// A cart at `central`, table 1, without a coupon.
pub fn cart(lines: Vec<CartLine>) -> Cart {
    Cart {
        location: "central".to_owned(),
        fulfilment: table("1"),
        lines,
        coupon: None,
    }
}

/// A cart at `central`, table 1, with a coupon code.
pub fn cart_with_coupon(code: &str, lines: Vec<CartLine>) -> Cart {
    Cart {
        coupon: Some(code.to_owned()),
        ..cart(lines)
    }
}
