//! Static files of the theme, fingerprinted (`style.css` → `/assets/style.1a2b3c4d.css`)
//! so they can be cached for ever; CSS and JavaScript are minified on the way. Files under `root/`
//! (the service worker, which must sit at the top of its scope) keep their name
//! and are written at the top of the site: `root/sw.js` → `/sw.js`.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{minify, Output, RenderError};

/// The theme's static files as output files, and the URL of each by its source name.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    /// `style.css` → `/assets/style.1a2b3c4d.css`.
    pub urls: BTreeMap<String, String>,
    /// The fingerprinted files.
    pub outputs: Vec<Output>,
}

impl Assets {
    /// Minifies and fingerprints every static file; a script that does not parse is an
    /// error naming its place.
    pub fn build(statics: &BTreeMap<String, Vec<u8>>) -> Result<Assets, RenderError> {
        let mut assets = Assets::default();
        for (name, bytes) in statics {
            let bytes = if name.ends_with(".css") {
                minify::css(&String::from_utf8_lossy(bytes)).into_bytes()
            } else if name.ends_with(".js") {
                std::str::from_utf8(bytes)
                    .map_err(|e| minify::ScriptError {
                        line: 1,
                        column: 1,
                        message: format!("the script is not UTF-8 text ({e})"),
                    })
                    .and_then(|source| minify::js(name, source))
                    .map_err(|e| RenderError::Script {
                        path: name.clone(),
                        line: e.line,
                        column: e.column,
                        message: e.message,
                    })?
                    .into_bytes()
            } else {
                bytes.clone()
            };
            let path = match name.strip_prefix("root/") {
                Some(top) => top.to_owned(),
                None => format!("assets/{}", fingerprinted(name, &hash8(&bytes))),
            };
            assets.urls.insert(name.clone(), format!("/{path}"));
            assets.outputs.push(Output::new(path, bytes));
        }
        Ok(assets)
    }

    /// The URL of a static file by its name under `static/`.
    pub fn url(&self, name: &str) -> Option<&str> {
        self.urls.get(name).map(String::as_str)
    }
}

/// The first 8 hex digits of the SHA-256 of `bytes`.
pub fn hash8(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..4])
}

/// `dir/style.css` + `1a2b3c4d` → `dir/style.1a2b3c4d.css`.
fn fingerprinted(name: &str, hash: &str) -> String {
    let (dir, file) = match name.rsplit_once('/') {
        Some((d, f)) => (format!("{d}/"), f),
        None => (String::new(), name),
    };
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}{stem}.{hash}.{ext}"),
        _ => format!("{dir}{file}.{hash}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_names() {
        assert_eq!(fingerprinted("style.css", "12345678"), "style.12345678.css");
        assert_eq!(fingerprinted("js/app.js", "ab"), "js/app.ab.js");
        assert_eq!(fingerprinted("LICENSE", "ab"), "LICENSE.ab");
        assert_eq!(fingerprinted(".hidden", "ab"), ".hidden.ab");
        let a = Assets::build(&BTreeMap::from([("style.css".into(), b"a { }".to_vec())]))
            .expect("builds");
        let url = a.url("style.css").unwrap_or_default();
        assert!(
            url.starts_with("/assets/style.") && url.ends_with(".css"),
            "{url}"
        );
        assert_eq!(a.outputs[0].bytes, b"a{}");
        let sw = Assets::build(&BTreeMap::from([("root/sw.js".into(), b"//".to_vec())]))
            .expect("builds");
        assert_eq!(sw.url("root/sw.js"), Some("/sw.js"));
        assert_eq!(sw.outputs[0].path, "sw.js");
    }
}
