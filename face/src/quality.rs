//! Quality gates: each refusal names a problem a worker can fix (move closer, turn to the
//! light, hold still, look at the camera, be alone in the picture).

use image::RgbImage;

use crate::detect::Detection;
use crate::FaceError;

/// The thresholds, measured on the shared photos (see the README's face section).
#[derive(Debug, Clone, Copy)]
pub struct QualityLimits {
    /// A second face at least this share of the largest one's area makes the photo ambiguous.
    pub second_face_ratio: f32,
    /// The face box's shorter side, in the photo's pixels.
    pub min_face_px: f32,
    /// Mean luma (0–255) of the aligned face.
    pub min_brightness: f32,
    pub max_brightness: f32,
    /// Variance of the Laplacian of the aligned face's luma.
    pub min_sharpness: f32,
    /// Nose offset from the eyes' midpoint across the face, in inter-eye distances.
    pub max_yaw: f32,
    /// Nose drop below the eyes, in inter-eye distances (about 0.57 facing the camera).
    pub pitch_range: (f32, f32),
}

impl Default for QualityLimits {
    fn default() -> Self {
        Self {
            second_face_ratio: 0.5,
            min_face_px: 60.0,
            min_brightness: 50.0,
            max_brightness: 215.0,
            min_sharpness: 60.0,
            max_yaw: 0.30,
            pitch_range: (0.25, 1.00),
        }
    }
}

/// Yaw and pitch proxies from the landmarks, in inter-eye distances.
pub fn pose(landmarks: &[[f32; 2]; 5]) -> (f32, f32) {
    let [re, le, nose, _, _] = *landmarks;
    let (ex, ey) = (le[0] - re[0], le[1] - re[1]);
    let dist = (ex * ex + ey * ey).sqrt().max(1e-3);
    let (ux, uy) = (ex / dist, ey / dist);
    let (mx, my) = ((re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0);
    let (dx, dy) = (nose[0] - mx, nose[1] - my);
    ((dx * ux + dy * uy) / dist, (-dx * uy + dy * ux) / dist)
}

fn luma(img: &RgbImage) -> Vec<f32> {
    img.pixels().map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])).collect()
}

/// Mean luma of the aligned face's central region (cheeks, eyes, nose; not background).
pub fn brightness(aligned: &RgbImage) -> f32 {
    let y = luma(aligned);
    let w = aligned.width() as usize;
    let (mut sum, mut n) = (0.0, 0.0);
    for row in 30..100 {
        for col in 24..88 {
            if let Some(v) = y.get(row * w + col) {
                sum += v;
                n += 1.0;
            }
        }
    }
    if n > 0.0 {
        sum / n
    } else {
        0.0
    }
}

/// Variance of the 4-neighbour Laplacian over the aligned face: low when blurred.
pub fn sharpness(aligned: &RgbImage) -> f32 {
    let y = luma(aligned);
    let (w, h) = (aligned.width() as usize, aligned.height() as usize);
    let mut values = Vec::with_capacity(w * h);
    for row in 1..h.saturating_sub(1) {
        for col in 1..w.saturating_sub(1) {
            let c = y[row * w + col];
            values.push(
                y[(row - 1) * w + col] + y[(row + 1) * w + col] + y[row * w + col - 1] + y[row * w + col + 1] - 4.0 * c,
            );
        }
    }
    let n = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / n;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n
}

/// Picks the face to use: the largest, unless another is nearly as large.
pub fn choose(faces: &[Detection], limits: &QualityLimits) -> Result<Detection, FaceError> {
    let first = faces.first().ok_or(FaceError::NoFace)?;
    if faces.get(1).is_some_and(|second| second.area() >= limits.second_face_ratio * first.area()) {
        return Err(FaceError::MultipleFaces);
    }
    let size = first.w.min(first.h);
    if size < limits.min_face_px {
        return Err(FaceError::FaceTooSmall { size: size.max(0.0) as u32, min: limits.min_face_px as u32 });
    }
    let (yaw, pitch) = pose(&first.landmarks);
    if yaw.abs() > limits.max_yaw || pitch < limits.pitch_range.0 || pitch > limits.pitch_range.1 {
        return Err(FaceError::HeadTurned);
    }
    Ok(first.clone())
}

/// Checks light and focus on the aligned face.
pub fn check_aligned(aligned: &RgbImage, limits: &QualityLimits) -> Result<(), FaceError> {
    let b = brightness(aligned);
    if b < limits.min_brightness {
        return Err(FaceError::TooDark);
    }
    if b > limits.max_brightness {
        return Err(FaceError::TooBright);
    }
    if sharpness(aligned) < limits.min_sharpness {
        return Err(FaceError::Blurred);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::TEMPLATE;

    #[test]
    fn the_template_faces_the_camera() {
        let (yaw, pitch) = pose(&TEMPLATE);
        assert!(yaw.abs() < 0.02, "{yaw}");
        assert!((0.5..0.65).contains(&pitch), "{pitch}");
    }

    #[test]
    fn flat_images_are_dark_bright_or_blurred() {
        let black = RgbImage::new(112, 112);
        assert!(matches!(check_aligned(&black, &QualityLimits::default()), Err(FaceError::TooDark)));
        let white = RgbImage::from_pixel(112, 112, image::Rgb([255, 255, 255]));
        assert!(matches!(check_aligned(&white, &QualityLimits::default()), Err(FaceError::TooBright)));
        let grey = RgbImage::from_pixel(112, 112, image::Rgb([128, 128, 128]));
        assert!(matches!(check_aligned(&grey, &QualityLimits::default()), Err(FaceError::Blurred)));
    }
}
