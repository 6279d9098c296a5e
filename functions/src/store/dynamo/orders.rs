//! Orders: placing one in a single transaction, numbering it, answering a
//! retry, the kitchen's queue, status changes and linking to a member.
//!
//! # Placing
//!
//! One `TransactWriteItems`, no read before it:
//!
//! | # | item                   | condition                                       | refused as            |
//! |---|------------------------|-------------------------------------------------|-----------------------|
//! | 0 | order (Put)            | `attribute_not_exists(pk)`                      | (id clash: a bug)     |
//! | 1 | idempotency key (Put)  | `attribute_not_exists(pk) OR expires_at < now` (`OR order_id = :cancelled` when replacing a cancelled order's key) | replay / conflict     |
//! | 2 | member (check)         | `attribute_exists(pk)`                          | `UnknownMember`       |
//! | 2a | member's order counter (ADD 1) | `attribute_not_exists(orders) OR orders < 1` for a first-order coupon (none otherwise) | `CouponRefused(FirstOrderOnly)` |
//! | 3 | redemption (Put)       | `attribute_not_exists(pk)`                      | (id clash: a bug)     |
//! | 4 | budget shard (ADD 1, ADD discount) | `used < share` and/or `given <= money share - discount` | next shard, at last `BudgetExhausted` |
//! | 5 | member counter (ADD 1) | `attribute_not_exists(used) OR used < limit`    | `PerMemberLimit`      |
//! | 6 | single-use code (SET)  | exists, same coupon, `attribute_not_exists(used_by)`, `member_id` absent, empty or the order's member | `CodeAlreadyUsed` / `NotFound` / `CouponRefused` |
//! | 7 | slot counter (ADD 1)   | `attribute_not_exists(taken) OR taken < capacity` | `SlotFull`          |
//!
//! A key whose order was cancelled is free again: the refused transaction is tried
//! once more, allowed to replace exactly that record (another placer replacing it
//! first makes the condition fail again, and the retry is answered with its order).
//!
//! Items 2–7 are present only when the order needs them; each item's role is
//! remembered next to it, so a cancellation reason at index *i* maps back to
//! its domain error. Several failed conditions are ranked like the SQLite
//! store checks them (key first, then member, first order, limits, code, slot).
//!
//! # Numbering
//!
//! After the commit: `ADD last 1` on the location's day counter (returns the
//! new value), then `SET number` on the order if it has none. A refused order
//! never touches the counter. A reader that meets an unnumbered order waits
//! briefly for its placer, then numbers it itself; the conditional `SET`
//! keeps exactly one number per order, and a number is skipped only when a
//! placer died between the two writes or was slower than that wait.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::coupons::{self, Plan, Shard};
use super::error::{
    back_off, build, contended, corrupt, failed, retry_contended, sdk, still_contended,
    update_refused, CONTENTION_ATTEMPTS,
};
use super::item::{decode_order, n, opt_number, opt_text, put_opt, s, text, to_json, ts, Item};
use super::schema::{self, PK};
use super::DynamoStore;
use crate::store::{
    NewOrder, Order, OrderStatus, Placed, RedemptionClaim, StatusChange, StatusTimes, StoreError,
};

/// What the failed condition of one transaction item means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// The order's (or its redemption's) id exists already: a caller bug.
    FreshId,
    /// The order item's own state (its status, its member) changed or is missing.
    Order,
    Idempotency,
    Member,
    FirstOrder,
    Budget,
    PerMember,
    Code,
    Slot,
}

/// The items of one transaction and what each one's condition guards.
#[derive(Default)]
struct Transaction {
    items: Vec<TransactWriteItem>,
    guards: Vec<Guard>,
}

impl Transaction {
    fn put(&mut self, guard: Guard, put: Put) {
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self.guards.push(guard);
    }

    fn update(&mut self, guard: Guard, update: Update) {
        self.items
            .push(TransactWriteItem::builder().update(update).build());
        self.guards.push(guard);
    }

    fn delete(&mut self, guard: Guard, delete: Delete) {
        self.items
            .push(TransactWriteItem::builder().delete(delete).build());
        self.guards.push(guard);
    }

    fn check(&mut self, guard: Guard, check: ConditionCheck) {
        self.items
            .push(TransactWriteItem::builder().condition_check(check).build());
        self.guards.push(guard);
    }

    /// The first failed item (by rank) among the cancellation reasons.
    fn failed<'r>(
        &self,
        reasons: &'r [CancellationReason],
        guard: Guard,
    ) -> Option<&'r CancellationReason> {
        failed(&self.guards, reasons, guard)
    }
}

/// How long a reader waits, at most, for a placer to number its order.
const NUMBER_WAIT: Duration = Duration::from_millis(25);
const NUMBER_WAITS: u32 = 10;

