//! Decoding photos by content, with EXIF orientation applied and memory bounded: the byte
//! size and the pixel count (from the header) are checked before the full decode.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use crate::FaceError;

/// Bounds on what a photo may cost to decode.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    pub max_bytes: usize,
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    /// 8 MB and 40 megapixels: any phone camera's photo, no decompression bomb.
    fn default() -> Self {
        Self { max_bytes: 8 * 1024 * 1024, max_pixels: 40_000_000 }
    }
}

/// Decodes a JPEG, PNG or WebP photo into upright RGB.
pub fn decode(bytes: &[u8], limits: DecodeLimits) -> Result<RgbImage, FaceError> {
    if bytes.len() > limits.max_bytes {
        return Err(FaceError::TooManyBytes { max_bytes: limits.max_bytes });
    }
    let format = image::guess_format(bytes).map_err(|_| FaceError::UnsupportedFormat)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(FaceError::UnsupportedFormat);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(FaceError::Corrupt)?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limits.max_pixels {
        return Err(FaceError::TooManyPixels { pixels, max_pixels: limits.max_pixels });
    }
    let orientation = decoder.orientation().map_err(FaceError::Corrupt)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(FaceError::Corrupt)?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}
