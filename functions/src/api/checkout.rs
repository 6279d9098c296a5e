//! The one path from a cart to a stored order, shared by `POST /api/quote`,
//! `POST /api/orders` and the plain HTML form: price the cart on the server
//! against one catalog snapshot and the store's live state, check what pricing does
//! not, and store the order once per idempotency key. And what an order's payment
//! ledger adds up to, with the provider events applied to it, shared by the diner's
//! status, the staff's payment routes and the providers' notifications.

use catalog::attribution::{attribute, Redeemed};
use catalog::payment::{Entry, EntryKind, Hold, Method};
use catalog::pricing::issued_code_refusal;
use catalog::{price_with, Cart, CouponOutcome, CouponRejection, Diner, Fulfilment, Quote};
use chrono::{DateTime, Utc};

use crate::api::limits;
use crate::api::problem::{ApiError, FieldError};
use crate::keys;
use crate::payments::{EventKind, PaymentQuery, ProviderEvent};
use crate::state::{AppState, Catalog};
use crate::store::{Attribution, NewOrder, Order, RedemptionClaim, SlotClaim, Touch, Touches};

/// A cart priced against one catalog snapshot and the store's live state.
#[derive(Debug, Clone)]
pub(crate) struct Priced {
    pub quote: Quote,
    /// The redemption to record with the order, when the coupon applied.
    pub claim: Option<RedemptionClaim>,
    pub budget_left: Option<u32>,
    pub slot: Option<SlotClaim>,
    /// The channel the redeemed printed code was issued for.
    pub code_channel: Option<String>,
}

/// What coupon rules need to know about the diner: membership, and for a
/// member whether this is their first order. An unknown member id is left to
/// the order's own check (`member_id` field error).
pub(crate) async fn diner_facts(
    state: &AppState,
    member_id: Option<&str>,
) -> Result<Diner, ApiError> {
    let Some(member) = member_id else {
        return Ok(Diner::default());
    };
    let known = state
        .store
        .find_member(crate::store::MemberKey::Id(member.to_owned()))
        .await?
        .is_some();
    if !known {
        return Ok(Diner::default());
    }
    Ok(Diner {
        member: true,
        first_order: state.store.member_order_count(member).await? == 0,
    })
}