fn epoch_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The order item as first written (without its number).
fn order_item(order: &NewOrder) -> Result<Item, StoreError> {
    let status = OrderStatus::Received.as_str();
    let mut times = StatusTimes::default();
    times.set(OrderStatus::Received, order.placed_at);
    let history = vec![received(order.placed_at)];
    let mut item = schema::order(&order.id);
    item.insert("id".into(), s(&order.id));
    item.insert("location".into(), s(&order.location));
    item.insert("status".into(), s(status));
    item.insert("cart".into(), to_json(&order.cart)?);
    item.insert("quote".into(), to_json(&order.quote)?);
    item.insert("total".into(), n(order.quote.total));
    put_opt(&mut item, "note", order.note.as_deref());
    put_opt(&mut item, "name", order.name.as_deref());
    put_opt(&mut item, "member_id", order.member_id.as_deref());
    if let Some(member) = &order.member_id {
        // The member's orders, for counts, first orders and exports (keys only).
        item.insert("gsi3pk".into(), s(schema::member_orders(member)));
        item.insert("gsi3sk".into(), s(ts(order.placed_at)));
    }
    if let Some(attribution) = &order.attribution {
        item.insert("campaign".into(), s(&attribution.campaign));
        item.insert("channel".into(), s(&attribution.channel));
    }
    put_opt(
        &mut item,
        "coupon",
        order.redemption.as_ref().map(|c| c.coupon.as_str()),
    );
    if let Some(slot) = &order.slot {
        item.insert("slot".into(), s(ts(slot.start)));
    }
    item.insert("token_hash".into(), s(&order.token_hash));
    item.insert("times".into(), to_json(&times)?);
    item.insert("history".into(), to_json(&history)?);
    item.insert("placed_at".into(), s(ts(order.placed_at)));
    if order.touches != Default::default() {
        // Kept for attribution reports (first and last campaign touch).
        item.insert("touches".into(), to_json(&order.touches)?);
    }
    // What a reader needs to number the order if its placer could not.
    item.insert("order_prefix".into(), s(&order.order_prefix));
    item.insert("local_day".into(), s(order.local_day.to_string()));
    let by_time = schema::by_time(order.placed_at, &order.id);
    item.insert("gsi1pk".into(), s(schema::by_location(&order.location)));
    item.insert("gsi1sk".into(), s(&by_time));
    item.insert(
        "gsi2pk".into(),
        s(schema::by_status(&order.location, status)),
    );
    item.insert("gsi2sk".into(), s(by_time));
    Ok(item)
}

fn received(at: DateTime<Utc>) -> StatusChange {
    StatusChange {
        status: OrderStatus::Received,
        at,
        by: "diner".to_owned(),
        reason: None,
    }
}

/// The stored order, as [`order_item`] wrote it plus its number.
fn stored_order(order: NewOrder, number: String) -> Order {
    let mut times = StatusTimes::default();
    times.set(OrderStatus::Received, order.placed_at);
    Order {
        id: order.id,
        number,
        location: order.location,
        status: OrderStatus::Received,
        cart: order.cart,
        quote: order.quote,
        note: order.note,
        name: order.name,
        member_id: order.member_id,
        attribution: order.attribution,
        coupon: order.redemption.map(|c| c.coupon),
        slot: order.slot.map(|s| s.start),
        times,
        history: vec![received(order.placed_at)],
        token_hash: order.token_hash,
    }
}

/// `ADD <counter> 1`, guarded by `counter < limit` when there is a limit.
pub(super) fn counter_update(
    store: &DynamoStore,
    key: Item,
    counter: &str,
    limit: Option<u32>,
) -> Result<Update, StoreError> {
    let mut update = Update::builder()
        .table_name(&store.table)
        .set_key(Some(key))
        .update_expression("ADD #counter :one")
        .expression_attribute_names("#counter", counter)
        .expression_attribute_values(":one", n(1));
    if let Some(limit) = limit {
        update = update
            .condition_expression("attribute_not_exists(#counter) OR #counter < :limit")
            .expression_attribute_values(":limit", n(limit));
    }
    update.build().map_err(build)
}

