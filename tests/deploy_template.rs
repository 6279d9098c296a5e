//! deploy/template.yaml validated offline by deploy/check.sh: cfn-lint with the SAM
//! transform, then a SAM translation whose functions, table and roles are checked.
//! Needs `pip install cfn-lint aws-sam-translator` (scripts/test installs them).

use std::path::Path;
use std::process::{Command, Output};

fn check(template: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/check.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(template)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    if output.status.code() == Some(127) {
        panic!(
            "{}\ncfn-lint or aws-sam-translator is missing: pip install cfn-lint aws-sam-translator",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_deploy_template_passes_cfn_lint_and_sam_translation() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/template.yaml");
    let output = check(&template);
    assert!(
        output.status.success(),
        "deploy/check.sh failed:\n{}",
        text(&output)
    );
    let text = text(&output);
    assert!(text.contains("7 functions"), "{text}");
    assert!(
        text.contains("SAM translation of 12 combinations (default, staging, waf, waf+staging, acl, acl+staging, domain, domain+staging, domain+waf, domain+waf+staging, domain+acl, domain+acl+staging)"),
        "{text}"
    );
    assert!(
        text.contains("alarms: 13 to the topic; 7 aliases rolled back by CodeDeploy; 7 log groups"),
        "{text}"
    );
}

/// Writes `good` with `from` replaced by `to` (which must occur) and runs the checks on it.
fn check_changed(good: &str, from: &str, to: &str) -> String {
    assert!(good.contains(from), "the template no longer has {from:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let changed = dir.path().join("changed.yaml");
    std::fs::write(&changed, good.replacen(from, to, 1)).expect("write");
    let output = check(&changed);
    assert!(
        !output.status.success(),
        "{from:?} -> {to:?} passed:\n{}",
        text(&output)
    );
    text(&output)
}

#[test]
fn the_production_parts_cannot_be_dropped_quietly() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/template.yaml");
    let good = std::fs::read_to_string(&template).expect("read the template");
    // Releases straight to $LATEST, with nothing to roll back to (the alias and the
    // deployment preference dropped together: SAM refuses one without the other).
    let start = good
        .find("    AutoPublishAlias: live\n")
        .expect("AutoPublishAlias");
    let end = start + good[start..].find("    Tags:\n").expect("Tags after it");
    let out = check_changed(&good, &good[start..end], "");
    assert!(out.contains("expected 7 AWS::Lambda::Alias"), "{out}");
    // Logs kept forever.
    let out = check_changed(&good, "      RetentionInDays: !Ref LogRetentionDays\n", "");
    assert!(out.contains("RetentionInDays LogRetentionDays"), "{out}");
    // An alarm that tells no one.
    let out = check_changed(
        &good,
        "      AlarmActions: [!Ref AlarmTopic]\n",
        "      AlarmActions: []\n",
    );
    assert!(out.contains("must notify AlarmTopic"), "{out}");
    // A topic CloudWatch cannot publish to: every alarm lost without a word.
    let out = check_changed(
        &good,
        "      DisplayName: !Sub \"Carte alarms (${AWS::StackName})\"\n",
        "      DisplayName: !Sub \"Carte alarms (${AWS::StackName})\"\n      KmsMasterKeyId: alias/aws/sns\n",
    );
    assert!(out.contains("cannot publish to a topic encrypted"), "{out}");
    // The shop's domain without its certificate.
    let out = check_changed(
        &good,
        "AcmCertificateArn: !Ref CertificateArn",
        "AcmCertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x",
    );
    assert!(
        out.contains("ViewerCertificate must be CertificateArn"),
        "{out}"
    );
    // CloudFront no longer proving itself, so the functions would believe no viewer address.
    let out = check_changed(&good, "HeaderName: X-Carte-Origin", "HeaderName: X-Other");
    assert!(
        out.contains("CARTE_ORIGIN_SECRET must be the same value"),
        "{out}"
    );
    // A mistake on a branch only a shop with its own domain takes (the default stack
    // never reads it): cfn-lint checks both branches of every condition.
    let out = check_changed(&good, "SslSupportMethod: sni-only", "SslSupportMethod: sni");
    assert!(out.contains("E3030"), "{out}");
    // A CloudFront alarm in a region where CloudFront publishes no metrics.
    let out = check_changed(&good, "    Condition: InUsEast1\n", "");
    assert!(
        out.contains("CloudFront5xxAlarm needs Condition InUsEast1"),
        "{out}"
    );
}

#[test]
fn a_broken_template_is_caught() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/template.yaml");
    let good = std::fs::read_to_string(&template).expect("read the template");
    let dir = tempfile::tempdir().expect("tempdir");

    // A reference to nothing: cfn-lint's E1020.
    let broken = dir.path().join("dangling.yaml");
    std::fs::write(
        &broken,
        good.replacen("TableName: !Ref Table\n", "TableName: !Ref Tabel\n", 1),
    )
    .expect("write");
    let output = check(&broken);
    assert!(!output.status.success());
    assert!(text(&output).contains("E1020"), "{}", text(&output));

    // A function on x86_64: valid CloudFormation, refused by Carte's own checks.
    let broken = dir.path().join("x86.yaml");
    std::fs::write(
        &broken,
        good.replacen("Architectures: [arm64]", "Architectures: [x86_64]", 1),
    )
    .expect("write");
    let output = check(&broken);
    assert!(!output.status.success());
    assert!(text(&output).contains("must be arm64"), "{}", text(&output));
}
