//! The marketing methods of the DynamoDB store: batch codes, counter
//! redemptions, visit counts, report rows, exports and erasure.
//!
//! * A counter redemption is the order transaction without the order and the
//!   idempotency key: a redemption item, the member check, a budget shard
//!   (count and money shares), the member's counter and the single-use code,
//!   each guarded by its condition, with the same refusal ranking and shard
//!   sweep as an order (see [`super::orders`]).
//! * Batch codes are written in transactions of at most 100 conditional puts;
//!   when one code exists already, the chunks already written are deleted
//!   again, so a batch is stored all or none.
//! * Visits are `ADD count 1` counters, one item per day, campaign, channel
//!   and location, capped by a condition.
//! * Reports and exports read items by index (orders by location on `gsi1`,
//!   redemptions by coupon shard on `gsi1`, the directories of locations,
//!   coupons, visits and members and each member's orders on `gsi3`) and
//!   aggregate in Rust into the rows the SQLite store computes in SQL.
//!   Index reads are eventually consistent on DynamoDB.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Select, TransactWriteItem, Update};
use catalog::Minor;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::coupons::{self, Plan, Shard};
use super::error::{
    back_off, build, condition_failed, contended, corrupt, retry_contended, sdk, still_contended,
    update_refused, CONTENTION_ATTEMPTS,
};
use super::item::{n, opt_number, opt_text, opt_time, parse_ts, put_opt, s, text, ts, Item};
use super::orders;
use super::schema::{self, PK, SK};
use super::DynamoStore;
use crate::store::{
    BatchCode, CampaignRow, CounterRedemption, CouponTotal, DishRow, HourRow, MemberExport,
    OrderContents, OrderExport, RedemptionClaim, RedemptionExport, ReportRange, StoreError, Touch,
    Touches, Visit,
};

/// DynamoDB's limit of items per `TransactWriteItems`.
const PER_TRANSACTION: usize = 100;

// --- Batch codes -----------------------------------------------------------

fn code_item(code: &BatchCode) -> Item {
    let mut item = schema::issued_code(&code.code);
    item.insert("code".into(), s(&code.code));
    item.insert("coupon".into(), s(&code.coupon));
    item.insert("campaign".into(), s(&code.campaign));
    item.insert("batch".into(), s(&code.batch));
    item.insert("created_at".into(), s(ts(code.created_at)));
    if let Some(channel) = &code.channel {
        item.insert("channel".into(), s(channel));
    }
    item
}

/// Sends one transaction, retrying contention; `Ok(None)` when it committed,
/// else the cancellation reasons of the failed conditions.
async fn send(
    store: &DynamoStore,
    items: Vec<TransactWriteItem>,
    what: &str,
) -> Result<Option<Vec<aws_sdk_dynamodb::types::CancellationReason>>, StoreError> {
    for attempt in 1..=CONTENTION_ATTEMPTS {
        let Some(reasons) = store.transact(items.clone()).await? else {
            return Ok(None);
        };
        if reasons.iter().any(condition_failed) {
            return Ok(Some(reasons));
        }
        if reasons.iter().any(contended) {
            back_off(attempt).await;
            continue;
        }
        return Err(StoreError::Backend(
            "TransactWriteItems cancelled without a reason".into(),
        ));
    }
    Err(still_contended(what))
}

