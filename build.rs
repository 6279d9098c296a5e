//! Embeds the demo restaurant and the default theme into the `carte` binary,
//! so `carte new` works anywhere.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest);
    let mut code = String::new();
    for (name, dir) in [
        ("SAMPLE_SITE", root.join("site-content")),
        ("DEFAULT_THEME", root.join("themes/default")),
    ] {
        writeln!(code, "pub static {name}: &[(&str, &[u8])] = &[").unwrap();
        let walker = walkdir::WalkDir::new(&dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let n = e.file_name().to_string_lossy();
                !(e.depth() == 1 && (n == "public" || n == ".carte")) && !n.starts_with('.')
            });
        for entry in walker.filter_map(Result::ok) {
            let path = entry.path();
            if entry.file_type().is_dir() {
                println!("cargo:rerun-if-changed={}", path.display());
                continue;
            }
            let rel = path
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            println!("cargo:rerun-if-changed={}", path.display());
            writeln!(
                code,
                "    ({rel:?}, include_bytes!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("embedded.rs"), code).unwrap();
}
