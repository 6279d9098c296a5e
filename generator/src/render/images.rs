//! Dish photos resized to a few widths for `srcset`, with a cache of resized
//! files so a rebuild does not resize again.

use std::collections::{BTreeSet, HashMap};
use std::io::Cursor;
use std::path::{Component, Path};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::markdown;
use super::{Output, RenderError, RenderOptions};
use crate::picture::{sniff, svg_size, PictureKind};
use crate::urls;
use crate::Project;

/// One resized file of an image.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    /// Site-relative URL, e.g. `/images/noodles-1a2b3c4d-w320.jpg`.
    pub url: String,
}

/// All widths of one source image, narrowest first (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    pub variants: Vec<Variant>,
}

/// What an `<img>` needs: a fallback `src`, the `srcset`, and the size of `src`
/// for the `width`/`height` attributes that reserve its space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImgView {
    pub src: String,
    pub srcset: String,
    pub width: u32,
    pub height: u32,
}

impl ImageSet {
    /// The narrowest variant, for thumbnails.
    pub fn smallest(&self) -> Option<&Variant> {
        self.variants.first()
    }

    /// The widest variant, for the dish page and Open Graph.
    pub fn largest(&self) -> Option<&Variant> {
        self.variants.last()
    }

    /// The `<img>` attributes with `src` from the smallest (`thumb`) or largest variant.
    pub fn view(&self, thumb: bool) -> Option<ImgView> {
        let src = if thumb {
            self.smallest()
        } else {
            self.largest()
        }?;
        let srcset = self
            .variants
            .iter()
            .map(|v| format!("{} {}w", v.url, v.width))
            .collect::<Vec<_>>()
            .join(", ");
        Some(ImgView {
            src: src.url.clone(),
            srcset,
            width: src.width,
            height: src.height,
        })
    }
}

/// Resizes every image a dish uses. Returns the files and, per image path
/// (as written in the dish, relative to `images/`), its variants.
pub fn render_images(
    project: &Project,
    opts: &RenderOptions,
) -> Result<(Vec<Output>, HashMap<String, ImageSet>), RenderError> {
    let site = &project.site;
    let dishes: Vec<&catalog::Dish> = site
        .menus
        .iter()
        .flat_map(|m| m.dishes().map(|(_, d)| d))
        .collect();
    let mut used: BTreeSet<String> = dishes.iter().filter_map(|d| d.image.clone()).collect();
    // Pictures shown or linked in Markdown: pages and dish descriptions.
    let texts = site
        .pages
        .iter()
        .flat_map(|p| p.body.iter())
        .chain(dishes.iter().flat_map(|d| d.description.iter()));
    for (_, text) in texts {
        used.extend(markdown::image_paths(text));
    }
    // Only files that exist: `carte check` has reported the others.
    used.retain(|name| project.images.iter().any(|i| i == name));
    let mut widths: Vec<u32> = opts
        .image_widths
        .iter()
        .copied()
        .filter(|w| *w > 0)
        .collect();
    widths.sort_unstable();
    widths.dedup();
    if widths.is_empty() {
        widths.push(640);
    }
    let results: Vec<(String, Vec<Output>, ImageSet)> = used
        .into_par_iter()
        .map(|name| {
            let (outputs, set) = resize_one(&project.root, &name, &widths, opts)?;
            Ok((name, outputs, set))
        })
        .collect::<Result<_, RenderError>>()?;
    let mut outputs = Vec::new();
    let mut sets = HashMap::new();
    for (name, files, set) in results {
        outputs.extend(files);
        sets.insert(name, set);
    }
    Ok((outputs, sets))
}

/// An SVG published as it is, at its declared size (a square when it declares none).
fn svg_as_is(slug: &str, short: &str, bytes: Vec<u8>) -> (Vec<Output>, ImageSet) {
    let (width, height) = std::str::from_utf8(&bytes)
        .ok()
        .and_then(svg_size)
        .unwrap_or((640, 640));
    let path = format!("images/{slug}-{short}.svg");
    let variant = Variant {
        width,
        height,
        url: format!("/{path}"),
    };
    (
        vec![Output::new(path, bytes)],
        ImageSet {
            variants: vec![variant],
        },
    )
}

