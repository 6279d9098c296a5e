//! Money in reports: the payment ledgers of [`Store::payment_rows`] judged by the one
//! rule of [`catalog::payment::summarize`], money per method, and a day's settlement
//! (`GET /api/reports/settlement`, `carte report settlement`).
//!
//! Each order's whole ledger is judged, in append order, so an entry counts here exactly
//! when it counts on the order's status page: a charge that matched the amount due, a
//! refund within what was paid. What did not count is a mismatch, listed and counted,
//! never added to money received.

use catalog::payment::{self, EntryKind, Method, Mismatch};
use catalog::{Minor, Site};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::problem::FieldError;
use crate::store::{LedgerWindow, PaymentRow, ReportRange, Store, StoreError};

/// Net money per payment method (counted charges less counted refunds), minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ByMethod {
    pub cash: Minor,
    pub card_terminal: Minor,
    pub counter_qr: Minor,
    pub stripe: Minor,
    pub wechat_pay: Minor,
}

impl ByMethod {
    fn slot(&mut self, method: Method) -> &mut Minor {
        match method {
            Method::Cash => &mut self.cash,
            Method::CardTerminal => &mut self.card_terminal,
            Method::CounterQr => &mut self.counter_qr,
            Method::Stripe => &mut self.stripe,
            Method::WechatPay => &mut self.wechat_pay,
        }
    }

    /// The net money of `method`.
    pub fn get(&self, method: Method) -> Minor {
        match method {
            Method::Cash => self.cash,
            Method::CardTerminal => self.card_terminal,
            Method::CounterQr => self.counter_qr,
            Method::Stripe => self.stripe,
            Method::WechatPay => self.wechat_pay,
        }
    }

    /// Adds `amount` (negative for a refund) to `method`.
    pub fn add(&mut self, method: Method, amount: Minor) {
        let slot = self.slot(method);
        *slot = slot.saturating_add(amount);
    }

    /// Adds every method of `other`.
    pub fn merge(&mut self, other: &ByMethod) {
        for method in Method::ALL {
            self.add(method, other.get(method));
        }
    }
}

/// Money received for one or more orders: what counted in their ledgers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Money {
    /// Charges that counted as paid.
    pub paid: Minor,
    /// Refunds that counted.
    pub refunded: Minor,
    /// `paid − refunded` per method.
    pub by_method: ByMethod,
}

impl Money {
    /// Adds one judged entry (nothing unless it counted).
    fn add(&mut self, entry: &Judged) {
        if !entry.counted() {
            return;
        }
        let e = &entry.row.entry;
        match e.kind {
            EntryKind::Charge => {
                self.paid = self.paid.saturating_add(e.amount);
                self.by_method.add(e.method, e.amount);
            }
            EntryKind::Refund => {
                self.refunded = self.refunded.saturating_add(e.amount);
                self.by_method.add(e.method, e.amount.saturating_neg());
            }
            EntryKind::Checkout | EntryKind::Failure => {}
        }
    }

    /// Adds `other`.
    pub fn merge(&mut self, other: &Money) {
        self.paid = self.paid.saturating_add(other.paid);
        self.refunded = self.refunded.saturating_add(other.refunded);
        self.by_method.merge(&other.by_method);
    }

    /// `paid − refunded`.
    pub fn net(&self) -> Minor {
        self.paid.saturating_sub(self.refunded)
    }
}

/// One ledger entry with the verdict of its order's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub row: PaymentRow,
    /// Why a charge or refund did not count; `None` when it counted (or moves no money).
    pub mismatch: Option<Mismatch>,
}

impl Judged {
    /// Whether the entry moved money that counts: a matching charge or a refund within
    /// what was paid.
    pub fn counted(&self) -> bool {
        self.mismatch.is_none()
            && matches!(self.row.entry.kind, EntryKind::Charge | EntryKind::Refund)
    }
}

/// Judges each order's whole ledger with [`catalog::payment::summarize`]; rows keep
/// their order. `rows` holds whole ledgers, each order's entries together in `seq` order
/// (as [`Store::payment_rows`] returns them).
pub fn judge(rows: Vec<PaymentRow>) -> Vec<Judged> {
    let mut judged = Vec::with_capacity(rows.len());
    let mut rest = rows.as_slice();
    while let Some(first) = rest.first() {
        let length = rest
            .iter()
            .take_while(|r| r.order_id == first.order_id)
            .count();
        let (ledger, after) = rest.split_at(length);
        let entries: Vec<payment::Entry> = ledger.iter().map(|r| r.entry.clone()).collect();
        let summary = payment::summarize(first.total, &first.order_currency, &entries, None);
        for (index, row) in ledger.iter().enumerate() {
            let mismatch = summary
                .mismatches
                .iter()
                .find(|f| f.index == index)
                .map(|f| f.mismatch.clone());
            judged.push(Judged {
                row: row.clone(),
                mismatch,
            });
        }
        rest = after;
    }
    judged
}

