//! The `Store` trait: storage at the level of the restaurant's domain.
//!
//! Every invariant of the design (coupon budgets and per-member limits, one
//! order per idempotency key, one member per phone or email, an order and its
//! redemption and counters committing together, a payment event applied once
//! and a refund within what was paid) is the store's job, so each
//! backend can use its own best tool: a SQLite `BEGIN IMMEDIATE` transaction,
//! a DynamoDB `TransactWriteItems` with conditions. The [`conformance`] suite
//! holds every backend to the same behaviour.

pub mod conformance;
pub mod dynamo;
pub mod marketing;
pub mod passkeys;
pub mod payments;
pub mod proofs;
pub mod push;
pub mod ratings;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::fmt;

use async_trait::async_trait;
use catalog::payment::{Entry, Mismatch};
use catalog::{Cart, Quote, SoldOut};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

pub use dynamo::DynamoStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// How long an idempotency key is remembered by default, on every backend: a retry
/// comes within seconds or minutes, and a key is free again a day later (DynamoDB's
/// TTL removes the record; SQLite deletes it when the next order is placed).
pub const DEFAULT_IDEMPOTENCY_TTL: std::time::Duration =
    std::time::Duration::from_secs(24 * 60 * 60);

/// Why the store refused or failed an operation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The coupon has been redeemed as often as its total budget allows.
    #[error("the coupon's budget is used up")]
    BudgetExhausted,
    /// This member has redeemed the coupon as often as allowed.
    #[error("the member has used this coupon the allowed number of times")]
    PerMemberLimit,
    /// A single-use code was redeemed already.
    #[error("the coupon code has already been used")]
    CodeAlreadyUsed,
    /// A coupon rule only the transaction can decide refused it: an issued code
    /// used for another member than its own ([`catalog::pricing::issued_code_refusal`]),
    /// or a first-order coupon on a member who has an order already.
    #[error("{0}")]
    CouponRefused(catalog::CouponRejection),
    /// The pickup slot holds as many orders as its capacity.
    #[error("the pickup slot is full")]
    SlotFull,
    /// The idempotency key was used before with a different request.
    #[error("the idempotency key was used with a different request")]
    IdempotencyConflict,
    /// An order status change the workflow does not allow.
    #[error("an order cannot go from {from} to {to}")]
    InvalidTransition { from: OrderStatus, to: OrderStatus },
    /// No such record.
    #[error("not found")]
    NotFound,
    /// The member an order names does not exist.
    #[error("no member with this id")]
    UnknownMember,
    /// A refund the ledger cannot take: more than is left to refund (what was paid
    /// less what was given back), another currency than the order's, or not a
    /// positive amount. Nothing was recorded.
    #[error("the refund was refused: {0}")]
    RefundRefused(Mismatch),
    /// The backend failed (I/O, corruption, a bug); the detail is for logs, not diners.
    #[error("storage failed: {0}")]
    Backend(String),
    /// The backend is throttling, contended or unreachable right now and its
    /// own retries did not get through; the same request may succeed shortly
    /// (HTTP 503 with `Retry-After`). The detail is for logs.
    #[error("storage temporarily unavailable: {0}")]
    Unavailable(String),
}

/// Where an order is in the kitchen's workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Received,
    Accepted,
    Preparing,
    Ready,
    Completed,
    Cancelled,
}

impl OrderStatus {
    /// Every status, in workflow order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Received,
        OrderStatus::Accepted,
        OrderStatus::Preparing,
        OrderStatus::Ready,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
    ];

    /// The wire name, e.g. `preparing`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Received => "received",
            OrderStatus::Accepted => "accepted",
            OrderStatus::Preparing => "preparing",
            OrderStatus::Ready => "ready",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Reads a wire name.
    pub fn parse(text: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the order still waits for something to happen.
    pub fn is_open(self) -> bool {
        !matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }

    /// Whether `self → to` is a step of the workflow: one step forward, or a
    /// cancellation of an open order.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Received, Accepted)
                | (Accepted, Preparing)
                | (Preparing, Ready)
                | (Ready, Completed)
                | (Received | Accepted | Preparing | Ready, Cancelled)
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which campaign and channel brought an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    pub campaign: String,
    pub channel: String,
}

