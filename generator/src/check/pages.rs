//! Checks of `pages/*.md` and of the internal links in their Markdown.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashSet};

use catalog::{Location, Page, Site};
use chrono::NaiveDate;
use pulldown_cmark::{Event, Options, Parser, Tag};

use super::{is_id, Checker};
use crate::content::RawText;
use crate::load::PageFile;
use crate::locate::{suggest, At, Problem, YamlPath};
use crate::urls;

impl Checker<'_> {
    pub(super) fn pages(&mut self, locations: &[Location]) -> Vec<Page> {
        let loaded = self.loaded;
        let default = self.default_language();
        // slug → language → file
        let mut by_slug: BTreeMap<&str, BTreeMap<String, &PageFile>> = BTreeMap::new();
        for page in &loaded.pages {
            let lang = match &page.lang {
                None => default.clone(),
                Some(lang) => {
                    let known = self
                        .languages
                        .as_ref()
                        .is_none_or(|l| l.iter().any(|k| k == lang));
                    if self.languages.is_some() && lang == &default {
                        self.report(
                            Problem::new(
                                &page.file,
                                At::File,
                                format!("`{lang}` is the default language"),
                            )
                            .hint(format!("name the file pages/{}.md", page.slug)),
                        );
                        continue;
                    }
                    if !known {
                        let list = self.languages.clone().unwrap_or_default();
                        self.report(
                            Problem::new(
                                &page.file,
                                At::File,
                                format!("`{lang}` is not one of the site's languages"),
                            )
                            .hint(format!(
                                "pages are <slug>.md for {default} and <slug>.<lang>.md for: {}",
                                list.iter().skip(1).cloned().collect::<Vec<_>>().join(", ")
                            )),
                        );
                        continue;
                    }
                    lang.clone()
                }
            };
            by_slug.entry(&page.slug).or_default().insert(lang, page);
        }
        let mut out = Vec::new();
        for (slug, files) in by_slug {
            let Some(first) = files.values().next().copied() else {
                continue;
            };
            if !is_id(slug) {
                self.report(
                    Problem::new(
                        &first.file,
                        At::File,
                        format!("`{slug}` is not a page slug"),
                    )
                    .hint(format!(
                        "name the file with lowercase letters, digits and `-`, e.g. pages/{}.md",
                        urls::slug(slug)
                    )),
                );
            } else if urls::RESERVED.contains(&slug) {
                self.report(
                    Problem::new(
                        &first.file,
                        At::File,
                        format!("page slug `{slug}` is reserved for the site's own paths"),
                    )
                    .hint("rename the file"),
                );
            } else if locations.iter().any(|l| l.id == slug) {
                self.report(
                    Problem::new(
                        &first.file,
                        At::File,
                        format!("page slug `{slug}` is also a location id"),
                    )
                    .hint(format!(
                        "both would live at /<lang>/{slug}/: rename the page"
                    )),
                );
            }
            let main = files.get(&default).copied();
            if main.is_none() {
                self.report(
                    Problem::new(
                        &first.file,
                        At::File,
                        format!("page `{slug}` has no {default} version"),
                    )
                    .hint(format!(
                        "add pages/{slug}.md in the default language ({default})"
                    )),
                );
            }
            let mut title = BTreeMap::new();
            let mut body = BTreeMap::new();
            let mut description = BTreeMap::new();
            for (lang, page) in &files {
                if page.front.title.trim().is_empty() {
                    self.report(Problem::new(
                        &page.file,
                        front_at(page, "title"),
                        "the title must not be empty",
                    ));
                }
                title.insert(lang.clone(), page.front.title.trim().to_owned());
                body.insert(lang.clone(), page.body.clone());
                if let Some(d) = &page.front.description {
                    description.insert(lang.clone(), d.trim().to_owned());
                }
            }
            let date = main.and_then(|page| {
                let text = page.front.date.as_ref()?;
                match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        self.report(
                            Problem::new(
                                &page.file,
                                front_at(page, "date"),
                                format!("`{text}` is not a date"),
                            )
                            .hint("write the date as 2026-03-01"),
                        );
                        None
                    }
                }
            });
            out.push(Page {
                slug: slug.to_owned(),
                title: title.into_iter().collect(),
                body: body.into_iter().collect(),
                date,
                description: description.into_iter().collect(),
            });
        }
        out
    }

    /// Reports every internal link (`/…`) of a page that goes nowhere.
    pub(super) fn links(&mut self, site: &Site) {
        let loaded = self.loaded;
        // A page list with holes would make good links look broken.
        if !(self.menus_complete && self.locations_complete && self.pages_complete) {
            return;
        }
        // Every address of the site, made only when some text has a link.
        let known = OnceCell::new();
        let known = || {
            known.get_or_init(|| {
                let mut known: HashSet<String> = urls::all_pages(site).into_iter().collect();
                known.insert("/".to_owned());
                for l in &site.locations {
                    known.insert(urls::catalog_json(&l.id));
                    known.insert(urls::menu_catalog_json(&l.menu));
                }
                for image in &loaded.images {
                    known.insert(format!("/images/{image}"));
                }
                known
            })
        };
        self.description_links(&known);
        for page in &loaded.pages {
            for (dest, start, len) in internal_links(&page.body) {
                let known = known();
                let path = dest.split(['?', '#']).next().unwrap_or("");
                if known.contains(path) {
                    let picture = path.strip_prefix("/images/").unwrap_or("");
                    if let Some(problem) = loaded.image_problems.get(picture) {
                        self.report(
                            Problem::new(
                                &page.file,
                                At::Bytes {
                                    start: page.body_offset + start,
                                    len,
                                },
                                problem.message(picture),
                            )
                            .hint(problem.hint()),
                        );
                    }
                    continue;
                }
                let with_slash = format!("{path}/");
                let hint = if known.contains(&with_slash) {
                    format!("did you mean `{with_slash}`?")
                } else {
                    match suggest(path, known.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "link to a page of the site, such as /en/about/, or a file under images/".into(),
                    }
                };
                self.report(
                    Problem::new(
                        &page.file,
                        At::Bytes {
                            start: page.body_offset + start,
                            len,
                        },
                        format!("broken link `{dest}`: no such page or image"),
                    )
                    .hint(hint),
                );
            }
        }
    }
}

