//! A synthetic restaurant chain for the build-speed benchmark (`bench/run.sh`).
//!
//! ```text
//! cargo run --release --example synth -- --scale small|medium|large OUT_DIR
//! cargo run --release --example synth -- --dishes 5000 OUT_DIR
//! cargo run --release --example synth -- --scale large --bad-price-every 1000 OUT_DIR
//! cargo run --release --example synth -- --scale large --hugo OUT_DIR
//! cargo run --release --example synth -- build SITE OUT      # generator::build::build, timed
//! cargo run --release --example synth -- check SITE          # generator::build::check, timed
//! cargo run --release --example synth -- stages SITE OUT     # each pipeline stage timed
//! cargo run --release --example synth -- rebuild SITE OUT    # price edits rebuilt as `carte serve` does
//! ```
//!
//! The site is deterministic for a seed: bilingual (zh, en), several menus and
//! shops so no listing holds every dish, option groups (required, add-ons,
//! `pick`), a combo per menu, tags, allergens, campaigns and Markdown pages that
//! link into the site. It has no images, so resizing does not dominate.
//!
//! `--hugo` writes the same content as a Hugo site (same pages per language: home,
//! one page per shop listing its menu, per dish, per Markdown page and per tag).
//!
//! Content pages for D dishes, L shops, P Markdown pages and T tags: `1 + L + D + P + T`
//! per language. `carte build` also writes a few fixed pages (today the language
//! chooser, 404, QR sheet, join and order-status per language, four staff screens),
//! which the last column counts (as measured; `bench/run.sh` counts again):
//!
//! | scale  | dishes | menus | shops | pages | tags | HTML pages written |
//! | ------ | ------ | ----- | ----- | ----- | ---- | ------------------ |
//! | small  | 22     | 2     | 3     | 4     | 4    | 79                 |
//! | medium | 1,280  | 3     | 4     | 4     | 12   | 2,613              |
//! | large  | 15,000 | 30    | 37    | 40    | 150  | 30,467             |

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

/// The allocator `carte` itself uses, so the timings are the command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writes a synthetic Carte (or Hugo) site, or times the generator on one.
#[derive(Parser)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[command(flatten)]
    generate: Generate,
}

#[derive(clap::Args)]
struct Generate {
    /// A preset size.
    #[arg(long, value_enum, conflicts_with = "dishes")]
    scale: Option<Scale>,
    /// Number of dishes (menus, shops, tags and pages follow from it).
    #[arg(long)]
    dishes: Option<usize>,
    /// Seed of the generator: the same seed writes the same files.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Give every Nth dish a bad price ("-3" or "12.345"), for timing error reports.
    #[arg(long, value_name = "N")]
    bad_price_every: Option<usize>,
    /// Write a Hugo site with the same content instead.
    #[arg(long)]
    hugo: bool,
    /// Folder to write (emptied first if it holds an earlier synthetic site).
    #[arg(required = true)]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Mode {
    /// Build SITE into OUT with `generator::build::build` and print the report.
    Build { site: PathBuf, out: PathBuf },
    /// Check SITE with `generator::build::check` and print the time and error count.
    Check { site: PathBuf },
    /// Build SITE into OUT through a `generator::build::Session` (as `carte serve`), then
    /// time N rebuilds, each after rewriting the first dish price of the first menu.
    Rebuild {
        site: PathBuf,
        out: PathBuf,
        #[arg(default_value_t = 10)]
        edits: usize,
    },
    /// Build SITE into OUT stage by stage, printing the time and memory of each,
    /// then time a span-keeping (marked-yaml) parse of every YAML file.
    Stages { site: PathBuf, out: PathBuf },
}

#[derive(Clone, Copy, ValueEnum)]
enum Scale {
    /// ~70 HTML pages.
    Small,
    /// ~2,600 HTML pages.
    Medium,
    /// ≥ 30,000 HTML pages.
    Large,
}

impl Scale {
    fn dishes(self) -> usize {
        match self {
            Scale::Small => 22,
            Scale::Medium => 1_280,
            Scale::Large => 15_000,
        }
    }
}

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.mode {
        Some(Mode::Build { site, out }) => bench::build(&site, &out),
        Some(Mode::Check { site }) => bench::check(&site),
        Some(Mode::Stages { site, out }) => bench::stages(&site, &out),
        Some(Mode::Rebuild { site, out, edits }) => bench::rebuild(&site, &out, edits),
        None => generate(&cli.generate),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn generate(args: &Generate) -> Result<ExitCode, Failure> {
    let dishes = match (args.scale, args.dishes) {
        (_, Some(n)) => n,
        (Some(scale), None) => scale.dishes(),
        (None, None) => return Err("give --scale or --dishes".into()),
    };
    if dishes < 4 {
        return Err("--dishes must be at least 4".into());
    }
    let out = args.out.as_deref().ok_or("OUT_DIR is required")?;
    let chain = Chain::new(&Plan::for_dishes(dishes), args.seed, args.bad_price_every);
    prepare(out)?;
    let files = if args.hugo {
        hugo::write(&chain, out)?
    } else {
        carte::write(&chain, out)?
    };
    let (d, l, p, t) = (
        chain.dish_count(),
        chain.locations.len(),
        chain.pages.len(),
        chain.tags.len(),
    );
    eprintln!(
        "wrote {files} files to {}: {d} dishes, {} menus, {l} shops, {p} pages, {t} tags \
         ({} content pages per language)",
        out.display(),
        chain.menus.len(),
        1 + l + d + p + t,
    );
    Ok(ExitCode::SUCCESS)
}

/// Empties `out` when it is missing, empty, or an earlier synthetic site; refuses otherwise.
fn prepare(out: &Path) -> Result<(), Failure> {
    if out.exists() {
        let ours = out.join("site.yaml").is_file() || out.join("hugo.toml").is_file();
        let empty = fs::read_dir(out)?.next().is_none();
        if !ours && !empty {
            return Err(format!(
                "{} is not empty and not a synthetic site; refusing to overwrite it",
                out.display()
            )
            .into());
        }
        fs::remove_dir_all(out)?;
    }
    fs::create_dir_all(out)?;
    Ok(())
}

fn put(out: &Path, rel: &str, text: &str) -> Result<(), Failure> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&path, text)?;
    Ok(())
}

/// A YAML (and JSON, and TOML basic) double-quoted string.
fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

/// How many of each thing a site of `dishes` dishes has.
struct Plan {
    dishes: usize,
    menus: usize,
    locations: usize,
    tags: usize,
    pages: usize,
}

impl Plan {
    fn for_dishes(dishes: usize) -> Plan {
        let menus = dishes.div_ceil(500).max(2);
        Plan {
            dishes,
            menus,
            // Some menus are served at two shops.
            locations: menus + (menus / 4).max(1),
            tags: (dishes / 100).max(4),
            pages: (dishes / 300).clamp(4, 40),
        }
    }
}

