//! The verdict on one liveness attempt: the rules, each failure named for the worker.

use std::fmt;

use super::{hamming, is_valid, Movement};
use crate::align::Similarity;
use crate::pose::{self, HeadPose};
use crate::Embedding;

/// What the engine gave for one frame the phone sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The index in the challenge of the step this frame was captured for.
    pub step: usize,
    /// YuNet's five landmarks of the face used, in the frame's pixels.
    pub landmarks: [[f32; 2]; 5],
    /// The face's embedding.
    pub embedding: Embedding,
    /// [`super::fingerprint`] of the aligned face.
    pub fingerprint: u64,
}

/// The thresholds. The defaults were measured with the `poses` example on the 50 shared
/// photos, their mirror images and their replays (JPEG q40; 90% size at q85):
/// YuNet's landmarks on a photo and on its mirror image disagree by about 3.5° (one
/// standard deviation) in yaw and in pitch; a replay moves the pose by 0.5° (median), 5.6°
/// (p99), 7.2° (max) and the fingerprint by 1, 5 and 9 bits; two different photos of one
/// person differ by 6 bits at least (8 at p1); cosine similarity between two photos of one
/// person is 0.42 at least (0.60 at least 20–40° of pose apart; 0.93 at least between a
/// photo and its mirror image), between two people 0.41 at most (0.34 at p99).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LivenessLimits {
    /// At most this many frames per step.
    pub max_frames_per_step: usize,
    /// A turn is seen when a frame's yaw is at least this many degrees in the asked
    /// direction. 15°: beyond what landmark noise gives a still head (3σ per frame) and
    /// well within the quality gate, which refuses turns from about 33° (its `max_yaw`).
    pub min_turn: f32,
    /// A nod is seen when a frame's pitch differs from the pitch baseline, the median pitch
    /// of the turn steps' frames (0 when there is no turn step), by this many degrees. 10°:
    /// twice the noise of a difference of two frames, an easy nod for a worker, and more
    /// than YuNet reads into a printed photo tilted about its horizontal axis (5°).
    pub min_nod: f32,
    /// Every two frames must have at least this cosine similarity. 0.55: well above two
    /// people (0.41 at most), below one person's photos taken on other days and 20° apart
    /// (0.60 at least); frames of one session, seconds apart, are more alike still.
    pub same_person: f32,
    /// Two frames of different steps are one picture sent twice when their fingerprints
    /// differ in this many bits or fewer and their poses by at most `duplicate_pose`.
    /// 8 bits and 8°: all but one of the 200 replays measured.
    pub duplicate_bits: u32,
    /// Degrees, in yaw and in pitch; see `duplicate_bits`.
    pub duplicate_pose: f32,
}

impl Default for LivenessLimits {
    fn default() -> Self {
        Self {
            max_frames_per_step: 4,
            min_turn: 15.0,
            min_nod: 10.0,
            same_person: 0.55,
            duplicate_bits: 8,
            duplicate_pose: 8.0,
        }
    }
}

/// One reason an attempt failed. Frames and steps are 0-based indices.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The challenge breaks [`super::challenge`]'s rules (see [`super::is_valid`]): the
    /// server's own mistake.
    BadChallenge,
    /// A frame names a step the challenge does not have.
    UnknownStep { frame: usize, step: usize },
    /// A frame comes after a frame of a later step.
    WrongOrder { frame: usize },
    /// No frame for this step.
    MissingStep { step: usize },
    /// More frames for this step than allowed.
    TooManyFrames { step: usize, count: usize },
    /// The frame's landmarks give no head pose.
    BadLandmarks { frame: usize },
    /// The frame's embedding is not a normalised one of [`Embedding::LEN`] values.
    BadEmbedding { frame: usize },
    /// No frame of the step shows its movement; `best` is the pose of the frame that came
    /// closest, if any frame had a pose.
    MovementNotSeen { step: usize, movement: Movement, best: Option<HeadPose> },
    /// The two least similar frames are not of the same person.
    DifferentPeople { a: usize, b: usize, similarity: f32 },
    /// Two frames are one picture sent twice (see [`judge`]'s rule 5).
    Duplicate { a: usize, b: usize },
}

