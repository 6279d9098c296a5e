//! Marketer reports (role `marketer`): campaigns by channel and location,
//! and sales by dish and by hour.
//!
//! The store returns fine-grained rows (aggregated in SQL on SQLite); this
//! module folds them into totals — across locations and per location — and
//! adds what only the content knows: names, budgets and budgets left. Money
//! received comes from the orders' payment ledgers, judged by
//! [`crate::settlement`]. The same builders serve `GET /api/reports/*` and
//! `carte report`.
use std::collections::BTreeMap;

use catalog::attribution::{COUNTER, COUPON_ONLY};
use catalog::{Localized, Minor, Site};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::problem::FieldError;
use crate::settlement::{money_of_orders, ByMethod, Money};
use crate::store::{CampaignRow, ReportRange, Store, StoreError};

/// Days a report covers when `from` is not given.
pub const DEFAULT_DAYS: i64 = 30;
/// Longest period one report covers.
pub const MAX_DAYS: i64 = 366 * 3;

/// Figures of a campaign, a channel or a location in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figures {
    pub visits: u64,
    /// Orders attributed here by the one rule of `catalog::attribution`, not cancelled.
    pub orders: u64,
    /// What those orders cost (ordered money, shown as "Ordered"), minor units.
    pub revenue: Minor,
    /// Money received for the orders placed here in the period (cancelled ones
    /// included): charges that counted as paid in their ledgers, minor units.
    pub paid: Minor,
    /// Refunds of those orders that counted, minor units.
    pub refunded: Minor,
    /// `paid − refunded`.
    pub net_paid: Minor,
    /// `net_paid` per payment method.
    pub by_method: ByMethod,
    /// Discount given online and at the counter, minor units.
    pub discount: Minor,
    pub redemptions_online: u64,
    pub redemptions_counter: u64,
    /// In-store spend of counter redemptions, minor units.
    pub counter_spend: Minor,
    /// Members who signed up in the period through here.
    pub new_members: u64,
    /// Members who ordered through here (summed over channels and locations).
    pub members: u64,
    /// Of those, members who ordered again later.
    pub repeat_members: u64,
    /// `repeat_members / members` in basis points (10000 = 100%).
    pub repeat_rate_bp: u32,
    /// Discount given per sale (an order, or a redemption at the counter), minor
    /// units, rounded; absent without sales.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_order: Option<Minor>,
    /// Money received (`net_paid` and counter spend) per unit of discount, in basis
    /// points (25000 = 2.50 received for every 1.00 given away); absent without discount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roi_bp: Option<u64>,
    /// `orders / visits` in basis points: the channel's funnel; absent without visits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion_bp: Option<u64>,
}

/// A store row of campaign figures with the money its orders' ledgers received.
#[derive(Debug, Clone, Default)]
struct Row {
    counts: CampaignRow,
    money: Money,
}

impl Figures {
    fn add(&mut self, both: &Row) {
        let row = &both.counts;
        self.visits += row.visits;
        self.orders += row.orders;
        self.revenue = self.revenue.saturating_add(row.revenue);
        self.discount = self.discount.saturating_add(row.discount);
        self.redemptions_online += row.redemptions_online;
        self.redemptions_counter += row.redemptions_counter;
        self.counter_spend = self.counter_spend.saturating_add(row.counter_spend);
        self.paid = self.paid.saturating_add(both.money.paid);
        self.refunded = self.refunded.saturating_add(both.money.refunded);
        self.net_paid = self.paid.saturating_sub(self.refunded);
        self.by_method.merge(&both.money.by_method);
        self.new_members += row.new_members;
        self.members += row.members;
        self.repeat_members += row.repeat_members;
        self.repeat_rate_bp = (self.repeat_members * 10_000)
            .checked_div(self.members)
            .map_or(0, |bp| u32::try_from(bp).unwrap_or(10_000));
        let sales = self.orders + self.redemptions_counter;
        self.cost_per_order = (sales > 0).then(|| ratio(self.discount, sales));
        // Money received, not money ordered: an unpaid or refunded order earns nothing.
        let earned = self.net_paid.saturating_add(self.counter_spend);
        self.roi_bp = u64::try_from(self.discount)
            .ok()
            .filter(|d| *d > 0)
            .map(|d| basis_points(u64::try_from(earned).unwrap_or(0), d));
        self.conversion_bp = (self.visits > 0).then(|| basis_points(self.orders, self.visits));
    }

    fn of<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Figures {
        let mut figures = Figures::default();
        for row in rows {
            figures.add(row);
        }
        figures
    }
}