/// Prices `cart` with the live sold-out switches, resolving issued single-use
/// codes (refused to anyone but the member a welcome code was issued to) and
/// checking the coupon's budget and per-member limit (without redeeming). A coupon the store refuses leaves the cart priced without it and
/// the refusal in `quote.coupon`, so every figure still comes from `price`.
pub(crate) async fn price_cart(
    state: &AppState,
    catalog: &Catalog,
    cart: &Cart,
    member_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Priced, ApiError> {
    let site = &catalog.site;
    let sold_out = state.store.sold_out().await?;
    let code = cart
        .coupon
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let mut priced_cart = cart.clone();
    let mut issued_code = None;
    let mut code_channel = None;
    let mut refusal: Option<CouponRejection> = None;
    if let Some(code) = code {
        match site.coupon(code) {
            // Sign-up and batch coupons are only redeemed through their issued codes.
            Some((_, coupon)) if coupon.uses_issued_codes() => {
                refusal = catalog::pricing::own_code_refusal(coupon);
            }
            Some(_) => {}
            None => {
                if let Some(issued) = state.store.find_issued_code(code).await? {
                    refusal = if issued.used_by.is_some() {
                        Some(CouponRejection::AlreadyUsed)
                    } else {
                        // A welcome code is its member's alone; the store checks it again.
                        issued_code_refusal(&issued.member_id, member_id)
                    };
                    priced_cart.coupon = Some(issued.coupon.clone());
                    issued_code = Some(issued.code);
                    code_channel = issued.channel;
                }
            }
        }
    }
    let diner = diner_facts(state, member_id).await?;
    let quote =
        price_with(site, &sold_out, &priced_cart, now, &diner).map_err(ApiError::InvalidCart)?;
    let mut claim = None;
    let mut budget_left = None;
    if let (
        None,
        Some(CouponOutcome::Applied {
            code,
            campaign,
            discount,
        }),
    ) = (&refusal, &quote.coupon)
    {
        if let Some((_, coupon)) = site.coupon(code) {
            if let Some(budget) = coupon.budget {
                let used = state.store.redemption_count(&coupon.code).await?;
                let left = budget.saturating_sub(used);
                budget_left = Some(left);
                if left == 0 {
                    refusal = Some(CouponRejection::BudgetExhausted);
                }
            }
            if let (None, Some(cap)) = (&refusal, coupon.budget_amount) {
                let given = state
                    .store
                    .coupon_totals()
                    .await?
                    .into_iter()
                    .find(|t| t.coupon == coupon.code)
                    .map_or(0, |t| t.discount);
                if given.saturating_add(*discount) > cap {
                    refusal = Some(CouponRejection::BudgetExhausted);
                }
            }
            if let (None, Some(limit)) = (&refusal, coupon.per_member_limit()) {
                match member_id {
                    None => refusal = Some(CouponRejection::MembersOnly),
                    Some(member) => {
                        let used = state
                            .store
                            .member_redemption_count(&coupon.code, member)
                            .await?;
                        if used >= limit {
                            refusal = Some(CouponRejection::PerMemberLimit);
                        }
                    }
                }
            }
            claim = Some(RedemptionClaim {
                coupon: coupon.code.clone(),
                campaign: campaign.clone(),
                discount: *discount,
                issued_code: issued_code.clone(),
                budget: coupon.budget,
                per_member: coupon.per_member_limit(),
                budget_amount: coupon.budget_amount,
                first_order_only: coupon.first_order_only,
            });
        }
    }
    let quote = match refusal {
        None => quote,
        Some(reason) => {
            claim = None;
            let mut without = priced_cart.clone();
            without.coupon = None;
            let mut quote = price_with(site, &sold_out, &without, now, &diner)
                .map_err(ApiError::InvalidCart)?;
            quote.coupon = Some(CouponOutcome::Rejected {
                code: code.unwrap_or_default().to_owned(),
                reason,
            });
            quote
        }
    };
    let slot = match (&cart.fulfilment, site.location(&cart.location)) {
        (Fulfilment::Pickup { slot }, Some(location)) => location.pickup.map(|p| SlotClaim {
            start: *slot,
            capacity: p.capacity,
        }),
        _ => None,
    };
    Ok(Priced {
        quote,
        claim,
        budget_left,
        slot,
        code_channel,
    })
}

/// What placing an order needs, whichever way it arrived.
#[derive(Debug, Clone)]
pub(crate) struct PlaceInput {
    pub cart: Cart,
    /// `None` for HTML forms, which are priced against the current catalog.
    pub version: Option<String>,
    pub note: Option<String>,
    pub name: Option<String>,
    pub member_id: Option<String>,
    pub attribution: Option<Attribution>,
    /// First and last campaign touches.
    pub touches: Touches,
    pub idempotency_key: String,
    /// A hash of the request, to tell a retry from a reuse of the key.
    pub request_hash: String,
    /// The client's address ([`crate::api::extract::client_ip`]), for per-client limits.
    pub client: String,
}

/// An order stored (or found again by its idempotency key) with its token.
#[derive(Debug, Clone)]
pub(crate) struct PlacedOrder {
    pub order: Order,
    pub token: String,
    pub created: bool,
}

impl PlacedOrder {
    pub(crate) fn status_url(&self) -> String {
        format!("/api/orders/{}?token={}", self.order.id, self.token)
    }
}

fn unsealed(sealed: &str, key: &str) -> Result<String, ApiError> {
    keys::unseal_token(sealed, key).ok_or_else(|| {
        ApiError::Store(crate::store::StoreError::Backend(
            "a sealed token did not open with its idempotency key".into(),
        ))
    })
}

/// The campaign and channel the order belongs to, by the one rule of
/// [`catalog::attribution`]. An explicit `attribution` (the visit the storefront is
/// in) counts as the last touch; without it, the remembered last touch does.
fn attribution_of(
    claim: Option<&RedemptionClaim>,
    code_channel: Option<&str>,
    explicit: Option<&Attribution>,
    touches: &Touches,
) -> Option<Attribution> {
    let last = explicit
        .map(|a| (a.campaign.as_str(), a.channel.as_str()))
        .or_else(|| {
            touches
                .last
                .as_ref()
                .map(|t| (t.campaign.as_str(), t.channel.as_str()))
        });
    let redeemed = claim.map(|c| Redeemed {
        campaign: &c.campaign,
        code_channel,
    });
    attribute(redeemed, last).map(|(campaign, channel)| Attribution { campaign, channel })
}

/// Validates what the cart's pricing does not: text bounds and attribution.
pub(crate) fn check_input(input: &PlaceInput, site: &catalog::Site) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    limits::check_cart(&mut errors, "cart.", &input.cart);
    limits::check_opt_text(&mut errors, "note", input.note.as_deref(), limits::MAX_NOTE);
    limits::check_opt_text(&mut errors, "name", input.name.as_deref(), limits::MAX_NAME);
    limits::check_opt_text(
        &mut errors,
        "member_id",
        input.member_id.as_deref(),
        limits::MAX_ID,
    );
    limits::check_opt_text(
        &mut errors,
        "version",
        input.version.as_deref(),
        limits::MAX_ID,
    );
    if let Some(attribution) = &input.attribution {
        match site.campaign(&attribution.campaign) {
            None => errors.push(FieldError::new(
                "attribution.campaign",
                "no campaign with this id",
            )),
            Some(campaign) if campaign.channel(&attribution.channel).is_none() => {
                errors.push(FieldError::new(
                    "attribution.channel",
                    "the campaign has no channel with this id",
                ))
            }
            Some(_) => {}
        }
    }
    limits::finish(errors)
}

