//! Where every page and file of the storefront lives. One place, so links,
//! the sitemap, QR codes and the link checker agree.

use catalog::Site;

/// Path segments a location id or page slug must not take: they are used by the site itself.
pub const RESERVED: &[&str] = &[
    "api", "admin", "staff", "assets", "images", "qr", "catalog", "dishes", "tags", "order",
    "orders", "members", "join", "checkout", "status",
];

/// The home page of a language: `/en/`.
pub fn home(lang: &str) -> String {
    format!("/{lang}/")
}

/// A location's menu page: `/en/harbour/`.
pub fn location(lang: &str, location: &str) -> String {
    format!("/{lang}/{location}/")
}

/// A dish page, for sharing: `/en/dishes/dan-dan-noodles/`.
pub fn dish(lang: &str, dish: &str) -> String {
    format!("/{lang}/dishes/{dish}/")
}

/// A Markdown page: `/en/about/`.
pub fn page(lang: &str, slug: &str) -> String {
    format!("/{lang}/{slug}/")
}

/// A tag listing: `/en/tags/vegetarian/`.
pub fn tag(lang: &str, tag: &str) -> String {
    format!("/{lang}/tags/{}/", slug(tag))
}

/// Most dishes on one page of a tag listing; a chain's "spicy" tag runs to pages.
pub const TAG_PAGE_SIZE: usize = 48;

/// How many pages a tag listing of `dishes` dishes has (at least one).
pub fn tag_page_count(dishes: usize) -> usize {
    dishes.div_ceil(TAG_PAGE_SIZE).max(1)
}

/// Page `page` (from 1) of a tag listing: the listing itself, then
/// `/en/tags/vegetarian/page/2/`.
pub fn tag_page(lang: &str, tag: &str, page: usize) -> String {
    match page {
        0 | 1 => self::tag(lang, tag),
        n => format!("/{lang}/tags/{}/page/{n}/", slug(tag)),
    }
}

/// A location's catalog for the cart: `/catalog/harbour.json`.
pub fn catalog_json(location: &str) -> String {
    format!("/catalog/{location}.json")
}

/// A menu's catalog, shared by the locations serving it: `/catalog/menus/main.json`.
pub fn menu_catalog_json(menu: &str) -> String {
    format!("/catalog/menus/{menu}.json")
}

/// The URL a table's QR code opens (relative): `/zh/harbour/?table=7`.
pub fn table_link(lang: &str, location: &str, table: &str) -> String {
    format!("/{lang}/{location}/?table={}", query_escape(table))
}

/// The SVG QR code of a table: `/qr/harbour/table-7.svg`.
pub fn table_qr(location: &str, table: &str) -> String {
    format!("/qr/{location}/table-{}.svg", slug(table))
}

/// The tracked URL of a campaign channel (relative): `/zh/harbour/?c=spring&ch=flyer`.
pub fn channel_link(lang: &str, location: &str, campaign: &str, channel: &str) -> String {
    format!(
        "/{lang}/{location}/?c={}&ch={}",
        query_escape(campaign),
        query_escape(channel)
    )
}

/// The SVG QR code of a campaign channel: `/qr/campaigns/spring/flyer.svg`.
pub fn channel_qr(campaign: &str, channel: &str) -> String {
    format!("/qr/campaigns/{campaign}/{channel}.svg")
}

/// A URL-safe lowercase slug of a label: letters, digits and dashes.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Percent-escapes the characters that would break a query value.
pub fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Every HTML page path the site will have: for the link checker and the sitemap.
pub fn all_pages(site: &Site) -> Vec<String> {
    let mut out = Vec::new();
    for lang in &site.settings.languages {
        out.push(home(lang));
        for l in &site.locations {
            out.push(location(lang, &l.id));
        }
        for m in &site.menus {
            for (_, d) in m.dishes() {
                out.push(dish(lang, &d.id));
            }
        }
        for p in &site.pages {
            out.push(page(lang, &p.slug));
        }
        // Each tag's dishes (by slug, as the pages group them), then its pages.
        let mut tags: std::collections::BTreeMap<String, (&str, usize)> = Default::default();
        for (_, d) in site.menus.iter().flat_map(|m| m.dishes()) {
            let mut seen = std::collections::HashSet::new();
            for t in d.tags.iter().filter(|t| seen.insert(slug(t))) {
                tags.entry(slug(t)).or_insert((t.as_str(), 0)).1 += 1;
            }
        }
        for (label, dishes) in tags.into_values() {
            out.extend((1..=tag_page_count(dishes)).map(|n| tag_page(lang, label, n)));
        }
    }
    out
}

/// The Cache-Control header for a published path, the same for `carte serve` and production:
/// fingerprinted assets forever, HTML and JSON revalidated, the rest for an hour.
pub fn cache_control(path: &str) -> &'static str {
    let file = path.rsplit('/').next().unwrap_or("");
    let fingerprinted = path.starts_with("/assets/")
        && file
            .split('.')
            .any(|part| part.len() == 8 && part.bytes().all(|b| b.is_ascii_hexdigit()));
    if fingerprinted || path.starts_with("/images/") && file.contains("-w") {
        "public, max-age=31536000, immutable"
    } else if path.ends_with('/')
        || path.ends_with(".html")
        || path.ends_with(".json")
        || path.ends_with(".xml")
        || path.ends_with(".webmanifest")
        || path == "/sw.js"
        // The staff console's pages load its script and styles by fixed names.
        || path.starts_with("/staff/")
    {
        "public, max-age=0, must-revalidate"
    } else {
        "public, max-age=3600"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_escapes() {
        assert_eq!(slug(" Spicy & Hot "), "spicy-hot");
        assert_eq!(slug("素食"), "素食");
        assert_eq!(query_escape("A 7"), "A%207");
        assert_eq!(table_link("zh", "harbour", "7"), "/zh/harbour/?table=7");
    }
}
