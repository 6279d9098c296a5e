//! What search engines and chat apps read: schema.org JSON-LD, the sitemap and robots.txt.

use catalog::{Dish, Location, Site, Window};
use chrono::Weekday;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::Output;
use crate::urls;

/// A JSON value made safe to place inside `<script type="application/ld+json">`:
/// `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026`, which JSON reads back unchanged.
pub fn script_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = ScriptSafe(Vec::with_capacity(256));
    // Writing to memory cannot fail, and every serialized value here is plain data.
    let _ = serde_json::to_writer(&mut out, value);
    // serde_json writes UTF-8, and only ASCII bytes were replaced by ASCII.
    String::from_utf8(out.0).unwrap_or_default()
}

/// A writer escaping `<`, `>` and `&` on the way (they are ASCII, so they never occur
/// inside a multi-byte UTF-8 sequence and can be replaced byte by byte).
struct ScriptSafe(Vec<u8>);

impl std::io::Write for ScriptSafe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| matches!(b, b'<' | b'>' | b'&')) {
            self.0.extend_from_slice(&rest[..i]);
            self.0.extend_from_slice(match rest[i] {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                _ => b"\\u0026",
            });
            rest = &rest[i + 1..];
        }
        self.0.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// schema.org's two-letter day: `Mo`…`Su`.
fn schema_day(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mo",
        Weekday::Tue => "Tu",
        Weekday::Wed => "We",
        Weekday::Thu => "Th",
        Weekday::Fri => "Fr",
        Weekday::Sat => "Sa",
        Weekday::Sun => "Su",
    }
}

/// Runs of consecutive days: `[Mon, Tue, Wed, Fri]` → `[(Mon, Wed), (Fri, Fri)]`.
pub fn day_runs(days: &[Weekday]) -> Vec<(Weekday, Weekday)> {
    let mut sorted: Vec<Weekday> = days.to_vec();
    sorted.sort_by_key(|d| d.num_days_from_monday());
    sorted.dedup();
    let mut runs: Vec<(Weekday, Weekday)> = Vec::new();
    for d in sorted {
        match runs.last_mut() {
            Some((_, end)) if end.num_days_from_monday() + 1 == d.num_days_from_monday() => {
                *end = d
            }
            _ => runs.push((d, d)),
        }
    }
    runs
}

/// schema.org `openingHours` strings of a window: `["Mo-Fr 07:00-10:30"]`.
pub fn opening_hours(window: &Window) -> Vec<String> {
    let days = if window.days.is_empty() {
        "Mo-Su".to_owned()
    } else {
        day_runs(&window.days)
            .iter()
            .map(|(a, b)| {
                if a == b {
                    schema_day(*a).to_owned()
                } else {
                    format!("{}-{}", schema_day(*a), schema_day(*b))
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    if window.hours.is_empty() {
        return vec![format!("{days} 00:00-23:59")];
    }
    window
        .hours
        .iter()
        .map(|h| {
            // schema.org closes a day at 23:59, not 24:00 or the next day's 00:00.
            let until = if h.until == chrono::NaiveTime::MIN {
                "23:59".to_owned()
            } else {
                h.until.format("%H:%M").to_string()
            };
            format!("{days} {}-{until}", h.from.format("%H:%M"))
        })
        .collect()
}

/// Names and links the JSON-LD needs about one dish, in the page's language.
pub struct ItemFacts<'a> {
    pub dish: &'a Dish,
    pub name: &'a str,
    pub description: &'a str,
    /// Absolute URL of the dish page.
    pub url: String,
    /// Absolute URL of the dish photo.
    pub image: Option<String>,
}

/// A schema.org `MenuItem` with its `Offer`, as the dish's own page describes it: the
/// [`listed_item`] with its `@id` (the page's address) and description.
pub fn menu_item(site: &Site, item: &ItemFacts<'_>) -> Value {
    let mut v = listed_item(site, item);
    v["@id"] = json!(item.url);
    if !item.description.is_empty() {
        v["description"] = json!(item.description);
    }
    v
}

/// A dish as a menu page lists it in its `Menu`: the `MenuItem`'s name, address (its
/// own page, which describes it whole), `Offer` and photo. Leaving the description to
/// the dish's page keeps a 300-dish menu within its 30 KB (the summaries are already
/// on the cards, and too far away in the page for gzip to share them).
pub fn listed_item(site: &Site, item: &ItemFacts<'_>) -> Value {
    let currency = &site.settings.currency;
    let mut v = json!({
        "@type": "MenuItem",
        "name": item.name,
        "url": item.url,
        "offers": {
            "@type": "Offer",
            "price": currency.format(item.dish.price),
            "priceCurrency": currency.code,
            "availability": if item.dish.sold_out {
                "https://schema.org/SoldOut"
            } else {
                "https://schema.org/InStock"
            },
        },
    });
    if let Some(image) = &item.image {
        v["image"] = json!(image);
    }
    v
}

/// A section of a menu for JSON-LD: its name and its `MenuItem`s (JSON of [`menu_item`]).
#[derive(Debug, Serialize)]
pub struct Section<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    pub name: &'a str,
    #[serde(rename = "hasMenuItem")]
    pub items: Vec<&'a RawValue>,
}

impl<'a> Section<'a> {
    /// A section named `name` listing `items`.
    pub fn new(name: &'a str, items: Vec<&'a RawValue>) -> Self {
        Section {
            kind: "MenuSection",
            name,
            items,
        }
    }
}

/// A [`restaurant`] with its menu (`hasMenu`), ready for [`script_json`]: the items are
/// written as they are, not parsed and built again.
#[derive(Debug, Serialize)]
pub struct WithMenu<'a> {
    #[serde(flatten)]
    restaurant: Value,
    #[serde(rename = "hasMenu")]
    menu: MenuLd<'a>,
}

#[derive(Debug, Serialize)]
struct MenuLd<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    #[serde(rename = "inLanguage")]
    lang: &'a str,
    #[serde(rename = "hasMenuSection")]
    sections: &'a [Section<'a>],
}

