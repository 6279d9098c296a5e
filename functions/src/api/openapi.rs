//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the handlers'
//! own annotations so it cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{
    account, auth, checkout, events, exports, health, members, orders, passkeys, pay, payments,
    problem, proof, quote, redemptions, reports, session, staff, visits,
};
use crate::store;

/// Adds the bearer API key scheme the staff routes name.
struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A staff or marketer key from `carte keys create`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::COOKIE,
                "The staff console's session, from `POST /api/staff/session`",
            ))),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Carte ordering API",
        description = "Quotes, orders, members and the staff queue of a Carte restaurant. \
                       Errors are application/problem+json (RFC 9457)."
    ),
    paths(
        quote::quote,
        orders::place_order,
        orders::order_status,
        members::sign_up,
        proof::send_code,
        proof::verify,
        proof::me,
        proof::sign_out,
        passkeys::registration_options,
        passkeys::register,
        passkeys::list,
        passkeys::remove,
        passkeys::sign_in_options,
        passkeys::sign_in,
        account::account,
        account::send_code,
        account::verify,
        account::withdraw_consent,
        account::sign_out,
        account::erase,
        account::confirm_erase,
        account::order,
        account::my_orders,
        staff::queue,
        staff::set_status,
        pay::start_checkout,
        payments::take_payment,
        payments::refund,
        payments::stripe_webhook,
        payments::wechat_notify,
        staff::get_sold_out,
        staff::put_sold_out,
        staff::public_sold_out,
        staff::config,
        staff::board,
        session::sign_in,
        session::whoami,
        session::sign_out,
        events::stream,
        redemptions::redeem,
        members::find_member,
        members::erase_member,
        visits::record,
        reports::campaigns,
        reports::sales,
        reports::settlement,
        exports::export,
        health::health,
        openapi_json,
    ),
    components(schemas(
        problem::ProblemDoc,
        problem::FieldError,
        checkout::PaymentSummary,
        checkout::MismatchView,
        store::OrderStatus,
        store::Role,
        store::SoldOutItem,
    )),
    modifiers(&ApiKeyScheme),
    tags(
        (name = "quote", description = "Pricing carts"),
        (name = "orders", description = "Placing orders and following them"),
        (name = "members", description = "Member sign-up, one-time codes, passkeys, member sessions, and the diner's own account pages (HTML forms that work without JavaScript)"),
        (name = "staff", description = "The counter and kitchen (API key, role staff)"),
        (name = "payments", description = "Paying online (the order's token) and the providers' notifications (verified by signature, no API key)"),
        (name = "marketing", description = "Visits, campaign and sales reports, CSV exports (role marketer)"),
        (name = "meta", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