/// `ADD used 1, given <discount>` on a budget shard, guarded by its shares
/// of the count and money budgets; the item as it was comes back on failure,
/// to tell a full shard from a discount too big for what is left of it.
pub(super) fn shard_update(
    store: &DynamoStore,
    claim: &RedemptionClaim,
    shard: Shard,
) -> Result<Update, StoreError> {
    let mut update = Update::builder()
        .table_name(&store.table)
        .set_key(Some(schema::coupon_shard(&claim.coupon, shard.index)))
        .update_expression(
            "ADD #used :one, #given :discount SET #coupon = :coupon, #dir = :dir, #dir_sort = :dir_sort",
        )
        .expression_attribute_names("#used", "used")
        .expression_attribute_names("#given", "given")
        .expression_attribute_names("#coupon", "coupon")
        .expression_attribute_names("#dir", "gsi3pk")
        .expression_attribute_names("#dir_sort", "gsi3sk")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":discount", n(claim.discount))
        .expression_attribute_values(":coupon", s(&claim.coupon))
        .expression_attribute_values(":dir", s(schema::COUPON_DIRECTORY))
        .expression_attribute_values(
            ":dir_sort",
            s(format!("{}#{}", claim.coupon, shard.index)),
        )
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    let mut conditions = Vec::new();
    if let Some(limit) = shard.limit {
        conditions.push("(attribute_not_exists(#used) OR #used < :limit)");
        update = update.expression_attribute_values(":limit", n(limit));
    }
    if let Some(cap) = shard.amount_limit {
        // `given + discount <= cap`, written without arithmetic in the condition.
        conditions.push("(attribute_not_exists(#given) OR #given <= :room)");
        update = update.expression_attribute_values(":room", n(cap - claim.discount));
    }
    if !conditions.is_empty() {
        update = update.condition_expression(conditions.join(" AND "));
    }
    update.build().map_err(build)
}

/// The transaction that places `order`, taking a place in budget `shard`, and
/// replacing the idempotency record of the cancelled order `replacing` if given.
fn transaction(
    store: &DynamoStore,
    order: &NewOrder,
    shard: Option<Shard>,
    replacing: Option<&str>,
) -> Result<Transaction, StoreError> {
    let mut tx = Transaction::default();
    tx.put(Guard::FreshId, store.put_if_new(order_item(order)?)?);

    let now = SystemTime::now();
    let expires = epoch_seconds(now + store.idempotency_ttl);
    let mut key = schema::idempotency(&order.idempotency_key_hash);
    key.insert("request_hash".into(), s(&order.request_hash));
    key.insert("order_id".into(), s(&order.id));
    key.insert("sealed_token".into(), s(&order.sealed_token));
    key.insert(schema::EXPIRES_AT.into(), n(expires));
    // An expired key that DynamoDB's TTL has not removed yet is free again.
    let mut put = Put::builder()
        .table_name(&store.table)
        .set_item(Some(key))
        .condition_expression("attribute_not_exists(#pk) OR #expires < :now")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#expires", schema::EXPIRES_AT)
        .expression_attribute_values(":now", n(epoch_seconds(now)));
    if let Some(cancelled) = replacing {
        put = put
            .condition_expression(
                "attribute_not_exists(#pk) OR #expires < :now OR #order_id = :cancelled",
            )
            .expression_attribute_names("#order_id", "order_id")
            .expression_attribute_values(":cancelled", s(cancelled));
    }
    tx.put(
        Guard::Idempotency,
        put.return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build)?,
    );

    if let Some(member) = &order.member_id {
        tx.check(Guard::Member, store.member_exists(member)?);
        // Every order of a member is counted, so a first-order coupon is refused
        // even when the order racing it carries no coupon.
        let first_order_only = order
            .redemption
            .as_ref()
            .is_some_and(|c| c.first_order_only);
        tx.update(
            Guard::FirstOrder,
            counter_update(
                store,
                schema::member_order_counter(member),
                "orders",
                first_order_only.then_some(1),
            )?,
        );
    }

    if let (Some(claim), Some(shard)) = (&order.redemption, shard) {
        let mut redemption = schema::redemption(&order.id);
        let at = ts(order.placed_at);
        let by_time = format!("{at}#{}", order.id);
        redemption.insert("order_id".into(), s(&order.id));
        redemption.insert("coupon".into(), s(&claim.coupon));
        redemption.insert("campaign".into(), s(&claim.campaign));
        put_opt(&mut redemption, "member_id", order.member_id.as_deref());
        put_opt(&mut redemption, "issued_code", claim.issued_code.as_deref());
        redemption.insert("discount".into(), n(claim.discount));
        redemption.insert("at".into(), s(at));
        redemption.insert("shard".into(), n(shard.index));
        // What reports and exports read without joining the order.
        redemption.insert("id".into(), s(&order.id));
        redemption.insert("source".into(), s("online"));
        redemption.insert("location".into(), s(&order.location));
        redemption.insert("amount".into(), n(order.quote.total));
        put_opt(
            &mut redemption,
            "channel",
            order
                .attribution
                .as_ref()
                .filter(|a| a.campaign == claim.campaign)
                .map(|a| a.channel.as_str()),
        );
        // Index keys carry the shard too, so a flash coupon's redemptions
        // spread over as many index partitions as its counters.
        redemption.insert(
            "gsi1pk".into(),
            s(format!("REDEEMED#{}#{}", claim.coupon, shard.index)),
        );
        redemption.insert("gsi1sk".into(), s(&by_time));
        redemption.insert(
            "gsi2pk".into(),
            s(format!("CAMPAIGN#{}#{}", claim.campaign, shard.index)),
        );
        redemption.insert("gsi2sk".into(), s(by_time));
        tx.put(Guard::FreshId, store.put_if_new(redemption)?);

        tx.update(Guard::Budget, shard_update(store, claim, shard)?);

        if let Some(member) = &order.member_id {
            // Counted for every member redemption, limited only when the coupon says so.
            tx.update(
                Guard::PerMember,
                counter_update(
                    store,
                    schema::member_counter(&claim.coupon, member),
                    "used",
                    claim.per_member,
                )?,
            );
        }

        if let Some(code) = &claim.issued_code {
            let update = Update::builder()
                .table_name(&store.table)
                .set_key(Some(schema::issued_code(code)))
                .update_expression("SET #used_by = :by")
                .expression_attribute_values(":by", s(&order.id));
            tx.update(
                Guard::Code,
                code_condition(update, &claim.coupon, order.member_id.as_deref())
                    .build()
                    .map_err(build)?,
            );
        }
    }

    if let Some(slot) = &order.slot {
        tx.update(
            Guard::Slot,
            counter_update(
                store,
                schema::slot_counter(&order.location, slot.start),
                "taken",
                Some(slot.capacity),
            )?,
        );
    }
    Ok(tx)
}

