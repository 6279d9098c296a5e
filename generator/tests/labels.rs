//! Tags and allergens shown by their names in the page's language, not by id.

mod common;

use common::copy_dir;

use std::fs;
use std::path::{Path, PathBuf};

use generator::build::{self, BuildOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The `good` fixture (dan-dan is tagged `spicy`) with `allergens: [gluten]` on
/// dan-dan and `extra` appended to site.yaml, in a fresh folder named `case`.
fn site(case: &str, extra: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("labels")
        .join(case);
    let _ = fs::remove_dir_all(&dir);
    let root = dir.join("site");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good"),
        &root,
    )?;
    let menu = root.join("menus/main.yaml");
    let text = fs::read_to_string(&menu)?;
    fs::write(
        &menu,
        text.replace(
            "tags: [spicy]",
            "tags: [spicy]\n        allergens: [gluten]",
        ),
    )?;
    let site = root.join("site.yaml");
    let text = fs::read_to_string(&site)?.replace(GOOD_TAGS, "");
    fs::write(&site, format!("{text}{extra}"))?;
    Ok(root)
}

/// The tag names of the `good` fixture.
const GOOD_TAGS: &str = "tags:\n  spicy: {zh: 辣, en: Spicy}\n";

const LABELS: &str =
    "tags:\n  spicy: {zh: 辣, en: Spicy}\nallergens:\n  gluten: {zh: 麸质, en: Gluten}\n";

#[test]
fn tags_and_allergens_show_their_names_in_each_language() -> TestResult {
    let root = site("named", LABELS)?;
    let out = root.with_file_name("public");
    let opts = BuildOptions {
        theme_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default")),
        no_cache: true,
        ..BuildOptions::default()
    };
    build::build(&root, &out, &opts)?;
    let zh_dish = fs::read_to_string(out.join("zh/dishes/dan-dan/index.html"))?;
    assert!(zh_dish.contains(">辣</a>"), "{zh_dish}");
    assert!(zh_dish.contains("麸质"), "allergen named in Chinese");
    assert!(!zh_dish.contains("gluten") && !zh_dish.contains(">spicy<"));
    let en_menu = fs::read_to_string(out.join("en/harbour/index.html"))?;
    assert!(en_menu.contains(">Spicy</a>"), "{en_menu}");
    assert!(
        en_menu.contains("<a class=\"tag\" href=\"/en/tags/spicy/\">Spicy</a>"),
        "the filter uses the names its links show"
    );
    assert!(en_menu.contains("data-allergens=\"Gluten\""));
    let zh_tag = fs::read_to_string(out.join("zh/tags/spicy/index.html"))?;
    assert!(
        zh_tag.contains("<title>") && zh_tag.contains(": 辣"),
        "{zh_tag}"
    );
    let catalog: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("catalog/menus/main.json"))?)?;
    assert_eq!(catalog["labels"]["tags"]["spicy"]["zh"], "辣");
    assert_eq!(catalog["labels"]["allergens"]["gluten"]["en"], "Gluten");
    Ok(())
}

#[test]
fn an_unnamed_tag_or_a_missing_language_warns() -> TestResult {
    let root = site("unnamed", "tags:\n  spicy: {zh: 辣}\n")?;
    let (_, warnings) = build::check_with_warnings(&root).map_err(|d| d.to_string())?;
    let text: String = warnings
        .0
        .iter()
        .map(|w| w.as_warning().to_string())
        .collect();
    assert!(text.contains("the tag name has no `en` text"), "{text}");
    assert!(
        text.contains("allergen `gluten` has no display name"),
        "{text}"
    );
    assert!(
        text.contains("menus/main.yaml:12:"),
        "at the dish's allergen: {text}"
    );
    Ok(())
}

#[test]
fn tags_given_as_a_list_are_a_located_error() -> TestResult {
    let root = site("map", "tags: [spicy]\n")?;
    let err = match build::check(&root) {
        Ok(_) => panic!("tags must be a map of names"),
        Err(d) => d.to_string(),
    };
    assert!(err.contains("site.yaml:"), "{err}");
    Ok(())
}