/// `restaurant` with `hasMenu`: a schema.org `Menu` named `name` with `sections`.
pub fn with_menu<'a>(
    restaurant: Value,
    name: &'a str,
    lang: &'a str,
    sections: &'a [Section<'a>],
) -> WithMenu<'a> {
    WithMenu {
        restaurant,
        menu: MenuLd {
            kind: "Menu",
            name,
            lang,
            sections,
        },
    }
}

/// A schema.org `Restaurant` for a location (add its menu with [`with_menu`]).
pub fn restaurant(
    site: &Site,
    lang: &str,
    location: &Location,
    url: &str,
    image: Option<&str>,
) -> Value {
    let fallback = site.default_language();
    let site_name = site.settings.name.get(lang, fallback);
    let name = location.name.get(lang, fallback);
    let full_name = if name == site_name || name.is_empty() {
        site_name.to_owned()
    } else {
        format!("{site_name} {name}")
    };
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Restaurant",
        "@id": format!("{url}#restaurant"),
        "name": full_name,
        "url": url,
        "inLanguage": lang,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": location.address.get(lang, fallback),
        },
        "openingHours": location.hours.iter().flat_map(opening_hours).collect::<Vec<_>>(),
        "currenciesAccepted": site.settings.currency.code,
    });
    if let Some(phone) = &location.phone {
        v["telephone"] = json!(phone);
    }
    if let Some(image) = image {
        v["image"] = json!(image);
    }
    let description = site.settings.description.get(lang, fallback);
    if !description.is_empty() {
        v["description"] = json!(description);
    }
    v
}

/// What one sitemap file may hold, per the sitemaps protocol: 50,000 URLs and
/// 50 MB (52,428,800 bytes) uncompressed. A sitemap index obeys the same limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitemapLimits {
    pub urls: usize,
    pub bytes: usize,
}