/// `amount / count`, rounded half up.
fn ratio(amount: Minor, count: u64) -> Minor {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    (amount.saturating_mul(2).saturating_add(count)) / count.saturating_mul(2)
}

/// `part / whole` in basis points, rounded down.
fn basis_points(part: u64, whole: u64) -> u64 {
    u64::try_from(u128::from(part) * 10_000 / u128::from(whole.max(1))).unwrap_or(u64::MAX)
}

/// A channel's figures (`counter` for redemptions at the counter, `coupon` for
/// orders that redeemed the campaign's coupon without arriving through one of its
/// channels, `direct` for records made before that rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChannelFigures {
    pub channel: String,
    /// The name in the site's default language.
    pub name: String,
    /// The name in every language of the site, for a dashboard in another one.
    #[schema(value_type = Object)]
    pub names: Localized,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A location's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LocationFigures {
    pub location: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A coupon's use against its budgets (all time, not just the period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouponBudget {
    pub code: String,
    pub redemptions: u32,
    pub discount: Minor,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_left: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_amount: Option<Minor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_amount_left: Option<Minor>,
}

/// One campaign: totals, per channel, per location, and its coupons' budgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CampaignFigures {
    pub campaign: String,
    /// The name in the site's default language.
    pub name: String,
    /// The name in every language of the site.
    #[schema(value_type = Object)]
    pub names: Localized,
    #[serde(flatten)]
    pub figures: Figures,
    pub channels: Vec<ChannelFigures>,
    pub locations: Vec<LocationFigures>,
    pub coupons: Vec<CouponBudget>,
    /// The budget's burn rate: discount given per day of the period, minor units.
    pub discount_per_day: Minor,
}

/// `GET /api/reports/campaigns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CampaignReport {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub currency: String,
    /// Decimals of the currency's minor unit (2 for CNY), for display.
    pub exponent: u8,
    /// Every location of the site (id and name), for pickers.
    pub site_locations: Vec<SiteLocation>,
    /// Every campaign together.
    pub totals: Figures,
    /// Every campaign together, per location.
    pub locations: Vec<LocationFigures>,
    pub campaigns: Vec<CampaignFigures>,
}

/// A location of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SiteLocation {
    pub id: String,
    pub name: String,
}

/// One dish's sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DishSales {
    pub dish: String,
    pub name: String,
    pub quantity: u64,
    pub revenue: Minor,
}

/// Orders in one hour of the day (site timezone), over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HourSales {
    /// 0–23, local.
    pub hour: u32,
    pub orders: u64,
    pub revenue: Minor,
}

/// `GET /api/reports/sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SalesReport {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub currency: String,
    /// Orders placed, not cancelled.
    pub orders: u64,
    /// What they cost (ordered money), minor units.
    pub revenue: Minor,
    /// Money received for every order placed in the period (cancelled ones included):
    /// charges that counted as paid in their ledgers, minor units.
    pub paid: Minor,
    /// Refunds of those orders that counted, minor units.
    pub refunded: Minor,
    /// `paid − refunded`.
    pub net_paid: Minor,
    /// `net_paid` per payment method.
    pub by_method: ByMethod,
    pub by_dish: Vec<DishSales>,
    /// All 24 hours, in order.
    pub by_hour: Vec<HourSales>,
    /// Every day of the period (site timezone), in order.
    pub by_day: Vec<DaySales>,
    /// The period of the same length just before this one, for comparison.
    pub previous: PreviousPeriod,
}

/// Orders and revenue of one local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DaySales {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub orders: u64,
    pub revenue: Minor,
}

/// The totals of the period before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PreviousPeriod {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub orders: u64,
    pub revenue: Minor,
}

/// The period and location of a report as asked for, checked against the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub location: Option<String>,
}

impl Period {
    /// Reads `from`, `to` (dates, `YYYY-MM-DD`, in the site timezone; `to`
    /// included) and `location`. Defaults: the last [`DEFAULT_DAYS`] days up to today.
    pub fn parse(
        site: &Site,
        from: Option<&str>,
        to: Option<&str>,
        location: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Period, Vec<FieldError>> {
        let mut errors = Vec::new();
        let date = |field: &str, text: Option<&str>, errors: &mut Vec<FieldError>| {
            let text = text.map(str::trim).filter(|t| !t.is_empty())?;
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| errors.push(FieldError::new(field, "a date such as 2026-03-01")))
                .ok()
        };
        let today = now.with_timezone(&site.settings.timezone).date_naive();
        let to_day = date("to", to, &mut errors).unwrap_or(today);
        let from_day = date("from", from, &mut errors)
            .unwrap_or_else(|| to_day - Duration::days(DEFAULT_DAYS - 1));
        if from_day > to_day {
            errors.push(FieldError::new("from", "must not be after `to`"));
        } else if (to_day - from_day).num_days() >= MAX_DAYS {
            errors.push(FieldError::new(
                "from",
                format!("a report covers at most {MAX_DAYS} days"),
            ));
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
            Ok(Period {
                from: from_day,
                to: to_day,
                location,
            })
        } else {
            Err(errors)
        }
    }