/// Keeps the touches that name a campaign channel of the content. A touch is the
/// storefront's memory of an earlier visit, and the campaign may have ended since:
/// a stale one is dropped rather than allowed to refuse the diner's order.
pub(crate) fn known_touches(touches: Touches, site: &catalog::Site) -> Touches {
    Touches {
        first: known_touch(touches.first, site),
        last: known_touch(touches.last, site),
    }
}

/// The touch, if it names a campaign channel of the content.
pub(crate) fn known_touch(touch: Option<Touch>, site: &catalog::Site) -> Option<Touch> {
    touch.filter(|t| {
        site.campaign(&t.campaign)
            .is_some_and(|c| c.channel(&t.channel).is_some())
    })
}

/// Who a per-client limit counts: the signed-in member, else the client's address.
fn limit_key(input: &PlaceInput) -> String {
    match &input.member_id {
        Some(member) => format!("member:{member}"),
        None => format!("address:{}", input.client),
    }
}

/// Prices the cart on the server and stores the order, once per idempotency key.
///
/// A pickup order takes one of its client's [`crate::limiter::PICKUP_ORDERS_PER_HOUR`]
/// first (`429` beyond them), given back unless a new order is stored, so one
/// client cannot book out a slot's capacity; a retry answered with its order costs
/// nothing.
pub(crate) async fn place(state: &AppState, input: PlaceInput) -> Result<PlacedOrder, ApiError> {
    let key_hash = keys::sha256_hex(&input.idempotency_key);
    // A retry is answered with the order it placed, even if the menu changed since.
    if let Some(placed) = state.store.replay(&key_hash, &input.request_hash).await? {
        let token = unsealed(&placed.sealed_token, &input.idempotency_key)?;
        return Ok(PlacedOrder {
            order: placed.order,
            token,
            created: false,
        });
    }
    if !matches!(input.cart.fulfilment, Fulfilment::Pickup { .. }) {
        return place_new(state, input, key_hash).await;
    }
    let client = limit_key(&input);
    state
        .pickup_orders
        .take(&client)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let placed = place_new(state, input, key_hash).await;
    if !matches!(&placed, Ok(p) if p.created) {
        state.pickup_orders.give_back(&client);
    }
    placed
}