/// Answers a refusal: the original order if the key was used for this very
/// request (checked last, so a retry is never refused), else `error`.
async fn refuse(
    store: &DynamoStore,
    order: &NewOrder,
    error: StoreError,
) -> Result<Placed, StoreError> {
    match replay(store, &order.idempotency_key_hash, &order.request_hash).await? {
        Some(placed) => Ok(placed),
        None => Err(error),
    }
}

/// Conditions taking an issued single-use code (the update sets `used_by`
/// to `:by`): it exists for `coupon`, is unused, and is a printed batch code
/// (no or an empty `member_id`) or `member`'s own — the store's side of
/// [`catalog::pricing::issued_code_refusal`]. The item as it was comes back on
/// failure for [`code_refusal`].
pub(super) fn code_condition(
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    coupon: &str,
    member: Option<&str>,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    let mut holder = "attribute_not_exists(#holder) OR #holder = :nobody".to_owned();
    let mut update = update;
    if let Some(member) = member {
        holder.push_str(" OR #holder = :member");
        update = update.expression_attribute_values(":member", s(member));
    }
    update
        .condition_expression(format!(
            "attribute_exists(#pk) AND #coupon = :coupon AND attribute_not_exists(#used_by) AND ({holder})"
        ))
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#coupon", "coupon")
        .expression_attribute_names("#used_by", "used_by")
        .expression_attribute_names("#holder", "member_id")
        .expression_attribute_values(":coupon", s(coupon))
        .expression_attribute_values(":nobody", s(""))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
}

/// What a single-use code's failed condition means, from the item as it was,
/// for a redemption by `member`.
pub(super) async fn code_refusal(
    store: &DynamoStore,
    reason: &CancellationReason,
    claim: &RedemptionClaim,
    member: Option<&str>,
) -> Result<StoreError, StoreError> {
    let Some(code) = &claim.issued_code else {
        return Err(corrupt("code condition without a code"));
    };
    let before = match reason.item() {
        Some(item) if !item.is_empty() => Some(item.clone()),
        _ => store.get(schema::issued_code(code)).await?,
    };
    Ok(match before {
        None => StoreError::NotFound,
        Some(item) if opt_text(&item, "coupon").as_deref() != Some(claim.coupon.as_str()) => {
            StoreError::NotFound
        }
        Some(item) if item.contains_key("used_by") => StoreError::CodeAlreadyUsed,
        Some(item) => {
            let holder = opt_text(&item, "member_id").unwrap_or_default();
            match catalog::pricing::issued_code_refusal(&holder, member) {
                Some(reason) => StoreError::CouponRefused(reason),
                None => return Err(corrupt("an unused code refused by its condition")),
            }
        }
    })
}

