//! Where a content error is: YAML paths resolved to line and column, serde_yaml
//! errors made readable, and byte offsets of Markdown files turned into positions.
//!
//! The checks record *what* is wrong and a [`YamlPath`] to the value; only files
//! that have errors are parsed a second time (with `marked-yaml`, which keeps
//! spans) to find the line and column, so a clean build pays nothing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use marked_yaml::Node;

use crate::diagnostics::{Diagnostic, Diagnostics};

/// Written in a hint, stands for the offending value as it appears in the file
/// (so `quote it: "{source}"` shows `"22.50"`, not a float's `22.5`).
pub const SOURCE: &str = "{source}";

/// One step of a [`YamlPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A key of a mapping (most are the format's own field names, not copied).
    Key(Cow<'static, str>),
    /// An index of a sequence.
    Index(usize),
}

/// The path of a value inside a YAML document, e.g. `categories[2].dishes[3].price`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Segment>);

impl YamlPath {
    /// The document root.
    pub fn root() -> Self {
        YamlPath(Vec::new())
    }

    /// This path followed by a mapping key.
    pub fn key(&self, key: impl Into<Cow<'static, str>>) -> Self {
        let mut out = YamlPath(Vec::with_capacity(self.0.len() + 1));
        out.0.extend_from_slice(&self.0);
        out.0.push(Segment::Key(key.into()));
        out
    }

    /// This path followed by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut out = YamlPath(Vec::with_capacity(self.0.len() + 1));
        out.0.extend_from_slice(&self.0);
        out.0.push(Segment::Index(index));
        out
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Where in its file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// The file as a whole.
    File,
    /// The value at a YAML path.
    Value(YamlPath),
    /// The key that ends a YAML path (for unknown or misplaced keys).
    Key(YamlPath),
    /// A known line and column (1-based), e.g. from serde_yaml.
    Position { line: usize, column: usize },
    /// A byte range of the file (Markdown).
    Bytes { start: usize, len: usize },
}

/// A content error before it is placed: what, where (as a path), and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path relative to the site root.
    pub file: PathBuf,
    pub at: At,
    pub message: String,
    pub hint: Option<String>,
    /// Another place the hint should point at (e.g. the first definition of a duplicate).
    pub related: Option<(PathBuf, YamlPath)>,
}

