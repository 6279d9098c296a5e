//! `catalog::price` on the fixture noodle shop: every rule, with figures worked by hand.
//!
//! Amounts are fen (1/100 yuan) unless the test is about yen.

mod common;

use catalog::{
    price, Cart, CouponOutcome, CouponRejection, Currency, Fulfilment, PricingError, Quote,
    Rounding, Site, SoldOut,
};
use chrono::{DateTime, Duration, Utc};
use common::*;

fn quote(site: &Site, cart: &Cart, now: DateTime<Utc>) -> Quote {
    quote_with(site, &SoldOut::default(), cart, now)
}

fn quote_with(site: &Site, sold_out: &SoldOut, cart: &Cart, now: DateTime<Utc>) -> Quote {
    match price(site, sold_out, cart, now) {
        Ok(quote) => quote,
        Err(errors) => panic!("expected a quote, got {errors:?}"),
    }
}

fn errors(site: &Site, cart: &Cart, now: DateTime<Utc>) -> Vec<PricingError> {
    errors_with(site, &SoldOut::default(), cart, now)
}

fn errors_with(
    site: &Site,
    sold_out: &SoldOut,
    cart: &Cart,
    now: DateTime<Utc>,
) -> Vec<PricingError> {
    match price(site, sold_out, cart, now) {
        Ok(quote) => panic!("expected errors, got {quote:?}"),
        Err(errors) => errors,
    }
}

fn applied(code: &str, discount: i64) -> Option<CouponOutcome> {
    Some(CouponOutcome::Applied {
        code: code.to_owned(),
        campaign: "launch".to_owned(),
        discount,
    })
}

fn rejected(code: &str, reason: CouponRejection) -> Option<CouponOutcome> {
    Some(CouponOutcome::Rejected {
        code: code.to_owned(),
        reason,
    })
}

fn regular_beef(quantity: u32) -> catalog::CartLine {
    line_with("beef-noodles", quantity, &[("size", &["regular"])])
}

fn large_beef(quantity: u32) -> catalog::CartLine {
    line_with("beef-noodles", quantity, &[("size", &["large"])])
}

// ---- a plain cart ----

#[test]
fn prices_a_plain_cart_line_by_line() {
    // beef-noodles large: 3200 + 500 = 3700; + egg 200 = 3900 a bowl, x2 = 7800.
    // tea: 600 x3 = 1800. Subtotal 9600, no charges, total 9600.
    let cart = cart(vec![
        line_with(
            "beef-noodles",
            2,
            &[("size", &["large"]), ("toppings", &["egg"])],
        ),
        line("tea", 3),
    ]);
    let quote = quote(&site(), &cart, lunch());
    assert_eq!(quote.currency, "CNY");
    assert_eq!(quote.lines.len(), 2);
    let beef = &quote.lines[0];
    assert_eq!(beef.dish, "beef-noodles");
    assert_eq!(beef.category, "noodles");
    // Names come in the default language, the first listed (zh).
    assert_eq!(beef.name, "beef-noodles（中）");
    assert_eq!(beef.unit_price, 3900);
    assert_eq!(beef.total, 7800);
    let picked: Vec<(&str, &str, i64)> = beef
        .options
        .iter()
        .map(|o| (o.group.as_str(), o.choice.as_str(), o.price_delta))
        .collect();
    assert_eq!(
        picked,
        vec![("size", "large", 500), ("toppings", "egg", 200)]
    );
    assert_eq!(beef.options[0].name, "large（中）");
    assert_eq!(quote.lines[1].unit_price, 600);
    assert_eq!(quote.lines[1].total, 1800);
    assert_eq!(quote.subtotal, 9600);
    assert_eq!(quote.discount, 0);
    assert_eq!(quote.service_charge, 0);
    assert_eq!(quote.tax, 0);
    assert_eq!(quote.total, 9600);
    assert_eq!(quote.coupon, None);
}

#[test]
fn reports_every_line_error_at_once() {
    let cart = cart(vec![
        line("ramen", 1),
        line("tea", 0),
        line("beef-noodles", 1),
    ]);
    let errors = errors(&site(), &cart, lunch());
    assert_eq!(
        errors,
        vec![
            PricingError::UnknownDish {
                line: 0,
                dish: "ramen".into()
            },
            PricingError::BadQuantity { line: 1, max: 99 },
            PricingError::OptionTooFew {
                line: 2,
                group: "size".into(),
                min: 1
            },
        ]
    );
    let fields: Vec<String> = errors.iter().map(PricingError::field).collect();
    assert_eq!(
        fields,
        vec![
            "lines[0].dish",
            "lines[1].quantity",
            "lines[2].options.size"
        ]
    );
}

#[test]
fn an_empty_cart_is_refused() {
    assert_eq!(
        errors(&site(), &cart(vec![]), lunch()),
        vec![PricingError::EmptyCart]
    );
}

#[test]
fn too_many_lines_are_refused() {
    let lines = (0..=catalog::pricing::MAX_LINES)
        .map(|_| line("tea", 1))
        .collect();
    assert_eq!(
        errors(&site(), &cart(lines), lunch()),
        vec![PricingError::TooManyLines { max: 100 }]
    );
    let lines = (0..catalog::pricing::MAX_LINES)
        .map(|_| line("tea", 1))
        .collect();
    // 100 teas at 600.
    assert_eq!(quote(&site(), &cart(lines), lunch()).total, 60_000);
}