/// [`place`] once the key is known to be fresh.
async fn place_new(
    state: &AppState,
    input: PlaceInput,
    key_hash: String,
) -> Result<PlacedOrder, ApiError> {
    let catalog = state.catalog();
    let site = &catalog.site;
    check_input(&input, site)?;
    let touches = known_touches(input.touches.clone(), site);
    let now = state.now();
    let member = input.member_id.as_deref();
    if let Some(version) = &input.version {
        if *version != catalog.version {
            return Err(
                match price_cart(state, &catalog, &input.cart, member, now).await {
                    Ok(priced) => ApiError::MenuChanged {
                        version: catalog.version.clone(),
                        quote: Some(Box::new(priced.quote)),
                        errors: Vec::new(),
                    },
                    Err(ApiError::InvalidCart(errors)) => ApiError::MenuChanged {
                        version: catalog.version.clone(),
                        quote: None,
                        errors,
                    },
                    Err(other) => other,
                },
            );
        }
    }
    let priced = price_cart(state, &catalog, &input.cart, member, now).await?;
    if let Some(CouponOutcome::Rejected { code, reason }) = &priced.quote.coupon {
        return Err(ApiError::CouponRejected {
            code: code.clone(),
            reason: reason.clone(),
        });
    }
    let location = site
        .location(&input.cart.location)
        .ok_or(ApiError::NotFound)?;
    let token = keys::new_token();
    let new = NewOrder {
        id: keys::new_id("ord"),
        location: location.id.clone(),
        order_prefix: location.order_prefix.clone(),
        local_day: now.with_timezone(&site.settings.timezone).date_naive(),
        idempotency_key_hash: key_hash,
        request_hash: input.request_hash.clone(),
        token_hash: keys::sha256_hex(&token),
        sealed_token: keys::seal_token(&token, &input.idempotency_key),
        cart: input.cart.clone(),
        quote: priced.quote,
        note: input.note.clone().filter(|n| !n.trim().is_empty()),
        name: input.name.clone().filter(|n| !n.trim().is_empty()),
        member_id: input.member_id.clone(),
        attribution: attribution_of(
            priced.claim.as_ref(),
            priced.code_channel.as_deref(),
            input.attribution.as_ref(),
            &touches,
        ),
        redemption: priced.claim,
        slot: priced.slot,
        placed_at: now,
        touches,
    };
    let coupon_code = input.cart.coupon.clone().unwrap_or_default();
    let placed = state
        .store
        .place_order(new)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::CouponRejected { reason, .. } => ApiError::CouponRejected {
                code: coupon_code.trim().to_owned(),
                reason,
            },
            other => other,
        })?;
    let token = if placed.created {
        state
            .events
            .publish(crate::events::StaffEvent::placed(&placed.order));
        token
    } else {
        // Another request with the same key won the race: answer with its order.
        unsealed(&placed.sealed_token, &input.idempotency_key)?
    };
    Ok(PlacedOrder {
        order: placed.order,
        token,
        created: placed.created,
    })
}

/// One ledger entry that did not count, for staff to resolve.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MismatchView {
    /// Its position in the order's ledger.
    pub index: usize,
    /// Why it did not count, in words.
    pub reason: String,
}

/// What an order's payment ledger adds up to, as the API shows it (derived with
/// [`catalog::payment::summarize`], never stored).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentSummary {
    /// `unpaid`, `pending`, `paid`, `partially_refunded`, `refunded`, `failed` or `expired`.
    #[schema(value_type = String)]
    pub state: catalog::payment::PaymentState,
    /// The order's currency (ISO 4217).
    pub currency: String,
    /// The order's total, in minor units.
    pub total: i64,
    /// Matching charges received.
    pub paid: i64,
    /// Refunds counted against them.
    pub refunded: i64,
    /// Still to pay: `total − paid + refunded`, never negative.
    pub due: i64,
    /// What may still be given back.
    pub refundable: i64,
    /// Charges and refunds that did not count.
    pub mismatches: Vec<MismatchView>,
}

