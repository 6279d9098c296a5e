//! `carte report`: the campaign and sales reports as tables; `carte report
//! settlement`: a day's money by payment method.

use std::path::Path;
use std::process::ExitCode;

use catalog::payment::Method;
use catalog::Currency;
use clap::Subcommand;
use functions::figures::{self, Figures, Period};
use functions::settlement::{self, ByMethod, SettlementDay, Takings};
use functions::store::Store;
use std::sync::Arc;

use super::store::StoreArgs;

/// A report other than the campaign and sales figures.
#[derive(Debug, Clone, Subcommand)]
pub enum ReportView {
    /// A day's charges, refunds, net and mismatches per payment method, by the time
    /// each ledger entry was recorded (site timezone).
    #[command(
        after_help = "Examples:\n  carte report settlement\n  carte report settlement --date 2026-12-06 --location chunxi --json"
    )]
    Settlement {
        /// The day (YYYY-MM-DD, site timezone) [default: today].
        #[arg(long)]
        date: Option<String>,
    },
}

/// Opens the site's content and the chosen store, for the marketing commands.
pub fn open(
    dir: &Path,
    choice: &StoreArgs,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<(catalog::Site, Arc<dyn Store>)> {
    let project =
        generator::load_site(dir).map_err(|d| anyhow::anyhow!("the content has errors:\n{d}"))?;
    let store = runtime.block_on(choice.open(dir))?;
    Ok((project.site, store))
}

/// Reads `--from`, `--to` and `--location` against the site.
pub fn period(
    site: &catalog::Site,
    from: Option<&str>,
    to: Option<&str>,
    location: Option<&str>,
) -> anyhow::Result<Period> {
    Period::parse(site, from, to, location, chrono::Utc::now()).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("--{}: {}", e.field, e.reason))
            .collect();
        anyhow::anyhow!(lines.join("\n"))
    })
}

/// Left-aligned first column, right-aligned figures; columns line up by display
/// width, so a Chinese name (two columns a character) does not push the rest out.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = " ".repeat(widths[i] - c.width());
                if i < 2 {
                    format!("{c}{pad}")
                } else {
                    format!("{pad}{c}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.clone()));
        out.push('\n');
    }
    out
}

fn figures_cells(f: &Figures, money: &Currency) -> Vec<String> {
    vec![
        f.visits.to_string(),
        f.orders.to_string(),
        money.format(f.revenue),
        money.format(f.net_paid),
        money.format(f.refunded),
        money.format(f.discount),
        f.redemptions_online.to_string(),
        f.redemptions_counter.to_string(),
        f.new_members.to_string(),
        format!("{}.{:02}%", f.repeat_rate_bp / 100, f.repeat_rate_bp % 100),
        f.cost_per_order.map_or("-".to_owned(), |c| money.format(c)),
        f.roi_bp.map_or("-".to_owned(), |r| {
            format!("{}.{:02}", r / 10_000, r % 10_000 / 100)
        }),
    ]
}

/// `paid` is net of refunds; `ordered` is what the orders cost.
const FIGURE_HEADER: [&str; 12] = [
    "visits",
    "orders",
    "ordered",
    "paid",
    "refunds",
    "discount",
    "online",
    "counter",
    "new",
    "repeat",
    "cost/order",
    "roi",
];