/// SplitMix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Text in both languages.
#[derive(Clone)]
struct Text {
    zh: String,
    en: String,
}

impl Text {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    fn get(&self, lang: &str) -> &str {
        if lang == "zh" {
            &self.zh
        } else {
            &self.en
        }
    }

    /// `{zh: "…", en: "…"}`.
    fn yaml(&self) -> String {
        format!("{{zh: {}, en: {}}}", q(&self.zh), q(&self.en))
    }
}

enum Pick {
    Required,
    UpTo(u32),
    Exactly(u32),
}

struct Choice {
    id: String,
    name: Text,
    price: Option<String>,
    /// For combos: the dish this choice is.
    dish: Option<String>,
    sold_out: bool,
}

struct Group {
    id: String,
    name: Text,
    pick: Pick,
    choices: Vec<Choice>,
}

struct Dish {
    id: String,
    name: Text,
    description: Text,
    price: String,
    tags: Vec<String>,
    allergens: Vec<&'static str>,
    options: Vec<Group>,
    sold_out: bool,
    combo: bool,
}

struct Category {
    id: String,
    name: Text,
    available: Option<&'static str>,
    dishes: Vec<Dish>,
}

struct Menu {
    id: String,
    name: Text,
    categories: Vec<Category>,
}

struct Location {
    id: String,
    name: Text,
    address: Text,
    menu: usize,
    tables: u32,
    prefix: String,
}

struct Page {
    slug: String,
    title: Text,
    description: Text,
    date: Option<String>,
    body: Text,
}

/// The whole synthetic restaurant chain, written out by [`carte`] or [`hugo`].
struct Chain {
    name: Text,
    menus: Vec<Menu>,
    locations: Vec<Location>,
    tags: Vec<String>,
    pages: Vec<Page>,
}

const CATEGORIES: &[(&str, &str, &str, &str, &str)] = &[
    // id, zh, en, zh dish form, en dish form
    ("noodles", "面条", "Noodles", "面", "Noodles"),
    ("wontons", "抄手", "Wontons", "抄手", "Wontons"),
    ("dumplings", "饺子", "Dumplings", "水饺", "Dumplings"),
    ("cold-dishes", "凉菜", "Cold Dishes", "拌菜", "Salad"),
    ("rice", "盖饭", "Rice Bowls", "盖饭", "Rice Bowl"),
    ("soups", "汤", "Soups", "汤", "Soup"),
    ("stir-fries", "小炒", "Stir-fries", "小炒", "Stir-fry"),
    ("snacks", "小吃", "Snacks", "小吃", "Bites"),
    ("claypots", "煲仔", "Claypots", "煲", "Claypot"),
    ("grill", "烧烤", "Grill", "串", "Skewers"),
    ("vegetables", "素菜", "Vegetables", "时蔬", "Greens"),
    ("breakfast", "早餐", "Breakfast", "包子", "Buns"),
    ("desserts", "甜品", "Desserts", "糕", "Cake"),
    ("drinks", "饮品", "Drinks", "饮", "Drink"),
];

const FLAVOURS: &[(&str, &str)] = &[
    ("麻辣", "Mala"),
    ("红油", "Chilli Oil"),
    ("蒜香", "Garlic"),
    ("酸辣", "Hot & Sour"),
    ("椒盐", "Salt & Pepper"),
    ("鱼香", "Fish-Fragrant"),
    ("宫保", "Kung Pao"),
    ("糖醋", "Sweet & Sour"),
    ("葱油", "Scallion Oil"),
    ("豉汁", "Black Bean"),
    ("藤椒", "Green Pepper"),
    ("清炖", "Clear-Braised"),
];

const INGREDIENTS: &[(&str, &str)] = &[
    ("牛肉", "Beef"),
    ("鸡丁", "Chicken"),
    ("猪肉", "Pork"),
    ("豆腐", "Tofu"),
    ("虾仁", "Shrimp"),
    ("茄子", "Aubergine"),
    ("土豆", "Potato"),
    ("鱼片", "Fish"),
    ("羊肉", "Lamb"),
    ("香菇", "Mushroom"),
    ("排骨", "Pork Rib"),
    ("鸭肉", "Duck"),
];

const TAG_WORDS: &[&str] = &[
    "spicy",
    "vegetarian",
    "popular",
    "signature",
    "new",
    "chef-pick",
    "sharing",
    "light",
    "seasonal",
    "kids",
];

const ALLERGENS: &[&str] = &[
    "gluten",
    "soy",
    "peanut",
    "sesame",
    "egg",
    "shellfish",
    "fish",
    "milk",
];

const DISTRICTS: &[(&str, &str, &str)] = &[
    ("chunxi", "春熙路", "Chunxi Road"),
    ("kuanzhai", "宽窄巷子", "Kuanzhai Alley"),
    ("jinli", "锦里", "Jinli"),
    ("taikoo", "太古里", "Taikoo Li"),
    ("tianfu", "天府广场", "Tianfu Square"),
    ("wangjiang", "望江楼", "Wangjiang"),
    ("yulin", "玉林", "Yulin"),
    ("jiuyanqiao", "九眼桥", "Jiuyan Bridge"),
];

const HIGHLIGHTS: &[(&str, &str)] = &[
    ("现点现做", "made to order"),
    ("师傅招牌", "a house favourite"),
    ("每日限量", "limited each day"),
    ("老成都味道", "old Chengdu flavour"),
    ("秘制调料", "our own seasoning"),
];

impl Chain {
    fn new(plan: &Plan, seed: u64, bad_price_every: Option<usize>) -> Chain {
        let mut rng = Rng(seed);
        let tags: Vec<String> = (0..plan.tags)
            .map(|i| {
                let word = TAG_WORDS[i % TAG_WORDS.len()];
                match i / TAG_WORDS.len() {
                    0 => word.to_owned(),
                    round => format!("{word}-{}", round + 1),
                }
            })
            .collect();

        let mut menus = Vec::with_capacity(plan.menus);
        let mut made = 0;
        for m in 0..plan.menus {
            // Spread the dishes evenly over the menus.
            let count = (plan.dishes * (m + 1)) / plan.menus - (plan.dishes * m) / plan.menus;
            menus.push(Self::menu(
                m,
                count,
                &mut made,
                &tags,
                bad_price_every,
                &mut rng,
            ));
        }

        let locations = (0..plan.locations)
            .map(|i| {
                let (slug, zh, en) = DISTRICTS[i % DISTRICTS.len()];
                let round = i / DISTRICTS.len();
                let (id, name) = if round == 0 {
                    (slug.to_owned(), Text::new(format!("{zh}店"), en))
                } else {
                    (
                        format!("{slug}-{}", round + 1),
                        Text::new(
                            format!("{zh}{}号店", round + 1),
                            format!("{en} {}", round + 1),
                        ),
                    )
                };
                Location {
                    id,
                    name,
                    address: Text::new(
                        format!("成都市锦江区{zh}{}号", 10 + i),
                        format!("{} {en}, Jinjiang District, Chengdu", 10 + i),
                    ),
                    menu: i % plan.menus,
                    tables: 4 + (i % 5) as u32,
                    prefix: prefix(i),
                }
            })
            .collect::<Vec<_>>();

        let mut chain = Chain {
            name: Text::new("蓉城连锁", "Rong City Kitchens"),
            menus,
            locations,
            tags,
            pages: Vec::new(),
        };
        chain.pages = (0..plan.pages).map(|i| chain.page(i, &mut rng)).collect();
        chain
    }

