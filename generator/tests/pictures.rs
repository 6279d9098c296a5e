//! Pictures as merchants have them: WebP saved from a chat app, a GIF, an SVG
//! logo, an iPhone HEIC, a broken file; and pictures shown in Markdown pages.

mod common;

use common::copy_dir;

use std::fs;
use std::path::{Path, PathBuf};

use generator::build::{self, BuildOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn theme_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default")
}

/// The `good` fixture in a fresh folder named `case`.
fn site(case: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("pictures")
        .join(case);
    let _ = fs::remove_dir_all(&dir);
    let root = dir.join("site");
    copy_dir(&fixture("good"), &root)?;
    Ok(root)
}

/// Points the first dish (`dan-dan`) at `images/<name>`.
fn dish_image(root: &Path, name: &str) -> TestResult {
    let menu = root.join("menus/main.yaml");
    let text = fs::read_to_string(&menu)?;
    fs::write(
        &menu,
        text.replace("image: dan-dan.png", &format!("image: {name}")),
    )?;
    Ok(())
}

fn photo(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    })
}

fn build_site(root: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let out = root.with_file_name("public");
    let opts = BuildOptions {
        theme_dir: Some(theme_dir()),
        no_cache: true,
        ..BuildOptions::default()
    };
    build::build(root, &out, &opts)?;
    Ok(out)
}