/// The unpaid hold of an order that must be paid online first, read at `now`.
fn hold_of(order: &Order, site: &catalog::Site, now: DateTime<Utc>) -> Option<Hold> {
    let policy = &site.location(&order.location)?.payment;
    if policy.due(&order.cart.fulfilment) != catalog::payment_policy::Due::PayOnlineRequired {
        return None;
    }
    let placed = order.times.received?;
    Some(Hold {
        until: placed + chrono::Duration::minutes(i64::from(policy.unpaid_hold_minutes)),
        now,
    })
}

/// The payment summary of `order` with the ledger `entries`, at the state's "now"
/// (which decides whether an unpaid hold has ended).
pub(crate) fn payment_summary(
    state: &AppState,
    order: &Order,
    entries: &[Entry],
) -> PaymentSummary {
    let catalog = state.catalog();
    let hold = hold_of(order, &catalog.site, state.now());
    let total = order.quote.total;
    let currency = &order.quote.currency;
    let summary = catalog::payment::summarize(total, currency, entries, hold);
    PaymentSummary {
        state: summary.state,
        currency: currency.clone(),
        total,
        paid: summary.paid,
        refunded: summary.refunded,
        due: summary.amount_due,
        refundable: summary.refundable,
        mismatches: summary
            .mismatches
            .into_iter()
            .map(|f| MismatchView {
                index: f.index,
                reason: f.mismatch.to_string(),
            })
            .collect(),
    }
}

/// Reads the ledger of `order` and sums it up.
pub(crate) async fn read_payment_summary(
    state: &AppState,
    order: &Order,
) -> Result<PaymentSummary, ApiError> {
    let entries = state.store.payments(&order.id).await?;
    Ok(payment_summary(state, order, &entries))
}

/// Appends what a verified event says to its order's ledger, once.
pub(crate) async fn apply_event(state: &AppState, event: ProviderEvent) -> Result<bool, ApiError> {
    // Without Carte's order id there is no ledger to write to: refused, so the provider
    // delivers it again (and its dashboard shows it) rather than losing it.
    let order_id = event.order_id.clone().ok_or(ApiError::NotFound)?;
    if order_id.len() > crate::api::limits::MAX_ID {
        return Err(ApiError::NotFound);
    }
    let kind = match event.kind {
        EventKind::Succeeded => EntryKind::Charge,
        EventKind::Failed => EntryKind::Failure,
        EventKind::Refunded { .. } => EntryKind::Refund,
    };
    let entry = Entry {
        kind,
        method: event.method,
        amount: event.amount,
        currency: event.currency.clone(),
        reference: Some(event.reference.clone()),
        at: state.now(),
        by: event.method.as_str().to_owned(),
    };
    let key = event.idempotency_key();
    if event.kind == (EventKind::Refunded { cumulative: true }) {
        // `amount` is the running total refunded on the payment: the store appends what
        // the ledger does not hold yet, in the transaction that judges it.
        let recorded = state
            .store
            .record_refund_total(&order_id, entry, key)
            .await?;
        let created = recorded.is_some_and(|r| r.created);
        if created {
            announce_payment(state, &order_id).await;
        }
        return Ok(created);
    }
    let recorded = state
        .store
        .record_payment(&order_id, entry, Some(key))
        .await?;
    if recorded.created {
        announce_payment(state, &order_id).await;
    }
    Ok(recorded.created)
}

/// Tells open staff screens that an order's ledger grew (a `payment` event), so its
/// badge changes at once. Best effort: the next queue refresh shows it anyway.
async fn announce_payment(state: &AppState, order_id: &str) {
    if let Ok(order) = state.store.get_order(order_id).await {
        state
            .events
            .publish(crate::events::StaffEvent::payment(&order));
    }
}

/// The provider's name in messages.
pub(crate) fn provider_name(method: Method) -> &'static str {
    match method {
        Method::Stripe => "Stripe",
        Method::WechatPay => "WeChat Pay",
        _ => "payments",
    }
}

/// How long after a checkout started a payment still pending is asked of its provider
/// (its notification is late by then).
pub(crate) const QUERY_AFTER_SECONDS: i64 = 20;

