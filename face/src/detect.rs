//! Face detection with YuNet: a letterboxed BGR input, three feature strides, scores as
//! sqrt(cls · obj), boxes and five landmarks decoded per anchor, then non-maximum
//! suppression.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use tract_onnx::prelude::*;

use crate::onnx::{floats, Runnable};
use crate::FaceError;

/// The detector's input side: the photo's longer side is scaled to it, the rest padded.
pub const INPUT: usize = 640;
const STRIDES: [usize; 3] = [8, 16, 32];
/// Detections below this score are dropped.
pub const SCORE_THRESHOLD: f32 = 0.8;
const NMS_IOU: f32 = 0.3;

/// The outputs in the order the decoder reads them.
pub const OUTPUTS: [&str; 12] = [
    "cls_8", "cls_16", "cls_32", "obj_8", "obj_16", "obj_32", "bbox_8", "bbox_16", "bbox_32", "kps_8", "kps_16",
    "kps_32",
];

/// A face in the photo's own pixel coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub score: f32,
    /// Right eye, left eye, nose tip, right and left mouth corners (seen from the subject:
    /// the first is the eye on the left of the image).
    pub landmarks: [[f32; 2]; 5],
}

impl Detection {
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    fn iou(&self, other: &Detection) -> f32 {
        let x1 = self.x.max(other.x);
        let y1 = self.y.max(other.y);
        let x2 = (self.x + self.w).min(other.x + other.w);
        let y2 = (self.y + self.h).min(other.y + other.h);
        let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }
}

/// The letterboxed input tensor and the factor from input to photo coordinates.
pub fn preprocess(img: &RgbImage) -> Result<(Tensor, f32), FaceError> {
    let (w, h) = img.dimensions();
    let scale = INPUT as f32 / w.max(h) as f32;
    let (nw, nh) = (
        ((w as f32 * scale).round() as u32).clamp(1, INPUT as u32),
        ((h as f32 * scale).round() as u32).clamp(1, INPUT as u32),
    );
    let resized = resize(img, nw, nh)?;
    // Planes of B, G, R (0..255), row-major, zero-padded right and bottom.
    let plane = INPUT * INPUT;
    let mut data = vec![0f32; 3 * plane];
    let width = nw as usize;
    for (row, pixels) in resized.buffer().chunks_exact(width * 3).enumerate() {
        let start = row * INPUT;
        for (col, p) in pixels.chunks_exact(3).enumerate() {
            data[start + col] = f32::from(p[2]);
            data[plane + start + col] = f32::from(p[1]);
            data[2 * plane + start + col] = f32::from(p[0]);
        }
    }
    let input = Tensor::from_shape(&[1, 3, INPUT, INPUT], &data).map_err(FaceError::Inference)?;
    Ok((input, 1.0 / scale))
}

/// The photo resized with a triangle (bilinear) filter whose support grows with the
/// reduction, so that every source pixel counts (the same filter as `image`'s `Triangle`,
/// in SIMD; about six times faster on large photos).
fn resize(img: &RgbImage, width: u32, height: u32) -> Result<Image<'static>, FaceError> {
    // Cannot fail: the buffer matches the dimensions and both images are U8x3.
    let failed = |e: TractError| FaceError::Inference(e.context("resizing the photo for the detector"));
    let source = ImageRef::new(img.width(), img.height(), img.as_raw(), PixelType::U8x3)
        .map_err(|e| failed(TractError::new(e)))?;
    let mut resized = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&source, &mut resized, &options).map_err(|e| failed(TractError::new(e)))?;
    Ok(resized)
}

/// Decodes the twelve outputs into detections in input coordinates, then maps them back.
pub fn decode(outputs: &[TValue], to_photo: f32) -> Result<Vec<Detection>, FaceError> {
    let view = |i: usize| {
        outputs.get(i).ok_or_else(|| FaceError::Model { file: "yunet".into(), problem: format!("missing output {i}") })
    };
    let mut found = Vec::new();
    for (k, stride) in STRIDES.iter().enumerate() {
        let cls = floats(view(k)?)?;
        let obj = floats(view(3 + k)?)?;
        let bbox = floats(view(6 + k)?)?;
        let kps = floats(view(9 + k)?)?;
        let cols = INPUT / stride;
        let s = *stride as f32;
        for i in 0..cls.len().min(obj.len()) {
            let score = (cls[i].clamp(0.0, 1.0) * obj[i].clamp(0.0, 1.0)).sqrt();
            if score < SCORE_THRESHOLD {
                continue;
            }
            let (row, col) = ((i / cols) as f32, (i % cols) as f32);
            let b = &bbox[i * 4..i * 4 + 4];
            let (cx, cy) = ((col + b[0]) * s, (row + b[1]) * s);
            let (w, h) = (b[2].exp() * s, b[3].exp() * s);
            let kp = &kps[i * 10..i * 10 + 10];
            let mut landmarks = [[0.0; 2]; 5];
            for (j, l) in landmarks.iter_mut().enumerate() {
                *l = [(kp[2 * j] + col) * s * to_photo, (kp[2 * j + 1] + row) * s * to_photo];
            }
            found.push(Detection {
                x: (cx - w / 2.0) * to_photo,
                y: (cy - h / 2.0) * to_photo,
                w: w * to_photo,
                h: h * to_photo,
                score,
                landmarks,
            });
        }
    }
    Ok(nms(found))
}

/// Keeps the best of overlapping detections, best first.
fn nms(mut found: Vec<Detection>) -> Vec<Detection> {
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for d in found {
        if kept.iter().all(|k| k.iou(&d) <= NMS_IOU) {
            kept.push(d);
        }
    }
    kept
}

/// Runs the detector on a photo; faces largest first.
pub fn detect(model: &Runnable, img: &RgbImage) -> Result<Vec<Detection>, FaceError> {
    let (input, to_photo) = preprocess(img)?;
    let outputs = model.run(tvec!(input.into())).map_err(FaceError::Inference)?;
    let mut faces = decode(&outputs, to_photo)?;
    faces.sort_by(|a, b| b.area().total_cmp(&a.area()));
    Ok(faces)
}
