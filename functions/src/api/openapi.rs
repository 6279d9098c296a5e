//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the handlers'
//! own annotations so it cannot drift from the code.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[cfg(feature = "passkeys")]
use crate::api::passkeys;
use crate::api::{
    account, auth, checkout, events, exports, health, members, orders, pay, payments, problem,
    proof, push, quote, ratings, redemptions, reports, session, staff, visits,
};
use crate::store;

/// The passkeys function's operations (in builds with the `passkeys` feature).
#[cfg(feature = "passkeys")]
#[derive(OpenApi)]
#[openapi(paths(
    passkeys::registration_options,
    passkeys::register,
    passkeys::list,
    passkeys::remove,
    passkeys::sign_in_options,
    passkeys::sign_in,
))]
struct PasskeysDoc;

/// Adds the passkeys function's operations when this build has them.
struct PasskeyPaths;

impl Modify for PasskeyPaths {
    fn modify(&self, _openapi: &mut utoipa::openapi::OpenApi) {
        #[cfg(feature = "passkeys")]
        _openapi.merge(PasskeysDoc::openapi());
    }
}

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

/// Every JSON body is read by the same code (`api::limits`: content type, size, syntax,
/// shape), so every operation that takes one can answer its problems: declared here once
/// rather than on each handler. The providers' notifications read their bodies raw
/// (the signature covers the bytes) and declare their own answers.
struct BodyProblems;

/// What reading a JSON body can answer, besides the handler's own answers.
const BODY_PROBLEMS: [(&str, &str); 4] = [
    ("400", "`malformed-body`: not well-formed JSON"),
    ("413", "`body-too-large`: more than 64 KiB"),
    ("415", "`unsupported-media-type`: not `application/json`"),
    (
        "422",
        "`invalid-body` (unknown, missing or mistyped fields) or `validation-failed`",
    ),
];

/// Paths whose bodies are read raw, not through `api::limits`' JSON reader.
const RAW_BODIES: [&str; 2] = [
    "/api/payments/stripe/webhook",
    "/api/payments/wechat/notify",
];

/// Answers that are HTML pages for browsers: the plain forms (JavaScript off), in every
/// outcome, and the order status asked for as `text/html`.
const HTML_PAGES: [(&str, &str, &[&str]); 3] = [
    (
        "post",
        "/api/orders",
        &["200", "201", "400", "409", "413", "422"],
    ),
    (
        "post",
        "/api/payments/checkout",
        &["200", "404", "409", "422", "502", "503"],
    ),
    ("get", "/api/orders/{id}", &["200"]),
];

fn problem_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            problem::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemDoc")))
                .build(),
        )
        .build()
        .into()
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

impl Modify for BodyProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let raw = RAW_BODIES.contains(&path.as_str());
            for operation in operations(item) {
                let json = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                if !json || raw {
                    continue;
                }
                for (status, description) in BODY_PROBLEMS {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                }
            }
        }
        for (method, path, statuses) in HTML_PAGES {
            let Some(item) = openapi.paths.paths.get_mut(path) else {
                continue;
            };
            let operation = match method {
                "get" => item.get.as_mut(),
                _ => item.post.as_mut(),
            };
            let Some(operation) = operation else {
                continue;
            };
            for status in statuses {
                if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status) {
                    response.content.insert(
                        "text/html".to_owned(),
                        ContentBuilder::new()
                            .schema(Some(
                                utoipa::openapi::ObjectBuilder::new()
                                    .schema_type(utoipa::openapi::schema::Type::String),
                            ))
                            .build(),
                    );
                }
            }
        }
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
        push::subscribe,
        ratings::rate,
        members::sign_up,
        proof::send_code,
        proof::verify,
        proof::me,
        proof::sign_out,
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
        ratings::report,
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
    modifiers(&PasskeyPaths, &ApiKeyScheme, &BodyProblems),
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
