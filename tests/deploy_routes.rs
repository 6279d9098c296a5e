//! deploy/template.yaml against the code, so the two cannot drift: every operation in the
//! OpenAPI document is routed by the HTTP API to the function whose router serves it (asked
//! of the router itself, with a request), every route the template declares reaches a
//! function that serves something there, each function's code is the binary built for
//! it, and every environment variable a function is given is one the functions read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use serde_yaml::Value;
use tower::ServiceExt;

/// Operations the Lambda functions do not serve on purpose, and why.
const ONLY_UNDER_CARTE_SERVE: [(&str, &str, &str); 2] = [
    (
        "get",
        "/api/staff/events",
        "a held-open event stream needs one long-lived process (docs/staff.md)",
    ),
    (
        "get",
        "/api/openapi.json",
        "the document is served by `carte serve`; production needs no copy",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The template with CloudFormation's short tags (`!Ref X`) read as plain tagged values.
fn template() -> Value {
    let text = std::fs::read_to_string(root().join("deploy/template.yaml")).expect("template");
    serde_yaml::from_str(&text).expect("template parses as YAML")
}

/// One `HttpApi` event of a function.
#[derive(Debug, Clone)]
struct Route {
    function: String,
    method: String,
    path: String,
}

/// Each serverless function's binary name (from `CodeUri: ../target/lambda/<bin>/`) and
/// its HTTP API events.
fn functions(template: &Value) -> (BTreeMap<String, String>, Vec<Route>) {
    let mut bins = BTreeMap::new();
    let mut routes = Vec::new();
    let resources = template["Resources"].as_mapping().expect("Resources");
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let name = name.as_str().expect("a resource name").to_owned();
        let code = resource["Properties"]["CodeUri"]
            .as_str()
            .expect("CodeUri is a path");
        let bin = code
            .strip_prefix("../target/lambda/")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{name}: CodeUri {code} is not ../target/lambda/<bin>/"));
        bins.insert(name.clone(), bin.to_owned());
        let events = resource["Properties"]["Events"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{name} has no events"));
        for (_, event) in events {
            assert_eq!(event["Type"].as_str(), Some("HttpApi"), "{name}: {event:?}");
            let props = &event["Properties"];
            routes.push(Route {
                function: name.clone(),
                method: props["Method"].as_str().expect("Method").to_lowercase(),
                path: props["Path"].as_str().expect("Path").to_owned(),
            });
        }
    }
    (bins, routes)
}

/// Most segments of a route this test ranks.
const MAX_SEGMENTS: usize = 64;

/// How an HTTP API route matches `path`: `None`, or its rank (lower is more specific:
/// literal segments before `{param}` before `{proxy+}`, and of two greedy routes the
/// longer one, as API Gateway chooses: `GET /pets/cat/1` goes to `/pets/{proxy+}`
/// before `/{proxy+}`).
fn matches(route: &str, path: &str) -> Option<(usize, usize)> {
    let route: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut params = 0;
    for (i, segment) in route.iter().enumerate() {
        if segment.starts_with('{') && segment.ends_with("+}") {
            // Greedy: one segment or more, and only at the end.
            return (path.len() > i).then_some((1, (MAX_SEGMENTS - i) * MAX_SEGMENTS + params));
        }
        let actual = path.get(i)?;
        if segment.starts_with('{') {
            params += 1;
        } else if segment != actual {
            return None;
        }
    }
    (route.len() == path.len()).then_some((0, params))
}

/// The function whose HTTP API route takes `method path`, if any.
fn routed<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a Route> {
    routes
        .iter()
        .filter(|r| r.method == method || r.method == "any")
        .filter_map(|r| matches(&r.path, path).map(|rank| (rank, r)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, r)| r)
}

/// Builds a function's own router, as its Lambda binary does.
fn router(bin: &str, state: functions::AppState) -> Router {
    let source = std::fs::read_to_string(root().join(format!("functions/src/bin/{bin}.rs")))
        .unwrap_or_else(|e| panic!("functions/src/bin/{bin}.rs: {e}"));
    let make: fn(functions::AppState) -> Router = match bin {
        "quote" => functions::quote_router,
        "orders" => functions::orders_router,
        "members" => functions::members_router,
        "passkeys" => functions::passkeys_router,
        "staff" => functions::staff_router,
        "payments" => functions::payments_router,
        "marketing" => functions::marketing_router,
        other => panic!("a function binary this test does not know: {other}"),
    };
    assert!(
        source.contains(&format!("functions::{bin}_router")),
        "functions/src/bin/{bin}.rs does not serve functions::{bin}_router"
    );
    make(state)
}

/// Whether `router` has a handler for `method path`: anything but its own fallbacks (an
/// unknown path is answered 418 here; a known path with another method, 405).
async fn serves(router: &Router, method: &str, path: &str) -> bool {
    let concrete: String = path
        .split('/')
        .map(|s| if s.starts_with('{') { "x1" } else { s })
        .collect::<Vec<_>>()
        .join("/");
    let request = Request::builder()
        .method(Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method"))
        .uri(&concrete)
        .header("host", "shop.example")
        .body(Body::empty())
        .expect("request");
    let response = router
        .clone()
        .fallback(|| async { StatusCode::IM_A_TEAPOT })
        .oneshot(request)
        .await
        .expect("infallible");
    !matches!(
        response.status(),
        StatusCode::IM_A_TEAPOT | StatusCode::METHOD_NOT_ALLOWED
    )
}

/// The operations of the OpenAPI document, `(method, path)`.
async fn operations() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(functions::api::openapi::openapi_json().await.0).expect("doc");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_operation_reaches_the_function_that_serves_it() {
    let template = template();
    let (bins, routes) = functions(&template);
    let dir = tempfile::tempdir().expect("tempdir");
    let project = generator::load::load_site(&root().join("site-content")).expect("site");
    let store = functions::SqliteStore::open(dir.path().join("carte.db")).expect("store");
    let state = functions::AppState::new(
        functions::Catalog::new(project.site),
        std::sync::Arc::new(store),
    );
    let routers: BTreeMap<&str, Router> = bins
        .iter()
        .map(|(name, bin)| (name.as_str(), router(bin, state.clone())))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let operations = operations().await;
        assert!(operations.len() > 30, "{} operations", operations.len());
        let mut problems = Vec::new();
        for (method, path) in &operations {
            let exempt = ONLY_UNDER_CARTE_SERVE
                .iter()
                .any(|(m, p, _)| m == method && p == path);
            match routed(&routes, method, path) {
                None if exempt => {}
                None => problems.push(format!(
                    "{} {path}: no HTTP API route in deploy/template.yaml",
                    method.to_uppercase()
                )),
                Some(route) => {
                    let served = serves(&routers[route.function.as_str()], method, path).await;
                    if exempt && served {
                        problems.push(format!(
                            "{} {path} is served by {} but listed as carte serve's only",
                            method.to_uppercase(),
                            route.function
                        ));
                    } else if exempt {
                        // Reaches a function that answers 404, as designed (the console
                        // then polls).
                    } else if !served {
                        let servers: Vec<&str> = {
                            let mut v = Vec::new();
                            for (name, router) in &routers {
                                if serves(router, method, path).await {
                                    v.push(*name);
                                }
                            }
                            v
                        };
                        problems.push(format!(
                            "{} {path}: routed to {} ({} {}), which does not serve it; served by {servers:?}",
                            method.to_uppercase(),
                            route.function,
                            route.method.to_uppercase(),
                            route.path
                        ));
                    }
                }
            }
        }
        // And the other way: each declared route leads somewhere its function serves.
        for route in &routes {
            let served = operations.iter().any(|(method, path)| {
                routed(&routes, method, path).is_some_and(|r| {
                    r.function == route.function && r.method == route.method && r.path == route.path
                })
            });
            if !served {
                problems.push(format!(
                    "{} {} ({}): no operation of the OpenAPI document goes there",
                    route.method.to_uppercase(),
                    route.path,
                    route.function
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    });
}

#[test]
fn routes_match_as_api_gateway_does_and_a_router_answers_for_itself_only() {
    let routes = vec![
        Route {
            function: "OrdersFunction".into(),
            method: "post".into(),
            path: "/api/orders".into(),
        },
        Route {
            function: "MembersFunction".into(),
            method: "any".into(),
            path: "/api/members/{proxy+}".into(),
        },
        Route {
            function: "MembersFunction".into(),
            method: "post".into(),
            path: "/api/members".into(),
        },
        Route {
            function: "PasskeysFunction".into(),
            method: "any".into(),
            path: "/api/members/passkey/{proxy+}".into(),
        },
    ];
    assert_eq!(
        routed(&routes, "post", "/api/orders").map(|r| r.function.as_str()),
        Some("OrdersFunction")
    );
    assert!(routed(&routes, "get", "/api/orders").is_none());
    assert!(routed(&routes, "post", "/api/orders/{id}/pay").is_none());
    assert_eq!(
        routed(&routes, "delete", "/api/members/passkeys/{id}").map(|r| r.path.as_str()),
        Some("/api/members/{proxy+}")
    );
    assert_eq!(
        routed(&routes, "post", "/api/members").map(|r| r.path.as_str()),
        Some("/api/members")
    );
    // Of two greedy routes, the longer one.
    assert_eq!(
        routed(&routes, "post", "/api/members/passkey/verify").map(|r| r.path.as_str()),
        Some("/api/members/passkey/{proxy+}")
    );
    assert_eq!(
        routed(&routes, "post", "/api/members/passkeys/options").map(|r| r.path.as_str()),
        Some("/api/members/{proxy+}")
    );

    // The orders function's own router, asked: it serves POST /api/orders, not the quote.
    let dir = tempfile::tempdir().expect("tempdir");
    let project = generator::load::load_site(&root().join("site-content")).expect("site");
    let store = functions::SqliteStore::open(dir.path().join("carte.db")).expect("store");
    let state = functions::AppState::new(
        functions::Catalog::new(project.site),
        std::sync::Arc::new(store),
    );
    let orders = router("orders", state);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        assert!(serves(&orders, "post", "/api/orders").await);
        assert!(serves(&orders, "get", "/api/orders/{id}").await);
        assert!(!serves(&orders, "post", "/api/quote").await);
        assert!(!serves(&orders, "delete", "/api/orders/{id}").await);
    });
}

#[test]
fn every_environment_variable_is_read_by_the_functions_and_names_what_exists() {
    let template = template();
    let parameters: BTreeSet<String> = template["Parameters"]
        .as_mapping()
        .expect("Parameters")
        .keys()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    let resources: BTreeSet<String> = template["Resources"]
        .as_mapping()
        .expect("Resources")
        .keys()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    // Every string literal of the functions' sources, where they read their variables.
    let mut source = String::new();
    let mut stack = vec![root().join("functions/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                source.push_str(&std::fs::read_to_string(&path).expect("read"));
            }
        }
    }
    let mut environments = vec![(
        "Globals".to_owned(),
        template["Globals"]["Function"]["Environment"]["Variables"].clone(),
    )];
    for (name, resource) in template["Resources"].as_mapping().expect("Resources") {
        let variables = &resource["Properties"]["Environment"]["Variables"];
        if !variables.is_null() {
            environments.push((
                name.as_str().unwrap_or_default().to_owned(),
                variables.clone(),
            ));
        }
    }
    let mut problems = Vec::new();
    let mut count = 0;
    for (owner, variables) in &environments {
        for (key, value) in variables.as_mapping().expect("Variables is a map") {
            let key = key.as_str().expect("a variable name");
            count += 1;
            if !source.contains(&format!("\"{key}\"")) {
                problems.push(format!("{owner}: {key} is read nowhere in functions/src"));
            }
            for name in refs(value) {
                if !parameters.contains(&name)
                    && !resources.contains(&name)
                    && !name.starts_with("AWS::")
                {
                    problems.push(format!(
                        "{owner}: {key} names {name}, neither a parameter nor a resource"
                    ));
                }
            }
        }
    }
    assert!(count > 20, "{count} variables");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What a value names: `!Ref X`, `${X}` and `${X.Attr}` in `!Sub`, `!GetAtt X.Attr`.
fn refs(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match (tag.as_str(), &tagged.value) {
                ("!Ref", Value::String(name)) => out.push(name.clone()),
                ("!GetAtt", Value::String(name)) => {
                    out.push(name.split('.').next().unwrap_or_default().to_owned())
                }
                ("!Sub", Value::String(text)) => {
                    for part in text.split("${").skip(1) {
                        let name = part.split('}').next().unwrap_or_default();
                        out.push(name.split('.').next().unwrap_or_default().to_owned());
                    }
                }
                _ => out.extend(refs(&tagged.value)),
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| out.extend(refs(v))),
        Value::Mapping(map) => map.values().for_each(|v| out.extend(refs(v))),
        _ => {}
    }
    out
}

#[test]
fn a_variable_nobody_reads_or_a_dangling_name_would_be_seen() {
    let value: Value = serde_yaml::from_str(
        "[!Ref Stage, !Sub '${PublicUrl}/api/${HttpApi.Arn}', !If [HasX, !Ref Nope, '']]",
    )
    .expect("yaml");
    assert_eq!(refs(&value), ["Stage", "PublicUrl", "HttpApi", "Nope"]);
}
