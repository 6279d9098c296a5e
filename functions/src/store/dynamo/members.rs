//! Members, unique per phone and per email, and their issued single-use codes.
//!
//! A sign-up is one transaction: the member item, a claim item per phone and
//! per email (`MEMBER#PHONE#…`, `MEMBER#EMAIL#…`, each `attribute_not_exists`)
//! and the welcome code. A failed claim means someone signed up with that
//! phone or email first: the claim names the member, who is returned.

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use super::error::{back_off, build, contended, corrupt, still_contended, CONTENTION_ATTEMPTS};
use super::item::{opt_text, opt_time, parse_ts, put_opt, s, text, ts, Item};
use super::schema::{self, PK};
use super::DynamoStore;
use crate::store::{IssuedCode, Member, MemberKey, NewMember, SignedUp, StoreError};

/// What each item of a sign-up guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    Id,
    Phone,
    Email,
    Code,
}

fn guarded_put(store: &DynamoStore, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(&store.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(build)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn member_item(member: &NewMember) -> Item {
    let mut item = schema::member(&member.id);
    item.insert("id".into(), s(&member.id));
    put_opt(&mut item, "phone", member.phone.as_deref());
    put_opt(&mut item, "email", member.email.as_deref());
    put_opt(&mut item, "name", member.name.as_deref());
    if let Some(attribution) = &member.attribution {
        item.insert("campaign".into(), s(&attribution.campaign));
        item.insert("channel".into(), s(&attribution.channel));
    }
    put_opt(&mut item, "location", member.location.as_deref());
    item.insert("consent_at".into(), s(ts(member.consent_at)));
    // Like the SQLite store: the member exists from the moment of consent.
    item.insert("created_at".into(), s(ts(member.consent_at)));
    // The member directory, for exports (keys only).
    item.insert("gsi3pk".into(), s(schema::MEMBER_DIRECTORY));
    item.insert(
        "gsi3sk".into(),
        s(format!("{}#{}", ts(member.consent_at), member.id)),
    );
    item
}

fn decode_member(item: &Item) -> Result<Member, StoreError> {
    Ok(Member {
        id: text(item, "id")?,
        phone: opt_text(item, "phone"),
        email: opt_text(item, "email"),
        name: opt_text(item, "name"),
        consent_at: parse_ts(&text(item, "consent_at")?)?,
        created_at: parse_ts(&text(item, "created_at")?)?,
        consent_withdrawn_at: opt_time(item, "consent_withdrawn_at")?,
    })
}

/// Signs a member up, or finds the member who holds the phone or email.
pub(super) async fn sign_up(
    store: &DynamoStore,
    member: NewMember,
) -> Result<SignedUp, StoreError> {
    for attempt in 1..=CONTENTION_ATTEMPTS {
        let mut items = vec![guarded_put(store, member_item(&member))?];
        let mut claims = vec![Claim::Id];
        if let Some(phone) = &member.phone {
            let mut claim = schema::member_phone(phone);
            claim.insert("member_id".into(), s(&member.id));
            items.push(guarded_put(store, claim)?);
            claims.push(Claim::Phone);
        }
        if let Some(email) = &member.email {
            let mut claim = schema::member_email(email);
            claim.insert("member_id".into(), s(&member.id));
            items.push(guarded_put(store, claim)?);
            claims.push(Claim::Email);
        }
        if let Some(code) = &member.welcome {
            let mut issued = schema::issued_code(&code.code);
            issued.insert("code".into(), s(&code.code));
            issued.insert("coupon".into(), s(&code.coupon));
            issued.insert("member_id".into(), s(&member.id));
            // The member's codes, for their account page (keys only).
            issued.insert("gsi3pk".into(), s(schema::member_codes(&member.id)));
            issued.insert("gsi3sk".into(), s(&code.code));
            items.push(guarded_put(store, issued)?);
            claims.push(Claim::Code);
        }
        let Some(reasons) = store.transact(items).await? else {
            return Ok(SignedUp {
                member: decode_member(&member_item(&member))?,
                created: true,
                welcome: member.welcome,
            });
        };
        let failed = |wanted: Claim| super::error::failed(&claims, &reasons, wanted);
        // The phone is looked at first, as the SQLite store does.
        let mut vanished = false;
        for (claim, key) in [
            (
                Claim::Phone,
                member.phone.as_deref().map(schema::member_phone),
            ),
            (
                Claim::Email,
                member.email.as_deref().map(schema::member_email),
            ),
        ] {
            let (Some(reason), Some(key)) = (failed(claim), key) else {
                continue;
            };
            let holder = match reason.item().and_then(|item| opt_text(item, "member_id")) {
                Some(id) => Some(id),
                None => store
                    .get(key)
                    .await?
                    .and_then(|item| opt_text(&item, "member_id")),
            };
            let Some(holder) = holder else {
                // Erased between the two reads: try the sign-up again.
                vanished = true;
                break;
            };
            let existing = store
                .get(schema::member(&holder))
                .await?
                .ok_or_else(|| corrupt("a phone or email claim without its member"))?;
            return Ok(SignedUp {
                member: decode_member(&existing)?,
                created: false,
                welcome: None,
            });
        }
        if failed(Claim::Id).is_some() {
            return Err(StoreError::Backend(format!(
                "member id `{}` exists already",
                member.id
            )));
        }
        if failed(Claim::Code).is_some() {
            return Err(StoreError::Backend(
                "the welcome code exists already".into(),
            ));
        }
        if !vanished && !reasons.iter().any(contended) {
            return Err(StoreError::Backend(
                "TransactWriteItems cancelled without a reason".into(),
            ));
        }
        back_off(attempt).await;
    }
    Err(still_contended("signing up a member"))
}

/// A member by id, phone or email (the latter two through their claim items).
pub(super) async fn find(
    store: &DynamoStore,
    key: MemberKey,
) -> Result<Option<Member>, StoreError> {
    let id = match key {
        MemberKey::Id(id) => id,
        MemberKey::Phone(phone) => {
            match store
                .get(schema::member_phone(&phone))
                .await?
                .and_then(|item| opt_text(&item, "member_id"))
            {
                Some(id) => id,
                None => return Ok(None),
            }
        }
        MemberKey::Email(email) => {
            match store
                .get(schema::member_email(&email))
                .await?
                .and_then(|item| opt_text(&item, "member_id"))
            {
                Some(id) => id,
                None => return Ok(None),
            }
        }
    };
    store
        .get(schema::member(&id))
        .await?
        .map(|item| decode_member(&item))
        .transpose()
}

/// An issued code, whatever the case it is typed in.
pub(super) async fn find_issued_code(
    store: &DynamoStore,
    code: &str,
) -> Result<Option<IssuedCode>, StoreError> {
    let Some(item) = store.get(schema::issued_code(code)).await? else {
        return Ok(None);
    };
    Ok(Some(IssuedCode {
        code: text(&item, "code")?,
        coupon: text(&item, "coupon")?,
        // Batch codes (`carte coupons issue`) belong to no member.
        member_id: opt_text(&item, "member_id").unwrap_or_default(),
        used_by: opt_text(&item, "used_by"),
        channel: opt_text(&item, "channel"),
    }))
}
