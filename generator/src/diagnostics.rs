//! Content errors a person can act on: file:line:column, the line, a caret, a hint.

use std::fmt;
use std::path::PathBuf;

use unicode_width::UnicodeWidthChar;

/// One content error, located in a file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Path relative to the site root, e.g. `menus/main.yaml`.
    pub file: PathBuf,
    /// 1-based line; 0 when the error is about the file as a whole.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The text of `line`, shown under the location.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// An error about a whole file (no position).
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: 0,
            column: 0,
            width: 1,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Places the error at a line and column of `source` and keeps that line for display.
    pub fn at(mut self, source: &str, line: usize, column: usize, width: usize) -> Self {
        self.line = line;
        self.column = column.max(1);
        self.width = width.max(1);
        self.source_line = source
            .lines()
            .nth(line.saturating_sub(1))
            .map(str::to_owned);
        self
    }
}

impl Diagnostic {
    /// Shows it as a warning: content that works but may not mean what it says.
    pub fn as_warning(&self) -> Warning<'_> {
        Warning(self)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, severity: &str) -> fmt::Result {
        writeln!(f, "{severity}: {}", self.message)?;
        let file = self.file.display().to_string().replace('\\', "/");
        if self.line == 0 {
            writeln!(f, "  --> {file}")?;
            if let Some(hint) = &self.hint {
                writeln!(f, "   = hint: {hint}")?;
            }
            return Ok(());
        }
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{pad}--> {file}:{}:{}", self.line, self.column)?;
        match &self.source_line {
            Some(text) => {
                writeln!(f, "{pad} |")?;
                writeln!(f, "{number} | {text}")?;
                // Placed by display width: a Chinese character takes two columns.
                let indent: String = text
                    .chars()
                    .take(self.column - 1)
                    .map(|c| if c == '\t' { "\t" } else { spaces(c) })
                    .collect();
                let under: usize = text
                    .chars()
                    .skip(self.column - 1)
                    .take(self.width)
                    .map(|c| UnicodeWidthChar::width(c).unwrap_or(0))
                    .sum();
                let carets = "^".repeat(under.max(1));
                match &self.hint {
                    Some(hint) => writeln!(f, "{pad} | {indent}{carets} {hint}")?,
                    None => writeln!(f, "{pad} | {indent}{carets}")?,
                }
            }
            None => {
                if let Some(hint) = &self.hint {
                    writeln!(f, "{pad} = hint: {hint}")?;
                }
            }
        }
        Ok(())
    }
}

/// Blanks as wide as `c` is on a terminal.
fn spaces(c: char) -> &'static str {
    match UnicodeWidthChar::width(c).unwrap_or(0) {
        0 => "",
        1 => " ",
        _ => "  ",
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "error")
    }
}

/// A [`Diagnostic`] shown as a warning.
#[derive(Debug, Clone, Copy)]
pub struct Warning<'a>(&'a Diagnostic);

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, "warning")
    }
}

/// Every content error of a site, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Sorts by file, line and column, so output is stable across runs.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
        });
        self.0.dedup();
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "error: {n} content error{} found",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_sits_under_chinese_text_by_display_width() {
        let src = "name: {zh: 担担面, en: 12}\n";
        let d = Diagnostic::file("menus/main.yaml", "expected a string")
            .with_hint("here")
            .at(src, 1, 12, 3);
        let text = d.to_string();
        let caret = text.lines().last().unwrap_or("");
        // `name: {zh: ` is 11 columns, then three double-width characters.
        assert_eq!(caret, format!("  | {}^^^^^^ here", " ".repeat(11)), "{text}");
        let d = Diagnostic::file("m.yaml", "x").at("a: {zh: 担担面, en: 1}\n", 1, 18, 1);
        let caret_line = d.to_string();
        let caret = caret_line.lines().last().unwrap_or("");
        assert_eq!(caret.find('^'), Some("  | ".len() + "a: {zh: ".len() + 6 + ", en: ".len()));
    }

    #[test]
    fn renders_like_rustc() {
        let src = "dishes:\n  - id: tea\n    price: \"-3\"\n";
        let d = Diagnostic::file("menus/main.yaml", "price must not be negative")
            .with_hint("use a decimal string such as \"32.00\"")
            .at(src, 3, 12, 4);
        assert_eq!(
            d.to_string(),
            "error: price must not be negative\n --> menus/main.yaml:3:12\n  |\n3 |     price: \"-3\"\n  |            ^^^^ use a decimal string such as \"32.00\"\n"
        );
    }
}
