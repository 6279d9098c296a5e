//! Markdown from merchant content (dish descriptions, pages) to HTML and plain text.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// Whether raw HTML inside the Markdown is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawHtml {
    /// Pages written by the merchant may embed HTML (a map, a video).
    Keep,
    /// Dish descriptions show raw HTML as text: they also travel through `catalog.json`.
    Escape,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Renders Markdown to HTML. Link and image targets with a script scheme
/// (`javascript:`, `data:`, `vbscript:`) become `#`.
pub fn to_html(markdown: &str, raw: RawHtml) -> String {
    let events = Parser::new_ext(markdown, options()).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) if raw == RawHtml::Escape => Event::Text(text),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
    if ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        CowStr::Borrowed("#")
    } else {
        url
    }
}

/// The text of the Markdown without markup, paragraphs separated by a space.
pub fn to_plain(markdown: &str) -> String {
    let mut out = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell,
            ) if !out.ends_with(' ') && !out.is_empty() => out.push(' '),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// A short plain-text summary: the first `max_chars` characters, cut at a word
/// boundary when there is one, with `…` when cut.
pub fn summary(markdown: &str, max_chars: usize) -> String {
    let plain = to_plain(markdown);
    if plain.chars().count() <= max_chars {
        return plain;
    }
    let cut: String = plain.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        cut.trim_end_matches([',', '.', ';', ' ', '，', '。'])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_raw_html_in_dish_text() {
        let html = to_html("Hot <script>alert(1)</script> **oil**", RawHtml::Escape);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<strong>oil</strong>"));
        let kept = to_html("<div class=\"map\"></div>", RawHtml::Keep);
        assert!(kept.contains("<div class=\"map\">"));
    }

    #[test]
    fn neutralizes_script_links() {
        let html = to_html("[x](javascript:alert(1)) [y](/en/about/)", RawHtml::Keep);
        assert!(html.contains("href=\"#\""), "{html}");
        assert!(html.contains("href=\"/en/about/\""));
    }

    #[test]
    fn summarizes_plain_text() {
        assert_eq!(
            to_plain("# Hi\n\nSome *spicy*\nnoodles."),
            "Hi Some spicy noodles."
        );
        assert_eq!(summary("one two three four five", 12), "one two…");
        assert_eq!(summary("麻辣鲜香的面条，花椒很多", 5), "麻辣鲜香的…");
        assert_eq!(summary("short", 50), "short");
    }
}
