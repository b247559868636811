//! An actualité's image, resized once when the web team sends it to the
//! widths the site uses (`srcset`): a phone loads the small one, a wide
//! screen the large one, and nobody loads the 4,000 px original.

use crate::files::FileKind;
use image::{ImageFormat, ImageReader, imageops::FilterType};
use std::io::Cursor;

/// The widths the site's pages use, in CSS pixels: the content column is at
/// most 60 rem (960 px); 480 serves phones.
pub const WIDTHS: [u32; 2] = [480, 960];

/// The largest picture decoded (a "decompression bomb" is refused before
/// it fills the memory).
const MAX_SIDE: u32 = 10_000;

/// One resized copy of the image.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// An image's width from its header, without decoding it.
pub fn width(bytes: &[u8]) -> Option<u32> {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
        .map(|(w, _)| w)
}

/// The image at each of [`WIDTHS`] (never enlarged: a small image gives
/// one copy at its own width), in its own format, the smallest first.
pub fn variants(bytes: &[u8], kind: FileKind) -> Result<Vec<Variant>, String> {
    let format = match kind {
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Png => ImageFormat::Png,
        FileKind::Pdf => return Err("Une image JPEG ou PNG est attendue.".into()),
    };
    let unreadable = || "Image illisible : enregistrez-la de nouveau en JPEG ou en PNG.".to_owned();
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let picture = reader.decode().map_err(|_| unreadable())?;
    let (w, h) = (picture.width(), picture.height());
    if w == 0 || h == 0 {
        return Err(unreadable());
    }
    let mut widths: Vec<u32> = WIDTHS.iter().map(|&target| target.min(w)).collect();
    widths.dedup();
    widths
        .into_iter()
        .map(|width| {
            let height = ((u64::from(h) * u64::from(width)) / u64::from(w)).max(1) as u32;
            let resized = if width == w {
                picture.clone()
            } else {
                picture.resize_exact(width, height, FilterType::Lanczos3)
            };
            let mut out = Cursor::new(Vec::new());
            let written = match kind {
                FileKind::Jpeg => {
                    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
                    resized.to_rgb8().write_with_encoder(encoder)
                }
                _ => resized.write_to(&mut out, ImageFormat::Png),
            };
            written.map_err(|_| unreadable())?;
            Ok(Variant {
                width,
                height,
                bytes: out.into_inner(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_image_gets_the_sites_widths() {
        let v = variants(&png(2000, 1000), FileKind::Png).unwrap();
        let sizes: Vec<(u32, u32)> = v.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sizes, [(480, 240), (960, 480)]);
        let back = image::load_from_memory(&v[1].bytes).unwrap();
        assert_eq!(width(&v[1].bytes), Some(960));
        assert_eq!((back.width(), back.height()), (960, 480));
    }

    #[test]
    fn a_small_image_is_never_enlarged() {
        let v = variants(&png(300, 200), FileKind::Png).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].width, v[0].height), (300, 200));
    }

    #[test]
    fn a_jpeg_stays_a_jpeg() {
        let mut jpeg = Cursor::new(Vec::new());
        image::RgbImage::new(1200, 800)
            .write_to(&mut jpeg, ImageFormat::Jpeg)
            .unwrap();
        let v = variants(jpeg.get_ref(), FileKind::Jpeg).unwrap();
        assert!(
            v.iter()
                .all(|v| FileKind::detect(&v.bytes) == Some(FileKind::Jpeg))
        );
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn a_broken_image_is_refused() {
        let e = variants(b"\x89PNG\r\n\x1a\n garbage", FileKind::Png).unwrap_err();
        assert!(e.contains("illisible"));
    }
}
