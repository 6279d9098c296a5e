//! Localized text: one string per language, with a fallback to the site's default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Text in one or more languages, keyed by language code (`zh`, `en`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<String, String>);

impl Localized {
    /// The same text for every language.
    pub fn plain(lang: &str, text: impl Into<String>) -> Self {
        Localized(BTreeMap::from([(lang.to_owned(), text.into())]))
    }

    /// The text in `lang`, else in `fallback`, else any text there is, else "".
    pub fn get<'a>(&'a self, lang: &str, fallback: &str) -> &'a str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(fallback))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// True when no language has any text.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(|s| s.is_empty())
    }
}
