//! `carte serve` rebuilds through a [`Session`], which re-parses, re-renders and rewrites
//! only what an edit touched. Whatever it skips, the folder it leaves must be exactly the
//! one a clean full build writes.

mod common;

use common::copy_dir;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use generator::build::{self, BuildError, BuildOptions, Session};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Every file under `dir` (the manifest included) by relative path.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?.to_path_buf();
            Some((rel, fs::read(e.path()).ok()?))
        })
        .collect()
}

/// The demo restaurant with its own copy of the default theme, in a fresh folder.
fn demo_site(dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = dir.join("site");
    copy_dir(&repo.join("site-content"), &root)?;
    copy_dir(
        &repo.join("themes/default"),
        &root.join("themes").join("default"),
    )?;
    Ok(root)
}

/// Rewrites the first occurrence of `from` in `root/rel`.
fn edit(root: &Path, rel: &str, from: &str, to: &str) -> TestResult {
    let path = root.join(rel);
    let text = fs::read_to_string(&path)?;
    assert!(text.contains(from), "{rel} has no `{from}`");
    fs::write(&path, text.replacen(from, to, 1))?;
    Ok(())
}

/// A clean build of `root` into a new folder, compared file by file with `served`.
fn assert_same_as_clean_build(root: &Path, served: &Path, clean: &Path) -> TestResult {
    let _ = fs::remove_dir_all(clean);
    build::build(root, clean, &BuildOptions::default())?;
    let (a, b) = (tree(served), tree(clean));
    let only_served: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_clean: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(
        only_served.is_empty() && only_clean.is_empty(),
        "only in the incremental build: {only_served:?}; only in the clean one: {only_clean:?}"
    );
    for (rel, bytes) in &a {
        assert!(
            b.get(rel) == Some(bytes),
            "{} differs from a clean build",
            rel.display()
        );
    }
    Ok(())
}

#[test]
fn rebuilds_after_edits_equal_a_clean_build() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = demo_site(dir.path())?;
    let served = dir.path().join("served");
    let clean = dir.path().join("clean");
    let opts = BuildOptions::default();
    let mut session = Session::new();

    let (_, first) = session.build(&root, &served, &opts)?;
    assert_eq!(
        first.rendered, first.pages,
        "the first build renders every page"
    );
    assert_same_as_clean_build(&root, &served, &clean)?;

    // Nothing changed: nothing rendered again or written.
    let (_, same) = session.build(&root, &served, &opts)?;
    assert_eq!((same.pages, same.written), (first.pages, 0));
    assert!(
        same.rendered < first.pages / 2,
        "{} rendered",
        same.rendered
    );

    // One dish's price: its pages, its menus and tags, the catalogs; not the rest.
    edit(&root, "menus/main.yaml", "price: \"8\"", "price: \"9.50\"")?;
    let (project, priced) = session.build(&root, &served, &opts)?;
    assert!(priced.written > 0);
    assert!(
        priced.rendered < first.pages / 2,
        "{} of {} rendered",
        priced.rendered,
        priced.pages
    );
    assert!(project.site.menus[0].dishes().any(|(_, d)| d.price == 950));
    assert_same_as_clean_build(&root, &served, &clean)?;

    // A Markdown page, a shop's name (in every page's navigation), a new menu file.
    edit(
        &root,
        "pages/about.en.md",
        "\n\n",
        "\n\nFresh every morning.\n\n",
    )?;
    session.build(&root, &served, &opts)?;
    assert_same_as_clean_build(&root, &served, &clean)?;
    let location = fs::read_to_string(root.join("locations/chunxi.yaml"))?;
    let name_line = location
        .lines()
        .find(|l| l.trim_start().starts_with("en:"))
        .ok_or("no English name")?
        .to_owned();
    edit(
        &root,
        "locations/chunxi.yaml",
        &name_line,
        &format!("{name_line} Central"),
    )?;
    session.build(&root, &served, &opts)?;
    assert_same_as_clean_build(&root, &served, &clean)?;

    // A content error keeps the last good site and state; the fix builds as usual.
    edit(&root, "menus/main.yaml", "price: \"9.50\"", "price: \"-3\"")?;
    let before = tree(&served);
    assert!(matches!(
        session.build(&root, &served, &opts),
        Err(BuildError::Content(_))
    ));
    assert_eq!(tree(&served), before, "a content error writes nothing");
    edit(&root, "menus/main.yaml", "price: \"-3\"", "price: \"7\"")?;
    session.build(&root, &served, &opts)?;
    assert_same_as_clean_build(&root, &served, &clean)?;

    // A choice added to the dan dan noodles reaches the noodle set that picks them,
    // whose dish page carries the chosen dish's own options for the menu's sheet.
    edit(
        &root,
        "menus/main.yaml",
        "- {id: hot, name: {zh: 特辣, en: Hot}}",
        "- {id: hot, name: {zh: 特辣, en: Hot}}\n              - {id: numbing, name: {zh: 麻辣, en: Numbing hot}}",
    )?;
    session.build(&root, &served, &opts)?;
    let set_page = fs::read_to_string(served.join("en/dishes/noodle-set/index.html"))?;
    assert!(
        set_page.contains(r#"name="opt.noodle-set.noodles/dan-dan-noodles/spice" value="numbing""#),
        "the set's page was not rebuilt"
    );
    assert_same_as_clean_build(&root, &served, &clean)?;

    // A theme edit renders every page again.
    edit(
        &root,
        "themes/default/templates/dish.html",
        "</article>",
        "</article>\n<!-- edited -->",
    )?;
    let (_, themed) = session.build(&root, &served, &opts)?;
    assert_eq!(themed.rendered, themed.pages);
    assert!(
        fs::read_to_string(served.join("en/dishes/dan-dan-noodles/index.html"))
            .is_ok_and(|page| page.contains("<!-- edited -->"))
    );
    assert_same_as_clean_build(&root, &served, &clean)?;
    Ok(())
}

/// `carte serve` swaps the API's catalog in the hook of [`Session::build_with`]: it
/// must run once the new content is checked and before any page of it is written, so
/// no page ever shows a price the API does not charge yet.
#[test]
fn the_checked_project_is_handed_over_before_any_page_is_written() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = demo_site(dir.path())?;
    let served = dir.path().join("served");
    let opts = BuildOptions::default();
    let mut session = Session::new();
    session.build(&root, &served, &opts)?;
    let before = tree(&served);
    let catalogs: Vec<PathBuf> = before
        .keys()
        .filter(|p| p.starts_with("catalog"))
        .cloned()
        .collect();
    assert!(!catalogs.is_empty());

    edit(&root, "menus/main.yaml", "price: \"8\"", "price: \"9.50\"")?;
    let mut handed = Vec::new();
    let (_, report) = session.build_with(&root, &served, &opts, &mut |project| {
        // Every file is still the old build's when the new catalog is handed over.
        handed.push((
            project.site.menus[0].dishes().any(|(_, d)| d.price == 950),
            tree(&served) == before,
        ));
    })?;
    assert_eq!(handed, [(true, true)]);
    assert!(report.written > 0);
    assert_ne!(tree(&served), before, "the new pages are written after");

    // Content errors stop the build before the hook: the API keeps its catalog.
    edit(&root, "menus/main.yaml", "price: \"9.50\"", "price: \"-1\"")?;
    let mut called = false;
    let failed = session.build_with(&root, &served, &opts, &mut |_| called = true);
    assert!(matches!(failed, Err(BuildError::Content(_))));
    assert!(!called);
    Ok(())
}
