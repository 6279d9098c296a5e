//! Checks of `menus/*.yaml`: categories, dishes, option groups, combos.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use catalog::{Category, Choice, Dish, Localized, Menu, OptionGroup};

use super::Checker;
use crate::content::{RawDish, RawGroup, RawMenu, RawText};
use crate::load::Parsed;
use crate::locate::{suggest, At, Problem, YamlPath};
use crate::urls;

/// What the checks of one dish need to know about the other dishes of the site.
struct DishIndex<'r> {
    /// Dish id → (menu id, is a combo, name as written).
    dishes: HashMap<&'r str, (&'r str, bool, &'r RawText)>,
}

/// A dish checked on its own: the dish, its problems and its warnings.
type CheckedDish = (Dish, Vec<Problem>, Vec<Problem>);

/// Where each dish id of a menu file is first defined.
#[derive(Default)]
struct SeenDishes {
    at: HashMap<String, (PathBuf, YamlPath)>,
    /// The ids of `at`, in file order.
    order: Vec<String>,
}

impl Checker<'_> {
    pub(super) fn menus(&mut self) -> Vec<Menu> {
        let loaded = self.loaded;
        let ids: Vec<String> = loaded.menus.iter().map(menu_id).collect();
        let mut index = DishIndex {
            dishes: HashMap::new(),
        };
        for (parsed, menu_id) in loaded.menus.iter().zip(&ids) {
            for c in &parsed.value.categories {
                for d in &c.dishes {
                    index
                        .dishes
                        .entry(d.id.trim())
                        .or_insert((menu_id.as_str(), d.combo, &d.name));
                }
            }
        }
        // Each file is checked on its own (in parallel); then a dish id defined in two
        // files is reported where it comes again.
        type Found = (Vec<Problem>, Vec<Problem>);
        let checked: Vec<(Menu, Found, SeenDishes)> = loaded
            .menus
            .par_iter()
            .zip(&ids)
            .map(|(parsed, id)| {
                let mut checker = self.fork();
                let mut seen = SeenDishes::default();
                let menu = checker.menu(parsed, id.clone(), &index, &mut seen);
                (menu, (checker.problems, checker.warnings), seen)
            })
            .collect();
        let mut seen_menus: HashMap<String, PathBuf> = HashMap::new();
        let mut seen_dishes: HashMap<String, (PathBuf, YamlPath)> = HashMap::new();
        let mut out = Vec::new();
        for ((parsed, (menu, (problems, warnings), mut seen)), id) in
            loaded.menus.iter().zip(checked).zip(ids)
        {
            self.warnings.extend(warnings);
            let file = parsed.file.as_path();
            let id_at = match parsed.value.id {
                Some(_) => At::Value(YamlPath::root().key("id")),
                None => At::File,
            };
            if self.id(file, id_at.clone(), &id, "the menu") {
                if let Some(other) = seen_menus.get(&id) {
                    let other = other.clone();
                    self.report(
                        Problem::new(file, id_at, format!("menu `{id}` is defined twice"))
                            .hint(format!("{} has the same id", other.display())),
                    );
                } else {
                    seen_menus.insert(id.clone(), file.to_owned());
                }
            }
            self.problems.extend(problems);
            for dish in seen.order {
                let Some((file, path)) = seen.at.remove(&dish) else {
                    continue;
                };
                match seen_dishes.get(&dish) {
                    Some((other, other_path)) => {
                        let (other, other_path) = (other.clone(), other_path.clone());
                        self.report(duplicate_dish(&file, path, &dish, &other, other_path));
                    }
                    None => {
                        seen_dishes.insert(dish, (file, path));
                    }
                }
            }
            out.push(menu);
        }
        if loaded.menus.is_empty() && loaded.site.is_some() && self.menus_complete {
            self.report(
                Problem::new("menus", At::File, "the site has no menus")
                    .hint("add a file such as menus/main.yaml with categories of dishes"),
            );
        }
        out
    }

    fn menu(
        &mut self,
        parsed: &Parsed<RawMenu>,
        id: String,
        index: &DishIndex,
        seen_dishes: &mut SeenDishes,
    ) -> Menu {
        let file = parsed.file.as_path();
        let raw = &parsed.value;
        let root = YamlPath::root();
        let name = self.text(
            file,
            &root.key("name"),
            Some(&raw.name),
            "the menu name",
            true,
        );
        if raw.categories.is_empty() {
            self.report(
                Problem::new(
                    file,
                    At::Value(root.key("categories")),
                    "the menu has no categories",
                )
                .hint("add categories, each with dishes"),
            );
        }
        // The dishes are checked in parallel (a chain's menu has hundreds), each with a
        // checker of its own; their problems are then added in file order, after each
        // dish's id is checked against the menu's other dishes.
        let bodies: Vec<Vec<CheckedDish>> = {
            let base = &*self;
            raw.categories
                .par_iter()
                .enumerate()
                .map(|(ci, c)| {
                    let path = root.key("categories").index(ci);
                    let mut checker = base.fork();
                    c.dishes
                        .iter()
                        .enumerate()
                        .map(|(di, d)| {
                            let dpath = path.key("dishes").index(di);
                            let dish = checker.dish(file, &dpath, d, &id, index);
                            let problems = std::mem::take(&mut checker.problems);
                            (dish, problems, std::mem::take(&mut checker.warnings))
                        })
                        .collect()
                })
                .collect()
        };
        let mut categories: Vec<Category> = Vec::new();
        for ((ci, c), body) in raw.categories.iter().enumerate().zip(bodies) {
            let path = root.key("categories").index(ci);
            let cid = c.id.trim().to_owned();
            if self.id(file, At::Value(path.key("id")), &cid, "the category")
                && categories.iter().any(|k| k.id == cid)
            {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("id")),
                        format!("category `{cid}` is defined twice in this menu"),
                    )
                    .hint("category ids must be unique within a menu"),
                );
            }
            let cname = self.text(
                file,
                &path.key("name"),
                Some(&c.name),
                "the category name",
                true,
            );
            let available = c
                .available
                .as_ref()
                .map(|w| self.window(file, &path.key("available"), w));
            if c.dishes.is_empty() {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("dishes")),
                        format!("category `{cid}` has no dishes"),
                    )
                    .hint("add dishes or remove the category"),
                );
            }
            let mut dishes = Vec::new();
            for ((di, d), (dish, problems, warnings)) in c.dishes.iter().enumerate().zip(body) {
                let dpath = path.key("dishes").index(di);
                self.dish_id(file, &dpath, d, seen_dishes);
                self.problems.extend(problems);
                self.warnings.extend(warnings);
                dishes.push(dish);
            }
            categories.push(Category {
                id: cid,
                name: cname,
                available,
                dishes,
            });
        }
        Menu {
            id,
            name,
            categories,
        }
    }

    /// A dish's id: valid, and not already a dish of this menu.
    fn dish_id(&mut self, file: &Path, path: &YamlPath, d: &RawDish, seen: &mut SeenDishes) {
        let id = d.id.trim().to_owned();
        if self.id(file, At::Value(path.key("id")), &id, "the dish") {
            if let Some((other, other_path)) = seen.at.get(&id) {
                let (other, other_path) = (other.clone(), other_path.clone());
                self.report(duplicate_dish(
                    file,
                    path.key("id"),
                    &id,
                    &other,
                    other_path,
                ));
            } else {
                seen.at
                    .insert(id.clone(), (file.to_owned(), path.key("id")));
                seen.order.push(id);
            }
        }
    }

    /// A dish but its id's place in the menu ([`Checker::dish_id`]).
    fn dish(
        &mut self,
        file: &Path,
        path: &YamlPath,
        d: &RawDish,
        menu_id: &str,
        index: &DishIndex,
    ) -> Dish {
        let id = d.id.trim().to_owned();
        let name = self.text(
            file,
            &path.key("name"),
            Some(&d.name),
            "the dish name",
            true,
        );
        let description = self.text(
            file,
            &path.key("description"),
            d.description.as_ref(),
            "the description",
            false,
        );
        let price = self
            .money(file, &path.key("price"), &d.price, "the price")
            .unwrap_or(0);
        let image = d.image.as_ref().map(|i| {
            self.image(file, &path.key("image"), i);
            i.trim().to_owned()
        });
        let mut tags = Vec::new();
        for (i, t) in d.tags.iter().enumerate() {
            let t = t.trim().to_owned();
            if urls::slug(&t).is_empty() {
                self.report(Problem::new(
                    file,
                    At::Value(path.key("tags").index(i)),
                    "a tag needs at least one letter or digit",
                ));
            } else if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let mut allergens = Vec::new();
        for (i, a) in d.allergens.iter().enumerate() {
            let a = a.trim().to_owned();
            if a.is_empty() {
                self.report(Problem::new(
                    file,
                    At::Value(path.key("allergens").index(i)),
                    "an allergen must not be empty",
                ));
            } else if !allergens.contains(&a) {
                allergens.push(a);
            }
        }
        let mut options: Vec<OptionGroup> = Vec::new();
        for (gi, g) in d.options.iter().enumerate() {
            let gpath = path.key("options").index(gi);
            let group = self.group(file, &gpath, g, &id, d.combo, menu_id, index);
            if options.iter().any(|o| o.id == group.id) {
                self.report(
                    Problem::new(
                        file,
                        At::Value(gpath.key("id")),
                        format!("option group `{}` is defined twice in this dish", group.id),
                    )
                    .hint("group ids must be unique within a dish"),
                );
            }
            options.push(group);
        }
        if d.combo
            && !options
                .iter()
                .any(|g| g.choices.iter().any(|c| c.dish.is_some()))
        {
            self.report(
                Problem::new(file, At::Value(path.key("combo")), "a combo needs an option group of dishes")
                    .hint("add a group with `pick: 1` whose choices name dishes: `- dish: dan-dan-noodles`"),
            );
        }
        let available = d
            .available
            .as_ref()
            .map(|w| self.window(file, &path.key("available"), w));
        Dish {
            id,
            name,
            description,
            price,
            image,
            tags,
            allergens,
            options,
            available,
            sold_out: d.sold_out,
            combo: d.combo,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn group(
        &mut self,
        file: &Path,
        path: &YamlPath,
        g: &RawGroup,
        dish_id: &str,
        combo: bool,
        menu_id: &str,
        index: &DishIndex,
    ) -> OptionGroup {
        let id = g.id.trim().to_owned();
        self.id(file, At::Value(path.key("id")), &id, "the option group");
        let name = self.text(
            file,
            &path.key("name"),
            Some(&g.name),
            "the group name",
            true,
        );
        let mut choices: Vec<Choice> = Vec::new();
        for (i, c) in g.choices.iter().enumerate() {
            let cpath = path.key("choices").index(i);
            let mut target_name = None;
            if let Some(target) = &c.dish {
                let target = target.trim();
                let at = At::Value(cpath.key("dish"));
                if !combo {
                    self.report(
                        Problem::new(file, at, "only a combo's choices can name dishes").hint(
                            "set `combo: true` on the dish, or give the choice an `id` and `name`",
                        ),
                    );
                } else if target == dish_id {
                    self.report(Problem::new(file, at, "a combo cannot contain itself"));
                } else {
                    match index.dishes.get(target).copied() {
                        None if !self.menus_complete => {}
                        None => {
                            let hint = suggest(target, index.dishes.keys().copied())
                                .map(|s| format!("did you mean `{s}`?"))
                                .unwrap_or_else(|| "name the id of a dish of this menu".into());
                            self.report(
                                Problem::new(file, at, format!("unknown dish `{target}`"))
                                    .hint(hint),
                            );
                        }
                        Some((other_menu, _, _)) if other_menu != menu_id => {
                            self.report(
                                Problem::new(file, at, format!("dish `{target}` is on menu `{other_menu}`, not on this one"))
                                    .hint("a combo can only pick dishes of its own menu"),
                            );
                        }
                        Some((_, true, _)) => {
                            self.report(Problem::new(
                                file,
                                at,
                                format!("`{target}` is a combo itself; a combo picks plain dishes"),
                            ));
                        }
                        Some((_, false, raw_name)) => {
                            target_name = Some(quiet_text(raw_name, &self.default_language()))
                        }
                    }
                }
            }
            let cid = match (&c.id, &c.dish) {
                (Some(id), _) => id.trim().to_owned(),
                (None, Some(d)) => d.trim().to_owned(),
                (None, None) => {
                    self.report(
                        Problem::new(file, At::Value(cpath.clone()), "the choice has no `id`")
                            .hint("add `id: …` (or, in a combo, `dish: …`)"),
                    );
                    String::new()
                }
            };
            if !cid.is_empty()
                && self.id(
                    file,
                    At::Value(cpath.key(if c.id.is_some() { "id" } else { "dish" })),
                    &cid,
                    "the choice",
                )
                && choices.iter().any(|k| k.id == cid)
            {
                self.report(
                    Problem::new(
                        file,
                        At::Value(cpath.clone()),
                        format!("choice `{cid}` is listed twice in this group"),
                    )
                    .hint("choice ids must be unique within a group"),
                );
            }
            let cname = match (&c.name, target_name) {
                (Some(n), _) => {
                    self.text(file, &cpath.key("name"), Some(n), "the choice name", true)
                }
                (None, Some(n)) => n,
                (None, None) => {
                    if c.dish.is_none() {
                        self.report(
                            Problem::new(
                                file,
                                At::Value(cpath.clone()),
                                "the choice has no `name`",
                            )
                            .hint("add `name: …`"),
                        );
                    }
                    Localized::default()
                }
            };
            let price_delta = c
                .price
                .as_ref()
                .and_then(|p| self.money(file, &cpath.key("price"), p, "the price"))
                .unwrap_or(0);
            choices.push(Choice {
                id: cid,
                name: cname,
                price_delta,
                sold_out: c.sold_out,
                dish: c.dish.as_ref().map(|d| d.trim().to_owned()),
            });
        }
        let n = u32::try_from(g.choices.len()).unwrap_or(u32::MAX);
        if g.choices.is_empty() {
            self.report(Problem::new(
                file,
                At::Value(path.key("choices")),
                "the group has no choices",
            ));
        }
        let (min, max) = self.bounds(file, path, g, n);
        OptionGroup {
            id,
            name,
            min,
            max,
            choices,
        }
    }

    /// `min` and `max` of a group from `pick`, `required`, `min` and `max`.
    fn bounds(&mut self, file: &Path, path: &YamlPath, g: &RawGroup, n: u32) -> (u32, u32) {
        if let Some(pick) = g.pick {
            if g.min.is_some() || g.max.is_some() || g.required.is_some() {
                self.report(
                    Problem::new(
                        file,
                        At::Key(path.key("pick")),
                        "`pick` cannot be combined with `min`, `max` or `required`",
                    )
                    .hint("`pick: N` means exactly N: remove the others"),
                );
            }
            if pick == 0 {
                self.report(Problem::new(
                    file,
                    At::Value(path.key("pick")),
                    "pick must be at least 1",
                ));
            } else if pick > n && n > 0 {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("pick")),
                        format!(
                            "pick is {pick} but the group has only {n} choice{}",
                            plural(n)
                        ),
                    )
                    .hint("add choices or pick fewer"),
                );
            }
            return (pick, pick);
        }
        let required = g.required.unwrap_or(g.min.is_some_and(|m| m > 0));
        let min = g.min.unwrap_or(u32::from(required));
        if required && min == 0 {
            self.report(
                Problem::new(
                    file,
                    At::Value(path.key("min")),
                    "a required group needs min of at least 1",
                )
                .hint("remove `min`, or set `required: false`"),
            );
        }
        if g.required == Some(false) && min > 0 {
            self.report(
                Problem::new(
                    file,
                    At::Value(path.key("required")),
                    format!("the group is not required but min is {min}"),
                )
                .hint("set `required: true`, or remove `min`"),
            );
        }
        let max = g
            .max
            .unwrap_or(if required { min.max(1) } else { n.max(1) });
        if max == 0 {
            self.report(
                Problem::new(file, At::Value(path.key("max")), "max must be at least 1")
                    .hint("a group nobody can pick from is not needed: remove it"),
            );
        } else if min > max {
            let at = if g.min.is_some() {
                At::Value(path.key("min"))
            } else {
                At::Value(path.key("max"))
            };
            self.report(
                Problem::new(file, at, format!("min ({min}) is greater than max ({max})"))
                    .hint("min is how many choices must be picked, max how many may be"),
            );
        } else if max > n && n > 0 {
            let at = if g.max.is_some() {
                At::Value(path.key("max"))
            } else {
                At::Value(path.key("min"))
            };
            self.report(
                Problem::new(
                    file,
                    at,
                    format!(
                        "max is {max} but the group has only {n} choice{}",
                        plural(n)
                    ),
                )
                .hint(format!("set max to {n} or less, or add choices")),
            );
        }
        (min, max)
    }

    /// Checks that an image path names a file under `images/`.
    pub(super) fn image(&mut self, file: &Path, path: &YamlPath, image: &str) {
        let loaded = self.loaded;
        let image = image.trim();
        if loaded.images.iter().any(|i| i == image) {
            if let Some(problem) = loaded.image_problems.get(image) {
                self.report(
                    Problem::new(file, At::Value(path.clone()), problem.message(image))
                        .hint(problem.hint()),
                );
            }
            return;
        }
        let stripped = image.trim_start_matches('/').trim_start_matches("images/");
        let hint = if stripped != image && loaded.images.iter().any(|i| i == stripped) {
            format!("image paths are relative to images/: write `{stripped}`")
        } else {
            match suggest(image, loaded.images.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    "put the picture in images/ and give its path relative to that folder".into()
                }
            }
        };
        self.report(
            Problem::new(
                file,
                At::Value(path.clone()),
                format!("no image `{image}` in images/"),
            )
            .hint(hint),
        );
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A dish id defined a second time, at `path` of `file`; first at `other_path` of `other`.
fn duplicate_dish(
    file: &Path,
    path: YamlPath,
    id: &str,
    other: &Path,
    other_path: YamlPath,
) -> Problem {
    Problem::new(
        file,
        At::Value(path),
        format!("dish `{id}` is defined twice"),
    )
    .hint("dish ids must be unique across the site")
    .related(other, other_path)
}

/// The menu's id: its `id` field, else its file name.
fn menu_id(parsed: &Parsed<RawMenu>) -> String {
    parsed
        .value
        .id
        .as_ref()
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| parsed.stem.clone())
}

/// Localized text without checks (for defaults copied from a dish checked elsewhere).
fn quiet_text(raw: &RawText, default: &str) -> Localized {
    match raw {
        RawText::Plain(s) => Localized::plain(default, s.trim_end()),
        RawText::ByLanguage(pairs) => pairs
            .iter()
            .map(|(l, t)| (l.clone(), t.trim_end().to_owned()))
            .collect(),
    }
}