impl SitemapLimits {
    /// The protocol's limits (<https://www.sitemaps.org/protocol.html>).
    pub const PROTOCOL: SitemapLimits = SitemapLimits {
        urls: 50_000,
        bytes: 52_428_800,
    };
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const URLSET_OPEN: &str = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n";
const URLSET_CLOSE: &str = "</urlset>\n";
const INDEX_OPEN: &str = "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
const INDEX_CLOSE: &str = "</sitemapindex>\n";

/// The sitemap: the chooser and every page of [`urls::all_pages`], each with its
/// language alternates, within the protocol's limits. A site that fits gets one
/// `sitemap.xml`; a bigger one gets `sitemap-1.xml`, `sitemap-2.xml`, … and a
/// sitemap index at `sitemap.xml` naming them, so robots.txt's address holds either way.
pub fn sitemaps(site: &Site, base_url: &str) -> Vec<Output> {
    sitemaps_within(site, base_url, SitemapLimits::PROTOCOL)
}

/// [`sitemaps`] with other limits (tests split small sites with small limits).
pub fn sitemaps_within(site: &Site, base_url: &str, limits: SitemapLimits) -> Vec<Output> {
    split_sitemap(&sitemap_entries(site, base_url), base_url, limits)
}

/// One `<url>…</url>\n` element per page, the chooser first.
fn sitemap_entries(site: &Site, base_url: &str) -> Vec<String> {
    let langs = &site.settings.languages;
    let default = site.default_language();
    let pages = urls::all_pages(site);
    let mut entries = Vec::with_capacity(pages.len() + 1);
    // One `<url>`; each alternate is (hreflang, path prefix, path rest).
    let entry = |path: &str, alternates: &mut dyn Iterator<Item = (&str, &str, &str)>| {
        let mut xml = String::with_capacity(80 + 120 * (langs.len() + 1));
        xml.push_str("<url><loc>");
        push_xml_escaped(&mut xml, base_url);
        push_xml_escaped(&mut xml, path);
        xml.push_str("</loc>");
        for (lang, prefix, rest) in alternates {
            xml.push_str("<xhtml:link rel=\"alternate\" hreflang=\"");
            push_xml_escaped(&mut xml, lang);
            xml.push_str("\" href=\"");
            push_xml_escaped(&mut xml, base_url);
            push_xml_escaped(&mut xml, prefix);
            push_xml_escaped(&mut xml, rest);
            xml.push_str("\"/>");
        }
        xml.push_str("</url>\n");
        xml
    };
    let homes: Vec<(String, String)> = langs.iter().map(|l| (l.clone(), urls::home(l))).collect();
    entries.push(entry(
        "/",
        &mut homes
            .iter()
            .map(|(l, h)| (l.as_str(), h.as_str(), ""))
            .chain([("x-default", "/", "")]),
    ));
    let prefixes: Vec<String> = langs.iter().map(|l| format!("/{l}")).collect();
    let default_prefix = format!("/{default}");
    for path in &pages {
        entries.push(match page_lang(path, langs) {
            Some(lang) => {
                let rest = &path[lang.len() + 1..];
                entry(
                    path,
                    &mut langs
                        .iter()
                        .zip(&prefixes)
                        .map(|(l, p)| (l.as_str(), p.as_str(), rest))
                        .chain([("x-default", default_prefix.as_str(), rest)]),
                )
            }
            None => entry(path, &mut std::iter::empty()),
        });
    }
    entries
}

/// Packs `<url>` elements into sitemaps of at most `limits` each, in order; more
/// than one gets an index at `sitemap.xml`. An entry bigger than a whole file on
/// its own still gets a file of its own (no real page comes near 50 MB).
pub fn split_sitemap(entries: &[String], base_url: &str, limits: SitemapLimits) -> Vec<Output> {
    let frame = XML_DECLARATION.len() + URLSET_OPEN.len() + URLSET_CLOSE.len();
    let mut files: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut count = 0;
    for entry in entries {
        let full =
            count >= limits.urls.max(1) || frame + current.len() + entry.len() > limits.bytes;
        if count > 0 && full {
            files.push(std::mem::take(&mut current));
            count = 0;
        }
        current.push_str(entry);
        count += 1;
    }
    files.push(current);
    let urlset = |body: &str| {
        let mut xml = String::with_capacity(frame + body.len());
        xml.push_str(XML_DECLARATION);
        xml.push_str(URLSET_OPEN);
        xml.push_str(body);
        xml.push_str(URLSET_CLOSE);
        xml
    };
    if files.len() == 1 {
        return vec![Output::new("sitemap.xml", urlset(&files[0]))];
    }
    let mut index = String::from(XML_DECLARATION);
    index.push_str(INDEX_OPEN);
    let mut outputs = Vec::with_capacity(files.len() + 1);
    for (n, body) in files.iter().enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        index.push_str("<sitemap><loc>");
        push_xml_escaped(&mut index, base_url);
        index.push('/');
        index.push_str(&name);
        index.push_str("</loc></sitemap>\n");
        outputs.push(Output::new(name, urlset(body)));
    }
    index.push_str(INDEX_CLOSE);
    outputs.push(Output::new("sitemap.xml", index));
    outputs
}

/// The language a page path starts with (`/en/harbour/` → `en`).
fn page_lang<'a>(path: &str, langs: &'a [String]) -> Option<&'a str> {
    langs
        .iter()
        .find(|l| {
            path.strip_prefix('/')
                .and_then(|p| p.strip_prefix(l.as_str()))
                .is_some_and(|p| p.starts_with('/'))
        })
        .map(String::as_str)
}

