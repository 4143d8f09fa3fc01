//! The rules on synthetic frames: landmarks from the pose tests' 3D faces, embeddings drawn
//! around a per-person direction, fingerprints drawn at random.

use super::*;
use crate::pose::tests::{another_face, landmarks};
use Movement::*;

/// A small deterministic generator (SplitMix64).
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

fn normalised(v: Vec<f32>) -> Embedding {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    Embedding(v.into_iter().map(|x| x / n).collect())
}

/// A capture of person `who`: the person's direction plus a little noise (cosine about 0.9
/// between two captures; about 0 between people).
fn embedding(who: u64, capture: u64) -> Embedding {
    let mut person = Draw(who);
    let mut noise = Draw(who * 1000 + capture + 7);
    normalised((0..Embedding::LEN).map(|_| person.unit() + 0.3 * noise.unit()).collect())
}

fn frame(step: usize, yaw: f32, pitch: f32, capture: u64) -> Frame {
    let pose = HeadPose { yaw, pitch };
    Frame {
        step,
        landmarks: landmarks(&another_face(), pose, 5.0, 8.0, 120.0, [320.0, 240.0]),
        embedding: embedding(1, capture),
        fingerprint: Draw(capture).next(),
    }
}

/// Turn left, look up, turn right, done properly with two frames a step.
fn genuine() -> (Vec<Movement>, Vec<Frame>) {
    let frames = vec![
        frame(0, 12.0, 1.0, 1),
        frame(0, 26.0, 2.0, 2),
        frame(1, 3.0, 17.0, 3),
        frame(1, 1.0, 6.0, 4),
        frame(2, -14.0, 0.0, 5),
        frame(2, -27.0, -1.0, 6),
    ];
    (vec![TurnLeft, LookUp, TurnRight], frames)
}

fn failures(steps: &[Movement], frames: &[Frame]) -> Vec<Failure> {
    judge(steps, frames, &LivenessLimits::default()).failures
}

#[test]
fn a_genuine_sequence_passes() {
    let (steps, frames) = genuine();
    let v = judge(&steps, &frames, &LivenessLimits::default());
    assert!(v.passed, "{v:#?}");
    assert_eq!(v.shown_by, vec![Some(1), Some(2), Some(5)]);
    assert!(v.min_similarity.is_some_and(|s| s > 0.8), "{v:?}");
    assert!(v.min_fingerprint_distance.is_some_and(|d| d > 10));
    assert_eq!(v.poses.len(), 6);
    assert!(v.pitch_baseline.abs() < 4.0, "{v:?}");
}

#[test]
fn movements_are_measured_from_the_sessions_own_baseline() {
    // The phone held low, or a nose set high: every frame looks up 14° more.
    let (steps, mut frames) = genuine();
    for (f, capture) in frames.iter_mut().zip(1..) {
        let p = pose::estimate(&f.landmarks).unwrap();
        *f = frame(f.step, p.yaw, p.pitch + 14.0, capture);
    }
    let v = judge(&steps, &frames, &LivenessLimits::default());
    assert!(v.passed, "{v:#?}");
    assert!((v.pitch_baseline - 14.0).abs() < 5.0, "{v:?}");
    // Looking down is measured the same way.
    let frames = vec![frame(0, -10.0, 12.0, 1), frame(0, -25.0, 12.0, 2), frame(1, 0.0, -1.0, 3)];
    assert_eq!(failures(&[TurnRight, LookDown], &frames), vec![]);
}

#[test]
fn a_movement_in_the_wrong_direction_or_too_small_is_not_seen() {
    let (steps, mut frames) = genuine();
    frames[1] = frame(0, -26.0, 2.0, 2); // turned right instead
    frames[0] = frame(0, 10.0, 0.0, 1); // and only 10° to the left before
    let f = failures(&steps, &frames);
    assert!(
        matches!(f.as_slice(), [Failure::MovementNotSeen { step: 0, movement: TurnLeft, best: Some(p) }] if p.yaw < 15.0),
        "{f:?}"
    );
    assert!(f[0].message_zh().contains("向左转头"));
}

