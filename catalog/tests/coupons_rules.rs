//! Coupons that keep a promotion profitable: buy-x-get-y, members-only,
//! first-order-only, and the counter grant, on the fixture noodle shop.
//!
//! Prices (fen): dan-dan 2800, tea 600, cola 500; no charges.

mod common;

use catalog::pricing::{buy_x_get_y_discount, counter_grant, coupon_discount_for};
use catalog::{
    price, price_with, CouponKind, CouponOutcome, CouponRejection, Diner, Quote, Scope, Site,
    SoldOut,
};
use common::*;

const MEMBER: Diner = Diner {
    member: true,
    first_order: false,
};
const NEW_MEMBER: Diner = Diner {
    member: true,
    first_order: true,
};

fn with_coupon(coupon: catalog::Coupon) -> Site {
    let mut site = site();
    site.campaigns[0].coupons.push(coupon);
    site
}

fn drinks_b2g1(max_free: Option<u32>) -> catalog::Coupon {
    catalog::Coupon {
        scope: Scope {
            categories: vec!["drinks".into()],
            ..Scope::default()
        },
        ..coupon(
            "DRINKS3",
            CouponKind::BuyXGetY {
                buy: 2,
                get: 1,
                max_free,
            },
        )
    }
}

fn quote_for(site: &Site, lines: Vec<catalog::CartLine>, code: &str, diner: &Diner) -> Quote {
    price_with(
        site,
        &SoldOut::default(),
        &cart_with_coupon(code, lines),
        lunch(),
        diner,
    )
    .expect("a quote")
}

fn applied(quote: &Quote) -> Option<i64> {
    match &quote.coupon {
        Some(CouponOutcome::Applied { discount, .. }) => Some(*discount),
        _ => None,
    }
}

fn rejection(quote: &Quote) -> Option<CouponRejection> {
    match &quote.coupon {
        Some(CouponOutcome::Rejected { reason, .. }) => Some(reason.clone()),
        _ => None,
    }
}

#[test]
fn buy_two_drinks_get_the_cheapest_free() {
    // 2 teas (600) + 1 cola (500): one group of three, the cola is free.
    let site = with_coupon(drinks_b2g1(None));
    let quote = quote_for(
        &site,
        vec![line("tea", 2), line("cola", 1), line("dan-dan", 1)],
        "DRINKS3",
        &Diner::default(),
    );
    assert_eq!(applied(&quote), Some(500));
    assert_eq!(quote.subtotal, 1200 + 500 + 2800);
    assert_eq!(quote.total, 4500 - 500);
}

#[test]
fn dishes_out_of_scope_do_not_count_towards_the_group() {
    // One tea and two dan-dan: only one unit in scope.
    let site = with_coupon(drinks_b2g1(None));
    let quote = quote_for(
        &site,
        vec![line("tea", 1), line("dan-dan", 2)],
        "DRINKS3",
        &Diner::default(),
    );
    assert_eq!(
        rejection(&quote),
        Some(CouponRejection::NotEnoughItems { needed: 3, have: 1 })
    );
    assert_eq!(quote.discount, 0);
}

#[test]
fn free_units_are_capped_by_max_free() {
    // 9 teas: three groups, three free teas, capped at two: 1200 off.
    let site = with_coupon(drinks_b2g1(Some(2)));
    let quote = quote_for(&site, vec![line("tea", 9)], "DRINKS3", &Diner::default());
    assert_eq!(applied(&quote), Some(1200));
    let uncapped = with_coupon(drinks_b2g1(None));
    let quote = quote_for(
        &uncapped,
        vec![line("tea", 9)],
        "DRINKS3",
        &Diner::default(),
    );
    assert_eq!(applied(&quote), Some(1800));
}

#[test]
fn buy_x_get_y_respects_max_discount() {
    let site = with_coupon(catalog::Coupon {
        max_discount: Some(700),
        ..drinks_b2g1(None)
    });
    let quote = quote_for(&site, vec![line("tea", 6)], "DRINKS3", &Diner::default());
    // Two free teas (1200), capped at 700.
    assert_eq!(applied(&quote), Some(700));
}

#[test]
fn buy_x_get_y_arithmetic() {
    assert_eq!(buy_x_get_y_discount(&[(600, 3)], 2, 1, None), Ok(600));
    assert_eq!(
        buy_x_get_y_discount(&[(600, 2), (500, 2), (100, 2)], 1, 1, None),
        Ok(100 + 100 + 500)
    );
    assert_eq!(buy_x_get_y_discount(&[(600, 4)], 3, 2, None).ok(), None);
    assert_eq!(
        buy_x_get_y_discount(&[(600, 4)], 1, 0, None),
        Err(CouponRejection::NotEnoughItems { needed: 1, have: 4 })
    );
}

#[test]
fn members_only_coupons_need_a_member() {
    let site = with_coupon(catalog::Coupon {
        members_only: true,
        ..coupon("INSIDERS", CouponKind::AmountOff { amount: 300 })
    });
    let anonymous = quote_for(
        &site,
        vec![line("dan-dan", 1)],
        "INSIDERS",
        &Diner::default(),
    );
    assert_eq!(rejection(&anonymous), Some(CouponRejection::MembersOnly));
    assert_eq!(anonymous.total, 2800);
    let member = quote_for(&site, vec![line("dan-dan", 1)], "INSIDERS", &MEMBER);
    assert_eq!(applied(&member), Some(300));
    assert_eq!(member.total, 2500);
    // `price` is the anonymous diner.
    let plain = price(
        &site,
        &SoldOut::default(),
        &cart_with_coupon("INSIDERS", vec![line("dan-dan", 1)]),
        lunch(),
    )
    .expect("quote");
    assert_eq!(rejection(&plain), Some(CouponRejection::MembersOnly));
}