/// `robots.txt`: everything may be crawled except the API; the sitemap's address.
pub fn robots(base_url: &str) -> Output {
    Output::new(
        "robots.txt",
        format!(
            "User-agent: *\nDisallow: /api/\nDisallow: /qr/\n\nSitemap: {base_url}/sitemap.xml\n"
        ),
    )
}

/// Escapes the five XML special characters.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_xml_escaped(&mut out, text);
    out
}

/// Appends `text` to `out` with [`xml_escape`]'s escapes.
fn push_xml_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&apos;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    #[test]
    fn opening_hours_in_schema_format() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        let w = Window {
            days: vec![Weekday::Sat, Weekday::Mon, Weekday::Tue, Weekday::Wed],
            hours: vec![catalog::TimeRange {
                from: t(7, 0),
                until: t(10, 30),
            }],
        };
        assert_eq!(opening_hours(&w), vec!["Mo-We,Sa 07:00-10:30"]);
        assert_eq!(opening_hours(&Window::default()), vec!["Mo-Su 00:00-23:59"]);
    }

    fn urls(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("<url><loc>https://shop.example/p{i}/</loc></url>\n"))
            .collect()
    }

    fn locs(xml: &str) -> usize {
        xml.matches("<url>").count()
    }

    #[test]
    fn a_sitemap_that_fits_is_one_file() {
        let files = split_sitemap(
            &urls(3),
            "https://shop.example",
            SitemapLimits {
                urls: 3,
                bytes: 10_000,
            },
        );
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "sitemap.xml");
        let xml = String::from_utf8_lossy(&files[0].bytes);
        assert!(xml.contains("<urlset"), "{xml}");
        assert_eq!(locs(&xml), 3);
    }

    #[test]
    fn past_the_url_limit_an_index_names_the_sitemaps() {
        let limits = SitemapLimits {
            urls: 2,
            bytes: 10_000,
        };
        let files = split_sitemap(&urls(5), "https://shop.example", limits);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml",
                "sitemap.xml"
            ]
        );
        let counts: Vec<usize> = files[..3]
            .iter()
            .map(|f| locs(&String::from_utf8_lossy(&f.bytes)))
            .collect();
        assert_eq!(counts, [2, 2, 1]);
        let index = String::from_utf8_lossy(&files[3].bytes);
        assert!(index.contains("<sitemapindex"), "{index}");
        for n in 1..=3 {
            assert!(
                index.contains(&format!(
                    "<sitemap><loc>https://shop.example/sitemap-{n}.xml</loc></sitemap>"
                )),
                "{index}"
            );
        }
        // Every URL once, in order.
        let all: String = files[..3]
            .iter()
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
            .collect();
        for i in 0..5 {
            assert_eq!(all.matches(&format!("/p{i}/<")).count(), 1);
        }
    }

    #[test]
    fn past_the_byte_limit_files_stay_under_it() {
        let entries = urls(40);
        let limits = SitemapLimits {
            urls: 1000,
            bytes: 600,
        };
        let files = split_sitemap(&entries, "https://shop.example", limits);
        assert!(files.len() > 2);
        for f in &files {
            assert!(
                f.bytes.len() <= limits.bytes,
                "{} is {} bytes",
                f.path,
                f.bytes.len()
            );
        }
        let total: usize = files
            .iter()
            .filter(|f| f.path != "sitemap.xml")
            .map(|f| locs(&String::from_utf8_lossy(&f.bytes)))
            .sum();
        assert_eq!(total, 40);
    }

    #[test]
    fn at_the_protocol_limit_50000_urls_fit_and_50001_split() {
        let base = "https://shop.example";
        let fits = split_sitemap(&urls(50_000), base, SitemapLimits::PROTOCOL);
        assert_eq!(fits.len(), 1);
        assert_eq!(locs(&String::from_utf8_lossy(&fits[0].bytes)), 50_000);
        let split = split_sitemap(&urls(50_001), base, SitemapLimits::PROTOCOL);
        let paths: Vec<&str> = split.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]);
        assert_eq!(locs(&String::from_utf8_lossy(&split[0].bytes)), 50_000);
        assert_eq!(locs(&String::from_utf8_lossy(&split[1].bytes)), 1);
        for f in &split {
            assert!(f.bytes.len() <= SitemapLimits::PROTOCOL.bytes);
        }
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = json!({"name": "</script><b>&"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('&'));
        let back: Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back, v);
    }
}