// ---- unknown ids ----

#[test]
fn unknown_location() {
    let cart = Cart {
        location: "nowhere".into(),
        ..cart(vec![line("tea", 1)])
    };
    let errors = errors(&site(), &cart, lunch());
    assert_eq!(
        errors,
        vec![PricingError::UnknownLocation {
            location: "nowhere".into()
        }]
    );
    assert_eq!(errors[0].field(), "location");
}

#[test]
fn unknown_dish() {
    let cart = cart(vec![line("tea", 1), line("ramen", 1)]);
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::UnknownDish {
            line: 1,
            dish: "ramen".into()
        }]
    );
}

#[test]
fn unknown_group() {
    let cart = cart(vec![line_with("tea", 1, &[("sugar", &["none"])])]);
    let errors = errors(&site(), &cart, lunch());
    assert_eq!(
        errors,
        vec![PricingError::UnknownGroup {
            line: 0,
            dish: "tea".into(),
            group: "sugar".into()
        }]
    );
    assert_eq!(errors[0].field(), "lines[0].options.sugar");
}

#[test]
fn unknown_choice() {
    let cart = cart(vec![line_with("beef-noodles", 1, &[("size", &["huge"])])]);
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::UnknownChoice {
            line: 0,
            group: "size".into(),
            choice: "huge".into()
        }]
    );
}

// ---- quantities ----

#[test]
fn quantity_must_be_between_1_and_99() {
    for quantity in [0, 100, 1000, u32::MAX] {
        assert_eq!(
            errors(&site(), &cart(vec![line("tea", quantity)]), lunch()),
            vec![PricingError::BadQuantity { line: 0, max: 99 }],
            "quantity {quantity}"
        );
    }
    // 1 tea: 600; 99 teas: 600 x 99 = 59400.
    assert_eq!(
        quote(&site(), &cart(vec![line("tea", 1)]), lunch()).total,
        600
    );
    assert_eq!(
        quote(&site(), &cart(vec![line("tea", 99)]), lunch()).total,
        59_400
    );
}

// ---- option groups ----

#[test]
fn a_required_group_must_be_picked() {
    let cart = cart(vec![line_with("beef-noodles", 1, &[("spice", &["hot"])])]);
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::OptionTooFew {
            line: 0,
            group: "size".into(),
            min: 1
        }]
    );
}

#[test]
fn a_group_takes_at_most_max_choices() {
    let two_sizes = cart(vec![line_with(
        "beef-noodles",
        1,
        &[("size", &["regular", "large"])],
    )]);
    assert_eq!(
        errors(&site(), &two_sizes, lunch()),
        vec![PricingError::OptionTooMany {
            line: 0,
            group: "size".into(),
            max: 1
        }]
    );
    // The same group sent twice counts as one group.
    let split = cart(vec![line_with(
        "beef-noodles",
        1,
        &[("size", &["regular"]), ("size", &["large"])],
    )]);
    assert_eq!(
        errors(&site(), &split, lunch()),
        vec![PricingError::OptionTooMany {
            line: 0,
            group: "size".into(),
            max: 1
        }]
    );
    // Two toppings are fine: 3200 + egg 200 + tofu 300 = 3700.
    let two_toppings = cart(vec![line_with(
        "beef-noodles",
        1,
        &[("size", &["regular"]), ("toppings", &["egg", "tofu"])],
    )]);
    assert_eq!(quote(&site(), &two_toppings, lunch()).total, 3700);
}

#[test]
fn a_choice_cannot_be_picked_twice() {
    let cart = cart(vec![line_with(
        "beef-noodles",
        1,
        &[("size", &["regular"]), ("toppings", &["egg", "egg"])],
    )]);
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::DuplicateChoice {
            line: 0,
            group: "toppings".into(),
            choice: "egg".into()
        }]
    );
}

// ---- sold out ----

#[test]
fn a_dish_sold_out_in_the_content_is_refused() {
    let cart = cart(vec![line("cold-noodles", 1)]);
    let errors = errors(&site(), &cart, lunch());
    assert_eq!(
        errors,
        vec![PricingError::SoldOut {
            line: 0,
            dish: "cold-noodles".into()
        }]
    );
    assert_eq!(errors[0].field(), "lines[0].dish");
}

#[test]
fn a_dish_switched_off_by_staff_is_refused() {
    let sold_out = SoldOut {
        dishes: ["dan-dan".to_owned()].into(),
        ..SoldOut::default()
    };
    let cart = cart(vec![line("dan-dan", 1), line("tea", 1)]);
    assert_eq!(
        errors_with(&site(), &sold_out, &cart, lunch()),
        vec![PricingError::SoldOut {
            line: 0,
            dish: "dan-dan".into()
        }]
    );
}

#[test]
fn a_choice_sold_out_in_the_content_is_refused() {
    let cart = cart(vec![line_with(
        "beef-noodles",
        1,
        &[("size", &["regular"]), ("toppings", &["pork"])],
    )]);
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::ChoiceSoldOut {
            line: 0,
            group: "toppings".into(),
            choice: "pork".into()
        }]
    );
}

