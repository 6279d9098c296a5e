//! The HTML pages, rendered through the theme's templates.
//!
//! Everything a page shows about a dish is computed once per language in
//! [`Model::new`]; each page then only picks the dishes it lists, so the work
//! grows with the number of pages plus the number of dishes, never their product.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use catalog::{Category, Dish, Site, Window};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tera::{Context, Tera};

use super::assets::Assets;
use super::images::{ImageSet, ImgView};
use super::markdown::{self, RawHtml};
use super::seo::{self, ItemFacts};
use super::theme::Theme;
use super::{page_file, qr, Output, RenderError};
use crate::urls;
use crate::Project;

/// Shops, and Markdown pages, listed in every page's navigation at most: a site with
/// more lists none of that kind there, and its home page lists them all.
pub const NAV_MAX: usize = 8;
/// Characters of a dish description shown on listings.
const SUMMARY_CHARS: usize = 110;
/// Choices of a group named in a listing's options summary before `…`.
const SUMMARY_CHOICES: usize = 4;

/// A link with its text.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub label: String,
    pub href: String,
}

/// The same page in another language.
#[derive(Debug, Clone, Serialize)]
pub struct Alternate {
    pub lang: String,
    /// The language's own name: `中文`, `English`.
    pub label: String,
    /// Site-relative URL.
    pub href: String,
    /// Absolute URL.
    pub abs: String,
}

/// An image for Open Graph.
#[derive(Debug, Clone, Serialize)]
pub struct OgImage {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A tag as a link: `{name: "vegetarian", href: "/en/tags/vegetarian/"}`.
#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    pub name: String,
    pub href: String,
}

/// A choice of an option group, for display.
#[derive(Debug, Clone, Serialize)]
pub struct ChoiceView {
    pub id: String,
    pub name: String,
    /// `+¥3.00`, or empty when the choice costs nothing extra.
    pub delta: String,
    pub delta_minor: i64,
    pub sold_out: bool,
    /// In a set meal, the own option groups of the dish this choice stands for,
    /// keyed `group/choice/inner` (see [`catalog::menu::nested_group_key`]).
    pub groups: Vec<GroupView>,
}

/// An option group, for display.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// The group's key in a cart line: its id, or a set meal's nested key.
    pub id: String,
    /// The dish the group belongs to (a set meal's chosen dish for a nested group).
    pub dish: String,
    /// The group's id on that dish (what a sold-out switch names).
    pub own_id: String,
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub required: bool,
    pub choices: Vec<ChoiceView>,
}

/// Everything the templates show about one dish in one language.
#[derive(Debug, Clone, Serialize)]
pub struct DishView {
    pub id: String,
    pub name: String,
    /// The dish page.
    pub href: String,
    /// Formatted base price, e.g. `¥32.00`.
    pub price: String,
    /// Base price in minor units, for `data-price`.
    pub price_minor: i64,
    /// Plain-text start of the description.
    pub summary: String,
    /// The whole description as HTML (raw HTML in it is escaped).
    pub description_html: String,
    /// `Spice (required): Mild, Medium, Hot · Add-ons: Egg +¥3.00`.
    pub options_summary: String,
    pub has_options: bool,
    pub options: Vec<GroupView>,
    pub tags: Vec<TagLink>,
    /// Allergen names in the page's language, joined with `, `.
    pub allergens: String,
    /// Allergen names in the page's language (the menu's allergen filter).
    pub allergen_list: Vec<String>,
    pub sold_out: bool,
    pub combo: bool,
    /// The dish's own availability, e.g. `Mon–Fri 07:00–10:30`.
    pub available: Option<String>,
    /// The dish's availability, or its category's.
    pub available_any: Option<String>,
    /// Thumbnail `<img>` (listings).
    pub image: Option<ImgView>,
    /// Full-width `<img>` (dish page).
    pub image_full: Option<ImgView>,
    #[serde(skip)]
    pub og_image: Option<OgImage>,
}

struct LangModel {
    /// Index in [`Model::langs`].
    index: usize,
    lang: String,
    t: BTreeMap<String, String>,
    /// What every page of the language shares (`t`, `nav`, assets…), serialized
    /// once: each page clones it and inserts only its own fields.
    base: Context,
    /// Every dish in this language, in [`Model::dishes`] order.
    dishes: Vec<Arc<DishEntry>>,
}

/// One dish in one language: what the menu, tag and home pages show of it, made once
/// and shared by every page that lists it (and, in a session, by the next build). Its
/// whole [`DishView`] is only made for its own page, and not kept.
pub(crate) struct DishEntry {
    name: String,
    og_image: Option<OgImage>,
    /// Its schema.org `MenuItem`, as JSON text (`None` once its menu pages are
    /// rendered, outside a session).
    item: Option<Box<RawValue>>,
    /// Its `<li>` on a menu (the theme's `menu_dish.html`); empty when no menu shows it,
    /// and emptied once its menu pages are rendered, outside a session.
    card: String,
    /// Its `<li>` on a tag page (the theme's `tag_dish.html`); empty without tags.
    tag_card: String,
    /// A hash of everything the entry is made from (0 outside a session): equal
    /// keys, equal entry.
    key: u64,
}

impl std::fmt::Debug for DishEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DishEntry")
            .field("name", &self.name)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A dish's entry in one language, and its page's path and input key (in a session).
type EntryAndPage = (Arc<DishEntry>, Option<(String, u64)>);

/// A menu's entries per language, and the keys of its dish and menu pages.
type MenuDone = (Vec<Vec<Arc<DishEntry>>>, Vec<(String, u64)>);

/// The entries of one menu's dishes in one language: the dishes `start..` of
/// [`Model::dishes`].
struct Listed<'e> {
    entries: &'e [Arc<DishEntry>],
    start: usize,
}

impl Listed<'_> {
    /// The entry of dish `i` of [`Model::dishes`], when it is one of these.
    fn get(&self, i: usize) -> Option<&DishEntry> {
        self.entries.get(i.checked_sub(self.start)?).map(|e| &**e)
    }
}

/// The dish entries of the last build, by language and dish id, kept by a session.
pub(crate) type DishCache = HashMap<(String, String), Arc<DishEntry>>;

struct TagGroup {
    slug: String,
    label: String,
    dishes: Vec<usize>,
}

/// Everything computed once before pages are rendered in parallel.
pub struct Model<'a> {
    site: &'a Site,
    tera: Tera,
    assets: &'a Assets,
    base: &'a str,
    /// Every dish of every menu with its category, in menu order.
    dishes: Vec<(&'a Category, &'a Dish)>,
    /// Index in `dishes` of each dish id.
    dish_index: HashMap<&'a str, usize>,
    /// Indexes of the locations whose menu holds each dish.
    dish_locations: Vec<Vec<usize>>,
    /// Per menu of the site: its dishes' range in `dishes`, and the locations showing it.
    menu_parts: Vec<(std::ops::Range<usize>, Vec<usize>)>,
    tags: Vec<TagGroup>,
    langs: Vec<LangModel>,
    images: &'a HashMap<String, ImageSet>,
    /// A hash of everything every page shows (theme, settings, navigation, base URL,
    /// assets); `None` outside a session, where nothing is compared with a last build.
    global: Option<u64>,
    /// In a session, per dish, a hash of everything its entries are made from but
    /// the language; else empty.
    dish_keys: Vec<u64>,
}

/// The language's own name.
pub fn language_name(code: &str) -> String {
    match code {
        "zh" | "zh-Hans" | "zh-CN" => "中文",
        "zh-Hant" | "zh-TW" | "zh-HK" => "繁體中文",
        "en" => "English",
        "ja" => "日本語",
        "ko" => "한국어",
        "fr" => "Français",
        "de" => "Deutsch",
        "es" => "Español",
        "it" => "Italiano",
        "pt" => "Português",
        "vi" => "Tiếng Việt",
        "th" => "ไทย",
        other => other,
    }
    .to_owned()
}