/// A coupon redemption the order claims; checked and recorded in the order's transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionClaim {
    /// The coupon's code as the content defines it (the budget is counted per code).
    pub coupon: String,
    pub campaign: String,
    /// The discount the quote gave.
    pub discount: catalog::Minor,
    /// The unique single-use code redeemed, for coupons issued per member.
    pub issued_code: Option<String>,
    /// Total redemptions allowed.
    pub budget: Option<u32>,
    /// Redemptions allowed per member.
    pub per_member: Option<u32>,
    /// Total discount allowed across all redemptions (minor units).
    pub budget_amount: Option<catalog::Minor>,
    /// Only the member's first order may redeem it: the store refuses it
    /// (`CouponRefused(FirstOrderOnly)`) when the member has an order, cancelled
    /// ones included, in the order's own transaction.
    #[serde(default)]
    pub first_order_only: bool,
}

/// A campaign touch: a visit through a campaign's channel, as the storefront remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Touch {
    pub campaign: String,
    pub channel: String,
    /// When the diner arrived through it, if the storefront knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
}

/// The first and the last campaign touch before an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touches {
    pub first: Option<Touch>,
    pub last: Option<Touch>,
}

pub use marketing::{
    BatchCode, CampaignRow, CounterRedemption, CouponTotal, DishRow, HourRow, LedgerWindow,
    MemberExport, OrderContents, OrderExport, PaymentRow, RedemptionExport, ReportRange, Visit,
};
pub use passkeys::{Ceremony, StoredPasskey};
pub use payments::Recorded;
pub use proofs::{CodeCheck, MemberSession, NewCode, NewMemberSession};
pub use push::PushSubscription;
pub use ratings::{DishRating, Rating};

/// A pickup slot the order takes one place of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotClaim {
    pub start: DateTime<Utc>,
    pub capacity: u32,
}

/// Everything needed to store a new order in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// A fresh random id, chosen by the caller.
    pub id: String,
    pub location: String,
    /// Prefix of the order number, e.g. `A`.
    pub order_prefix: String,
    /// The local day the number counter belongs to.
    pub local_day: NaiveDate,
    /// SHA-256 (hex) of the idempotency key; the key itself is never stored.
    pub idempotency_key_hash: String,
    /// SHA-256 (hex) of the request, to tell a retry from a conflicting reuse.
    pub request_hash: String,
    /// SHA-256 (hex) of the status token.
    pub token_hash: String,
    /// The token sealed with the idempotency key, so a retry can be answered with it.
    pub sealed_token: String,
    pub cart: Cart,
    pub quote: Quote,
    pub note: Option<String>,
    pub name: Option<String>,
    pub member_id: Option<String>,
    pub attribution: Option<Attribution>,
    pub redemption: Option<RedemptionClaim>,
    pub slot: Option<SlotClaim>,
    pub placed_at: DateTime<Utc>,
    /// First and last campaign touches, stored for attribution reports.
    pub touches: Touches,
}

/// When an order reached each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusTimes {
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accepted: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub preparing: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ready: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled: Option<DateTime<Utc>>,
}

impl StatusTimes {
    /// Records the instant of reaching `status`.
    pub fn set(&mut self, status: OrderStatus, at: DateTime<Utc>) {
        let slot = match status {
            OrderStatus::Received => &mut self.received,
            OrderStatus::Accepted => &mut self.accepted,
            OrderStatus::Preparing => &mut self.preparing,
            OrderStatus::Ready => &mut self.ready,
            OrderStatus::Completed => &mut self.completed,
            OrderStatus::Cancelled => &mut self.cancelled,
        };
        *slot = Some(at);
    }
}

/// One status change: what, who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    pub status: OrderStatus,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// Label of the API key that made the change (`diner` for the order itself).
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A stored order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    /// Short number for the counter, e.g. `A-042`.
    pub number: String,
    pub location: String,
    pub status: OrderStatus,
    pub cart: Cart,
    pub quote: Quote,
    pub note: Option<String>,
    pub name: Option<String>,
    pub member_id: Option<String>,
    pub attribution: Option<Attribution>,
    /// The coupon code redeemed, if any.
    pub coupon: Option<String>,
    pub slot: Option<DateTime<Utc>>,
    pub times: StatusTimes,
    pub history: Vec<StatusChange>,
    /// SHA-256 (hex) of the status token.
    pub token_hash: String,
}