#[test]
fn a_choice_switched_off_by_staff_is_refused() {
    let sold_out = SoldOut {
        choices: [SoldOut::choice_key("beef-noodles", "toppings", "egg")].into(),
        ..SoldOut::default()
    };
    let cart = cart(vec![line_with(
        "beef-noodles",
        1,
        &[("size", &["regular"]), ("toppings", &["egg"])],
    )]);
    assert_eq!(
        errors_with(&site(), &sold_out, &cart, lunch()),
        vec![PricingError::ChoiceSoldOut {
            line: 0,
            group: "toppings".into(),
            choice: "egg".into()
        }]
    );
}

#[test]
fn a_combo_choice_is_out_when_its_dish_is_sold_out_in_the_content() {
    // cold-noodles is `sold_out: true` in the content, so the set's "cold" main is out.
    let cart = cart(vec![line_with(
        "lunch-set",
        1,
        &[("main", &["cold"]), ("drink", &["tea"])],
    )]);
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::ChoiceSoldOut {
            line: 0,
            group: "main".into(),
            choice: "cold".into()
        }]
    );
}

#[test]
fn a_combo_choice_is_out_when_staff_switch_its_dish_off() {
    let sold_out = SoldOut {
        dishes: ["tea".to_owned()].into(),
        ..SoldOut::default()
    };
    let cart = cart(vec![line_with(
        "lunch-set",
        1,
        &[
            ("main", &["beef"]),
            ("main/beef/size", &["regular"]),
            ("drink", &["tea"]),
        ],
    )]);
    assert_eq!(
        errors_with(&site(), &sold_out, &cart, lunch()),
        vec![PricingError::ChoiceSoldOut {
            line: 0,
            group: "drink".into(),
            choice: "tea".into()
        }]
    );
    // With cola the set is fine: 4500, combo choices add nothing.
    let cola = cart_with_coupon(
        "",
        vec![line_with(
            "lunch-set",
            1,
            &[
                ("main", &["beef"]),
                ("main/beef/size", &["regular"]),
                ("drink", &["cola"]),
            ],
        )],
    );
    let quote = quote_with(&site(), &sold_out, &cola, lunch());
    assert_eq!(quote.total, 4500);
    assert_eq!(quote.coupon, None, "a blank code is no coupon");
}

// ---- a set meal's chosen dish keeps its own options ----

#[test]
fn a_set_meal_asks_for_the_chosen_dishs_required_options() {
    // beef-noodles needs a size; chosen in the set, it still does, under main/beef/size.
    let cart = cart(vec![line_with(
        "lunch-set",
        1,
        &[("main", &["beef"]), ("drink", &["tea"])],
    )]);
    let errors = errors(&site(), &cart, lunch());
    assert_eq!(
        errors,
        vec![PricingError::OptionTooFew {
            line: 0,
            group: "main/beef/size".into(),
            min: 1
        }]
    );
    assert_eq!(errors[0].field(), "lines[0].options.main/beef/size");
}

#[test]
fn a_set_meals_chosen_dish_options_are_priced_and_listed_after_their_dish() {
    let cart = cart(vec![line_with(
        "lunch-set",
        2,
        &[
            ("drink", &["tea"]),
            ("main/beef/toppings", &["egg"]),
            ("main", &["beef"]),
            ("main/beef/size", &["large"]),
            ("main/beef/spice", &["hot"]),
        ],
    )]);
    let quote = quote(&site(), &cart, lunch());
    let line = &quote.lines[0];
    // 45.00 + large 5.00 + egg 2.00: the chosen dish's extras cost what they cost alone.
    assert_eq!(line.unit_price, 5200);
    assert_eq!(line.total, 10_400);
    let picked: Vec<(&str, &str)> = line
        .options
        .iter()
        .map(|o| (o.group.as_str(), o.choice.as_str()))
        .collect();
    assert_eq!(
        picked,
        vec![
            ("main", "beef"),
            ("main/beef/size", "large"),
            ("main/beef/spice", "hot"),
            ("main/beef/toppings", "egg"),
            ("drink", "tea"),
        ]
    );
}

#[test]
fn options_of_a_dish_the_set_did_not_choose_are_refused() {
    let cart = cart(vec![line_with(
        "lunch-set",
        1,
        &[
            ("main", &["dandan"]),
            ("main/beef/size", &["large"]),
            ("drink", &["tea"]),
        ],
    )]);
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::UnknownGroup {
            line: 0,
            dish: "lunch-set".into(),
            group: "main/beef/size".into()
        }]
    );
}

#[test]
fn a_chosen_dishs_choice_is_out_when_it_is_out_on_that_dish() {
    // pork is sold out in the content, tofu switched off by staff on beef-noodles.
    let sold_out = SoldOut {
        choices: [SoldOut::choice_key("beef-noodles", "toppings", "tofu")].into(),
        ..SoldOut::default()
    };
    let cart = cart(vec![line_with(
        "lunch-set",
        1,
        &[
            ("main", &["beef"]),
            ("main/beef/size", &["regular"]),
            ("main/beef/toppings", &["pork", "tofu"]),
            ("drink", &["tea"]),
        ],
    )]);
    let out = |choice: &str| PricingError::ChoiceSoldOut {
        line: 0,
        group: "main/beef/toppings".into(),
        choice: choice.into(),
    };
    assert_eq!(
        errors_with(&site(), &sold_out, &cart, lunch()),
        vec![out("pork"), out("tofu")]
    );
}

