//! Active liveness (活体检测), as pure logic: the server draws a short random sequence of
//! head movements ([`challenge`]), the phone sends a few frames per step, and [`judge`]
//! decides from each frame's landmarks, embedding and picture fingerprint whether the head
//! followed the sequence in order, whether every frame shows the same person, and whether
//! the frames are distinct captures. No HTTP, no database, no clock: the caller stores the
//! challenge with its expiry, runs the engine on each frame (with the quality gates, which
//! refuse turns beyond about 33°), and matches the frames against the enrolled template
//! itself.
//!
//! What it cannot tell, measured on the shared photos (`face/tests/liveness.rs`): a photo
//! turned one way and its mirror image show both turns; YuNet reads a printed photo tilted
//! close to the camera as a turned head (though not as a nod); a video of the worker
//! following the instructions is a video of the worker. Every challenge of two steps or
//! more therefore includes a nod, and three steps (the default) need three different
//! pictures of the same person in poses that fit. A passive check of the picture itself
//! (screen moiré, paper texture) is the next defence, not this module's.

mod fingerprint;
mod judge;

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

pub use fingerprint::{fingerprint, hamming};
pub use judge::{judge, Failure, Frame, LivenessLimits, Verdict};

/// One head movement the subject is asked to make. Directions are the subject's own:
/// [`Movement::TurnLeft`] is a turn to their left, whatever the preview shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Movement {
    TurnLeft,
    TurnRight,
    LookUp,
    LookDown,
}

impl Movement {
    pub const ALL: [Movement; 4] = [Movement::TurnLeft, Movement::TurnRight, Movement::LookUp, Movement::LookDown];

    /// The stable snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::TurnLeft => "turn_left",
            Movement::TurnRight => "turn_right",
            Movement::LookUp => "look_up",
            Movement::LookDown => "look_down",
        }
    }

    /// The instruction shown to the worker.
    pub fn label_zh(self) -> &'static str {
        match self {
            Movement::TurnLeft => "向左转头",
            Movement::TurnRight => "向右转头",
            Movement::LookUp => "抬头",
            Movement::LookDown => "低头",
        }
    }

    /// Whether the movement is a turn (yaw) rather than a nod (pitch).
    pub fn is_turn(self) -> bool {
        matches!(self, Movement::TurnLeft | Movement::TurnRight)
    }
}

impl fmt::Display for Movement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`Movement::as_str`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown head movement {0:?}")]
pub struct UnknownMovement(pub String);

impl FromStr for Movement {
    type Err = UnknownMovement;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Movement::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| UnknownMovement(s.to_owned()))
    }
}

/// The default number of steps in a challenge.
pub const DEFAULT_STEPS: usize = 3;
/// The most steps a challenge may have (each movement at most once); [`challenge`] clamps
/// its length to `1..=MAX_STEPS`.
pub const MAX_STEPS: usize = 4;

/// Bytes drawn from SHA-256 of the seed and a counter.
struct Stream<'a> {
    seed: &'a [u8],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Stream<'_> {
    fn byte(&mut self) -> u8 {
        if self.used >= self.block.len() {
            self.block =
                Sha256::new().chain_update(self.seed).chain_update(self.counter.to_le_bytes()).finalize().into();
            self.counter += 1;
            self.used = 0;
        }
        let b = self.block.get(self.used).copied().unwrap_or(0);
        self.used += 1;
        b
    }

    /// Uniform in `0..n` (1 ≤ n ≤ 256), by rejecting the bytes that would bias it.
    fn below(&mut self, n: usize) -> usize {
        let n = n.clamp(1, 256);
        let limit = 256 - 256 % n;
        loop {
            let b = usize::from(self.byte());
            if b < limit {
                return b % n;
            }
        }
    }
}

