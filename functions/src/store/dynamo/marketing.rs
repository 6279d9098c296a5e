//! The marketing methods of the DynamoDB store (issued batch codes, counter
//! redemptions, visit counts, reports, exports, erasure).
//!
//! Not built yet on DynamoDB: each answers [`StoreError::Backend`] saying so,
//! which the API maps to a 500 problem and the CLI prints. The plan (see
//! `docs/marketing.md`): counter redemptions join the order's
//! `TransactWriteItems` shape (budget shard + member counter + code item);
//! the money budget needs a per-shard `given` sum under the condition
//! `given + :discount <= share`; reports query redemption and order items by
//! the campaign GSI and aggregate in Rust into the same rows SQLite returns.

use chrono::{DateTime, Utc};

use crate::store::{
    BatchCode, CampaignRow, CounterRedemption, CouponTotal, DishRow, HourRow, MemberExport,
    OrderExport, RedemptionExport, ReportRange, StoreError, Visit,
};

fn not_yet(what: &str) -> StoreError {
    StoreError::Backend(format!(
        "{what} is not available on the DynamoDB store yet; use the SQLite store (carte serve)"
    ))
}

pub(super) async fn issue_codes(_codes: Vec<BatchCode>) -> Result<u32, StoreError> {
    Err(not_yet("issuing batch codes"))
}

pub(super) async fn redeem_at_counter(_r: CounterRedemption) -> Result<(), StoreError> {
    Err(not_yet("counter redemption"))
}

pub(super) async fn member_order_count(_member: &str) -> Result<u32, StoreError> {
    Err(not_yet("counting a member's orders"))
}

pub(super) async fn record_visit(_visit: Visit, _cap: u32) -> Result<bool, StoreError> {
    Err(not_yet("counting visits"))
}

pub(super) async fn coupon_totals() -> Result<Vec<CouponTotal>, StoreError> {
    Err(not_yet("coupon totals"))
}

pub(super) async fn campaign_rows(_range: &ReportRange) -> Result<Vec<CampaignRow>, StoreError> {
    Err(not_yet("the campaign report"))
}

pub(super) async fn dish_sales(_range: &ReportRange) -> Result<Vec<DishRow>, StoreError> {
    Err(not_yet("the sales report"))
}

pub(super) async fn hourly_sales(_range: &ReportRange) -> Result<Vec<HourRow>, StoreError> {
    Err(not_yet("the sales report"))
}

pub(super) async fn export_orders(_range: &ReportRange) -> Result<Vec<OrderExport>, StoreError> {
    Err(not_yet("exporting orders"))
}

pub(super) async fn export_members(_range: &ReportRange) -> Result<Vec<MemberExport>, StoreError> {
    Err(not_yet("exporting members"))
}

pub(super) async fn export_redemptions(
    _range: &ReportRange,
) -> Result<Vec<RedemptionExport>, StoreError> {
    Err(not_yet("exporting redemptions"))
}

pub(super) async fn erase_member(_id: &str, _at: DateTime<Utc>) -> Result<(), StoreError> {
    Err(not_yet("erasing a member"))
}
