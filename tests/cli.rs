//! The `carte` command as a merchant uses it: new, check, build, usage and keys.

mod common;

use std::path::Path;

use common::{copy_site, run_carte};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// A fixture of `tests/fixtures/` copied into a temp folder, so a run writes nothing in the repo.
fn fixture(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join(name);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    copy_site(&source, &site);
    (dir, site)
}

#[test]
fn new_site_checks_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("my-restaurant");

    let (code, out, err) = run_carte(&["new", path(&site)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("Created {}", site.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("carte serve {}", site.display())),
        "{out}"
    );
    assert!(site.join("site.yaml").is_file());
    // The built-in theme is used, not a copy that theme fixes would never reach.
    assert!(!site.join("themes").exists());

    let (code, out, err) = run_carte(&["check", path(&site)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("No content errors: 2 location(s), 1 menu(s), "),
        "{out}"
    );
    assert!(out.contains("catalog version "), "{out}");
    assert!(!site.join("public").exists(), "check must write nothing");

    let (code, out, err) = run_carte(&["build", path(&site)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Built "), "{out}");
    assert!(out.contains(" pages ("), "{out}");
    assert!(out
        .trim_end()
        .ends_with(&format!("-> {}", site.join("public").display())));
    let public = site.join("public");
    for file in ["index.html", "404.html", "sitemap.xml", "robots.txt"] {
        assert!(public.join(file).is_file(), "no public/{file}");
    }
    // A catalog per shop, and one per menu under catalog/menus/.
    let catalogs: Vec<std::path::PathBuf> = walkdir::WalkDir::new(public.join("catalog"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    assert!(catalogs
        .iter()
        .any(|f| f.parent().is_some_and(|p| p.ends_with("menus"))));
    assert!(
        catalogs
            .iter()
            .all(|f| f.extension().is_some_and(|x| x == "json")),
        "{catalogs:?}"
    );
    for file in &catalogs {
        let text = std::fs::read_to_string(file).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).expect("catalog is JSON");
    }
    let sitemap = std::fs::read_to_string(public.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("<urlset"), "{sitemap}");

    // A second build of unchanged content writes nothing new.
    let (code, out, _) = run_carte(&["build", path(&site)]);
    assert_eq!(code, 0);
    assert!(out.contains("; 0 written, 0 removed)"), "{out}");
}

#[test]
fn new_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let (code, out, err) = run_carte(&["new", path(dir.path())]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!(
            "error: {} already exists and is not empty; choose a new folder\n",
            dir.path().display()
        )
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn check_names_every_content_error_with_file_line_and_caret() {
    let (_dir, site) = fixture("content-errors");
    let (code, out, err) = run_carte(&["check", path(&site)]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    insta::assert_snapshot!("check_content_errors", err);

    // `build` runs the same checks first, reports the same errors and writes nothing.
    let (code, out, build_err) = run_carte(&["build", path(&site)]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(build_err, err);
    assert!(!site.join("public").exists());
}

#[test]
fn check_suggests_the_field_meant() {
    let (_dir, site) = fixture("unknown-field");
    let (code, out, err) = run_carte(&["check", path(&site)]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    insta::assert_snapshot!("check_unknown_field", err);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["serve", "--port", "not-a-port"],
        &["keys", "create", "--role", "owner"],
        &["keys"],
    ] {
        let (code, out, err) = run_carte(args);
        assert_eq!(code, 2, "carte {args:?}: {out}{err}");
        // Either the error and where to get help, or the help itself.
        assert!(
            err.contains("--help") || err.contains("Usage: carte"),
            "carte {args:?}: {err}"
        );
        assert_eq!(out, "", "carte {args:?}");
    }
}

#[test]
fn help_shows_examples() {
    let (code, out, _) = run_carte(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:"), "{out}");
    for example in [
        "carte new my-restaurant",
        "carte serve my-restaurant",
        "carte check my-restaurant",
        "carte build my-restaurant",
        "carte keys create --role staff",
    ] {
        assert!(out.contains(example), "no `{example}` in --help:\n{out}");
    }
    for command in ["new", "build", "check", "serve", "keys"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(command)),
            "no `{command}` in --help"
        );
    }
}

#[test]
fn keys_are_refused_outside_a_site_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_carte(&[
        "keys",
        "--dir",
        path(dir.path()),
        "create",
        "--role",
        "staff",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty(), "a key was printed: {out}");
    assert!(
        err.contains("is not a Carte site (it has no site.yaml)"),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    assert!(!dir.path().join(".carte").exists(), "a store was created");
}

#[test]
fn keys_are_shown_once_listed_by_id_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let site = &dir.path().join("site");
    copy_site(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("site-content"),
        site,
    );
    let dir_arg = path(site);

    let (code, key, err) = run_carte(&[
        "keys",
        "--dir",
        dir_arg,
        "create",
        "--role",
        "staff",
        "--label",
        "counter tablet",
    ]);
    assert_eq!(code, 0, "{err}");
    let key = key.trim().to_owned();
    assert!(key.starts_with("carte_") && key.len() > 40, "{key}");
    assert!(!key.contains(char::is_whitespace), "{key}");
    assert!(err.contains("shown only once"), "{err}");

    let (code, list, err) = run_carte(&["keys", "--dir", dir_arg, "list"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows.len(), 1, "{list}");
    let fields: Vec<&str> = rows[0].split('\t').collect();
    let id = fields[0];
    assert!(id.starts_with("key_"), "{list}");
    assert_eq!(fields[1], "staff");
    assert_eq!(fields[2], "counter tablet");
    assert!(rows[0].contains("last used never"), "{list}");
    assert!(!rows[0].contains("revoked"), "{list}");
    // Neither the key nor any long piece of it is ever printed again.
    assert!(
        !list.contains(&key[6..26]),
        "the list shows the key: {list}"
    );
    for file in std::fs::read_dir(site.join(".carte")).unwrap() {
        let file = file.unwrap().path();
        if file.is_file() {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "{} holds the key in clear",
                file.display()
            );
        }
    }

    let (code, out, err) = run_carte(&["keys", "--dir", dir_arg, "revoke", id]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("Revoked {id}\n"));
    let (_, list, _) = run_carte(&["keys", "--dir", dir_arg, "list"]);
    assert!(list.starts_with(id), "{list}");
    assert!(list.contains("\trevoked "), "{list}");

    let (code, _, err) = run_carte(&["keys", "--dir", dir_arg, "revoke", "key_nope"]);
    assert_eq!(code, 1, "revoking an unknown key must fail: {err}");
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn a_file_system_error_names_the_path_and_says_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_site(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("site-content"),
        &site,
    );
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let output = blocker.join("public");
    let (code, _out, err) = run_carte(&["build", path(&site), "--output", path(&output)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(path(&blocker)), "the path is not named: {err}");
    let cause = "Not a directory";
    assert_eq!(err.matches(cause).count(), 1, "{err}");
}

#[test]
fn the_site_folder_is_named_the_same_way_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_site(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("site-content"),
        &site,
    );
    let site = path(&site);
    // Positional, as for build and check, and `--dir` still accepted.
    for args in [
        vec!["keys", site, "create", "--role", "staff"],
        vec!["keys", "create", "--role", "staff", "--dir", site],
        vec!["keys", "--dir", site, "create", "--role", "marketer"],
    ] {
        let (code, out, err) = run_carte(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.trim().starts_with("carte_"), "{args:?}: {out}");
    }
    let (code, list, err) = run_carte(&["keys", site, "list"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(list.lines().count(), 3, "{list}");
    for args in [
        vec!["report", site],
        vec!["report", "--dir", site],
        vec!["report", site, "settlement"],
        vec!["export", "orders", site],
        vec!["check", site],
    ] {
        let (code, _out, err) = run_carte(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    // The store options are where a store is used, and not on `new`.
    let (_, help, _) = run_carte(&["new", "--help"]);
    assert!(!help.contains("--store"), "{help}");
    let (_, help, _) = run_carte(&["report", "--help"]);
    assert!(
        help.contains("Store:") && help.contains("--store"),
        "{help}"
    );
}
