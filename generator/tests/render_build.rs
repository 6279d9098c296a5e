//! Renders a small bilingual restaurant into a folder and checks the storefront a
//! diner, a search engine and the cart would see.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use catalog::{
    Campaign, Cart, CartLine, Category, Channel, ChannelKind, Choice, ChosenOptions, Coupon,
    CouponKind, Currency, Dish, Fulfilment, Issue, Localized, Location, Menu, OptionGroup, Page,
    Pickup, Scope, Settings, Site, SoldOut, TimeRange, Window,
};
use chrono::{NaiveTime, TimeZone, Utc, Weekday};
use generator::render::catalog_json::{LocationCatalog, MenuCatalog};
use generator::render::{self, page_file, Output, RenderOptions, Theme};
use generator::write::{self, WriteReport};
use generator::{urls, Project};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BASE: &str = "https://noodles.example";
const SCRIPT_NAME: &str = "<script>alert(1)</script> Noodles";

fn l(zh: &str, en: &str) -> Localized {
    [("zh", zh), ("en", en)].into_iter().collect()
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

fn choice(id: &str, zh: &str, en: &str, delta: i64) -> Choice {
    Choice {
        id: id.into(),
        name: l(zh, en),
        price_delta: delta,
        sold_out: false,
        dish: None,
    }
}

fn dish(id: &str, zh: &str, en: &str, price: i64) -> Dish {
    Dish {
        id: id.into(),
        name: l(zh, en),
        description: l(
            &format!("{zh}，每天新鲜现做。"),
            &format!("Our **{en}**, made fresh every day from local produce."),
        ),
        price,
        image: None,
        tags: vec![],
        allergens: vec![],
        options: vec![],
        available: None,
        sold_out: false,
        combo: false,
    }
}

fn spice() -> OptionGroup {
    OptionGroup {
        id: "spice".into(),
        name: l("辣度", "Spice"),
        min: 1,
        max: 1,
        choices: vec![
            choice("mild", "微辣", "Mild", 0),
            choice("medium", "中辣", "Medium", 0),
            choice("hot", "特辣", "Hot", 0),
        ],
    }
}

fn add_ons() -> OptionGroup {
    OptionGroup {
        id: "add-ons".into(),
        name: l("加料", "Add-ons"),
        min: 0,
        max: 3,
        choices: vec![
            choice("egg", "卤蛋", "Braised egg", 300),
            choice("beef", "牛肉", "Extra beef", 800),
            Choice {
                sold_out: true,
                ..choice("tofu", "豆腐", "Tofu", 200)
            },
        ],
    }
}

/// A noodle shop with two locations, two menus, 36 dishes, a combo, a sold-out dish,
/// a breakfast window, a campaign with channels and an about page.
fn sample_site() -> Site {
    let noodles_names = [
        ("dan-dan", "担担面", "Dan dan noodles", 3200),
        ("beef-noodles", "红烧牛肉面", "Braised beef noodles", 3800),
        ("zhajiang", "炸酱面", "Zhajiang noodles", 2800),
        ("hot-dry", "热干面", "Hot dry noodles", 2200),
        ("chongqing-xiaomian", "重庆小面", "Chongqing noodles", 2400),
        ("liangpian", "凉皮", "Cold skin noodles", 2000),
        ("wonton-noodles", "云吞面", "Wonton noodles", 3000),
        ("biangbiang", "油泼面", "Biangbiang noodles", 3300),
        ("lanzhou", "兰州拉面", "Lanzhou hand-pulled noodles", 3500),
        ("yibin-ranmian", "宜宾燃面", "Yibin burning noodles", 2600),
    ];
    let mut noodles: Vec<Dish> = noodles_names
        .iter()
        .map(|(id, zh, en, p)| Dish {
            options: vec![spice(), add_ons()],
            tags: vec!["noodles".into(), "spicy".into()],
            allergens: vec!["wheat".into(), "soy".into()],
            ..dish(id, zh, en, *p)
        })
        .collect();
    noodles[0].image = Some("dishes/dan-dan.png".into());
    noodles[1].image = Some("beef.jpg".into());
    noodles[2].sold_out = true;
    noodles[3].name = l(SCRIPT_NAME, SCRIPT_NAME);
    noodles[3].description = l("<b>粗</b>", "A <img src=x onerror=alert(2)> trap");
    let snacks: Vec<Dish> = [
        ("jiaozi", "猪肉水饺", "Pork dumplings", 2600),
        ("wontons", "红油抄手", "Wontons in chilli oil", 2400),
        ("scallion-pancake", "葱油饼", "Scallion pancake", 1200),
        ("spring-rolls", "春卷", "Spring rolls", 1500),
        ("smashed-cucumber", "拍黄瓜", "Smashed cucumber", 1400),
        ("tea-eggs", "茶叶蛋", "Tea eggs", 600),
        ("mapo-tofu", "麻婆豆腐", "Mapo tofu", 2800),
        ("gongbao", "宫保鸡丁", "Kung pao chicken", 3600),
        ("xiaolongbao", "小笼包", "Soup dumplings", 3000),
        ("shengjian", "生煎包", "Pan-fried buns", 2200),
    ]
    .iter()
    .map(|(id, zh, en, p)| Dish {
        tags: vec!["vegetarian".into()],
        ..dish(id, zh, en, *p)
    })
    .collect();
    let breakfast: Vec<Dish> = [
        ("soy-milk", "豆浆", "Soy milk", 500),
        ("youtiao", "油条", "Youtiao", 400),
        ("congee", "皮蛋瘦肉粥", "Century egg congee", 1200),
        ("baozi", "菜包", "Vegetable bun", 350),
        ("jianbing", "煎饼果子", "Jianbing", 1000),
    ]
    .iter()
    .map(|(id, zh, en, p)| dish(id, zh, en, *p))
    .collect();
    let mut drinks: Vec<Dish> = [
        ("plum-juice", "酸梅汤", "Sour plum juice", 800),
        ("jasmine-tea", "茉莉花茶", "Jasmine tea", 600),
        ("milk-tea", "奶茶", "Milk tea", 1500),
        ("beer", "青岛啤酒", "Tsingtao beer", 1200),
        ("cola", "可乐", "Cola", 500),
    ]
    .iter()
    .map(|(id, zh, en, p)| Dish {
        options: vec![OptionGroup {
            id: "size".into(),
            name: l("杯型", "Size"),
            min: 1,
            max: 1,
            choices: vec![
                choice("regular", "中杯", "Regular", 0),
                choice("large", "大杯", "Large", 300),
            ],
        }],
        ..dish(id, zh, en, *p)
    })
    .collect();
    drinks[4].available = Some(Window {
        days: vec![Weekday::Sat, Weekday::Sun],
        hours: vec![TimeRange {
            from: t(11, 0),
            until: t(14, 0),
        }],
    });
    let set = Dish {
        combo: true,
        options: vec![OptionGroup {
            id: "main".into(),
            name: l("主食", "Main"),
            min: 1,
            max: 1,
            choices: vec![
                Choice {
                    dish: Some("dan-dan".into()),
                    ..choice("dan-dan", "担担面", "Dan dan noodles", 0)
                },
                Choice {
                    dish: Some("beef-noodles".into()),
                    ..choice("beef-noodles", "红烧牛肉面", "Braised beef noodles", 500)
                },
            ],
        }],
        ..dish("lunch-set", "午市套餐", "Lunch set", 4500)
    };
    let main = Menu {
        id: "main".into(),
        name: l("菜单", "Menu"),
        categories: vec![
            Category {
                id: "breakfast".into(),
                name: l("早餐", "Breakfast"),
                available: Some(Window {
                    days: vec![],
                    hours: vec![TimeRange {
                        from: t(7, 0),
                        until: t(10, 30),
                    }],
                }),
                dishes: breakfast,
            },
            Category {
                id: "noodles".into(),
                name: l("面", "Noodles"),
                available: None,
                dishes: noodles,
            },
            Category {
                id: "snacks".into(),
                name: l("小吃", "Snacks"),
                available: None,
                dishes: snacks,
            },
            Category {
                id: "sets".into(),
                name: l("套餐", "Sets"),
                available: None,
                dishes: vec![set],
            },
            Category {
                id: "drinks".into(),
                name: l("饮品", "Drinks"),
                available: None,
                dishes: drinks,
            },
        ],
    };
    let express = Menu {
        id: "express".into(),
        name: l("快餐菜单", "Express menu"),
        categories: vec![Category {
            id: "grab".into(),
            name: l("外带", "Grab and go"),
            available: None,
            dishes: vec![
                Dish {
                    image: Some("beef.jpg".into()),
                    ..dish("beef-bun", "牛肉饼", "Beef pie", 1300)
                },
                dish("rice-ball", "饭团", "Rice ball", 900),
                dish("iced-tea", "冰红茶", "Iced tea", 600),
            ],
        }],
    };
    let harbour = Location {
        id: "harbour".into(),
        name: l("海港店", "Harbour"),
        address: l("海港路 8 号", "8 Harbour Road"),
        phone: Some("+86 21 5555 0101".into()),
        hours: vec![Window::default()],
        tables: (1..=12)
            .map(|n| n.to_string())
            .chain(["A 3".into()])
            .collect(),
        dine_in: true,
        pickup: Some(Pickup {
            slot_minutes: 15,
            capacity: 6,
            lead_minutes: 20,
            days_ahead: 1,
        }),
        menu: "main".into(),
        order_prefix: "H".into(),
        payment: Default::default(),
    };
    let station = Location {
        id: "station".into(),
        name: l("车站店", "Station"),
        address: l("站前街 2 号", "2 Station Street"),
        phone: None,
        hours: vec![
            Window {
                days: vec![
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                ],
                hours: vec![TimeRange {
                    from: t(7, 0),
                    until: t(21, 0),
                }],
            },
            Window {
                days: vec![Weekday::Sat, Weekday::Sun],
                hours: vec![TimeRange {
                    from: t(9, 0),
                    until: t(22, 0),
                }],
            },
        ],
        tables: vec!["S1".into(), "S2".into()],
        dine_in: true,
        pickup: None,
        menu: "express".into(),
        order_prefix: "S".into(),
        payment: Default::default(),
    };
    let spring = Campaign {
        id: "spring".into(),
        name: l("春季活动", "Spring festival"),
        channels: vec![
            Channel {
                id: "flyer".into(),
                name: l("传单", "Flyer"),
                kind: ChannelKind::Flyer,
                location: Some("station".into()),
            },
            Channel {
                id: "wechat".into(),
                name: l("微信群", "WeChat group"),
                kind: ChannelKind::ChatLink,
                location: None,
            },
        ],
        coupons: vec![
            Coupon {
                code: "SPRING10".into(),
                kind: CouponKind::PercentOff { percent: 1000 },
                min_spend: 5000,
                max_discount: Some(2000),
                scope: Scope::default(),
                valid_from: None,
                valid_until: None,
                hours: None,
                budget: Some(500),
                per_member: Some(1),
                issue: Issue::Shared,
                budget_amount: None,
                first_order_only: false,
                members_only: false,
            },
            Coupon {
                code: "WELCOME-TEMPLATE".into(),
                kind: CouponKind::AmountOff { amount: 1000 },
                min_spend: 0,
                max_discount: None,
                scope: Scope::default(),
                valid_from: None,
                valid_until: None,
                hours: None,
                budget: Some(77777),
                per_member: Some(1),
                issue: Issue::OnSignUp,
                budget_amount: None,
                first_order_only: false,
                members_only: false,
            },
        ],
    };
    let about = Page {
        slug: "about".into(),
        title: l("关于我们", "About us"),
        body: l(
            "我们从 2009 年开始做面。[看菜单](/zh/harbour/)",
            "We have made noodles since 2009.\n\nSee the [menu](/en/harbour/) or [our dumplings](/en/dishes/jiaozi/).",
        ),
        date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1),
        description: Localized::default(),
    };
    Site {
        settings: Settings {
            name: l("老王面馆", "Wang's Noodles"),
            languages: vec!["zh".into(), "en".into()],
            currency: Currency {
                code: "CNY".into(),
                exponent: 2,
            },
            timezone: chrono_tz::Asia::Shanghai,
            base_url: BASE.into(),
            description: l(
                "手工面条，现点现做。",
                "Hand-pulled noodles, made to order.",
            ),
            charges: catalog::Charges {
                service_charge: 1000,
                tax_rate: 600,
                tax_inclusive: true,
                rounding: catalog::Rounding::HalfUp,
            },
            theme: "default".into(),
            age_warnings: Default::default(),
            labels: Default::default(),
        },
        locations: vec![harbour, station],
        menus: vec![main, express],
        campaigns: vec![spring],
        pages: vec![about],
    }
}