    fn menu(
        m: usize,
        count: usize,
        made: &mut usize,
        tags: &[String],
        bad_price_every: Option<usize>,
        rng: &mut Rng,
    ) -> Menu {
        let mut categories: Vec<Category> = Vec::new();
        let mut left = count;
        let mut k = 0;
        while left > 0 {
            let (cid, czh, cen, fzh, fen) = CATEGORIES[k % CATEGORIES.len()];
            let round = k / CATEGORIES.len();
            let (id, name) = if round == 0 {
                (cid.to_owned(), Text::new(czh, cen))
            } else {
                (
                    format!("{cid}-{}", round + 1),
                    Text::new(
                        format!("{czh}（{}）", round + 1),
                        format!("{cen} {}", round + 1),
                    ),
                )
            };
            let size = (8 + rng.below(17)).min(left);
            let dishes = (0..size)
                .map(|_| {
                    *made += 1;
                    let bad = bad_price_every
                        .filter(|&n| n > 0 && made.is_multiple_of(n))
                        .map(|n| *made / n);
                    Self::dish(*made, (fzh, fen), tags, bad, rng)
                })
                .collect();
            categories.push(Category {
                id,
                name,
                available: (cid == "breakfast").then_some("07:00-10:30"),
                dishes,
            });
            left -= size;
            k += 1;
        }
        // Make the last dish of the menu a combo of three others from the same menu.
        let others: Vec<(String, Text)> = categories
            .iter()
            .flat_map(|c| &c.dishes)
            .take(3)
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect();
        if others.len() == 3 {
            if let Some(last) = categories.last_mut().and_then(|c| c.dishes.last_mut()) {
                if !others.iter().any(|(id, _)| *id == last.id) {
                    last.combo = true;
                    last.name = Text::new(
                        format!("{}套餐", last.name.zh),
                        format!("{} Set", last.name.en),
                    );
                    last.options = vec![Group {
                        id: "main".into(),
                        name: Text::new("选一份主食", "Choose your main"),
                        pick: Pick::Exactly(1),
                        choices: others
                            .into_iter()
                            .enumerate()
                            .map(|(i, (id, _))| Choice {
                                id: id.clone(),
                                name: Text::new("", ""),
                                price: (i == 2).then(|| "5".to_owned()),
                                dish: Some(id),
                                sold_out: false,
                            })
                            .collect(),
                    }];
                }
            }
        }
        Menu {
            id: format!("menu-{:02}", m + 1),
            name: Text::new(format!("菜单{}", m + 1), format!("Menu {}", m + 1)),
            categories,
        }
    }

    /// `bad`: the how-manieth bad price this dish gets, if it gets one.
    fn dish(
        n: usize,
        form: (&str, &str),
        tags: &[String],
        bad: Option<usize>,
        rng: &mut Rng,
    ) -> Dish {
        let (fzh, fen) = *rng.pick(FLAVOURS);
        let (izh, ien) = *rng.pick(INGREDIENTS);
        let (hzh, hen) = *rng.pick(HIGHLIGHTS);
        let name = Text::new(
            format!("{fzh}{izh}{}", form.0),
            format!("{fen} {ien} {}", form.1),
        );
        let id = format!("{}-{n}", carte_slug(&name.en));
        let description = Text::new(
            format!(
                "{fzh}口味的{izh}{}，**{hzh}**。选用当天到店的新鲜食材，出餐前再调一次味。",
                form.0
            ),
            format!(
                "{ien} {} with a {} dressing, **{hen}**. Fresh produce delivered every morning, \
                 seasoned once more just before it leaves the kitchen.",
                form.1.to_lowercase(),
                fen.to_lowercase()
            ),
        );
        let mut dish_tags = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let tag = rng.pick(tags).clone();
            if !dish_tags.contains(&tag) {
                dish_tags.push(tag);
            }
        }
        let mut allergens = Vec::new();
        for _ in 0..rng.below(3) {
            let a = *rng.pick(ALLERGENS);
            if !allergens.contains(&a) {
                allergens.push(a);
            }
        }
        let mut options = Vec::new();
        if rng.chance(60) {
            options.push(Group {
                id: "spice".into(),
                name: Text::new("辣度", "Spice level"),
                pick: Pick::Required,
                choices: [
                    ("none", "不辣", "Not spicy"),
                    ("mild", "微辣", "Mild"),
                    ("medium", "中辣", "Medium"),
                    ("hot", "特辣", "Hot"),
                ]
                .iter()
                .map(|(id, zh, en)| Choice {
                    id: (*id).into(),
                    name: Text::new(*zh, *en),
                    price: None,
                    dish: None,
                    sold_out: false,
                })
                .collect(),
            });
        }
        if rng.chance(40) {
            options.push(Group {
                id: "add-ons".into(),
                name: Text::new("加料", "Add-ons"),
                pick: Pick::UpTo(2 + rng.below(2) as u32),
                choices: [
                    ("fried-egg", "煎蛋", "Fried egg", "3"),
                    ("braised-egg", "卤蛋", "Braised egg", "3"),
                    ("extra-portion", "加量", "Extra portion", "6"),
                    ("pea-shoots", "豌豆尖", "Pea shoots", "4.50"),
                ]
                .iter()
                .map(|(id, zh, en, price)| Choice {
                    id: (*id).into(),
                    name: Text::new(*zh, *en),
                    price: Some((*price).into()),
                    dish: None,
                    sold_out: rng.chance(3),
                })
                .collect(),
            });
        }
        if rng.chance(10) {
            options.push(Group {
                id: "sides".into(),
                name: Text::new("配菜（选两样）", "Sides (pick two)"),
                pick: Pick::Exactly(2),
                choices: [
                    ("pickles", "泡菜", "Pickles"),
                    ("cucumber", "拍黄瓜", "Smashed cucumber"),
                    ("peanuts", "花生", "Peanuts"),
                    ("greens", "青菜", "Greens"),
                ]
                .iter()
                .map(|(id, zh, en)| Choice {
                    id: (*id).into(),
                    name: Text::new(*zh, *en),
                    price: None,
                    dish: None,
                    sold_out: false,
                })
                .collect(),
            });
        }
        let price = match bad {
            Some(k) if k % 2 == 0 => "12.345".to_owned(),
            Some(_) => "-3".to_owned(),
            None if rng.chance(20) => format!("{}.50", 6 + rng.below(80)),
            None => format!("{}", 6 + rng.below(80)),
        };
        Dish {
            id,
            name,
            description,
            price,
            tags: dish_tags,
            allergens,
            options,
            sold_out: rng.chance(2),
            combo: false,
        }
    }

    fn page(&self, i: usize, rng: &mut Rng) -> Page {
        let (slug, title) = match i {
            0 => ("about".to_owned(), Text::new("关于我们", "About us")),
            1 => ("visit".to_owned(), Text::new("到店指南", "Visiting us")),
            _ => (
                format!("news-{i:02}"),
                Text::new(format!("店内新闻第{i}期"), format!("Kitchen news no. {i}")),
            ),
        };
        let dishes: Vec<&Dish> = (0..4)
            .map(|_| {
                let menu = rng.pick(&self.menus);
                let category = rng.pick(&menu.categories);
                rng.pick(&category.dishes)
            })
            .collect();
        let location = rng.pick(&self.locations);
        let tag = rng.pick(&self.tags);
        let mut zh = format!(
            "# {}\n\n{}从一家小面馆开始，今天有 {} 家店。我们每天早上五点开始揉面、包抄手，\
             **红油每周自己炒两次**。\n\n## 本期推荐\n\n",
            title.zh,
            self.name.zh,
            self.locations.len()
        );
        let mut en = format!(
            "# {}\n\n{} started as one small noodle shop and now has {} locations. We start \
             rolling noodles and folding wontons at five every morning, and **we fry our own \
             chilli oil twice a week**.\n\n## This issue's picks\n\n",
            title.en,
            self.name.en,
            self.locations.len()
        );
        for d in &dishes {
            let _ = writeln!(
                zh,
                "- [{}](/zh/dishes/{}/)：{}",
                d.name.zh, d.id, d.description.zh
            );
            let _ = writeln!(
                en,
                "- [{}](/en/dishes/{}/): {}",
                d.name.en, d.id, d.description.en
            );
        }
        let _ = write!(
            zh,
            "\n## 到店\n\n欢迎到[{}](/zh/{}/)坐坐，或者看看所有[{}](/zh/tags/{tag}/)的菜。\
             堂食扫桌上的二维码点单，自取可以提前在线下单，按时段到柜台取餐。\n\n\
             > 营业时间以各店页面为准。\n",
            location.name.zh, location.id, tag
        );
        let _ = write!(
            en,
            "\n## Visit\n\nCome and see us at [{}](/en/{}/), or browse everything tagged \
             [{tag}](/en/tags/{tag}/). Scan the QR code on your table to order, or order ahead \
             online and collect at the counter in your time slot.\n\n\
             > Opening hours are on each shop's page.\n",
            location.name.en, location.id
        );
        Page {
            date: (i >= 2).then(|| format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28)),
            description: Text::new(
                format!("{}：本期推荐和到店信息。", title.zh),
                format!("{}: this issue's picks and how to visit.", title.en),
            ),
            slug,
            title,
            body: Text::new(zh, en),
        }
    }

    fn dish_count(&self) -> usize {
        self.menus
            .iter()
            .flat_map(|m| &m.categories)
            .map(|c| c.dishes.len())
            .sum()
    }

    fn find_dish(&self, id: &str) -> Option<&Dish> {
        self.menus
            .iter()
            .flat_map(|m| &m.categories)
            .flat_map(|c| &c.dishes)
            .find(|d| d.id == id)
    }
}