impl Failure {
    /// A stable snake_case code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::BadChallenge => "bad_challenge",
            Failure::UnknownStep { .. } => "unknown_step",
            Failure::WrongOrder { .. } => "wrong_order",
            Failure::MissingStep { .. } => "missing_step",
            Failure::TooManyFrames { .. } => "too_many_frames",
            Failure::BadLandmarks { .. } => "bad_landmarks",
            Failure::BadEmbedding { .. } => "bad_embedding",
            Failure::MovementNotSeen { .. } => "movement_not_seen",
            Failure::DifferentPeople { .. } => "different_people",
            Failure::Duplicate { .. } => "duplicate_frames",
        }
    }

    /// A message a worker can act on, in Chinese (steps counted from 1).
    pub fn message_zh(&self) -> String {
        match self {
            Failure::BadChallenge => "活体检测题目无效，请重新开始".into(),
            Failure::UnknownStep { .. } | Failure::WrongOrder { .. } | Failure::MissingStep { .. } => {
                "照片与动作步骤不对应，请按提示顺序重新完成动作".into()
            }
            Failure::TooManyFrames { .. } => "上传的照片过多，请重新开始".into(),
            Failure::BadLandmarks { .. } | Failure::BadEmbedding { .. } => "有照片未能识别人脸，请重新开始".into(),
            Failure::MovementNotSeen { step, movement, .. } => {
                format!("第{}步未检测到“{}”，请按提示做动作，幅度大一些", step + 1, movement.label_zh())
            }
            Failure::DifferentPeople { .. } => "照片中不是同一个人".into(),
            Failure::Duplicate { .. } => "检测到重复的照片，请本人实时完成动作".into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::BadChallenge => write!(f, "the challenge breaks the rules for challenges"),
            Failure::UnknownStep { frame, step } => write!(f, "frame {frame} names step {step}, which does not exist"),
            Failure::WrongOrder { frame } => write!(f, "frame {frame} comes after a frame of a later step"),
            Failure::MissingStep { step } => write!(f, "no frame for step {step}"),
            Failure::TooManyFrames { step, count } => write!(f, "{count} frames for step {step}"),
            Failure::BadLandmarks { frame } => write!(f, "frame {frame} has landmarks that give no head pose"),
            Failure::BadEmbedding { frame } => write!(f, "frame {frame} has an invalid embedding"),
            Failure::MovementNotSeen { step, movement, best } => {
                write!(f, "step {step}: {movement} not seen (closest pose: {best:?})")
            }
            Failure::DifferentPeople { a, b, similarity } => {
                write!(f, "frames {a} and {b} are not the same person (similarity {similarity:.3})")
            }
            Failure::Duplicate { a, b } => write!(f, "frames {a} and {b} are the same picture"),
        }
    }
}

/// The outcome, with what was measured so it can be logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// True when there is no failure.
    pub passed: bool,
    pub failures: Vec<Failure>,
    /// Each frame's head pose, if its landmarks give one.
    pub poses: Vec<Option<HeadPose>>,
    /// The pitch that nods were measured from, in degrees.
    pub pitch_baseline: f32,
    /// For each step, the frame that showed its movement.
    pub shown_by: Vec<Option<usize>>,
    /// The lowest cosine similarity between two frames (`None` with fewer than two frames).
    pub min_similarity: Option<f32>,
    /// The fewest bits in which fingerprints of two frames of different steps differ.
    pub min_fingerprint_distance: Option<u32>,
}

