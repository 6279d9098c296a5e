//! CSV exports of the merchant's data: orders, members, redemptions and payments
//! (served by `GET /api/exports/{kind}.csv` and `carte export`).
//!
//! The payments export has one row per ledger entry *recorded* in the period (as a
//! day's settlement counts them), judged against its order's whole ledger: `counted`
//! says whether it moved money that counts, `mismatch` why not. The orders export has
//! one row per order; its `lines` cell lists what was ordered, one line per dish
//! (`2 × Dan dan noodles (Extra spicy, Fried egg) @ 35.00 = 70.00`), so order
//! figures stay one row each and add up.
//!
//! CSV is RFC 4180: comma-separated, CRLF line ends, fields quoted when they
//! hold a comma, quote, CR or LF, quotes doubled; UTF-8. Money is a decimal string
//! in the site currency ([`catalog::Currency::format`]) and counts are integers:
//! numbers, left as they are. Every instant is RFC 3339 UTC, followed by the same
//! instant in the shop's local time (`…_local`, `YYYY-MM-DD HH:MM:SS` in the site's
//! timezone, which spreadsheets read as a date and time).
//!
//! Text can come from diners and staff (names, notes, codes typed at the counter), so
//! no text cell may start a spreadsheet formula: a text cell starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's CSV injection
//! advice). Money and count cells are numbers and never get one.
//!
//! [`Flavour::Excel`] is for opening the file in Excel by double-click: a UTF-8
//! byte-order mark (else Excel reads Chinese as the ANSI code page) and every phone
//! number kept as text with the same leading `'` (else `+86…` is read as a formula or
//! a number and `138…` loses its digits to scientific notation). The apostrophe is
//! visible in the cell; a leading tab would be invisible but is itself one of the
//! characters OWASP neutralises, so the one rule stays: a leading `'` marks text.

use catalog::pricing::PricedLine;
use catalog::Currency;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::figures::Period;
use crate::settlement::{entries_recorded, provider};
use crate::store::{MemberExport, OrderExport, RedemptionExport, Store, StoreError};

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Orders,
    Members,
    Redemptions,
    Payments,
    Ratings,
}

impl ExportKind {
    /// Reads `orders`, `members`, `redemptions`, `payments` or `ratings`.
    pub fn parse(text: &str) -> Option<ExportKind> {
        match text {
            "orders" => Some(ExportKind::Orders),
            "members" => Some(ExportKind::Members),
            "redemptions" => Some(ExportKind::Redemptions),
            "payments" => Some(ExportKind::Payments),
            "ratings" => Some(ExportKind::Ratings),
            _ => None,
        }
    }

    /// The name, as in the file name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Orders => "orders",
            ExportKind::Members => "members",
            ExportKind::Redemptions => "redemptions",
            ExportKind::Payments => "payments",
            ExportKind::Ratings => "ratings",
        }
    }
}

/// Who the file is written for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flavour {
    /// RFC 4180 UTF-8 without a byte-order mark: for scripts, databases, LibreOffice.
    #[default]
    Plain,
    /// For Excel: a UTF-8 byte-order mark, phone numbers kept as text.
    Excel,
}

/// One cell of a record: what it holds decides how it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Any text; never starts a formula.
    Text(String),
    /// Money or a count, written as it is.
    Number(String),
    /// A phone number: text, and in [`Flavour::Excel`] always marked as text.
    Phone(String),
}

/// A text cell.
pub fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// A number cell (money from [`Currency::format`], or a count).
pub fn number(value: impl ToString) -> Cell {
    Cell::Number(value.to_string())
}