#[test]
fn frames_sent_out_of_order_fail() {
    let (steps, mut frames) = genuine();
    frames.swap(1, 4);
    assert_eq!(failures(&steps, &frames), vec![Failure::WrongOrder { frame: 2 }]);
}

#[test]
fn movements_made_in_another_order_are_not_seen() {
    // A recording of left, up, right played for the challenge right, left, up.
    let (_, frames) = genuine();
    let f = failures(&[TurnRight, TurnLeft, LookUp], &frames);
    let missed: Vec<usize> = f
        .iter()
        .filter_map(|x| if let Failure::MovementNotSeen { step, .. } = x { Some(*step) } else { None })
        .collect();
    assert_eq!(missed, vec![0, 1, 2], "{f:?}");
}

#[test]
fn missing_unknown_and_surplus_steps_fail() {
    let (steps, frames) = genuine();
    let f = failures(&steps, &frames[..4]);
    assert_eq!(f, vec![Failure::MissingStep { step: 2 }]);
    let mut extra = frames.clone();
    extra.push(frame(7, 0.0, 0.0, 9));
    assert!(failures(&steps, &extra).contains(&Failure::UnknownStep { frame: 6, step: 7 }));
    let mut many = frames.clone();
    many.splice(2..2, (10..13).map(|c| frame(0, 20.0 + c as f32, 0.0, c)));
    assert_eq!(failures(&steps, &many), vec![Failure::TooManyFrames { step: 0, count: 5 }]);
    assert_eq!(failures(&steps, &[]).len(), 3);
    // Far more frames than the challenge allows: only the counts are judged.
    let flood: Vec<Frame> = (0..5000).map(|i| Frame { step: 0, ..frames[0].clone() }.clone_with(i)).collect();
    let v = judge(&steps, &flood, &LivenessLimits::default());
    assert!(!v.passed && v.min_similarity.is_none());
    assert!(v.failures.contains(&Failure::TooManyFrames { step: 0, count: 5000 }));
}

impl Frame {
    fn clone_with(mut self, capture: u64) -> Frame {
        self.fingerprint = capture;
        self
    }
}

#[test]
fn a_challenge_breaking_the_rules_is_refused() {
    let (_, frames) = genuine();
    assert_eq!(failures(&[], &frames), vec![Failure::BadChallenge]);
    assert_eq!(failures(&[TurnLeft; 9], &frames), vec![Failure::BadChallenge]);
    assert_eq!(failures(&[TurnLeft, LookUp, TurnLeft], &frames), vec![Failure::BadChallenge]);
    assert_eq!(failures(&[TurnLeft, TurnRight], &frames), vec![Failure::BadChallenge]);
}

#[test]
fn one_photo_replayed_for_every_step_fails() {
    let (steps, _) = genuine();
    let photo = frame(0, 4.0, 2.0, 42);
    let frames: Vec<Frame> = (0..3).map(|step| Frame { step, ..photo.clone() }).collect();
    let f = failures(&steps, &frames);
    assert_eq!(f.iter().filter(|x| matches!(x, Failure::MovementNotSeen { .. })).count(), 3, "{f:?}");
    assert_eq!(f.iter().filter(|x| matches!(x, Failure::Duplicate { .. })).count(), 3, "{f:?}");
}

