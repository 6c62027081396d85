//! The pure part: bytes in, variants out. The format is taken from the content, never the name.
//! Decoding refuses anything but JPEG, PNG and WebP, anything over [`MAX_PIXELS`] or
//! [`MAX_DIMENSION`] (checked from the header, before any pixel is decoded, so a decompression bomb
//! costs nothing), and truncated or corrupt data. EXIF orientation is applied; nothing else of the
//! source's metadata survives, since variants are encoded from pixels.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::Cursor;

/// Variant widths in px. A source narrower than a width yields no variant of it (never upscale);
/// a source narrower than the smallest yields one variant at its own width.
pub const WIDTHS: [u32; 3] = [1200, 480, 160];
pub const MAX_DIMENSION: u32 = 12_000;
pub const MAX_PIXELS: u64 = 50_000_000;
pub const JPEG_QUALITY: u8 = 80;
pub const WEBP_QUALITY: f32 = 80.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Webp,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Webp => "webp",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
}

#[derive(Debug)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// Why an object can never become variants. Recorded, never retried.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    #[error("not an image")]
    NotAnImage,
    #[error("unsupported image format {0}")]
    UnsupportedFormat(String),
    #[error(
        "image is {width}x{height}; at most {MAX_DIMENSION} px a side and {MAX_PIXELS} pixels are accepted"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("object is {0} bytes, over the upload limit")]
    TooManyBytes(u64),
    #[error("image data is corrupt or truncated: {0}")]
    Corrupt(String),
}

impl Rejection {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAnImage => "not_an_image",
            Self::UnsupportedFormat(_) => "unsupported_format",
            Self::TooLarge { .. } => "too_large",
            Self::TooManyBytes(_) => "too_many_bytes",
            Self::Corrupt(_) => "corrupt",
        }
    }
}

/// A JPEG must end with its EOI marker (`FF D9`), allowing trailing padding. Decoders are lenient
/// with truncated files (they fill the rest with grey); we would rather refuse them.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let tail = &bytes[end.saturating_sub(1024)..end];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Decodes and orients, then resizes to every width in [`WIDTHS`] (each from the next larger
/// result, which keeps a 12 MP source to one large resize) and encodes each as WebP and JPEG,
/// the encodes in parallel when the machine has more than one core.
pub fn process(bytes: &[u8]) -> Result<Vec<Variant>, Rejection> {
    let parallel = std::thread::available_parallelism().map_or(1, |n| n.get()) > 1;
    process_with(bytes, parallel)
}