/// Money received for the orders placed in `range`, per order id (judged whole ledgers;
/// cancelled orders included: their money stays received until it is refunded).
pub async fn money_of_orders(
    store: &dyn Store,
    range: &ReportRange,
) -> Result<Vec<(PaymentRow, Money)>, StoreError> {
    let judged = judge(store.payment_rows(range, LedgerWindow::Placed).await?);
    let mut orders: Vec<(PaymentRow, Money)> = Vec::new();
    for entry in &judged {
        match orders.last_mut() {
            Some((row, money)) if row.order_id == entry.row.order_id => money.add(entry),
            _ => {
                let mut money = Money::default();
                money.add(entry);
                orders.push((entry.row.clone(), money));
            }
        }
    }
    Ok(orders)
}

/// The entries recorded in `range` (at its location), judged against their orders' whole
/// ledgers, oldest first.
pub async fn entries_recorded(
    store: &dyn Store,
    range: &ReportRange,
) -> Result<Vec<Judged>, StoreError> {
    let mut entries: Vec<Judged> = judge(store.payment_rows(range, LedgerWindow::Recorded).await?)
        .into_iter()
        .filter(|j| j.row.entry.at >= range.start && j.row.entry.at < range.end)
        .collect();
    entries.sort_by(|a, b| {
        (a.row.entry.at, &a.row.order_id, a.row.seq).cmp(&(
            b.row.entry.at,
            &b.row.order_id,
            b.row.seq,
        ))
    });
    Ok(entries)
}

/// Charges and refunds of a day, for one method or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Takings {
    /// Charges that counted as paid.
    pub charges: u64,
    /// Their amount, minor units.
    pub charged: Minor,
    /// Refunds that counted.
    pub refunds: u64,
    /// Their amount, minor units.
    pub refunded: Minor,
    /// `charged − refunded`.
    pub net: Minor,
    /// Charges and refunds recorded that did not count (wrong amount or currency, an
    /// order paid twice): money for staff to resolve, in no amount above.
    pub mismatches: u64,
}

impl Takings {
    fn add(&mut self, entry: &Judged) {
        let e = &entry.row.entry;
        if !matches!(e.kind, EntryKind::Charge | EntryKind::Refund) {
            return;
        }
        if !entry.counted() {
            self.mismatches += 1;
        } else if e.kind == EntryKind::Charge {
            self.charges += 1;
            self.charged = self.charged.saturating_add(e.amount);
        } else {
            self.refunds += 1;
            self.refunded = self.refunded.saturating_add(e.amount);
        }
        self.net = self.charged.saturating_sub(self.refunded);
    }
}

/// One payment method's takings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MethodTakings {
    #[schema(value_type = String)]
    pub method: Method,
    /// Who moved the money: `counter` (recorded by staff) or the online provider
    /// (`stripe`, `wechat_pay`).
    pub provider: String,
    #[serde(flatten)]
    pub takings: Takings,
}

/// `GET /api/reports/settlement`: a day's money by method, to close the till and match
/// the providers' payouts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Settlement {
    /// The local day (site timezone).
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The site timezone the day is read in.
    pub timezone: String,
    /// First instant of the day.
    #[schema(value_type = String, format = DateTime)]
    pub start: DateTime<Utc>,
    /// First instant after it.
    #[schema(value_type = String, format = DateTime)]
    pub end: DateTime<Utc>,
    pub currency: String,
    /// Decimals of the currency's minor unit, for display.
    pub exponent: u8,
    /// Every method, in the order staff screens list them.
    pub methods: Vec<MethodTakings>,
    /// Every method together.
    pub totals: Takings,
}

/// The day and location of a settlement as asked for, checked against the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementDay {
    pub date: NaiveDate,
    pub location: Option<String>,
}

