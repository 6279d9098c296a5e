//! docs/deploy.md against what it describes: the build command builds every function the
//! template deploys, and every link into it (the alarms' runbook links, the README's, its
//! own) leads to a heading that exists.

use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// The anchors `text` links to with `prefix` (e.g. `deploy.md#` or `(#`).
fn links(text: &str, prefix: &str) -> Vec<String> {
    text.split(prefix)
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn every_link_into_the_deploy_guide_has_its_heading() {
    let guide = read("docs/deploy.md");
    let headings = anchors(&guide);
    assert!(headings.contains("runbook"), "{headings:?}");
    let mut missing = Vec::new();
    for (file, prefix) in [
        ("deploy/template.yaml", "deploy.md#"),
        ("README.md", "deploy.md#"),
        ("docs/deploy.md", "](#"),
    ] {
        let text = read(file);
        let found = links(&text, prefix);
        if file == "deploy/template.yaml" {
            assert!(found.len() >= 12, "{file}: {found:?}");
        }
        for anchor in found {
            if !headings.contains(&anchor) {
                missing.push(format!("{file}: #{anchor}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "links to no heading of docs/deploy.md:\n{}\nheadings: {headings:?}",
        missing.join("\n")
    );
}

#[test]
fn the_guide_builds_every_function_the_template_deploys() {
    let template = read("deploy/template.yaml");
    let deployed: BTreeSet<String> = template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("CodeUri: ../target/lambda/"))
        .map(|rest| rest.trim_end_matches('/').to_owned())
        .collect();
    assert_eq!(deployed.len(), 7, "{deployed:?}");
    let guide = read("docs/deploy.md");
    // Each `cargo lambda build` of the guide: its words, up to the end of its code block.
    let commands: Vec<Vec<&str>> = guide
        .split("cargo lambda build")
        .skip(1)
        .map(|rest| {
            let block = rest.split("```").next().unwrap_or_default();
            let command = block.split("\ncargo ").next().unwrap_or_default();
            command.split_whitespace().filter(|w| *w != "\\").collect()
        })
        .collect();
    assert!(
        !commands.is_empty(),
        "docs/deploy.md has no cargo lambda build"
    );
    let bins = |words: &[&str]| -> BTreeSet<String> {
        words
            .windows(2)
            .filter(|w| w[0] == "--bin")
            .map(|w| w[1].to_owned())
            .collect()
    };
    let built: BTreeSet<String> = commands.iter().flat_map(|c| bins(c)).collect();
    assert_eq!(built, deployed, "cargo lambda build in docs/deploy.md");
    for words in &commands {
        assert!(words.contains(&"--no-default-features"), "{words:?}");
        // Only the passkeys function links WebAuthn's OpenSSL: cargo enables a feature
        // for every binary of one command, so it is built alone.
        let passkeys = words.windows(2).any(|w| w == ["--features", "passkeys"]);
        assert_eq!(
            passkeys,
            bins(words).contains("passkeys"),
            "the passkeys feature, and only with the passkeys binary: {words:?}"
        );
        if passkeys {
            assert_eq!(bins(words).len(), 1, "{words:?}");
        }
    }
    // deploy/measure.sh, whose figures BENCHMARKS.md quotes, builds the same way.
    let measure = read("deploy/measure.sh");
    assert!(measure.contains("--features passkeys --bin passkeys"));
    for bin in &deployed {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("functions/src/bin/{bin}.rs"))
                .exists(),
            "no functions/src/bin/{bin}.rs"
        );
    }
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(slug(" 8. Abuse: WAF"), "8-abuse-waf");
    assert_eq!(slug(" API 5xx"), "api-5xx");
    assert_eq!(
        slug(" The publish history, and putting a menu back"),
        "the-publish-history-and-putting-a-menu-back"
    );
    assert_eq!(links("see (#a-b) and (#c).", "(#"), ["a-b", "c"]);
}

/// The guide's parameters are the template's: every name in its parameter table and in
/// each `--parameter-overrides` exists, with the default the table states, and every
/// value the guide passes is one the template allows.
#[test]
fn the_guide_names_only_parameters_the_template_takes() {
    let template: serde_yaml::Value =
        serde_yaml::from_str(&read("deploy/template.yaml")).expect("template parses");
    let parameters = template["Parameters"].as_mapping().expect("Parameters");
    let parameter = |name: &str| {
        parameters
            .get(serde_yaml::Value::from(name))
            .unwrap_or_else(|| {
                panic!("docs/deploy.md names `{name}`, the template has no such parameter")
            })
    };
    let guide = read("docs/deploy.md");
    // The table of parameters: "| `Name`, `Other` | default | meaning |".
    let table = guide
        .split("| `AlarmEmail` |")
        .nth(1)
        .map(|rest| {
            format!(
                "| `AlarmEmail` |{}",
                rest.split("\n\n").next().unwrap_or_default()
            )
        })
        .expect("the guide's parameter table");
    let mut named = 0;
    for row in table.lines() {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(names), Some(default)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        for name in names.split(',').map(|n| n.trim().trim_matches('`')) {
            let found = parameter(name);
            named += 1;
            let stated = default.trim_matches('`');
            let actual = match &found["Default"] {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Number(n) => n.to_string(),
                other => panic!("{name}: default {other:?}"),
            };
            if stated != "empty" && stated != "off" {
                assert_eq!(stated, actual, "the default of {name}");
            }
        }
    }
    assert!(named >= 12, "{named} parameters in the guide's table");
    // Every `--parameter-overrides Name=value` of the guide.
    let mut overrides = 0;
    for part in guide.split("--parameter-overrides").skip(1) {
        let command = part.split("```").next().unwrap_or_default();
        let command = command.split("\n\n").next().unwrap_or_default();
        for word in command.split_whitespace() {
            let Some((name, value)) = word.split_once('=') else {
                continue;
            };
            if !name.chars().all(|c| c.is_ascii_alphanumeric()) || name.is_empty() {
                continue;
            }
            let found = parameter(name);
            overrides += 1;
            let value = value.trim_matches(|c| c == '"' || c == '`');
            if let Some(allowed) = found["AllowedValues"].as_sequence() {
                let allowed: Vec<String> = allowed
                    .iter()
                    .map(|v| match v {
                        serde_yaml::Value::String(s) => s.clone(),
                        other => serde_yaml::to_string(other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    })
                    .collect();
                assert!(
                    allowed.iter().any(|a| a == value),
                    "{name}={value}: allowed {allowed:?}"
                );
            }
        }
    }
    assert!(overrides >= 6, "{overrides} overrides in the guide");
}