/// [`process`] with the encodes on one thread (`parallel = false`) or one thread each.
pub fn process_with(bytes: &[u8], parallel: bool) -> Result<Vec<Variant>, Rejection> {
    let format = image::guess_format(bytes).map_err(|_| Rejection::NotAnImage)?;
    match format {
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP => {}
        other => {
            return Err(Rejection::UnsupportedFormat(
                format!("{other:?}").to_lowercase(),
            ));
        }
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Rejection::Corrupt("JPEG has no end-of-image marker".into()));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| classify(&e))?;
    let (w, h) = decoder.dimensions();
    if w == 0
        || h == 0
        || w > MAX_DIMENSION
        || h > MAX_DIMENSION
        || w as u64 * h as u64 > MAX_PIXELS
    {
        return Err(Rejection::TooLarge {
            width: w,
            height: h,
        });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let swaps = matches!(
        orientation,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    // Variant sizes follow the full-size, upright image.
    let (ow, oh) = if swaps { (h, w) } else { (w, h) };
    let sizes = target_sizes(ow, oh);
    let img = if format == ImageFormat::Jpeg {
        drop(decoder);
        // Shrink on load: decode at 1/2, 1/4 or 1/8 scale (in the DCT domain) when even that is
        // at least as large as the biggest variant; far fewer pixels to decode and resize.
        let (need_w, need_h) = sizes[0];
        let (need_w, need_h) = if swaps {
            (need_h, need_w)
        } else {
            (need_w, need_h)
        };
        DynamicImage::ImageRgb8(decode_jpeg_scaled(bytes, need_w, need_h)?)
    } else {
        DynamicImage::from_decoder(decoder).map_err(|e| classify(&e))?
    };
    let mut img = img;
    img.apply_orientation(orientation);
    let rgb = flatten(img);
    variants(rgb, &sizes, parallel)
}

/// Decodes a JPEG at the smallest DCT scale whose output is still at least `min_w` x `min_h`.
fn decode_jpeg_scaled(bytes: &[u8], min_w: u32, min_h: u32) -> Result<image::RgbImage, Rejection> {
    let corrupt = |e: jpeg_decoder::Error| Rejection::Corrupt(e.to_string());
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    d.read_info().map_err(corrupt)?;
    let (w, h) = d
        .scale(
            min_w.min(u16::MAX as u32) as u16,
            min_h.min(u16::MAX as u32) as u16,
        )
        .map_err(corrupt)?;
    let pixels = d.decode().map_err(corrupt)?;
    let format = d.info().map(|i| i.pixel_format);
    let (w, h) = (w as u32, h as u32);
    let rgb = match format {
        Some(jpeg_decoder::PixelFormat::RGB24) => pixels,
        Some(jpeg_decoder::PixelFormat::L8) => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        Some(jpeg_decoder::PixelFormat::L16) => pixels
            .chunks_exact(2)
            .flat_map(|c| {
                let l = c[0];
                [l, l, l]
            })
            .collect(),
        Some(jpeg_decoder::PixelFormat::CMYK32) => pixels
            .chunks_exact(4)
            .flat_map(|c| {
                let k = 255 - c[3] as u32;
                let ch = |v: u8| ((255 - v as u32) * k / 255) as u8;
                [ch(c[0]), ch(c[1]), ch(c[2])]
            })
            .collect(),
        None => return Err(Rejection::Corrupt("JPEG without frame information".into())),
    };
    image::RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| Rejection::Corrupt("JPEG pixel data is short".into()))
}

fn classify(e: &image::ImageError) -> Rejection {
    match e {
        image::ImageError::Limits(_) => Rejection::TooLarge {
            width: 0,
            height: 0,
        },
        image::ImageError::Unsupported(u) => Rejection::UnsupportedFormat(u.to_string()),
        other => Rejection::Corrupt(other.to_string()),
    }
}

/// RGB8, with any transparency composited over white (storefront backgrounds are light).
fn flatten(img: DynamicImage) -> image::RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = image::RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        for c in 0..3 {
            o[c] = ((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

fn target_sizes(w: u32, h: u32) -> Vec<(u32, u32)> {
    let mut sizes: Vec<(u32, u32)> = WIDTHS
        .iter()
        .filter(|&&tw| tw <= w)
        .map(|&tw| {
            (
                tw,
                ((h as u64 * tw as u64 + w as u64 / 2) / w as u64).max(1) as u32,
            )
        })
        .collect();
    if sizes.is_empty() {
        sizes.push((w, h));
    }
    sizes
}

fn variants(
    rgb: image::RgbImage,
    sizes: &[(u32, u32)],
    parallel: bool,
) -> Result<Vec<Variant>, Rejection> {
    let (w, h) = rgb.dimensions();
    let mut current = Image::from_vec_u8(w, h, rgb.into_raw(), PixelType::U8x3)
        .map_err(|e| Rejection::Corrupt(e.to_string()))?;
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut resized: Vec<(u32, u32, Vec<u8>)> = Vec::new();
    for &(tw, th) in sizes {
        if (tw, th) != (current.width(), current.height()) {
            let mut dst = Image::new(tw, th, PixelType::U8x3);
            resizer
                .resize(&current, &mut dst, &options)
                .map_err(|e| Rejection::Corrupt(e.to_string()))?;
            current = dst;
        }
        resized.push((tw, th, current.buffer().to_vec()));
    }
    let jobs: Vec<(u32, u32, &[u8], Format)> = resized
        .iter()
        .flat_map(|(w, h, px)| {
            [
                (*w, *h, px.as_slice(), Format::Webp),
                (*w, *h, px.as_slice(), Format::Jpeg),
            ]
        })
        .collect();
    if parallel {
        std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|&(w, h, px, f)| s.spawn(move || encode(w, h, px, f)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Rejection::Corrupt("encoder panicked".into())))
                })
                .collect()
        })
    } else {
        jobs.iter()
            .map(|&(w, h, px, f)| encode(w, h, px, f))
            .collect()
    }
}