fn image_error(name: &str, message: impl ToString) -> RenderError {
    RenderError::Image {
        path: name.to_owned(),
        message: message.to_string(),
    }
}

/// The widths to make of a source `source_width` wide: each listed width below it,
/// and the source width itself when it is narrower than the widest listed.
pub fn variant_widths(source_width: u32, widths: &[u32]) -> Vec<u32> {
    let widest = widths.iter().copied().max().unwrap_or(source_width);
    let mut out: Vec<u32> = widths
        .iter()
        .copied()
        .filter(|w| *w < source_width)
        .collect();
    out.push(source_width.min(widest));
    out.sort_unstable();
    out.dedup();
    out
}

fn resize_one(
    root: &Path,
    name: &str,
    widths: &[u32],
    opts: &RenderOptions,
) -> Result<(Vec<Output>, ImageSet), RenderError> {
    let rel = Path::new(name);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(image_error(name, "the path must stay inside images/"));
    }
    let source = root.join("images").join(rel);
    let bytes = std::fs::read(&source).map_err(|e| image_error(name, e))?;
    let hash = hex::encode(&Sha256::digest(&bytes)[..8]);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let mut slug = urls::slug(stem);
    if slug.is_empty() {
        slug.push_str("image");
    }
    let short = &hash[..8];
    let kind = sniff(name, &bytes[..bytes.len().min(64)])
        .map_err(|problem| image_error(name, problem.message(name)))?;
    if kind == PictureKind::Svg {
        return Ok(svg_as_is(&slug, short, bytes));
    }
    let reader = ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| image_error(name, e))?;
    let mut decoder = reader.into_decoder().map_err(|e| image_error(name, e))?;
    // WebP and GIF are published as JPEG, or PNG when transparent (a GIF: its first frame).
    let (ext, format) = match kind {
        PictureKind::Jpeg => ("jpg", ImageFormat::Jpeg),
        PictureKind::WebP if !decoder.color_type().has_alpha() => ("jpg", ImageFormat::Jpeg),
        _ => ("png", ImageFormat::Png),
    };
    let same_format = matches!(
        (kind, format),
        (PictureKind::Jpeg, ImageFormat::Jpeg) | (PictureKind::Png, ImageFormat::Png)
    );
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let (mut w, mut h) = decoder.dimensions();
    if matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    ) {
        std::mem::swap(&mut w, &mut h);
    }
    if w == 0 || h == 0 {
        return Err(image_error(name, "the image is empty"));
    }

    let mut decoded: Option<DynamicImage> = None;
    let mut decoder = Some(decoder);
    let mut outputs = Vec::new();
    let mut variants = Vec::new();
    for width in variant_widths(w, widths) {
        let height = ((u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w))
            .clamp(1, u64::from(u32::MAX)) as u32;
        let cache_file = opts
            .image_cache
            .as_ref()
            .map(|dir| dir.join(format!("{hash}-{width}.{ext}")));
        // The source itself at its own size, upright: its bytes as they are (an
        // encoder run would only lose the source's own compression).
        let as_is = (same_format && width == w && orientation == Orientation::NoTransforms)
            .then(|| bytes.clone());
        let cached = as_is.or_else(|| cache_file.as_ref().and_then(|f| std::fs::read(f).ok()));
        let data = match cached {
            Some(data) if !data.is_empty() => data,
            _ => {
                if decoded.is_none() {
                    let Some(dec) = decoder.take() else {
                        return Err(image_error(name, "cannot decode the image"));
                    };
                    let mut img =
                        DynamicImage::from_decoder(dec).map_err(|e| image_error(name, e))?;
                    img.apply_orientation(orientation);
                    decoded = Some(img);
                }
                let Some(img) = decoded.as_ref() else {
                    return Err(image_error(name, "cannot decode the image"));
                };
                let data = encode(img, width, height, format).map_err(|e| image_error(name, e))?;
                if let Some(file) = &cache_file {
                    store_in_cache(file, &data);
                }
                data
            }
        };
        let path = format!("images/{slug}-{short}-w{width}.{ext}");
        variants.push(Variant {
            width,
            height,
            url: format!("/{path}"),
        });
        outputs.push(Output::new(path, data));
    }
    let (outputs, variants) = lighter_only(outputs, variants);
    Ok((outputs, ImageSet { variants }))
}