/// Deletes codes of `batch` written by this call (unused ones), undoing a
/// partly stored batch.
async fn withdraw(store: &DynamoStore, codes: &[BatchCode]) -> Result<(), StoreError> {
    for chunk in codes.chunks(PER_TRANSACTION) {
        let mut items = Vec::with_capacity(chunk.len());
        for code in chunk {
            let delete = Delete::builder()
                .table_name(&store.table)
                .set_key(Some(schema::issued_code(&code.code)))
                .condition_expression("#batch = :batch AND attribute_not_exists(#used_by)")
                .expression_attribute_names("#batch", "batch")
                .expression_attribute_names("#used_by", "used_by")
                .expression_attribute_values(":batch", s(&code.batch))
                .build()
                .map_err(build)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        if send(store, items, "withdrawing batch codes")
            .await?
            .is_some()
        {
            return Err(StoreError::Backend(
                "a partly stored batch could not be withdrawn (a code was used meanwhile)".into(),
            ));
        }
    }
    Ok(())
}

/// Stores a batch of codes, all or none.
pub(super) async fn issue_codes(
    store: &DynamoStore,
    codes: Vec<BatchCode>,
) -> Result<u32, StoreError> {
    let mut seen = HashSet::new();
    if let Some(twice) = codes
        .iter()
        .find(|c| !seen.insert(c.code.trim().to_ascii_uppercase()))
    {
        return Err(StoreError::Backend(format!(
            "code {} not stored: it appears twice in the batch",
            twice.code
        )));
    }
    let count = u32::try_from(codes.len())
        .map_err(|_| StoreError::Backend("too many codes in one batch".into()))?;
    let mut written = 0;
    for chunk in codes.chunks(PER_TRANSACTION) {
        let mut items = Vec::with_capacity(chunk.len());
        for code in chunk {
            let put = store.put_if_new(code_item(code))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        let refused = match send(store, items, "issuing batch codes").await {
            Ok(None) => None,
            Ok(Some(reasons)) => Some(
                chunk
                    .iter()
                    .zip(&reasons)
                    .find(|(_, r)| condition_failed(r))
                    .map(|(code, _)| code.code.clone())
                    .unwrap_or_default(),
            ),
            Err(error) => {
                withdraw(store, &codes[..written]).await?;
                return Err(error);
            }
        };
        if let Some(code) = refused {
            withdraw(store, &codes[..written]).await?;
            return Err(StoreError::Backend(format!(
                "code {code} not stored: it exists already"
            )));
        }
        written += chunk.len();
    }
    Ok(count)
}

// --- Counter redemptions ----------------------------------------------------

/// What the failed condition of one item of a counter redemption means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    FreshId,
    Member,
    FirstOrder,
    Budget,
    PerMember,
    Code,
}

fn redemption_item(r: &CounterRedemption, shard: Shard) -> Item {
    let mut item = schema::counter_redemption(&r.id);
    let at = ts(r.at);
    let by_time = format!("{at}#{}", r.id);
    item.insert("id".into(), s(&r.id));
    item.insert("source".into(), s("counter"));
    item.insert("coupon".into(), s(&r.coupon));
    item.insert("campaign".into(), s(&r.campaign));
    item.insert("channel".into(), s("counter"));
    item.insert("location".into(), s(&r.location));
    put_opt(&mut item, "member_id", r.member_id.as_deref());
    put_opt(&mut item, "issued_code", r.issued_code.as_deref());
    item.insert("amount".into(), n(r.amount));
    item.insert("discount".into(), n(r.discount));
    item.insert("by".into(), s(&r.by));
    item.insert("at".into(), s(at));
    item.insert("shard".into(), n(shard.index));
    item.insert(
        "gsi1pk".into(),
        s(format!("REDEEMED#{}#{}", r.coupon, shard.index)),
    );
    item.insert("gsi1sk".into(), s(&by_time));
    item.insert(
        "gsi2pk".into(),
        s(format!("CAMPAIGN#{}#{}", r.campaign, shard.index)),
    );
    item.insert("gsi2sk".into(), s(by_time));
    item
}

fn counter_transaction(
    store: &DynamoStore,
    r: &CounterRedemption,
    claim: &RedemptionClaim,
    shard: Shard,
) -> Result<(Vec<TransactWriteItem>, Vec<Guard>), StoreError> {
    let mut items = Vec::new();
    let mut guards = Vec::new();
    let put = store.put_if_new(redemption_item(r, shard))?;
    items.push(TransactWriteItem::builder().put(put).build());
    guards.push(Guard::FreshId);
    if let Some(member) = &r.member_id {
        let check = store.member_exists(member)?;
        items.push(TransactWriteItem::builder().condition_check(check).build());
        guards.push(Guard::Member);
        if r.first_order_only {
            // The member's order counter, as an order's first-order coupon reads it,
            // checked in this transaction: an order committing meanwhile conflicts.
            let check = ConditionCheck::builder()
                .table_name(&store.table)
                .set_key(Some(schema::member_order_counter(member)))
                .condition_expression("attribute_not_exists(#orders) OR #orders < :one")
                .expression_attribute_names("#orders", "orders")
                .expression_attribute_values(":one", n(1))
                .build()
                .map_err(build)?;
            items.push(TransactWriteItem::builder().condition_check(check).build());
            guards.push(Guard::FirstOrder);
        }
    }
    let update = orders::shard_update(store, claim, shard)?;
    items.push(TransactWriteItem::builder().update(update).build());
    guards.push(Guard::Budget);
    if let Some(member) = &r.member_id {
        let update = orders::counter_update(
            store,
            schema::member_counter(&r.coupon, member),
            "used",
            r.per_member,
        )?;
        items.push(TransactWriteItem::builder().update(update).build());
        guards.push(Guard::PerMember);
    }
    if let Some(code) = &r.issued_code {
        let update = Update::builder()
            .table_name(&store.table)
            .set_key(Some(schema::issued_code(code)))
            .update_expression("SET #used_by = :by, #used_at = :at, #used_via = :via")
            .expression_attribute_names("#used_at", "used_at")
            .expression_attribute_names("#used_via", "used_via")
            .expression_attribute_values(":by", s(&r.id))
            .expression_attribute_values(":at", s(ts(r.at)))
            .expression_attribute_values(":via", s("counter"));
        let update = orders::code_condition(update, &r.coupon, r.member_id.as_deref())
            .build()
            .map_err(build)?;
        items.push(TransactWriteItem::builder().update(update).build());
        guards.push(Guard::Code);
    }
    Ok((items, guards))
}

/// Records a counter redemption: see the module documentation.
pub(super) async fn redeem_at_counter(
    store: &DynamoStore,
    r: CounterRedemption,
) -> Result<(), StoreError> {
    // Like an order: a per-member limit needs a member.
    if r.per_member == Some(0) || (r.per_member.is_some() && r.member_id.is_none()) {
        if let Some(member) = &r.member_id {
            if store.get(schema::member(member)).await?.is_none() {
                return Err(StoreError::UnknownMember);
            }
        }
        return Err(StoreError::PerMemberLimit);
    }
    if r.first_order_only && r.member_id.is_none() {
        return Err(StoreError::CouponRefused(
            catalog::CouponRejection::MembersOnly,
        ));
    }
    let claim = RedemptionClaim {
        coupon: r.coupon.clone(),
        campaign: r.campaign.clone(),
        discount: r.discount,
        issued_code: r.issued_code.clone(),
        budget: r.budget,
        per_member: r.per_member,
        budget_amount: r.budget_amount,
        first_order_only: r.first_order_only,
    };
    if r.first_order_only {
        if let Some(member) = &r.member_id {
            orders::count_earlier_orders(store, member).await?;
        }
    }
    let shards = match coupons::plan(store, Some(&claim)) {
        Plan::Shards(shards) => shards,
        Plan::NoCoupon | Plan::Exhausted => {
            if let Some(member) = &r.member_id {
                if store.get(schema::member(member)).await?.is_none() {
                    return Err(StoreError::UnknownMember);
                }
            }
            return Err(StoreError::BudgetExhausted);
        }
    };
    for shard in shards {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (items, guards) = counter_transaction(store, &r, &claim, shard)?;
            let Some(reasons) = store.transact(items).await? else {
                return Ok(());
            };
            let failed = |wanted: Guard| super::error::failed(&guards, &reasons, wanted);
            if failed(Guard::FreshId).is_some() {
                return Err(StoreError::Backend(format!(
                    "redemption id `{}` exists already",
                    r.id
                )));
            }
            if failed(Guard::Member).is_some() {
                return Err(StoreError::UnknownMember);
            }
            if failed(Guard::FirstOrder).is_some() {
                return Err(StoreError::CouponRefused(
                    catalog::CouponRejection::FirstOrderOnly,
                ));
            }
            if failed(Guard::PerMember).is_some() {
                return Err(StoreError::PerMemberLimit);
            }
            if let Some(reason) = failed(Guard::Code) {
                let member = r.member_id.as_deref();
                return Err(orders::code_refusal(store, reason, &claim, member).await?);
            }
            if let Some(reason) = failed(Guard::Budget) {
                coupons::shard_refused(store, &claim.coupon, shard, reason)?;
                // This shard is full; try the next one.
                break;
            }
            retry_contended(&reasons, attempt, "redeeming at the counter").await?;
        }
    }
    Err(StoreError::BudgetExhausted)
}