/// An order-number prefix unique per shop: `A`…`Z`, then `B0`…`Z9`, then `ZZ0`….
fn prefix(i: usize) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 26 {
        return char::from(LETTERS[i]).to_string();
    }
    let j = i - 26;
    format!("{}{}", char::from(LETTERS[(j / 10) % 26]), j % 10)
}

/// A lowercase id from an English name: `Hot & Sour Beef` → `hot-sour-beef`.
fn carte_slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The Carte content format of `docs/content.md`.
mod carte {
    use super::*;

    pub(super) fn write(chain: &Chain, out: &Path) -> Result<usize, Failure> {
        let mut files = 0;
        put(
            out,
            "site.yaml",
            &format!(
                "# A synthetic chain written by `cargo run --example synth`.\n\
                 name: {}\n\
                 languages: [zh, en]\n\
                 currency: CNY\n\
                 timezone: Asia/Shanghai\n\
                 base_url: https://synth.example.com\n\
                 description: {}\n\
                 charges:\n  service_charge: \"5%\"\n  tax_rate: \"6%\"\n  tax_inclusive: true\n  rounding: half_up\n\
                 theme: default\n",
                chain.name.yaml(),
                Text::new(
                    "成都风味的面条、抄手和小炒，每天现做。",
                    "Chengdu-style noodles, wontons and stir-fries, made fresh every day."
                )
                .yaml()
            ),
        )?;
        files += 1;
        for l in &chain.locations {
            put(
                out,
                &format!("locations/{}.yaml", l.id),
                &location(chain, l),
            )?;
            files += 1;
        }
        for m in &chain.menus {
            put(out, &format!("menus/{}.yaml", m.id), &menu(m))?;
            files += 1;
        }
        put(out, "campaigns.yaml", &campaigns(chain))?;
        files += 1;
        for p in &chain.pages {
            for (lang, suffix) in [("zh", ""), ("en", ".en")] {
                let mut text = format!("---\ntitle: {}\n", q(p.title.get(lang)));
                let _ = writeln!(text, "description: {}", q(p.description.get(lang)));
                if let (Some(date), "zh") = (&p.date, lang) {
                    let _ = writeln!(text, "date: {date}");
                }
                text.push_str("---\n");
                text.push_str(p.body.get(lang));
                put(out, &format!("pages/{}{suffix}.md", p.slug), &text)?;
                files += 1;
            }
        }
        Ok(files)
    }

    fn location(chain: &Chain, l: &Location) -> String {
        format!(
            "name: {}\naddress: {}\nphone: \"+86 28 8888 {:04}\"\nhours:\n  - days: [mon-fri]\n    hours: [\"10:00-22:00\"]\n  - days: [sat, sun]\n    hours: [\"09:00-23:00\"]\ntables: {}\npickup:\n  slot_minutes: 15\n  capacity: 8\n  lead_minutes: 15\nmenu: {}\norder_prefix: {}\n",
            l.name.yaml(),
            l.address.yaml(),
            l.prefix.len() * 1000 + l.tables as usize,
            l.tables,
            chain.menus[l.menu].id,
            l.prefix
        )
    }