/// Keeps a variant only when it is lighter (in bytes) than every wider one: a
/// browser that picks a narrow variant to save bytes would otherwise download
/// more than the wider file. Flat-colour PNGs often resize into heavier files
/// (smoothing adds colours); photos (JPEG) keep all their widths. Variants come
/// narrowest first, and the widest is always kept.
fn lighter_only(outputs: Vec<Output>, variants: Vec<Variant>) -> (Vec<Output>, Vec<Variant>) {
    let mut lightest = usize::MAX;
    let mut kept: Vec<(Output, Variant)> = Vec::with_capacity(variants.len());
    for (output, variant) in outputs.into_iter().zip(variants).rev() {
        if output.bytes.len() < lightest {
            lightest = output.bytes.len();
            kept.push((output, variant));
        }
    }
    kept.reverse();
    kept.into_iter().unzip()
}

fn encode(
    img: &DynamicImage,
    width: u32,
    height: u32,
    format: ImageFormat,
) -> Result<Vec<u8>, image::ImageError> {
    let resized = if img.width() == width && img.height() == height {
        img.clone()
    } else {
        img.resize_exact(width, height, FilterType::Triangle)
    };
    let mut data = Vec::new();
    match format {
        ImageFormat::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(resized.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut data, 80))?;
        }
        _ => resized.write_with_encoder(PngEncoder::new_with_quality(
            &mut data,
            CompressionType::Best,
            PngFilter::Adaptive,
        ))?,
    }
    Ok(data)
}

/// Keeps a resized file for the next build. A cache that cannot be written only costs time.
fn store_in_cache(file: &Path, data: &[u8]) {
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, data).is_ok() && std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_variant_heavier_than_a_wider_one_is_dropped() {
        let variant = |width: u32| Variant {
            width,
            height: width / 2,
            url: format!("/images/x-w{width}.png"),
        };
        let files = |sizes: &[usize]| -> Vec<Output> {
            sizes
                .iter()
                .enumerate()
                .map(|(i, n)| Output::new(format!("images/x-{i}.png"), vec![0u8; *n]))
                .collect()
        };
        let widths = [320, 640, 960];
        let all = || widths.iter().map(|w| variant(*w)).collect::<Vec<_>>();
        // A photo: each wider file is heavier; every width stays.
        let (kept, variants) = lighter_only(files(&[10, 20, 30]), all());
        assert_eq!(variants.iter().map(|v| v.width).collect::<Vec<_>>(), widths);
        assert_eq!(kept.len(), 3);
        // A flat PNG whose resized copies grew: only the original width remains.
        let (kept, variants) = lighter_only(files(&[11, 19, 6]), all());
        assert_eq!(variants.iter().map(|v| v.width).collect::<Vec<_>>(), [960]);
        assert_eq!(kept[0].bytes.len(), 6);
        // Mixed: 320 is lighter than everything wider, 640 is not.
        let (_, variants) = lighter_only(files(&[5, 19, 6]), all());
        assert_eq!(
            variants.iter().map(|v| v.width).collect::<Vec<_>>(),
            [320, 960]
        );
    }

    #[test]
    fn widths_never_upscale() {
        assert_eq!(variant_widths(2000, &[320, 640, 960]), vec![320, 640, 960]);
        assert_eq!(variant_widths(800, &[320, 640, 960]), vec![320, 640, 800]);
        assert_eq!(variant_widths(200, &[320, 640, 960]), vec![200]);
        assert_eq!(variant_widths(640, &[320, 640, 960]), vec![320, 640]);
    }
}