/// [`read_payment_summary`] for the diner's status: a payment still pending
/// [`QUERY_AFTER_SECONDS`] after its checkout started is asked of the provider (at most
/// once per [`crate::payments::QUERY_INTERVAL`] per order), and what it says is applied
/// exactly like its notification would be. A provider that cannot answer changes nothing.
pub(crate) async fn read_payment_summary_settled(
    state: &AppState,
    order: &Order,
) -> Result<PaymentSummary, ApiError> {
    let entries = state.store.payments(&order.id).await?;
    let summary = payment_summary(state, order, &entries);
    if summary.state != catalog::payment::PaymentState::Pending {
        return Ok(summary);
    }
    let Some(providers) = state.payments.as_deref() else {
        return Ok(summary);
    };
    let Some(started) = entries.iter().rev().find(|e| e.kind == EntryKind::Checkout) else {
        return Ok(summary);
    };
    let late = state.now() - started.at >= chrono::Duration::seconds(QUERY_AFTER_SECONDS);
    let Some(provider) = providers.provider(started.method) else {
        return Ok(summary);
    };
    if !late || !providers.may_query(&order.id) {
        return Ok(summary);
    }
    let query = PaymentQuery {
        order_id: order.id.clone(),
        checkout_reference: started.reference.clone(),
    };
    match provider.query(&query).await {
        Ok(Some(event)) => match apply_event(state, event).await {
            Ok(_) => read_payment_summary(state, order).await,
            Err(error) => {
                eprintln!(
                    "carte functions: applying the {} query of order {}: {error}",
                    provider_name(started.method),
                    order.id
                );
                Ok(summary)
            }
        },
        Ok(None) => Ok(summary),
        Err(error) => {
            eprintln!(
                "carte functions: asking {} about order {}: {error}",
                provider_name(started.method),
                order.id
            );
            Ok(summary)
        }
    }
}

/// Who the history names when an order's unpaid hold ends.
pub(crate) const HOLD_EXPIRED_BY: &str = "unpaid-hold";

/// Cancels `order` when it had to be paid online first and its unpaid hold ended
/// unpaid (`summary` says `expired`), which gives its coupon redemption and pickup
/// place back; answers the order as it is now. An order staff already accepted, or a
/// cancellation another request made first, is left as it is.
pub(crate) async fn expire_if_unpaid(
    state: &AppState,
    order: Order,
    summary: &PaymentSummary,
) -> Result<Order, ApiError> {
    if summary.state != catalog::payment::PaymentState::Expired
        || order.status != crate::store::OrderStatus::Received
    {
        return Ok(order);
    }
    let cancelled = state
        .store
        .set_status(
            &order.id,
            crate::store::OrderStatus::Cancelled,
            HOLD_EXPIRED_BY,
            Some("not paid within the unpaid hold".to_owned()),
            state.now(),
        )
        .await;
    match cancelled {
        Ok(order) => Ok(order),
        Err(crate::store::StoreError::InvalidTransition { .. }) => {
            Ok(state.store.get_order(&order.id).await?)
        }
        Err(error) => Err(error.into()),
    }
}

/// The orders of a queue the kitchen works on, each with its payment summary. An order
/// its location wants paid online first is held back while unpaid (it reaches the
/// kitchen once paid), and cancelled when its unpaid hold ends (see
/// [`expire_if_unpaid`]).
pub(crate) async fn working_queue(
    state: &AppState,
    orders: Vec<Order>,
) -> Result<Vec<(Order, PaymentSummary)>, ApiError> {
    let catalog = state.catalog();
    let now = state.now();
    let mut working = Vec::with_capacity(orders.len());
    for order in orders {
        let payment = read_payment_summary(state, &order).await?;
        let prepay = hold_of(&order, &catalog.site, now).is_some();
        if prepay && order.status == crate::store::OrderStatus::Received {
            use catalog::payment::PaymentState as P;
            match payment.state {
                P::Paid | P::PartiallyRefunded | P::Refunded => {}
                P::Expired => {
                    expire_if_unpaid(state, order, &payment).await?;
                    continue;
                }
                _ => continue,
            }
        }
        working.push((order, payment));
    }
    Ok(working)
}