#[test]
fn a_nested_key_names_the_chosen_dishs_group() {
    let site = site();
    let (_, set) = site.dish("lunch-set").unwrap();
    let (owner, group) = site.option_group(set, "main/beef/size").unwrap();
    assert_eq!(
        (owner.id.as_str(), group.id.as_str()),
        ("beef-noodles", "size")
    );
    assert_eq!(site.option_group(set, "drink").unwrap().1.id, "drink");
    assert!(site.option_group(set, "main/beef/nope").is_none());
    assert!(site.option_group(set, "main/nope/size").is_none());
    assert!(
        site.option_group(set, "drink/tea/size").is_none(),
        "tea has no options"
    );
}

// ---- availability windows ----

#[test]
fn breakfast_is_only_served_in_its_window() {
    let congee = cart(vec![line("congee", 1)]);
    assert_eq!(quote(&site(), &congee, breakfast()).total, 800);
    assert_eq!(
        quote(&site(), &congee, local(2026, 3, 4, 7, 0)).total,
        800,
        "opens at 07:00"
    );
    assert_eq!(
        quote(&site(), &congee, local(2026, 3, 4, 10, 29)).total,
        800
    );
    for now in [local(2026, 3, 4, 10, 30), lunch()] {
        assert_eq!(
            errors(&site(), &congee, now),
            vec![PricingError::Unavailable {
                line: 0,
                dish: "congee".into()
            }],
            "at {now}"
        );
    }
}

#[test]
fn breakfast_window_is_read_in_the_site_timezone() {
    // 09:00 in Shanghai is 01:00 UTC; 09:00 UTC would be 17:00 in Shanghai.
    let congee = cart(vec![line("congee", 1)]);
    let nine_utc = breakfast() + Duration::hours(8);
    assert_eq!(breakfast().to_rfc3339(), "2026-03-04T01:00:00+00:00");
    assert!(price(&site(), &SoldOut::default(), &congee, breakfast()).is_ok());
    assert!(price(&site(), &SoldOut::default(), &congee, nine_utc).is_err());
}

#[test]
fn pickup_availability_is_judged_at_the_slot() {
    // Ordered at 09:00 for a 12:00 pickup: congee is over by then.
    let at_noon = Cart {
        location: "kiosk".into(),
        fulfilment: pickup(lunch()),
        ..cart(vec![line("congee", 1)])
    };
    assert_eq!(
        errors(&site(), &at_noon, breakfast()),
        vec![PricingError::Unavailable {
            line: 0,
            dish: "congee".into()
        }]
    );
    // Ordered at 06:30 (before opening) for a 09:00 pickup: fine.
    let at_nine = Cart {
        fulfilment: pickup(breakfast()),
        ..at_noon
    };
    assert_eq!(
        quote(&site(), &at_nine, local(2026, 3, 4, 6, 30)).total,
        800
    );
}

// ---- dine-in ----

#[test]
fn dine_in_needs_a_known_table() {
    let cart = Cart {
        fulfilment: table("99"),
        ..cart(vec![line("tea", 1)])
    };
    let errors = errors(&site(), &cart, lunch());
    assert_eq!(
        errors,
        vec![PricingError::UnknownTable { table: "99".into() }]
    );
    assert_eq!(errors[0].field(), "fulfilment.table");
    // Table labels are exact: "a3" is not "A3".
    let lower = Cart {
        fulfilment: table("a3"),
        ..cart.clone()
    };
    assert!(price(&site(), &SoldOut::default(), &lower, lunch()).is_err());
    let upper = Cart {
        fulfilment: table("A3"),
        ..cart
    };
    assert_eq!(quote(&site(), &upper, lunch()).total, 600);
}

#[test]
fn dine_in_where_there_is_none() {
    let cart = Cart {
        location: "kiosk".into(),
        ..cart(vec![line("tea", 1)])
    };
    assert_eq!(
        errors(&site(), &cart, lunch()),
        vec![PricingError::FulfilmentNotOffered {
            mode: "dine_in".into()
        }]
    );
}

#[test]
fn dine_in_while_the_shop_is_closed() {
    let cart = cart(vec![line("tea", 1)]);
    for now in [local(2026, 3, 4, 22, 0), local(2026, 3, 4, 6, 59)] {
        assert_eq!(
            errors(&site(), &cart, now),
            vec![PricingError::ShopClosed],
            "at {now}"
        );
    }
    assert_eq!(quote(&site(), &cart, local(2026, 3, 4, 21, 59)).total, 600);
}

// ---- pickup ----

fn pickup_cart(location: &str, slot: DateTime<Utc>) -> Cart {
    Cart {
        location: location.into(),
        fulfilment: pickup(slot),
        ..cart(vec![line("tea", 1)])
    }
}

#[test]
fn pickup_at_a_location_without_pickup() {
    let errors = errors(&site(), &pickup_cart("bar", lunch()), breakfast());
    assert_eq!(
        errors,
        vec![PricingError::FulfilmentNotOffered {
            mode: "pickup".into()
        }]
    );
    assert_eq!(errors[0].field(), "fulfilment.mode");
}