/// The result of [`Store::place_order`].
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub order: Order,
    /// False when the idempotency key had been used with the same request: a retry.
    pub created: bool,
    /// The token sealed with the idempotency key; the key unseals it again.
    pub sealed_token: String,
}

/// A member's sign-up details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub id: String,
    /// E.164, e.g. `+8613800138000`.
    pub phone: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub name: Option<String>,
    pub consent_at: DateTime<Utc>,
    /// A welcome code to issue if, and only if, the member is new.
    pub welcome: Option<IssuedCode>,
    /// The campaign channel the member signed up through (the storefront's last
    /// touch), which the "new members" figure counts them under.
    pub attribution: Option<Attribution>,
    /// The location whose storefront the member signed up on.
    pub location: Option<String>,
}

/// A stored member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub consent_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// When the member withdrew their consent (the "my account" page), if they did.
    pub consent_withdrawn_at: Option<DateTime<Utc>>,
}

/// The result of [`Store::sign_up`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUp {
    pub member: Member,
    /// False when the phone or email belonged to a member already.
    pub created: bool,
    /// The welcome code issued now (only when `created`).
    pub welcome: Option<IssuedCode>,
}

/// A unique single-use code of a coupon issued to one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: String,
    /// The coupon's content code.
    pub coupon: String,
    /// The member it was issued to; empty for batch codes (`carte coupons issue`).
    pub member_id: String,
    /// The order (or counter redemption) that redeemed it.
    pub used_by: Option<String>,
    /// The campaign channel a printed batch was issued for (`carte coupons issue --channel`).
    pub channel: Option<String>,
}

/// How a member's identity is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKey {
    Id(String),
    Phone(String),
    Email(String),
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Counter and kitchen: the queue, status changes, sold-out switches.
    Staff,
    /// Campaigns, reports and exports.
    Marketer,
}

impl Role {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Marketer => "marketer",
        }
    }

    /// Reads a wire name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "staff" => Some(Role::Staff),
            "marketer" => Some(Role::Marketer),
            _ => None,
        }
    }
}

/// A stored API key (its hash, never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    /// SHA-256 (hex) of the key.
    pub hash: String,
    pub role: Role,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A browser session of an API key (the staff console), to store: only the
/// SHA-256 of its token, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 (hex) of the session token the cookie carries.
    pub hash: String,
    /// The key that signed in.
    pub key_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A live session and the key it acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub hash: String,
    /// The key as stored now: its role and label decide what the session may do.
    pub key: ApiKey,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a staff member switches sold out (or back).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum SoldOutItem {
    /// A whole dish.
    Dish { dish: String },
    /// One choice of one option group of a dish.
    Choice {
        dish: String,
        group: String,
        choice: String,
    },
}

