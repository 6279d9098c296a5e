//! QR codes as SVG: one per table (opens the menu at that table) and one per
//! campaign channel (a tracked link), listed on a printable sheet.

use std::collections::HashMap;

use catalog::Site;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
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

/// The SVG of a QR code for `url`: black modules on white, with the quiet zone.
pub fn svg(url: &str) -> Result<String, RenderError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| {
        RenderError::Qr {
            url: url.to_owned(),
            message: e.to_string(),
        }
    })?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
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
