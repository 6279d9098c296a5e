//! Ratings after the meal: once an order is completed, its diner may rate it once —
//! 1 to 5 stars, an optional note, and optionally each dish — in the merchant's own
//! store. A second rating of the same order is refused, under concurrency too. The
//! order's location and campaign are kept with the rating, so the marketer can count
//! ratings per dish and per campaign without reading the orders again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest note kept, in characters.
pub const MAX_NOTE: usize = 500;

/// One diner's rating of one completed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rating {
    pub order_id: String,
    pub location: String,
    /// The campaign that brought the order, if one did.
    pub campaign: Option<String>,
    /// 1 to 5.
    pub stars: u8,
    pub note: Option<String>,
    /// Dishes the diner rated on their own, each at most once.
    pub dishes: Vec<DishRating>,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

/// One dish's stars within a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DishRating {
    pub dish: String,
    /// 1 to 5.
    pub stars: u8,
}

/// Stars counted: how many ratings and their mean (two decimals, 0 when none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Stars {
    pub ratings: u32,
    pub average: f64,
    /// How many gave 1, 2, 3, 4 and 5 stars.
    pub histogram: [u32; 5],
}

impl Stars {
    fn add(&mut self, stars: u8) {
        if (1..=5).contains(&stars) {
            self.histogram[usize::from(stars - 1)] += 1;
            self.ratings += 1;
        }
    }

    fn finish(mut self) -> Stars {
        let total: u32 = self
            .histogram
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u32 + 1) * n)
            .sum();
        if self.ratings > 0 {
            self.average = (f64::from(total) * 100.0 / f64::from(self.ratings)).round() / 100.0;
        }
        self
    }
}

/// The stars of one dish or one campaign.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Counted {
    /// The dish or campaign id.
    pub id: String,
    pub stars: Stars,
}

/// What the marketer reads: every rating, per dish (the dish's own stars) and per
/// campaign (the order's stars; `(none)` for orders no campaign brought).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct RatingSummary {
    pub all: Stars,
    /// By dish id, sorted.
    pub dishes: Vec<Counted>,
    /// By campaign id, sorted; `(none)` last.
    pub campaigns: Vec<Counted>,
}

/// Counts `ratings` (pure: the report and the tests share it).
pub fn summarize(ratings: &[Rating]) -> RatingSummary {
    use std::collections::BTreeMap;
    let mut all = Stars::default();
    let mut dishes: BTreeMap<&str, Stars> = BTreeMap::new();
    let mut campaigns: BTreeMap<(bool, &str), Stars> = BTreeMap::new();
    for rating in ratings {
        all.add(rating.stars);
        let campaign = rating.campaign.as_deref();
        campaigns
            .entry((campaign.is_none(), campaign.unwrap_or("(none)")))
            .or_default()
            .add(rating.stars);
        for dish in &rating.dishes {
            dishes.entry(&dish.dish).or_default().add(dish.stars);
        }
    }
    RatingSummary {
        all: all.finish(),
        dishes: dishes
            .into_iter()
            .map(|(d, s)| Counted {
                id: d.to_owned(),
                stars: s.finish(),
            })
            .collect(),
        campaigns: campaigns
            .into_iter()
            .map(|((_, c), s)| Counted {
                id: c.to_owned(),
                stars: s.finish(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(stars: u8, campaign: Option<&str>, dishes: &[(&str, u8)]) -> Rating {
        Rating {
            order_id: format!("ord_{stars}"),
            location: "downtown".into(),
            campaign: campaign.map(str::to_owned),
            stars,
            note: None,
            dishes: dishes
                .iter()
                .map(|(d, s)| DishRating {
                    dish: (*d).to_owned(),
                    stars: *s,
                })
                .collect(),
            at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn ratings_are_counted_per_dish_and_per_campaign() {
        let summary = summarize(&[
            rating(5, Some("spring"), &[("noodles", 5), ("tea", 3)]),
            rating(2, Some("spring"), &[("noodles", 1)]),
            rating(4, None, &[]),
        ]);
        assert_eq!(summary.all.ratings, 3);
        assert_eq!(summary.all.average, 3.67);
        assert_eq!(summary.all.histogram, [0, 1, 0, 1, 1]);
        let names: Vec<_> = summary
            .dishes
            .iter()
            .map(|c| (c.id.as_str(), c.stars.ratings, c.stars.average))
            .collect();
        assert_eq!(names, [("noodles", 2, 3.0), ("tea", 1, 3.0)]);
        let campaigns: Vec<_> = summary
            .campaigns
            .iter()
            .map(|c| (c.id.as_str(), c.stars.ratings, c.stars.average))
            .collect();
        assert_eq!(campaigns, [("spring", 2, 3.5), ("(none)", 1, 4.0)]);
        assert_eq!(summarize(&[]).all, Stars::default());
    }
}
