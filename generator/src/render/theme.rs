//! A theme: tera templates, static files and the words shown around content.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tera::Tera;
use walkdir::WalkDir;

use super::assets::Assets;
use super::RenderError;

/// Words of the theme per key and language: `sold_out → {en: "Sold out", zh: "已售罄"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strings(pub BTreeMap<String, BTreeMap<String, String>>);

impl Strings {
    /// Every key's text in `lang`, falling back to English, then to any language, then the key.
    pub fn for_lang(&self, lang: &str) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(key, texts)| {
                let text = texts
                    .get(lang)
                    .or_else(|| texts.get("en"))
                    .or_else(|| texts.values().next())
                    .cloned()
                    .unwrap_or_else(|| key.clone());
                (key.clone(), text)
            })
            .collect()
    }

    fn merge(&mut self, other: Strings) {
        for (key, texts) in other.0 {
            self.0.entry(key).or_default().extend(texts);
        }
    }
}

/// A loaded theme, ready to render with.
#[derive(Debug, Clone)]
pub struct Theme {
    /// The parsed templates (theme templates, with the site's overrides).
    pub tera: Tera,
    /// Static files by path relative to `static/`, e.g. `style.css`.
    pub statics: BTreeMap<String, Vec<u8>>,
    /// The static files minified and fingerprinted, made once per load.
    pub assets: Assets,
    /// The theme's words.
    pub strings: Strings,
    /// A hash of every template, static file and word: equal fingerprints, equal theme.
    pub fingerprint: u64,
}

impl Theme {
    /// Loads `theme_dir/{templates,static,strings.yaml}`. When `site_root` is given, its
    /// `templates/`, `static/` and `strings.yaml` override the theme's by name.
    pub fn load(theme_dir: &Path, site_root: Option<&Path>) -> Result<Theme, RenderError> {
        let mut templates = read_tree(&theme_dir.join("templates"))?;
        let mut statics = read_tree(&theme_dir.join("static"))?;
        let mut strings = read_strings(&theme_dir.join("strings.yaml"))?;
        if let Some(root) = site_root {
            templates.extend(read_tree(&root.join("templates"))?);
            statics.extend(read_tree(&root.join("static"))?);
            strings.merge(read_strings(&root.join("strings.yaml"))?);
        }
        let mut sources = Vec::with_capacity(templates.len());
        for (name, bytes) in templates {
            if !(name.ends_with(".html") || name.ends_with(".xml") || name.ends_with(".txt")) {
                continue;
            }
            let text = String::from_utf8(bytes).map_err(|_| RenderError::Template {
                template: name.clone(),
                message: "the template is not UTF-8 text".into(),
            })?;
            sources.push((name, text));
        }
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            sources.hash(&mut h);
            statics.hash(&mut h);
            strings.0.hash(&mut h);
            h.finish()
        };
        let mut tera = Tera::default();
        tera.set_escape_fn(escape_html);
        tera.add_raw_templates(sources)
            .map_err(|e| RenderError::template("(parsing the theme)", e))?;
        Ok(Theme {
            tera,
            assets: Assets::build(&statics)?,
            statics,
            strings,
            fingerprint,
        })
    }
}

/// Escapes text for HTML content and quoted attribute values: `& < > " '`.
///
/// Unlike tera's default it leaves `/` alone, so URLs stay readable (and small).
pub fn escape_html(text: &str) -> String {
    let bytes = text.as_bytes();
    let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    let Some(first) = bytes.iter().position(special) else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len() + text.len() / 8 + 8);
    let mut start = 0;
    // The special characters are ASCII, so every cut falls between characters.
    for (i, b) in bytes.iter().enumerate().skip(first) {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out
}

/// Every file under `dir` (none when it does not exist), keyed by its `/`-separated relative path.
fn read_tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, RenderError> {
    let mut out = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        let entry = entry.map_err(|e| RenderError::Theme {
            path: e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.into()),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("cannot walk the folder")),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let name: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        // Editor droppings and dotfiles are not part of a theme.
        if name
            .iter()
            .any(|part| part.starts_with('.') || part.ends_with('~'))
        {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|source| RenderError::Theme {
            path: entry.path().to_path_buf(),
            source,
        })?;
        out.insert(name.join("/"), bytes);
    }
    Ok(out)
}

fn read_strings(path: &Path) -> Result<Strings, RenderError> {
    if !path.is_file() {
        return Ok(Strings::default());
    }
    let text = std::fs::read_to_string(path).map_err(|source| RenderError::Theme {
        path: PathBuf::from(path),
        source,
    })?;
    let map: BTreeMap<String, BTreeMap<String, String>> =
        serde_yaml::from_str(&text).map_err(|e| RenderError::Strings {
            path: PathBuf::from(path),
            message: e.to_string(),
        })?;
    Ok(Strings(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters_only() {
        assert_eq!(escape_html("plain /path/ 中文"), "plain /path/ 中文");
        assert_eq!(
            escape_html("<a href=\"x\">Tom's & 菜</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; 菜&lt;/a&gt;"
        );
        assert_eq!(escape_html("&"), "&amp;");
        assert_eq!(escape_html(""), "");
    }

    #[test]
    fn strings_fall_back_to_english_then_the_key() {
        let mut s = Strings::default();
        s.0.insert(
            "menu".into(),
            BTreeMap::from([("en".into(), "Menu".into()), ("zh".into(), "菜单".into())]),
        );
        s.0.insert(
            "home".into(),
            BTreeMap::from([("en".into(), "Home".into())]),
        );
        s.0.insert("odd".into(), BTreeMap::new());
        let zh = s.for_lang("zh");
        assert_eq!(zh["menu"], "菜单");
        assert_eq!(zh["home"], "Home");
        assert_eq!(zh["odd"], "odd");
    }
}