// --- Visits ------------------------------------------------------------------

/// Counts a visit unless the day's cap is reached.
pub(super) async fn record_visit(
    store: &DynamoStore,
    visit: Visit,
    cap: u32,
) -> Result<bool, StoreError> {
    let day = visit.day.to_string();
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(schema::visit(
            visit.day,
            &visit.campaign,
            &visit.channel,
            &visit.location,
        )))
        .update_expression(
            "ADD #count :one SET #day = :day, #campaign = :campaign, #channel = :channel, \
             #location = :location, #dir = :dir, #dir_sort = :dir_sort",
        )
        .condition_expression("attribute_not_exists(#count) OR #count < :cap")
        .expression_attribute_names("#count", "count")
        .expression_attribute_names("#day", "day")
        .expression_attribute_names("#campaign", "campaign")
        .expression_attribute_names("#channel", "channel")
        .expression_attribute_names("#location", "location")
        .expression_attribute_names("#dir", "gsi3pk")
        .expression_attribute_names("#dir_sort", "gsi3sk")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":cap", n(cap))
        .expression_attribute_values(
            ":dir_sort",
            s(format!(
                "{day}#{}#{}#{}",
                visit.campaign, visit.channel, visit.location
            )),
        )
        .expression_attribute_values(":day", s(day))
        .expression_attribute_values(":campaign", s(visit.campaign))
        .expression_attribute_values(":channel", s(visit.channel))
        .expression_attribute_values(":location", s(visit.location))
        .expression_attribute_values(":dir", s(schema::VISIT_DIRECTORY))
        .send()
        .await;
    match sent {
        // Like SQLite: a cap of zero never answers "counted".
        Ok(_) => Ok(cap > 0),
        Err(error) if update_refused(&error) => Ok(false),
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}

