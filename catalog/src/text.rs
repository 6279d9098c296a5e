//! Localized text: one string per language, with a fallback to the site's default.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Text in one or more languages, keyed by language code (`zh`, `en`).
///
/// Kept as a short list sorted by language (a site has a handful of languages, and a
/// big menu has hundreds of thousands of texts: a list costs a tenth of a map). It
/// reads and writes as a map: `{"en": "Noodles", "zh": "面"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Localized(Vec<(String, String)>);

impl Localized {
    /// The same text for every language.
    pub fn plain(lang: &str, text: impl Into<String>) -> Self {
        Localized(vec![(lang.to_owned(), text.into())])
    }

    /// The text in `lang`, else in `fallback`, else any text there is, else "".
    pub fn get<'a>(&'a self, lang: &str, fallback: &str) -> &'a str {
        self.text(lang)
            .or_else(|| self.text(fallback))
            .or_else(|| self.0.first().map(|(_, t)| t.as_str()))
            .unwrap_or("")
    }

    /// The text written for exactly `lang`, if any.
    pub fn text(&self, lang: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(l, _)| l.as_str().cmp(lang))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// Sets the text of `lang`, replacing what it had.
    pub fn insert(&mut self, lang: impl Into<String>, text: impl Into<String>) {
        let lang = lang.into();
        match self.0.binary_search_by(|(l, _)| l.cmp(&lang)) {
            Ok(i) => self.0[i].1 = text.into(),
            Err(i) => self.0.insert(i, (lang, text.into())),
        }
    }

    /// Each language and its text, by language code.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(l, t)| (l.as_str(), t.as_str()))
    }

    /// How many languages have a text.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no language has any text.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|(_, s)| s.is_empty())
    }
}

impl<L: Into<String>, T: Into<String>> FromIterator<(L, T)> for Localized {
    /// Texts by language; a language given twice keeps its last text.
    fn from_iter<I: IntoIterator<Item = (L, T)>>(iter: I) -> Self {
        let mut out = Localized::default();
        for (lang, text) in iter {
            out.insert(lang, text);
        }
        out
    }
}

impl Serialize for Localized {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(l, t)| (l, t)))
    }
}

impl<'de> Deserialize<'de> for Localized {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok(Localized(map.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_and_keeps_languages_sorted() {
        let t: Localized = [("zh", "面"), ("en", "Noodles"), ("zh", "面条")]
            .into_iter()
            .collect();
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            [("en", "Noodles"), ("zh", "面条")]
        );
        assert_eq!(t.get("fr", "zh"), "面条");
        assert_eq!(t.get("fr", "de"), "Noodles");
        assert_eq!(Localized::default().get("en", "en"), "");
        assert_eq!(
            serde_json::to_string(&t).ok().as_deref(),
            Some(r#"{"en":"Noodles","zh":"面条"}"#)
        );
        let back: Localized =
            serde_json::from_str(r#"{"zh":"面条","en":"Noodles"}"#).unwrap_or_default();
        assert_eq!(back, t);
    }
}