/// Places an order: see the module documentation.
pub(super) async fn place(store: &DynamoStore, order: NewOrder) -> Result<Placed, StoreError> {
    if let Some(claim) = &order.redemption {
        // A per-member limit only means something for a known member; the
        // caller refuses such coupons for anonymous diners.
        if claim.per_member == Some(0) || (claim.per_member.is_some() && order.member_id.is_none())
        {
            return refuse(store, &order, StoreError::PerMemberLimit).await;
        }
        if claim.first_order_only && order.member_id.is_none() {
            let members_only = StoreError::CouponRefused(catalog::CouponRejection::MembersOnly);
            return refuse(store, &order, members_only).await;
        }
    }
    if order.slot.is_some_and(|slot| slot.capacity == 0) {
        return refuse(store, &order, StoreError::SlotFull).await;
    }
    if let (Some(member), Some(claim)) = (&order.member_id, &order.redemption) {
        if claim.first_order_only {
            count_earlier_orders(store, member).await?;
        }
    }
    let shards = match coupons::plan(store, order.redemption.as_ref()) {
        Plan::NoCoupon => vec![None],
        Plan::Shards(shards) => shards.into_iter().map(Some).collect(),
        Plan::Exhausted => return refuse(store, &order, StoreError::BudgetExhausted).await,
    };
    let mut replacing: Option<String> = None;
    for shard in shards {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let tx = transaction(store, &order, shard, replacing.as_deref())?;
            let Some(reasons) = store.transact(tx.items.clone()).await? else {
                return numbered(store, order).await;
            };
            if let Some(reason) = tx.failed(&reasons, Guard::Idempotency) {
                match replay_after_clash(store, &order, reason).await? {
                    Clash::Replayed(placed) => return Ok(*placed),
                    // The key's order was cancelled: place this one in its stead.
                    Clash::Cancelled(id) if attempt < CONTENTION_ATTEMPTS => {
                        replacing = Some(id);
                        continue;
                    }
                    Clash::Cancelled(_) => return Err(still_contended("placing an order")),
                }
            }
            if tx.failed(&reasons, Guard::FreshId).is_some() {
                return Err(StoreError::Backend(format!(
                    "order id `{}` exists already",
                    order.id
                )));
            }
            if tx.failed(&reasons, Guard::Member).is_some() {
                return refuse(store, &order, StoreError::UnknownMember).await;
            }
            if tx.failed(&reasons, Guard::FirstOrder).is_some() {
                let taken = StoreError::CouponRefused(catalog::CouponRejection::FirstOrderOnly);
                return refuse(store, &order, taken).await;
            }
            if tx.failed(&reasons, Guard::PerMember).is_some() {
                return refuse(store, &order, StoreError::PerMemberLimit).await;
            }
            if let (Some(reason), Some(claim)) =
                (tx.failed(&reasons, Guard::Code), &order.redemption)
            {
                let error = code_refusal(store, reason, claim, order.member_id.as_deref()).await?;
                return refuse(store, &order, error).await;
            }
            if tx.failed(&reasons, Guard::Slot).is_some() {
                return refuse(store, &order, StoreError::SlotFull).await;
            }
            if let Some(reason) = tx.failed(&reasons, Guard::Budget) {
                if let (Some(claim), Some(shard)) = (&order.redemption, shard) {
                    coupons::shard_refused(store, &claim.coupon, shard, reason)?;
                }
                // This shard is full; the sweep goes on to the next one.
                break;
            }
            retry_contended(&reasons, attempt, "placing an order").await?;
        }
    }
    // Every shard was full: the whole budget is used.
    refuse(store, &order, StoreError::BudgetExhausted).await
}

/// What a live idempotency record found by a refused transaction means.
enum Clash {
    /// The same request: its order.
    Replayed(Box<Placed>),
    /// The key placed this order, since cancelled: the key is free again.
    Cancelled(String),
}

/// The idempotency key exists: the same request gets its order back, unless that
/// order was cancelled.
async fn replay_after_clash(
    store: &DynamoStore,
    order: &NewOrder,
    reason: &CancellationReason,
) -> Result<Clash, StoreError> {
    let before = match reason.item().filter(|item| item.contains_key("order_id")) {
        Some(item) => item.clone(),
        None => match store
            .get(schema::idempotency(&order.idempotency_key_hash))
            .await?
        {
            Some(item) if !expired(&item)? => item,
            // It expired between the transaction and this read.
            _ => {
                return Err(StoreError::Unavailable(
                    "the idempotency key expired while the order was retried".into(),
                ))
            }
        },
    };
    let id = text(&before, "order_id")?;
    Ok(
        match replay_from(store, &before, &order.request_hash).await? {
            Some(placed) => Clash::Replayed(Box::new(placed)),
            None => Clash::Cancelled(id),
        },
    )
}

/// Numbers a freshly committed order and returns it.
async fn numbered(store: &DynamoStore, order: NewOrder) -> Result<Placed, StoreError> {
    let number = assign_number(
        store,
        &order.id,
        &order.location,
        order.local_day,
        &order.order_prefix,
    )
    .await?;
    let sealed_token = order.sealed_token.clone();
    Ok(Placed {
        order: stored_order(order, number),
        created: true,
        sealed_token,
    })
}