/// Prints the campaign and sales reports of `period`.
pub fn run(
    dir: &Path,
    choice: &StoreArgs,
    from: Option<&str>,
    to: Option<&str>,
    location: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let runtime = super::runtime()?;
    let (site, store) = open(dir, choice, &runtime)?;
    let period = period(&site, from, to, location)?;
    let money = site.settings.currency.clone();
    let (campaigns, sales) = runtime.block_on(async {
        let c = figures::campaign_report(store.as_ref(), &site, &period).await?;
        let s = figures::sales_report(store.as_ref(), &site, &period).await?;
        Ok::<_, functions::StoreError>((c, s))
    })?;
    if json {
        let both = serde_json::json!({ "campaigns": campaigns, "sales": sales });
        println!("{}", serde_json::to_string_pretty(&both)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Campaigns {} to {}{} ({})",
        period.from,
        period.to,
        period
            .location
            .as_deref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default(),
        money.code
    );
    println!();
    let mut header = vec!["campaign", "channel"];
    header.extend(FIGURE_HEADER);
    let mut rows = Vec::new();
    for c in &campaigns.campaigns {
        let mut row = vec![c.campaign.clone(), "(all)".to_owned()];
        row.extend(figures_cells(&c.figures, &money));
        rows.push(row);
        for ch in &c.channels {
            let mut row = vec![String::new(), ch.channel.clone()];
            row.extend(figures_cells(&ch.figures, &money));
            rows.push(row);
        }
    }
    let mut row = vec!["TOTAL".to_owned(), String::new()];
    row.extend(figures_cells(&campaigns.totals, &money));
    rows.push(row);
    print!("{}", table(&header, &rows));
    if campaigns.locations.len() > 1 || period.location.is_none() {
        println!();
        let mut header = vec!["location", ""];
        header.extend(FIGURE_HEADER);
        let rows: Vec<Vec<String>> = campaigns
            .locations
            .iter()
            .map(|l| {
                let mut row = vec![l.location.clone(), String::new()];
                row.extend(figures_cells(&l.figures, &money));
                row
            })
            .collect();
        print!("{}", table(&header, &rows));
    }
    println!();
    print!(
        "{}",
        table(
            &["paid by", "", "net"],
            &method_rows(&campaigns.totals.by_method, &money)
        )
    );
    println!();
    let mut budget_rows = Vec::new();
    for c in &campaigns.campaigns {
        for k in &c.coupons {
            budget_rows.push(vec![
                c.campaign.clone(),
                k.code.clone(),
                k.redemptions.to_string(),
                money.format(k.discount),
                k.budget_left.map_or("-".to_owned(), |b| b.to_string()),
                k.budget_amount_left
                    .map_or("-".to_owned(), |b| money.format(b)),
            ]);
        }
    }
    print!(
        "{}",
        table(
            &[
                "campaign",
                "coupon",
                "redeemed",
                "given",
                "left",
                "money left"
            ],
            &budget_rows
        )
    );
    println!();
    println!(
        "Sales: {} orders, {} {} (the {} days before: {} orders, {} {})",
        sales.orders,
        money.format(sales.revenue),
        money.code,
        period.days(),
        sales.previous.orders,
        money.format(sales.previous.revenue),
        money.code
    );
    println!(
        "Paid: {} {} received, {} {} refunded, {} {} net",
        money.format(sales.paid),
        money.code,
        money.format(sales.refunded),
        money.code,
        money.format(sales.net_paid),
        money.code
    );
    print!(
        "{}",
        table(
            &["paid by", "", "net"],
            &method_rows(&sales.by_method, &money)
        )
    );
    println!();
    let dish_rows: Vec<Vec<String>> = sales
        .by_dish
        .iter()
        .map(|d| {
            vec![
                d.dish.clone(),
                d.name.clone(),
                d.quantity.to_string(),
                money.format(d.revenue),
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["dish", "name", "quantity", "revenue"], &dish_rows)
    );
    println!();
    let hour_rows: Vec<Vec<String>> = sales
        .by_hour
        .iter()
        .filter(|h| h.orders > 0)
        .map(|h| {
            vec![
                format!("{:02}:00", h.hour),
                String::new(),
                h.orders.to_string(),
                money.format(h.revenue),
            ]
        })
        .collect();
    print!("{}", table(&["hour", "", "orders", "revenue"], &hour_rows));
    Ok(ExitCode::SUCCESS)
}

/// One row per payment method: its name and net money.
fn method_rows(by: &ByMethod, money: &Currency) -> Vec<Vec<String>> {
    Method::ALL
        .into_iter()
        .map(|m| {
            vec![
                m.as_str().to_owned(),
                String::new(),
                money.format(by.get(m)),
            ]
        })
        .collect()
}

fn takings_cells(t: &Takings, money: &Currency) -> Vec<String> {
    vec![
        t.charges.to_string(),
        money.format(t.charged),
        t.refunds.to_string(),
        money.format(t.refunded),
        money.format(t.net),
        t.mismatches.to_string(),
    ]
}

/// Prints the settlement of `date` (the entries recorded that local day).
pub fn settlement(
    dir: &Path,
    choice: &StoreArgs,
    date: Option<&str>,
    location: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let runtime = super::runtime()?;
    let (site, store) = open(dir, choice, &runtime)?;
    let day =
        SettlementDay::parse(&site, date, location, chrono::Utc::now()).map_err(|errors| {
            let field = |f: &str| if f == "date" { "--date" } else { "--location" };
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", field(&e.field), e.reason))
                .collect();
            anyhow::anyhow!(lines.join("\n"))
        })?;
    let report = runtime.block_on(settlement::settlement(store.as_ref(), &site, &day))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let money = site.settings.currency.clone();
    println!(
        "Settlement {}{} ({}, {})",
        report.date,
        report
            .location
            .as_deref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default(),
        report.timezone,
        money.code
    );
    println!();
    let mut rows: Vec<Vec<String>> = report
        .methods
        .iter()
        .map(|m| {
            let mut row = vec![m.method.as_str().to_owned(), m.provider.clone()];
            row.extend(takings_cells(&m.takings, &money));
            row
        })
        .collect();
    let mut total = vec!["TOTAL".to_owned(), String::new()];
    total.extend(takings_cells(&report.totals, &money));
    rows.push(total);
    print!(
        "{}",
        table(
            &[
                "method",
                "provider",
                "charges",
                "charged",
                "refunds",
                "refunded",
                "net",
                "mismatches"
            ],
            &rows
        )
    );
    if report.totals.mismatches > 0 {
        println!();
        println!(
            "{} payment(s) did not count: see `carte export payments --from {} --to {}`.",
            report.totals.mismatches, report.date, report.date
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::table;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn columns_line_up_with_chinese_names() {
        let rows = vec![
            vec!["春节".to_owned(), "海报".to_owned(), "12".to_owned()],
            vec!["spring".to_owned(), "flyer".to_owned(), "3".to_owned()],
        ];
        let out = table(&["campaign", "channel", "orders"], &rows);
        let lines: Vec<&str> = out.lines().collect();
        // Every line ends at the same display column, and the channel starts at one.
        let ends: Vec<usize> = lines.iter().map(|l| l.width()).collect();
        assert!(ends.iter().all(|&e| e == ends[0]), "{out}");
        let channel_at = |l: &str| {
            let at = ["channel", "海报", "flyer"]
                .iter()
                .find_map(|c| l.find(c))
                .unwrap();
            l[..at].width()
        };
        assert!(
            lines.iter().all(|l| channel_at(l) == channel_at(lines[0])),
            "{out}"
        );
    }
}
