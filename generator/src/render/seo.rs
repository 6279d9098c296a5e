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
            format!(
                "{days} {}-{}",
                h.from.format("%H:%M"),
                h.until.format("%H:%M")
            )
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

/// A schema.org `MenuItem` with its `Offer`.
pub fn menu_item(site: &Site, item: &ItemFacts<'_>) -> Value {
    let currency = &site.settings.currency;
    let mut v = json!({
        "@type": "MenuItem",
        "@id": item.url,
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
    if !item.description.is_empty() {
        v["description"] = json!(item.description);
    }
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

/// `sitemap.xml`: the chooser and every page of [`urls::all_pages`], each with its
/// language alternates.
pub fn sitemap(site: &Site, base_url: &str) -> Output {
    let langs = &site.settings.languages;
    let default = site.default_language();
    let pages = urls::all_pages(site);
    let mut xml = String::with_capacity(64 + pages.len() * (80 + 120 * (langs.len() + 1)));
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    // One `<url>`; each alternate is (hreflang, path prefix, path rest).
    let entry =
        |xml: &mut String, path: &str, alternates: &mut dyn Iterator<Item = (&str, &str, &str)>| {
            xml.push_str("<url><loc>");
            push_xml_escaped(xml, base_url);
            push_xml_escaped(xml, path);
            xml.push_str("</loc>");
            for (lang, prefix, rest) in alternates {
                xml.push_str("<xhtml:link rel=\"alternate\" hreflang=\"");
                push_xml_escaped(xml, lang);
                xml.push_str("\" href=\"");
                push_xml_escaped(xml, base_url);
                push_xml_escaped(xml, prefix);
                push_xml_escaped(xml, rest);
                xml.push_str("\"/>");
            }
            xml.push_str("</url>\n");
        };
    let homes: Vec<(String, String)> = langs.iter().map(|l| (l.clone(), urls::home(l))).collect();
    entry(
        &mut xml,
        "/",
        &mut homes
            .iter()
            .map(|(l, h)| (l.as_str(), h.as_str(), ""))
            .chain([("x-default", "/", "")]),
    );
    let prefixes: Vec<String> = langs.iter().map(|l| format!("/{l}")).collect();
    let default_prefix = format!("/{default}");
    for path in &pages {
        match page_lang(path, langs) {
            Some(lang) => {
                let rest = &path[lang.len() + 1..];
                entry(
                    &mut xml,
                    path,
                    &mut langs
                        .iter()
                        .zip(&prefixes)
                        .map(|(l, p)| (l.as_str(), p.as_str(), rest))
                        .chain([("x-default", default_prefix.as_str(), rest)]),
                );
            }
            None => entry(&mut xml, path, &mut std::iter::empty()),
        }
    }
    xml.push_str("</urlset>\n");
    Output::new("sitemap.xml", xml)
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

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = json!({"name": "</script><b>&"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('&'));
        let back: Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back, v);
    }
}