/// Whether a spreadsheet would read `value` as a formula (or, with a leading tab or
/// carriage return, trim it into one).
fn starts_formula(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The cell's text, neutralised: a text cell that could start a formula gets a leading
/// `'`; an Excel phone number always does.
fn cell_text(cell: &Cell, flavour: Flavour) -> std::borrow::Cow<'_, str> {
    match cell {
        Cell::Number(value) => value.into(),
        Cell::Phone(value) if flavour == Flavour::Excel && !value.is_empty() => {
            format!("'{value}").into()
        }
        Cell::Text(value) | Cell::Phone(value) if starts_formula(value) => {
            format!("'{value}").into()
        }
        Cell::Text(value) | Cell::Phone(value) => value.into(),
    }
}

/// One CSV field, quoted when it needs to be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A CSV document being written.
#[derive(Debug, Default)]
pub struct Csv {
    flavour: Flavour,
    out: String,
}

impl Csv {
    /// An empty document of `flavour`.
    pub fn new(flavour: Flavour) -> Csv {
        Csv {
            flavour,
            out: match flavour {
                Flavour::Plain => String::new(),
                Flavour::Excel => "\u{feff}".to_owned(),
            },
        }
    }

    /// Appends the header record.
    pub fn header(&mut self, names: &[&str]) {
        let cells: Vec<Cell> = names.iter().map(|n| text(*n)).collect();
        self.row(&cells);
    }