    fn menu(m: &Menu) -> String {
        let mut y = format!("name: {}\ncategories:\n", m.name.yaml());
        for c in &m.categories {
            let _ = writeln!(y, "  - id: {}\n    name: {}", c.id, c.name.yaml());
            if let Some(hours) = c.available {
                let _ = writeln!(y, "    available:\n      hours: [\"{hours}\"]");
            }
            y.push_str("    dishes:\n");
            for d in &c.dishes {
                let _ = writeln!(y, "      - id: {}", d.id);
                let _ = writeln!(y, "        name: {}", d.name.yaml());
                let _ = writeln!(y, "        description:");
                let _ = writeln!(y, "          zh: {}", q(&d.description.zh));
                let _ = writeln!(y, "          en: {}", q(&d.description.en));
                let _ = writeln!(y, "        price: \"{}\"", d.price);
                if !d.tags.is_empty() {
                    let _ = writeln!(y, "        tags: [{}]", d.tags.join(", "));
                }
                if !d.allergens.is_empty() {
                    let _ = writeln!(y, "        allergens: [{}]", d.allergens.join(", "));
                }
                if d.sold_out {
                    y.push_str("        sold_out: true\n");
                }
                if d.combo {
                    y.push_str("        combo: true\n");
                }
                if !d.options.is_empty() {
                    y.push_str("        options:\n");
                }
                for g in &d.options {
                    let _ = writeln!(y, "          - id: {}", g.id);
                    let _ = writeln!(y, "            name: {}", g.name.yaml());
                    match g.pick {
                        Pick::Required => y.push_str("            required: true\n"),
                        Pick::UpTo(n) => {
                            let _ = writeln!(y, "            max: {n}");
                        }
                        Pick::Exactly(n) => {
                            let _ = writeln!(y, "            pick: {n}");
                        }
                    }
                    y.push_str("            choices:\n");
                    for ch in &g.choices {
                        if let Some(dish) = &ch.dish {
                            let _ = write!(y, "              - {{dish: {dish}");
                        } else {
                            let _ = write!(
                                y,
                                "              - {{id: {}, name: {}",
                                ch.id,
                                ch.name.yaml()
                            );
                        }
                        if let Some(price) = &ch.price {
                            let _ = write!(y, ", price: \"{price}\"");
                        }
                        if ch.sold_out {
                            y.push_str(", sold_out: true");
                        }
                        y.push_str("}\n");
                    }
                }
            }
        }
        y
    }

    fn campaigns(chain: &Chain) -> String {
        let first = &chain.menus[0];
        let category = &first.categories[0];
        let dish = &category.dishes[0];
        let free = &first.categories[0].dishes[1];
        let loc = |i: usize| &chain.locations[i % chain.locations.len()].id;
        format!(
            "campaigns:\n\
             \x20 - id: noodle-festival\n\
             \x20   name: {{zh: 秋冬面条节, en: Autumn Noodle Festival}}\n\
             \x20   channels:\n\
             \x20     - {{id: table-tent, name: {{zh: 桌贴二维码, en: Table tent QR}}, kind: table_qr, location: {l0}}}\n\
             \x20     - {{id: wechat-group, name: {{zh: 微信群链接, en: WeChat group link}}, kind: chat_link, location: {l1}}}\n\
             \x20     - {{id: street-flyer, name: {{zh: 街头传单, en: Street flyer}}, kind: flyer, location: {l2}}}\n\
             \x20   coupons:\n\
             \x20     - code: NOODLE20\n\
             \x20       kind: percent_off\n\
             \x20       value: \"20%\"\n\
             \x20       max_discount: \"15\"\n\
             \x20       scope: {{categories: [{cat}]}}\n\
             \x20       budget: 500\n\
             \x20       per_member: 2\n\
             \x20       valid_from: 2026-01-01\n\
             \x20       valid_until: 2027-12-31\n\
             \x20     - code: SAVE10\n\
             \x20       kind: amount_off\n\
             \x20       value: \"10\"\n\
             \x20       min_spend: \"60\"\n\
             \x20       scope: {{dishes: [{dish}], locations: [{l0}]}}\n\
             \x20       budget: 300\n\
             \x20 - id: club\n\
             \x20   name: {{zh: 会员俱乐部, en: Members' club}}\n\
             \x20   channels:\n\
             \x20     - {{id: receipt, name: {{zh: 小票二维码, en: Receipt QR}}, kind: flyer}}\n\
             \x20     - {{id: website, name: {{zh: 官网, en: Website}}, kind: website, location: {l1}}}\n\
             \x20   coupons:\n\
             \x20     - code: WELCOME8\n\
             \x20       kind: amount_off\n\
             \x20       value: \"8\"\n\
             \x20       min_spend: \"30\"\n\
             \x20       per_member: 1\n\
             \x20       issue: on_sign_up\n\
             \x20     - code: FREEBIE\n\
             \x20       kind: free_item\n\
             \x20       dish: {free}\n\
             \x20       min_spend: \"25\"\n\
             \x20       budget: 200\n\
             \x20       hours: {{days: [mon-fri], hours: [\"14:00-17:00\"]}}\n",
            l0 = loc(0),
            l1 = loc(1),
            l2 = loc(2),
            cat = category.id,
            dish = dish.id,
            free = free.id,
        )
    }
}

/// The same content as a Hugo site: one page per dish, shop, Markdown page and tag,
/// per language, with a layout of about the weight of Carte's default theme.
mod hugo {
    use super::*;

    pub(super) fn write(chain: &Chain, out: &Path) -> Result<usize, Failure> {
        let mut files = 0;
        put(out, "hugo.toml", CONFIG)?;
        for (rel, text) in LAYOUTS {
            put(out, rel, text)?;
            files += 1;
        }
        for lang in ["zh", "en"] {
            let suffix = if lang == "zh" { "" } else { ".en" };
            put(
                out,
                &format!("content/_index{suffix}.md"),
                &format!("---\ntitle: {}\n---\n", q(chain.name.get(lang))),
            )?;
            files += 1;
            for l in &chain.locations {
                let menu = &chain.menus[l.menu];
                let mut fm = format!(
                    "---\ntitle: {}\nurl: /{lang}/{}/\naddress: {}\nmenu: {}\nhours: \"Mon–Fri 10:00–22:00; Sat–Sun 09:00–23:00\"\ncategories_list:\n",
                    q(l.name.get(lang)),
                    l.id,
                    q(l.address.get(lang)),
                    menu.id
                );
                for c in &menu.categories {
                    let _ = writeln!(fm, "  - {{id: {}, name: {}}}", c.id, q(c.name.get(lang)));
                }
                fm.push_str("---\n");
                put(out, &format!("content/locations/{}{suffix}.md", l.id), &fm)?;
                files += 1;
            }
            for (mi, m) in chain.menus.iter().enumerate() {
                let served: Vec<&Location> =
                    chain.locations.iter().filter(|l| l.menu == mi).collect();
                for c in &m.categories {
                    for d in &c.dishes {
                        put(
                            out,
                            &format!("content/dishes/{}{suffix}.md", d.id),
                            &dish(chain, lang, m, c, d, &served),
                        )?;
                        files += 1;
                    }
                }
            }
            for p in &chain.pages {
                let mut text = format!(
                    "---\ntitle: {}\ndescription: {}\nurl: /{lang}/{}/\n",
                    q(p.title.get(lang)),
                    q(p.description.get(lang)),
                    p.slug
                );
                if let Some(date) = &p.date {
                    let _ = writeln!(text, "date: {date}");
                }
                text.push_str("---\n");
                text.push_str(p.body.get(lang));
                put(out, &format!("content/pages/{}{suffix}.md", p.slug), &text)?;
                files += 1;
            }
        }
        Ok(files)
    }