fn theme_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default")
}

/// Writes a real PNG and JPEG into `root/images`.
fn write_images(root: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(root.join("images/dishes"))?;
    let png = image::RgbaImage::from_fn(1200, 800, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
    });
    png.save(root.join("images/dishes/dan-dan.png"))?;
    let jpg = image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([200, (x % 256) as u8, (y % 256) as u8])
    });
    jpg.save(root.join("images/beef.jpg"))?;
    Ok(vec!["beef.jpg".into(), "dishes/dan-dan.png".into()])
}

struct Fixture {
    project: Project,
    out: PathBuf,
    first: WriteReport,
    second: WriteReport,
    first_render: Duration,
    second_render: Duration,
}

/// Renders and writes the sample site twice (the second time from the image cache).
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| match make_fixture() {
        Ok(f) => f,
        Err(e) => panic!("the sample site does not build: {e}"),
    })
}

fn make_fixture() -> Result<Fixture, Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("render_build");
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("site");
    let out = dir.join("public");
    let images = write_images(&root)?;
    let site = sample_site();
    let project = Project {
        root: root.clone(),
        version: catalog::catalog_version(&site),
        site,
        images,
    };
    let theme = Theme::load(&theme_dir(), Some(&root))?;
    let opts = RenderOptions {
        image_cache: Some(root.join(".carte/cache/images")),
        ..RenderOptions::default()
    };
    let started = Instant::now();
    let outputs = render::render(&project, &theme, &opts)?;
    let first_render = started.elapsed();
    let first = write::write(&out, &outputs)?;
    let started = Instant::now();
    let again = render::render(&project, &theme, &opts)?;
    let second_render = started.elapsed();
    let second = write::write(&out, &again)?;
    Ok(Fixture {
        project,
        out,
        first,
        second,
        first_render,
        second_render,
    })
}