    /// Appends one record.
    pub fn row(&mut self, cells: &[Cell]) {
        let line: Vec<String> = cells
            .iter()
            .map(|c| field(&cell_text(c, self.flavour)))
            .collect();
        self.out.push_str(&line.join(","));
        self.out.push_str("\r\n");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// An instant as RFC 3339 UTC.
fn when(at: DateTime<Utc>) -> Cell {
    text(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// The same instant on the shop's wall clock.
fn local(at: DateTime<Utc>, zone: Tz) -> Cell {
    text(
        at.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    )
}

/// An optional instant as its UTC and local cells (both empty when absent).
fn when_both(at: Option<DateTime<Utc>>, zone: Tz) -> [Cell; 2] {
    match at {
        Some(at) => [when(at), local(at, zone)],
        None => [text(""), text("")],
    }
}

fn opt(value: &Option<String>) -> Cell {
    text(value.clone().unwrap_or_default())
}

/// The `lines` cell: one line per dish, `2 × Name (Choice, Choice) @ 9.00 = 18.00`.
pub fn lines_text(lines: &[PricedLine], currency: &Currency) -> String {
    lines
        .iter()
        .map(|l| {
            let names: Vec<&str> = l.options.iter().map(|o| o.name.as_str()).collect();
            let options = if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", catalog::pricing::choices_text(&l.options, &names))
            };
            format!(
                "{} × {}{} @ {} = {}",
                l.quantity,
                l.name,
                options,
                currency.format(l.unit_price),
                currency.format(l.total)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The orders export: one row per order, its lines in one cell.
pub fn orders_csv(csv: &mut Csv, rows: Vec<OrderExport>, currency: &Currency, zone: Tz) {
    let money = |m: i64| number(currency.format(m));
    let code = || text(currency.code.clone());
    csv.header(&[
        "id",
        "number",
        "location",
        "status",
        "placed_at",
        "placed_at_local",
        "fulfilment",
        "table",
        "pickup_slot",
        "pickup_slot_local",
        "name",
        "note",
        "items",
        "lines",
        "currency",
        "subtotal",
        "discount",
        "service_charge",
        "tax",
        "total",
        "coupon",
        "campaign",
        "channel",
        "first_touch",
        "last_touch",
        "member_id",
    ]);
    for o in rows {
        let [slot, slot_local] = when_both(o.pickup_slot, zone);
        csv.row(&[
            text(o.id),
            text(o.number),
            text(o.location),
            text(o.status),
            when(o.placed_at),
            local(o.placed_at, zone),
            text(o.fulfilment),
            opt(&o.table),
            slot,
            slot_local,
            opt(&o.name),
            opt(&o.note),
            number(o.items),
            text(lines_text(&o.lines, currency)),
            code(),
            money(o.subtotal),
            money(o.discount),
            money(o.service_charge),
            money(o.tax),
            money(o.total),
            opt(&o.coupon),
            opt(&o.campaign),
            opt(&o.channel),
            opt(&o.first_touch),
            opt(&o.last_touch),
            opt(&o.member_id),
        ]);
    }
}

/// The members export: one row per member, consent included.
pub fn members_csv(csv: &mut Csv, rows: Vec<MemberExport>, currency: &Currency, zone: Tz) {
    let money = |m: i64| number(currency.format(m));
    let code = || text(currency.code.clone());
    csv.header(&[
        "id",
        "phone",
        "email",
        "name",
        "consent",
        "consent_at",
        "consent_at_local",
        "created_at",
        "created_at_local",
        "erased_at",
        "erased_at_local",
        "orders",
        "currency",
        "spent",
    ]);
    for m in rows {
        let [erased, erased_local] = when_both(m.erased_at, zone);
        csv.row(&[
            text(m.id),
            Cell::Phone(m.phone.unwrap_or_default()),
            opt(&m.email),
            opt(&m.name),
            // Consent is required to sign up; an erased member's is void, and a member
            // may withdraw it (the "my account" page).
            text(
                if m.erased_at.is_some() || m.consent_withdrawn_at.is_some() {
                    "no"
                } else {
                    "yes"
                },
            ),
            when(m.consent_at),
            local(m.consent_at, zone),
            when(m.created_at),
            local(m.created_at, zone),
            erased,
            erased_local,
            number(m.orders),
            code(),
            money(m.spent),
        ]);
    }
}

/// The redemptions export: one row per redemption, online or at the counter.
/// One row per rating: the order's stars and note, then one `dish:stars` per rated dish.
pub fn ratings_csv(csv: &mut Csv, rows: Vec<crate::store::Rating>, zone: Tz) {
    csv.header(&[
        "order_id", "at", "at_local", "location", "campaign", "stars", "note", "dishes",
    ]);
    for r in rows {
        let dishes: Vec<String> = r
            .dishes
            .iter()
            .map(|d| format!("{}:{}", d.dish, d.stars))
            .collect();
        csv.row(&[
            text(r.order_id),
            when(r.at),
            local(r.at, zone),
            text(r.location),
            text(r.campaign.unwrap_or_default()),
            number(r.stars),
            text(r.note.unwrap_or_default()),
            text(dishes.join(" ")),
        ]);
    }
}

pub fn redemptions_csv(csv: &mut Csv, rows: Vec<RedemptionExport>, currency: &Currency, zone: Tz) {
    let money = |m: i64| number(currency.format(m));
    let code = || text(currency.code.clone());
    csv.header(&[
        "id",
        "at",
        "at_local",
        "source",
        "coupon",
        "campaign",
        "channel",
        "location",
        "order_id",
        "member_id",
        "issued_code",
        "currency",
        "amount",
        "discount",
    ]);
    for r in rows {
        csv.row(&[
            text(r.id),
            when(r.at),
            local(r.at, zone),
            text(r.source),
            text(r.coupon),
            text(r.campaign),
            opt(&r.channel),
            opt(&r.location),
            opt(&r.order_id),
            opt(&r.member_id),
            opt(&r.issued_code),
            code(),
            money(r.amount),
            money(r.discount),
        ]);
    }
}

/// The CSV of `kind` over `period`.
pub async fn export_csv(
    store: &dyn Store,
    site: &catalog::Site,
    kind: ExportKind,
    period: &Period,
    flavour: Flavour,
) -> Result<String, StoreError> {
    let range = period.range(site);
    let currency = &site.settings.currency;
    // Every location keeps the site's timezone.
    let zone = site.settings.timezone;
    let mut csv = Csv::new(flavour);
    match kind {
        ExportKind::Orders => {
            orders_csv(&mut csv, store.export_orders(&range).await?, currency, zone)
        }
        ExportKind::Members => members_csv(
            &mut csv,
            store.export_members(&range).await?,
            currency,
            zone,
        ),
        ExportKind::Ratings => ratings_csv(&mut csv, store.ratings(&range).await?, zone),
        ExportKind::Redemptions => redemptions_csv(
            &mut csv,
            store.export_redemptions(&range).await?,
            currency,
            zone,
        ),
        ExportKind::Payments => {
            csv.header(&[
                "order_id",
                "number",
                "location",
                "order_status",
                "placed_at",
                "placed_at_local",
                "seq",
                "at",
                "at_local",
                "kind",
                "method",
                "provider",
                "currency",
                "amount",
                "reference",
                "by",
                "counted",
                "mismatch",
                "campaign",
                "channel",
            ]);
            for j in entries_recorded(store, &range).await? {
                let (row, entry) = (&j.row, &j.row.entry);
                csv.row(&[
                    text(row.order_id.clone()),
                    text(row.number.clone()),
                    text(row.location.clone()),
                    text(row.status.clone()),
                    when(row.placed_at),
                    local(row.placed_at, zone),
                    number(row.seq),
                    when(entry.at),
                    local(entry.at, zone),
                    text(crate::store::payments::kind_name(entry.kind)),
                    text(entry.method.as_str()),
                    text(provider(entry.method)),
                    text(entry.currency.clone()),
                    // In the entry's currency, with the site currency's decimals.
                    number(currency.format(entry.amount)),
                    opt(&entry.reference),
                    text(entry.by.clone()),
                    text(if j.counted() { "yes" } else { "no" }),
                    text(
                        j.mismatch
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                    ),
                    opt(&row.campaign),
                    opt(&row.channel),
                ]);
            }
        }
    }
    Ok(csv.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut csv = Csv::default();
        csv.header(&["plain", "a,b", "say \"hi\"", "two\nlines", "面"]);
        assert_eq!(
            csv.finish(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",面\r\n"
        );
    }

    #[test]
    fn no_text_cell_starts_a_formula_and_numbers_stay_numbers() {
        let mut csv = Csv::default();
        csv.row(&[
            text("=HYPERLINK(\"http://evil.example\",\"click\")"),
            text("+1+1"),
            text("-2+3"),
            text("@SUM(A1)"),
            text("\t=1"),
            text("\r=1"),
            text("Li = Lei"),
            text("'already"),
            number("-12.50"),
            number(3),
            Cell::Phone("+8613800000000".into()),
            Cell::Phone("13800000000".into()),
        ]);
        assert_eq!(
            csv.finish(),
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",'+1+1,'-2+3,'@SUM(A1),'\t=1,\"'\r=1\",Li = Lei,'already,-12.50,3,'+8613800000000,13800000000\r\n"
        );
    }

    #[test]
    fn the_excel_flavour_has_a_bom_and_keeps_every_phone_number_as_text() {
        let mut csv = Csv::new(Flavour::Excel);
        csv.header(&["name", "phone", "spent"]);
        csv.row(&[
            text("李雷"),
            Cell::Phone("+8613800000000".into()),
            number("32.00"),
        ]);
        csv.row(&[
            text("=1+1"),
            Cell::Phone("13800000000".into()),
            number("-1.00"),
        ]);
        csv.row(&[text(""), Cell::Phone(String::new()), number("0.00")]);
        assert_eq!(
            csv.finish(),
            "\u{feff}name,phone,spent\r\n李雷,'+8613800000000,32.00\r\n'=1+1,'13800000000,-1.00\r\n,,0.00\r\n"
        );
    }

    #[test]
    fn local_times_are_the_shops_wall_clock() {
        let at = DateTime::parse_from_rfc3339("2026-03-02T04:05:06Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            local(at, chrono_tz::Asia::Shanghai),
            text("2026-03-02 12:05:06")
        );
        assert_eq!(when(at), text("2026-03-02T04:05:06Z"));
    }
}
