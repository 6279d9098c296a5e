//! `carte coupons issue CAMPAIGN --count N`: unique single-use codes stored in
//! the site's store, a CSV of them and a printable HTML sheet of QR codes that
//! open the location's menu with the code filled in (`?coupon=CODE`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use functions::codes::issue_batch;
use functions::csv::Csv;
use qrcode::{EcLevel, QrCode};

/// What to do with coupons.
#[derive(Subcommand)]
pub enum CouponsAction {
    /// Issue a batch of unique single-use codes for a campaign's coupon.
    Issue {
        /// The campaign id.
        campaign: String,
        /// How many codes.
        #[arg(long, default_value_t = 100)]
        count: u32,
        /// The coupon's code, when the campaign has several.
        #[arg(long)]
        coupon: Option<String>,
        /// The campaign channel the codes are handed out through (a flyer, a partner):
        /// orders redeeming them are attributed to it, and the QR codes carry it.
        #[arg(long)]
        channel: Option<String>,
        /// The location whose menu the QR codes open [default: the first channel's, or the first].
        #[arg(long)]
        location: Option<String>,
        /// Folder for the CSV and the sheet [default: DIR/.carte/codes].
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A compact SVG of a QR code: one path, horizontal runs of dark modules.
fn qr_svg(url: &str) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == qrcode::Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == qrcode::Color::Dark {
                    x += 1;
                }
                let _ = write!(
                    path,
                    "M{} {}h{}v1h-{}z",
                    start + quiet,
                    y + quiet,
                    x - start,
                    x - start
                );
            } else {
                x += 1;
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\" role=\"img\" aria-hidden=\"true\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// Runs a coupons action.
pub fn run(
    dir: &Path,
    action: CouponsAction,
    choice: &super::store::StoreArgs,
) -> anyhow::Result<ExitCode> {
    let CouponsAction::Issue {
        campaign,
        count,
        coupon,
        channel,
        location,
        out,
    } = action;
    let runtime = super::runtime()?;
    let (site, store) = super::report::open(dir, choice, &runtime)?;
    let Some(found) = site.campaign(&campaign) else {
        anyhow::bail!("no campaign `{campaign}` in campaigns.yaml");
    };
    let location = match location {
        Some(l) if site.location(&l).is_some() => l,
        Some(l) => anyhow::bail!("no location `{l}`"),
        None => found
            .channels
            .iter()
            .find_map(|c| c.location.clone())
            .or_else(|| site.locations.first().map(|l| l.id.clone()))
            .ok_or_else(|| anyhow::anyhow!("the site has no location"))?,
    };
    let now = chrono::Utc::now();
    let codes = runtime.block_on(async {
        issue_batch(
            store.as_ref(),
            &site,
            &campaign,
            coupon.as_deref(),
            channel.as_deref(),
            count,
            now,
        )
        .await
    })?;
    let out = out.unwrap_or_else(|| dir.join(".carte").join("codes"));
    std::fs::create_dir_all(&out)?;
    let batch = codes.first().map(|c| c.batch.clone()).unwrap_or_default();
    let lang = site.default_language();
    let base = site.settings.base_url.trim_end_matches('/');
    let channel_query = channel
        .as_deref()
        .map(|c| format!("&ch={}", generator::urls::query_escape(c)))
        .unwrap_or_default();
    let url_of = |code: &str| {
        format!(
            "{base}/{lang}/{location}/?coupon={}&c={}{channel_query}",
            generator::urls::query_escape(code),
            generator::urls::query_escape(&campaign)
        )
    };
    let mut csv = Csv::default();
    csv.row(&["code", "coupon", "campaign", "batch", "url", "channel"]);
    for c in &codes {
        csv.row(&[
            c.code.clone(),
            c.coupon.clone(),
            c.campaign.clone(),
            c.batch.clone(),
            url_of(&c.code),
            c.channel.clone().unwrap_or_default(),
        ]);
    }
    let stem = format!("{campaign}-{batch}");
    let csv_path = out.join(format!("{stem}.csv"));
    std::fs::write(&csv_path, csv.finish())?;
    let name = found.name.get(lang, lang);
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} — codes</title><style>\
body{{font:14px/1.3 system-ui,sans-serif;margin:0}}\
h1{{font-size:16px;margin:8mm}}\
.sheet{{display:grid;grid-template-columns:repeat(4,1fr);gap:4mm;margin:0 8mm}}\
figure{{margin:0;padding:3mm;border:1px dashed #999;text-align:center;break-inside:avoid}}\
svg{{width:32mm;height:32mm}}\
figcaption{{font:600 13px ui-monospace,monospace;letter-spacing:.08em}}\
@page{{size:A4;margin:8mm}}\
</style></head><body><h1>{title} · {count} codes · {coupon} · {batch}</h1><main class=\"sheet\">\n",
        title = escape(name),
        count = codes.len(),
        coupon = escape(codes.first().map(|c| c.coupon.as_str()).unwrap_or("")),
        batch = escape(&batch),
    );
    for c in &codes {
        let _ = writeln!(
            html,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            qr_svg(&url_of(&c.code))?,
            escape(&c.code)
        );
    }
    html.push_str("</main></body></html>\n");
    let html_path = out.join(format!("{stem}.html"));
    std::fs::write(&html_path, html)?;
    println!(
        "Issued {} codes for {} ({})",
        codes.len(),
        campaign,
        codes.first().map(|c| c.coupon.as_str()).unwrap_or("")
    );
    println!("  {}", csv_path.display());
    println!("  {}", html_path.display());
    Ok(ExitCode::SUCCESS)
}
