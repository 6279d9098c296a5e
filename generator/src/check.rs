//! Checking: raw content values become a [`catalog::Site`], or every error found.
//!
//! Checks never stop at the first problem: each records a [`Problem`] with the
//! YAML path of the offending value and carries on with a stand-in, so one run
//! lists every error of every file. [`crate::locate`] turns the paths into
//! line and column afterwards.

mod campaigns;
mod menu;
mod pages;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use catalog::money::{parse_percent, BasisPoints};
use catalog::payment::Method;
use catalog::payment_policy::{Due, PaymentPolicy};
use catalog::site::AgeWarnings;
use catalog::{
    Charges, Currency, Location, Minor, MoneyError, Pickup, Settings, Site, TimeRange, Window,
};
use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;

use crate::content::{RawDecimal, RawLocation, RawPayment, RawSite, RawTables, RawText, RawWindow};
use crate::load::{Loaded, Parsed};
use crate::locate::{suggest, At, Problem, YamlPath, SOURCE};
use crate::urls;

/// Most tables a location may declare by count.
pub const MAX_TABLES: u64 = 999;
/// Longest id (dish, location, campaign…) in characters.
pub const MAX_ID_LEN: usize = 64;

/// Checks loaded content: the site, or every problem (the load problems included).
pub fn check(loaded: &Loaded) -> Result<Site, Vec<Problem>> {
    check_with_warnings(loaded).0
}

/// Like [`check`], and also what is allowed but may not mean what the merchant
/// thinks (a warning each, with a hint), whether or not there are errors.
pub fn check_with_warnings(loaded: &Loaded) -> (Result<Site, Vec<Problem>>, Vec<Problem>) {
    let mut checker = Checker::new(loaded);
    let result = check_in(&mut checker);
    (result, std::mem::take(&mut checker.warnings))
}

fn check_in(checker: &mut Checker<'_>) -> Result<Site, Vec<Problem>> {
    let loaded = checker.loaded;
    checker.problems.extend(loaded.problems.iter().cloned());
    let settings = loaded.site.as_ref().and_then(|p| checker.settings(p));
    let menus = checker.menus();
    let locations = checker.locations(&menus);
    let campaigns = checker.campaigns(&menus, &locations);
    let pages = checker.pages(&locations);
    let Some((settings, settings_ok)) = settings else {
        if checker.problems.is_empty() {
            checker.problems.push(Problem::new(
                "site.yaml",
                At::File,
                "site.yaml could not be read",
            ));
        }
        return Err(std::mem::take(&mut checker.problems));
    };
    let site = Site {
        settings,
        locations,
        menus,
        campaigns,
        pages,
    };
    if checker.languages.is_some() {
        checker.links(&site);
        checker.unnamed_labels(&site.settings);
    }
    if checker.problems.is_empty() && settings_ok {
        Ok(site)
    } else {
        Err(std::mem::take(&mut checker.problems))
    }
}

/// The state of one check run: what is known of the site so far, and the problems.
pub(crate) struct Checker<'a> {
    loaded: &'a Loaded,
    problems: Vec<Problem>,
    /// What is allowed but may not mean what it says.
    warnings: Vec<Problem>,
    /// The site's languages, once site.yaml named them; `None` accepts any.
    languages: Option<Vec<String>>,
    /// The currency, once site.yaml named a known one; `None` skips amount checks.
    currency: Option<Currency>,
    timezone: Tz,
    /// Whether every menu file parsed: references to dishes, categories and menus
    /// are only checked then, so one broken file does not cause a cascade of errors.
    menus_complete: bool,
    /// Whether every location file parsed.
    locations_complete: bool,
    /// Whether every page parsed.
    pages_complete: bool,
}

impl<'a> Checker<'a> {
    fn new(loaded: &'a Loaded) -> Self {
        let broken = |folder: &str| loaded.problems.iter().any(|p| p.file.starts_with(folder));
        Checker {
            loaded,
            problems: Vec::new(),
            warnings: Vec::new(),
            languages: None,
            currency: None,
            timezone: Tz::UTC,
            menus_complete: !broken("menus"),
            locations_complete: !broken("locations"),
            pages_complete: !broken("pages"),
        }
    }