fn read(out: &Path, rel: &str) -> Result<String, Box<dyn std::error::Error>> {
    std::fs::read_to_string(out.join(rel)).map_err(|e| format!("{rel}: {e}").into())
}

fn html_files(out: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.into_path())
        .collect()
}

/// The values of `attr="…"` in `html`, with `&amp;` read back.
fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.push(rest[..end].replace("&amp;", "&").replace("&#x2F;", "/"));
        rest = &rest[end..];
    }
    out
}

fn json_ld(html: &str) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let start = html
        .find("<script type=\"application/ld+json\">")
        .ok_or("no JSON-LD")?
        + "<script type=\"application/ld+json\">".len();
    let end = start + html[start..].find("</script>").ok_or("unclosed JSON-LD")?;
    Ok(serde_json::from_str(&html[start..end])?)
}

#[test]
fn every_page_of_the_url_scheme_is_written() -> TestResult {
    let f = fixture();
    let pages = urls::all_pages(&f.project.site);
    assert!(pages.len() > 80, "{} pages", pages.len());
    for page in &pages {
        let file = f.out.join(page_file(page));
        assert!(file.is_file(), "{page} → {} is missing", file.display());
        let html = std::fs::read_to_string(&file)?;
        let lang = page.split('/').nth(1).unwrap_or_default();
        assert!(html.starts_with("<!doctype html>"), "{page}");
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{page}");
        assert!(
            html.contains("hreflang=\"zh\"") && html.contains("hreflang=\"en\""),
            "{page}"
        );
        assert!(html.contains("hreflang=\"x-default\""), "{page}");
        assert!(html.contains("property=\"og:title\""), "{page}");
        assert!(html.contains("name=\"twitter:card\""), "{page}");
    }
    for extra in [
        "index.html",
        "404.html",
        "qr/index.html",
        "sitemap.xml",
        "robots.txt",
    ] {
        assert!(f.out.join(extra).is_file(), "{extra} is missing");
    }
    Ok(())
}

