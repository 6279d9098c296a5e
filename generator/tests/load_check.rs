//! Loading and checking fixture sites: the good one becomes a `catalog::Site`,
//! each broken one prints exactly the errors a merchant should see.

use std::fs;
use std::path::{Path, PathBuf};

use generator::load_site;
use proptest::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The rendered errors of a fixture that must fail.
fn errors(name: &str) -> String {
    match load_site(&fixture(name)) {
        Ok(_) => panic!("fixture `{name}` should have content errors"),
        Err(d) => d.to_string(),
    }
}

#[test]
fn good_site_loads_into_the_catalog() {
    let project = load_site(&fixture("good")).unwrap_or_else(|d| panic!("{d}"));
    let site = &project.site;
    assert_eq!(site.settings.languages, ["zh", "en"]);
    assert_eq!(site.settings.currency.code, "CNY");
    assert_eq!(site.settings.timezone, chrono_tz::Asia::Shanghai);
    assert_eq!(site.settings.charges.service_charge, 1000);
    assert_eq!(site.settings.charges.tax_rate, 600);
    assert_eq!(site.settings.name.get("en", "zh"), "Little Noodle");
    assert_eq!(project.images, ["dan-dan.png"]);
    assert_eq!(project.version, catalog::catalog_version(site));

    let harbour = site
        .location("harbour")
        .expect("location from the file name");
    assert_eq!(harbour.tables.len(), 4);
    assert_eq!(harbour.tables[3], "4");
    assert!(harbour.dine_in);
    assert_eq!(harbour.order_prefix, "H");
    let pickup = harbour.pickup.expect("pickup");
    assert_eq!(
        (pickup.slot_minutes, pickup.capacity, pickup.lead_minutes),
        (15, 3, 15)
    );
    assert!(harbour.hours[0].days.is_empty(), "mon-sun means every day");

    let (_, dan_dan) = site.dish("dan-dan").expect("dish");
    assert_eq!(dan_dan.price, 2200);
    assert_eq!(dan_dan.name.get("zh", "zh"), "担担面");
    let spice = dan_dan.group("spice").expect("spice");
    assert_eq!((spice.min, spice.max), (1, 1));
    let extras = dan_dan.group("extras").expect("extras");
    assert_eq!((extras.min, extras.max), (0, 2));
    assert_eq!(extras.choices[1].price_delta, 650);

    let (_, set) = site.dish("lunch-set").expect("combo");
    assert!(set.combo);
    let main = set.group("main").expect("main");
    assert_eq!((main.min, main.max), (1, 1));
    assert_eq!(main.choices[0].id, "dan-dan");
    assert_eq!(main.choices[0].dish.as_deref(), Some("dan-dan"));
    assert_eq!(main.choices[0].name.get("en", "zh"), "Dan Dan Noodles");

    let (campaign, spring) = site.coupon("spring10").expect("coupon, any case");
    assert_eq!(campaign.id, "spring");
    assert_eq!(
        spring.kind,
        catalog::CouponKind::PercentOff { percent: 1000 }
    );
    assert_eq!(spring.max_discount, Some(2000));
    // Dates are read in the site timezone; valid_until's date is the last day.
    assert_eq!(
        spring.valid_from.map(|t| t.to_rfc3339()),
        Some("2026-02-28T16:00:00+00:00".to_owned())
    );
    assert_eq!(
        spring.valid_until.map(|t| t.to_rfc3339()),
        Some("2026-05-31T16:00:00+00:00".to_owned())
    );
    let (_, welcome) = site.coupon("WELCOME").expect("welcome");
    assert_eq!(welcome.issue, catalog::Issue::OnSignUp);

    let about = site.pages.iter().find(|p| p.slug == "about").expect("page");
    assert_eq!(about.title.get("en", "zh"), "About us");
    assert_eq!(about.title.get("zh", "zh"), "关于我们");
    assert_eq!(
        about.date.map(|d| d.to_string()).as_deref(),
        Some("2026-01-15")
    );
    assert!(about.body.get("en", "zh").starts_with("See [the menu]"));
}

#[test]
fn the_demo_restaurant_passes_every_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../site-content");
    let project = load_site(&root).unwrap_or_else(|d| panic!("{d}"));
    let site = &project.site;
    let dishes: usize = site.menus.iter().map(|m| m.dishes().count()).sum();
    assert!(dishes >= 30, "{dishes} dishes");
    assert!(site.menus.iter().all(|m| m.categories.len() >= 6));
    assert_eq!(site.locations.len(), 2);
    assert_eq!(site.campaigns.len(), 2);
    assert!(site.campaigns.iter().all(|c| c.channels.len() == 3));
    assert!(site
        .menus
        .iter()
        .any(|m| m.dishes().any(|(_, d)| d.sold_out)));
    assert!(site.menus.iter().any(|m| m.dishes().any(|(_, d)| d.combo)));
    assert!(site.pages.len() >= 2);
}