/// Judges one attempt at `steps` with the `frames` the phone sent, in the order sent.
///
/// The rules, each giving its own [`Failure`]:
/// 0. the challenge itself meets [`super::challenge`]'s rules;
/// 1. frames come in step order (non-decreasing step index), every step has at least one
///    frame and at most `max_frames_per_step`;
/// 2. every frame's landmarks give a head pose and its embedding is valid;
/// 3. each step has a frame whose pose shows its movement: a turn is yaw beyond `min_turn`
///    in the asked direction, a nod is pitch beyond `min_nod` from the pitch baseline, the
///    turn steps' median pitch. The baseline absorbs how high the phone is held and the
///    person's own proportions, which shift pitch by several degrees (see [`crate::pose`]);
///    yaw needs none, as faces are symmetric and a worker faces the screen;
/// 4. every two frames are the same person (cosine ≥ `same_person`);
/// 5. no two frames are the same picture: frames of different steps whose fingerprints
///    are within `duplicate_bits` and whose poses are within `duplicate_pose` (a re-encoded
///    or rescaled copy moves both a little; two steps ask for different movements, so their
///    frames should differ), or any two frames with identical fingerprints and landmarks.
///    Within a step only identical evidence counts: a worker holding still gives frames as
///    alike as a re-encoded copy, at this fingerprint's resolution.
///
/// When the frames are more than the challenge allows, only rule 1 is judged, so the cost
/// stays bounded whatever the phone sends.
pub fn judge(steps: &[Movement], frames: &[Frame], limits: &LivenessLimits) -> Verdict {
    let poses: Vec<Option<HeadPose>> = frames.iter().map(|f| pose::estimate(&f.landmarks)).collect();
    let mut verdict = Verdict {
        passed: false,
        failures: Vec::new(),
        poses,
        pitch_baseline: 0.0,
        shown_by: vec![None; steps.len()],
        min_similarity: None,
        min_fingerprint_distance: None,
    };
    if !is_valid(steps) {
        verdict.failures.push(Failure::BadChallenge);
        return verdict;
    }
    check_order(steps, frames, limits, &mut verdict.failures);
    if frames.len() > steps.len() * limits.max_frames_per_step {
        return verdict;
    }
    for (i, frame) in frames.iter().enumerate() {
        if verdict.poses.get(i).is_some_and(Option::is_none) {
            verdict.failures.push(Failure::BadLandmarks { frame: i });
        }
        if !is_normalised(&frame.embedding) {
            verdict.failures.push(Failure::BadEmbedding { frame: i });
        }
    }
    check_movements(steps, frames, limits, &mut verdict);
    check_same_person(frames, limits, &mut verdict);
    check_duplicates(frames, limits, &mut verdict);
    verdict.passed = verdict.failures.is_empty();
    verdict
}

fn check_order(steps: &[Movement], frames: &[Frame], limits: &LivenessLimits, failures: &mut Vec<Failure>) {
    let mut counts = vec![0usize; steps.len()];
    let mut latest = 0;
    let mut out_of_order = false;
    for (i, frame) in frames.iter().enumerate() {
        match counts.get_mut(frame.step) {
            Some(count) => *count += 1,
            None => {
                failures.push(Failure::UnknownStep { frame: i, step: frame.step });
                continue;
            }
        }
        if frame.step < latest && !out_of_order {
            failures.push(Failure::WrongOrder { frame: i });
            out_of_order = true;
        }
        latest = latest.max(frame.step);
    }
    for (step, &count) in counts.iter().enumerate() {
        if count == 0 {
            failures.push(Failure::MissingStep { step });
        } else if count > limits.max_frames_per_step {
            failures.push(Failure::TooManyFrames { step, count });
        }
    }
}

fn is_normalised(e: &Embedding) -> bool {
    let norm2: f32 = e.0.iter().map(|v| v * v).sum();
    e.0.len() == Embedding::LEN && norm2.is_finite() && (norm2 - 1.0).abs() < 1e-3
}

fn median(mut values: Vec<f32>) -> Option<f32> {
    values.sort_by(f32::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => values.get(n / 2).copied(),
        _ => Some((values.get(n / 2 - 1)? + values.get(n / 2)?) / 2.0),
    }
}

/// How far `pose` goes in `movement`'s direction, in degrees.
fn progress(movement: Movement, pose: HeadPose, pitch_baseline: f32) -> f32 {
    match movement {
        Movement::TurnLeft => pose.yaw,
        Movement::TurnRight => -pose.yaw,
        Movement::LookUp => pose.pitch - pitch_baseline,
        Movement::LookDown => pitch_baseline - pose.pitch,
    }
}