impl Problem {
    /// A problem at `at` of `file`.
    pub fn new(file: impl Into<PathBuf>, at: At, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            at,
            message: message.into(),
            hint: None,
            related: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds an optional hint.
    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Points the hint at another place, shown as `… at file:line:column`.
    pub fn related(mut self, file: &Path, path: YamlPath) -> Self {
        self.related = Some((file.to_owned(), path));
        self
    }
}

/// Turns problems into located diagnostics, parsing each YAML file that has a
/// problem once more with spans. `sources` maps file paths to their text.
pub fn resolve(problems: Vec<Problem>, sources: &BTreeMap<PathBuf, String>) -> Diagnostics {
    let mut trees: BTreeMap<PathBuf, Option<Node>> = BTreeMap::new();
    let mut out = Vec::with_capacity(problems.len());
    for problem in problems {
        let related = problem.related.as_ref().map(|(file, path)| {
            let text = sources.get(file).map(String::as_str).unwrap_or("");
            let tree = tree_of(&mut trees, file, text);
            let place = find(tree, path, false)
                .map(|(line, column)| format!("{}:{line}:{column}", show(file)))
                .unwrap_or_else(|| show(file));
            place
        });
        let text = sources.get(&problem.file).map(String::as_str).unwrap_or("");
        let mut hint = problem.hint.clone();
        if let Some(place) = related {
            hint = Some(match hint {
                Some(h) => format!("{h}; first defined at {place}"),
                None => format!("first defined at {place}"),
            });
        }
        let mut message = problem.message.clone();
        let position = match &problem.at {
            At::File => None,
            At::Position { line, column } => Some((*line, *column)),
            At::Bytes { start, .. } => Some(line_column(text, *start)),
            At::Value(path) | At::Key(path) => {
                let key = matches!(problem.at, At::Key(_));
                let tree = tree_of(&mut trees, &problem.file, text);
                let found = find(tree, path, key);
                if found.is_none() && !path.0.is_empty() {
                    message = format!("{message} (at `{path}`)");
                }
                found
            }
        };
        let base = Diagnostic::file(problem.file.clone(), message);
        let diagnostic = match position {
            Some((line, column)) if line > 0 => {
                let width = match &problem.at {
                    At::Bytes { start, len } => text
                        .get(*start..start.saturating_add(*len).min(text.len()))
                        .map(|s| s.lines().next().unwrap_or("").chars().count())
                        .unwrap_or(1),
                    _ => token_width(text, line, column),
                };
                base.at(text, line, column, width)
            }
            _ => base,
        };
        let hint = hint.map(|h| match &diagnostic.source_line {
            Some(line) if h.contains(SOURCE) => {
                let token: String = line
                    .chars()
                    .skip(diagnostic.column.saturating_sub(1))
                    .take(diagnostic.width)
                    .collect();
                h.replace(SOURCE, token.trim_matches(['"', '\'']))
            }
            _ => h.replace(SOURCE, "…"),
        });
        out.push(Diagnostic { hint, ..diagnostic });
    }
    Diagnostics(out).sorted()
}

fn show(file: &Path) -> String {
    file.display().to_string().replace('\\', "/")
}

fn tree_of<'a>(
    trees: &'a mut BTreeMap<PathBuf, Option<Node>>,
    file: &Path,
    text: &str,
) -> Option<&'a Node> {
    trees
        .entry(file.to_owned())
        .or_insert_with(|| parse_spanned(text))
        .as_ref()
}

/// Parses YAML keeping spans; `None` when marked-yaml cannot read it.
fn parse_spanned(text: &str) -> Option<Node> {
    if text.trim().is_empty() {
        return None;
    }
    // marked-yaml is a second opinion on a file serde_yaml already accepted; should it
    // ever panic on an odd input, lose the position rather than the whole report.
    let text = text.to_owned();
    std::panic::catch_unwind(move || marked_yaml::parse_yaml(0, &text).ok())
        .ok()
        .flatten()
}

/// The line and column of the value (or key) at `path`, or of the deepest part that exists.
fn find(tree: Option<&Node>, path: &YamlPath, want_key: bool) -> Option<(usize, usize)> {
    let mut node = tree?;
    let mut best = start_of(node);
    let last = path.0.len().saturating_sub(1);
    for (i, seg) in path.0.iter().enumerate() {
        match seg {
            Segment::Key(key) => {
                let map = node.as_mapping()?;
                let found = map.iter().find(|(k, _)| k.as_str() == &**key);
                let Some((k, v)) = found else {
                    return best;
                };
                if want_key && i == last {
                    return k.span().start().map(|m| (m.line(), m.column()));
                }
                best = start_of(v).or_else(|| k.span().start().map(|m| (m.line(), m.column())));
                node = v;
            }
            Segment::Index(n) => {
                let Some(v) = node.as_sequence().and_then(|s| s.get(*n)) else {
                    return best;
                };
                best = start_of(v).or(best);
                node = v;
            }
        }
    }
    best
}

fn start_of(node: &Node) -> Option<(usize, usize)> {
    node.span().start().map(|m| (m.line(), m.column()))
}