#[test]
fn pickup_slot_must_respect_the_lead_time() {
    // central: 20 minutes lead, 15-minute slots. At 12:00 the first slot is 12:30
    // (12:15 is inside the lead time, 12:20 is off the grid).
    let now = lunch();
    let too_soon = errors(
        &site(),
        &pickup_cart("central", local(2026, 3, 4, 12, 15)),
        now,
    );
    assert_eq!(too_soon, vec![PricingError::SlotTooSoon]);
    assert_eq!(too_soon[0].field(), "fulfilment.slot");
    assert_eq!(
        errors(
            &site(),
            &pickup_cart("central", local(2026, 3, 4, 11, 0)),
            now
        ),
        vec![PricingError::SlotTooSoon],
        "a slot in the past"
    );
    let first = quote(
        &site(),
        &pickup_cart("central", local(2026, 3, 4, 12, 30)),
        now,
    );
    assert_eq!(first.total, 600);
    // Exactly the lead time is enough: 12:10 + 20 min = 12:30.
    assert!(price(
        &site(),
        &SoldOut::default(),
        &pickup_cart("central", local(2026, 3, 4, 12, 30)),
        local(2026, 3, 4, 12, 10)
    )
    .is_ok());
}

#[test]
fn pickup_slot_must_be_on_the_grid() {
    let now = lunch();
    assert_eq!(
        errors(
            &site(),
            &pickup_cart("central", local(2026, 3, 4, 12, 40)),
            now
        ),
        vec![PricingError::SlotNotAligned]
    );
    let off_by_seconds = local(2026, 3, 4, 12, 45) + Duration::seconds(30);
    assert_eq!(
        errors(&site(), &pickup_cart("central", off_by_seconds), now),
        vec![PricingError::SlotNotAligned]
    );
    let off_by_millis = local(2026, 3, 4, 12, 45) + Duration::milliseconds(1);
    assert_eq!(
        errors(&site(), &pickup_cart("central", off_by_millis), now),
        vec![PricingError::SlotNotAligned]
    );
}

#[test]
fn pickup_slot_must_be_while_the_shop_is_open() {
    // Opening hours 07:00–22:00: the 21:45 slot is the last, 22:00 is closed.
    let now = lunch();
    assert_eq!(
        quote(
            &site(),
            &pickup_cart("central", local(2026, 3, 4, 21, 45)),
            now
        )
        .total,
        600
    );
    for slot in [local(2026, 3, 4, 22, 0), local(2026, 3, 5, 6, 45)] {
        assert_eq!(
            errors(&site(), &pickup_cart("central", slot), now),
            vec![PricingError::SlotClosed],
            "slot {slot}"
        );
    }
    assert!(price(
        &site(),
        &SoldOut::default(),
        &pickup_cart("central", local(2026, 3, 5, 7, 0)),
        now
    )
    .is_ok());
}

// ---- coupons ----

#[test]
fn percent_off_with_a_cap() {
    // Regular beef 3200: 10% = 320, under the 500 cap. Total 3200 - 320 = 2880.
    let small = quote(
        &site(),
        &cart_with_coupon("WELCOME10", vec![regular_beef(1)]),
        lunch(),
    );
    assert_eq!(small.discount, 320);
    assert_eq!(small.total, 2880);
    assert_eq!(small.coupon, applied("WELCOME10", 320));
    // Two large beef 3700 x2 = 7400: 10% = 740, capped at 500. Total 6900.
    let big = quote(
        &site(),
        &cart_with_coupon("WELCOME10", vec![large_beef(2)]),
        lunch(),
    );
    assert_eq!(big.subtotal, 7400);
    assert_eq!(big.discount, 500);
    assert_eq!(big.total, 6900);
    assert_eq!(big.coupon, applied("WELCOME10", 500));
}

#[test]
fn amount_off_with_a_minimum_spend() {
    // dan-dan 2800 < 3000: refused, nothing taken off.
    let below = quote(
        &site(),
        &cart_with_coupon("MINUS5", vec![line("dan-dan", 1)]),
        lunch(),
    );
    assert_eq!(below.discount, 0);
    assert_eq!(below.total, 2800);
    assert_eq!(
        below.coupon,
        rejected(
            "MINUS5",
            CouponRejection::BelowMinimum {
                min_spend: 3000,
                eligible: 2800
            }
        )
    );
    // Five teas are exactly 3000: 3000 - 500 = 2500.
    let exactly = quote(
        &site(),
        &cart_with_coupon("MINUS5", vec![line("tea", 5)]),
        lunch(),
    );
    assert_eq!(exactly.discount, 500);
    assert_eq!(exactly.total, 2500);
    // dan-dan + tea = 3400 - 500 = 2900.
    let above = quote(
        &site(),
        &cart_with_coupon("MINUS5", vec![line("dan-dan", 1), line("tea", 1)]),
        lunch(),
    );
    assert_eq!(above.total, 2900);
    assert_eq!(above.coupon, applied("MINUS5", 500));
}

#[test]
fn amount_off_never_exceeds_the_eligible_subtotal() {
    // 100.00 off teas only; the cart has one tea (600) and dan-dan (2800).
    // The discount stops at the tea: 600. Total 3400 - 600 = 2800.
    let mut site = site();
    site.campaigns[0].coupons.push(catalog::Coupon {
        scope: catalog::Scope {
            dishes: vec!["tea".into()],
            ..Default::default()
        },
        ..coupon("TEA100", catalog::CouponKind::AmountOff { amount: 10_000 })
    });
    let quote = quote(
        &site,
        &cart_with_coupon("TEA100", vec![line("tea", 1), line("dan-dan", 1)]),
        lunch(),
    );
    assert_eq!(quote.discount, 600);
    assert_eq!(quote.total, 2800);
}

