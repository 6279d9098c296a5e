//! Properties of buy-x-get-y: the discount is the cheapest units, never more
//! than the cap allows, and never more than the units in scope cost.

use catalog::pricing::buy_x_get_y_discount;
use catalog::CouponRejection;
use proptest::prelude::*;

fn units() -> impl Strategy<Value = Vec<(i64, u32)>> {
    prop::collection::vec((0i64..100_000, 1u32..=99), 1..12)
}

proptest! {
    #[test]
    fn free_units_are_the_cheapest_and_capped(
        units in units(),
        buy in 1u32..=10,
        get in 1u32..=5,
        max_free in prop::option::of(1u32..=20),
    ) {
        let have: u64 = units.iter().map(|(_, q)| u64::from(*q)).sum();
        let group = u64::from(buy + get);
        match buy_x_get_y_discount(&units, buy, get, max_free) {
            Err(CouponRejection::NotEnoughItems { needed, have: counted }) => {
                prop_assert!(have < group);
                prop_assert_eq!(u64::from(needed), group);
                prop_assert_eq!(u64::from(counted), have);
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
            Ok(discount) => {
                let mut free = (have / group) * u64::from(get);
                if let Some(cap) = max_free {
                    free = free.min(u64::from(cap));
                }
                // Expand every unit, cheapest first: the free ones are a prefix.
                let mut all: Vec<i64> = units
                    .iter()
                    .flat_map(|(p, q)| std::iter::repeat_n(*p, *q as usize))
                    .collect();
                all.sort_unstable();
                let expected: i64 = all.iter().take(free as usize).sum();
                prop_assert_eq!(discount, expected);
                let total: i64 = all.iter().sum();
                prop_assert!(discount >= 0 && discount <= total);
                // Fewer than a full group more would never give more free units.
                let most_expensive: i64 = all.iter().rev().take(free as usize).sum();
                prop_assert!(discount <= most_expensive);
            }
        }
    }

    #[test]
    fn order_of_lines_does_not_matter(units in units(), buy in 1u32..=4, get in 1u32..=3) {
        let mut reversed = units.clone();
        reversed.reverse();
        prop_assert_eq!(
            buy_x_get_y_discount(&units, buy, get, None),
            buy_x_get_y_discount(&reversed, buy, get, None)
        );
    }
}