/// Storage for orders, coupons, members, sold-out switches and API keys.
///
/// Methods speak the domain; each backend upholds the invariants with its own
/// transactions. All methods are cancel-safe from the caller's point of view:
/// a write either committed or did not.
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores an order with its idempotency key, coupon redemption (budget,
    /// per-member and single-use checks), pickup-slot place and order number,
    /// all in one transaction. A retry with the same key and request returns
    /// the stored order with `created = false`.
    ///
    /// A key is free again (a new order is stored with it) once its record has
    /// expired ([`DEFAULT_IDEMPOTENCY_TTL`] unless the store is set otherwise) or
    /// once the order it placed was cancelled: a cancelled order never answers for a
    /// new one.
    async fn place_order(&self, order: NewOrder) -> Result<Placed, StoreError>;

    /// The order an idempotency key already placed (`created = false`), `None`
    /// for a fresh key (or an expired one, or one whose order was cancelled), or `IdempotencyConflict` when the key came with another
    /// request. Lets a retry be answered before the cart is priced again.
    async fn replay(
        &self,
        idempotency_key_hash: &str,
        request_hash: &str,
    ) -> Result<Option<Placed>, StoreError>;

    /// The order with this id.
    async fn get_order(&self, id: &str) -> Result<Order, StoreError>;

    /// Orders of a location, newest first, optionally only those in `statuses`.
    async fn queue(
        &self,
        location: &str,
        statuses: &[OrderStatus],
        limit: u32,
    ) -> Result<Vec<Order>, StoreError>;

    /// Moves an order to `to` if the workflow allows it, recording who and when.
    async fn set_status(
        &self,
        id: &str,
        to: OrderStatus,
        by: &str,
        reason: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Order, StoreError>;

    /// Links an existing order to a member (orders placed before signing up).
    async fn link_order(&self, order_id: &str, member_id: &str) -> Result<(), StoreError>;

    /// Signs a member up, unique per phone and per email.
    async fn sign_up(&self, member: NewMember) -> Result<SignedUp, StoreError>;

    /// A member by id, phone or email.
    async fn find_member(&self, key: MemberKey) -> Result<Option<Member>, StoreError>;

    /// How many times a coupon (content code) has been redeemed.
    async fn redemption_count(&self, coupon: &str) -> Result<u32, StoreError>;

    /// How many times a member has redeemed a coupon.
    async fn member_redemption_count(
        &self,
        coupon: &str,
        member_id: &str,
    ) -> Result<u32, StoreError>;

    /// Redemptions per coupon code, for reports.
    async fn redemption_counts(&self) -> Result<Vec<(String, u32)>, StoreError>;

    /// An issued single-use code (case-insensitive).
    async fn find_issued_code(&self, code: &str) -> Result<Option<IssuedCode>, StoreError>;

    /// The staff's sold-out switches.
    async fn sold_out(&self) -> Result<SoldOut, StoreError>;

    /// Switches a dish or a choice sold out (`true`) or back on (`false`).
    async fn set_sold_out(&self, item: SoldOutItem, sold_out: bool) -> Result<(), StoreError>;

    /// Stores a new API key (its hash).
    async fn create_key(&self, key: ApiKey) -> Result<(), StoreError>;

    /// The key with this hash, if it exists and is not revoked; records the use.
    async fn find_key(&self, hash: &str, at: DateTime<Utc>) -> Result<Option<ApiKey>, StoreError>;

    /// Every key, revoked ones included.
    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes a key by id; every session of the key ends with it.
    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Stores a session of a live key; `NotFound` when the key is unknown or revoked.
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;

    /// The session with this token hash if it is live at `at`: not signed out,
    /// not expired, and its key not revoked.
    async fn find_session(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError>;

    /// Ends a session (sign-out); `NotFound` when no session has this hash.
    async fn revoke_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    // --- Marketing: issued codes, counter redemptions, visits, reports, exports, erasure.

    /// Stores a batch of unique single-use codes; fails without storing any
    /// when one of them exists already. Returns how many were stored.
    async fn issue_codes(&self, codes: Vec<BatchCode>) -> Result<u32, StoreError>;

    /// Records a redemption at the counter with the same budget (count and
    /// money), per-member and single-use checks as an order, in one transaction.
    async fn redeem_at_counter(&self, redemption: CounterRedemption) -> Result<(), StoreError>;

    /// How many orders a member has placed (cancelled ones included).
    async fn member_order_count(&self, member_id: &str) -> Result<u32, StoreError>;

    /// Counts one visit; `false` (not counted) once the day's count for this
    /// campaign, channel and location has reached `cap`.
    async fn record_visit(&self, visit: Visit, cap: u32) -> Result<bool, StoreError>;

    /// Redemptions and discount given per coupon code, all time (for budgets left).
    async fn coupon_totals(&self) -> Result<Vec<CouponTotal>, StoreError>;

    /// Campaign figures per campaign, channel and location over `range`.
    async fn campaign_rows(&self, range: &ReportRange) -> Result<Vec<CampaignRow>, StoreError>;

    /// Sales per dish over `range` (cancelled orders left out).
    async fn dish_sales(&self, range: &ReportRange) -> Result<Vec<DishRow>, StoreError>;

    /// Orders and revenue per UTC hour over `range` (cancelled orders left out).
    async fn hourly_sales(&self, range: &ReportRange) -> Result<Vec<HourRow>, StoreError>;

    /// Orders placed in `range`, oldest first, for CSV export.
    async fn export_orders(&self, range: &ReportRange) -> Result<Vec<OrderExport>, StoreError>;

    /// Members who signed up in `range`, oldest first.
    async fn export_members(&self, range: &ReportRange) -> Result<Vec<MemberExport>, StoreError>;

    /// Redemptions (online and at the counter) in `range`, oldest first.
    async fn export_redemptions(
        &self,
        range: &ReportRange,
    ) -> Result<Vec<RedemptionExport>, StoreError>;

    /// Removes a member's personal fields (phone, email, name, the names and notes
    /// of their orders, the notes of their ratings, their orders' push subscriptions);
    /// ids and figures stay so reports stay true.
    async fn erase_member(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    // --- Payments: the order's append-only ledger (see [`payments`]).

    /// Appends `entry` to the ledger of order `order_id`.
    ///
    /// With an `event_key` (a provider event's idempotency key, a staff request's
    /// `Idempotency-Key`) the entry is appended at most once: the key is recorded in
    /// the same transaction, and a later, concurrent or replayed call with it appends
    /// nothing and answers with the entry recorded the first time (`created =
    /// false`) — even when the entry it carries would now be refused. The same key
    /// for another order is `IdempotencyConflict`.
    ///
    /// A refund is checked with [`catalog::payment::check_refund`] against the
    /// ledger in the same transaction and refused (`RefundRefused`, nothing recorded,
    /// the key left free for a later delivery) when it would give back more than
    /// was paid. A charge is always recorded; one that does not match the order
    /// (amount, currency, already paid) never counts as paid, and
    /// [`catalog::payment::summarize`] lists it as a mismatch. `NotFound` when there
    /// is no such order.
    async fn record_payment(
        &self,
        order_id: &str,
        entry: Entry,
        event_key: Option<String>,
    ) -> Result<Recorded, StoreError>;

    /// Appends the part of a running refund total that the ledger does not hold yet.
    ///
    /// `total` is a refund entry whose amount is everything refunded so far on the
    /// payment named by its `reference` (Stripe's `charge.refunded` carries only that).
    /// In one transaction with the ledger it is judged against, the store subtracts the
    /// refunds the ledger holds for that method and reference and appends the rest as
    /// with [`Store::record_payment`], under `event_key`; `Ok(None)` when nothing is left
    /// to append (an older total delivered late, or this one applied before by another
    /// key). Racing totals of one payment thus never add up to more than the largest.
    async fn record_refund_total(
        &self,
        order_id: &str,
        total: Entry,
        event_key: String,
    ) -> Result<Option<Recorded>, StoreError>;

    /// The ledger of order `order_id`, in append order, for
    /// [`catalog::payment::summarize`] and [`catalog::payment::state`]. `NotFound`
    /// when there is no such order.
    async fn payments(&self, order_id: &str) -> Result<Vec<Entry>, StoreError>;

    // --- Payments in reports

    /// Every entry of the payment ledgers of the orders `window` picks in `range` (at its
    /// location, if any): orders placed in it, or orders with an entry recorded in it.
    /// Whole ledgers either way (entries outside the range included), ordered by the
    /// order's `placed_at` and id, then by `seq`.
    async fn payment_rows(
        &self,
        range: &ReportRange,
        window: LedgerWindow,
    ) -> Result<Vec<PaymentRow>, StoreError>;

    // --- Members who prove who they are (see [`proofs`]).

    /// Stores a one-time code for its address, replacing the address's earlier code,
    /// unless the address had `per_hour` codes in the clock hour of `created_at`
    /// already: then nothing is stored and the answer is `false`.
    async fn issue_code(&self, code: NewCode, per_hour: u32) -> Result<bool, StoreError>;

    /// Tries `code_hash` against the address's live code at `at`, counting the try:
    /// the right code is used up (`Proven`, once, however many try it at once); a wrong
    /// one leaves `max_tries` less the tries so far; after `max_tries` wrong tries, or
    /// once expired or used, the code is `Spent`.
    async fn redeem_code(
        &self,
        address: &str,
        code_hash: &str,
        at: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError>;

    /// Stores a member session; `UnknownMember` when the member does not exist.
    async fn create_member_session(&self, session: NewMemberSession) -> Result<(), StoreError>;

    /// The member session with this token hash if it is live at `at` (not signed out,
    /// not expired, its member not erased).
    async fn find_member_session(
        &self,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<MemberSession>, StoreError>;

    /// Ends a member session (sign-out, or rotation); unknown hashes are ignored.
    async fn revoke_member_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    // --- Passkeys (see [`passkeys`]).

    /// Keeps a ceremony's state until it is taken or expires.
    async fn save_ceremony(&self, ceremony: Ceremony) -> Result<(), StoreError>;

    /// Takes the ceremony `id` once: `None` when there is none, it was taken already,
    /// or it expired before `at`. Of racing takes, one gets it.
    async fn take_ceremony(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError>;

    /// Stores a member's new passkey: `Ok(false)` when its credential id is registered
    /// already (to anyone), `UnknownMember` when the member does not exist or was erased.
    async fn add_passkey(&self, passkey: StoredPasskey) -> Result<bool, StoreError>;

    /// The passkey with this credential id, unless its member was erased.
    async fn find_passkey(&self, credential_id: &str) -> Result<Option<StoredPasskey>, StoreError>;

    /// A member's passkeys, oldest first.
    async fn member_passkeys(&self, member_id: &str) -> Result<Vec<StoredPasskey>, StoreError>;

    /// Records a sign-in with a passkey: its updated state (the counter) and when.
    async fn touch_passkey(
        &self,
        credential_id: &str,
        passkey: String,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Removes one of a member's passkeys; `false` when the member has no such passkey.
    async fn remove_passkey(
        &self,
        member_id: &str,
        credential_id: &str,
    ) -> Result<bool, StoreError>;

    // --- Web Push subscriptions (see [`push`]).

    /// Keeps a browser's push subscription for its order, replacing the keys of one
    /// with the same endpoint; `Ok(false)` when the order holds
    /// [`push::MAX_PER_ORDER`] others already.
    async fn add_push_subscription(
        &self,
        subscription: PushSubscription,
    ) -> Result<bool, StoreError>;

    /// The order's push subscriptions, oldest first.
    async fn push_subscriptions(&self, order_id: &str)
        -> Result<Vec<PushSubscription>, StoreError>;

    /// Drops one subscription of the order (its push service said it is gone), or all
    /// of them when `endpoint` is `None` (the order is over).
    async fn remove_push_subscriptions(
        &self,
        order_id: &str,
        endpoint: Option<&str>,
    ) -> Result<(), StoreError>;

    // --- Ratings after the meal (see [`ratings`]).

    /// Keeps the rating of an order: `Ok(false)` when the order was rated already (the
    /// first rating stands), `NotFound` when there is no such order.
    async fn rate_order(&self, rating: Rating) -> Result<bool, StoreError>;

    /// The rating of an order, if it has one.
    async fn order_rating(&self, order_id: &str) -> Result<Option<Rating>, StoreError>;

    /// Ratings given in `range` (at its location, or all), oldest first.
    async fn ratings(&self, range: &ReportRange) -> Result<Vec<Rating>, StoreError>;

    // --- The member's own data: what the "my account" page reads and changes.

    /// The member's orders, newest first (by `placed_at`), at most `limit`, every
    /// status; orders linked after they were placed included.
    async fn member_orders(&self, member_id: &str, limit: u32) -> Result<Vec<Order>, StoreError>;

    /// The single-use codes issued to the member (welcome codes), used or not, by code.
    async fn member_codes(&self, member_id: &str) -> Result<Vec<IssuedCode>, StoreError>;

    /// Records that the member withdrew their consent at `at` (the first withdrawal
    /// stands when repeated); `NotFound` when there is no such member.
    async fn withdraw_consent(&self, member_id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
}