#[test]
fn a_re_encoded_photo_showing_two_movements_cannot_serve_both_steps() {
    // Turned left and looking up at once: the same picture, slightly re-encoded (a few
    // bits and a fraction of a degree off), would show both steps.
    let steps = [TurnLeft, LookUp, TurnRight];
    let photo = frame(0, 24.0, 16.0, 42);
    let mut copy = Frame { step: 1, ..photo.clone() };
    copy.fingerprint ^= 0b1011;
    copy.landmarks[2][0] += 0.3;
    let frames = vec![photo, copy, frame(1, 0.0, 0.0, 1), frame(2, -24.0, -1.0, 3), frame(2, -20.0, -1.0, 4)];
    assert_eq!(failures(&steps, &frames), vec![Failure::Duplicate { a: 0, b: 1 }]);
    // Without the copy, the picture shows its one step.
    let mut frames = frames;
    frames[1] = frame(1, 2.0, 18.0, 5);
    assert_eq!(failures(&steps, &frames), vec![]);
}

#[test]
fn holding_still_within_a_step_is_not_a_replay_but_the_same_frame_twice_is() {
    let (steps, mut frames) = genuine();
    // Near-identical frames within a step: a worker holding the pose.
    frames[0] = Frame { fingerprint: frames[1].fingerprint ^ 1, ..frames[1].clone() };
    frames[0].landmarks[0][0] += 0.2;
    assert_eq!(failures(&steps, &frames), vec![]);
    frames[0] = frames[1].clone();
    assert_eq!(failures(&steps, &frames), vec![Failure::Duplicate { a: 0, b: 1 }]);
}

#[test]
fn frames_of_two_people_fail_with_the_least_similar_pair() {
    let (steps, mut frames) = genuine();
    frames[3].embedding = embedding(2, 4);
    frames[5].embedding = embedding(2, 6);
    let v = judge(&steps, &frames, &LivenessLimits::default());
    assert!(!v.passed);
    let similarity = v.min_similarity.unwrap();
    assert!(similarity < 0.3, "{v:?}");
    match v.failures.as_slice() {
        [Failure::DifferentPeople { a, b, similarity: s }] => {
            assert!([3, 5].contains(a) != [3, 5].contains(b), "{v:?}");
            assert_eq!(*s, similarity);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_landmarks_and_embeddings_fail_without_panicking() {
    let (steps, mut frames) = genuine();
    frames[2].landmarks = [[f32::NAN; 2]; 5];
    frames[3].landmarks = [[1.0, 1.0]; 5];
    frames[4].embedding = Embedding(vec![0.5; 3]);
    frames[5].embedding = Embedding(vec![f32::NAN; Embedding::LEN]);
    let v = judge(&steps, &frames, &LivenessLimits::default());
    assert_eq!(v.poses[2], None);
    for expected in [
        Failure::BadLandmarks { frame: 2 },
        Failure::BadLandmarks { frame: 3 },
        Failure::BadEmbedding { frame: 4 },
        Failure::BadEmbedding { frame: 5 },
    ] {
        assert!(v.failures.contains(&expected), "{expected:?} in {v:#?}");
    }
    assert!(v.failures.iter().any(|f| matches!(f, Failure::MovementNotSeen { step: 1, best: None, .. })));
}

#[test]
fn every_failure_has_a_code_and_a_message() {
    let all = [
        Failure::BadChallenge,
        Failure::UnknownStep { frame: 0, step: 9 },
        Failure::WrongOrder { frame: 1 },
        Failure::MissingStep { step: 0 },
        Failure::TooManyFrames { step: 0, count: 9 },
        Failure::BadLandmarks { frame: 0 },
        Failure::BadEmbedding { frame: 0 },
        Failure::MovementNotSeen { step: 1, movement: LookDown, best: None },
        Failure::DifferentPeople { a: 0, b: 1, similarity: 0.1 },
        Failure::Duplicate { a: 0, b: 1 },
    ];
    let codes: std::collections::HashSet<_> = all.iter().map(Failure::code).collect();
    assert_eq!(codes.len(), all.len());
    for f in &all {
        assert!(!f.message_zh().is_empty() && !f.to_string().is_empty());
    }
    assert!(all[7].message_zh().contains("第2步") && all[7].message_zh().contains("低头"));
}