    fn dish(
        chain: &Chain,
        lang: &str,
        m: &Menu,
        c: &Category,
        d: &Dish,
        served: &[&Location],
    ) -> String {
        let mut fm = format!(
            "---\ntitle: {}\nprice: \"¥{}\"\nmenu: {}\ncategory: {}\nsold_out: {}\ntags: [{}]\nallergens: [{}]\n",
            q(d.name.get(lang)),
            d.price,
            m.id,
            c.id,
            d.sold_out,
            d.tags.join(", "),
            d.allergens.join(", ")
        );
        let _ = writeln!(fm, "summary: {}", q(d.description.get(lang)));
        if !served.is_empty() {
            fm.push_str("served_at:\n");
            for l in served {
                let _ = writeln!(
                    fm,
                    "  - {{name: {}, href: /{lang}/{}/}}",
                    q(l.name.get(lang)),
                    l.id
                );
            }
        }
        if !d.options.is_empty() {
            fm.push_str("options:\n");
        }
        for g in &d.options {
            let (min, max) = match g.pick {
                Pick::Required => (1, 1),
                Pick::UpTo(n) => (0, n),
                Pick::Exactly(n) => (n, n),
            };
            let _ = writeln!(
                fm,
                "  - {{id: {}, name: {}, min: {min}, max: {max}, choices: [",
                g.id,
                q(g.name.get(lang))
            );
            for ch in &g.choices {
                let name = match &ch.dish {
                    Some(id) => chain
                        .find_dish(id)
                        .map_or("", |x| x.name.get(lang))
                        .to_owned(),
                    None => ch.name.get(lang).to_owned(),
                };
                let _ = writeln!(
                    fm,
                    "      {{id: {}, name: {}, price: {}, sold_out: {}}},",
                    ch.id,
                    q(&name),
                    q(&ch
                        .price
                        .as_ref()
                        .map(|p| format!("+¥{p}"))
                        .unwrap_or_default()),
                    ch.sold_out
                );
            }
            fm.push_str("    ]}\n");
        }
        fm.push_str("---\n");
        fm.push_str(d.description.get(lang));
        fm.push('\n');
        fm
    }

    const CONFIG: &str = r##"baseURL = "https://synth.example.com/"
title = "Rong City Kitchens"
defaultContentLanguage = "zh"
defaultContentLanguageInSubdir = true
disableKinds = ["rss", "section", "taxonomy"]
enableRobotsTXT = true

[languages.zh]
weight = 1
label = "中文"
title = "蓉城连锁"
[languages.en]
weight = 2
label = "English"
title = "Rong City Kitchens"

[taxonomies]
tag = "tags"

[permalinks.page]
dishes = "/dishes/:contentbasename/"
"##;

