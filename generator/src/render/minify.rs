//! Minification of the theme's CSS and JavaScript, once per theme load: what a diner's
//! phone downloads is what it runs, without the comments and long names written for
//! the people who edit the theme.
//!
//! JavaScript goes through [oxc](https://oxc.rs)'s parser, minifier (compress and
//! mangle) and printer. The theme's scripts are ES modules (loaded by `import()` or
//! `type="module"`), whose top-level names can be shortened; the service worker `sw.js`
//! is a classic script, whose top level is global and kept. A script that does not parse
//! is an error naming its file, line and column, never a silently broken storefront.

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_minifier::{Minifier, MinifierOptions};
use oxc_parser::Parser;
use oxc_span::SourceType;

/// A script of the theme that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line of the first error.
    pub line: usize,
    /// 1-based column (in characters) of the first error.
    pub column: usize,
    /// The parser's explanation.
    pub message: String,
}

/// Minifies the JavaScript `source` of the static file `name` (e.g. `app.js`,
/// `root/sw.js`): a module unless it is the service worker.
pub fn js(name: &str, source: &str) -> Result<String, ScriptError> {
    let classic = name == "sw.js" || name.ends_with("/sw.js");
    let source_type = if classic {
        SourceType::script()
    } else {
        SourceType::mjs()
    };
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        let offset = error
            .labels
            .as_slice()
            .first()
            .map_or(0, |label| label.offset() as usize)
            .min(source.len());
        let before = &source[..floor_char_boundary(source, offset)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        return Err(ScriptError {
            line,
            column,
            message: error.message.to_string(),
        });
    }
    let mut program = parsed.program;
    let minified = Minifier::new(MinifierOptions::default()).minify(&allocator, &mut program);
    Ok(Codegen::new()
        .with_options(CodegenOptions::minify())
        .with_scoping(minified.scoping)
        .build(&program)
        .code)
}

/// The largest char boundary of `text` at or before `index`.
fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A small, safe CSS minifier: drops comments, collapses whitespace and removes it
/// around `{ } ; , >` and before `}`-closing semicolons. Strings are left untouched.
pub fn css(css: &str) -> String {
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
        let source = "/* c */\n.a  >  .b ,\n.c {\n  color : red;\n  margin: 0 auto;\n}\na :hover { content: \"x  /* y */\"; }\n@media (min-width: 40rem) { .d { width: calc(1px + 2px); } }";
        assert_eq!(
            css(source),
            ".a>.b,.c{color :red;margin:0 auto}a :hover{content:\"x  /* y */\"}@media (min-width:40rem){.d{width:calc(1px + 2px)}}"
        );
    }

    #[test]
    fn shortens_a_module_and_keeps_its_exports() {
        let source = "// The total of a cart, in minor units.\nexport function cartTotal(lines) {\n  let runningTotal = 0;\n  for (const line of lines) runningTotal += line.price * line.quantity;\n  return runningTotal;\n}\n";
        let out = js("cart.js", source).expect("parses");
        assert!(out.len() < source.len() / 2, "{out}");
        assert!(
            !out.contains("runningTotal") && !out.contains("minor units"),
            "{out}"
        );
        assert!(
            out.contains("cartTotal"),
            "the export keeps its name: {out}"
        );
    }

    #[test]
    fn keeps_the_top_level_of_a_classic_script() {
        let out = js("root/sw.js", "const CACHE = 'carte-v1';\nfunction cacheName() { return CACHE; }\nself.n = cacheName;\n")
            .expect("parses");
        assert!(out.contains("cacheName"), "{out}");
    }

    #[test]
    fn names_the_line_and_column_of_a_syntax_error() {
        let error = js("app.js", "const a = 1;\nconst b = ;\n").expect_err("does not parse");
        assert_eq!((error.line, error.column), (2, 11), "{error:?}");
        assert!(!error.message.is_empty());
        let error = js("app.js", "// é\nlet = = 2;").expect_err("does not parse");
        assert_eq!(error.line, 2, "{error:?}");
    }
}