impl SettlementDay {
    /// Reads `date` (`YYYY-MM-DD`, site timezone; default today) and `location`.
    pub fn parse(
        site: &Site,
        date: Option<&str>,
        location: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<SettlementDay, Vec<FieldError>> {
        let mut errors = Vec::new();
        let today = now.with_timezone(&site.settings.timezone).date_naive();
        let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
            None => today,
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| {
                errors.push(FieldError::new("date", "a date such as 2026-03-01"));
                today
            }),
        };
        if date > today + Duration::days(1) {
            errors.push(FieldError::new("date", "must not be in the future"));
        }
        let location = location
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        if let Some(l) = &location {
            if site.location(l).is_none() {
                errors.push(FieldError::new("location", "no location with this id"));
            }
        }
        if errors.is_empty() {
            Ok(SettlementDay { date, location })
        } else {
            Err(errors)
        }
    }

    /// The store's range of this day in the site timezone.
    pub fn range(&self, site: &Site) -> ReportRange {
        ReportRange::days(
            self.date,
            self.date,
            site.settings.timezone,
            self.location.clone(),
        )
    }
}

/// Who moves the money of `method`.
pub fn provider(method: Method) -> &'static str {
    if method.is_online() {
        method.as_str()
    } else {
        "counter"
    }
}

/// The settlement of `day`: the entries recorded that day, whenever their orders were
/// placed.
pub async fn settlement(
    store: &dyn Store,
    site: &Site,
    day: &SettlementDay,
) -> Result<Settlement, StoreError> {
    let range = day.range(site);
    let entries = entries_recorded(store, &range).await?;
    let mut totals = Takings::default();
    let methods = Method::ALL
        .into_iter()
        .map(|method| {
            let mut takings = Takings::default();
            for entry in entries.iter().filter(|e| e.row.entry.method == method) {
                takings.add(entry);
                totals.add(entry);
            }
            MethodTakings {
                method,
                provider: provider(method).to_owned(),
                takings,
            }
        })
        .collect();
    Ok(Settlement {
        date: day.date,
        location: day.location.clone(),
        timezone: site.settings.timezone.name().to_owned(),
        start: range.start,
        end: range.end,
        currency: site.settings.currency.code.clone(),
        exponent: site.settings.currency.exponent,
        methods,
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::payment::Entry;

    fn row(order: &str, seq: usize, kind: EntryKind, method: Method, amount: Minor) -> PaymentRow {
        PaymentRow {
            order_id: order.into(),
            number: "A-001".into(),
            location: "chunxi".into(),
            status: "completed".into(),
            placed_at: DateTime::<Utc>::UNIX_EPOCH,
            total: 3000,
            order_currency: "CNY".into(),
            campaign: None,
            channel: None,
            seq,
            entry: Entry {
                kind,
                method,
                amount,
                currency: "CNY".into(),
                reference: None,
                at: DateTime::<Utc>::UNIX_EPOCH,
                by: "till".into(),
            },
        }
    }

    #[test]
    fn each_ledger_is_judged_on_its_own_and_only_counted_money_adds_up() {
        let rows = vec![
            // Paid by card, then 10.00 given back in cash.
            row("a", 0, EntryKind::Charge, Method::CardTerminal, 3000),
            row("a", 1, EntryKind::Refund, Method::Cash, 1000),
            // Paid twice: the second charge is a mismatch.
            row("b", 0, EntryKind::Charge, Method::Stripe, 3000),
            row("b", 1, EntryKind::Charge, Method::Cash, 3000),
            // A wrong amount, then the right one.
            row("c", 0, EntryKind::Charge, Method::CounterQr, 2900),
            row("c", 1, EntryKind::Charge, Method::CounterQr, 3000),
        ];
        let judged = judge(rows);
        let counted: Vec<bool> = judged.iter().map(Judged::counted).collect();
        assert_eq!(counted, [true, true, true, false, false, true]);
        let mut money = Money::default();
        let mut takings = Takings::default();
        for entry in &judged {
            money.add(entry);
            takings.add(entry);
        }
        assert_eq!(
            (money.paid, money.refunded, money.net()),
            (9000, 1000, 8000)
        );
        assert_eq!(
            money.by_method,
            ByMethod {
                cash: -1000,
                card_terminal: 3000,
                counter_qr: 3000,
                stripe: 3000,
                wechat_pay: 0,
            }
        );
        assert_eq!(
            takings,
            Takings {
                charges: 3,
                charged: 9000,
                refunds: 1,
                refunded: 1000,
                net: 8000,
                mismatches: 2,
            }
        );
    }
}