/// The files under `public/images` whose names start with `prefix`.
fn published(out: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(out.join("images"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_webp_photo_is_published_as_jpeg_variants() -> TestResult {
    let root = site("webp")?;
    photo(800, 600).save(root.join("images/chat-photo.webp"))?;
    dish_image(&root, "chat-photo.webp")?;
    let out = build_site(&root)?;
    let files = published(&out, "chat-photo-");
    assert!(!files.is_empty(), "no variants of the WebP photo");
    assert!(files.iter().all(|f| f.ends_with(".jpg")), "{files:?}");
    let page = fs::read_to_string(out.join("en/dishes/dan-dan/index.html"))?;
    assert!(page.contains("/images/chat-photo-"), "dish page shows it");
    Ok(())
}

#[test]
fn a_gif_shows_its_first_frame_and_an_svg_is_published_untouched() -> TestResult {
    let root = site("gif-svg")?;
    let frame = image::RgbaImage::from_fn(120, 90, |x, _| image::Rgba([x as u8, 0, 0, 255]));
    frame.save(root.join("images/sign.gif"))?;
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"><circle cx="75" cy="75" r="70"/></svg>"#;
    fs::write(root.join("images/logo.svg"), svg)?;
    dish_image(&root, "sign.gif")?;
    let tea = root.join("menus/main.yaml");
    let text = fs::read_to_string(&tea)?;
    fs::write(
        &tea,
        text.replace("price: \"5\"", "price: \"5\"\n        image: logo.svg"),
    )?;
    let out = build_site(&root)?;
    let gif = published(&out, "sign-");
    assert_eq!(gif.len(), 1, "{gif:?}");
    assert!(gif[0].ends_with("-w120.png"), "{gif:?}");
    let svgs = published(&out, "logo-");
    assert_eq!(svgs.len(), 1, "{svgs:?}");
    assert_eq!(fs::read_to_string(out.join("images").join(&svgs[0]))?, svg);
    let page = fs::read_to_string(out.join("en/dishes/tea/index.html"))?;
    assert!(
        page.contains("width=\"300\"") && page.contains("height=\"150\""),
        "the SVG's own size reserves its space"
    );
    Ok(())
}

#[test]
fn a_heic_or_broken_picture_is_a_check_error_at_the_line_naming_it() -> TestResult {
    let root = site("heic")?;
    // An iPhone photo keeps its HEIC bytes even when renamed `.jpg`.
    fs::write(
        root.join("images/iphone.jpg"),
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
    )?;
    fs::write(root.join("images/cut.png"), b"\x89PNG\r\n\x1a\n\0\0")?;
    fs::write(root.join("images/IMG_0001.HEIC"), b"\0\0\0\x18ftypheic")?;
    dish_image(&root, "iphone.jpg")?;
    let menu = root.join("menus/main.yaml");
    let text = fs::read_to_string(&menu)?;
    fs::write(
        &menu,
        text.replace("price: \"5\"", "price: \"5\"\n        image: IMG_0001.HEIC"),
    )?;
    let page = root.join("pages/about.en.md");
    let text = fs::read_to_string(&page)?;
    fs::write(&page, format!("{text}\n![broken](/images/cut.png)\n"))?;
    let errors = match build::check(&root) {
        Ok(_) => panic!("HEIC and broken pictures must not pass the check"),
        Err(d) => d.to_string(),
    };
    assert!(
        errors.contains("menus/main.yaml:10:16") && errors.contains("`iphone.jpg` is a HEIC"),
        "{errors}"
    );
    assert!(
        errors.contains("`IMG_0001.HEIC` is a HEIC"),
        "a .HEIC file is named as one: {errors}"
    );
    assert!(
        errors.contains("pages/about.en.md:7:11") && errors.contains("`cut.png` is not a readable"),
        "{errors}"
    );
    assert_eq!(errors.matches("export it as JPEG").count(), 3, "{errors}");
    Ok(())
}

#[test]
fn a_page_picture_is_shown_by_its_resized_files() -> TestResult {
    let root = site("page-picture")?;
    photo(1200, 800).save(root.join("images/shop-front.jpg"))?;
    let page = root.join("pages/about.en.md");
    fs::write(
        &page,
        "---\ntitle: About us\n---\n# About us\n\n![Our shop](/images/shop-front.jpg)\n\n\
         Again: ![the shop at night](/images/shop-front.jpg \"Night\"). \
         [Full size](/images/shop-front.jpg)\n",
    )?;
    let out = build_site(&root)?;
    let html = fs::read_to_string(out.join("en/about/index.html"))?;
    assert!(
        !html.contains("src=\"/images/shop-front.jpg\""),
        "the source file is not published: {html}"
    );
    assert_eq!(html.matches("<h1").count(), 1, "one heading: {html}");
    let imgs: Vec<&str> = html.split("<img ").skip(1).collect();
    let shop: Vec<&&str> = imgs.iter().filter(|i| i.contains("shop-front-")).collect();
    assert_eq!(shop.len(), 2, "{html}");
    assert!(shop[0].contains("srcset=\"/images/shop-front-") && shop[0].contains(" 960w"));
    assert!(
        shop[0].contains("width=\"960\" height=\"640\""),
        "{}",
        shop[0]
    );
    assert!(shop[0].contains("alt=\"Our shop\""));
    assert!(
        !shop[0].contains("loading=\"lazy\""),
        "the first is above the fold"
    );
    assert!(shop[1].contains("loading=\"lazy\"") && shop[1].contains("title=\"Night\""));
    // Every picture the page names exists in the output.
    for url in html
        .split(['"', ' ', ','])
        .filter(|s| s.starts_with("/images/shop-front"))
    {
        assert!(out.join(&url[1..]).is_file(), "{url} is not published");
    }
    assert!(
        html.contains("href=\"/images/shop-front-"),
        "the link goes to a variant"
    );
    Ok(())
}

#[test]
fn whole_day_hours_read_24_00() -> TestResult {
    let root = site("whole-day")?;
    let location = root.join("locations/harbour.yaml");
    let text = fs::read_to_string(&location)?;
    fs::write(&location, text.replace("07:00-23:00", "00:00-24:00"))?;
    let out = build_site(&root)?;
    let html = fs::read_to_string(out.join("en/harbour/index.html"))?;
    assert!(html.contains("00:00–24:00"), "{html}");
    assert!(!html.contains("00:00–00:00"));
    Ok(())
}