    /// A checker knowing what this one knows, with no problems yet (for checking files
    /// in parallel: their problems are then added to this one's).
    fn fork(&self) -> Checker<'a> {
        Checker {
            loaded: self.loaded,
            problems: Vec::new(),
            warnings: Vec::new(),
            languages: self.languages.clone(),
            currency: self.currency.clone(),
            timezone: self.timezone,
            menus_complete: self.menus_complete,
            locations_complete: self.locations_complete,
            pages_complete: self.pages_complete,
        }
    }

    /// Records a problem.
    fn report(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Records a warning: allowed, but worth saying what it means.
    fn warn(&mut self, problem: Problem) {
        self.warnings.push(problem);
    }

    /// The default language (the first of site.yaml), `en` until known.
    fn default_language(&self) -> String {
        self.languages
            .as_ref()
            .and_then(|l| l.first().cloned())
            .unwrap_or_else(|| "en".to_owned())
    }

    // ---- site.yaml ----

    /// The settings, and whether they are free of errors (when not, they still carry
    /// what could be read, so pages and links can be checked against them).
    fn settings(&mut self, parsed: &Parsed<RawSite>) -> Option<(Settings, bool)> {
        let file = parsed.file.as_path();
        let raw = &parsed.value;
        let root = YamlPath::root();
        let before = self.problems.len();

        let mut languages = Vec::new();
        for (i, lang) in raw.languages.iter().enumerate() {
            let at = At::Value(root.key("languages").index(i));
            let lang = lang.trim().to_owned();
            if !is_language_code(&lang) {
                self.report(
                    Problem::new(file, at, format!("`{lang}` is not a language code"))
                        .hint("use a code such as `zh`, `en` or `zh-Hant`"),
                );
            } else if urls::RESERVED.contains(&lang.as_str()) {
                self.report(Problem::new(
                    file,
                    at,
                    format!("`{lang}` is reserved for the site's own paths"),
                ));
            } else if languages.contains(&lang) {
                self.report(Problem::new(file, at, format!("`{lang}` is listed twice")));
            } else {
                languages.push(lang);
            }
        }
        if raw.languages.is_empty() {
            self.report(
                Problem::new(
                    file,
                    At::Value(root.key("languages")),
                    "no languages listed",
                )
                .hint("list at least one, the default first: `languages: [zh, en]`"),
            );
        }
        if !languages.is_empty() {
            self.languages = Some(languages.clone());
        }

        let code = raw.currency.trim();
        match Currency::from_code(code) {
            Some(c) => self.currency = Some(c),
            None => {
                let upper = code.to_ascii_uppercase();
                let known = catalog::money::CURRENCIES.iter().map(|(c, _)| *c);
                let hint = if Currency::from_code(&upper).is_some() {
                    format!("write the code in capitals: `{upper}`")
                } else if upper == "RMB" {
                    "the ISO 4217 code of the yuan is `CNY`".to_owned()
                } else if let Some(close) = suggest(&upper, known) {
                    format!("did you mean `{close}`?")
                } else {
                    "use an ISO 4217 code such as CNY, USD, EUR or JPY".to_owned()
                };
                self.report(
                    Problem::new(
                        file,
                        At::Value(root.key("currency")),
                        format!("unknown currency `{code}`"),
                    )
                    .hint(hint),
                );
            }
        }

        let zone = raw.timezone.trim();
        match zone.parse::<Tz>() {
            Ok(tz) => self.timezone = tz,
            Err(_) => {
                let names = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
                let hint = match suggest(zone, names) {
                    Some(name) => format!("did you mean `{name}`?"),
                    None => "use an IANA name such as `Asia/Shanghai` or `Europe/London`".into(),
                };
                self.report(
                    Problem::new(
                        file,
                        At::Value(root.key("timezone")),
                        format!("unknown timezone `{zone}`"),
                    )
                    .hint(hint),
                );
            }
        }

        let base_url = raw.base_url.trim().trim_end_matches('/').to_owned();
        let scheme_ok = base_url.starts_with("https://") || base_url.starts_with("http://");
        let host = base_url.split("://").nth(1).unwrap_or("");
        if !scheme_ok || host.is_empty() || base_url.contains(char::is_whitespace) {
            self.report(
                Problem::new(
                    file,
                    At::Value(root.key("base_url")),
                    format!("`{}` is not an absolute URL", raw.base_url),
                )
                .hint("write the address the site is published at, e.g. \"https://example.com\""),
            );
        }

        let name = self.text(
            file,
            &root.key("name"),
            Some(&raw.name),
            "the site name",
            true,
        );
        let description = self.text(
            file,
            &root.key("description"),
            raw.description.as_ref(),
            "the description",
            false,
        );

        let charges_path = root.key("charges");
        let service_charge = raw
            .charges
            .service_charge
            .as_ref()
            .and_then(|r| self.percent(file, &charges_path.key("service_charge"), r))
            .unwrap_or(0);
        let tax_rate = raw
            .charges
            .tax_rate
            .as_ref()
            .and_then(|r| self.percent(file, &charges_path.key("tax_rate"), r))
            .unwrap_or(0);
        let charges = Charges {
            service_charge,
            tax_rate,
            tax_inclusive: raw.charges.tax_inclusive.unwrap_or(true),
            rounding: raw.charges.rounding.unwrap_or_default(),
        };

        let theme = raw.theme.clone().unwrap_or_else(|| "default".to_owned());
        if !is_id(&theme) {
            self.report(
                Problem::new(
                    file,
                    At::Value(root.key("theme")),
                    format!("`{theme}` is not a theme name"),
                )
                .hint("name a folder of themes/, e.g. `default`"),
            );
        }

        let age_warnings = match &raw.age_warnings {
            Some(w) if w.amber == 0 || w.red <= w.amber => {
                self.report(
                    Problem::new(
                        file,
                        At::Value(root.key("age_warnings").key("red")),
                        format!(
                            "red ({} minutes) must come after amber ({} minutes)",
                            w.red, w.amber
                        ),
                    )
                    .hint("e.g. `age_warnings: {amber: 10, red: 20}`"),
                );
                AgeWarnings::default()
            }
            Some(w) => AgeWarnings {
                amber: w.amber,
                red: w.red,
            },
            None => AgeWarnings::default(),
        };

        let mut labels = catalog::Labels::default();
        for (key, names, what) in [
            ("tags", &raw.tags, "the tag name"),
            ("allergens", &raw.allergens, "the allergen name"),
        ] {
            for (id, text) in names {
                let path = root.key(key).key(id.clone());
                let name = self.text(file, &path, Some(text), what, true);
                let id = id.trim().to_owned();
                if key == "tags" {
                    labels.tags.insert(id, name);
                } else {
                    labels.allergens.insert(id, name);
                }
            }
        }

        let settings = Settings {
            labels,
            name,
            languages,
            // A stand-in when the currency is unknown: the site is not returned then.
            currency: self.currency.clone().unwrap_or(Currency {
                code: "XXX".to_owned(),
                exponent: 2,
            }),
            timezone: self.timezone,
            base_url,
            description,
            charges,
            theme,
            age_warnings,
        };
        Some((settings, self.problems.len() == before))
    }

    /// Warns once per tag or allergen id that a dish uses but `site.yaml` gives no
    /// display name: a site in two languages would show the id on every page.
    fn unnamed_labels(&mut self, settings: &Settings) {
        let loaded = self.loaded;
        let declared = !settings.labels.tags.is_empty() || !settings.labels.allergens.is_empty();
        if settings.languages.len() < 2 && !declared {
            return;
        }
        let mut warned: std::collections::HashSet<(&str, String)> = Default::default();
        for menu in &loaded.menus {
            for (ci, category) in menu.value.categories.iter().enumerate() {
                for (di, dish) in category.dishes.iter().enumerate() {
                    let path = YamlPath::root()
                        .key("categories")
                        .index(ci)
                        .key("dishes")
                        .index(di);
                    for (key, ids, names) in [
                        ("tags", &dish.tags, &settings.labels.tags),
                        ("allergens", &dish.allergens, &settings.labels.allergens),
                    ] {
                        for (i, id) in ids.iter().enumerate() {
                            let id = id.trim();
                            if id.is_empty()
                                || names.contains_key(id)
                                || !warned.insert((key, id.to_owned()))
                            {
                                continue;
                            }
                            let what = if key == "tags" { "tag" } else { "allergen" };
                            self.warn(
                                Problem::new(
                                    &menu.file,
                                    At::Value(path.key(key).index(i)),
                                    format!("{what} `{id}` has no display name"),
                                )
                                .hint(format!(
                                    "add it to site.yaml: `{key}: {{{id}: {{{}}}}}`; until then pages show `{id}`",
                                    settings
                                        .languages
                                        .iter()
                                        .map(|l| format!("{l}: …"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )),
                            );
                        }
                    }
                }
            }
        }
    }

    // ---- values used everywhere ----

    /// Localized text; `required` text must be non-empty in the default language.
    fn text(
        &mut self,
        file: &Path,
        path: &YamlPath,
        raw: Option<&RawText>,
        what: &str,
        required: bool,
    ) -> catalog::Localized {
        let default = self.default_language();
        let Some(raw) = raw else {
            return catalog::Localized::default();
        };
        match raw {
            RawText::Plain(text) => {
                if required && text.trim().is_empty() {
                    self.report(Problem::new(
                        file,
                        At::Value(path.clone()),
                        format!("{what} must not be empty"),
                    ));
                }
                catalog::Localized::plain(&default, text.trim_end())
            }
            RawText::ByLanguage(pairs) => {
                let mut out = BTreeMap::new();
                for (lang, text) in pairs {
                    let known = self
                        .languages
                        .as_ref()
                        .is_none_or(|l| l.iter().any(|k| k == lang));
                    if !known {
                        let list = self.languages.clone().unwrap_or_default();
                        let hint = match suggest(lang, list.iter().map(String::as_str)) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("site.yaml lists: {}", list.join(", ")),
                        };
                        self.report(
                            Problem::new(
                                file,
                                At::Key(path.key(lang.clone())),
                                format!("`{lang}` is not one of the site's languages"),
                            )
                            .hint(hint),
                        );
                    } else if out.contains_key(lang) {
                        self.report(Problem::new(
                            file,
                            At::Key(path.key(lang.clone())),
                            format!("`{lang}` is given twice"),
                        ));
                    }
                    out.insert(lang.clone(), text.trim_end().to_owned());
                }
                let has_default = out.get(&default).is_some_and(|t| !t.trim().is_empty());
                if required && has_default {
                    // Pages in a missing language fall back to the default one: allowed,
                    // but rarely meant.
                    let missing: Vec<String> = self
                        .languages
                        .iter()
                        .flatten()
                        .filter(|l| out.get(*l).is_none_or(|t| t.trim().is_empty()))
                        .cloned()
                        .collect();
                    for lang in missing {
                        self.warn(
                            Problem::new(
                                file,
                                At::Value(path.clone()),
                                format!("{what} has no `{lang}` text"),
                            )
                            .hint(format!(
                                "add `{lang}: …`; until then `{lang}` pages show the `{default}` text"
                            )),
                        );
                    }
                }
                if required && !has_default && self.languages.is_some() {
                    self.report(
                        Problem::new(
                            file,
                            At::Value(path.clone()),
                            format!("{what} has no `{default}` text"),
                        )
                        .hint(format!(
                            "add `{default}: …`: the first language of site.yaml is the default"
                        )),
                    );
                }
                out.into_iter().collect()
            }
        }
    }

    /// An amount of money in the site currency.
    fn money(
        &mut self,
        file: &Path,
        path: &YamlPath,
        raw: &RawDecimal,
        what: &str,
    ) -> Option<Minor> {
        let at = At::Value(path.clone());
        let text = match raw {
            RawDecimal::Number(_) => {
                self.report(
                    Problem::new(file, at, format!("{what} is a YAML number, not a string"))
                        .hint(format!("quote it: \"{SOURCE}\" (numbers can lose digits)")),
                );
                return None;
            }
            RawDecimal::Text(t) => t,
        };
        let currency = self.currency.clone()?;
        match currency.parse(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let (message, hint) = match &e {
                    MoneyError::Empty => (format!("{what} must not be empty"), None),
                    MoneyError::Negative => (
                        format!("{what} must not be negative"),
                        Some("use a decimal string such as \"32.00\"".to_owned()),
                    ),
                    MoneyError::NotDecimal(t) => (
                        format!("{what} `{t}` is not a decimal number"),
                        Some("use digits and a dot, such as \"32.50\"".to_owned()),
                    ),
                    MoneyError::TooManyDecimals { found, allowed, .. } => (
                        format!("{what} has {found} decimals"),
                        Some(format!(
                            "{} amounts have at most {allowed} decimals",
                            currency.code
                        )),
                    ),
                    MoneyError::Overflow(_) => (
                        format!("{what} is too large"),
                        Some(format!(
                            "the largest amount is {}",
                            currency.format(catalog::money::MAX_AMOUNT)
                        )),
                    ),
                };
                self.report(Problem::new(file, at, message).maybe_hint(hint));
                None
            }
        }
    }

    /// A rate such as `"6%"` in basis points.
    fn percent(&mut self, file: &Path, path: &YamlPath, raw: &RawDecimal) -> Option<BasisPoints> {
        let at = At::Value(path.clone());
        match raw {
            RawDecimal::Number(_) => {
                self.report(
                    Problem::new(file, at, "a rate is a YAML number, not a string")
                        .hint(format!("quote it with a percent sign: \"{SOURCE}%\"")),
                );
                None
            }
            RawDecimal::Text(t) => match parse_percent(t) {
                Ok(bp) => Some(bp),
                Err(MoneyError::Overflow(_)) => {
                    self.report(
                        Problem::new(file, at, format!("`{t}` is more than 100%"))
                            .hint("write a rate such as \"6%\""),
                    );
                    None
                }
                Err(_) => {
                    self.report(
                        Problem::new(file, at, format!("`{t}` is not a percentage"))
                            .hint("write a rate such as \"6%\" or \"12.5%\" (at most 2 decimals)"),
                    );
                    None
                }
            },
        }
    }

    /// Days and hours.
    fn window(&mut self, file: &Path, path: &YamlPath, raw: &RawWindow) -> Window {
        let mut days = Vec::new();
        if let Some(words) = &raw.days {
            let single = words.0.len() == 1;
            for (i, word) in words.0.iter().enumerate() {
                let at = if single {
                    At::Value(path.key("days"))
                } else {
                    At::Value(path.key("days").index(i))
                };
                match parse_days(word) {
                    Some(list) => {
                        for d in list {
                            if !days.contains(&d) {
                                days.push(d);
                            }
                        }
                    }
                    None => {
                        let hint = match suggest(&word.to_ascii_lowercase(), DAY_NAMES) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "days are mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or daily".into(),
                        };
                        self.report(
                            Problem::new(file, at, format!("unknown day `{word}`")).hint(hint),
                        );
                    }
                }
            }
            if words.0.is_empty() {
                self.report(
                    Problem::new(file, At::Value(path.key("days")), "no days listed")
                        .hint("list days such as [mon, tue], or leave `days` out for every day"),
                );
            }
        }
        if days.len() == 7 {
            days.clear();
        }
        let mut hours = Vec::new();
        if let Some(words) = &raw.hours {
            let single = words.0.len() == 1;
            for (i, word) in words.0.iter().enumerate() {
                let at = if single {
                    At::Value(path.key("hours"))
                } else {
                    At::Value(path.key("hours").index(i))
                };
                match parse_range(word) {
                    Ok(range) => hours.push(range),
                    Err(message) => self.report(Problem::new(file, at, message).hint(
                        "write hours as \"11:00-14:30\"; \"22:00-02:00\" runs past midnight",
                    )),
                }
            }
        }
        Window { days, hours }
    }

    /// Reports an id that is not lowercase letters, digits, `-` and `_`.
    fn id(&mut self, file: &Path, at: At, id: &str, what: &str) -> bool {
        if is_id(id) {
            return true;
        }
        let slug = urls::slug(id);
        let hint = if id.is_empty() {
            "give it a short id such as `dan-dan-noodles`".to_owned()
        } else if is_id(&slug) {
            format!("ids are lowercase letters, digits, `-` and `_`: try `{slug}`")
        } else {
            "ids are lowercase letters, digits, `-` and `_` (at most 64)".to_owned()
        };
        self.report(
            Problem::new(file, at, format!("{what} id `{id}` is not a valid id")).hint(hint),
        );
        false
    }

    // ---- locations/*.yaml ----

    fn locations(&mut self, menus: &[catalog::Menu]) -> Vec<Location> {
        let loaded = self.loaded;
        let mut out: Vec<Location> = Vec::new();
        let mut seen: HashMap<String, (PathBuf, YamlPath)> = HashMap::new();
        let mut prefixes: HashMap<String, (PathBuf, YamlPath)> = HashMap::new();
        for parsed in &loaded.locations {
            if let Some(location) = self.location(parsed, menus, &mut seen, &mut prefixes) {
                out.push(location);
            }
        }
        if loaded.locations.is_empty() && loaded.site.is_some() && self.locations_complete {
            self.report(
                Problem::new("locations", At::File, "the site has no locations").hint(
                    "add a file such as locations/main.yaml with name, address, hours and menu",
                ),
            );
        }
        out
    }

    fn location(
        &mut self,
        parsed: &Parsed<RawLocation>,
        menus: &[catalog::Menu],
        seen: &mut HashMap<String, (PathBuf, YamlPath)>,
        prefixes: &mut HashMap<String, (PathBuf, YamlPath)>,
    ) -> Option<Location> {
        let file = parsed.file.as_path();
        let raw = &parsed.value;
        let root = YamlPath::root();
        let (id, id_at) = match &raw.id {
            Some(id) => (id.trim().to_owned(), At::Value(root.key("id"))),
            None => (parsed.stem.clone(), At::File),
        };
        if self.id(file, id_at.clone(), &id, "the location") {
            if urls::RESERVED.contains(&id.as_str()) {
                self.report(
                    Problem::new(
                        file,
                        id_at.clone(),
                        format!("`{id}` is reserved for the site's own paths"),
                    )
                    .hint("choose another id (or file name) for the location"),
                );
            }
            if let Some((other, path)) = seen.get(&id) {
                let other = other.clone();
                let path = path.clone();
                self.report(
                    Problem::new(
                        file,
                        id_at.clone(),
                        format!("location `{id}` is defined twice"),
                    )
                    .hint("location ids must be unique")
                    .related(&other, path),
                );
            } else {
                seen.insert(id.clone(), (file.to_owned(), root.key("id")));
            }
        }
        let name = self.text(file, &root.key("name"), Some(&raw.name), "the name", true);
        let address = self.text(
            file,
            &root.key("address"),
            Some(&raw.address),
            "the address",
            true,
        );
        if let Some(phone) = &raw.phone {
            let ok = phone.chars().any(|c| c.is_ascii_digit())
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !ok {
                self.report(
                    Problem::new(
                        file,
                        At::Value(root.key("phone")),
                        format!("`{phone}` is not a phone number"),
                    )
                    .hint("digits, spaces and + - ( ) only, e.g. \"+86 28 8888 0000\""),
                );
            }
        }
        let mut hours = Vec::new();
        for (i, w) in raw.hours.iter().enumerate() {
            hours.push(self.window(file, &root.key("hours").index(i), w));
        }
        if raw.hours.is_empty() {
            self.report(
                Problem::new(file, At::Value(root.key("hours")), "the location has no opening hours")
                    .hint("e.g. `hours: [{days: [mon, tue, wed, thu, fri, sat, sun], hours: [\"11:00-22:00\"]}]`"),
            );
        }
        let tables = self.tables(file, raw.tables.as_ref());
        let dine_in = raw.dine_in.unwrap_or(!tables.is_empty());
        if dine_in && tables.is_empty() {
            self.report(
                Problem::new(file, At::Key(root.key("dine_in")), "dine-in needs tables")
                    .hint("add `tables: 12` or a list of table labels"),
            );
        }
        let pickup = raw.pickup.as_ref().map(|p| {
            let path = root.key("pickup");
            let pickup = Pickup {
                slot_minutes: p.slot_minutes.unwrap_or(15),
                capacity: p.capacity.unwrap_or(10),
                lead_minutes: p.lead_minutes.unwrap_or(15),
                days_ahead: p.days_ahead.unwrap_or(Pickup::DEFAULT_DAYS_AHEAD),
            };
            if !(5..=240).contains(&pickup.slot_minutes) || 1440 % pickup.slot_minutes != 0 {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("slot_minutes")),
                        format!(
                            "a pickup slot of {} minutes does not divide a day",
                            pickup.slot_minutes
                        ),
                    )
                    .hint("use 5 to 240 minutes that divide 24 hours, such as 10, 15, 20 or 30"),
                );
            }
            if pickup.capacity == 0 {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("capacity")),
                        "capacity must be at least 1",
                    )
                    .hint("the number of orders the kitchen can have ready in one slot"),
                );
            }
            if pickup.lead_minutes > 24 * 60 {
                self.report(Problem::new(
                    file,
                    At::Value(path.key("lead_minutes")),
                    "lead_minutes must be at most a day (1440)",
                ));
            }
            if pickup.days_ahead > Pickup::MAX_DAYS_AHEAD {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("days_ahead")),
                        format!(
                            "days_ahead must be at most {} (a month)",
                            Pickup::MAX_DAYS_AHEAD
                        ),
                    )
                    .hint("pickup orders are taken for today and this many days after it; 0 is today only"),
                );
            }
            pickup
        });
        let payment = raw
            .payment
            .as_ref()
            .map(|p| self.payment(file, &root.key("payment"), p))
            .unwrap_or_default();
        if !dine_in && pickup.is_none() {
            self.report(
                Problem::new(
                    file,
                    At::File,
                    "the location offers neither dine-in nor pickup",
                )
                .hint("add `tables:` for dine-in or `pickup:` for pickup orders"),
            );
        }
        let menu = raw.menu.trim().to_owned();
        if self.menus_complete && !menus.iter().any(|m| m.id == menu) {
            let hint = match suggest(&menu, menus.iter().map(|m| m.id.as_str())) {
                Some(s) => format!("did you mean `{s}`?"),
                None if menus.is_empty() => "add the menu as menus/<id>.yaml".to_owned(),
                None => format!(
                    "menus are: {}",
                    menus
                        .iter()
                        .map(|m| m.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.report(
                Problem::new(
                    file,
                    At::Value(root.key("menu")),
                    format!("unknown menu `{menu}`"),
                )
                .hint(hint),
            );
        }
        let (prefix, prefix_path) = match &raw.order_prefix {
            Some(p) => (p.trim().to_owned(), root.key("order_prefix")),
            None => (
                id.chars()
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string())
                    .unwrap_or_default(),
                root.key("id"),
            ),
        };
        let prefix_at = if raw.order_prefix.is_some() || raw.id.is_some() {
            At::Value(prefix_path.clone())
        } else {
            At::File
        };
        let prefix_ok = (1..=3).contains(&prefix.len())
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !prefix_ok {
            self.report(
                Problem::new(
                    file,
                    prefix_at.clone(),
                    format!("order prefix `{prefix}` is not 1 to 3 capital letters or digits"),
                )
                .hint("set `order_prefix: A`"),
            );
        } else if let Some((other, path)) = prefixes.get(&prefix) {
            let other = other.clone();
            let path = path.clone();
            self.report(
                Problem::new(
                    file,
                    prefix_at,
                    format!("order prefix `{prefix}` is used by another location"),
                )
                .hint("set a different `order_prefix:` so order numbers tell the shops apart")
                .related(&other, path),
            );
        } else {
            prefixes.insert(prefix.clone(), (file.to_owned(), prefix_path));
        }
        Some(Location {
            id,
            name,
            address,
            phone: raw.phone.as_ref().map(|p| p.trim().to_owned()),
            hours,
            tables,
            dine_in,
            pickup,
            menu,
            order_prefix: prefix,
            payment,
        })
    }

    /// A location's `payment:` block: known methods and policies, and an online
    /// method wherever payment is taken online.
    fn payment(&mut self, file: &Path, path: &YamlPath, raw: &RawPayment) -> PaymentPolicy {
        let defaults = PaymentPolicy::default();
        let mut methods = Vec::new();
        for (i, name) in raw.methods.iter().flatten().enumerate() {
            match name.trim().parse::<Method>() {
                Ok(method) if !methods.contains(&method) => methods.push(method),
                Ok(_) => self.report(Problem::new(
                    file,
                    At::Value(path.key("methods").index(i)),
                    format!("`{name}` is listed twice"),
                )),
                Err(_) => self.report(
                    Problem::new(
                        file,
                        At::Value(path.key("methods").index(i)),
                        format!("unknown payment method `{name}`"),
                    )
                    .hint("one of cash, card_terminal, counter_qr, stripe, wechat_pay"),
                ),
            }
        }
        if raw.methods.is_none() {
            methods = defaults.methods.clone();
        }
        let mut due = |key: &'static str, text: Option<&String>| -> Due {
            let Some(text) = text else {
                return Due::PayAtCounter;
            };
            let Some(due) = Due::parse(text.trim()) else {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key(key)),
                        format!("unknown payment policy `{text}`"),
                    )
                    .hint("pay_at_counter, pay_online_optional or pay_online_required"),
                );
                return Due::PayAtCounter;
            };
            if due.online() && !methods.iter().any(|m| m.is_online()) {
                self.report(
                    Problem::new(
                        file,
                        At::Value(path.key(key)),
                        format!("`{text}` needs an online payment method"),
                    )
                    .hint("add `stripe` or `wechat_pay` to `methods`"),
                );
            }
            due
        };
        let dine_in = due("dine_in", raw.dine_in.as_ref());
        let pickup = due("pickup", raw.pickup.as_ref());
        let hold = raw
            .unpaid_hold_minutes
            .unwrap_or(defaults.unpaid_hold_minutes);
        if !(1..=240).contains(&hold) {
            self.report(
                Problem::new(
                    file,
                    At::Value(path.key("unpaid_hold_minutes")),
                    "unpaid_hold_minutes must be 1 to 240",
                )
                .hint("how long an order that must be paid first waits, e.g. 15"),
            );
        }
        if methods.is_empty() {
            self.report(
                Problem::new(file, At::Value(path.key("methods")), "no payment method")
                    .hint("e.g. `methods: [cash, card_terminal]`"),
            );
        }
        PaymentPolicy {
            methods,
            dine_in,
            pickup,
            unpaid_hold_minutes: hold,
        }
    }

    fn tables(&mut self, file: &Path, raw: Option<&RawTables>) -> Vec<String> {
        let path = YamlPath::root().key("tables");
        match raw {
            None => Vec::new(),
            Some(RawTables::Count(n)) => {
                if *n > MAX_TABLES {
                    self.report(
                        Problem::new(
                            file,
                            At::Value(path),
                            format!("{n} tables is more than {MAX_TABLES}"),
                        )
                        .hint("list the table labels instead"),
                    );
                    return Vec::new();
                }
                (1..=*n).map(|i| i.to_string()).collect()
            }
            Some(RawTables::Labels(labels)) => {
                let mut out: Vec<String> = Vec::new();
                let mut slugs: Vec<String> = Vec::new();
                for (i, label) in labels.iter().enumerate() {
                    let label = label.trim().to_owned();
                    let slug = urls::slug(&label);
                    let at = At::Value(path.index(i));
                    if slug.is_empty() || label.chars().count() > 16 {
                        self.report(
                            Problem::new(file, at, format!("`{label}` is not a table label"))
                                .hint("use a short label of letters and digits, such as `A3`"),
                        );
                    } else if slugs.contains(&slug) {
                        self.report(Problem::new(
                            file,
                            at,
                            format!("table `{label}` is listed twice"),
                        ));
                    } else {
                        slugs.push(slug);
                        out.push(label);
                    }
                }
                out
            }
        }
    }
}