#[test]
fn free_item() {
    // Three teas and dan-dan: 1800 + 2800 = 4600, one tea (600) free: 4000.
    let with_tea = quote(
        &site(),
        &cart_with_coupon("FREETEA", vec![line("tea", 3), line("dan-dan", 1)]),
        lunch(),
    );
    assert_eq!(with_tea.discount, 600);
    assert_eq!(with_tea.total, 4000);
    assert_eq!(with_tea.coupon, applied("FREETEA", 600));
    let without = quote(
        &site(),
        &cart_with_coupon("FREETEA", vec![line("dan-dan", 1)]),
        lunch(),
    );
    assert_eq!(without.discount, 0);
    assert_eq!(without.total, 2800);
    assert_eq!(
        without.coupon,
        rejected(
            "FREETEA",
            CouponRejection::FreeItemNotInCart { dish: "tea".into() }
        )
    );
}

#[test]
fn free_item_gives_the_cheapest_unit_with_its_options() {
    // A free beef-noodles coupon; the cart has a large (3700) and a regular with egg (3400).
    // The cheaper unit, 3400, is free: 7100 - 3400 = 3700.
    let mut site = site();
    site.campaigns[0].coupons.push(coupon(
        "FREEBEEF",
        catalog::CouponKind::FreeItem {
            dish: "beef-noodles".into(),
        },
    ));
    let quote = quote(
        &site,
        &cart_with_coupon(
            "FREEBEEF",
            vec![
                large_beef(1),
                line_with(
                    "beef-noodles",
                    1,
                    &[("size", &["regular"]), ("toppings", &["egg"])],
                ),
            ],
        ),
        lunch(),
    );
    assert_eq!(quote.subtotal, 7100);
    assert_eq!(quote.discount, 3400);
    assert_eq!(quote.total, 3700);
}

#[test]
fn scope_by_category() {
    // Large beef 3700 (noodles) + tea 600 (drinks): 20% of 3700 = 740. 4300 - 740 = 3560.
    let quote_ok = quote(
        &site(),
        &cart_with_coupon("NOODLE20", vec![large_beef(1), line("tea", 1)]),
        lunch(),
    );
    assert_eq!(quote_ok.discount, 740);
    assert_eq!(quote_ok.total, 3560);
    let drinks_only = quote(
        &site(),
        &cart_with_coupon("NOODLE20", vec![line("tea", 2)]),
        lunch(),
    );
    assert_eq!(drinks_only.total, 1200);
    assert_eq!(
        drinks_only.coupon,
        rejected("NOODLE20", CouponRejection::NothingInScope)
    );
}

#[test]
fn scope_by_dish() {
    // Two dan-dan 5600 + tea 600: 1000 off the dan-dan. 6200 - 1000 = 5200.
    let quote_ok = quote(
        &site(),
        &cart_with_coupon("DANDAN", vec![line("dan-dan", 2), line("tea", 1)]),
        lunch(),
    );
    assert_eq!(quote_ok.discount, 1000);
    assert_eq!(quote_ok.total, 5200);
    // Beef noodles share the category but not the dish.
    let other = quote(
        &site(),
        &cart_with_coupon("DANDAN", vec![regular_beef(1)]),
        lunch(),
    );
    assert_eq!(other.total, 3200);
    assert_eq!(
        other.coupon,
        rejected("DANDAN", CouponRejection::NothingInScope)
    );
}

#[test]
fn scope_by_location() {
    // 300 off a tea at central: 300. At the bar: refused, 600.
    let central = quote(
        &site(),
        &cart_with_coupon("CENTRAL", vec![line("tea", 1)]),
        lunch(),
    );
    assert_eq!(central.total, 300);
    let bar = Cart {
        location: "bar".into(),
        fulfilment: table("B1"),
        ..cart_with_coupon("CENTRAL", vec![line("tea", 1)])
    };
    let bar = quote(&site(), &bar, lunch());
    assert_eq!(bar.total, 600);
    assert_eq!(
        bar.coupon,
        rejected("CENTRAL", CouponRejection::WrongLocation)
    );
}

#[test]
fn validity_window() {
    // SPRING: 10% off dan-dan 2800 = 280, from 1 March 10:00 until 1 April 10:00.
    let cart = cart_with_coupon("SPRING", vec![line("dan-dan", 1)]);
    let cases = [
        (
            local(2026, 3, 1, 9, 59),
            rejected("SPRING", CouponRejection::NotYetValid),
        ),
        (local(2026, 3, 1, 10, 0), applied("SPRING", 280)),
        (lunch(), applied("SPRING", 280)),
        (local(2026, 4, 1, 9, 59), applied("SPRING", 280)),
        (
            local(2026, 4, 1, 10, 0),
            rejected("SPRING", CouponRejection::Expired),
        ),
    ];
    for (now, outcome) in cases {
        let quote = quote(&site(), &cart, now);
        assert_eq!(quote.coupon, outcome, "at {now}");
        let expected_total = if quote.discount == 0 { 2800 } else { 2520 };
        assert_eq!(quote.total, expected_total, "at {now}");
    }
}

