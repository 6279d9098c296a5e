//! CSV exports of the merchant's data: orders, members, redemptions and payments
//! (served by `GET /api/exports/{kind}.csv` and `carte export`).
//!
//! The payments export has one row per ledger entry *recorded* in the period (as a
//! day's settlement counts them), judged against its order's whole ledger: `counted`
//! says whether it moved money that counts, `mismatch` why not.
//!
//! CSV is RFC 4180: comma-separated, CRLF line ends, fields quoted when they
//! hold a comma, quote, CR or LF, quotes doubled; UTF-8 without a byte-order
//! mark. Money is a decimal string in the site currency
//! ([`catalog::Currency::format`]); instants are RFC 3339 UTC.

use catalog::Currency;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::figures::Period;
use crate::settlement::{entries_recorded, provider};
use crate::store::{Store, StoreError};

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Orders,
    Members,
    Redemptions,
    Payments,
}

impl ExportKind {
    /// Reads `orders`, `members`, `redemptions` or `payments`.
    pub fn parse(text: &str) -> Option<ExportKind> {
        match text {
            "orders" => Some(ExportKind::Orders),
            "members" => Some(ExportKind::Members),
            "redemptions" => Some(ExportKind::Redemptions),
            "payments" => Some(ExportKind::Payments),
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
        }
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
    out: String,
}

impl Csv {
    /// Appends one record.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        let line: Vec<String> = fields.iter().map(|f| field(f.as_ref())).collect();
        self.out.push_str(&line.join(","));
        self.out.push_str("\r\n");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt(text: &Option<String>) -> String {
    text.clone().unwrap_or_default()
}

/// The CSV of `kind` over `period`.
pub async fn export_csv(
    store: &dyn Store,
    site: &catalog::Site,
    kind: ExportKind,
    period: &Period,
) -> Result<String, StoreError> {
    let range = period.range(site);
    let money = |m: i64, c: &Currency| c.format(m);
    let currency = &site.settings.currency;
    let mut csv = Csv::default();
    match kind {
        ExportKind::Orders => {
            csv.row(&[
                "id",
                "number",
                "location",
                "status",
                "placed_at",
                "fulfilment",
                "items",
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
            for o in store.export_orders(&range).await? {
                csv.row(&[
                    o.id,
                    o.number,
                    o.location,
                    o.status,
                    when(o.placed_at),
                    o.fulfilment,
                    o.items.to_string(),
                    currency.code.clone(),
                    money(o.subtotal, currency),
                    money(o.discount, currency),
                    money(o.service_charge, currency),
                    money(o.tax, currency),
                    money(o.total, currency),
                    opt(&o.coupon),
                    opt(&o.campaign),
                    opt(&o.channel),
                    opt(&o.first_touch),
                    opt(&o.last_touch),
                    opt(&o.member_id),
                ]);
            }
        }
        ExportKind::Members => {
            csv.row(&[
                "id",
                "phone",
                "email",
                "name",
                "consent",
                "consent_at",
                "created_at",
                "erased_at",
                "orders",
                "currency",
                "spent",
            ]);
            for m in store.export_members(&range).await? {
                csv.row(&[
                    m.id,
                    opt(&m.phone),
                    opt(&m.email),
                    opt(&m.name),
                    // Consent is required to sign up; an erased member's is void, and a
                    // member may withdraw it (the "my account" page).
                    if m.erased_at.is_some() || m.consent_withdrawn_at.is_some() {
                        "no"
                    } else {
                        "yes"
                    }
                    .to_owned(),
                    when(m.consent_at),
                    when(m.created_at),
                    m.erased_at.map(when).unwrap_or_default(),
                    m.orders.to_string(),
                    currency.code.clone(),
                    money(m.spent, currency),
                ]);
            }
        }
        ExportKind::Redemptions => {
            csv.row(&[
                "id",
                "at",
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
            for r in store.export_redemptions(&range).await? {
                csv.row(&[
                    r.id,
                    when(r.at),
                    r.source,
                    r.coupon,
                    r.campaign,
                    opt(&r.channel),
                    opt(&r.location),
                    opt(&r.order_id),
                    opt(&r.member_id),
                    opt(&r.issued_code),
                    currency.code.clone(),
                    money(r.amount, currency),
                    money(r.discount, currency),
                ]);
            }
        }
        ExportKind::Payments => {
            csv.row(&[
                "order_id",
                "number",
                "location",
                "order_status",
                "placed_at",
                "seq",
                "at",
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
                    row.order_id.clone(),
                    row.number.clone(),
                    row.location.clone(),
                    row.status.clone(),
                    when(row.placed_at),
                    row.seq.to_string(),
                    when(entry.at),
                    crate::store::payments::kind_name(entry.kind).to_owned(),
                    entry.method.as_str().to_owned(),
                    provider(entry.method).to_owned(),
                    entry.currency.clone(),
                    // In the entry's currency, with the site currency's decimals.
                    money(entry.amount, currency),
                    opt(&entry.reference),
                    entry.by.clone(),
                    if j.counted() { "yes" } else { "no" }.to_owned(),
                    j.mismatch
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
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
        csv.row(&["plain", "a,b", "say \"hi\"", "two\nlines", "面"]);
        assert_eq!(
            csv.finish(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",面\r\n"
        );
    }
}
