//! Static files of the theme, fingerprinted (`style.css` → `/assets/style.1a2b3c4d.css`)
//! so they can be cached for ever; CSS is minified on the way. Files under `root/`
//! (the service worker, which must sit at the top of its scope) keep their name
//! and are written at the top of the site: `root/sw.js` → `/sw.js`.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::Output;

/// The theme's static files as output files, and the URL of each by its source name.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    /// `style.css` → `/assets/style.1a2b3c4d.css`.
    pub urls: BTreeMap<String, String>,
    /// The fingerprinted files.
    pub outputs: Vec<Output>,
}

impl Assets {
    /// Minifies and fingerprints every static file.
    pub fn build(statics: &BTreeMap<String, Vec<u8>>) -> Assets {
        let mut assets = Assets::default();
        for (name, bytes) in statics {
            let bytes = if name.ends_with(".css") {
                minify_css(&String::from_utf8_lossy(bytes)).into_bytes()
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
        assets
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

/// A small, safe CSS minifier: drops comments, collapses whitespace and removes it
/// around `{ } ; , >` and before `}`-closing semicolons. Strings are left untouched.
pub fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut pending_space = false;
    const TIGHT: &[char] = &['{', '}', ';', ',', '>', ':'];
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = '\0';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
                pending_space = true;
            }
            '"' | '\'' => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
                let mut escaped = false;
                for s in chars.by_ref() {
                    out.push(s);
                    if escaped {
                        escaped = false;
                    } else if s == '\\' {
                        escaped = true;
                    } else if s == c {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                if c == '}' && out.ends_with(';') {
                    out.pop();
                }
                if TIGHT.contains(&c) && c != ':' {
                    pending_space = false;
                }
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
            }
        }
    }
    out
}

/// Writes a pending space unless the neighbours make it unnecessary.
fn flush_space(out: &mut String, pending: &mut bool, next: char) {
    if *pending {
        let prev = out.chars().last();
        // A space after `:` is dropped only in declarations (`color: red`), where it is
        // never significant; `a :hover` keeps its space because `:` is not before it.
        let drop = match prev {
            None => true,
            Some(p) => ['{', '}', ';', ',', '>'].contains(&p) || (p == ':' && next != ':'),
        };
        if !drop {
            out.push(' ');
        }
        *pending = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minifies_without_changing_meaning() {
        let css = "/* c */\n.a  >  .b ,\n.c {\n  color : red;\n  margin: 0 auto;\n}\na :hover { content: \"x  /* y */\"; }\n@media (min-width: 40rem) { .d { width: calc(1px + 2px); } }";
        assert_eq!(
            minify_css(css),
            ".a>.b,.c{color :red;margin:0 auto}a :hover{content:\"x  /* y */\"}@media (min-width:40rem){.d{width:calc(1px + 2px)}}"
        );
    }

    #[test]
    fn fingerprints_names() {
        assert_eq!(fingerprinted("style.css", "12345678"), "style.12345678.css");
        assert_eq!(fingerprinted("js/app.js", "ab"), "js/app.ab.js");
        assert_eq!(fingerprinted("LICENSE", "ab"), "LICENSE.ab");
        assert_eq!(fingerprinted(".hidden", "ab"), ".hidden.ab");
        let a = Assets::build(&BTreeMap::from([("style.css".into(), b"a { }".to_vec())]));
        let url = a.url("style.css").unwrap_or_default();
        assert!(
            url.starts_with("/assets/style.") && url.ends_with(".css"),
            "{url}"
        );
        assert_eq!(a.outputs[0].bytes, b"a{}");
        let sw = Assets::build(&BTreeMap::from([("root/sw.js".into(), b"//".to_vec())]));
        assert_eq!(sw.url("root/sw.js"), Some("/sw.js"));
        assert_eq!(sw.outputs[0].path, "sw.js");
    }
}