    /// Days in the period, `to` included.
    pub fn days(&self) -> u64 {
        u64::try_from((self.to - self.from).num_days() + 1).unwrap_or(1)
    }

    /// The period of the same length just before this one, at the same place.
    pub fn previous(&self) -> Period {
        let length = Duration::days(i64::try_from(self.days()).unwrap_or(1));
        Period {
            from: self.from - length,
            to: self.to - length,
            location: self.location.clone(),
        }
    }

    /// The store's range of this period in the site timezone.
    pub fn range(&self, site: &Site) -> ReportRange {
        ReportRange::days(
            self.from,
            self.to,
            site.settings.timezone,
            self.location.clone(),
        )
    }
}

/// The names of the channels the content does not list: the counter, orders that
/// only redeemed the campaign's coupon, and records from before the attribution rule.
fn unlisted_channel(channel: &str) -> Localized {
    let (en, zh) = match channel {
        COUNTER => ("At the counter", "到店核销"),
        COUPON_ONLY => ("Coupon only (no link)", "仅优惠码（无链接）"),
        "direct" => ("Direct (no channel)", "直接（无渠道）"),
        other => (other, other),
    };
    [("en", en), ("zh", zh)].into_iter().collect()
}

fn group_locations<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Vec<LocationFigures> {
    let mut by: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        by.entry(row.counts.location.as_str())
            .or_default()
            .push(row);
    }
    by.into_iter()
        .map(|(location, rows)| LocationFigures {
            location: location.to_owned(),
            figures: Figures::of(rows),
        })
        .collect()
}

/// `rows` with the money received for their orders: the ledgers of the orders placed
/// in `range` that the attribution rule gives a campaign and channel, as the store's
/// order counts do (a row is added for money of an order no count covers, such as a
/// cancelled one not yet refunded).
async fn with_money(
    store: &dyn Store,
    range: &ReportRange,
    rows: Vec<CampaignRow>,
) -> Result<Vec<Row>, StoreError> {
    let mut keyed: BTreeMap<(String, String, String), Row> = rows
        .into_iter()
        .map(|counts| {
            let key = (
                counts.campaign.clone(),
                counts.channel.clone(),
                counts.location.clone(),
            );
            let row = Row {
                counts,
                money: Money::default(),
            };
            (key, row)
        })
        .collect();
    for (order, money) in money_of_orders(store, range).await? {
        let (Some(campaign), Some(channel)) = (order.campaign, order.channel) else {
            continue;
        };
        let key = (campaign, channel, order.location);
        let row = keyed.entry(key.clone()).or_insert_with(|| Row {
            counts: CampaignRow {
                campaign: key.0,
                channel: key.1,
                location: key.2,
                ..CampaignRow::default()
            },
            money: Money::default(),
        });
        row.money.merge(&money);
    }
    Ok(keyed.into_values().collect())
}

