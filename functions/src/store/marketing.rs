//! The records of the marketing loop as the store keeps them: issued batch
//! codes, counter redemptions, visit counts, report rows and export rows.
//!
//! Report rows are fine-grained (per campaign, channel and location, per dish,
//! per UTC hour) so each backend aggregates with its own best tool (SQL on
//! SQLite), and the reports above the store fold them into totals the same
//! way for all.

use catalog::pricing::PricedLine;
use catalog::{Fulfilment, Minor};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One unique single-use code of a batch printed by `carte coupons issue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCode {
    /// Upper-case, from an alphabet without look-alikes.
    pub code: String,
    /// The coupon's content code.
    pub coupon: String,
    pub campaign: String,
    /// The batch id, so a printed run can be told apart.
    pub batch: String,
    /// The campaign channel the batch is handed out through (a flyer, a partner),
    /// which orders redeeming its codes are attributed to.
    pub channel: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A coupon redeemed at the counter, checked and recorded in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterRedemption {
    /// A fresh random id (`red_…`).
    pub id: String,
    /// The coupon's content code (budgets are counted per code).
    pub coupon: String,
    pub campaign: String,
    pub location: String,
    /// The member the code belongs to, or who showed a membership.
    pub member_id: Option<String>,
    /// The issued single-use code, when one was shown.
    pub issued_code: Option<String>,
    /// The in-store spend, minor units.
    pub amount: Minor,
    /// What the coupon took off it.
    pub discount: Minor,
    pub budget: Option<u32>,
    pub budget_amount: Option<Minor>,
    pub per_member: Option<u32>,
    /// Only a member without any order (cancelled ones included) may redeem it:
    /// decided inside the redemption's transaction, as for an order. The counter
    /// redemption itself is not an order and does not count as one.
    pub first_order_only: bool,
    /// Label of the staff key that redeemed it.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// One arrival through a campaign channel. No cookie, no address: a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// The local day (site timezone).
    pub day: NaiveDate,
    pub campaign: String,
    pub channel: String,
    pub location: String,
}

/// Redemptions and money given away by one coupon code, all time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponTotal {
    pub coupon: String,
    pub redemptions: u32,
    pub discount: Minor,
}

/// The period and place a report or export covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRange {
    /// First instant included.
    pub start: DateTime<Utc>,
    /// First instant after the period.
    pub end: DateTime<Utc>,
    /// First local day (for visit counts, which are kept per day).
    pub first_day: NaiveDate,
    /// Last local day included.
    pub last_day: NaiveDate,
    /// One location, or all.
    pub location: Option<String>,
}

impl ReportRange {
    /// The local days `first..=last` in `tz`, optionally at one location.
    pub fn days(
        first: NaiveDate,
        last: NaiveDate,
        tz: chrono_tz::Tz,
        location: Option<String>,
    ) -> ReportRange {
        let start_of = |day: NaiveDate| {
            day.and_hms_opt(0, 0, 0)
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        };
        let after = last.succ_opt().unwrap_or(last);
        ReportRange {
            start: start_of(first),
            end: start_of(after),
            first_day: first,
            last_day: last,
            location,
        }
    }

    /// Everything ever recorded (years 1 to 9999, which keep text order on every backend).
    pub fn all() -> ReportRange {
        let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(9999, 12, 30).unwrap_or_default();
        ReportRange::days(first, last, chrono_tz::UTC, None)
    }
}

/// Figures of one campaign through one channel at one location in a period.
///
/// Orders are attributed to their last touch (the order's `attribution`);
/// counter redemptions are the channel `counter`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRow {
    pub campaign: String,
    pub channel: String,
    pub location: String,
    pub visits: u64,
    /// Orders not cancelled.
    pub orders: u64,
    /// What those orders' diners paid (totals), minor units.
    pub revenue: Minor,
    /// Discount given online and at the counter.
    pub discount: Minor,
    pub redemptions_online: u64,
    pub redemptions_counter: u64,
    /// In-store spend of counter redemptions.
    pub counter_spend: Minor,
    /// Members whose first order ever is one of these orders.
    pub new_members: u64,
    /// Distinct members among these orders.
    pub members: u64,
    /// Of those, members with another order placed later (any channel, up to the period's end).
    pub repeat_members: u64,
}

/// Sales of one dish in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DishRow {
    pub dish: String,
    pub name: String,
    pub quantity: u64,
    /// Line totals before discounts.
    pub revenue: Minor,
}

/// Orders and revenue in one UTC hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourRow {
    /// The hour's start, UTC.
    pub hour: DateTime<Utc>,
    pub orders: u64,
    pub revenue: Minor,
}

/// One order, for CSV export: its figures, where it goes and what is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderExport {
    pub id: String,
    pub number: String,
    pub location: String,
    pub status: String,
    pub placed_at: DateTime<Utc>,
    pub fulfilment: String,
    /// The table of a dine-in order.
    pub table: Option<String>,
    /// The start of a pickup order's slot.
    pub pickup_slot: Option<DateTime<Utc>>,
    /// The name the diner gave (gone once the member is erased).
    pub name: Option<String>,
    /// The note to the kitchen (gone once the member is erased).
    pub note: Option<String>,
    /// Units ordered, over all lines.
    pub items: u64,
    /// The priced lines as ordered: dish, name, options, quantity, prices.
    pub lines: Vec<PricedLine>,
    pub subtotal: Minor,
    pub discount: Minor,
    pub service_charge: Minor,
    pub tax: Minor,
    pub total: Minor,
    pub coupon: Option<String>,
    pub campaign: Option<String>,
    pub channel: Option<String>,
    pub first_touch: Option<String>,
    pub last_touch: Option<String>,
    pub member_id: Option<String>,
}

/// What an order's stored cart and quote (JSON, as both stores keep them) say for
/// its export: fulfilment mode, table, pickup slot, lines and units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderContents {
    pub fulfilment: String,
    pub table: Option<String>,
    pub pickup_slot: Option<DateTime<Utc>>,
    pub lines: Vec<PricedLine>,
    pub items: u64,
}

impl OrderContents {
    /// Reads the stored `cart` and `quote`; what does not read is left empty.
    pub fn of(cart: &Value, quote: &Value) -> OrderContents {
        let fulfilment = cart.get("fulfilment");
        let mode = fulfilment
            .and_then(|f| f.get("mode"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let (table, pickup_slot) =
            match fulfilment.and_then(|f| serde_json::from_value::<Fulfilment>(f.clone()).ok()) {
                Some(Fulfilment::DineIn { table }) => (Some(table), None),
                Some(Fulfilment::Pickup { slot }) => (None, Some(slot)),
                None => (None, None),
            };
        let lines: Vec<PricedLine> = quote
            .get("lines")
            .and_then(Value::as_array)
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| serde_json::from_value(l.clone()).ok())
                    .collect()
            })
            .unwrap_or_default();
        let items = lines
            .iter()
            .map(|l| u64::from(l.quantity))
            .fold(0, u64::saturating_add);
        OrderContents {
            fulfilment: mode,
            table,
            pickup_slot,
            lines,
            items,
        }
    }
}

/// One member, for CSV export (erased members keep only ids and dates).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberExport {
    pub id: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub consent_at: DateTime<Utc>,
    /// When the member withdrew their consent, if they did.
    pub consent_withdrawn_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
    pub orders: u64,
    pub spent: Minor,
}

/// One redemption, for CSV export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionExport {
    pub id: String,
    pub at: DateTime<Utc>,
    /// `online` or `counter`.
    pub source: String,
    pub coupon: String,
    pub campaign: String,
    pub channel: Option<String>,
    pub location: Option<String>,
    pub order_id: Option<String>,
    pub member_id: Option<String>,
    pub issued_code: Option<String>,
    /// Order total online; in-store spend at the counter.
    pub amount: Minor,
    pub discount: Minor,
}

/// Which orders' payment ledgers a read of [`Store::payment_rows`](super::Store::payment_rows)
/// covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerWindow {
    /// Orders placed in the range: the money of the orders a report counts.
    Placed,
    /// Orders with at least one entry recorded (`at`) in the range: a day's takings,
    /// whenever the orders were placed.
    Recorded,
}

/// One entry of an order's payment ledger with the order it belongs to, for reports,
/// settlement and CSV export. A read returns whole ledgers, so each order's entries can
/// be judged with [`catalog::payment::summarize`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub order_id: String,
    pub number: String,
    pub location: String,
    /// The order's status now (`cancelled` included).
    pub status: String,
    pub placed_at: DateTime<Utc>,
    /// What the order costs, minor units of `order_currency`.
    pub total: Minor,
    pub order_currency: String,
    pub campaign: Option<String>,
    pub channel: Option<String>,
    /// The entry's position in the ledger (0-based, append order).
    pub seq: usize,
    pub entry: catalog::payment::Entry,
}