#[test]
fn links_and_images_point_at_files_that_exist() -> TestResult {
    let f = fixture();
    let mut checked = 0;
    for file in html_files(&f.out) {
        let html = std::fs::read_to_string(&file)?;
        let ids: BTreeSet<String> = attr_values(&html, "id").into_iter().collect();
        let mut targets = attr_values(&html, "href");
        targets.extend(attr_values(&html, "src"));
        for srcset in attr_values(&html, "srcset") {
            targets.extend(
                srcset
                    .split(',')
                    .filter_map(|c| c.split_whitespace().next())
                    .map(str::to_owned),
            );
        }
        for target in targets {
            if let Some(fragment) = target.strip_prefix('#') {
                assert!(
                    ids.contains(fragment),
                    "{}: #{fragment} has no target",
                    file.display()
                );
                continue;
            }
            let local = match target.strip_prefix(BASE) {
                Some(rest) => rest.to_owned(),
                None if target.starts_with('/') => target.clone(),
                None => continue, // tel:, external links
            };
            let path = local.split(['?', '#']).next().unwrap_or_default();
            if path.starts_with("/api/") {
                // Served by the functions on the same origin (the account page), not a file.
                assert_eq!(path, "/api/members/account", "{}", file.display());
                continue;
            }
            let rel = page_file(path);
            assert!(
                f.out.join(&rel).is_file(),
                "{} links to {target}, but {rel} does not exist",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} links checked");
    Ok(())
}

#[test]
fn menu_page_lists_dishes_with_prices_badges_and_order_markup() -> TestResult {
    let f = fixture();
    let html = read(&f.out, "en/harbour/index.html")?;
    assert!(html.contains("class=\"cats\""), "sticky category nav");
    assert!(html.contains("href=\"#c-noodles\"") && html.contains("id=\"c-noodles\""));
    assert!(html.contains("id=\"d-dan-dan\" data-price=\"3200\""));
    assert!(html.contains("¥32.00"));
    // The plain order form: a quantity for each dish; the option groups are on the
    // dish's page, for the options sheet (and a second step without JavaScript).
    assert!(
        html.contains("<form id=\"order\" class=\"order\" method=\"post\" action=\"/api/orders\"")
    );
    assert!(html.contains("name=\"qty.dan-dan\""), "quantity input");
    assert!(
        !html.contains("name=\"opt."),
        "no option inputs on the menu"
    );
    let dish = read(&f.out, "en/dishes/dan-dan/index.html")?;
    assert!(
        dish.contains("name=\"opt.dan-dan.spice\" value=\"mild\""),
        "a radio per choice of a one-choice group"
    );
    assert!(
        dish.contains("Braised egg <span class=\"delta\">+¥3.00</span>"),
        "choices with their price deltas"
    );
    let sold_out = html.find("id=\"d-zhajiang\"").ok_or("no zhajiang")?;
    assert!(html[sold_out..sold_out + 200].contains("data-sold-out"));
    assert!(html.contains("Sold out"));
    assert!(html.contains("Available 07:00–10:30"), "breakfast window");
    assert!(
        html.contains("Available Sat, Sun 11:00–14:00"),
        "dish window"
    );
    assert!(html.contains("Set meal"));
    assert!(html.contains("Allergens: wheat, soy"));
    // Images reserve their space and offer several widths.
    let img = html
        .find("<img src=\"/images/dishes-dan-dan-")
        .ok_or("no dan dan image")?;
    let tag = &html[img..img + html[img..].find('>').unwrap_or(0)];
    assert!(tag.contains("width=\"320\" height=\"213\""), "{tag}");
    assert!(
        tag.contains("320w") && tag.contains("640w") && tag.contains("960w"),
        "{tag}"
    );
    assert!(tag.contains("loading=\"lazy\""));
    let zh = read(&f.out, "zh/harbour/index.html")?;
    assert!(zh.contains("担担面") && zh.contains("已售罄") && zh.contains("供应时间 07:00–10:30"));
    // Express menu at the other shop, not the main one.
    let station = read(&f.out, "en/station/index.html")?;
    assert!(station.contains("Beef pie") && !station.contains("Dan dan noodles"));
    Ok(())
}

#[test]
fn json_ld_describes_the_restaurant_and_its_menu() -> TestResult {
    let f = fixture();
    let ld = json_ld(&read(&f.out, "en/harbour/index.html")?)?;
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "Restaurant");
    assert_eq!(ld["address"]["streetAddress"], "8 Harbour Road");
    assert_eq!(ld["hasMenu"]["@type"], "Menu");
    let sections = ld["hasMenu"]["hasMenuSection"]
        .as_array()
        .ok_or("no sections")?;
    assert_eq!(sections.len(), 5);
    let noodles = &sections[1];
    assert_eq!(noodles["@type"], "MenuSection");
    assert_eq!(noodles["name"], "Noodles");
    let first = &noodles["hasMenuItem"][0];
    assert_eq!(first["@type"], "MenuItem");
    assert_eq!(first["name"], "Dan dan noodles");
    assert_eq!(first["offers"]["@type"], "Offer");
    assert_eq!(first["offers"]["price"], "32.00");
    assert_eq!(first["offers"]["priceCurrency"], "CNY");
    let items: usize = sections
        .iter()
        .map(|s| s["hasMenuItem"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(items, 31);
    let station = json_ld(&read(&f.out, "zh/station/index.html")?)?;
    assert_eq!(
        station["openingHours"],
        serde_json::json!(["Mo-Fr 07:00-21:00", "Sa-Su 09:00-22:00"])
    );
    let dish = json_ld(&read(&f.out, "en/dishes/beef-noodles/index.html")?)?;
    assert_eq!(dish["@type"], "MenuItem");
    assert_eq!(dish["offers"]["price"], "38.00");
    Ok(())
}

#[test]
fn dish_page_is_shareable() -> TestResult {
    let f = fixture();
    let html = read(&f.out, "en/dishes/dan-dan/index.html")?;
    let og = attr_values(&html, "content")
        .into_iter()
        .find(|c| c.starts_with(BASE) && c.contains("/images/"))
        .ok_or("no og:image")?;
    assert!(og.ends_with("-w960.png"), "{og}");
    assert_eq!(
        urls::cache_control(og.trim_start_matches(BASE)),
        "public, max-age=31536000, immutable"
    );
    assert!(f
        .out
        .join(og.trim_start_matches(BASE).trim_start_matches('/'))
        .is_file());
    assert!(html.contains("<meta property=\"og:type\" content=\"product\">"));
    assert!(
        html.contains("<strong>Dan dan noodles</strong>"),
        "Markdown description"
    );
    assert!(html.contains("data-group=\"add-ons\" data-min=\"0\" data-max=\"3\""));
    assert!(
        html.contains("href=\"/en/harbour/?add=dan-dan#d-dan-dan\""),
        "adds to the order on the menu"
    );
    assert!(html.contains("Add to my order · "), "{html}");
    Ok(())
}

#[test]
fn catalog_json_carries_minor_units_and_the_version_and_agrees_with_pricing() -> TestResult {
    let f = fixture();
    let site = &f.project.site;
    let text = read(&f.out, "catalog/harbour.json")?;
    assert!(
        !text.contains("budget") && !text.contains("per_member"),
        "no budgets"
    );
    assert!(
        !text.contains("WELCOME-TEMPLATE"),
        "member codes stay private"
    );
    let cat: LocationCatalog = serde_json::from_str(&text)?;
    assert_eq!(cat.version, f.project.version);
    assert_eq!(cat.currency.exponent, 2);
    assert_eq!(cat.location.tables.len(), 13);
    assert_eq!(cat.fulfilment, vec!["dine_in", "pickup"]);
    assert_eq!(cat.coupons.len(), 2);
    // SPRING10 is limited per member, so for members only: listed without its code.
    assert_eq!(cat.coupons[0].code, None);
    assert!(!text.contains("SPRING10"), "members' codes stay private");
    assert_eq!(cat.coupons[1].code, None);
    let now = Utc
        .with_ymd_and_hms(2026, 3, 3, 4, 0, 0)
        .single()
        .ok_or("time")?;
    assert_eq!(cat.menu_url, "/catalog/menus/main.json");
    let menu: MenuCatalog = serde_json::from_str(&read(&f.out, "catalog/menus/main.json")?)?;
    assert_eq!(menu.currency.exponent, 2);
    let mut compared = 0;
    for (c, d) in menu.menu.dishes() {
        assert_eq!(
            Some(d),
            site.dish(&d.id).map(|(_, d)| d),
            "{} round-trips",
            d.id
        );
        let limited = d.available.is_some() || c.available.is_some();
        if d.sold_out || limited || d.options.iter().any(|g| g.min > 0) {
            continue;
        }
        let cart = Cart {
            location: "harbour".into(),
            fulfilment: Fulfilment::DineIn { table: "1".into() },
            lines: vec![CartLine {
                dish: d.id.clone(),
                quantity: 1,
                options: vec![],
            }],
            coupon: None,
        };
        let quote = catalog::price(site, &SoldOut::default(), &cart, now)
            .map_err(|e| format!("{}: {e:?}", d.id))?;
        assert_eq!(quote.lines[0].unit_price, d.price, "{}", d.id);
        compared += 1;
    }
    assert!(compared >= 10, "{compared}");
    // An option's delta in the catalog is what pricing adds.
    let dan = menu
        .menu
        .dish("dan-dan")
        .map(|(_, d)| d)
        .ok_or("no dan-dan")?;
    let egg = dan
        .group("add-ons")
        .and_then(|g| g.choices.first())
        .ok_or("no egg")?;
    let cart = Cart {
        location: "harbour".into(),
        fulfilment: Fulfilment::DineIn { table: "1".into() },
        lines: vec![CartLine {
            dish: "dan-dan".into(),
            quantity: 2,
            options: vec![
                ChosenOptions {
                    group: "spice".into(),
                    choices: vec!["mild".into()],
                },
                ChosenOptions {
                    group: "add-ons".into(),
                    choices: vec![egg.id.clone()],
                },
            ],
        }],
        coupon: None,
    };
    let quote =
        catalog::price(site, &SoldOut::default(), &cart, now).map_err(|e| format!("{e:?}"))?;
    assert_eq!(quote.lines[0].unit_price, dan.price + egg.price_delta);
    assert_eq!(quote.lines[0].unit_price, 3500);
    let station: LocationCatalog = serde_json::from_str(&read(&f.out, "catalog/station.json")?)?;
    assert_eq!(station.menu, "express");
    assert_eq!(station.menu_url, "/catalog/menus/express.json");
    let express: MenuCatalog = serde_json::from_str(&read(&f.out, "catalog/menus/express.json")?)?;
    assert_eq!(express.menu.id, "express");
    assert_eq!(express.version, f.project.version);
    assert_eq!(station.fulfilment, vec!["dine_in"]);
    assert_eq!(station.coupons.len(), 2);
    assert!(
        !f.out.join("site.json").exists(),
        "site.json (budgets, sign-up codes) must stay private"
    );
    let whole: serde_json::Value =
        serde_json::from_slice(&generator::render::catalog_json::site_json(&f.project)?)?;
    assert_eq!(whole["version"], f.project.version.as_str());
    let back: Site = serde_json::from_value(whole["site"].clone())?;
    assert_eq!(&back, site);
    Ok(())
}

#[test]
fn sitemap_lists_every_page_with_alternates() -> TestResult {
    let f = fixture();
    let xml = read(&f.out, "sitemap.xml")?;
    for page in urls::all_pages(&f.project.site) {
        assert!(
            xml.contains(&format!("<loc>{BASE}{page}</loc>")),
            "{page} not in sitemap"
        );
    }
    assert!(xml.contains(&format!(
        "<xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"{BASE}/en/dishes/jiaozi/\"/>"
    )));
    assert!(read(&f.out, "robots.txt")?.contains(&format!("Sitemap: {BASE}/sitemap.xml")));
    Ok(())
}

#[test]
fn a_big_sitemap_is_split_under_an_index() -> TestResult {
    use generator::render::seo::{sitemaps_within, SitemapLimits};
    let f = fixture();
    let site = &f.project.site;
    let pages = urls::all_pages(site);
    let limits = SitemapLimits {
        urls: 4,
        bytes: 2_000,
    };
    let files = sitemaps_within(site, BASE, limits);
    let (index, parts) = files.split_last().ok_or("no sitemap")?;
    assert_eq!(index.path, "sitemap.xml");
    let index = String::from_utf8(index.bytes.clone())?;
    assert!(index.contains("<sitemapindex"), "{index}");
    assert_eq!(parts.len(), index.matches("<sitemap>").count());
    let mut all = String::new();
    for (n, part) in parts.iter().enumerate() {
        assert_eq!(part.path, format!("sitemap-{}.xml", n + 1));
        assert!(index.contains(&format!("<loc>{BASE}/{}</loc>", part.path)));
        let xml = String::from_utf8(part.bytes.clone())?;
        assert!(xml.matches("<url>").count() <= limits.urls, "{xml}");
        assert!(xml.len() <= limits.bytes || xml.matches("<url>").count() == 1);
        all.push_str(&xml);
    }
    // The chooser and every page, each exactly once.
    assert_eq!(all.matches("<url>").count(), pages.len() + 1);
    for page in &pages {
        assert_eq!(
            all.matches(&format!("<loc>{BASE}{page}</loc>")).count(),
            1,
            "{page}"
        );
    }
    Ok(())
}

#[test]
fn qr_codes_exist_for_every_table_and_channel() -> TestResult {
    let f = fixture();
    let site = &f.project.site;
    let sheet = read(&f.out, "qr/index.html")?;
    let mut expected = Vec::new();
    for loc in &site.locations {
        for table in &loc.tables {
            expected.push((
                urls::table_qr(&loc.id, table),
                urls::table_link("zh", &loc.id, table),
            ));
        }
    }
    for c in &site.campaigns {
        for ch in &c.channels {
            let loc = ch.location.clone().unwrap_or_else(|| "harbour".into());
            expected.push((
                urls::channel_qr(&c.id, &ch.id),
                urls::channel_link("zh", &loc, &c.id, &ch.id),
            ));
        }
    }
    assert_eq!(expected.len(), 17);
    for (svg_path, link) in expected {
        let svg = read(&f.out, svg_path.trim_start_matches('/'))?;
        assert!(
            svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
            "{svg_path}"
        );
        let url = format!("{BASE}{link}");
        assert_eq!(svg, render::qr::svg(&url)?, "{svg_path} encodes {url}");
        assert!(
            sheet.contains(&url.replace('&', "&amp;")),
            "{url} not on the sheet"
        );
        assert!(
            sheet.contains(&format!("src=\"{svg_path}\"")),
            "{svg_path} not on the sheet"
        );
    }
    assert!(sheet.contains("海港店 · 桌 A 3"));
    assert!(sheet.contains("春季活动 · 传单"));
    Ok(())
}

#[test]
fn rebuilding_without_changes_writes_nothing_and_reuses_resized_images() -> TestResult {
    let f = fixture();
    assert!(f.first.written > 100, "{:?}", f.first);
    assert_eq!(f.second.written, 0, "{:?}", f.second);
    assert_eq!(f.second.removed, 0);
    assert_eq!(f.second.unchanged, f.first.written);
    let cached = std::fs::read_dir(f.project.root.join(".carte/cache/images"))?.count();
    assert_eq!(
        cached, 5,
        "3 resized widths of the 1200-px PNG + 2 of the 800-px JPEG (its own width is the source file)"
    );
    eprintln!(
        "render: {:?} first, {:?} from the image cache; {} files, {} bytes",
        f.first_render, f.second_render, f.first.written, f.first.bytes_total
    );
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<usize, std::io::Error> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes)?;
    Ok(e.finish()?.len())
}

/// Raw sizes of a page and its stylesheet, and what both weigh gzipped.
fn menu_transfer(
    out: &Path,
    page: &str,
) -> Result<(usize, usize, usize), Box<dyn std::error::Error>> {
    let html = read(out, page)?;
    let css_url = attr_values(&html, "href")
        .into_iter()
        .find(|h| h.starts_with("/assets/style.") && h.ends_with(".css"))
        .ok_or("no fingerprinted stylesheet")?;
    let css = read(out, css_url.trim_start_matches('/'))?;
    assert!(
        !css.contains("/*") && !css.contains("\n  "),
        "CSS is minified"
    );
    let gz = gzip_len(html.as_bytes())? + gzip_len(css.as_bytes())?;
    Ok((html.len(), css.len(), gz))
}

#[test]
fn menu_page_fits_the_transfer_budget() -> TestResult {
    let f = fixture();
    let html = read(&f.out, "en/harbour/index.html")?;
    let dishes = html.matches("<li class=\"dish").count();
    assert!(dishes >= 30, "{dishes} dishes");
    let (html_len, css_len, total) = menu_transfer(&f.out, "en/harbour/index.html")?;
    eprintln!("menu page: {html_len} B html, {css_len} B css, {total} B gzip for {dishes} dishes");
    assert!(total <= 30 * 1024, "{total} bytes gzip");
    // The storefront script, loaded directly or after the first paint (`data-src`).
    assert!(
        html.contains("<script type=\"module\" src=\"/assets/app.")
            || html.contains("<script data-src=\"/assets/app."),
        "the page loads the fingerprinted app.js"
    );
    Ok(())
}

#[test]
fn content_stays_escaped() -> TestResult {
    let f = fixture();
    for file in html_files(&f.out) {
        let html = std::fs::read_to_string(&file)?;
        assert!(!html.contains("<script>alert"), "{}", file.display());
        assert!(!html.contains("<img src=x"), "{}", file.display());
        assert!(!html.contains("<b>粗</b>"), "{}", file.display());
    }
    let menu = read(&f.out, "en/harbour/index.html")?;
    assert!(menu.contains("&lt;script&gt;alert(1)&lt;/script&gt; Noodles"));
    let ld = json_ld(&menu)?;
    assert_eq!(
        ld["hasMenu"]["hasMenuSection"][1]["hasMenuItem"][3]["name"],
        SCRIPT_NAME
    );
    Ok(())
}

#[test]
fn a_site_template_overrides_the_theme() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("templates"))?;
    std::fs::write(
        dir.path().join("templates/404.html"),
        "{% extends \"base.html\" %}{% block main %}<p>Lost noodle</p>{% endblock main %}",
    )?;
    let site = sample_site();
    let project = Project {
        root: dir.path().to_owned(),
        version: catalog::catalog_version(&site),
        site: Site {
            menus: vec![],
            ..site
        },
        images: vec![],
    };
    let theme = Theme::load(&theme_dir(), Some(dir.path()))?;
    let outputs = render::render(&project, &theme, &RenderOptions::default())?;
    let not_found = outputs
        .iter()
        .find(|o| o.path == "404.html")
        .ok_or("no 404")?;
    let html = String::from_utf8(not_found.bytes.clone())?;
    assert!(html.contains("<p>Lost noodle</p>") && html.contains("<html lang=\"zh\">"));
    Ok(())
}

