//! QR codes as SVG: one per table (opens the menu at that table) and one per
//! campaign channel (a tracked link), listed on a printable sheet.

use std::collections::HashMap;

use catalog::Site;
use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};
use rayon::prelude::*;
use serde::Serialize;

use super::{Output, RenderError};
use crate::urls;

/// One printable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Code {
    /// What to print under it: `Harbour · Table 7`.
    pub label: String,
    /// The absolute URL it opens.
    pub url: String,
    /// Site-relative URL of its SVG.
    pub svg: String,
}

/// A group of codes on the sheet: a location's tables or a campaign's channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sheet {
    pub title: String,
    pub codes: Vec<Code>,
}

/// Every code of the site, grouped, with labels in `lang`.
pub fn sheets(
    site: &Site,
    base_url: &str,
    lang: &str,
    table_word: &str,
    tables_word: &str,
) -> Vec<Sheet> {
    let fallback = site.default_language();
    let qr_lang = site.default_language();
    let mut out = Vec::new();
    for loc in &site.locations {
        if loc.tables.is_empty() {
            continue;
        }
        let name = loc.name.get(lang, fallback);
        out.push(Sheet {
            title: format!("{name} · {tables_word}"),
            codes: loc
                .tables
                .iter()
                .map(|t| Code {
                    label: format!("{name} · {table_word} {t}"),
                    url: format!("{base_url}{}", urls::table_link(qr_lang, &loc.id, t)),
                    svg: urls::table_qr(&loc.id, t),
                })
                .collect(),
        });
    }
    for campaign in &site.campaigns {
        if campaign.channels.is_empty() {
            continue;
        }
        let name = campaign.name.get(lang, fallback);
        out.push(Sheet {
            title: name.to_owned(),
            codes: campaign
                .channels
                .iter()
                .map(|ch| Code {
                    label: format!("{name} · {}", ch.name.get(lang, fallback)),
                    url: format!("{base_url}{}", channel_path(site, &campaign.id, &ch.id)),
                    svg: urls::channel_qr(&campaign.id, &ch.id),
                })
                .collect(),
        });
    }
    out
}

/// The site-relative tracked link of a channel, opening its location's menu in the
/// default language (the site's first location when the channel names none).
pub fn channel_path(site: &Site, campaign: &str, channel: &str) -> String {
    let lang = site.default_language();
    let location = site
        .campaign(campaign)
        .and_then(|c| c.channel(channel))
        .and_then(|ch| ch.location.clone())
        .or_else(|| site.locations.first().map(|l| l.id.clone()));
    match location {
        Some(loc) => urls::channel_link(lang, &loc, campaign, channel),
        None => format!(
            "{}?c={}&ch={}",
            urls::home(lang),
            urls::query_escape(campaign),
            urls::query_escape(channel)
        ),
    }
}

/// Modules of white around a code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// The SVG of a QR code for `url`: black modules on white, with the quiet zone.
pub fn svg(url: &str) -> Result<String, RenderError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| {
        RenderError::Qr {
            url: url.to_owned(),
            message: e.to_string(),
        }
    })?;
    Ok(path_svg(code.width(), &code.to_colors()))
}

/// Draws a code as one path: each row's runs of dark modules as a horizontal stroke
/// one module wide, each run reached by a relative move. A table's code is about
/// 1.5 KB this way, where a square per module took 8.6 KB.
fn path_svg(width: usize, colors: &[Color]) -> String {
    let size = width + 2 * QUIET_ZONE;
    let mut d = String::new();
    // The pen after the last run (x at its end, y its row); `None` before the first.
    let mut pen: Option<(usize, usize)> = None;
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == Color::Dark {
                x += 1;
            }
            let (sx, sy) = (start + QUIET_ZONE, y + QUIET_ZONE);
            // Writing to a String cannot fail.
            let _ = match pen {
                None => write!(d, "M{sx} {sy}.5h{}", x - start),
                Some((px, py)) => write!(
                    d,
                    "m{} {}h{}",
                    sx as i64 - px as i64,
                    sy - py,
                    x - start
                ),
            };
            pen = Some((x + QUIET_ZONE, sy));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         width=\"256\" height=\"256\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{d}\" stroke=\"#000\"/></svg>"
    )
}

/// The SVG files of every table and channel code.
pub fn render_codes(site: &Site, base_url: &str) -> Result<Vec<Output>, RenderError> {
    render_codes_cached(site, base_url, None).map(|(outputs, _)| outputs)
}

/// Like [`render_codes`], taking the SVG of a URL from `known` (the codes of the last
/// render) when it is there; also hands back every code made, by URL, for the next one.
pub fn render_codes_cached(
    site: &Site,
    base_url: &str,
    known: Option<&HashMap<String, String>>,
) -> Result<(Vec<Output>, HashMap<String, String>), RenderError> {
    let codes: Vec<Code> = sheets(site, base_url, site.default_language(), "", "")
        .into_iter()
        .flat_map(|s| s.codes)
        .collect();
    let made: Vec<(Output, String)> = codes
        .par_iter()
        .map(|c| {
            let image = match known.and_then(|k| k.get(&c.url)) {
                Some(image) => image.clone(),
                None => svg(&c.url)?,
            };
            Ok((
                Output::new(c.svg.trim_start_matches('/').to_owned(), image),
                c.url.clone(),
            ))
        })
        .collect::<Result<_, RenderError>>()?;
    let mut cache = HashMap::new();
    let mut outputs = Vec::with_capacity(made.len());
    for (output, url) in made {
        if known.is_some() {
            cache.insert(url, String::from_utf8_lossy(&output.bytes).into_owned());
        }
        outputs.push(output);
    }
    Ok((outputs, cache))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the path back into modules: the runs it strokes, row by row.
    fn modules(svg: &str, width: usize) -> Vec<bool> {
        let d = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut dark = vec![false; width * width];
        let (mut x, mut y) = (0i64, 0i64);
        let mut rest = d;
        while !rest.is_empty() {
            let op = rest.chars().next().unwrap();
            rest = &rest[1..];
            let end = rest.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(rest.len());
            let args: Vec<f64> = rest[..end]
                .split(' ')
                .map(|n| n.parse().unwrap())
                .collect();
            rest = &rest[end..];
            match op {
                'M' => (x, y) = (args[0] as i64, args[1].floor() as i64),
                'm' => (x, y) = (x + args[0] as i64, y + args[1] as i64),
                'h' => {
                    for i in 0..args[0] as i64 {
                        let (mx, my) = ((x + i) as usize - QUIET_ZONE, y as usize - QUIET_ZONE);
                        dark[my * width + mx] = true;
                    }
                    x += args[0] as i64;
                }
                other => panic!("unexpected {other}"),
            }
        }
        dark
    }

    #[test]
    fn the_path_strokes_exactly_the_dark_modules() {
        for url in [
            "https://example.com/zh/harbour/?table=7",
            "https://shop.example.com/en/?c=spring-festival&ch=flyer-north-gate",
            "x",
        ] {
            let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).unwrap();
            let want: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
            let svg = svg(url).unwrap();
            assert_eq!(modules(&svg, code.width()), want, "{url}");
        }
    }

    #[test]
    fn a_table_code_is_a_fifth_of_a_square_per_module() {
        let svg = svg("https://example.com/zh/harbour/?table=7").unwrap();
        assert!(svg.len() < 1_600, "{} bytes", svg.len());
    }
}