fn check_movements(steps: &[Movement], frames: &[Frame], limits: &LivenessLimits, verdict: &mut Verdict) {
    let posed = || {
        frames.iter().zip(&verdict.poses).enumerate().filter_map(|(i, (f, p))| Some((i, *steps.get(f.step)?, (*p)?)))
    };
    let baseline = median(posed().filter(|(_, m, _)| m.is_turn()).map(|(_, _, p)| p.pitch).collect()).unwrap_or(0.0);
    verdict.pitch_baseline = baseline;
    for (step, &movement) in steps.iter().enumerate() {
        let best = posed()
            .filter(|(i, _, _)| frames.get(*i).is_some_and(|f| f.step == step))
            .map(|(i, _, p)| (i, p, progress(movement, p, baseline)))
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let threshold = if movement.is_turn() { limits.min_turn } else { limits.min_nod };
        match best {
            Some((i, _, amount)) if amount >= threshold => {
                if let Some(s) = verdict.shown_by.get_mut(step) {
                    *s = Some(i);
                }
            }
            // A step without frames is already a MissingStep.
            _ if !frames.iter().any(|f| f.step == step) => {}
            _ => verdict.failures.push(Failure::MovementNotSeen { step, movement, best: best.map(|b| b.1) }),
        }
    }
}

fn check_same_person(frames: &[Frame], limits: &LivenessLimits, verdict: &mut Verdict) {
    let mut worst: Option<(usize, usize, f32)> = None;
    for (a, fa) in frames.iter().enumerate() {
        for (b, fb) in frames.iter().enumerate().skip(a + 1) {
            if !(is_normalised(&fa.embedding) && is_normalised(&fb.embedding)) {
                continue;
            }
            let s = fa.embedding.cosine(&fb.embedding);
            if worst.is_none_or(|w| s < w.2) {
                worst = Some((a, b, s));
            }
        }
    }
    verdict.min_similarity = worst.map(|w| w.2);
    if let Some((a, b, similarity)) = worst.filter(|w| w.2 < limits.same_person) {
        verdict.failures.push(Failure::DifferentPeople { a, b, similarity });
    }
}

/// Landmarks this close (see [`landmark_distance`]) come from identical pixels: any new
/// capture, even of a still head, moves YuNet's landmarks by more.
const IDENTICAL_LANDMARKS: f32 = 1e-5;

/// Root-mean-square distance between `a` mapped onto `b` by the best similarity transform
/// and `b`, in `b`'s inter-eye distances (infinite when `b` has no eye distance).
fn landmark_distance(a: &[[f32; 2]; 5], b: &[[f32; 2]; 5]) -> f32 {
    let t = Similarity::estimate(a, b);
    let sq: f32 = a
        .iter()
        .zip(b)
        .map(|(p, q)| {
            let m = t.apply(*p);
            (m[0] - q[0]).powi(2) + (m[1] - q[1]).powi(2)
        })
        .sum();
    let eyes = (b[1][0] - b[0][0]).hypot(b[1][1] - b[0][1]);
    if eyes > 0.0 {
        (sq / 5.0).sqrt() / eyes
    } else {
        f32::INFINITY
    }
}

fn check_duplicates(frames: &[Frame], limits: &LivenessLimits, verdict: &mut Verdict) {
    for (a, fa) in frames.iter().enumerate() {
        for (b, fb) in frames.iter().enumerate().skip(a + 1) {
            let bits = hamming(fa.fingerprint, fb.fingerprint);
            let identical = bits == 0 && landmark_distance(&fa.landmarks, &fb.landmarks) <= IDENTICAL_LANDMARKS;
            let replayed = fa.step != fb.step && bits <= limits.duplicate_bits && {
                match (verdict.poses.get(a).copied().flatten(), verdict.poses.get(b).copied().flatten()) {
                    (Some(p), Some(q)) => {
                        (p.yaw - q.yaw).abs() <= limits.duplicate_pose
                            && (p.pitch - q.pitch).abs() <= limits.duplicate_pose
                    }
                    _ => false,
                }
            };
            if fa.step != fb.step {
                let d = verdict.min_fingerprint_distance.get_or_insert(bits);
                *d = (*d).min(bits);
            }
            if identical || replayed {
                verdict.failures.push(Failure::Duplicate { a, b });
            }
        }
    }
}

#[cfg(test)]
mod tests;