/// Draws the next number of the location's day and gives it to the order,
/// unless it has one already (then that one stands).
async fn assign_number(
    store: &DynamoStore,
    id: &str,
    location: &str,
    day: NaiveDate,
    prefix: &str,
) -> Result<String, StoreError> {
    let counted = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(schema::number_counter(location, day)))
        .update_expression("ADD #last :one SET #dir = :dir, #dir_sort = :dir_sort")
        .expression_attribute_names("#last", "last")
        .expression_attribute_names("#dir", "gsi3pk")
        .expression_attribute_names("#dir_sort", "gsi3sk")
        .expression_attribute_values(":one", n(1))
        // The location directory, for reports over every location.
        .expression_attribute_values(":dir", s(schema::LOCATION_DIRECTORY))
        .expression_attribute_values(":dir_sort", s(format!("{location}#{day}")))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .map_err(|e| sdk("UpdateItem", e))?;
    let last: u64 = counted
        .attributes()
        .map(|a| opt_number(a, "last"))
        .transpose()?
        .flatten()
        .ok_or_else(|| corrupt("the number counter returned no value"))?;
    let number = format!("{prefix}-{last:03}");
    let set = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(schema::order(id)))
        .update_expression("SET #number = :number")
        .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#number)")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#number", "number")
        .expression_attribute_values(":number", s(&number))
        .send()
        .await;
    match set {
        Ok(_) => Ok(number),
        Err(error) if update_refused(&error) => {
            let item = store
                .get(schema::order(id))
                .await?
                .ok_or(StoreError::NotFound)?;
            text(&item, "number")
        }
        Err(error) => Err(sdk("UpdateItem", error)),
    }
}

/// The order of `item`, numbering it if its placer did not (after a short wait).
pub(super) async fn numbered_order(
    store: &DynamoStore,
    mut item: Item,
) -> Result<Order, StoreError> {
    for _ in 0..NUMBER_WAITS {
        if let Some(order) = decode_order(&item)? {
            return Ok(order);
        }
        tokio::time::sleep(NUMBER_WAIT).await;
        let id = text(&item, "id")?;
        item = store
            .get(schema::order(&id))
            .await?
            .ok_or(StoreError::NotFound)?;
    }
    if let Some(order) = decode_order(&item)? {
        return Ok(order);
    }
    let day_text = text(&item, "local_day")?;
    let day = day_text
        .parse::<NaiveDate>()
        .map_err(|_| corrupt(format!("local day `{day_text}`")))?;
    let number = assign_number(
        store,
        &text(&item, "id")?,
        &text(&item, "location")?,
        day,
        &text(&item, "order_prefix")?,
    )
    .await?;
    item.insert("number".into(), s(number));
    decode_order(&item)?.ok_or_else(|| corrupt("an order without a number"))
}

fn expired(item: &Item) -> Result<bool, StoreError> {
    let expires: Option<u64> = opt_number(item, schema::EXPIRES_AT)?;
    Ok(expires.is_some_and(|at| at < epoch_seconds(SystemTime::now())))
}

/// The order an idempotency key placed, if the key is known and live.
pub(super) async fn replay(
    store: &DynamoStore,
    key_hash: &str,
    request_hash: &str,
) -> Result<Option<Placed>, StoreError> {
    let Some(item) = store.get(schema::idempotency(key_hash)).await? else {
        return Ok(None);
    };
    if expired(&item)? {
        return Ok(None);
    }
    replay_from(store, &item, request_hash).await
}

/// The order of the idempotency record `key` for a retry of `request_hash`; `None`
/// when that order was cancelled (the key is free again).
async fn replay_from(
    store: &DynamoStore,
    key: &Item,
    request_hash: &str,
) -> Result<Option<Placed>, StoreError> {
    let order_id = text(key, "order_id")?;
    let item = store
        .get(schema::order(&order_id))
        .await?
        .ok_or_else(|| corrupt("an idempotency key without its order"))?;
    let order = numbered_order(store, item).await?;
    if order.status == OrderStatus::Cancelled {
        return Ok(None);
    }
    if text(key, "request_hash")? != request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    Ok(Some(Placed {
        order,
        created: false,
        sealed_token: text(key, "sealed_token")?,
    }))
}

/// The order with this id.
pub(super) async fn get(store: &DynamoStore, id: &str) -> Result<Order, StoreError> {
    let item = store
        .get(schema::order(id))
        .await?
        .ok_or(StoreError::NotFound)?;
    numbered_order(store, item).await
}