/// A price for display (see [`catalog::Currency::display`]).
pub fn display_price(currency: &catalog::Currency, amount: i64) -> String {
    currency.display(amount)
}

/// A window for people: `Mon–Fri 07:00–10:30`, or `Every day` when it limits nothing.
pub fn window_label(window: &Window, t: &BTreeMap<String, String>) -> String {
    let word = |key: &str| t.get(key).cloned().unwrap_or_else(|| key.to_owned());
    let day = |d: chrono::Weekday| word(&format!("day_{}", catalog::schedule::weekdays::name(d)));
    let mut parts = Vec::new();
    for (a, b) in seo::day_runs(&window.days) {
        let span = b.num_days_from_monday() - a.num_days_from_monday();
        match span {
            0 => parts.push(day(a)),
            1 => {
                parts.push(day(a));
                parts.push(day(b));
            }
            _ => parts.push(format!("{}–{}", day(a), day(b))),
        }
    }
    let days = parts.join(", ");
    let hours = window
        .hours
        .iter()
        .map(catalog::TimeRange::display)
        .collect::<Vec<_>>()
        .join(", ");
    match (days.is_empty(), hours.is_empty()) {
        (true, true) => word("every_day"),
        (true, false) => hours,
        (false, true) => days,
        (false, false) => format!("{days} {hours}"),
    }
}

fn windows_label(windows: &[Window], t: &BTreeMap<String, String>) -> String {
    windows
        .iter()
        .map(|w| window_label(w, t))
        .collect::<Vec<_>>()
        .join("; ")
}