// --- Index reads -------------------------------------------------------------

/// Every item of one index partition, optionally with the sort key between
/// `low` and `high` (both included), in sort-key order.
pub(super) async fn index_items(
    store: &DynamoStore,
    index: &str,
    attributes: (&str, &str),
    partition: String,
    between: Option<(String, String)>,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut query = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(index)
            .expression_attribute_names("#pk", attributes.0)
            .expression_attribute_values(":pk", s(partition.clone()))
            .set_exclusive_start_key(start);
        query = match &between {
            Some((low, high)) => query
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                .expression_attribute_names("#sk", attributes.1)
                .expression_attribute_values(":low", s(low.clone()))
                .expression_attribute_values(":high", s(high.clone())),
            None => query.key_condition_expression("#pk = :pk"),
        };
        let page = query.send().await.map_err(|e| sdk("Query", e))?;
        items.extend(page.items().iter().cloned());
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(items);
        }
    }
}

/// The table keys of index entries.
pub(super) fn table_keys(entries: &[Item]) -> Vec<Item> {
    entries
        .iter()
        .map(|entry| {
            entry
                .iter()
                .filter(|(name, _)| *name == PK || *name == SK)
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .collect()
}

/// The items a keys-only `gsi3` partition lists (strongly consistent reads).
async fn directory(
    store: &DynamoStore,
    partition: String,
    between: Option<(String, String)>,
) -> Result<Vec<Item>, StoreError> {
    let entries = index_items(
        store,
        schema::GSI3,
        ("gsi3pk", "gsi3sk"),
        partition,
        between,
    )
    .await?;
    store.batch_get(table_keys(&entries)).await
}

/// `BETWEEN` bounds of `<ts>#<id>` sort keys for instants in `[start, end)`.
pub(super) fn instants(range: &ReportRange) -> (String, String) {
    (ts(range.start), ts(range.end))
}

/// One order, as reports read it.
pub(super) struct OrderRow {
    pub(super) id: String,
    pub(super) number: Option<String>,
    pub(super) location: String,
    pub(super) status: String,
    pub(super) placed_at: String,
    pub(super) total: Minor,
    member_id: Option<String>,
    pub(super) campaign: Option<String>,
    pub(super) channel: Option<String>,
    coupon: Option<String>,
    cart: Value,
    quote: Value,
    touches: Option<String>,
    name: Option<String>,
    note: Option<String>,
}

impl OrderRow {
    fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }
}

fn json_value(item: &Item, name: &str) -> Result<Value, StoreError> {
    match opt_text(item, name) {
        Some(text) => serde_json::from_str(&text).map_err(|e| corrupt(format!("`{name}`: {e}"))),
        None => Ok(Value::Null),
    }
}

pub(super) fn order_row(item: &Item) -> Result<OrderRow, StoreError> {
    Ok(OrderRow {
        id: text(item, "id")?,
        number: opt_text(item, "number"),
        location: text(item, "location")?,
        status: text(item, "status")?,
        placed_at: text(item, "placed_at")?,
        total: opt_number(item, "total")?.unwrap_or(0),
        member_id: opt_text(item, "member_id"),
        campaign: opt_text(item, "campaign"),
        channel: opt_text(item, "channel"),
        coupon: opt_text(item, "coupon"),
        cart: json_value(item, "cart")?,
        quote: json_value(item, "quote")?,
        touches: opt_text(item, "touches"),
        name: opt_text(item, "name"),
        note: opt_text(item, "note"),
    })
}

/// Every location that has orders (from the number counters' directory).
pub(super) async fn locations(store: &DynamoStore) -> Result<BTreeSet<String>, StoreError> {
    let entries = index_items(
        store,
        schema::GSI3,
        ("gsi3pk", "gsi3sk"),
        schema::LOCATION_DIRECTORY.to_owned(),
        None,
    )
    .await?;
    Ok(entries
        .iter()
        .filter_map(|entry| opt_text(entry, PK))
        .filter_map(|pk| pk.strip_prefix("LOC#").map(str::to_owned))
        .collect())
}

/// Orders placed in `range` (every status), oldest first (ties by id).
pub(super) async fn orders_in(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<OrderRow>, StoreError> {
    let places = match &range.location {
        Some(location) => BTreeSet::from([location.clone()]),
        None => locations(store).await?,
    };
    let mut rows = Vec::new();
    for location in places {
        let items = index_items(
            store,
            schema::GSI1,
            ("gsi1pk", "gsi1sk"),
            schema::by_location(&location),
            Some(instants(range)),
        )
        .await?;
        for item in &items {
            rows.push(order_row(item)?);
        }
    }
    rows.sort_by(|a, b| (&a.placed_at, &a.id).cmp(&(&b.placed_at, &b.id)));
    Ok(rows)
}

/// Every order of a member (any status, any time), oldest first (ties by id).
async fn member_orders(store: &DynamoStore, member: &str) -> Result<Vec<OrderRow>, StoreError> {
    let items = directory(store, schema::member_orders(member), None).await?;
    let mut rows = items.iter().map(order_row).collect::<Result<Vec<_>, _>>()?;
    rows.sort_by(|a, b| (&a.placed_at, &a.id).cmp(&(&b.placed_at, &b.id)));
    Ok(rows)
}

/// One redemption, online or at the counter.
struct RedemptionRow {
    id: String,
    at: String,
    source: String,
    coupon: String,
    campaign: String,
    channel: Option<String>,
    location: Option<String>,
    order_id: Option<String>,
    member_id: Option<String>,
    issued_code: Option<String>,
    amount: Minor,
    discount: Minor,
}

fn redemption_row(item: &Item) -> Result<RedemptionRow, StoreError> {
    let order_id = opt_text(item, "order_id");
    Ok(RedemptionRow {
        id: opt_text(item, "id")
            .or_else(|| order_id.clone())
            .ok_or_else(|| corrupt("a redemption without an id"))?,
        at: text(item, "at")?,
        source: opt_text(item, "source").unwrap_or_else(|| "online".to_owned()),
        coupon: text(item, "coupon")?,
        campaign: text(item, "campaign")?,
        channel: opt_text(item, "channel"),
        location: opt_text(item, "location"),
        order_id,
        member_id: opt_text(item, "member_id"),
        issued_code: opt_text(item, "issued_code"),
        amount: opt_number(item, "amount")?.unwrap_or(0),
        discount: opt_number(item, "discount")?.unwrap_or(0),
    })
}

/// Redemptions in `range` (at its location, if any), oldest first (ties by id).
async fn redemptions_in(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<RedemptionRow>, StoreError> {
    let mut rows = Vec::new();
    for key in coupons::shard_keys(store).await? {
        let Some(pk) = opt_text(&key, PK) else {
            continue;
        };
        // `COUPON#<coupon>#<shard>`: the redemptions of that shard.
        let Some(shard) = pk.strip_prefix("COUPON#") else {
            continue;
        };
        let items = index_items(
            store,
            schema::GSI1,
            ("gsi1pk", "gsi1sk"),
            format!("REDEEMED#{shard}"),
            Some(instants(range)),
        )
        .await?;
        for item in &items {
            let row = redemption_row(item)?;
            if range
                .location
                .as_ref()
                .is_none_or(|l| row.location.as_ref() == Some(l))
            {
                rows.push(row);
            }
        }
    }
    rows.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    Ok(rows)
}

// --- Reports -----------------------------------------------------------------

/// How many orders a member has placed (cancelled ones included).
pub(super) async fn member_order_count(
    store: &DynamoStore,
    member: &str,
) -> Result<u32, StoreError> {
    let mut total = 0u32;
    let mut start = None;
    loop {
        let page = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(schema::GSI3)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", "gsi3pk")
            .expression_attribute_values(":pk", s(schema::member_orders(member)))
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| sdk("Query", e))?;
        total = total.saturating_add(u32::try_from(page.count()).unwrap_or(0));
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(total);
        }
    }
}

/// Redemptions and discount per coupon, all time: the sums of its shards.
pub(super) async fn coupon_totals(store: &DynamoStore) -> Result<Vec<CouponTotal>, StoreError> {
    let mut totals: BTreeMap<String, (u32, Minor)> = BTreeMap::new();
    for item in store.batch_get(coupons::shard_keys(store).await?).await? {
        let Some(coupon) = opt_text(&item, "coupon") else {
            continue;
        };
        let used = coupons::used(&item)?;
        let given: Minor = opt_number(&item, "given")?.unwrap_or(0);
        let total = totals.entry(coupon).or_default();
        total.0 = total.0.saturating_add(used);
        total.1 = total.1.saturating_add(given);
    }
    Ok(totals
        .into_iter()
        .filter(|(_, (redemptions, _))| *redemptions > 0)
        .map(|(coupon, (redemptions, discount))| CouponTotal {
            coupon,
            redemptions,
            discount,
        })
        .collect())
}

type Key = (String, String, String);

fn row_of(rows: &mut BTreeMap<Key, CampaignRow>, key: Key) -> &mut CampaignRow {
    rows.entry(key.clone()).or_insert_with(|| CampaignRow {
        campaign: key.0,
        channel: key.1,
        location: key.2,
        ..CampaignRow::default()
    })
}

/// Campaign figures per campaign, channel and location (as the SQLite store's SQL).
pub(super) async fn campaign_rows(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<CampaignRow>, StoreError> {
    let mut rows: BTreeMap<Key, CampaignRow> = BTreeMap::new();
    let end = ts(range.end);
    let orders = orders_in(store, range).await?;
    let attributed: Vec<(&OrderRow, Key)> = orders
        .iter()
        .filter(|o| !o.cancelled())
        .filter_map(|o| match (&o.campaign, &o.channel) {
            (Some(campaign), Some(channel)) => {
                Some((o, (campaign.clone(), channel.clone(), o.location.clone())))
            }
            _ => None,
        })
        .collect();
    for (order, key) in &attributed {
        let row = row_of(&mut rows, key.clone());
        row.orders += 1;
        row.revenue = row.revenue.saturating_add(order.total);
    }
    // Members: every order of each member among these orders, all time.
    let mut histories: HashMap<String, Vec<OrderRow>> = HashMap::new();
    for (order, _) in &attributed {
        if let Some(member) = &order.member_id {
            if !histories.contains_key(member) {
                let history = member_orders(store, member).await?;
                histories.insert(member.clone(), history);
            }
        }
    }
    let mut members: BTreeMap<Key, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for (order, key) in &attributed {
        let Some(member) = &order.member_id else {
            continue;
        };
        let history = histories.get(member).map(Vec::as_slice).unwrap_or(&[]);
        let me = (&order.placed_at, &order.id);
        let later = history
            .iter()
            .any(|p| !p.cancelled() && p.placed_at < end && (&p.placed_at, &p.id) > me);
        let entry = members.entry(key.clone()).or_default();
        entry.0.insert(member.clone());
        if later {
            entry.1.insert(member.clone());
        }
    }
    for (key, (all, repeat)) in members {
        let row = row_of(&mut rows, key);
        row.members = all.len() as u64;
        row.repeat_members = repeat.len() as u64;
    }
    // New members: signed up in the period through the campaign's channel.
    let (start, end) = instants(range);
    for item in directory(
        store,
        schema::MEMBER_DIRECTORY.to_owned(),
        Some((start.clone(), end.clone())),
    )
    .await?
    {
        let created = text(&item, "created_at")?;
        let location = opt_text(&item, "location").unwrap_or_default();
        if created < start
            || created >= end
            || range.location.as_ref().is_some_and(|l| *l != location)
        {
            continue;
        }
        if let (Some(campaign), Some(channel)) =
            (opt_text(&item, "campaign"), opt_text(&item, "channel"))
        {
            row_of(&mut rows, (campaign, channel, location)).new_members += 1;
        }
    }
    for r in redemptions_in(store, range).await? {
        let key = (
            r.campaign.clone(),
            r.channel.clone().unwrap_or_else(|| "direct".to_owned()),
            r.location.clone().unwrap_or_default(),
        );
        let row = row_of(&mut rows, key);
        if r.source == "online" {
            row.redemptions_online += 1;
        }
        if r.source == "counter" {
            row.redemptions_counter += 1;
            row.counter_spend = row.counter_spend.saturating_add(r.amount);
        }
        row.discount = row.discount.saturating_add(r.discount);
    }
    let visits = directory(
        store,
        schema::VISIT_DIRECTORY.to_owned(),
        Some((range.first_day.to_string(), format!("{}$", range.last_day))),
    )
    .await?;
    for item in &visits {
        let location = text(item, "location")?;
        if range.location.as_ref().is_some_and(|l| *l != location) {
            continue;
        }
        let day = text(item, "day")?;
        if day < range.first_day.to_string() || day > range.last_day.to_string() {
            continue;
        }
        let count: u64 = opt_number(item, "count")?.unwrap_or(0);
        let row = row_of(
            &mut rows,
            (text(item, "campaign")?, text(item, "channel")?, location),
        );
        row.visits += count;
    }
    Ok(rows.into_values().collect())
}

fn lines(quote: &Value) -> &[Value] {
    quote
        .get("lines")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn int(value: &Value, name: &str) -> i64 {
    value.get(name).and_then(Value::as_i64).unwrap_or(0)
}

fn u64_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Sales per dish (cancelled orders left out), biggest revenue first.
pub(super) async fn dish_sales(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<DishRow>, StoreError> {
    let mut dishes: BTreeMap<String, (Option<String>, i64, Minor)> = BTreeMap::new();
    for order in orders_in(store, range).await? {
        if order.cancelled() {
            continue;
        }
        for line in lines(&order.quote) {
            let Some(dish) = line.get("dish").and_then(Value::as_str) else {
                continue;
            };
            let entry = dishes.entry(dish.to_owned()).or_default();
            if let Some(name) = line.get("name").and_then(Value::as_str) {
                if entry.0.as_deref().is_none_or(|max| name > max) {
                    entry.0 = Some(name.to_owned());
                }
            }
            entry.1 = entry.1.saturating_add(int(line, "quantity"));
            entry.2 = entry.2.saturating_add(int(line, "total"));
        }
    }
    let mut rows: Vec<DishRow> = dishes
        .into_iter()
        .map(|(dish, (name, quantity, revenue))| DishRow {
            dish,
            name: name.unwrap_or_default(),
            quantity: u64_of(quantity),
            revenue,
        })
        .collect();
    rows.sort_by(|a, b| b.revenue.cmp(&a.revenue).then_with(|| a.dish.cmp(&b.dish)));
    Ok(rows)
}

/// Orders and revenue per UTC hour (cancelled orders left out).
pub(super) async fn hourly_sales(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<HourRow>, StoreError> {
    let mut hours: BTreeMap<String, (u64, Minor)> = BTreeMap::new();
    for order in orders_in(store, range).await? {
        if order.cancelled() {
            continue;
        }
        let hour: String = order.placed_at.chars().take(13).collect();
        let entry = hours.entry(hour).or_default();
        entry.0 += 1;
        entry.1 = entry.1.saturating_add(order.total);
    }
    hours
        .into_iter()
        .map(|(hour, (orders, revenue))| {
            let hour = NaiveDateTime::parse_from_str(&format!("{hour}:00:00"), "%Y-%m-%dT%H:%M:%S")
                .map_err(|e| corrupt(format!("hour `{hour}`: {e}")))?
                .and_utc();
            Ok(HourRow {
                hour,
                orders,
                revenue,
            })
        })
        .collect()
}

fn touch_text(touch: Option<Touch>) -> Option<String> {
    touch.map(|t| format!("{}/{}", t.campaign, t.channel))
}

/// Orders placed in `range`, oldest first.
pub(super) async fn export_orders(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<OrderExport>, StoreError> {
    let mut rows = Vec::new();
    for order in orders_in(store, range).await? {
        let number = match order.number.clone() {
            Some(number) => number,
            // Committed but not numbered yet: reading it numbers it.
            None => orders::get(store, &order.id).await?.number,
        };
        let touches: Touches = order
            .touches
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        let contents = OrderContents::of(&order.cart, &order.quote);
        rows.push(OrderExport {
            number,
            placed_at: parse_ts(&order.placed_at)?,
            fulfilment: contents.fulfilment,
            table: contents.table,
            pickup_slot: contents.pickup_slot,
            name: order.name,
            note: order.note,
            items: contents.items,
            lines: contents.lines,
            subtotal: int(&order.quote, "subtotal"),
            discount: int(&order.quote, "discount"),
            service_charge: int(&order.quote, "service_charge"),
            tax: int(&order.quote, "tax"),
            total: order.total,
            first_touch: touch_text(touches.first),
            last_touch: touch_text(touches.last),
            id: order.id,
            location: order.location,
            status: order.status,
            coupon: order.coupon,
            campaign: order.campaign,
            channel: order.channel,
            member_id: order.member_id,
        });
    }
    Ok(rows)
}

/// Members who signed up in `range` (with an order at its location, if any).
pub(super) async fn export_members(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<MemberExport>, StoreError> {
    let (start, end) = instants(range);
    let items = directory(
        store,
        schema::MEMBER_DIRECTORY.to_owned(),
        Some((start.clone(), end.clone())),
    )
    .await?;
    let mut rows = Vec::new();
    for item in &items {
        let created = text(item, "created_at")?;
        if created < start || created >= end {
            continue;
        }
        let id = text(item, "id")?;
        let history = member_orders(store, &id).await?;
        if let Some(location) = &range.location {
            if !history.iter().any(|o| &o.location == location) {
                continue;
            }
        }
        let kept: Vec<&OrderRow> = history.iter().filter(|o| !o.cancelled()).collect();
        rows.push((
            created.clone(),
            MemberExport {
                phone: opt_text(item, "phone"),
                email: opt_text(item, "email"),
                name: opt_text(item, "name"),
                consent_at: parse_ts(&text(item, "consent_at")?)?,
                consent_withdrawn_at: opt_time(item, "consent_withdrawn_at")?,
                created_at: parse_ts(&created)?,
                erased_at: opt_time(item, "erased_at")?,
                orders: kept.len() as u64,
                spent: kept.iter().map(|o| o.total).fold(0, Minor::saturating_add),
                id,
            },
        ));
    }
    rows.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

/// Redemptions (online and at the counter) in `range`, oldest first.
pub(super) async fn export_redemptions(
    store: &DynamoStore,
    range: &ReportRange,
) -> Result<Vec<RedemptionExport>, StoreError> {
    redemptions_in(store, range)
        .await?
        .into_iter()
        .map(|r| {
            Ok(RedemptionExport {
                at: parse_ts(&r.at)?,
                id: r.id,
                source: r.source,
                coupon: r.coupon,
                campaign: r.campaign,
                channel: r.channel,
                location: r.location,
                order_id: r.order_id,
                member_id: r.member_id,
                issued_code: r.issued_code,
                amount: r.amount,
                discount: r.discount,
            })
        })
        .collect()
}

// --- Erasure -----------------------------------------------------------------

/// A claim's delete, if it still names this member (a missing one is fine).
fn release(store: &DynamoStore, key: Item, member: &str) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.table)
        .set_key(Some(key))
        .condition_expression("attribute_not_exists(#pk) OR #member = :member")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#member", "member_id")
        .expression_attribute_values(":member", s(member))
        .build()
        .map_err(build)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Removes a member's phone, email and name and releases the phone and email
/// claims in one transaction, then removes names and notes from their orders, the
/// notes of their ratings and their orders' push subscriptions.
pub(super) async fn erase_member(
    store: &DynamoStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut erased = false;
    for attempt in 1..=CONTENTION_ATTEMPTS {
        let Some(member) = store.get(schema::member(id)).await? else {
            return Err(StoreError::NotFound);
        };
        let mut items = vec![TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&store.table)
                    .set_key(Some(schema::member(id)))
                    .update_expression(
                        "REMOVE #phone, #email, #name SET #erased = if_not_exists(#erased, :at)",
                    )
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#pk", PK)
                    .expression_attribute_names("#phone", "phone")
                    .expression_attribute_names("#email", "email")
                    .expression_attribute_names("#name", "name")
                    .expression_attribute_names("#erased", "erased_at")
                    .expression_attribute_values(":at", s(ts(at)))
                    .build()
                    .map_err(build)?,
            )
            .build()];
        if let Some(phone) = opt_text(&member, "phone") {
            items.push(release(store, schema::member_phone(&phone), id)?);
        }
        if let Some(email) = opt_text(&member, "email") {
            items.push(release(store, schema::member_email(&email), id)?);
        }
        match send(store, items, "erasing a member").await? {
            None => {
                erased = true;
                break;
            }
            Some(reasons) => {
                if reasons.first().is_some_and(condition_failed) {
                    return Err(StoreError::NotFound);
                }
                // A claim changed under us: read the member again.
                back_off(attempt).await;
            }
        }
    }
    if !erased {
        return Err(still_contended("erasing a member"));
    }
    for order in member_orders(store, id).await? {
        store
            .client
            .update_item()
            .table_name(&store.table)
            .set_key(Some(schema::order(&order.id)))
            .update_expression("REMOVE #name, #note")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#note", "note")
            .send()
            .await
            .map_err(|e| sdk("UpdateItem", e))?;
        // What the diner wrote after the meal, and the browsers told "your order is ready".
        super::ratings::erase_note(store, &order.id).await?;
        super::push::remove(store, &order.id, None).await?;
    }
    Ok(())
}
