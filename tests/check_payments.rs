//! `carte check` on a location that takes payment online: the policy is content,
//! the secrets are not, and the command says which settings the payments
//! function will need.

mod common;

use common::{carte, demo_copy};
use std::process::Stdio;

#[test]
fn check_names_the_provider_settings_a_location_will_need() {
    let (_dir, site) = demo_copy();
    let location = site.join("locations/chunxi.yaml");
    let mut text = std::fs::read_to_string(&location).expect("location");
    text.push_str(
        "payment:\n  methods: [cash, card_terminal, stripe]\n  pickup: pay_online_required\n",
    );
    std::fs::write(&location, text).expect("write");
    let output = carte()
        .args(["check"])
        .arg(&site)
        .env_remove("STRIPE_SECRET_KEY")
        .env_remove("STRIPE_WEBHOOK_SECRET")
        .stdin(Stdio::null())
        .output()
        .expect("carte check");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("warning: chunxi offers stripe, but STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET are not set"),
        "{err}"
    );
    assert!(!err.contains("wechat_pay"), "{err}");

    // With the settings in the environment there is nothing to say.
    let output = carte()
        .args(["check"])
        .arg(&site)
        .env("STRIPE_SECRET_KEY", "sk_test_x")
        .env("STRIPE_WEBHOOK_SECRET", "whsec_x")
        .stdin(Stdio::null())
        .output()
        .expect("carte check");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(!err.contains("warning:"), "{err}");

    // An online policy without an online method is a content error at its line.
    let mut text = std::fs::read_to_string(&location).expect("location");
    text = text.replace("[cash, card_terminal, stripe]", "[cash]");
    std::fs::write(&location, text).expect("write");
    let output = carte()
        .args(["check"])
        .arg(&site)
        .stdin(Stdio::null())
        .output()
        .expect("carte check");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        err.contains("`pay_online_required` needs an online payment method"),
        "{err}"
    );
    assert!(err.contains("--> locations/chunxi.yaml:"), "{err}");
}