#[test]
fn coupon_hours() {
    // TEATIME: 200 off between 14:00 and 17:00 Shanghai time.
    let cart = cart_with_coupon("TEATIME", vec![line("tea", 1)]);
    let cases = [
        (
            lunch(),
            rejected("TEATIME", CouponRejection::OutsideHours),
            600,
        ),
        (local(2026, 3, 4, 14, 0), applied("TEATIME", 200), 400),
        (local(2026, 3, 4, 16, 59), applied("TEATIME", 200), 400),
        (
            local(2026, 3, 4, 17, 0),
            rejected("TEATIME", CouponRejection::OutsideHours),
            600,
        ),
    ];
    for (now, outcome, total) in cases {
        let quote = quote(&site(), &cart, now);
        assert_eq!(quote.coupon, outcome, "at {now}");
        assert_eq!(quote.total, total, "at {now}");
    }
}

#[test]
fn coupon_codes_match_case_insensitively() {
    // " welcome10 " is WELCOME10: 10% of 3200 = 320.
    let quote = quote(
        &site(),
        &cart_with_coupon(" welcome10 ", vec![regular_beef(1)]),
        lunch(),
    );
    assert_eq!(quote.coupon, applied("WELCOME10", 320));
    assert_eq!(quote.total, 2880);
}

#[test]
fn an_unknown_coupon_is_rejected_but_the_cart_is_priced() {
    let quote = quote(
        &site(),
        &cart_with_coupon(" NOPE ", vec![regular_beef(1)]),
        lunch(),
    );
    assert_eq!(quote.coupon, rejected("NOPE", CouponRejection::Unknown));
    assert_eq!(quote.discount, 0);
    assert_eq!(quote.total, 3200);
}

// ---- service charge and tax ----

#[test]
fn service_charge_only_on_dine_in() {
    // 10% service. Large beef 3700 + tea 600 = 4300.
    let site = site_with_charges(1000, 0, true, Rounding::HalfUp);
    let lines = vec![large_beef(1), line("tea", 1)];
    // Dine-in: 430 service, 4730.
    let dine_in = quote(&site, &cart(lines.clone()), lunch());
    assert_eq!(dine_in.service_charge, 430);
    assert_eq!(dine_in.total, 4730);
    // Pickup at the same shop: no service charge, 4300.
    let pickup_cart = Cart {
        fulfilment: pickup(local(2026, 3, 4, 12, 30)),
        ..cart(lines.clone())
    };
    let picked_up = quote(&site, &pickup_cart, lunch());
    assert_eq!(picked_up.service_charge, 0);
    assert_eq!(picked_up.total, 4300);
    // Service is on the discounted subtotal: 4300 - 430 (WELCOME10, under the cap)
    // = 3870, service 387, total 4257.
    let discounted = quote(&site, &cart_with_coupon("WELCOME10", lines), lunch());
    assert_eq!(discounted.discount, 430);
    assert_eq!(discounted.service_charge, 387);
    assert_eq!(discounted.total, 4257);
}

#[test]
fn service_charge_is_rounded_by_the_site_rule() {
    // 10% service on a 3005 tea = 300.5.
    for (rounding, service) in [
        (Rounding::HalfUp, 301),
        (Rounding::HalfEven, 300),
        (Rounding::Down, 300),
    ] {
        let mut site = site_with_charges(1000, 0, true, rounding);
        set_price(&mut site, "tea", 3005);
        let quote = quote(&site, &cart(vec![line("tea", 1)]), lunch());
        assert_eq!(quote.service_charge, service, "{rounding:?}");
        assert_eq!(quote.total, 3005 + service, "{rounding:?}");
    }
}

#[test]
fn inclusive_tax_is_contained_in_the_total() {
    // 20% VAT included: tax = gross x 2000 / 12000 = gross / 6.
    // 3003 / 6 = 500.5; 3009 / 6 = 501.5; 3005 / 6 = 500.83.
    let cases = [
        (3003, Rounding::HalfUp, 501),
        (3003, Rounding::HalfEven, 500),
        (3003, Rounding::Down, 500),
        (3009, Rounding::HalfUp, 502),
        (3009, Rounding::HalfEven, 502),
        (3009, Rounding::Down, 501),
        (3005, Rounding::HalfUp, 501),
        (3005, Rounding::HalfEven, 501),
        (3005, Rounding::Down, 500),
    ];
    for (gross, rounding, tax) in cases {
        let mut site = site_with_charges(0, 2000, true, rounding);
        set_price(&mut site, "tea", gross);
        let quote = quote(&site, &cart(vec![line("tea", 1)]), lunch());
        assert!(quote.tax_inclusive);
        assert_eq!(quote.tax, tax, "{gross} {rounding:?}");
        assert_eq!(quote.total, gross, "{gross} {rounding:?}");
    }
}

#[test]
fn exclusive_tax_is_added_to_the_total() {
    // 10% on top: 3005 -> 300.5; 3015 -> 301.5; 3007 -> 300.7.
    let cases = [
        (3005, Rounding::HalfUp, 301),
        (3005, Rounding::HalfEven, 300),
        (3005, Rounding::Down, 300),
        (3015, Rounding::HalfUp, 302),
        (3015, Rounding::HalfEven, 302),
        (3015, Rounding::Down, 301),
        (3007, Rounding::HalfUp, 301),
        (3007, Rounding::HalfEven, 301),
        (3007, Rounding::Down, 300),
    ];
    for (net, rounding, tax) in cases {
        let mut site = site_with_charges(0, 1000, false, rounding);
        set_price(&mut site, "tea", net);
        let quote = quote(&site, &cart(vec![line("tea", 1)]), lunch());
        assert!(!quote.tax_inclusive);
        assert_eq!(quote.tax, tax, "{net} {rounding:?}");
        assert_eq!(quote.total, net + tax, "{net} {rounding:?}");
    }
}