    const LAYOUTS: &[(&str, &str)] = &[
        (
            "layouts/baseof.html",
            r##"<!doctype html>
<html lang="{{ site.Language.Lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="theme-color" content="#a3220f">
<script>document.documentElement.classList.add('js')</script>
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
{{ with .Params.summary }}<meta name="description" content="{{ . }}">
{{ end }}<link rel="canonical" href="{{ .Permalink }}">
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">
{{ end }}<link rel="alternate" hreflang="x-default" href="{{ (index .AllTranslations 0).Permalink }}">
<meta property="og:type" content="{{ if eq .Section "dishes" }}product{{ else }}website{{ end }}">
<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:title" content="{{ .Title }}">
{{ with .Params.summary }}<meta property="og:description" content="{{ . }}">
{{ end }}<meta property="og:url" content="{{ .Permalink }}">
<meta property="og:locale" content="{{ site.Language.Lang }}">
<meta name="twitter:card" content="summary">
<meta name="twitter:title" content="{{ .Title }}">
{{ with .Params.summary }}<meta name="twitter:description" content="{{ . }}">
{{ end }}<link rel="stylesheet" href="/assets/style.css">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="icon" type="image/png" href="/assets/icons/icon-192.png">
<link rel="apple-touch-icon" href="/assets/icons/icon-192.png">
<script type="module" src="/assets/app.js" data-sw="/sw.js"></script>
{{ block "jsonld" . }}{{ end }}</head>
<body>
<a class="skip" href="#main">Skip</a>
<header class="top">
<a class="brand" href="{{ "" | relLangURL }}">{{ site.Title }}</a>
<nav class="langs">{{ range .AllTranslations }}<a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.Label }}</a>{{ end }}</nav>
</header>
<main id="main">
{{ block "main" . }}{{ end }}
</main>
<footer class="foot">
{{ partialCached "nav.html" . site.Language.Lang }}
<p>© {{ site.Title }}</p>
</footer>
</body>
</html>
"##,
        ),
        (
            "layouts/_partials/nav.html",
            r##"<nav aria-label="menus"><a href="{{ "" | relLangURL }}">Home</a>{{ range where site.RegularPages "Section" "locations" }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}{{ range where site.RegularPages "Section" "pages" }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>"##,
        ),
        (
            "layouts/_partials/card.html",
            r##"<li class="dish{{ if .Params.sold_out }} is-out{{ end }}" id="d-{{ .File.ContentBaseName }}"><a href="{{ .RelPermalink }}"><h3>{{ .Title }}</h3></a><p class="price">{{ .Params.price }}</p><p class="muted">{{ .Params.summary | markdownify | plainify | truncate 120 }}</p>{{ with .Params.tags }}<p>{{ range . }}<span class="tag">{{ . }}</span>{{ end }}</p>{{ end }}<button type="button" class="add" data-dish="{{ .File.ContentBaseName }}">+</button></li>"##,
        ),
        (
            "layouts/_partials/menucard.html",
            r##"{{ $id := .File.ContentBaseName }}<li class="dish{{ if .Params.sold_out }} is-out{{ end }}" id="d-{{ $id }}" data-dish="{{ $id }}" data-price="{{ .Params.price }}" data-tags="{{ delimit .Params.tags "|" }}" data-allergens="{{ delimit .Params.allergens "|" }}">
<div class="dish-text">
<h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<p class="price">{{ .Params.price }}</p>
<p class="desc">{{ .Params.summary | markdownify | plainify | truncate 120 }}</p>
{{ with .GetTerms "tags" }}<p class="meta">{{ range . }}<a class="tag" href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>{{ end }}
<div class="pick">
<label class="qty">Quantity<span class="vh"> {{ .Title }}</span> <input type="number" name="qty.{{ $id }}" min="0" max="99" inputmode="numeric" placeholder="0"></label>
{{ with .Params.options }}<details class="opts"><summary>Choose options</summary>
{{ range . }}{{ $g := .id }}<fieldset data-group="{{ .id }}" data-min="{{ .min }}" data-max="{{ .max }}">
<legend>{{ .name }} <span class="muted">{{ if ge .min 1 }}required{{ end }}{{ if gt .max 1 }} up to {{ .max }}{{ end }}</span></legend>
{{ range .choices }}<label class="choice"><input type="checkbox" name="opt.{{ $id }}.{{ $g }}" value="{{ .id }}"> {{ .name }} <span class="delta">{{ .price }}</span></label>
{{ end }}</fieldset>
{{ end }}</details>
{{ end }}<button type="button" class="add" data-add>Add<span class="vh"> {{ .Title }}</span></button>
</div>
</div>
</li>
"##,
        ),
        (
            "layouts/home.html",
            r##"{{ define "main" }}<h1>{{ site.Title }}</h1>
<ul class="cards">{{ range where site.RegularPages "Section" "locations" }}<li><a href="{{ .RelPermalink }}"><h2>{{ .Title }}</h2></a><p>{{ .Params.address }}</p><p class="muted">{{ .Params.hours }}</p></li>{{ end }}</ul>
<ul>{{ range where site.RegularPages "Section" "pages" }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}"##,
        ),
        (
            "layouts/page.html",
            r##"{{ define "main" }}<article class="page prose">{{ .Content }}</article>{{ end }}"##,
        ),
        (
            "layouts/dishes/page.html",
            r##"{{ define "jsonld" }}<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "MenuItem" "name" .Title "description" .Params.summary "url" .Permalink "offers" (dict "@type" "Offer" "price" .Params.price "priceCurrency" "CNY") | jsonify | safeJS }}</script>
{{ end }}{{ define "main" }}<article class="dish-page{{ if .Params.sold_out }} is-out{{ end }}" data-dish="{{ .File.ContentBaseName }}">
<h1>{{ .Title }}</h1>
<p class="price">{{ .Params.price }}</p>
<div class="prose">{{ .Content }}</div>
{{ with .Params.options }}<h2>Options</h2>
{{ range . }}<section class="group" data-group="{{ .id }}" data-min="{{ .min }}" data-max="{{ .max }}">
<h3>{{ .name }} <span class="muted">{{ if ge .min 1 }}required{{ end }}{{ if gt .max 1 }} · up to {{ .max }}{{ end }}</span></h3>
<ul class="choices">{{ range .choices }}<li data-choice="{{ .id }}"{{ if .sold_out }} class="is-out"{{ end }}>{{ .name }}{{ with .price }} <span class="price">{{ . }}</span>{{ end }}</li>{{ end }}</ul>
</section>
{{ end }}{{ end }}
{{ with .GetTerms "tags" }}<p>{{ range . }}<a class="tag" href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>{{ end }}
{{ with .Params.allergens }}<p><span class="muted">Allergens:</span> {{ delimit . ", " }}</p>{{ end }}
{{ $id := .File.ContentBaseName }}{{ with .Params.served_at }}<p>On the menu at: {{ range . }}<a class="button" href="{{ .href }}#d-{{ $id }}">{{ .name }}</a> {{ end }}</p>{{ end }}
</article>{{ end }}"##,
        ),
        (
            "layouts/locations/page.html",
            r##"{{ define "jsonld" }}{{ $items := slice }}{{ range where (where site.RegularPages "Section" "dishes") "Params.menu" .Params.menu }}{{ $items = $items | append (dict "@type" "MenuItem" "@id" .Permalink "name" .Title "description" .Params.summary "url" .Permalink "offers" (dict "@type" "Offer" "price" .Params.price "priceCurrency" "CNY")) }}{{ end }}<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "Restaurant" "name" .Title "address" .Params.address "hasMenu" (dict "@type" "Menu" "hasMenuItem" $items) | jsonify | safeJS }}</script>
{{ end }}{{ define "main" }}{{ $dishes := where (where site.RegularPages "Section" "dishes") "Params.menu" .Params.menu }}<h1>{{ .Title }}</h1>
<p>{{ .Params.address }}</p><p class="muted">{{ .Params.hours }}</p>
<nav class="cats">{{ range .Params.categories_list }}<a href="#c-{{ .id }}">{{ .name }}</a>{{ end }}</nav>
{{ range .Params.categories_list }}{{ $c := .id }}<section id="c-{{ $c }}"><h2>{{ .name }}</h2>
<ul class="dishes">{{ range where $dishes "Params.category" $c }}{{ partial "menucard.html" . }}{{ end }}</ul></section>
{{ end }}{{ end }}"##,
        ),
        (
            "layouts/term.html",
            r##"{{ define "main" }}<h1>{{ .Title }}</h1>
<ul class="dishes">{{ range .Pages }}{{ partial "card.html" . }}{{ end }}</ul>{{ end }}"##,
        ),
        (
            "layouts/404.html",
            r##"{{ define "main" }}<h1>404</h1><p><a href="/">Home</a></p>{{ end }}"##,
        ),
    ];
}

/// Timing the generator in-process, for when the `carte` command is not at hand
/// and to split a build into its stages.
mod bench {
    use super::*;
    use generator::locate::{self, At, Problem, YamlPath};
    use generator::render::{self, RenderOptions, Theme};

