//! Markdown from merchant content (dish descriptions, pages) to HTML and plain text.

use super::images::ImgView;
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
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    to_html_events(Parser::new_ext(markdown, options()), raw, &mut out);
    out
}

fn to_html_events<'a>(events: impl Iterator<Item = Event<'a>>, raw: RawHtml, out: &mut String) {
    let events = events.map(|event| match event {
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
    html::push_html(out, events);
}

/// The body without its first heading when that is a level-1 heading repeating
/// `title`: the page template shows the title as the page's one `<h1>`.
pub fn without_repeated_title<'a>(body: &'a str, title: &str) -> &'a str {
    let mut parser = Parser::new_ext(body, options()).into_offset_iter();
    let Some((Event::Start(Tag::Heading { level, .. }), _)) = parser.next() else {
        return body;
    };
    if level != pulldown_cmark::HeadingLevel::H1 {
        return body;
    }
    let mut text = String::new();
    for (event, range) in parser {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::End(TagEnd::Heading(_)) => {
                return if text.trim() == title.trim() {
                    body.get(range.end..).unwrap_or("")
                } else {
                    body
                };
            }
            _ => {}
        }
    }
    body
}

/// The pictures under `images/` a Markdown text shows or links to
/// (`![shop](/images/shop.png)`), as paths relative to `images/`.
pub fn image_paths(markdown: &str) -> Vec<String> {
    if !markdown.contains("/images/") {
        return Vec::new();
    }
    Parser::new_ext(markdown, options())
        .filter_map(|event| match event {
            Event::Start(Tag::Image { dest_url, .. } | Tag::Link { dest_url, .. }) => {
                picture_path(&dest_url).map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

/// `shop.png` of `/images/shop.png?v=2#top`.
fn picture_path(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next()?;
    path.strip_prefix("/images/").filter(|p| !p.is_empty())
}

/// Like [`to_html`], and each picture of the site (`/images/…`) shown by its
/// resized files: `srcset`, `width`/`height` to reserve its space, and
/// `loading="lazy"` for all but the first (the one likely above the fold). A
/// link to a picture goes to its widest file.
pub fn to_html_with_images(
    markdown: &str,
    raw: RawHtml,
    images: &dyn Fn(&str) -> Option<ImgView>,
) -> String {
    if !markdown.contains("/images/") {
        return to_html(markdown, raw);
    }
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut shown = 0usize;
    // Raw HTML of the text is escaped first (when asked), so the `<img>` made here stays.
    let mut parser = Parser::new_ext(markdown, options()).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) if raw == RawHtml::Escape => Event::Text(text),
        other => other,
    });
    while let Some(event) = parser.next() {
        match event {
            Event::Start(Tag::Image {
                ref dest_url,
                ref title,
                ..
            }) if picture_path(dest_url).and_then(images).is_some() => {
                let Some(view) = picture_path(dest_url).and_then(images) else {
                    continue;
                };
                let title = title.to_string();
                // The alt text: the text inside `![…]`, up to the image's end.
                let mut alt = String::new();
                let mut depth = 0usize;
                for inner in parser.by_ref() {
                    match inner {
                        Event::Start(Tag::Image { .. }) => depth += 1,
                        Event::End(TagEnd::Image) if depth == 0 => break,
                        Event::End(TagEnd::Image) => depth -= 1,
                        Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                        _ => {}
                    }
                }
                let lazy = if shown == 0 { "" } else { " loading=\"lazy\"" };
                shown += 1;
                let title = if title.is_empty() {
                    String::new()
                } else {
                    format!(" title=\"{}\"", escape_attr(&title))
                };
                events.push(Event::InlineHtml(CowStr::from(format!(
                    "<img src=\"{}\" srcset=\"{}\" sizes=\"(min-width: 48rem) 48rem, 100vw\" width=\"{}\" height=\"{}\" alt=\"{}\"{title}{lazy} decoding=\"async\">",
                    escape_attr(&view.src),
                    escape_attr(&view.srcset),
                    view.width,
                    view.height,
                    escape_attr(&alt),
                ))));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let widest = picture_path(&dest_url)
                    .and_then(images)
                    .and_then(|v| widest_url(&v.srcset));
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: widest.map(CowStr::from).unwrap_or(dest_url),
                    title,
                    id,
                }));
            }
            other => events.push(other),
        }
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    to_html_events(events.into_iter(), RawHtml::Keep, &mut out);
    out
}

/// The URL of the widest file in a `srcset` (`a.jpg 320w, b.jpg 960w`).
fn widest_url(srcset: &str) -> Option<String> {
    srcset
        .split(", ")
        .filter_map(|c| {
            let (url, w) = c.rsplit_once(' ')?;
            Some((w.trim_end_matches('w').parse::<u32>().ok()?, url))
        })
        .max_by_key(|(w, _)| *w)
        .map(|(_, url)| url.to_owned())
}

fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
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
