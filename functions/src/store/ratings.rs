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