/// Lowercase letters, digits, `-` and `_`, starting with a letter or digit.
pub fn is_id(id: &str) -> bool {
    let mut chars = id.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `zh`, `en`, `zh-hant`, `pt-BR`.
fn is_language_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let main_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_lowercase()));
    main_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn parse_day(word: &str) -> Option<usize> {
    let w = word.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|d| *d == w)
        .or_else(|| FULL_DAY_NAMES.iter().position(|d| *d == w))
}

/// `mon`, `monday`, `mon-fri` (wrapping: `fri-mon`), `daily`.
fn parse_days(word: &str) -> Option<Vec<Weekday>> {
    let w = word.trim().to_ascii_lowercase();
    if w == "daily" || w == "every day" {
        return Some(WEEK.to_vec());
    }
    if let Some((a, b)) = w.split_once('-') {
        let (a, b) = (parse_day(a)?, parse_day(b)?);
        let mut out = Vec::new();
        let mut i = a;
        loop {
            out.push(WEEK[i]);
            if i == b {
                break;
            }
            i = (i + 1) % 7;
        }
        return Some(out);
    }
    parse_day(&w).map(|i| vec![WEEK[i]])
}

/// `"11:00-14:30"`; `24:00` may end a range.
fn parse_range(text: &str) -> Result<TimeRange, String> {
    let bad = || format!("`{text}` is not a time range");
    let normalized = text.replace(['–', '—'], "-");
    let (a, b) = normalized.split_once('-').ok_or_else(bad)?;
    let from = parse_time(a, false).ok_or_else(bad)?;
    let until = parse_time(b, true).ok_or_else(bad)?;
    let whole_day = a.trim() == "00:00" && b.trim() == "24:00";
    if from == until && !whole_day {
        return Err(format!("`{text}` is an empty time range"));
    }
    Ok(TimeRange { from, until })
}

