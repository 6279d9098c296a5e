//! What kind of picture a file under `images/` is, from its first bytes: the
//! formats a storefront can show, and the ones a merchant's phone makes that it
//! cannot (an iPhone's HEIC), so `carte check` can say so at the line naming it.

/// A picture the build can publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureKind {
    Jpeg,
    Png,
    /// Decoded and published as JPEG (or PNG when it has transparency).
    WebP,
    /// Its first frame, published as PNG.
    Gif,
    /// Published untouched: a drawing scales by itself.
    Svg,
}

/// Why a file under `images/` cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PictureProblem {
    /// HEIC/HEIF (iPhone photos) or AVIF: browsers cannot all show them.
    Heic,
    /// A format the build does not read (TIFF, BMP…), named.
    Unsupported(&'static str),
    /// The file is empty, cut short or not a picture at all.
    Corrupt(String),
}

impl PictureProblem {
    /// The message for `carte check`, naming the file.
    pub fn message(&self, name: &str) -> String {
        match self {
            PictureProblem::Heic => {
                format!("`{name}` is a HEIC/HEIF photo, which browsers cannot show")
            }
            PictureProblem::Unsupported(format) => {
                format!("`{name}` is a {format} image, which the build cannot publish")
            }
            PictureProblem::Corrupt(why) => format!("`{name}` is not a readable picture: {why}"),
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            PictureProblem::Heic | PictureProblem::Unsupported(_) => {
                "export it as JPEG (photos) or PNG (drawings), then name that file"
            }
            PictureProblem::Corrupt(_) => {
                "open it in an image editor and export it as JPEG, then name that file"
            }
        }
    }
}

/// Extensions (lower case) of pictures the build cannot publish: listed so that
/// naming one gives a hint instead of "no such image".
pub const REFUSED_EXTENSIONS: &[&str] = &["heic", "heif", "avif", "tif", "tiff", "bmp"];

/// The kind of a picture from its first bytes (at least 32 when the file has
/// them), and its file name for the SVG case (an SVG is text: its first bytes
/// are only `<`).
pub fn sniff(name: &str, head: &[u8]) -> Result<PictureKind, PictureProblem> {
    if head.is_empty() {
        return Err(PictureProblem::Corrupt("the file is empty".into()));
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(PictureKind::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(PictureKind::Png);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Ok(PictureKind::WebP);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Ok(PictureKind::Gif);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Err(match &head[8..12] {
            b"avif" | b"avis" => PictureProblem::Unsupported("AVIF"),
            _ => PictureProblem::Heic,
        });
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Err(PictureProblem::Unsupported("TIFF"));
    }
    if head.starts_with(b"BM") {
        return Err(PictureProblem::Unsupported("BMP"));
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if name.to_ascii_lowercase().ends_with(".svg") && first == Some(&b'<') {
        return Ok(PictureKind::Svg);
    }
    Err(PictureProblem::Corrupt(
        "its first bytes are not those of a JPEG, PNG, WebP, GIF or SVG file".into(),
    ))
}

/// The width and height an SVG declares (`width`/`height` in pixels, else its
/// `viewBox`), to reserve its space on the page. `None` when it declares neither.
pub fn svg_size(svg: &str) -> Option<(u32, u32)> {
    let start = svg.find("<svg")?;
    let rest = &svg[start..];
    let tag = &rest[..rest.find('>')?];
    let attr = |name: &str| -> Option<&str> {
        let mut from = 0;
        while let Some(i) = tag[from..].find(name) {
            let at = from + i;
            let before = tag[..at].chars().last();
            let after = tag[at + name.len()..].trim_start();
            if before.is_some_and(char::is_whitespace) {
                if let Some(value) = after.strip_prefix('=') {
                    let value = value.trim_start();
                    let quote = value.chars().next()?;
                    if quote == '"' || quote == '\'' {
                        let value = &value[1..];
                        return value.find(quote).map(|end| &value[..end]);
                    }
                }
            }
            from = at + name.len();
        }
        None
    };
    let pixels = |v: &str| -> Option<u32> {
        let v = v.trim().strip_suffix("px").unwrap_or(v.trim());
        let n: f64 = v.parse().ok()?;
        (n.is_finite() && (1.0..100_000.0).contains(&n)).then(|| n.round() as u32)
    };
    if let (Some(w), Some(h)) = (
        attr("width").and_then(pixels),
        attr("height").and_then(pixels),
    ) {
        return Some((w, h));
    }
    let view_box: Vec<f64> = attr("viewBox")?
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match view_box[..] {
        [_, _, w, h] => Some((pixels(&w.to_string())?, pixels(&h.to_string())?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_formats_apart() {
        assert_eq!(sniff("a.jpg", b"\xFF\xD8\xFF\xE0xx"), Ok(PictureKind::Jpeg));
        assert_eq!(
            sniff("a.webp", b"RIFF\0\0\0\0WEBPVP8 "),
            Ok(PictureKind::WebP)
        );
        assert_eq!(sniff("a.gif", b"GIF89a...."), Ok(PictureKind::Gif));
        assert_eq!(sniff("a.svg", b"\n <svg xmlns="), Ok(PictureKind::Svg));
        assert_eq!(
            sniff("a.jpg", b"\0\0\0\x18ftypheic\0\0\0\0"),
            Err(PictureProblem::Heic)
        );
        assert!(matches!(
            sniff("a.png", b""),
            Err(PictureProblem::Corrupt(_))
        ));
        assert!(matches!(
            sniff("a.png", b"not a picture at all"),
            Err(PictureProblem::Corrupt(_))
        ));
        assert!(matches!(
            sniff("a.jpg", b"<svg"),
            Err(PictureProblem::Corrupt(_))
        ));
    }

    #[test]
    fn reads_an_svg_size() {
        assert_eq!(
            svg_size(r#"<svg width="120" height="80">"#),
            Some((120, 80))
        );
        assert_eq!(
            svg_size(r#"<?xml?><svg xmlns="x" viewBox="0 0 300 150">"#),
            Some((300, 150))
        );
        assert_eq!(svg_size(r#"<svg stroke-width="2">"#), None);
        assert_eq!(svg_size("no svg"), None);
    }
}