impl Checker<'_> {
    /// Reports broken internal links in the Markdown descriptions of dishes,
    /// at the description (a YAML string has no reliable inner positions).
    fn description_links<'k>(&mut self, known: &dyn Fn() -> &'k HashSet<String>) {
        let loaded = self.loaded;
        for menu in &loaded.menus {
            for (ci, category) in menu.value.categories.iter().enumerate() {
                for (di, dish) in category.dishes.iter().enumerate() {
                    let Some(description) = &dish.description else {
                        continue;
                    };
                    let path = || {
                        YamlPath::root()
                            .key("categories")
                            .index(ci)
                            .key("dishes")
                            .index(di)
                            .key("description")
                    };
                    let texts: Vec<(Option<&str>, &str)> = match description {
                        RawText::Plain(text) => vec![(None, text.as_str())],
                        RawText::ByLanguage(pairs) => pairs
                            .iter()
                            .map(|(l, t)| (Some(l.as_str()), t.as_str()))
                            .collect(),
                    };
                    for (lang, text) in texts {
                        for (dest, _, _) in internal_links(text) {
                            let known = known();
                            let target = dest.split(['?', '#']).next().unwrap_or("");
                            if known.contains(target) {
                                continue;
                            }
                            let at = match lang {
                                Some(l) => path().key(l.to_owned()),
                                None => path(),
                            };
                            let hint = suggest(target, known.iter().map(String::as_str))
                                .map(|s| format!("did you mean `{s}`?"))
                                .unwrap_or_else(|| {
                                    "link to a page of the site or a file under images/".into()
                                });
                            self.report(
                                Problem::new(
                                    &menu.file,
                                    At::Value(at),
                                    format!("broken link `{dest}` in the description"),
                                )
                                .hint(hint),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The position of a front matter key's value, or of the front matter.
fn front_at(page: &PageFile, key: &str) -> At {
    for (i, line) in page.front_text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
            let value_start = line.len() - rest.trim_start().len();
            let column = line[..value_start].chars().count() + 1;
            return At::Position {
                line: page.front_line + i,
                column,
            };
        }
    }
    At::Position {
        line: page.front_line.saturating_sub(1).max(1),
        column: 1,
    }
}

/// Links and images starting with `/` (not `//`): destination, byte offset and length in `body`.
pub(crate) fn internal_links(body: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    // A site-relative link has a `/` in it: most texts have none, and need no parse.
    if !body.contains('/') {
        return out;
    }
    for (event, range) in Parser::new_ext(body, Options::all()).into_offset_iter() {
        let dest = match &event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => dest_url.to_string(),
            _ => continue,
        };
        if !dest.starts_with('/') || dest.starts_with("//") {
            continue;
        }
        let source = body.get(range.clone()).unwrap_or("");
        // Point at the URL itself when it is written out; else at the whole link.
        let (start, len) = match source.rfind(dest.as_str()) {
            Some(i) => (range.start + i, dest.len()),
            None => (range.start, source.len()),
        };
        out.push((dest, start, len));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_internal_links() {
        let body = "See [us](/en/about/) and [them](https://x.org/) or ![](/images/a.png).\n";
        let links = internal_links(body);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].0, "/en/about/");
        assert_eq!(&body[links[0].1..links[0].1 + links[0].2], "/en/about/");
        assert_eq!(links[1].0, "/images/a.png");
    }
}