impl<'a> Model<'a> {
    /// Precomputes the tag index, the navigation and each language's shared context.
    /// The dishes' entries are made by [`render_pages_into`], with their pages.
    pub fn new(
        project: &'a Project,
        theme: &'a Theme,
        assets: &'a Assets,
        images: &'a HashMap<String, ImageSet>,
        base: &'a str,
    ) -> Model<'a> {
        Model::build(project, theme, assets, images, base, false)
    }

    /// Like [`Model::new`]; when `keyed` (in a session), also hashes what each dish's
    /// entries are made from, so [`render_pages_into`] can tell which changed.
    pub(crate) fn build(
        project: &'a Project,
        theme: &'a Theme,
        assets: &'a Assets,
        images: &'a HashMap<String, ImageSet>,
        base: &'a str,
        keyed: bool,
    ) -> Model<'a> {
        let site = &project.site;
        let mut tera = theme.tera.clone();
        let asset_urls = assets.urls.clone();
        tera.register_function(
            "asset_url",
            move |args: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
                let name = args
                    .get("name")
                    .and_then(tera::Value::as_str)
                    .ok_or_else(|| tera::Error::msg("asset_url needs name=\"style.css\""))?;
                asset_urls
                    .get(name)
                    .map(|u| tera::Value::String(u.clone()))
                    .ok_or_else(|| {
                        tera::Error::msg(format!("the theme has no static file `{name}`"))
                    })
            },
        );

        let dishes: Vec<(&Category, &Dish)> = site.menus.iter().flat_map(|m| m.dishes()).collect();
        let mut dish_index = HashMap::with_capacity(dishes.len());
        for (i, (_, d)) in dishes.iter().enumerate() {
            dish_index.entry(d.id.as_str()).or_insert(i);
        }
        let mut menu_locations: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, l) in site.locations.iter().enumerate() {
            menu_locations.entry(l.menu.as_str()).or_default().push(i);
        }
        let mut dish_locations = Vec::with_capacity(dishes.len());
        let mut menu_parts = Vec::with_capacity(site.menus.len());
        for m in &site.menus {
            let locs = menu_locations
                .get(m.id.as_str())
                .cloned()
                .unwrap_or_default();
            let start = dish_locations.len();
            for _ in m.dishes() {
                dish_locations.push(locs.clone());
            }
            menu_parts.push((start..dish_locations.len(), locs));
        }

        let mut tag_slots: BTreeMap<String, TagGroup> = BTreeMap::new();
        for (i, (_, d)) in dishes.iter().enumerate() {
            for tag in &d.tags {
                let slug = urls::slug(tag);
                let group = tag_slots.entry(slug.clone()).or_insert_with(|| TagGroup {
                    slug,
                    label: tag.clone(),
                    dishes: Vec::new(),
                });
                if group.dishes.last() != Some(&i) {
                    group.dishes.push(i);
                }
            }
        }
        let tags: Vec<TagGroup> = tag_slots.into_values().collect();

        let global = keyed.then(|| global_key(site, theme.fingerprint, base, assets));
        // Per dish, a hash of everything its entries are made from but the language.
        let dish_keys: Vec<u64> = match global {
            Some(global) => dishes
                .par_iter()
                .map(|(c, d)| {
                    let variants = d
                        .image
                        .as_deref()
                        .and_then(|i| images.get(i))
                        .map(|s| &s.variants);
                    // Compared only within one process: std's Hash is enough, and
                    // much cheaper than hashing the serialized dish.
                    let mut h = crate::hash::hasher();
                    (global, d, &c.available, variants).hash(&mut h);
                    // A set meal shows its chosen dishes' own option groups.
                    for choice in d.options.iter().flat_map(|g| &g.choices) {
                        let inner = choice.dish.as_deref().and_then(|id| dish_index.get(id));
                        if let Some(&(_, inner)) = inner.and_then(|&i| dishes.get(i)) {
                            inner.options.hash(&mut h);
                        }
                    }
                    h.finish()
                })
                .collect(),
            None => Vec::new(),
        };

        let fallback = site.default_language();
        let langs = site
            .settings
            .languages
            .par_iter()
            .enumerate()
            .map(|(index, lang)| {
                let t = theme.strings.for_lang(lang);
                let mut nav = vec![Link {
                    label: t.get("home").cloned().unwrap_or_default(),
                    href: urls::home(lang),
                }];
                // A chain's footer cannot list every shop and page on every page: past
                // a handful, the home (which lists them all) stands for them.
                let shops = if site.locations.len() <= NAV_MAX {
                    &site.locations[..]
                } else {
                    &[]
                };
                let pages = if site.pages.len() <= NAV_MAX {
                    &site.pages[..]
                } else {
                    &[]
                };
                for l in shops {
                    let label = if site.locations.len() == 1 {
                        t.get("menu").cloned().unwrap_or_default()
                    } else {
                        l.name.get(lang, fallback).to_owned()
                    };
                    nav.push(Link {
                        label,
                        href: urls::location(lang, &l.id),
                    });
                }
                for p in pages {
                    nav.push(Link {
                        label: p.title.get(lang, fallback).to_owned(),
                        href: urls::page(lang, &p.slug),
                    });
                }
                LangModel {
                    index,
                    lang: lang.clone(),
                    base: base_context(site, assets, lang, &t, &nav),
                    t,
                    dishes: Vec::new(),
                }
            })
            .collect();

        Model {
            site,
            tera,
            assets,
            base,
            dishes,
            dish_index,
            dish_locations,
            menu_parts,
            tags,
            langs,
            images,
            global,
            dish_keys,
        }
    }

    /// Makes every dish's entry in every language, rendering each dish's own page on
    /// the way, then each menu page, menu by menu (menus in parallel). Outside a session,
    /// a menu's listing HTML and JSON-LD are dropped as soon as its menu pages are
    /// written, so a chain's menus are never all in memory at once.
    ///
    /// With `previous`, an entry whose key is unchanged is taken from there, and a dish
    /// or menu page whose key is unchanged is kept. Returns the keys of those pages
    /// (empty without `previous`).
    fn make_entries(
        &mut self,
        previous: Option<&super::RenderCache>,
        sink: &dyn super::Sink,
    ) -> Result<Vec<(String, u64)>, RenderError> {
        let this = &*self;
        let done: Vec<MenuDone> = (0..this.menu_parts.len())
            .into_par_iter()
            .with_max_len(1)
            .map(|m| this.menu_and_dishes(m, previous, sink))
            .collect::<Result<_, RenderError>>()?;
        let mut keys = Vec::new();
        for lm in &mut self.langs {
            lm.dishes = Vec::with_capacity(self.dishes.len());
        }
        for (entries, menu_keys) in done {
            keys.extend(menu_keys);
            for (lm, entries) in self.langs.iter_mut().zip(entries) {
                lm.dishes.extend(entries);
            }
        }
        Ok(keys)
    }

    /// Menu `m`: its dishes' entries and pages, then its menu page at each location
    /// showing it, in every language.
    fn menu_and_dishes(
        &self,
        m: usize,
        previous: Option<&super::RenderCache>,
        sink: &dyn super::Sink,
    ) -> Result<MenuDone, RenderError> {
        let Some((range, locations)) = self.menu_parts.get(m) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let jobs: Vec<(usize, usize)> = (0..self.langs.len())
            .flat_map(|l| range.clone().map(move |i| (l, i)))
            .collect();
        let made: Vec<EntryAndPage> = jobs
            .into_par_iter()
            .map_init(Scratch::default, |scratch, (l, i)| {
                self.entry_and_page(scratch, l, i, previous, sink)
            })
            .collect::<Result<_, RenderError>>()?;
        let mut keys = Vec::new();
        let mut made = made.into_iter();
        let mut entries: Vec<Vec<Arc<DishEntry>>> = (0..self.langs.len())
            .map(|_| {
                made.by_ref()
                    .take(range.len())
                    .map(|(entry, key)| {
                        keys.extend(key);
                        entry
                    })
                    .collect()
            })
            .collect();
        let pages: Vec<(usize, usize)> = (0..self.langs.len())
            .flat_map(|l| locations.iter().map(move |loc| (l, *loc)))
            .collect();
        let page_keys: Vec<Option<(String, u64)>> = pages
            .into_par_iter()
            .map_init(Scratch::default, |scratch, (l, loc)| {
                let lm = self.lang_model(l);
                let listed = Listed {
                    entries: entries.get(l).map_or(&[], Vec::as_slice),
                    start: range.start,
                };
                let key = self.menu_key(lm, loc, &listed);
                if let (Some((path, key)), Some(previous)) = (&key, previous) {
                    if previous.pages.get(path) == Some(key) && sink.keep(path)? {
                        return Ok(Some((path.clone(), *key)));
                    }
                }
                let output = self.menu(scratch, lm, loc, &listed)?;
                if !output.path.is_empty() {
                    sink.put(output)?;
                }
                Ok(key)
            })
            .collect::<Result<_, RenderError>>()?;
        keys.extend(page_keys.into_iter().flatten());
        if self.global.is_none() {
            for entry in entries.iter_mut().flatten() {
                if let Some(entry) = Arc::get_mut(entry) {
                    entry.card = String::new();
                    entry.item = None;
                }
            }
        }
        Ok((entries, keys))
    }

    /// The path and input key of location `loc`'s menu page in a session, else `None`.
    fn menu_key(&self, lm: &LangModel, loc: usize, listed: &Listed<'_>) -> Option<(String, u64)> {
        let global = self.global?;
        let location = self.site.locations.get(loc)?;
        let mut h = HashWriter::new(global);
        h.add(&lm.lang).add("menu").add(location);
        if let Some(menu) = self.site.menu_of(location) {
            h.add(&menu.id).add(&menu.name);
            for c in &menu.categories {
                h.add(&c.id).add(&c.name).add(&c.available);
                let keys: Vec<u64> = c
                    .dishes
                    .iter()
                    .filter_map(|d| listed.get(*self.dish_index.get(d.id.as_str())?))
                    .map(|e| e.key)
                    .collect();
                h.add(&keys);
            }
        }
        Some((
            page_file(&urls::location(&lm.lang, &location.id)),
            h.finish(),
        ))
    }

    /// The path and input key of page `page` of tag `t`'s listing in language `l` in a
    /// session, else `None`.
    fn tag_key(&self, l: usize, t: usize, page: usize) -> Option<(String, u64)> {
        let global = self.global?;
        let lm = self.langs.get(l)?;
        let group = self.tags.get(t)?;
        let keys: Vec<u64> = tag_page_dishes(&group.dishes, page)
            .iter()
            .filter_map(|i| lm.dishes.get(*i).map(|e| e.key))
            .collect();
        let mut h = HashWriter::new(global);
        h.add(&lm.lang)
            .add("tag")
            .add(&group.slug)
            .add(&group.label)
            .add(&page)
            .add(&urls::tag_page_count(group.dishes.len()))
            .add(&keys);
        Some((
            page_file(&urls::tag_page(&lm.lang, &group.label, page)),
            h.finish(),
        ))
    }

    /// Dish `i`'s entry in language `l`, and its page's path and key (in a session).
    fn entry_and_page(
        &self,
        scratch: &mut Scratch,
        l: usize,
        i: usize,
        previous: Option<&super::RenderCache>,
        sink: &dyn super::Sink,
    ) -> Result<EntryAndPage, RenderError> {
        let lm = self.lang_model(l);
        let (Some(&(category, dish)), Some(locations)) =
            (self.dishes.get(i), self.dish_locations.get(i))
        else {
            return Err(RenderError::Template {
                template: "dish.html".into(),
                message: format!("no dish #{i}"),
            });
        };
        let key = self
            .dish_keys
            .get(i)
            .map_or(0, |k| HashWriter::new(*k).add(&lm.lang).finish());
        let page = self.global.map(|_| {
            let path = page_file(&urls::dish(&lm.lang, &dish.id));
            (
                path,
                HashWriter::new(key).add(&lm.lang).add(locations).finish(),
            )
        });
        let cached = previous
            .and_then(|p| p.dishes.get(&(lm.lang.clone(), dish.id.clone())))
            .filter(|e| e.key == key)
            .cloned();
        let kept = match (previous, &page) {
            (Some(p), Some((path, k))) => p.pages.get(path) == Some(k) && sink.keep(path)?,
            _ => false,
        };
        if let (Some(entry), true) = (&cached, kept) {
            return Ok((Arc::clone(entry), page));
        }
        let by_id =
            |id: &str| -> Option<&'a Dish> { self.dish_index.get(id).map(|&i| self.dishes[i].1) };
        let view = dish_view(
            self.site,
            &lm.lang,
            &lm.t,
            category,
            dish,
            self.images,
            self.base,
            &by_id,
        );
        let entry = match cached {
            Some(entry) => entry,
            None => Arc::new(self.entry(scratch, lm, &view, dish, !locations.is_empty(), key)?),
        };
        if !kept {
            let item = seo::menu_item(self.site, &self.item_facts(dish, &view));
            sink.put(self.dish(scratch, lm, i, &view, &item)?)?;
        }
        Ok((entry, page))
    }

    /// What the JSON-LD says of `dish` in `view`'s language.
    fn item_facts<'d>(&self, dish: &'d Dish, view: &'d DishView) -> ItemFacts<'d> {
        ItemFacts {
            dish,
            name: &view.name,
            description: &view.summary,
            url: format!("{}{}", self.base, view.href),
            image: view.og_image.as_ref().map(|i| i.url.clone()),
        }
    }

    /// A dish's entry in one language: its JSON-LD item as menus list it, and its listing HTML rendered
    /// through the theme's `menu_dish.html` (when a menu lists it) and `tag_dish.html`
    /// (when it has tags), with the language's context and the dish as `d`.
    fn entry(
        &self,
        scratch: &mut Scratch,
        lm: &LangModel,
        view: &DishView,
        dish: &Dish,
        listed: bool,
        key: u64,
    ) -> Result<DishEntry, RenderError> {
        let item = seo::listed_item(self.site, &self.item_facts(dish, view));
        let item = serde_json::value::to_raw_value(&item)?;
        let mut ctx = scratch.context(lm);
        ctx.insert("d", view);
        let card = |template: &str| {
            self.tera
                .render(template, ctx.ctx)
                .map_err(|e| RenderError::template(template, e))
        };
        let menu_card = if listed {
            card("menu_dish.html")?
        } else {
            String::new()
        };
        let tag_card = if dish.tags.is_empty() {
            String::new()
        } else {
            card("tag_dish.html")?
        };
        Ok(DishEntry {
            name: view.name.clone(),
            og_image: view.og_image.clone(),
            item: Some(item),
            card: menu_card,
            tag_card,
            key,
        })
    }

    /// This model's dish entries, to keep for the next build of a session.
    pub(crate) fn dish_cache(&self) -> DishCache {
        let mut cache = HashMap::with_capacity(self.dishes.len() * self.langs.len());
        for lm in &self.langs {
            for (entry, (_, d)) in lm.dishes.iter().zip(&self.dishes) {
                cache.insert((lm.lang.clone(), d.id.clone()), Arc::clone(entry));
            }
        }
        cache
    }

    /// The alternates of a page whose URL in language `l` is `url_of(l)`.
    fn alternates(&self, url_of: impl Fn(&str) -> String) -> Vec<Alternate> {
        self.site
            .settings
            .languages
            .iter()
            .map(|l| {
                let href = url_of(l);
                Alternate {
                    lang: l.clone(),
                    label: language_name(l),
                    abs: format!("{}{href}", self.base),
                    href,
                }
            })
            .collect()
    }

    fn site_name(&self, lang: &str) -> &str {
        self.site
            .settings
            .name
            .get(lang, self.site.default_language())
    }

    /// The context every template gets: the language's shared part and the page's own.
    fn context<'c>(&self, scratch: &'c mut Scratch, lm: &LangModel, meta: Meta) -> PageContext<'c> {
        let site_name = self.site_name(&lm.lang);
        let title = if meta.title.is_empty() || meta.title == site_name {
            site_name.to_owned()
        } else {
            format!("{} · {site_name}", meta.title)
        };
        let x_default = meta
            .alternates
            .iter()
            .find(|a| a.lang == self.site.default_language())
            .map(|a| a.abs.clone());
        let mut ctx = scratch.context(lm);
        ctx.insert("title", &title);
        ctx.insert("description", &meta.description);
        ctx.insert("canonical", &format!("{}{}", self.base, meta.path));
        ctx.insert("alternates", &meta.alternates);
        ctx.insert("x_default", &meta.x_default.or(x_default));
        ctx.insert(
            "og_type",
            if meta.og_type.is_empty() {
                "website"
            } else {
                meta.og_type
            },
        );
        ctx.insert("og_image", &meta.og_image);
        ctx.insert("json_ld", &meta.json_ld);
        ctx.insert("noindex", &meta.noindex);
        ctx
    }

    /// The manifest's icons (`icons/icon-*.png` of the theme), or `None` without any.
    fn manifest_icons(&self) -> Option<Vec<Value>> {
        manifest_icons(self.assets)
    }

    /// `/manifest.webmanifest`: the storefront as an installable app, in the default language.
    fn manifest(&self) -> Result<Output, RenderError> {
        let Some(icons) = self.manifest_icons() else {
            return Ok(Output::new("", ""));
        };
        let lang = self.site.default_language();
        let name = self.site_name(lang);
        let manifest = json!({
            "name": name,
            "short_name": name,
            "lang": lang,
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#a3220f",
            "icons": icons,
        });
        Ok(Output::new(
            MANIFEST_PATH.trim_start_matches('/'),
            serde_json::to_vec_pretty(&manifest)?,
        ))
    }

    /// A page of the diner's journey that only scripts fill: order status, member sign-up.
    /// Indexable as the one generic page it is (an order's own address, `?id=…&token=…`,
    /// names it as canonical, and its details come from the API, never from the page).
    fn journey_page(
        &self,
        scratch: &mut Scratch,
        lm: &LangModel,
        slug: &str,
        template: &str,
        (title_key, text_key): (&str, &str),
    ) -> Result<Output, RenderError> {
        let path = urls::page(&lm.lang, slug);
        let meta = Meta {
            alternates: self.alternates(|l| urls::page(l, slug)),
            title: lm.t.get(title_key).cloned().unwrap_or_default(),
            description: lm.t.get(text_key).cloned().unwrap_or_default(),
            path: path.clone(),
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        let locations: Vec<Link> = self
            .site
            .locations
            .iter()
            .map(|l| Link {
                label: l
                    .name
                    .get(&lm.lang, self.site.default_language())
                    .to_owned(),
                href: urls::location(&lm.lang, &l.id),
            })
            .collect();
        ctx.insert("locations", &locations);
        // The status page offers "Pay now" by the policy of the order's location.
        let policies: Vec<PolicyFacts> = self
            .site
            .locations
            .iter()
            .map(|l| PolicyFacts::new(&l.id, &l.payment))
            .collect();
        ctx.insert("payment_policies", &policies);
        // The status page has its own small script (status, payment, "Pay now"),
        // so neither page carries the other's code.
        // (`page_js` replaces `app_js` in base.html; the shared context keeps `app_js`.)
        if slug == "status" {
            if let Some(status_js) = self.assets.url("status.js") {
                ctx.insert("page_js", status_js);
            }
        }
        ctx.insert("qr_js", &self.assets.url("qr.js"));
        // Passkeys are offered on the join page only, by their own small script.
        let passkey_js = if slug == "join" {
            self.assets.url("passkey.js")
        } else {
            None
        };
        ctx.insert("passkey_js", &passkey_js);
        self.render(template, &ctx, &path)
    }

    fn render(
        &self,
        template: &str,
        ctx: &PageContext<'_>,
        path: &str,
    ) -> Result<Output, RenderError> {
        let html = self
            .tera
            .render(template, ctx.ctx)
            .map_err(|e| RenderError::template(template, e))?;
        Ok(Output::new(page_file(path), html))
    }

    fn lang_model(&self, lang: usize) -> &LangModel {
        &self.langs[lang.min(self.langs.len().saturating_sub(1))]
    }

    fn render_job(&self, scratch: &mut Scratch, job: Job) -> Result<Output, RenderError> {
        let s = scratch;
        match job {
            Job::Chooser => self.chooser(s),
            Job::NotFound(l) => self.not_found(s, l),
            Job::Qr => self.qr_sheet(s),
            Job::Home(l) => self.home(s, self.lang_model(l)),
            Job::Menu(l, loc) => {
                let none = Listed {
                    entries: &[],
                    start: 0,
                };
                self.menu(s, self.lang_model(l), loc, &none)
            }
            Job::Page(l, p) => self.page(s, self.lang_model(l), p),
            Job::Tag(l, t, page) => self.tag(s, self.lang_model(l), t, page),
            Job::Status(l) => self.journey_page(
                s,
                self.lang_model(l),
                "status",
                "status.html",
                ("order_status", "order_status_text"),
            ),
            Job::Join(l) => self.journey_page(
                s,
                self.lang_model(l),
                "join",
                "join.html",
                ("join", "join_text"),
            ),
            Job::Manifest => self.manifest(),
        }
    }

    fn chooser(&self, scratch: &mut Scratch) -> Result<Output, RenderError> {
        let Some(lm) = self.langs.first() else {
            return Ok(Output::new("index.html", ""));
        };
        #[derive(Serialize)]
        struct Choice {
            lang: String,
            label: String,
            home: String,
            home_label: String,
            locations: Vec<Link>,
        }
        let choices: Vec<Choice> = self
            .langs
            .iter()
            .map(|m| Choice {
                lang: m.lang.clone(),
                label: language_name(&m.lang),
                home: urls::home(&m.lang),
                home_label: format!(
                    "{} · {}",
                    self.site_name(&m.lang),
                    m.t.get("home").cloned().unwrap_or_default()
                ),
                locations: self
                    .site
                    .locations
                    .iter()
                    .map(|l| Link {
                        label: l.name.get(&m.lang, self.site.default_language()).to_owned(),
                        href: urls::location(&m.lang, &l.id),
                    })
                    .collect(),
            })
            .collect();
        let meta = Meta {
            path: "/".into(),
            alternates: self.alternates(urls::home),
            x_default: Some(format!("{}/", self.base)),
            title: String::new(),
            description: lm.t.get("choose").cloned().unwrap_or_default(),
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        ctx.insert("choices", &choices);
        self.render("chooser.html", &ctx, "/")
    }

    /// `/404.html` in the default language, and `/{lang}/404.html` for each
    /// language (`carte serve` answers a missing `/en/…` page with the English one).
    fn not_found(&self, scratch: &mut Scratch, lang: Option<usize>) -> Result<Output, RenderError> {
        let Some(lm) = lang.map_or(self.langs.first(), |l| self.langs.get(l)) else {
            return Ok(Output::new("404.html", ""));
        };
        let path = match lang {
            Some(_) => format!("/{}/404.html", lm.lang),
            None => "/404.html".to_owned(),
        };
        let meta = Meta {
            path: path.clone(),
            alternates: self.alternates(urls::home),
            title: lm.t.get("not_found").cloned().unwrap_or_default(),
            noindex: true,
            ..Meta::default()
        };
        let ctx = self.context(scratch, lm, meta);
        self.render("404.html", &ctx, &path)
    }

    fn qr_sheet(&self, scratch: &mut Scratch) -> Result<Output, RenderError> {
        let Some(lm) = self.langs.first() else {
            return Ok(Output::new("qr/index.html", ""));
        };
        let word = |k: &str| lm.t.get(k).cloned().unwrap_or_default();
        let sheets = qr::sheets(
            self.site,
            self.base,
            &lm.lang,
            &word("table"),
            &word("tables"),
        );
        let meta = Meta {
            path: "/qr/".into(),
            alternates: Vec::new(),
            title: word("qr_codes"),
            noindex: true,
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        ctx.insert("sheets", &sheets);
        self.render("qr.html", &ctx, "/qr/")
    }

    fn home(&self, scratch: &mut Scratch, lm: &LangModel) -> Result<Output, RenderError> {
        let fallback = self.site.default_language();
        #[derive(Serialize)]
        struct LocationCard {
            name: String,
            href: String,
            address: String,
            hours: String,
            modes: Vec<String>,
        }
        let word = |k: &str| lm.t.get(k).cloned().unwrap_or_default();
        let cards: Vec<LocationCard> = self
            .site
            .locations
            .iter()
            .map(|l| {
                let mut modes = Vec::new();
                if l.dine_in {
                    modes.push(word("dine_in"));
                }
                if l.pickup.is_some() {
                    modes.push(word("pickup"));
                }
                LocationCard {
                    name: l.name.get(&lm.lang, fallback).to_owned(),
                    href: urls::location(&lm.lang, &l.id),
                    address: l.address.get(&lm.lang, fallback).to_owned(),
                    hours: windows_label(&l.hours, &lm.t),
                    modes,
                }
            })
            .collect();
        let pages: Vec<Link> = self
            .site
            .pages
            .iter()
            .map(|p| Link {
                label: p.title.get(&lm.lang, fallback).to_owned(),
                href: urls::page(&lm.lang, &p.slug),
            })
            .collect();
        #[derive(Serialize)]
        struct PageLink {
            title: String,
            href: String,
        }
        let pages: Vec<PageLink> = pages
            .into_iter()
            .map(|l| PageLink {
                title: l.label,
                href: l.href,
            })
            .collect();
        let og_image = lm.dishes.iter().find_map(|d| d.og_image.clone());
        let graph: Vec<Value> = self
            .site
            .locations
            .iter()
            .map(|l| {
                seo::restaurant(
                    self.site,
                    &lm.lang,
                    l,
                    &format!("{}{}", self.base, urls::location(&lm.lang, &l.id)),
                    og_image.as_ref().map(|i| i.url.as_str()),
                )
            })
            .collect();
        let json_ld = json!({"@context": "https://schema.org", "@graph": graph});
        let path = urls::home(&lm.lang);
        let meta = Meta {
            alternates: self.alternates(urls::home),
            title: String::new(),
            description: self
                .site
                .settings
                .description
                .get(&lm.lang, fallback)
                .to_owned(),
            og_image,
            json_ld: Some(seo::script_json(&json_ld)),
            path: path.clone(),
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        ctx.insert("locations", &cards);
        ctx.insert("pages", &pages);
        self.render("home.html", &ctx, &path)
    }

    fn menu(
        &self,
        scratch: &mut Scratch,
        lm: &LangModel,
        loc: usize,
        listed: &Listed<'_>,
    ) -> Result<Output, RenderError> {
        let Some(location) = self.site.locations.get(loc) else {
            return Ok(Output::new("", ""));
        };
        let fallback = self.site.default_language();
        let menu = self.site.menu_of(location);
        #[derive(Serialize)]
        struct CategoryView<'v> {
            anchor: String,
            name: String,
            available: Option<String>,
            /// The `<li>` of each dish.
            cards: Vec<&'v str>,
            #[serde(skip)]
            entries: Vec<&'v DishEntry>,
        }
        let mut categories = Vec::new();
        if let Some(menu) = menu {
            for c in &menu.categories {
                let entries: Vec<&DishEntry> = c
                    .dishes
                    .iter()
                    .filter_map(|d| listed.get(*self.dish_index.get(d.id.as_str())?))
                    .collect();
                categories.push(CategoryView {
                    anchor: format!("c-{}", anchor(&c.id)),
                    name: c.name.get(&lm.lang, fallback).to_owned(),
                    available: c.available.as_ref().map(|w| window_label(w, &lm.t)),
                    cards: entries.iter().map(|e| e.card.as_str()).collect(),
                    entries,
                });
            }
        }
        let sections: Vec<seo::Section<'_>> = categories
            .iter()
            .map(|c| {
                let items = c.entries.iter().filter_map(|e| e.item.as_deref()).collect();
                seo::Section::new(&c.name, items)
            })
            .collect();
        let path = urls::location(&lm.lang, &location.id);
        let og_image = categories
            .iter()
            .flat_map(|c| c.entries.iter())
            .find_map(|e| e.og_image.clone());
        let url = format!("{}{path}", self.base);
        let image = og_image.as_ref().map(|i| i.url.as_str());
        let restaurant = seo::restaurant(self.site, &lm.lang, location, &url, image);
        let json_ld = match menu {
            Some(menu) => seo::script_json(&seo::with_menu(
                restaurant,
                menu.name.get(&lm.lang, fallback),
                &lm.lang,
                &sections,
            )),
            None => seo::script_json(&restaurant),
        };
        let name = location.name.get(&lm.lang, fallback);
        #[derive(Serialize)]
        struct LocationView {
            id: String,
            name: String,
            address: String,
            phone: Option<String>,
            /// `tel:` target: the number without spaces or dashes.
            phone_href: Option<String>,
            hours: String,
            /// The opening hours as the catalog JSON has them, and the site's time
            /// zone: the menu says "closed now · opens at 07:00" before the catalog loads.
            hours_json: String,
            timezone: String,
            catalog: String,
            /// Whether diners can order at a table here, and the tables.
            dine_in: bool,
            tables: Vec<String>,
            /// Whether diners can order for pickup here.
            pickup: bool,
            /// Local `HH:MM` slot starts in opening hours, for the form without JavaScript.
            pickup_times: Vec<String>,
            /// When and how diners pay here, in words.
            payment: PaymentView,
        }
        let view = LocationView {
            id: location.id.clone(),
            name: name.to_owned(),
            address: location.address.get(&lm.lang, fallback).to_owned(),
            phone: location.phone.clone(),
            phone_href: location.phone.as_ref().map(|p| {
                p.chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect()
            }),
            hours: windows_label(&location.hours, &lm.t),
            hours_json: serde_json::to_string(&location.hours).unwrap_or_else(|_| "[]".into()),
            timezone: self.site.settings.timezone.name().to_owned(),
            catalog: urls::catalog_json(&location.id),
            dine_in: location.dine_in,
            tables: if location.dine_in {
                location.tables.clone()
            } else {
                Vec::new()
            },
            pickup: location.pickup.is_some(),
            pickup_times: pickup_times(location),
            payment: PaymentView::new(&location.payment, &lm.t),
        };
        let meta = Meta {
            alternates: self.alternates(|l| urls::location(l, &location.id)),
            title: format!("{} · {name}", lm.t.get("menu").cloned().unwrap_or_default()),
            description: format!("{} · {}", view.address, view.hours),
            og_image,
            json_ld: Some(json_ld),
            path: path.clone(),
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        ctx.insert("location", &view);
        ctx.insert("categories", &categories);
        self.render("menu.html", &ctx, &path)
    }

    fn dish(
        &self,
        scratch: &mut Scratch,
        lm: &LangModel,
        index: usize,
        view: &DishView,
        item: &serde_json::Value,
    ) -> Result<Output, RenderError> {
        let fallback = self.site.default_language();
        let served_at: Vec<Link> = self
            .dish_locations
            .get(index)
            .map(|locs| {
                locs.iter()
                    .filter_map(|i| self.site.locations.get(*i))
                    .map(|l| Link {
                        label: l.name.get(&lm.lang, fallback).to_owned(),
                        href: urls::location(&lm.lang, &l.id),
                    })
                    .collect()
            })
            .unwrap_or_default();
        #[derive(Serialize)]
        struct Served {
            name: String,
            href: String,
        }
        let served_at: Vec<Served> = served_at
            .into_iter()
            .map(|l| Served {
                name: l.label,
                href: l.href,
            })
            .collect();
        let dish_id = view.id.clone();
        let description = if view.summary.is_empty() {
            format!("{} · {}", view.name, view.price)
        } else {
            format!("{} · {}", view.price, view.summary)
        };
        let meta = Meta {
            alternates: self.alternates(|l| urls::dish(l, &dish_id)),
            title: view.name.clone(),
            description,
            og_type: "product",
            og_image: view.og_image.clone(),
            json_ld: Some(with_context(seo::script_json(item))),
            path: view.href.clone(),
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        ctx.insert("dish", view);
        ctx.insert("served_at", &served_at);
        self.render("dish.html", &ctx, &view.href)
    }

    fn page(
        &self,
        scratch: &mut Scratch,
        lm: &LangModel,
        index: usize,
    ) -> Result<Output, RenderError> {
        let Some(page) = self.site.pages.get(index) else {
            return Ok(Output::new("", ""));
        };
        let fallback = self.site.default_language();
        let title = page.title.get(&lm.lang, fallback);
        let body = markdown::without_repeated_title(page.body.get(&lm.lang, fallback), title);
        let description = match page.description.get(&lm.lang, fallback) {
            "" => markdown::summary(body, 160),
            d => d.to_owned(),
        };
        #[derive(Serialize)]
        struct PageView {
            title: String,
            date: Option<String>,
            body_html: String,
        }
        let view = PageView {
            title: title.to_owned(),
            date: page.date.map(|d| d.format("%Y-%m-%d").to_string()),
            body_html: markdown::to_html_with_images(body, RawHtml::Keep, &|p| {
                self.images.get(p).and_then(|s| s.view(false))
            }),
        };
        let path = urls::page(&lm.lang, &page.slug);
        let meta = Meta {
            alternates: self.alternates(|l| urls::page(l, &page.slug)),
            title: view.title.clone(),
            description,
            og_type: "article",
            path: path.clone(),
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        ctx.insert("page", &view);
        self.render("page.html", &ctx, &path)
    }

    /// Page `page` (from 1) of a tag's listing: [`urls::TAG_PAGE_SIZE`] dishes, links
    /// to the pages before and after (in the page and as `rel=prev/next`), and a
    /// canonical address of its own.
    fn tag(
        &self,
        scratch: &mut Scratch,
        lm: &LangModel,
        index: usize,
        page: usize,
    ) -> Result<Output, RenderError> {
        let Some(group) = self.tags.get(index) else {
            return Ok(Output::new("", ""));
        };
        let dishes: Vec<&DishEntry> = tag_page_dishes(&group.dishes, page)
            .iter()
            .filter_map(|i| lm.dishes.get(*i))
            .map(|e| &**e)
            .collect();
        let pages = urls::tag_page_count(group.dishes.len());
        let label = group.label.clone();
        let path = urls::tag_page(&lm.lang, &label, page);
        let name =
            self.site
                .settings
                .labels
                .tag(&group.label, &lm.lang, self.site.default_language());
        let word = |k: &str| lm.t.get(k).cloned().unwrap_or_default();
        let page_words = (pages > 1).then(|| {
            word("page_of")
                .replace("{n}", &page.to_string())
                .replace("{pages}", &pages.to_string())
        });
        let meta = Meta {
            alternates: self.alternates(|l| urls::tag_page(l, &label, page)),
            title: match &page_words {
                Some(p) => format!("{}: {name} · {p}", word("dishes_tagged")),
                None => format!("{}: {name}", word("dishes_tagged")),
            },
            description: dishes
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            path: path.clone(),
            ..Meta::default()
        };
        let mut ctx = self.context(scratch, lm, meta);
        ctx.insert("tag", name);
        ctx.insert("tag_slug", &group.slug);
        let cards: Vec<&str> = dishes.iter().map(|d| d.tag_card.as_str()).collect();
        ctx.insert("cards", &cards);
        let link = |n: usize| {
            (1..=pages)
                .contains(&n)
                .then(|| urls::tag_page(&lm.lang, &label, n))
        };
        let pager = Pager {
            page,
            pages,
            label: page_words.unwrap_or_default(),
            prev: page.checked_sub(1).and_then(link),
            next: link(page + 1),
        };
        ctx.insert(
            "rel_prev",
            &pager.prev.as_ref().map(|p| format!("{}{p}", self.base)),
        );
        ctx.insert(
            "rel_next",
            &pager.next.as_ref().map(|p| format!("{}{p}", self.base)),
        );
        ctx.insert("pager", &pager);
        self.render("tag.html", &ctx, &path)
    }
}

/// Where a paged listing is: its page of its pages, and the pages either side.
#[derive(Debug, Serialize)]
struct Pager {
    page: usize,
    pages: usize,
    /// `Page 2 of 5`, or empty with one page.
    label: String,
    prev: Option<String>,
    next: Option<String>,
}

/// The dishes on page `page` (from 1) of a tag's listing.
fn tag_page_dishes(dishes: &[usize], page: usize) -> &[usize] {
    let start = page.saturating_sub(1).saturating_mul(urls::TAG_PAGE_SIZE);
    let end = start.saturating_add(urls::TAG_PAGE_SIZE).min(dishes.len());
    dishes.get(start..end).unwrap_or_default()
}

/// The part of every page's context that depends only on the language: the theme's
/// words (and their JSON for the scripts), the navigation, the site's name and the assets.
fn base_context(
    site: &Site,
    assets: &Assets,
    lang: &str,
    t: &BTreeMap<String, String>,
    nav: &[Link],
) -> Context {
    let fallback = site.default_language();
    let mut ctx = Context::new();
    ctx.insert("lang", lang);
    ctx.insert("t", t);
    ctx.insert("nav", nav);
    ctx.insert("site_name", site.settings.name.get(lang, fallback));
    ctx.insert(
        "site_description",
        site.settings.description.get(lang, fallback),
    );
    ctx.insert("home_url", &urls::home(lang));
    // "Your orders": the status page lists the orders kept on the device.
    ctx.insert("status_url", &urls::page(lang, "status"));
    ctx.insert("assets", &assets.urls);
    ctx.insert("app_js", &assets.url("app.js"));
    // The theme's words for its scripts (cart, checkout, status), in the page's language.
    ctx.insert("t_json", &seo::script_json(&json!(t)));
    ctx.insert("sw_url", &assets.url("root/sw.js"));
    ctx.insert(
        "manifest_url",
        &manifest_icons(assets).map(|_| MANIFEST_PATH.to_owned()),
    );
    ctx
}

/// The manifest's icons (`icons/icon-*.png` of the theme), or `None` without any.
fn manifest_icons(assets: &Assets) -> Option<Vec<Value>> {
    let icons: Vec<Value> = assets
        .urls
        .iter()
        .filter_map(|(name, url)| {
            let size = name.strip_prefix("icons/icon-")?.strip_suffix(".png")?;
            let (size, purpose) = match size.strip_suffix("-maskable") {
                Some(s) => (s, "maskable"),
                None => (size, "any"),
            };
            Some(json!({"src": url, "sizes": format!("{size}x{size}"), "type": "image/png", "purpose": purpose}))
        })
        .collect();
    (!icons.is_empty()).then_some(icons)
}

/// A JSON-LD object of [`seo::script_json`] with `"@context"` added: it sorts before
/// every other key (`@id`, `@type`, …), so it goes first, as serde_json would put it.
fn with_context(object: String) -> String {
    match object.strip_prefix('{') {
        Some(rest) if rest != "}" => format!("{{\"@context\":\"https://schema.org\",{rest}"),
        _ => "{\"@context\":\"https://schema.org\"}".to_owned(),
    }
}

/// A hash of everything every page shows: the theme, the settings, the navigation
/// (shops and pages), the base URL and the assets.
fn global_key(site: &Site, theme: u64, base: &str, assets: &Assets) -> u64 {
    let pages: Vec<(&str, &catalog::Localized)> = site
        .pages
        .iter()
        .map(|p| (p.slug.as_str(), &p.title))
        .collect();
    HashWriter::new(theme)
        .add(base)
        .add(&site.settings)
        .add(&site.locations)
        .add(&pages)
        .add(&assets.urls)
        .finish()
}

/// An id made safe for an HTML id and a URL fragment.
fn anchor(id: &str) -> String {
    let s = urls::slug(id);
    if s.is_empty() {
        "x".to_owned()
    } else {
        s
    }
}

/// One rayon worker's contexts, one per language, each cloned once from the
/// language's base: a page inserts its own fields and [`PageContext`] removes them
/// when the page is done, so the base (the theme's words, the navigation…) is never
/// serialized or copied per page.
#[derive(Default)]
struct Scratch {
    contexts: Vec<Option<Context>>,
}

impl Scratch {
    fn context(&mut self, lm: &LangModel) -> PageContext<'_> {
        if self.contexts.len() <= lm.index {
            self.contexts.resize_with(lm.index + 1, || None);
        }
        let ctx = self.contexts[lm.index].get_or_insert_with(|| lm.base.clone());
        PageContext {
            ctx,
            keys: Vec::with_capacity(16),
        }
    }
}

/// A language's context with one page's fields in it; they are removed on drop.
struct PageContext<'c> {
    ctx: &'c mut Context,
    keys: Vec<&'static str>,
}

impl PageContext<'_> {
    fn insert<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.ctx.insert(key, value);
        self.keys.push(key);
    }
}

impl Drop for PageContext<'_> {
    fn drop(&mut self) {
        for key in &self.keys {
            self.ctx.remove(key);
        }
    }
}

