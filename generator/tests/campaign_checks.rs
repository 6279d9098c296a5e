//! Checks of the profit-keeping coupon fields in `campaigns.yaml`: each
//! mistake is reported with its file, line and column.

mod common;

use common::copy_dir;

use std::fs;
use std::path::{Path, PathBuf};

use catalog::{CouponKind, Issue};
use generator::load_site;

/// The `good` fixture with another `campaigns.yaml`.
fn site_with(campaigns: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("site");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good"),
        &root,
    )
    .expect("copy the fixture");
    fs::write(root.join("campaigns.yaml"), campaigns).expect("write");
    (dir, root)
}

#[test]
fn buy_x_get_y_and_budgets_load_into_the_catalog() {
    let (_dir, root) = site_with(
        "campaigns:
  - id: spring
    name: Spring
    coupons:
      - code: TEA3
        kind: buy_x_get_y
        buy: 2
        get: 1
        max_free: 4
        scope: {dishes: [tea]}
        budget: 100
        budget_amount: \"500.00\"
        first_order_only: true
        members_only: true
        issue: batch
",
    );
    let project = load_site(&root).unwrap_or_else(|d| panic!("{d}"));
    let coupon = &project.site.campaigns[0].coupons[0];
    assert_eq!(
        coupon.kind,
        CouponKind::BuyXGetY {
            buy: 2,
            get: 1,
            max_free: Some(4)
        }
    );
    assert_eq!(coupon.budget_amount, Some(50_000));
    assert!(coupon.first_order_only && coupon.members_only);
    assert_eq!(coupon.issue, Issue::Batch);
}

#[test]
fn bad_buy_x_get_y_fields_are_located() {
    let (_dir, root) = site_with(
        "campaigns:
  - id: spring
    name: Spring
    coupons:
      - code: TEA3
        kind: buy_x_get_y
        buy: 0
        get: 1
        value: \"10\"
      - code: HALF
        kind: percent_off
        value: \"50%\"
        get: 1
        budget_amount: \"0\"
      - code: NOGET
        kind: buy_x_get_y
        buy: 2
",
    );
    let text = match load_site(&root) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d.to_string(),
    };
    assert!(
        text.contains("`buy` must be between 1 and 99") && text.contains("campaigns.yaml:7:14"),
        "{text}"
    );
    assert!(
        text.contains("a buy_x_get_y coupon has no `value`") && text.contains("campaigns.yaml:9:9"),
        "{text}"
    );
    assert!(
        text.contains("only a buy_x_get_y coupon has `get`")
            && text.contains("campaigns.yaml:13:9"),
        "{text}"
    );
    assert!(
        text.contains("budget_amount of 0") && text.contains("campaigns.yaml:14:24"),
        "{text}"
    );
    assert!(
        text.contains("needs `buy` and `get`") && text.contains("campaigns.yaml:15:13"),
        "{text}"
    );
}

#[test]
fn per_member_without_members_only_is_a_warning_that_says_what_it_means() {
    let (_dir, root) = site_with(
        "campaigns:
  - id: spring
    name: Spring
    coupons:
      - code: TWICE
        kind: amount_off
        value: \"5\"
        per_member: 2
      - code: SAID
        kind: amount_off
        value: \"5\"
        per_member: 2
        members_only: true
      - code: FIRST
        kind: amount_off
        value: \"5\"
        per_member: 1
        first_order_only: true
",
    );
    let (project, warnings) =
        generator::build::check_with_warnings(&root).unwrap_or_else(|d| panic!("{d}"));
    // A warning, not an error: the coupon still loads, members-only as before.
    assert!(project.site.coupon("TWICE").is_some());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let text = warnings.0[0].as_warning().to_string();
    assert!(
        text.starts_with("warning: per_member makes this coupon members-only"),
        "{text}"
    );
    assert!(text.contains("campaigns.yaml:8:9"), "{text}");
    assert!(text.contains("add `members_only: true`"), "{text}");
    // `load_site` (build, serve) stays quiet about it.
    assert!(load_site(&root).is_ok());
}