/// A challenge of `len` steps (clamped to `1..=MAX_STEPS`), drawn deterministically from
/// `seed`: give it at least 16 random bytes from a CSPRNG (`rand::random::<[u8; 32]>()`), and
/// store the sequence (or the seed) with the challenge's expiry.
///
/// The sequence is uniform among those that
/// - use each movement at most once, so any two steps ask for different poses: one picture
///   cannot honestly serve two steps, which is what lets [`judge`] call two nearly identical
///   frames of different steps a replay;
/// - contain at least one turn, the movement measured most reliably, and whose frames give
///   the baseline that nods are measured against;
/// - contain at least one nod when `len ≥ 2`. Turns alone are the easiest to fake: a photo
///   turned one way and its mirror image show both turns, and YuNet reads a printed photo
///   tilted close to the camera as a turned head; neither shows a nod.
///
/// The default 3 steps give 24 possible sequences; 2 steps give 8, 4 steps 24. Use at
/// least 2; 1 step (a turn) proves little.
pub fn challenge(seed: &[u8], len: usize) -> Vec<Movement> {
    let len = len.clamp(1, MAX_STEPS);
    let mut stream = Stream { seed, counter: 0, block: [0; 32], used: 32 };
    // At least a third of all draws are valid: 128 tries fail with probability below 2^-70.
    for _ in 0..128 {
        // A Fisher–Yates shuffle, cut short at `len`.
        let mut all = Movement::ALL;
        for i in 0..len {
            let j = i + stream.below(all.len() - i);
            all.swap(i, j);
        }
        let steps: Vec<Movement> = all.into_iter().take(len).collect();
        if is_valid(&steps) {
            return steps;
        }
    }
    // Unreachable in practice; still a valid challenge.
    [Movement::TurnLeft, Movement::LookUp, Movement::TurnRight, Movement::LookDown].into_iter().take(len).collect()
}

/// Whether `steps` meets [`challenge`]'s rules (for challenges stored or built elsewhere).
pub fn is_valid(steps: &[Movement]) -> bool {
    let distinct = steps.iter().enumerate().all(|(i, m)| !steps.iter().skip(i + 1).any(|n| n == m));
    let turns = steps.iter().filter(|m| m.is_turn()).count();
    !steps.is_empty() && steps.len() <= MAX_STEPS && distinct && turns >= 1 && (steps.len() == 1 || turns < steps.len())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn movements_round_trip_through_their_names() {
        for m in Movement::ALL {
            assert_eq!(m.as_str().parse::<Movement>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
            assert!(!m.label_zh().is_empty());
        }
        assert_eq!("turn_up".parse::<Movement>(), Err(UnknownMovement("turn_up".into())));
        assert!("".parse::<Movement>().is_err());
    }

    #[test]
    fn challenges_follow_the_rules_and_cover_every_valid_sequence() {
        for (len, count) in [(1, 2), (2, 8), (3, 24), (4, 24)] {
            let mut seen = HashSet::new();
            for i in 0u32..1500 {
                let steps = challenge(&i.to_le_bytes(), len);
                assert_eq!(steps.len(), len);
                assert!(is_valid(&steps), "{steps:?}");
                seen.insert(steps);
            }
            assert_eq!(seen.len(), count, "length {len}");
        }
        assert_eq!(challenge(b"x", 0).len(), 1);
        assert_eq!(challenge(b"x", 100).len(), MAX_STEPS);
        assert_eq!(challenge(b"x", DEFAULT_STEPS).len(), 3);
    }

    #[test]
    fn every_movement_is_about_equally_likely_at_every_step() {
        let mut counts = [[0u32; 4]; 3];
        for i in 0u32..6000 {
            for (step, m) in challenge(&i.to_le_bytes(), 3).into_iter().enumerate() {
                if let (Some(row), Some(k)) = (counts.get_mut(step), Movement::ALL.iter().position(|n| *n == m)) {
                    row[k] += 1;
                }
            }
        }
        // Uniform over the 24 sequences: each movement at each step in 6 of them.
        for row in counts {
            for c in row {
                assert!((1300..1700).contains(&c), "{counts:?}");
            }
        }
    }

    #[test]
    fn a_challenge_depends_only_on_its_seed() {
        assert_eq!(challenge(b"seed", 3), challenge(b"seed", 3));
        let distinct: HashSet<_> = (0u8..60).map(|i| challenge(&[i; 32], 3)).collect();
        assert!(distinct.len() > 15);
        assert!(is_valid(&challenge(&[], 3)));
    }

    #[test]
    fn invalid_sequences_are_recognised() {
        use Movement::*;
        assert!(!is_valid(&[]));
        assert!(!is_valid(&[LookUp]));
        assert!(!is_valid(&[LookUp, LookDown]));
        assert!(!is_valid(&[TurnLeft, TurnLeft]));
        assert!(!is_valid(&[TurnLeft, LookUp, TurnLeft]));
        assert!(is_valid(&[TurnLeft, LookUp, TurnRight]));
        assert!(is_valid(&[LookDown, TurnRight]));
        assert!(!is_valid(&[TurnLeft, TurnRight]));
        assert!(is_valid(&[TurnRight]));
        assert!(!is_valid(&[TurnLeft, LookUp, TurnRight, LookDown, TurnLeft]));
    }
}