#[test]
fn a_theme_script_that_does_not_parse_stops_the_build_with_its_place() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("static"))?;
    std::fs::write(
        dir.path().join("static/app.js"),
        "// the site's own cart\nconst total = ;\n",
    )?;
    let error = Theme::load(&theme_dir(), Some(dir.path()))
        .expect_err("a broken script")
        .to_string();
    assert!(error.starts_with("theme static/app.js:2:15: "), "{error}");
    assert!(error.contains("hint:"), "{error}");
    // The theme's own scripts are served minified, exports and all.
    std::fs::remove_file(dir.path().join("static/app.js"))?;
    let theme = Theme::load(&theme_dir(), Some(dir.path()))?;
    let url = theme.assets.url("app.js").ok_or("no app.js")?.to_owned();
    let app = theme
        .assets
        .outputs
        .iter()
        .find(|o| url.ends_with(&o.path))
        .ok_or("app.js not written")?;
    let source = std::fs::read(theme_dir().join("static/app.js"))?;
    assert!(
        app.bytes.len() * 3 < source.len() * 2,
        "{} of {} bytes",
        app.bytes.len(),
        source.len()
    );
    Ok(())
}

#[test]
fn builds_the_demo_restaurant() -> TestResult {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../site-content");
    let project = generator::build::check(&root).map_err(|d| d.to_string())?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("public");
    // A copy of the cache folder would be shared with `carte serve`; keep the test's own.
    let opts = generator::build::BuildOptions {
        render: RenderOptions {
            image_cache: Some(dir.path().join("cache")),
            ..RenderOptions::default()
        },
        ..Default::default()
    };
    let report = generator::build::build(&root, &out, &opts)?;
    let pages = urls::all_pages(&project.site);
    for page in &pages {
        assert!(out.join(page_file(page)).is_file(), "{page} is missing");
    }
    assert!(report.pages >= pages.len() + 3, "{report:?}");
    assert_eq!(report.written, report.files);
    for loc in &project.site.locations {
        let cat: LocationCatalog =
            serde_json::from_str(&read(&out, &format!("catalog/{}.json", loc.id))?)?;
        assert_eq!(cat.version, project.version);
        let menu = project.site.menu_of(loc).ok_or("no menu")?;
        assert_eq!(cat.menu, menu.id);
        let shared: MenuCatalog =
            serde_json::from_str(&read(&out, cat.menu_url.trim_start_matches('/'))?)?;
        assert_eq!(&*shared.menu, menu);
        let lang = project.site.default_language();
        let ld = json_ld(&read(&out, &page_file(&urls::location(lang, &loc.id)))?)?;
        assert_eq!(ld["@type"], "Restaurant");
        let first = menu.dishes().next().map(|(_, d)| d).ok_or("empty menu")?;
        assert_eq!(
            ld["hasMenu"]["hasMenuSection"][0]["hasMenuItem"][0]["offers"]["price"],
            project.site.settings.currency.format(first.price)
        );
    }
    // Only codes any diner may type are published: NOODLE20 and PLUMTIME are
    // members-only, WELCOME8 is issued one per member.
    for loc in &project.site.locations {
        let text = read(&out, &format!("catalog/{}.json", loc.id))?;
        for kept in ["NOODLE20", "PLUMTIME", "WELCOME8"] {
            assert!(!text.contains(kept), "{kept} is in catalog/{}.json", loc.id);
        }
        let cat: LocationCatalog = serde_json::from_str(&text)?;
        for coupon in cat.coupons.iter().filter(|c| c.code.is_some()) {
            let code = coupon.code.as_deref().unwrap_or_default();
            let (_, rules) = project.site.coupon(code).ok_or("an unknown code")?;
            assert!(rules.code_is_public(), "{code} is published");
        }
    }
    let chunxi = read(&out, "catalog/chunxi.json")?;
    assert!(chunxi.contains("SAVE10"), "the public code is kept");
    let first_loc = project.site.locations.first().ok_or("no location")?;
    let menu_page = page_file(&urls::location(
        project.site.default_language(),
        &first_loc.id,
    ));
    let (html, css, gz) = menu_transfer(&out, &menu_page)?;
    eprintln!("demo menu page: {html} B html, {css} B css, {gz} B gzip");
    assert!(gz <= 30 * 1024, "{gz} bytes gzip");
    let again = generator::build::build(&root, &out, &opts)?;
    assert_eq!(again.written, 0, "{again:?}");
    eprintln!("demo build: {report:?}; rebuild: {again:?}");
    Ok(())
}