fn parse_time(text: &str, end: bool) -> Option<NaiveTime> {
    let t = text.trim();
    let (h, m) = t.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if end && h == 24 && m == 0 {
        return NaiveTime::from_hms_opt(0, 0, 0);
    }
    NaiveTime::from_hms_opt(h, m, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_ranges() {
        assert_eq!(
            parse_days("mon-wed"),
            Some(vec![Weekday::Mon, Weekday::Tue, Weekday::Wed])
        );
        assert_eq!(parse_days("sat-mon").map(|d| d.len()), Some(3));
        assert_eq!(parse_days("Friday"), Some(vec![Weekday::Fri]));
        assert_eq!(parse_days("monkey"), None);
        assert!(parse_range("07:00-23:00").is_ok());
        assert!(parse_range("22:00-24:00").is_ok());
        assert!(parse_range("00:00-24:00").is_ok());
        assert!(parse_range("10:00-10:00").is_err());
        assert!(parse_range("25:00-26:00").is_err());
        assert!(parse_range("11-14").is_err());
    }

    #[test]
    fn ids_and_languages() {
        assert!(is_id("dan-dan_2"));
        assert!(!is_id("Dan"));
        assert!(!is_id("-x"));
        assert!(!is_id(""));
        assert!(is_language_code("zh"));
        assert!(is_language_code("zh-Hant"));
        assert!(!is_language_code("Chinese"));
    }
}
