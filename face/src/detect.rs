//! Face detection with YuNet: a letterboxed BGR input, three feature strides, scores as
//! sqrt(cls · obj), boxes and five landmarks decoded per anchor, then non-maximum
//! suppression.
//!
//! The photo's longer side is scaled to 640 and the shorter side padded only up to a
//! multiple of 32 (YuNet's coarsest stride), so a 4:3 photo runs on 480×640 rather than
//! 640×640. A photo taller than wide is fed transposed (its columns as the network's rows)
//! to a copy of the network rewritten for transposed images (`onnx::transpose_spatial`):
//! tract's depthwise convolutions vectorise along the longer axis only when that axis is
//! the width, and ran four times slower on portrait inputs. tract optimizes a model for one
//! fixed shape, so [`Detector`] keeps one plan per input shape, built the first time a shape
//! is met (tens of milliseconds).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

use crate::onnx::{self, floats, Runnable};
use crate::FaceError;

/// The detector's longer input side: the photo's longer side is scaled to it.
pub const INPUT: usize = 640;
/// Both input sides are padded up to a multiple of this (the coarsest stride).
const ALIGN: usize = 32;
/// Network input shapes (height, width, transposed) optimized at load: 4:3 photos,
/// landscape and portrait.
const PRELOADED: [(usize, usize, bool); 2] = [(480, 640, false), (480, 640, true)];
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

/// The detector's input for one photo.
#[derive(Debug)]
pub struct Letterbox {
    /// NCHW planes of B, G, R (0..255), zero-padded right and bottom; for a transposed
    /// photo, row `x` of the planes holds column `x` of the photo.
    pub tensor: Tensor,
    /// The photo is taller than wide and was written transposed.
    pub transposed: bool,
    /// From input to photo coordinates.
    pub to_photo: f32,
}

/// The letterboxed input: the photo scaled so that its longer side is 640, each side padded
/// to a multiple of 32, and transposed when it is taller than wide.
pub fn preprocess(img: &RgbImage) -> Result<Letterbox, FaceError> {
    let (w, h) = img.dimensions();
    let scale = INPUT as f32 / w.max(h) as f32;
    let (nw, nh) = (
        ((w as f32 * scale).round() as u32).clamp(1, INPUT as u32),
        ((h as f32 * scale).round() as u32).clamp(1, INPUT as u32),
    );
    let resized = resize(img, nw, nh)?;
    let (width, height) = (nw as usize, nh as usize);
    let transposed = height > width;
    let (rows, cols) = if transposed { (width, height) } else { (height, width) };
    let (padded_rows, padded_cols) = (rows.next_multiple_of(ALIGN), cols.next_multiple_of(ALIGN));
    let plane = padded_rows * padded_cols;
    let mut data = vec![0f32; 3 * plane];
    let pixels = resized.buffer();
    let mut put = |at: usize, p: &[u8]| {
        data[at] = f32::from(p[2]);
        data[plane + at] = f32::from(p[1]);
        data[2 * plane + at] = f32::from(p[0]);
    };
    if transposed {
        // In 16×16 tiles, so that the writes down the columns stay in cache.
        for y0 in (0..height).step_by(16) {
            for x0 in (0..width).step_by(16) {
                for y in y0..(y0 + 16).min(height) {
                    for x in x0..(x0 + 16).min(width) {
                        put(x * padded_cols + y, &pixels[(y * width + x) * 3..]);
                    }
                }
            }
        }
    } else {
        for (y, row) in pixels.chunks_exact(width * 3).enumerate() {
            for (x, p) in row.chunks_exact(3).enumerate() {
                put(y * padded_cols + x, p);
            }
        }
    }
    let tensor = tract_ndarray::Array4::from_shape_vec((1, 3, padded_rows, padded_cols), data)
        .map_err(|e| FaceError::Inference(TractError::new(e)))?
        .into_tensor();
    Ok(Letterbox { tensor, transposed, to_photo: 1.0 / scale })
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

/// Decodes the twelve outputs of an input `width` wide into detections in input
/// coordinates, then maps them to the photo. The network rewritten for transposed inputs
/// gives the transposed feature maps, so only an anchor's row and column swap: its box
/// and landmark offsets are along the photo's own x and y.
fn decode(outputs: &[TValue], width: usize, transposed: bool, to_photo: f32) -> Result<Vec<Detection>, FaceError> {
    let view = |i: usize| {
        outputs.get(i).ok_or_else(|| FaceError::Model { file: "yunet".into(), problem: format!("missing output {i}") })
    };
    let mut found = Vec::new();
    for (k, stride) in STRIDES.iter().enumerate() {
        let cls = floats(view(k)?)?;
        let obj = floats(view(3 + k)?)?;
        let bbox = floats(view(6 + k)?)?;
        let kps = floats(view(9 + k)?)?;
        let cols = width / stride;
        let s = *stride as f32;
        for i in 0..cls.len().min(obj.len()) {
            let score = (cls[i].clamp(0.0, 1.0) * obj[i].clamp(0.0, 1.0)).sqrt();
            if score < SCORE_THRESHOLD {
                continue;
            }
            let (row, col) = if transposed { (i % cols, i / cols) } else { (i / cols, i % cols) };
            let (row, col) = (row as f32, col as f32);
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

/// YuNet, with one optimized plan per input shape; `Send + Sync`.
#[derive(Debug)]
pub struct Detector {
    path: PathBuf,
    /// The network, and its copy for transposed inputs.
    protos: [ModelProto; 2],
    plans: Mutex<HashMap<(usize, usize, bool), Runnable>>,
}

impl Detector {
    /// Reads and rewrites the model file, and optimizes it for the most common shapes.
    pub fn load(path: &Path) -> Result<Self, FaceError> {
        let proto = onnx::prepare(path)?;
        let mut transposed = proto.clone();
        transposed
            .graph
            .as_mut()
            .map_or(Err("no graph".to_owned()), onnx::transpose_spatial)
            .map_err(|problem| FaceError::Model { file: path.display().to_string(), problem })?;
        let detector = Self { path: path.to_owned(), protos: [proto, transposed], plans: Mutex::default() };
        for (height, width, transposed) in PRELOADED {
            detector.plan(height, width, transposed)?;
        }
        Ok(detector)
    }

    /// The plan for one input shape, optimized on first use. Two threads meeting a new
    /// shape at once may both build it; one plan is kept.
    fn plan(&self, height: usize, width: usize, transposed: bool) -> Result<Runnable, FaceError> {
        let plans = || self.plans.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (height, width, transposed);
        if let Some(plan) = plans().get(&key) {
            return Ok(plan.clone());
        }
        let proto = &self.protos[usize::from(transposed)];
        let plan = onnx::optimize(&self.path, proto, [1, 3, height, width], &OUTPUTS)?;
        Ok(plans().entry(key).or_insert(plan).clone())
    }

    /// Faces in a photo, largest first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        let Letterbox { tensor, transposed, to_photo } = preprocess(img)?;
        let (height, width) = (tensor.shape()[2], tensor.shape()[3]);
        let plan = self.plan(height, width, transposed)?;
        let outputs = plan.run(tvec!(tensor.into())).map_err(FaceError::Inference)?;
        let mut faces = decode(&outputs, width, transposed, to_photo)?;
        faces.sort_by(|a, b| b.area().total_cmp(&a.area()));
        Ok(faces)
    }
}