#[derive(Default)]
struct Meta {
    path: String,
    alternates: Vec<Alternate>,
    x_default: Option<String>,
    title: String,
    description: String,
    og_type: &'static str,
    og_image: Option<OgImage>,
    json_ld: Option<String>,
    noindex: bool,
}

#[derive(Debug, Clone, Copy)]
enum Job {
    Chooser,
    /// The default language's 404 page, or one language's.
    NotFound(Option<usize>),
    Qr,
    Home(usize),
    Menu(usize, usize),
    Page(usize, usize),
    /// Language, tag, and page (from 1) of the tag's listing.
    Tag(usize, usize, usize),
    Status(usize),
    Join(usize),
    Manifest,
}

/// Where the web app manifest is written.
const MANIFEST_PATH: &str = "/manifest.webmanifest";

/// Finds a dish of the site by id.
type DishLookup<'l, 'd> = &'l dyn Fn(&str) -> Option<&'d Dish>;

/// An option group of `owner` under `key`, in `lang`. A set meal's choices that
/// stand for a dish carry that dish's own groups (one level: a set meal picks plain
/// dishes), found through `dishes`.
fn group_view<'d>(
    site: &Site,
    lang: &str,
    owner: &Dish,
    g: &catalog::OptionGroup,
    key: String,
    dishes: Option<DishLookup<'_, 'd>>,
) -> GroupView {
    let fallback = site.default_language();
    let currency = &site.settings.currency;
    GroupView {
        dish: owner.id.clone(),
        own_id: g.id.clone(),
        name: g.name.get(lang, fallback).to_owned(),
        min: g.min,
        max: g.max,
        required: g.required(),
        choices: g
            .choices
            .iter()
            .map(|c| ChoiceView {
                id: c.id.clone(),
                name: c.name.get(lang, fallback).to_owned(),
                delta: if c.price_delta == 0 {
                    String::new()
                } else {
                    format!("+{}", display_price(currency, c.price_delta))
                },
                delta_minor: c.price_delta,
                sold_out: c.sold_out,
                groups: match (dishes, c.dish.as_deref()) {
                    (Some(lookup), Some(target)) => lookup(target)
                        .map(|inner| {
                            inner
                                .options
                                .iter()
                                .map(|ig| {
                                    let nested =
                                        catalog::menu::nested_group_key(&key, &c.id, &ig.id);
                                    group_view(site, lang, inner, ig, nested, None)
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                },
            })
            .collect(),
        id: key,
    }
}

#[allow(clippy::too_many_arguments)]
fn dish_view<'d>(
    site: &Site,
    lang: &str,
    t: &BTreeMap<String, String>,
    category: &Category,
    dish: &Dish,
    images: &HashMap<String, ImageSet>,
    base: &str,
    dishes: DishLookup<'_, 'd>,
) -> DishView {
    let fallback = site.default_language();
    let currency = &site.settings.currency;
    let labels = &site.settings.labels;
    let allergen_list: Vec<String> = dish
        .allergens
        .iter()
        .map(|a| labels.allergen(a, lang, fallback).to_owned())
        .collect();
    let description = dish.description.get(lang, fallback);
    let word = |k: &str| t.get(k).cloned().unwrap_or_default();
    let options: Vec<GroupView> = dish
        .options
        .iter()
        .map(|g| group_view(site, lang, dish, g, g.id.clone(), Some(dishes)))
        .collect();
    let options_summary = options
        .iter()
        .map(|g| {
            let mut names: Vec<String> = g
                .choices
                .iter()
                .take(SUMMARY_CHOICES)
                .map(|c| {
                    if c.delta.is_empty() {
                        c.name.clone()
                    } else {
                        format!("{} {}", c.name, c.delta)
                    }
                })
                .collect();
            if g.choices.len() > SUMMARY_CHOICES {
                names.push("…".into());
            }
            let required = if g.required {
                format!(" ({})", word("required"))
            } else {
                String::new()
            };
            format!("{}{required}: {}", g.name, names.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let image_set = dish.image.as_deref().and_then(|i| images.get(i));
    let own = dish.available.as_ref().map(|w| window_label(w, t));
    DishView {
        id: dish.id.clone(),
        name: dish.name.get(lang, fallback).to_owned(),
        href: urls::dish(lang, &dish.id),
        price: display_price(currency, dish.price),
        price_minor: dish.price,
        summary: markdown::summary(description, SUMMARY_CHARS),
        description_html: markdown::to_html_with_images(description, RawHtml::Escape, &|p| {
            images.get(p).and_then(|s| s.view(false))
        }),
        has_options: !options.is_empty(),
        options_summary,
        options,
        tags: dish
            .tags
            .iter()
            .map(|tag| TagLink {
                name: labels.tag(tag, lang, fallback).to_owned(),
                href: urls::tag(lang, tag),
            })
            .collect(),
        allergens: allergen_list.join(", "),
        allergen_list,
        sold_out: dish.sold_out,
        combo: dish.combo,
        available_any: own
            .clone()
            .or_else(|| category.available.as_ref().map(|w| window_label(w, t))),
        available: own,
        image: image_set.and_then(|s| s.view(true)),
        image_full: image_set.and_then(|s| s.view(false)),
        og_image: image_set.and_then(|s| s.largest()).map(|v| OgImage {
            url: format!("{base}{}", v.url),
            width: v.width,
            height: v.height,
        }),
    }
}

/// Renders every HTML page in parallel: `/`, `/404.html`, `/qr/`, the web app manifest
/// (when the theme has icons), and per language the status and join pages (when the
/// theme has their templates), the home, each location's menu, each dish, each Markdown page and each tag.
pub fn render_pages(model: &mut Model<'_>) -> Result<Vec<Output>, RenderError> {
    let sink = super::Collect::default();
    render_pages_into(model, None, &sink)?;
    Ok(sink.into_outputs())
}

/// Renders every page of [`render_pages`] in parallel into `sink`, each as soon as it
/// is ready.
///
/// The dishes' entries (what listings show of them) are made first, each with its dish
/// page; then the other pages, the menus and tags among them, in parallel.
///
/// With `previous` (a session's last render, whose model was built keyed), the pages
/// that are many — each dish, menu and tag page — get a key hashing everything they
/// show; a page whose key is unchanged is kept through [`super::Sink::keep`] instead
/// of rendered, and an unchanged dish's entry is taken from `previous`. Returns the
/// keys (empty without `previous`).
pub fn render_pages_into(
    model: &mut Model<'_>,
    previous: Option<&super::RenderCache>,
    sink: &dyn super::Sink,
) -> Result<HashMap<String, u64>, RenderError> {
    let dish_keys = model.make_entries(previous, sink)?;
    let model = &*model;
    let site = model.site;
    let mut jobs = vec![Job::Chooser, Job::NotFound(None), Job::Qr, Job::Manifest];
    let status = model.tera.get_template_names().any(|n| n == "status.html");
    let join = model.tera.get_template_names().any(|n| n == "join.html");
    for l in 0..model.langs.len() {
        jobs.push(Job::Home(l));
        jobs.push(Job::NotFound(Some(l)));
        if status {
            jobs.push(Job::Status(l));
        }
        if join {
            jobs.push(Job::Join(l));
        }
        // The menu pages are made with their dishes; here only those of locations
        // whose menu does not exist (a checked site has none).
        jobs.extend(
            (0..site.locations.len())
                .filter(|i| site.menu_of(&site.locations[*i]).is_none())
                .map(|i| Job::Menu(l, i)),
        );
        jobs.extend((0..site.pages.len()).map(|i| Job::Page(l, i)));
        for (i, group) in model.tags.iter().enumerate() {
            let pages = urls::tag_page_count(group.dishes.len());
            jobs.extend((1..=pages).map(|page| Job::Tag(l, i, page)));
        }
    }
    let keys: Vec<Option<(String, u64)>> = jobs
        .into_par_iter()
        .map_init(Scratch::default, |scratch, job| {
            let key = match job {
                Job::Tag(l, t, page) => model.tag_key(l, t, page),
                _ => None,
            };
            if let (Some((path, key)), Some(previous)) = (&key, previous) {
                if previous.pages.get(path) == Some(key) && sink.keep(path)? {
                    return Ok(Some((path.clone(), *key)));
                }
            }
            let output = model.render_job(scratch, job)?;
            if !output.path.is_empty() {
                sink.put(output)?;
            }
            Ok(key)
        })
        .collect::<Result<_, RenderError>>()?;
    Ok(keys.into_iter().flatten().chain(dish_keys).collect())
}

/// A hasher fed by serde: hashes what a value serializes to, without building it.
struct HashWriter(foldhash::quality::FoldHasher<'static>);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::hash::Hasher::write(&mut self.0, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl HashWriter {
    fn new(seed: u64) -> Self {
        let mut h = crate::hash::hasher();
        std::hash::Hasher::write_u64(&mut h, seed);
        HashWriter(h)
    }

    fn add<T: Serialize + ?Sized>(&mut self, value: &T) -> &mut Self {
        // Writing into a hasher cannot fail; the values are plain data.
        let _ = serde_json::to_writer(&mut *self, value);
        std::hash::Hasher::write_u8(&mut self.0, 0xff);
        self
    }

    fn finish(&self) -> u64 {
        std::hash::Hasher::finish(&self.0)
    }
}

/// Every local `HH:MM` at which a pickup slot can start on some open day: the server
/// reads one as the next such time and refuses it when the shop is closed or the slot full.
fn pickup_times(location: &catalog::Location) -> Vec<String> {
    let Some(pickup) = location.pickup else {
        return Vec::new();
    };
    let step = pickup.slot_minutes.max(1);
    let mut minutes: Vec<u32> = (0..24 * 60)
        .step_by(step as usize)
        .filter(|m| {
            let time = chrono::NaiveTime::from_hms_opt(m / 60, m % 60, 0);
            time.is_some_and(|t| {
                location
                    .hours
                    .iter()
                    .any(|w| w.hours.is_empty() || w.hours.iter().any(|h| h.contains(t)))
            })
        })
        .collect();
    minutes.dedup();
    minutes
        .into_iter()
        .map(|m| format!("{:02}:{:02}", m / 60, m % 60))
        .collect()
}

/// A location's payment policy as the checkout says it: when payment is due for
/// dine-in and for pickup, and which methods the shop takes.
#[derive(Debug, Clone, Serialize)]
struct PaymentView {
    /// `pay_at_counter`, `pay_online_optional` or `pay_online_required`.
    dine_in: &'static str,
    pickup: &'static str,
    /// The same, in the page's words ("Pay at the counter"…).
    dine_in_text: String,
    pickup_text: String,
    /// The methods offered, in the page's words, joined.
    methods: String,
}

impl PaymentView {
    fn new(
        policy: &catalog::payment_policy::PaymentPolicy,
        t: &BTreeMap<String, String>,
    ) -> PaymentView {
        let word = |key: &str| t.get(key).cloned().unwrap_or_else(|| key.to_owned());
        let due_text = |due: catalog::payment_policy::Due| {
            word(due.as_str()).replace("{n}", &policy.unpaid_hold_minutes.to_string())
        };
        let methods: Vec<String> = policy
            .methods
            .iter()
            .map(|m| word(&format!("pm_{}", m.as_str())))
            .collect();
        PaymentView {
            dine_in: policy.dine_in.as_str(),
            pickup: policy.pickup.as_str(),
            dine_in_text: due_text(policy.dine_in),
            pickup_text: due_text(policy.pickup),
            methods: methods.join(", "),
        }
    }
}

/// What the status page's script needs of a location's payment policy to offer
/// "Pay now": when payment is due, and the online methods.
#[derive(Debug, Clone, Serialize)]
struct PolicyFacts {
    id: String,
    dine_in: &'static str,
    pickup: &'static str,
    /// `stripe` and/or `wechat_pay`.
    online: Vec<&'static str>,
}

impl PolicyFacts {
    fn new(id: &str, policy: &catalog::payment_policy::PaymentPolicy) -> PolicyFacts {
        PolicyFacts {
            id: id.to_owned(),
            dine_in: policy.dine_in.as_str(),
            pickup: policy.pickup.as_str(),
            online: policy.online_methods().map(|m| m.as_str()).collect(),
        }
    }
}