/// The 1-based line and character column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// How many characters the YAML token starting at `line:column` spans on its line.
pub fn token_width(text: &str, line: usize, column: usize) -> usize {
    let Some(source_line) = text.lines().nth(line.saturating_sub(1)) else {
        return 1;
    };
    let rest: Vec<char> = source_line.chars().skip(column.saturating_sub(1)).collect();
    let in_flow = source_line
        .chars()
        .take(column.saturating_sub(1))
        .any(|c| c == '[' || c == '{');
    let width = match rest.first() {
        None => 1,
        Some('"') => {
            let mut escaped = false;
            let mut end = rest.len();
            for (i, c) in rest.iter().enumerate().skip(1) {
                if escaped {
                    escaped = false;
                } else if *c == '\\' {
                    escaped = true;
                } else if *c == '"' {
                    end = i + 1;
                    break;
                }
            }
            end
        }
        Some('\'') => {
            let mut end = rest.len();
            let mut i = 1;
            while i < rest.len() {
                if rest[i] == '\'' {
                    if rest.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    end = i + 1;
                    break;
                }
                i += 1;
            }
            end
        }
        Some('[' | '{' | '|' | '>') => 1,
        Some(_) => {
            let mut end = rest.len();
            for (i, c) in rest.iter().enumerate() {
                let next_is_space = rest.get(i + 1).is_none_or(|n| n.is_whitespace());
                if (*c == '#' && i > 0 && rest[i - 1].is_whitespace())
                    || (*c == ':' && next_is_space)
                    || (in_flow && matches!(c, ',' | ']' | '}'))
                {
                    end = i;
                    break;
                }
            }
            let trimmed = rest[..end]
                .iter()
                .rposition(|c| !c.is_whitespace())
                .map(|p| p + 1)
                .unwrap_or(1);
            trimmed
        }
    };
    width.max(1)
}

/// A readable problem from a serde_yaml error of `file`; `line_offset` is added
/// to its line (front matter starts after the `---` line of a page).
pub fn from_yaml_error(file: &Path, err: &serde_yaml::Error, line_offset: usize) -> Problem {
    let raw = strip_marks(&err.to_string());
    let raw = strip_path_prefix(&raw);
    let (message, hint) = explain(raw);
    let at = match err.location() {
        Some(loc) if loc.line() > 0 => At::Position {
            line: loc.line() + line_offset,
            column: loc.column(),
        },
        _ => At::File,
    };
    Problem::new(file, at, message).maybe_hint(hint)
}

/// A readable problem at `at` of `file` from a serde message (as serde words it,
/// without a position).
pub fn problem_from_message(file: &Path, at: At, message: &str) -> Problem {
    let raw = strip_marks(message);
    let (message, hint) = explain(strip_path_prefix(&raw));
    Problem::new(file, at, message).maybe_hint(hint)
}

/// Removes the ` at line N column M` / ` at position N` parts serde_yaml appends.
fn strip_marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let cut = [" at line ", " at position "]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
            .min();
        let Some((i, len)) = cut else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        let after = &rest[i + len..];
        // Skip "N column M" or "N".
        let mut skipped = after.trim_start_matches(|c: char| c.is_ascii_digit());
        if let Some(s) = skipped.strip_prefix(" column ") {
            skipped = s.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        rest = skipped;
    }
    out
}

/// Drops the `categories[0].dishes[1]: ` prefix serde_yaml puts before a message.
fn strip_path_prefix(text: &str) -> &str {
    if let Some((prefix, rest)) = text.split_once(": ") {
        let path_like = !prefix.is_empty()
            && prefix
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '?'))
            && (prefix.contains('.') || prefix.contains('[') || !rest.is_empty());
        // "unknown field", "missing field", "invalid type"… never start with a path.
        if path_like && !prefix.contains(' ') {
            return rest;
        }
    }
    text
}