#[test]
fn first_order_coupons_need_a_member_without_orders() {
    let site = with_coupon(catalog::Coupon {
        first_order_only: true,
        ..coupon("FIRST", CouponKind::PercentOff { percent: 5000 })
    });
    let lines = || vec![line("dan-dan", 1)];
    assert_eq!(
        rejection(&quote_for(&site, lines(), "FIRST", &Diner::default())),
        Some(CouponRejection::MembersOnly)
    );
    assert_eq!(
        rejection(&quote_for(&site, lines(), "FIRST", &MEMBER)),
        Some(CouponRejection::FirstOrderOnly)
    );
    assert_eq!(
        applied(&quote_for(&site, lines(), "FIRST", &NEW_MEMBER)),
        Some(1400)
    );
}

#[test]
fn the_old_entry_points_still_price_shared_coupons() {
    let site = site();
    let cart = cart_with_coupon("MINUS5", vec![line("dan-dan", 2)]);
    let old = price(&site, &SoldOut::default(), &cart, lunch()).expect("quote");
    let new = price_with(&site, &SoldOut::default(), &cart, lunch(), &MEMBER).expect("quote");
    assert_eq!(old, new);
    assert_eq!(old.discount, 500);
}

#[test]
fn coupon_discount_for_checks_the_same_rules_as_price() {
    let site = with_coupon(drinks_b2g1(None));
    let quote = price(
        &site,
        &SoldOut::default(),
        &cart(vec![line("tea", 3)]),
        lunch(),
    )
    .expect("quote");
    let coupon = drinks_b2g1(None);
    let tz = site.settings.timezone;
    let rounding = site.settings.charges.rounding;
    assert_eq!(
        coupon_discount_for(
            &coupon,
            "central",
            &quote.lines,
            lunch(),
            tz,
            rounding,
            &Diner::default()
        ),
        Ok(600)
    );
}

#[test]
fn counter_grants_are_computed_on_the_spend() {
    let site = site();
    let percent = catalog::Coupon {
        max_discount: Some(1500),
        min_spend: 5000,
        ..coupon("COUNTER20", CouponKind::PercentOff { percent: 2000 })
    };
    let grant =
        counter_grant(&site, &percent, "central", 6000, lunch(), &Diner::default()).expect("grant");
    assert_eq!((grant.discount, grant.to_pay), (1200, 4800));
    let grant = counter_grant(
        &site,
        &percent,
        "central",
        10_000,
        lunch(),
        &Diner::default(),
    )
    .expect("grant");
    assert_eq!((grant.discount, grant.to_pay), (1500, 8500));
    assert_eq!(
        counter_grant(&site, &percent, "central", 4999, lunch(), &Diner::default()),
        Err(CouponRejection::BelowMinimum {
            min_spend: 5000,
            eligible: 4999
        })
    );
    let amount = coupon("TENOFF", CouponKind::AmountOff { amount: 1000 });
    let grant =
        counter_grant(&site, &amount, "central", 800, lunch(), &Diner::default()).expect("grant");
    assert_eq!((grant.discount, grant.to_pay), (800, 0));
    let free = coupon("TEA", CouponKind::FreeItem { dish: "tea".into() });
    let grant =
        counter_grant(&site, &free, "central", 0, lunch(), &Diner::default()).expect("grant");
    assert_eq!(grant.discount, 600);
    assert_eq!(grant.free_dish.as_deref(), Some("tea"));
    let b2g1 = drinks_b2g1(None);
    let grant =
        counter_grant(&site, &b2g1, "central", 3000, lunch(), &Diner::default()).expect("grant");
    assert_eq!(grant.discount, 0);
    assert_eq!(grant.rule, Some(b2g1.kind.clone()));
}

#[test]
fn counter_grants_honour_location_and_window() {
    let site = site();
    let central_only = catalog::Coupon {
        scope: Scope {
            locations: vec!["central".into()],
            ..Scope::default()
        },
        ..coupon("C", CouponKind::AmountOff { amount: 100 })
    };
    assert_eq!(
        counter_grant(
            &site,
            &central_only,
            "bar",
            1000,
            lunch(),
            &Diner::default()
        ),
        Err(CouponRejection::WrongLocation)
    );
    let expired = catalog::Coupon {
        valid_until: Some(lunch()),
        ..coupon("OLD", CouponKind::AmountOff { amount: 100 })
    };
    assert_eq!(
        counter_grant(&site, &expired, "central", 1000, lunch(), &Diner::default()),
        Err(CouponRejection::Expired)
    );
}

#[test]
fn a_welcome_code_is_its_members_alone_and_a_batch_code_is_anyones() {
    use catalog::pricing::issued_code_refusal;
    // A welcome code: its member may use it, nobody else.
    assert_eq!(issued_code_refusal("mem_a", Some("mem_a")), None);
    assert_eq!(
        issued_code_refusal("mem_a", Some("mem_b")),
        Some(CouponRejection::IssuedToAnotherMember)
    );
    assert_eq!(
        issued_code_refusal("mem_a", None),
        Some(CouponRejection::MembersOnly)
    );
    // A printed batch code: anyone, member or not.
    assert_eq!(issued_code_refusal("", None), None);
    assert_eq!(issued_code_refusal("", Some("mem_b")), None);
}

#[test]
fn the_refusal_of_another_members_code_reads_the_same_everywhere() {
    let json = serde_json::to_value(CouponRejection::IssuedToAnotherMember).expect("json");
    assert_eq!(json["reason"], "issued_to_another_member");
}
