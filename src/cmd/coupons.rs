//! `carte coupons issue CAMPAIGN --count N`: unique single-use codes stored in
//! the site's store, a CSV of them and a printable HTML sheet of QR codes that
//! open the location's menu with the code filled in (`?coupon=CODE`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use functions::codes::issue_batch;
use functions::csv::{text, Csv};

/// What to do with coupons.
#[derive(Subcommand)]
pub enum CouponsAction {
    /// Issue a batch of unique single-use codes for a campaign's coupon.
    #[command(
        after_help = "Examples:\n  carte coupons issue spring-festival --count 200 --channel flyer-north-gate\n  carte coupons mysite issue spring-festival --coupon SPRING10 --out codes/"
    )]
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

/// Codes per printable sheet (one HTML file): ten A4 pages of 40.
pub const CODES_PER_SHEET: usize = 400;

/// What the coupon gives, in the site's default language: "10.00 off orders of 60.00".
fn offer(site: &catalog::Site, coupon: &catalog::Coupon) -> String {
    coupon.offer(site, site.default_language())
}

/// The printable sheets of a batch: at most [`CODES_PER_SHEET`] codes each, every
/// page headed with the shop, the campaign, the offer and the expiry date.
fn sheets(
    site: &catalog::Site,
    campaign: &catalog::Campaign,
    coupon: Option<&catalog::Coupon>,
    codes: &[functions::store::BatchCode],
    batch: &str,
    url_of: &dyn Fn(&str) -> String,
) -> anyhow::Result<Vec<String>> {
    let lang = site.default_language();
    let zh = lang.starts_with("zh");
    let shop = site.settings.name.get(lang, lang);
    let offer = coupon.map(|k| offer(site, k)).unwrap_or_default();
    let until = coupon
        .and_then(|k| k.valid_until)
        // The end is exclusive: a date in the content means "through that day".
        .map(|end| {
            (end - chrono::Duration::seconds(1))
                .with_timezone(&site.settings.timezone)
                .format("%Y-%m-%d")
                .to_string()
        })
        .map(|day| {
            if zh {
                format!("有效期至 {day}")
            } else {
                format!("valid until {day}")
            }
        })
        .unwrap_or_default();
    let chunks: Vec<&[functions::store::BatchCode]> = codes.chunks(CODES_PER_SHEET).collect();
    let mut out = Vec::with_capacity(chunks.len());
    for (index, chunk) in chunks.iter().enumerate() {
        let mut html = format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{shop} — {title} — {page}/{pages}</title><style>\
body{{font:14px/1.3 system-ui,sans-serif;margin:0}}\
header{{margin:8mm 8mm 4mm}}h1{{font-size:16px;margin:0}}header p{{margin:1mm 0}}\
.sheet{{display:grid;grid-template-columns:repeat(4,1fr);gap:4mm;margin:0 8mm}}\
figure{{margin:0;padding:3mm;border:1px dashed #999;text-align:center;break-inside:avoid}}\
svg{{width:32mm;height:32mm}}\
figcaption{{font:600 13px ui-monospace,monospace;letter-spacing:.08em}}\
figure small{{display:block;font:11px system-ui,sans-serif}}\
@page{{size:A4;margin:8mm}}\
</style></head><body><header><h1>{shop} · {title}</h1><p>{offer}{sep}{until}</p>\
<p><small>{count} codes · {coupon_code} · {batch} · {page}/{pages}</small></p></header><main class=\"sheet\">\n",
            shop = escape(shop),
            title = escape(campaign.name.get(lang, lang)),
            offer = escape(&offer),
            sep = if offer.is_empty() || until.is_empty() { "" } else { " · " },
            until = escape(&until),
            count = codes.len(),
            coupon_code = escape(coupon.map(|k| k.code.as_str()).unwrap_or("")),
            batch = escape(batch),
            page = index + 1,
            pages = chunks.len(),
        );
        for c in *chunk {
            let _ = writeln!(
                html,
                "<figure>{}<figcaption>{}</figcaption><small>{}</small></figure>",
                generator::render::qr::svg(&url_of(&c.code))?,
                escape(&c.code),
                escape(&offer)
            );
        }
        html.push_str("</main></body></html>\n");
        out.push(html);
    }
    Ok(out)
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
    csv.header(&["code", "coupon", "campaign", "batch", "url", "channel"]);
    for c in &codes {
        csv.row(&[
            text(c.code.clone()),
            text(c.coupon.clone()),
            text(c.campaign.clone()),
            text(c.batch.clone()),
            text(url_of(&c.code)),
            text(c.channel.clone().unwrap_or_default()),
        ]);
    }
    let stem = format!("{campaign}-{batch}");
    let csv_path = out.join(format!("{stem}.csv"));
    std::fs::write(&csv_path, csv.finish())?;
    let coupon = codes
        .first()
        .and_then(|c| site.coupon(&c.coupon))
        .map(|(_, k)| k.clone());
    let sheets = sheets(&site, found, coupon.as_ref(), &codes, &batch, &url_of)?;
    let mut html_paths = Vec::new();
    for (index, sheet) in sheets.iter().enumerate() {
        let path = if sheets.len() == 1 {
            out.join(format!("{stem}.html"))
        } else {
            out.join(format!("{stem}-{}.html", index + 1))
        };
        std::fs::write(&path, sheet)?;
        html_paths.push(path);
    }
    println!(
        "Issued {} codes for {} ({})",
        codes.len(),
        campaign,
        codes.first().map(|c| c.coupon.as_str()).unwrap_or("")
    );
    println!("  {}", csv_path.display());
    for path in &html_paths {
        println!("  {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
