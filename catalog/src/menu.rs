//! Menus: categories of dishes, each with option groups of choices.

use serde::{Deserialize, Serialize};

use crate::money::Minor;
use crate::schedule::Window;
use crate::text::Localized;

/// A menu served at one or more locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Menu {
    pub id: String,
    pub name: Localized,
    pub categories: Vec<Category>,
}

/// A section of a menu (starters, noodles, breakfast…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: Localized,
    /// When the whole category can be ordered (e.g. breakfast only); `None` means whenever open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<Window>,
    pub dishes: Vec<Dish>,
}

/// Something a diner can order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dish {
    /// Unique across the whole site.
    pub id: String,
    pub name: Localized,
    /// Markdown, per language.
    #[serde(default)]
    pub description: Localized,
    /// Base price in minor units (tax-inclusive or not, as the site's tax rule says).
    pub price: Minor,
    /// Path of the image under `images/`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub allergens: Vec<String>,
    #[serde(default)]
    pub options: Vec<OptionGroup>,
    /// When the dish can be ordered; `None` means whenever its category can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<Window>,
    #[serde(default)]
    pub sold_out: bool,
    /// A set meal: its option groups pick other dishes (`Choice::dish`).
    #[serde(default)]
    pub combo: bool,
}

/// A set of choices for a dish: spice level, add-ons, the mains of a combo.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptionGroup {
    /// Unique within the dish.
    pub id: String,
    pub name: Localized,
    /// At least this many choices must be picked (1 or more means required).
    pub min: u32,
    /// At most this many choices may be picked.
    pub max: u32,
    pub choices: Vec<Choice>,
}

impl OptionGroup {
    /// A group is required when at least one choice must be picked.
    pub fn required(&self) -> bool {
        self.min > 0
    }
}

/// One pickable choice of an option group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Choice {
    /// Unique within its group.
    pub id: String,
    pub name: Localized,
    /// Added to the dish price per unit (0 for most choices).
    #[serde(default)]
    pub price_delta: Minor,
    #[serde(default)]
    pub sold_out: bool,
    /// For combos: the dish this choice stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dish: Option<String>,
}

impl Menu {
    /// Every dish of the menu with its category.
    pub fn dishes(&self) -> impl Iterator<Item = (&Category, &Dish)> {
        self.categories
            .iter()
            .flat_map(|c| c.dishes.iter().map(move |d| (c, d)))
    }

    /// The dish with this id and its category.
    pub fn dish(&self, id: &str) -> Option<(&Category, &Dish)> {
        self.dishes().find(|(_, d)| d.id == id)
    }
}

impl Dish {
    /// The option group with this id.
    pub fn group(&self, id: &str) -> Option<&OptionGroup> {
        self.options.iter().find(|g| g.id == id)
    }
}

/// What separates the parts of a set meal's nested option key.
pub const NESTED_KEY_SEPARATOR: char = '/';

/// The key of the chosen dish's own option group inside a set meal.
///
/// In a set meal whose group `main` offers the choice `dandan` (standing for the dish
/// `dan-dan`), the dan dan noodles' `spice` group is picked under `main/dandan/spice`:
/// the kitchen learns the spice of the noodles the diner chose. Ids never hold `/`,
/// so a key splits back unambiguously ([`split_nested_key`]).
pub fn nested_group_key(group: &str, choice: &str, inner: &str) -> String {
    let sep = NESTED_KEY_SEPARATOR;
    format!("{group}{sep}{choice}{sep}{inner}")
}

/// The set meal's group, its choice and the chosen dish's group of a nested key;
/// `None` for a dish's own group id.
pub fn split_nested_key(key: &str) -> Option<(&str, &str, &str)> {
    let mut parts = key.splitn(3, NESTED_KEY_SEPARATOR);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(group), Some(choice), Some(inner)) => Some((group, choice, inner)),
        _ => None,
    }
}