#[test]
fn exclusive_tax_on_service_charge_after_discount() {
    // 10% service, 6% tax on top, half up. Regular beef 3200 + tea 600 = 3800.
    let site = site_with_charges(1000, 600, false, Rounding::HalfUp);
    let lines = vec![regular_beef(1), line("tea", 1)];
    // Dine-in: service 380, base 4180, tax 250.8 -> 251, total 4431.
    let dine_in = quote(&site, &cart(lines.clone()), lunch());
    assert_eq!(
        (
            dine_in.subtotal,
            dine_in.service_charge,
            dine_in.tax,
            dine_in.total
        ),
        (3800, 380, 251, 4431)
    );
    // Pickup: tax 228, total 4028.
    let pickup_cart = Cart {
        fulfilment: pickup(local(2026, 3, 4, 12, 30)),
        ..cart(lines.clone())
    };
    let picked_up = quote(&site, &pickup_cart, lunch());
    assert_eq!(
        (picked_up.service_charge, picked_up.tax, picked_up.total),
        (0, 228, 4028)
    );
    // With MINUS5: 3800 - 500 = 3300, service 330, base 3630, tax 217.8 -> 218, total 3848.
    let discounted = quote(&site, &cart_with_coupon("MINUS5", lines), lunch());
    assert_eq!(
        (
            discounted.discount,
            discounted.service_charge,
            discounted.tax,
            discounted.total
        ),
        (500, 330, 218, 3848)
    );
}

#[test]
fn yen_have_no_decimals() {
    // A JPY shop: tea 480 yen, 10% consumption tax included, rounded down.
    let mut site = site_with_charges(0, 1000, true, Rounding::Down);
    site.settings.currency = Currency::from_code("JPY").expect("JPY is known");
    set_price(&mut site, "tea", 480);
    // Three teas: 1440 yen, tax 1440 / 11 = 130.9 -> 130.
    let plain = quote(&site, &cart(vec![line("tea", 3)]), lunch());
    assert_eq!(plain.currency, "JPY");
    assert_eq!((plain.subtotal, plain.tax, plain.total), (1440, 130, 1440));
    // WELCOME10: 10% of 1440 = 144 yen (under the 500 cap), total 1296, tax 117.8 -> 117.
    let discounted = quote(
        &site,
        &cart_with_coupon("WELCOME10", vec![line("tea", 3)]),
        lunch(),
    );
    assert_eq!(
        (discounted.discount, discounted.tax, discounted.total),
        (144, 117, 1296)
    );
    assert_eq!(site.settings.currency.format(discounted.total), "1296");
    assert_eq!(site.settings.currency.parse("1296"), Ok(1296));
    // 10% off 485 yen is 48.5: half up 49, half even 48, down 48.
    for (rounding, discount) in [
        (Rounding::HalfUp, 49),
        (Rounding::HalfEven, 48),
        (Rounding::Down, 48),
    ] {
        let mut site = site.clone();
        site.settings.charges.rounding = rounding;
        set_price(&mut site, "tea", 485);
        let quote = quote(
            &site,
            &cart_with_coupon("WELCOME10", vec![line("tea", 1)]),
            lunch(),
        );
        assert_eq!(quote.discount, discount, "{rounding:?}");
        assert_eq!(quote.total, 485 - discount, "{rounding:?}");
    }
}

#[test]
fn a_cheaper_choice_never_makes_a_dish_cost_less_than_nothing() {
    // A "no tea leaves" choice of -10.00 on a 6.00 tea: the tea is free, not -4.00.
    let mut site = site();
    let tea = site.menus[0].categories[2]
        .dishes
        .iter_mut()
        .find(|d| d.id == "tea")
        .expect("tea");
    tea.options = vec![group("leaves", 0, 1, vec![choice("none", -1000)])];
    let quote = quote(
        &site,
        &cart_with_coupon(
            "MINUS5",
            vec![line_with("tea", 2, &[("leaves", &["none"])])],
        ),
        lunch(),
    );
    assert_eq!(quote.lines[0].unit_price, 0);
    assert_eq!(quote.subtotal, 0);
    assert_eq!(quote.discount, 0);
    assert_eq!(quote.total, 0);
}

#[test]
fn fulfilment_is_read_from_json_as_the_storefront_sends_it() {
    let cart: Cart = serde_json::from_str(
        r#"{"location":"central","fulfilment":{"mode":"pickup","slot":"2026-03-04T04:30:00Z"},
            "lines":[{"dish":"tea","quantity":2}],"coupon":"freetea"}"#,
    )
    .expect("a valid cart");
    assert_eq!(
        cart.fulfilment,
        Fulfilment::Pickup {
            slot: local(2026, 3, 4, 12, 30)
        }
    );
    // Two teas 1200, one free: 600.
    assert_eq!(quote(&site(), &cart, lunch()).total, 600);
}