/// The campaign report of `period`.
pub async fn campaign_report(
    store: &dyn Store,
    site: &Site,
    period: &Period,
) -> Result<CampaignReport, StoreError> {
    let range = period.range(site);
    let rows = with_money(store, &range, store.campaign_rows(&range).await?).await?;
    let totals = store.coupon_totals().await?;
    let lang = site.default_language();
    let mut campaigns = Vec::new();
    // Campaigns of the content first, in content order; then any only the store knows.
    let mut ids: Vec<String> = site.campaigns.iter().map(|c| c.id.clone()).collect();
    for row in &rows {
        if !ids.contains(&row.counts.campaign) {
            ids.push(row.counts.campaign.clone());
        }
    }
    for id in ids {
        let content = site.campaign(&id);
        let own: Vec<&Row> = rows.iter().filter(|r| r.counts.campaign == id).collect();
        let mut channel_ids: Vec<String> = content
            .map(|c| c.channels.iter().map(|h| h.id.clone()).collect())
            .unwrap_or_default();
        for row in &own {
            if !channel_ids.contains(&row.counts.channel) {
                channel_ids.push(row.counts.channel.clone());
            }
        }
        let channels = channel_ids
            .into_iter()
            .map(|channel| {
                let names = content
                    .and_then(|c| c.channel(&channel))
                    .map(|h| h.name.clone())
                    .unwrap_or_else(|| unlisted_channel(&channel));
                let name = names.get(lang, "en").to_owned();
                ChannelFigures {
                    names,
                    figures: Figures::of(
                        own.iter().copied().filter(|r| r.counts.channel == channel),
                    ),
                    channel,
                    name,
                }
            })
            .collect();
        let coupons = content
            .map(|c| {
                c.coupons
                    .iter()
                    .map(|coupon| {
                        let used = totals.iter().find(|t| t.coupon == coupon.code);
                        let redemptions = used.map_or(0, |t| t.redemptions);
                        let discount = used.map_or(0, |t| t.discount);
                        CouponBudget {
                            code: coupon.code.clone(),
                            redemptions,
                            discount,
                            budget: coupon.budget,
                            budget_left: coupon.budget.map(|b| b.saturating_sub(redemptions)),
                            budget_amount: coupon.budget_amount,
                            budget_amount_left: coupon
                                .budget_amount
                                .map(|b| b.saturating_sub(discount).max(0)),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let figures = Figures::of(own.iter().copied());
        let names = content
            .map(|c| c.name.clone())
            .unwrap_or_else(|| Localized::plain(lang, id.clone()));
        campaigns.push(CampaignFigures {
            names,
            discount_per_day: ratio(figures.discount, period.days()),
            name: content
                .map(|c| c.name.get(lang, lang).to_owned())
                .unwrap_or_else(|| id.clone()),
            figures,
            locations: group_locations(own.iter().copied()),
            channels,
            coupons,
            campaign: id,
        });
    }
    Ok(CampaignReport {
        from: period.from,
        to: period.to,
        location: period.location.clone(),
        currency: site.settings.currency.code.clone(),
        exponent: site.settings.currency.exponent,
        site_locations: site
            .locations
            .iter()
            .map(|l| SiteLocation {
                id: l.id.clone(),
                name: l.name.get(lang, lang).to_owned(),
            })
            .collect(),
        totals: Figures::of(&rows),
        locations: group_locations(&rows),
        campaigns,
    })
}

/// The sales report of `period`.
pub async fn sales_report(
    store: &dyn Store,
    site: &Site,
    period: &Period,
) -> Result<SalesReport, StoreError> {
    let range = period.range(site);
    let dishes = store.dish_sales(&range).await?;
    let hours = store.hourly_sales(&range).await?;
    let before = period.previous();
    let earlier = store.hourly_sales(&before.range(site)).await?;
    let mut money = Money::default();
    for (_, order) in money_of_orders(store, &range).await? {
        money.merge(&order);
    }
    let tz = site.settings.timezone;
    let mut by_day: Vec<DaySales> = period
        .from
        .iter_days()
        .take_while(|day| *day <= period.to)
        .map(|day| DaySales {
            day,
            orders: 0,
            revenue: 0,
        })
        .collect();
    for row in &hours {
        let day = row.hour.with_timezone(&tz).date_naive();
        if let Some(slot) = by_day.iter_mut().find(|d| d.day == day) {
            slot.orders += row.orders;
            slot.revenue = slot.revenue.saturating_add(row.revenue);
        }
    }
    let mut by_hour: Vec<HourSales> = (0..24)
        .map(|hour| HourSales {
            hour,
            orders: 0,
            revenue: 0,
        })
        .collect();
    for row in &hours {
        let local = row.hour.with_timezone(&tz).hour() as usize;
        if let Some(slot) = by_hour.get_mut(local) {
            slot.orders += row.orders;
            slot.revenue = slot.revenue.saturating_add(row.revenue);
        }
    }
    Ok(SalesReport {
        from: period.from,
        to: period.to,
        location: period.location.clone(),
        currency: site.settings.currency.code.clone(),
        orders: hours.iter().map(|h| h.orders).sum(),
        revenue: hours.iter().map(|h| h.revenue).sum(),
        paid: money.paid,
        refunded: money.refunded,
        net_paid: money.net(),
        by_method: money.by_method,
        by_dish: dishes
            .into_iter()
            .map(|d| DishSales {
                dish: d.dish,
                name: d.name,
                quantity: d.quantity,
                revenue: d.revenue,
            })
            .collect(),
        by_hour,
        by_day,
        previous: PreviousPeriod {
            from: before.from,
            to: before.to,
            orders: earlier.iter().map(|h| h.orders).sum(),
            revenue: earlier.iter().map(|h| h.revenue).sum(),
        },
    })
}