/// Renders `site` (with the sample images, in a folder of its own named `name`) in memory.
fn render_site(site: Site, name: &str) -> Result<Vec<Output>, Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let project = Project {
        root: root.clone(),
        version: catalog::catalog_version(&site),
        site,
        images: write_images(&root)?,
    };
    let theme = Theme::load(&theme_dir(), Some(&root))?;
    Ok(render::render(&project, &theme, &RenderOptions::default())?)
}

/// The text of the rendered file at `path`.
fn rendered(outputs: &[Output], path: &str) -> Result<String, String> {
    outputs
        .iter()
        .find(|o| o.path == path)
        .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
        .ok_or_else(|| format!("{path} not rendered"))
}

/// Outside a session each menu's listing pieces are dropped once its menu pages are
/// written: every shop sharing that menu must still get every dish and its JSON-LD.
#[test]
fn shops_sharing_a_menu_each_list_every_dish() -> TestResult {
    let mut site = sample_site();
    let mut twin = site.locations[0].clone();
    twin.id = "harbour-twin".into();
    twin.order_prefix = "T".into();
    site.locations.push(twin);
    let outputs = render_site(site, "shared_menu")?;
    let page = |path: &str| rendered(&outputs, path);
    let (first, twin) = (
        page("en/harbour/index.html")?,
        page("en/harbour-twin/index.html")?,
    );
    let cards = |html: &str| -> Vec<String> {
        attr_values(html, "id")
            .into_iter()
            .filter(|id| id.starts_with("d-"))
            .collect()
    };
    let dishes = cards(&first);
    assert!(dishes.len() > 3, "{dishes:?}");
    assert_eq!(cards(&twin), dishes);
    // One menu file for both shops; each shop's own part is small and names it.
    let menus: Vec<&str> = outputs
        .iter()
        .map(|o| o.path.as_str())
        .filter(|p| p.starts_with("catalog/menus/"))
        .collect();
    assert_eq!(menus.len(), 2, "{menus:?}");
    for shop in ["harbour", "harbour-twin"] {
        let own: LocationCatalog = serde_json::from_str(&page(&format!("catalog/{shop}.json"))?)?;
        assert_eq!(own.menu_url, "/catalog/menus/main.json");
    }
    let own = page("catalog/harbour-twin.json")?.len();
    let menu = page("catalog/menus/main.json")?.len();
    assert!(
        own * 4 < menu,
        "the shop's part is {own} B, its menu {menu} B"
    );
    for html in [&first, &twin] {
        let ld = json_ld(html)?;
        let items: usize = ld["hasMenu"]["hasMenuSection"]
            .as_array()
            .ok_or("no menu sections")?
            .iter()
            .map(|s| s["hasMenuItem"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(items, dishes.len(), "a MenuItem per listed dish");
    }
    Ok(())
}

#[test]
fn the_join_page_and_the_footer_lead_to_the_account_page_in_each_language() -> TestResult {
    let f = fixture();
    for (lang, words) in [("zh", "我的账户"), ("en", "My account")] {
        let join = read(&f.out, &format!("{lang}/join/index.html"))?;
        let link =
            format!("<a href=\"/api/members/account?lang={lang}\" rel=\"nofollow\">{words}</a>");
        assert!(
            join.contains(&format!("<p class=\"account-link\">{link}")),
            "{join}"
        );
        let menu = read(&f.out, &format!("{lang}/index.html"))?;
        assert!(
            menu.contains(&link),
            "{lang}/index.html has no account link"
        );
    }
    Ok(())
}

/// A set meal's chosen dish keeps its own options: in the fieldsets the menu's options
/// sheet takes from the dish page (`<template id="opts">`), each dish choice is
/// followed by that dish's groups under `group/choice/inner` (named for the dish,
/// shown once it is picked), and the dish page lists them under it. The menu's card
/// carries no option inputs: without JavaScript they come as a second step.
#[test]
fn a_set_meal_offers_the_chosen_dishs_own_options() -> TestResult {
    let f = fixture();
    let menu = read(&f.out, "en/harbour/index.html")?;
    let card = &menu[menu.find(r#"id="d-lunch-set""#).ok_or("no set card")?..];
    let card = &card[..card.find("</li>").ok_or("unclosed card")?];
    assert!(card.contains(" data-options"), "{card}");
    assert!(
        !card.contains("<fieldset") && !card.contains("name=\"opt."),
        "{card}"
    );
    let dish_page = read(&f.out, "en/dishes/lunch-set/index.html")?;
    let start = dish_page
        .find(r#"<template id="opts">"#)
        .ok_or("no options template")?;
    let card = &dish_page[start..];
    let card = &card[..card.find("</template>").ok_or("unclosed template")?];
    let dan_dan_spice = r#"<fieldset data-group="main/dan-dan/spice" data-min="1" data-max="1" data-required data-owner="dan-dan" data-own="spice">"#;
    assert!(card.contains(dan_dan_spice), "{card}");
    assert!(card.contains(
        "<legend>Dan dan noodles · Spice <span class=\"req\">(required)</span></legend>"
    ));
    assert!(card.contains(
        r#"name="opt.lunch-set.main/beef-noodles/add-ons" value="egg" data-delta="300""#
    ));
    // The sub-groups sit right after their choice's label, where CSS shows them once it is picked.
    let label = card.find(r#"value="dan-dan""#).ok_or("no dan-dan choice")?;
    let sub = card
        .find(r#"<div class="sub"><fieldset data-group="main/dan-dan/spice""#)
        .ok_or("no sub")?;
    assert!(label < sub && !card[label..sub].contains("value=\"beef-noodles\""));
    // The sold-out add-on stays disabled inside the set, too.
    assert!(card.contains(
        r#"name="opt.lunch-set.main/dan-dan/add-ons" value="tofu" data-delta="200" disabled"#
    ));

    let page = read(&f.out, "zh/dishes/lunch-set/index.html")?;
    assert!(
        page.contains(r#"<ul class="sub-groups"><li>辣度 <span class="muted">"#),
        "{page}"
    );
    assert!(page.contains("卤蛋 <span class=\"price\">+¥3.00</span>"));
    Ok(())
}

/// A tag on more dishes than one page holds runs to pages: 48 dishes each, each page
/// its own canonical address with `rel=prev/next` and links either side, every dish on
/// exactly one page, and every page in the sitemap.
#[test]
fn a_long_tag_listing_runs_to_pages() -> TestResult {
    let mut site = sample_site();
    let extra: Vec<Dish> = (0..100)
        .map(|i| Dish {
            tags: vec!["spicy".into()],
            ..dish(
                &format!("chilli-{i:03}"),
                "辣菜",
                &format!("Chilli dish {i}"),
                1000,
            )
        })
        .collect();
    site.menus[0].categories[0].dishes.extend(extra);
    let spicy = site
        .menus
        .iter()
        .flat_map(|m| m.dishes())
        .filter(|(_, d)| d.tags.iter().any(|t| t == "spicy"))
        .count();
    assert!(spicy > 2 * 48 && spicy <= 3 * 48, "{spicy} spicy dishes");
    let outputs = render_site(site, "paged_tags")?;
    let page = |path: &str| rendered(&outputs, path);
    let first = page("en/tags/spicy/index.html")?;
    let second = page("en/tags/spicy/page/2/index.html")?;
    let third = page("en/tags/spicy/page/3/index.html")?;
    assert!(page("en/tags/spicy/page/4/index.html").is_err());
    assert!(
        page("en/tags/spicy/page/1/index.html").is_err(),
        "page 1 is the listing"
    );

    let mut listed = Vec::new();
    for html in [&first, &second, &third] {
        listed.extend(attr_values(html, "data-dish"));
    }
    assert_eq!(attr_values(&first, "data-dish").len(), 48);
    assert_eq!(attr_values(&third, "data-dish").len(), spicy - 96);
    let unique: std::collections::BTreeSet<&String> = listed.iter().collect();
    assert_eq!(
        (listed.len(), unique.len()),
        (spicy, spicy),
        "each dish once"
    );

    let head = |html: &str, rel: &str| {
        let needle = format!("<link rel=\"{rel}\" href=\"");
        html.find(&needle).map(|i| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_owned()
        })
    };
    assert_eq!(
        head(&first, "canonical").as_deref(),
        Some(&*format!("{BASE}/en/tags/spicy/"))
    );
    assert_eq!(head(&first, "prev"), None);
    assert_eq!(
        head(&first, "next").as_deref(),
        Some(&*format!("{BASE}/en/tags/spicy/page/2/"))
    );
    assert_eq!(
        head(&second, "canonical").as_deref(),
        Some(&*format!("{BASE}/en/tags/spicy/page/2/"))
    );
    assert_eq!(
        head(&second, "prev").as_deref(),
        Some(&*format!("{BASE}/en/tags/spicy/"))
    );
    assert_eq!(
        head(&second, "next").as_deref(),
        Some(&*format!("{BASE}/en/tags/spicy/page/3/"))
    );
    assert_eq!(head(&third, "next"), None);
    assert!(second.contains(r#"<a href="/en/tags/spicy/" rel="prev">← Previous page</a><a href="/en/tags/spicy/page/3/" rel="next">Next page →</a>"#));
    assert!(second.contains("Page 2 of 3"));
    let zh = page("zh/tags/spicy/page/3/index.html")?;
    assert!(zh.contains("第 3 页，共 3 页"), "{zh}");
    assert!(zh.contains(&format!(
        r#"<link rel="alternate" hreflang="en" href="{BASE}/en/tags/spicy/page/3/">"#
    )));
    // A short tag has one page and no pager.
    let short = page("en/tags/noodles/index.html")?;
    assert!(!short.contains("rel=\"next\"") && !short.contains("class=\"pager\""));

    let sitemap = page("sitemap.xml")?;
    for path in [
        "/en/tags/spicy/",
        "/en/tags/spicy/page/2/",
        "/zh/tags/spicy/page/3/",
    ] {
        assert!(
            sitemap.contains(&format!("<loc>{BASE}{path}</loc>")),
            "{path} not in the sitemap"
        );
    }
    assert!(!sitemap.contains("/page/4/"));
    Ok(())
}