#[test]
fn yaml_syntax() {
    insta::assert_snapshot!(errors("yaml_syntax"));
}

#[test]
fn unknown_field() {
    insta::assert_snapshot!(errors("unknown_field"));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(errors("wrong_type"));
}

#[test]
fn duplicate_dish() {
    insta::assert_snapshot!(errors("duplicate_dish"));
}

#[test]
fn bad_price() {
    insta::assert_snapshot!(errors("bad_price"));
}

#[test]
fn unknown_menu() {
    insta::assert_snapshot!(errors("unknown_menu"));
}

#[test]
fn coupon_unknown_dish() {
    insta::assert_snapshot!(errors("coupon_unknown_dish"));
}

#[test]
fn missing_image() {
    insta::assert_snapshot!(errors("missing_image"));
}

#[test]
fn broken_link() {
    insta::assert_snapshot!(errors("broken_link"));
}

#[test]
fn option_bounds() {
    insta::assert_snapshot!(errors("option_bounds"));
}

#[test]
fn combo_unknown_dish() {
    insta::assert_snapshot!(errors("combo_unknown_dish"));
}

#[test]
fn bad_settings() {
    insta::assert_snapshot!(errors("bad_settings"));
}

#[test]
fn bad_hours() {
    insta::assert_snapshot!(errors("bad_hours"));
}

#[test]
fn bad_payment() {
    insta::assert_snapshot!(errors("bad_payment"));
}

#[test]
fn slug_collision() {
    insta::assert_snapshot!(errors("slug_collision"));
}

#[test]
fn unknown_language() {
    insta::assert_snapshot!(errors("unknown_language"));
}

#[test]
fn front_matter() {
    insta::assert_snapshot!(errors("front_matter"));
}

#[test]
fn missing_site() {
    insta::assert_snapshot!(errors("missing_site"));
}

#[test]
fn errors_in_several_files_are_all_reported() {
    let out = errors("many_errors");
    for file in [
        "site.yaml:3:11",
        "menus/main.yaml:9:16",
        "locations/harbour.yaml:10:7",
        "campaigns.yaml:17:15",
        "pages/about.en.md:5:16",
    ] {
        assert!(out.contains(file), "missing {file} in:\n{out}");
    }
    assert!(out.ends_with("error: 5 content errors found"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn a_missing_folder_is_an_error_not_a_panic() {
    let out = match load_site(Path::new("/nonexistent/carte/site")) {
        Ok(_) => panic!("no site there"),
        Err(d) => d.to_string(),
    };
    assert!(out.contains("no site folder"), "{out}");
}

/// Copies the good fixture into a temporary folder.
fn scratch_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let from = fixture("good");
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(&from).expect("prefix");
        let to = dir.path().join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&to).expect("mkdir");
        } else {
            fs::copy(entry.path(), &to).expect("copy");
        }
    }
    dir
}

const CONTENT_FILES: &[&str] = &[
    "site.yaml",
    "menus/main.yaml",
    "locations/harbour.yaml",
    "campaigns.yaml",
    "pages/about.md",
    "pages/about.en.md",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any bytes in any content file give a site or errors, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(file in 0..CONTENT_FILES.len(), bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = scratch_site();
        fs::write(dir.path().join(CONTENT_FILES[file]), &bytes).expect("write");
        let _ = load_site(dir.path());
    }

    /// YAML-ish and Markdown-ish text: mutations of the real files, so the parsers get deep.
    #[test]
    fn mangled_content_never_panics(
        file in 0..CONTENT_FILES.len(),
        at in 0usize..2000,
        cut in 0usize..40,
        insert in "[-:{}\\[\\]\"'#|>&*!%@ a-z0-9\n]{0,20}",
    ) {
        let dir = scratch_site();
        let path = dir.path().join(CONTENT_FILES[file]);
        let text = fs::read_to_string(&path).expect("read");
        let mut chars: Vec<char> = text.chars().collect();
        let at = at.min(chars.len());
        let end = (at + cut).min(chars.len());
        chars.splice(at..end, insert.chars());
        fs::write(&path, chars.into_iter().collect::<String>()).expect("write");
        let _ = load_site(dir.path());
    }

    /// Arbitrary Markdown bodies with links: checked, never a panic.
    #[test]
    fn arbitrary_markdown_never_panics(body in "[\\[\\]()/!a-z# \n*_`<>]{0,200}") {
        let dir = scratch_site();
        fs::write(dir.path().join("pages/about.en.md"), format!("---\ntitle: x\n---\n{body}")).expect("write");
        let _ = load_site(dir.path());
    }
}