    pub(super) fn build(site: &Path, out: &Path) -> Result<ExitCode, Failure> {
        let opts = generator::build::BuildOptions::default();
        match generator::build::build(site, out, &opts) {
            Ok(report) => {
                eprintln!(
                    "built {} pages ({} files, {} written, {:.1} MB) in {:.3} s; peak RSS {}",
                    report.pages,
                    report.files,
                    report.written,
                    report.bytes as f64 / 1e6,
                    report.duration.as_secs_f64(),
                    memory().peak
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(generator::build::BuildError::Content(diagnostics)) => {
                eprintln!("{} content errors", diagnostics.0.len());
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(super) fn rebuild(site: &Path, out: &Path, edits: usize) -> Result<ExitCode, Failure> {
        let opts = generator::build::BuildOptions::default();
        let mut session = generator::build::Session::new();
        let started = Instant::now();
        session.build(site, out, &opts)?;
        eprintln!(
            "first build {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        let menu = fs::read_dir(site.join("menus"))?
            .flatten()
            .map(|e| e.path())
            .min()
            .ok_or("no menu file")?;
        let text = fs::read_to_string(&menu)?;
        let at = text.find("price: \"").ok_or("no price")? + "price: \"".len();
        let end = at + text[at..].find('"').ok_or("no price end")?;
        let mut times = Vec::new();
        for i in 0..edits {
            let price = if i % 2 == 0 { "99.00" } else { &text[at..end] };
            fs::write(&menu, format!("{}{price}{}", &text[..at], &text[end..]))?;
            let started = Instant::now();
            let (_, report) = session.build(site, out, &opts)?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            eprintln!(
                "rebuild {ms:.0} ms: {} of {} pages rendered, {} files written",
                report.rendered, report.pages, report.written
            );
            times.push(ms);
        }
        fs::write(&menu, &text)?;
        times.sort_by(f64::total_cmp);
        if let Some(median) = times.get(times.len() / 2) {
            eprintln!("median rebuild {median:.0} ms");
        }
        Ok(ExitCode::SUCCESS)
    }

    pub(super) fn check(site: &Path) -> Result<ExitCode, Failure> {
        let started = Instant::now();
        let result = generator::build::check(site);
        let took = started.elapsed();
        match result {
            Ok(project) => {
                eprintln!(
                    "{} dishes, no errors, in {:.3} s",
                    project
                        .site
                        .menus
                        .iter()
                        .map(|m| m.dishes().count())
                        .sum::<usize>(),
                    took.as_secs_f64()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(diagnostics) => {
                eprintln!("{diagnostics}");
                eprintln!(
                    "{} errors in {:.3} s",
                    diagnostics.0.len(),
                    took.as_secs_f64()
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }

    /// Resident memory of this process, from `/proc/self/status` (Linux).
    struct Memory {
        now: String,
        peak: String,
    }

    fn memory() -> Memory {
        let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
                .map_or_else(
                    || "?".to_owned(),
                    |kb| format!("{:.0} MB", kb as f64 / 1024.0),
                )
        };
        Memory {
            now: field("VmRSS:"),
            peak: field("VmHWM:"),
        }
    }

    struct Clock {
        started: Instant,
        last: Instant,
        /// CPU seconds of the process at `last`.
        cpu: f64,
    }

    /// User + system CPU seconds of this process, all threads (`/proc/self/stat`, Linux).
    fn cpu_seconds() -> f64 {
        let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // Fields after the command name (which is in parentheses and may hold spaces).
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name; 100 Hz.
        (ticks(11) + ticks(12)) / 100.0
    }

    impl Clock {
        fn lap(&mut self, stage: &str) -> Duration {
            let now = Instant::now();
            let took = now - self.last;
            self.last = now;
            let m = memory();
            let cpu = cpu_seconds();
            println!(
                "| {stage:<44} | {:>9.1} | {:>9.0} | {:>8} | {:>8} |",
                took.as_secs_f64() * 1e3,
                (cpu - self.cpu) * 1e3,
                m.now,
                m.peak
            );
            self.cpu = cpu;
            took
        }
    }

    pub(super) fn stages(site: &Path, out: &Path) -> Result<ExitCode, Failure> {
        println!(
            "| stage                                        |  wall ms  |  CPU ms   |   RSS    | peak RSS |"
        );
        println!(
            "| -------------------------------------------- | --------: | --------: | -------: | -------: |"
        );
        let now = Instant::now();
        let mut clock = Clock {
            started: now,
            last: now,
            cpu: cpu_seconds(),
        };
        let loaded = generator::load::load(site);
        clock.lap("load: read + serde_yaml parse");
        let checked = generator::check::check(&loaded);
        clock.lap("check: raw → catalog::Site");
        let site_model = match checked {
            Ok(s) => s,
            Err(problems) => {
                let n = problems.len();
                let _ = locate::resolve(problems, &loaded.sources);
                clock.lap("locate: marked-yaml parse of files with errors");
                return Err(format!("{n} content errors").into());
            }
        };
        let version = catalog::catalog_version(&site_model);
        clock.lap("catalog_version (content hash)");
        let project = generator::Project {
            root: site.to_owned(),
            version,
            site: site_model,
            images: loaded.images.clone(),
        };
        let theme_dir = generator::build::find_theme(site, &project.site.settings.theme)?;
        let theme = Theme::load(&theme_dir, Some(site))?;
        clock.lap("theme load (tera compile, minify CSS and JS)");
        let opts = RenderOptions::default();
        let base_url = project
            .site
            .settings
            .base_url
            .trim_end_matches('/')
            .to_owned();
        let assets = &theme.assets;
        let (image_outputs, image_sets) = render::images::render_images(&project, &opts)?;
        clock.lap("images");
        let mut model = render::pages::Model::new(&project, &theme, assets, &image_sets, &base_url);
        clock.lap("pages::Model::new (navigation, contexts, tag index)");
        // As `build` does it: each file written as soon as it is rendered.
        let writer = generator::write::Writer::new(out, None)?;
        for o in assets.outputs.iter().chain(&image_outputs) {
            writer.put(&o.path, &o.bytes)?;
        }
        render::pages::render_pages_into(&mut model, None, &writer)?;
        clock.lap("dish entries and pages, rendered + written (streamed)");
        for o in render::catalog_json::render_catalogs(&project)? {
            writer.put(&o.path, &o.bytes)?;
        }
        clock.lap("catalog/*.json");
        let codes = render::qr::render_codes(&project.site, &base_url)?;
        let count = codes.len();
        for o in codes {
            writer.put(&o.path, &o.bytes)?;
        }
        clock.lap(&format!("QR codes ({count})"));
        for o in render::seo::sitemaps(&project.site, &base_url)
            .into_iter()
            .chain([render::seo::robots(&base_url)])
        {
            writer.put(&o.path, &o.bytes)?;
        }
        clock.lap("sitemap, robots");
        let (report, _) = writer.finish()?;
        clock.lap(&format!(
            "finish ({} written, {} unchanged)",
            report.written, report.unchanged
        ));
        let total = clock.started.elapsed();
        println!(
            "| **total build**                              | {:>9.1} | {:>9.0} |          |          |",
            total.as_secs_f64() * 1e3,
            clock.cpu * 1e3
        );
        drop(model);

        // What a span-keeping second parse of every YAML file would cost: one problem
        // per file makes `locate::resolve` parse each with marked-yaml.
        let yaml: Vec<&PathBuf> = loaded
            .sources
            .keys()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        let bytes: usize = yaml.iter().map(|p| loaded.sources[*p].len()).sum();
        let problems: Vec<Problem> = yaml
            .iter()
            .map(|p| {
                Problem::new(
                    p.as_path(),
                    At::Value(YamlPath::root().key("name")),
                    "probe",
                )
            })
            .collect();
        clock.last = Instant::now();
        let located = locate::resolve(problems, &loaded.sources);
        clock.lap(&format!(
            "marked-yaml parse of all {} YAML files ({:.1} MB), {} located",
            yaml.len(),
            bytes as f64 / 1e6,
            located.0.iter().filter(|d| d.line > 0).count()
        ));
        Ok(ExitCode::SUCCESS)
    }
}