/// Orders of a location, newest first, from the location (or location and
/// status) index. Index reads are eventually consistent: a change shows up
/// in the queue a moment after it commits.
pub(super) async fn queue(
    store: &DynamoStore,
    location: &str,
    statuses: &[OrderStatus],
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let items = if statuses.is_empty() {
        store
            .index_newest(schema::GSI1, "gsi1pk", schema::by_location(location), limit)
            .await?
    } else {
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        for status in statuses.iter().filter(|s| seen.insert(**s)) {
            items.extend(
                store
                    .index_newest(
                        schema::GSI2,
                        "gsi2pk",
                        schema::by_status(location, status.as_str()),
                        limit,
                    )
                    .await?,
            );
        }
        // Merge the per-status lists, newest first.
        items.sort_by_key(|item| std::cmp::Reverse(opt_text(item, "gsi2sk")));
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        items
    };
    let mut orders = Vec::with_capacity(items.len());
    for item in items {
        orders.push(numbered_order(store, item).await?);
    }
    Ok(orders)
}

/// Moves an order along the workflow. Optimistic: the write is conditioned
/// on the status it was read in; a concurrent change makes it read again.
pub(super) async fn set_status(
    store: &DynamoStore,
    id: &str,
    to: OrderStatus,
    by: &str,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Result<Order, StoreError> {
    for attempt in 1..=CONTENTION_ATTEMPTS {
        let item = store
            .get(schema::order(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut order = numbered_order(store, item).await?;
        let from = order.status;
        if !from.can_become(to) {
            return Err(StoreError::InvalidTransition { from, to });
        }
        order.status = to;
        order.times.set(to, at);
        order.history.push(StatusChange {
            status: to,
            at,
            by: by.to_owned(),
            reason: reason.clone(),
        });
        let mut tx = Transaction::default();
        tx.update(
            Guard::Order,
            Update::builder()
                .table_name(&store.table)
                .set_key(Some(schema::order(id)))
                .update_expression(
                    "SET #status = :to, #times = :times, #history = :history, #gsi2pk = :gsi2pk",
                )
                .condition_expression("#status = :from")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#times", "times")
                .expression_attribute_names("#history", "history")
                .expression_attribute_names("#gsi2pk", "gsi2pk")
                .expression_attribute_values(":to", s(to.as_str()))
                .expression_attribute_values(":from", s(from.as_str()))
                .expression_attribute_values(":times", to_json(&order.times)?)
                .expression_attribute_values(":history", to_json(&order.history)?)
                .expression_attribute_values(
                    ":gsi2pk",
                    s(schema::by_status(&order.location, to.as_str())),
                )
                .build()
                .map_err(build)?,
        );
        if let (OrderStatus::Cancelled, Some(start)) = (to, order.slot) {
            // A cancelled order gives its pickup place back.
            tx.update(
                Guard::Slot,
                Update::builder()
                    .table_name(&store.table)
                    .set_key(Some(schema::slot_counter(&order.location, start)))
                    .update_expression("ADD #taken :minus_one")
                    .expression_attribute_names("#taken", "taken")
                    .expression_attribute_values(":minus_one", n(-1))
                    .build()
                    .map_err(build)?,
            );
        }
        let mut returned = None;
        if to == OrderStatus::Cancelled {
            if let Some(redemption) = store.get(schema::redemption(id)).await? {
                returned = Some(text(&redemption, "coupon")?.to_owned());
                return_redemption(store, &mut tx, id, redemption, at)?;
            }
        }
        let Some(reasons) = store.transact(tx.items).await? else {
            if let Some(coupon) = returned {
                coupons::forget_exhausted(store, &coupon);
            }
            return Ok(order);
        };
        // Changed under us (condition) or contended: read again and retry.
        if reasons.iter().any(contended) {
            back_off(attempt).await;
        }
    }
    Err(still_contended("changing an order's status"))
}

/// Adds to `tx` what gives a cancelled order's coupon redemption back: its budget
/// shard counts it no more (`ADD used -1, given -discount`), nor the member's counter,
/// its single-use code is free again, and the redemption item moves to
/// `ORDER#<id>` / `REDEMPTION_RETURNED` (off the report indexes, with `returned_at`).
/// The order keeps its coupon and discount as placed.
fn return_redemption(
    store: &DynamoStore,
    tx: &mut Transaction,
    order_id: &str,
    redemption: Item,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let coupon = text(&redemption, "coupon")?.to_owned();
    let discount: i64 = opt_number(&redemption, "discount")?.unwrap_or(0);
    let shard: u32 = opt_number(&redemption, "shard")?.unwrap_or(0);
    let member = opt_text(&redemption, "member_id");
    let code = opt_text(&redemption, "issued_code");

    let mut returned = redemption.clone();
    for index_key in ["gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"] {
        returned.remove(index_key);
    }
    returned.extend(schema::returned_redemption(order_id));
    returned.insert("returned_at".into(), s(ts(at)));
    tx.put(
        Guard::Order,
        Put::builder()
            .table_name(&store.table)
            .set_item(Some(returned))
            .build()
            .map_err(build)?,
    );
    tx.delete(
        Guard::Order,
        Delete::builder()
            .table_name(&store.table)
            .set_key(Some(schema::redemption(order_id)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(build)?,
    );
    tx.update(
        Guard::Budget,
        Update::builder()
            .table_name(&store.table)
            .set_key(Some(schema::coupon_shard(&coupon, shard)))
            .update_expression("ADD #used :minus_one, #given :minus_discount")
            .expression_attribute_names("#used", "used")
            .expression_attribute_names("#given", "given")
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":minus_discount", n(-discount))
            .build()
            .map_err(build)?,
    );
    if let Some(member) = &member {
        tx.update(
            Guard::PerMember,
            Update::builder()
                .table_name(&store.table)
                .set_key(Some(schema::member_counter(&coupon, member)))
                .update_expression("ADD #used :minus_one")
                .expression_attribute_names("#used", "used")
                .expression_attribute_values(":minus_one", n(-1))
                .build()
                .map_err(build)?,
        );
    }
    if let Some(code) = &code {
        tx.update(
            Guard::Code,
            Update::builder()
                .table_name(&store.table)
                .set_key(Some(schema::issued_code(code)))
                .update_expression("REMOVE #used_by, #used_at, #used_via")
                .condition_expression("#used_by = :order")
                .expression_attribute_names("#used_by", "used_by")
                .expression_attribute_names("#used_at", "used_at")
                .expression_attribute_names("#used_via", "used_via")
                .expression_attribute_values(":order", s(order_id))
                .build()
                .map_err(build)?,
        );
    }
    Ok(())
}

/// Gives a member's order counter the orders placed before the table had such
/// counters (they are on the `MORDERS#<member>` index partition only), so a
/// first-order condition sees them: when the counter is missing and the member has
/// orders, it is created with their number, on condition that it is still missing
/// (an order placed meanwhile created it at 1 or more, which a first-order check
/// reads the same). Nothing happens once the counter exists.
pub(super) async fn count_earlier_orders(
    store: &DynamoStore,
    member_id: &str,
) -> Result<(), StoreError> {
    if store
        .get(schema::member_order_counter(member_id))
        .await?
        .is_some()
    {
        return Ok(());
    }
    let earlier = super::marketing::member_order_count(store, member_id).await?;
    if earlier == 0 {
        return Ok(());
    }
    let mut counter = schema::member_order_counter(member_id);
    counter.insert("orders".into(), n(earlier));
    let sent = store
        .client
        .put_item()
        .table_name(&store.table)
        .set_item(Some(counter))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .send()
        .await;
    match sent {
        Ok(_) => Ok(()),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(())
        }
        Err(error) => Err(sdk("PutItem", error)),
    }
}

/// Links an order to a member, if it has none yet.
pub(super) async fn link(
    store: &DynamoStore,
    order_id: &str,
    member_id: &str,
) -> Result<(), StoreError> {
    for attempt in 1..=CONTENTION_ATTEMPTS {
        let mut tx = Transaction::default();
        tx.check(Guard::Member, store.member_exists(member_id)?);
        tx.update(
            Guard::Order,
            Update::builder()
                .table_name(&store.table)
                .set_key(Some(schema::order(order_id)))
                .update_expression("SET #member = :member, #dir = :dir, #dir_sort = #placed_at")
                .expression_attribute_names("#dir", "gsi3pk")
                .expression_attribute_names("#dir_sort", "gsi3sk")
                .expression_attribute_names("#placed_at", "placed_at")
                .expression_attribute_values(":dir", s(schema::member_orders(member_id)))
                .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#member)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#member", "member_id")
                .expression_attribute_values(":member", s(member_id))
                .build()
                .map_err(build)?,
        );
        // A linked order is one of the member's orders like any other: the counter
        // that first-order coupons are conditioned on counts it in the same write.
        tx.update(
            Guard::FirstOrder,
            counter_update(
                store,
                schema::member_order_counter(member_id),
                "orders",
                None,
            )?,
        );
        let Some(reasons) = store.transact(tx.items.clone()).await? else {
            return Ok(());
        };
        if tx.failed(&reasons, Guard::Member).is_some() {
            return Err(StoreError::UnknownMember);
        }
        if tx.failed(&reasons, Guard::Order).is_some() {
            // Either no such order, or it belongs to a member already: say nothing more.
            return match store.get(schema::order(order_id)).await? {
                Some(_) => Ok(()),
                None => Err(StoreError::NotFound),
            };
        }
        back_off(attempt).await;
    }
    Err(still_contended("linking an order"))
}