#[test]
fn missing_field() {
    insta::assert_snapshot!(errors("missing_field"));
}

#[test]
fn broken_link_in_a_dish_description() {
    insta::assert_snapshot!(errors("broken_link_description"));
}

#[test]
fn a_payment_policy_is_read_and_defaults_to_paying_at_the_counter() {
    use catalog::payment::Method;
    use catalog::payment_policy::{Due, PaymentPolicy};

    let project = load_site(&fixture("good")).unwrap_or_else(|d| panic!("{d}"));
    let harbour = project.site.location("harbour").expect("harbour");
    assert_eq!(harbour.payment, PaymentPolicy::default());

    let dir = scratch_site();
    let file = dir.path().join("locations/harbour.yaml");
    let mut text = fs::read_to_string(&file).expect("location");
    text.push_str(
        "payment:\n  methods: [cash, wechat_pay, stripe]\n  pickup: pay_online_required\n  unpaid_hold_minutes: 20\n",
    );
    fs::write(&file, text).expect("write");
    let project = load_site(dir.path()).unwrap_or_else(|d| panic!("{d}"));
    let harbour = project.site.location("harbour").expect("harbour");
    assert_eq!(
        harbour.payment,
        PaymentPolicy {
            methods: vec![Method::Cash, Method::WechatPay, Method::Stripe],
            dine_in: Due::PayAtCounter,
            pickup: Due::PayOnlineRequired,
            unpaid_hold_minutes: 20,
        }
    );
}

#[test]
fn ten_mistakes_in_three_files_are_ten_located_errors() {
    let out = errors("ten_mistakes");
    let places: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .collect();
    assert_eq!(places.len(), 10, "{out}");
    for place in &places {
        let parts: Vec<&str> = place.split(':').collect();
        assert_eq!(parts.len(), 3, "`{place}` names file:line:column");
    }
    for file in ["site.yaml", "menus/main.yaml", "locations/harbour.yaml"] {
        assert!(
            places.iter().any(|p| p.starts_with(&format!("{file}:"))),
            "{file} in {out}"
        );
    }
    assert!(out.ends_with("error: 10 content errors found"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn an_unquoted_comma_in_a_text_map_says_to_quote_it() {
    let dir = scratch_site();
    let file = dir.path().join("menus/main.yaml");
    let text = fs::read_to_string(&file).expect("menu");
    fs::write(
        &file,
        text.replace(
            "name: {zh: 茶, en: Tea}",
            "name: {zh: 茶, en: Tea, hot or iced}",
        ),
    )
    .expect("write");
    let out = match load_site(dir.path()) {
        Ok(_) => panic!("the comma must be reported"),
        Err(d) => d.to_string(),
    };
    assert!(out.contains("quote text that contains a comma"), "{out}");
    assert!(out.contains("`hot or iced` has no text"), "{out}");
    assert!(!out.contains("unit value"), "{out}");
}

#[test]
fn a_currency_typo_gets_the_close_code() {
    let dir = scratch_site();
    let file = dir.path().join("site.yaml");
    let text = fs::read_to_string(&file).expect("site");
    fs::write(&file, text.replace("currency: CNY", "currency: CYN")).expect("write");
    let out = match load_site(dir.path()) {
        Ok(_) => panic!("CYN is no currency"),
        Err(d) => d.to_string(),
    };
    assert!(out.contains("did you mean `CNY`?"), "{out}");
}

#[test]
fn a_name_without_english_warns() {
    let dir = scratch_site();
    let file = dir.path().join("menus/main.yaml");
    let text = fs::read_to_string(&file).expect("menu");
    fs::write(&file, text.replace("name: {zh: 茶, en: Tea}", "name: {zh: 茶}")).expect("write");
    let (_, warnings) = generator::load::load_site_with_warnings(dir.path())
        .unwrap_or_else(|d| panic!("a missing English name is allowed: {d}"));
    let text: String = warnings.0.iter().map(|w| w.as_warning().to_string()).collect();
    assert!(text.contains("the dish name has no `en` text"), "{text}");
    assert!(text.contains("menus/main.yaml:26:15"), "{text}");
}
