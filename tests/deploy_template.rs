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
    assert!(text(&output).contains("6 functions"), "{}", text(&output));
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