/// Splits a serde message into what is wrong and what to do.
fn explain(message: &str) -> (String, Option<String>) {
    for kind in ["field", "variant"] {
        let lead = format!("unknown {kind} `");
        if let Some(rest) = message.strip_prefix(&lead) {
            let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
            let expected = backticked(tail);
            let what = format!("unknown {kind} `{name}`");
            let hint = match suggest(name, expected.iter().map(String::as_str)) {
                Some(best) => Some(format!("did you mean `{best}`?")),
                None if expected.is_empty() => None,
                None => Some(format!("expected one of: {}", expected.join(", "))),
            };
            return (what, hint);
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return (
            format!("missing field `{name}`"),
            Some(format!("add `{name}:` to this mapping")),
        );
    }
    for lead in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(lead) {
            if let Some((found, expected)) = rest.split_once(", expected ") {
                return (format!("expected {expected}, found {found}"), None);
            }
            return (message.to_owned(), None);
        }
    }
    if message.starts_with(crate::content::UNQUOTED_COMMA) {
        return (
            message.to_owned(),
            Some(
                "quote text that contains a comma: {zh: \"担担面\", en: \"Pork, chilli oil\"}"
                    .to_owned(),
            ),
        );
    }
    if message.contains("duplicate field") {
        return (message.to_owned(), Some("remove one of them".to_owned()));
    }
    let hint = if message.starts_with("mapping values are not allowed") {
        "a `: ` inside a value starts a new key: put the whole value in quotes"
    } else if message.contains("tab") {
        "indent with spaces, not tabs"
    } else {
        "check the indentation and quoting near here"
    };
    (format!("YAML error: {message}"), Some(hint.to_owned()))
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_of_tokens() {
        let text = "a: \"-3\" # no\nb: plain text  # c\nc: [mon, tue]\nd: 'it''s'\n";
        assert_eq!(token_width(text, 1, 4), 4);
        assert_eq!(token_width(text, 2, 4), 10);
        assert_eq!(token_width(text, 3, 5), 3);
        assert_eq!(token_width(text, 4, 4), 7);
        assert_eq!(token_width(text, 9, 1), 1);
    }

    #[test]
    fn finds_values_and_keys() {
        let text = "menu:\n  dishes:\n    - id: a\n      price: \"3\"\n";
        let tree = parse_spanned(text);
        let path = YamlPath::root()
            .key("menu")
            .key("dishes")
            .index(0)
            .key("price");
        assert_eq!(find(tree.as_ref(), &path, false), Some((4, 14)));
        assert_eq!(find(tree.as_ref(), &path, true), Some((4, 7)));
        // A missing key falls back to the deepest part that exists.
        let missing = YamlPath::root().key("menu").key("dishes").index(5);
        assert_eq!(find(tree.as_ref(), &missing, false), Some((3, 5)));
    }

    proptest::proptest! {
        #[test]
        fn positions_never_panic(text in "\\PC{0,80}", line in 0usize..6, column in 0usize..90, offset in 0usize..400) {
            let _ = token_width(&text, line, column);
            let _ = line_column(&text, offset);
            let path = YamlPath::root().key("a").index(line).key("b");
            let problems = vec![
                Problem::new("x.yaml", At::Value(path.clone()), "m").hint(SOURCE),
                Problem::new("x.yaml", At::Key(path), "m"),
                Problem::new("x.yaml", At::Bytes { start: offset, len: column }, "m"),
                Problem::new("x.yaml", At::Position { line, column }, "m"),
            ];
            let sources = BTreeMap::from([(PathBuf::from("x.yaml"), text)]);
            // Each problem becomes exactly one diagnostic (resolved one by one:
            // together, two that land on the same place are rightly merged).
            for problem in problems {
                proptest::prop_assert_eq!(resolve(vec![problem], &sources).len(), 1);
            }
        }
    }

    #[test]
    fn suggestions_are_close() {
        assert_eq!(suggest("prise", ["price", "name"]), Some("price"));
        assert_eq!(suggest("zzzzzz", ["price", "name"]), None);
    }

    #[test]
    fn strips_serde_noise() {
        assert_eq!(
            strip_marks("did not find expected key at line 3 column 5, while parsing a block mapping at line 1 column 1"),
            "did not find expected key, while parsing a block mapping"
        );
        assert_eq!(
            strip_path_prefix("categories[0].dishes[0]: unknown field `x`"),
            "unknown field `x`"
        );
        assert_eq!(line_column("ab\ncé d", 6), (2, 3));
    }
}