fn encode(width: u32, height: u32, pixels: &[u8], format: Format) -> Result<Variant, Rejection> {
    let bytes = match format {
        Format::Webp => webp::Encoder::from_rgb(pixels, width, height)
            .encode(WEBP_QUALITY)
            .to_vec(),
        Format::Jpeg => {
            let mut jpeg = Vec::with_capacity(pixels.len() / 8);
            jpeg_encoder::Encoder::new(&mut jpeg, JPEG_QUALITY)
                .encode(
                    pixels,
                    width as u16,
                    height as u16,
                    jpeg_encoder::ColorType::Rgb,
                )
                .map_err(|e| Rejection::Corrupt(e.to_string()))?;
            jpeg
        }
    };
    Ok(Variant {
        width,
        height,
        format,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo-like test image: gradients plus deterministic noise, so encoders work for real.
    pub fn synthetic(w: u32, h: u32) -> image::RgbImage {
        let mut seed = 0x2545_F491u32;
        image::RgbImage::from_fn(w, h, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let n = seed & 31;
            image::Rgb([
                ((x * 255 / w.max(1)) + n).min(255) as u8,
                ((y * 255 / h.max(1)) + n).min(255) as u8,
                (((x + y) * 127 / (w + h).max(1)) + n).min(255) as u8,
            ])
        })
    }

    fn encode(img: &DynamicImage, f: ImageFormat) -> Vec<u8> {
        encode_image(img, f)
    }

    fn encode_image(img: &DynamicImage, f: ImageFormat) -> Vec<u8> {
        let mut v = Cursor::new(Vec::new());
        img.write_to(&mut v, f).unwrap();
        v.into_inner()
    }

    #[test]
    fn jpeg_becomes_three_widths_in_two_formats() {
        let src = DynamicImage::ImageRgb8(synthetic(1600, 1000));
        let out = process(&encode(&src, ImageFormat::Jpeg)).unwrap();
        let dims: Vec<(u32, u32, &str)> = out
            .iter()
            .map(|v| (v.width, v.height, v.format.name()))
            .collect();
        assert_eq!(
            dims,
            vec![
                (1200, 750, "webp"),
                (1200, 750, "jpeg"),
                (480, 300, "webp"),
                (480, 300, "jpeg"),
                (160, 100, "webp"),
                (160, 100, "jpeg")
            ]
        );
        for v in &out {
            let decoded = image::load_from_memory(&v.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (v.width, v.height));
            let fmt = image::guess_format(&v.bytes).unwrap();
            assert_eq!(
                fmt,
                if v.format == Format::Jpeg {
                    ImageFormat::Jpeg
                } else {
                    ImageFormat::WebP
                }
            );
        }
    }

    #[test]
    fn shrink_on_load_keeps_exact_sizes_and_parallel_matches_sequential() {
        // 4000x3000 decodes at 1/2 scale for a 1200 px variant; sizes still come from the full image.
        let src = DynamicImage::ImageRgb8(synthetic(4000, 3000));
        let jpeg = encode(&src, ImageFormat::Jpeg);
        let par = process_with(&jpeg, true).unwrap();
        let seq = process_with(&jpeg, false).unwrap();
        assert_eq!(
            par.iter().map(|v| (v.width, v.height)).collect::<Vec<_>>(),
            [
                (1200, 900),
                (1200, 900),
                (480, 360),
                (480, 360),
                (160, 120),
                (160, 120)
            ]
        );
        for (a, b) in par.iter().zip(&seq) {
            assert_eq!(
                a.bytes, b.bytes,
                "encoding is deterministic whatever the threading"
            );
        }
        // Odd sizes round the same way as before: 1601x1001 -> 1200x750.
        let odd = encode(
            &DynamicImage::ImageRgb8(synthetic(1601, 1001)),
            ImageFormat::Jpeg,
        );
        assert_eq!(
            (
                process(&odd).unwrap()[0].width,
                process(&odd).unwrap()[0].height
            ),
            (1200, 750)
        );
        // A rotated 4000x3000 JPEG: upright 3000x4000, so 1200x1600.
        let rotated = insert_exif_orientation(&jpeg, 6);
        assert_eq!(
            (
                process(&rotated).unwrap()[0].width,
                process(&rotated).unwrap()[0].height
            ),
            (1200, 1600)
        );
    }

    #[test]
    fn small_images_are_not_upscaled() {
        let src = DynamicImage::ImageRgb8(synthetic(300, 200));
        let out = process(&encode(&src, ImageFormat::Png)).unwrap();
        let widths: Vec<u32> = out.iter().map(|v| v.width).collect();
        assert_eq!(widths, vec![160, 160]);
        let tiny = DynamicImage::ImageRgb8(synthetic(50, 40));
        let out = process(&encode(&tiny, ImageFormat::Png)).unwrap();
        assert_eq!((out[0].width, out[0].height), (50, 40));
    }

    #[test]
    fn format_is_detected_by_content_and_alpha_is_flattened() {
        let mut rgba = image::RgbaImage::new(400, 300);
        for p in rgba.pixels_mut() {
            *p = image::Rgba([0, 0, 0, 0]);
        }
        let png = encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
        let out = process(&png).unwrap();
        let v = image::load_from_memory(&out[1].bytes).unwrap().into_rgb8();
        assert!(v.get_pixel(10, 10)[0] > 240, "transparent becomes white");
        let webp = encode(
            &DynamicImage::ImageRgb8(synthetic(500, 500)),
            ImageFormat::WebP,
        );
        assert_eq!(process(&webp).unwrap()[0].width, 480);
    }

    #[test]
    fn exif_orientation_is_applied() {
        // A 200x100 JPEG whose EXIF says "rotate 90° clockwise" must come out 100 wide, 200 tall.
        let jpeg = encode(
            &DynamicImage::ImageRgb8(synthetic(400, 200)),
            ImageFormat::Jpeg,
        );
        let with_exif = insert_exif_orientation(&jpeg, 6);
        let out = process(&with_exif).unwrap();
        assert_eq!((out[0].width, out[0].height), (160, 320));
    }

    /// Inserts an APP1 EXIF segment with only an Orientation tag after the SOI marker.
    pub fn insert_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08"); // big-endian TIFF, IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\x00\x00".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn bad_input_is_rejected_not_panicked_on() {
        assert_eq!(
            process(b"hello, I am a text file").unwrap_err(),
            Rejection::NotAnImage
        );
        assert_eq!(process(b"").unwrap_err(), Rejection::NotAnImage);
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(matches!(
            process(gif).unwrap_err(),
            Rejection::UnsupportedFormat(_)
        ));
        let jpeg = encode(
            &DynamicImage::ImageRgb8(synthetic(800, 600)),
            ImageFormat::Jpeg,
        );
        let truncated = &jpeg[..jpeg.len() / 2];
        assert_eq!(process(truncated).unwrap_err().code(), "corrupt");
        let png = encode(
            &DynamicImage::ImageRgb8(synthetic(800, 600)),
            ImageFormat::Png,
        );
        assert_eq!(
            process(&png[..png.len() / 2]).unwrap_err().code(),
            "corrupt"
        );
        // Random bytes after a valid signature.
        let mut junk = b"\x89PNG\r\n\x1a\n".to_vec();
        junk.extend((0..5000u32).map(|i| (i * 7919 % 251) as u8));
        assert!(process(&junk).is_err());
    }

    #[test]
    fn decompression_bombs_are_refused_from_the_header() {
        // A PNG header claiming 60000 x 60000 pixels: refused before any pixel is decoded.
        let mut bomb = Vec::new();
        let img = image::RgbImage::new(1, 1);
        image::codecs::png::PngEncoder::new(&mut bomb)
            .write_image(img.as_raw(), 1, 1, image::ExtendedColorType::Rgb8)
            .unwrap();
        // Patch width/height in IHDR (offsets 16..24) and fix its CRC.
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(process(&bomb).unwrap_err().code(), "too_large");
        // Within the side limit but over the pixel budget.
        let wide = encode(
            &DynamicImage::ImageRgb8(image::RgbImage::new(9000, 6000)),
            ImageFormat::Png,
        );
        assert_eq!(process(&wide).unwrap_err().code(), "too_large");
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    use image::ImageEncoder;
}
