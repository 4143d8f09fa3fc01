//! Exam-site rules: where a candidate stands in a session as the proctor sees it, the
//! flags raised on attempts, and the bounds on what a proctor may do.

use crate::ValueError;

labelled_enum! {
    /// Where a candidate of a session stands, as the proctor's list shows it.
    CandidateState {
        NotArrived = "not_arrived", "未到场";
        IdentityChecked = "identity_checked", "已核验身份";
        Started = "started", "考试中";
        Flagged = "flagged", "待处理异常";
        Submitted = "submitted", "已交卷";
        Absent = "absent", "缺考";
        Cheating = "cheating", "作弊";
    }
}

/// What a candidate's state is told from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateFacts {
    /// Recorded absent (缺考) after the window.
    pub recorded_absent: bool,
    /// The session is over.
    pub session_over: bool,
    /// A face verification since the session's day began, or a proctor's ID-card check.
    pub identity_checked: bool,
    /// The attempt, if started: whether it is finished and whether it was voided.
    pub attempt: Option<AttemptFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttemptFacts {
    pub finished: bool,
    pub voided: bool,
    /// Flags not yet resolved.
    pub open_flags: i64,
}

impl CandidateState {
    /// Cheating outranks everything; then a finished paper; then an open one (flagged
    /// while a flag waits); without a paper, absent once recorded or once the session is
    /// over, else whether the identity was checked.
    pub fn of(f: StateFacts) -> Self {
        match f.attempt {
            Some(a) if a.voided => Self::Cheating,
            Some(a) if a.finished => Self::Submitted,
            Some(a) if a.open_flags > 0 => Self::Flagged,
            Some(_) => Self::Started,
            None if f.recorded_absent || f.session_over => Self::Absent,
            None if f.identity_checked => Self::IdentityChecked,
            None => Self::NotArrived,
        }
    }
}

labelled_enum! {
    /// Why an attempt was flagged for the proctor.
    FlagKind {
        FaceMismatch = "face_mismatch", "考中刷脸不是本人";
        FaceCheckMissed = "face_check_missed", "未按时完成考中刷脸";
        LivenessFailed = "liveness_failed", "活体检测未通过";
    }
}

labelled_enum! {
    /// How a proctor closed a flag: a false alarm (dismissed), or real (confirmed; the
    /// proctor may go on to mark cheating).
    Resolution {
        Dismissed = "dismissed", "排除";
        Confirmed = "confirmed", "属实";
    }
}

/// The most extra minutes one attempt can be granted in all, for documented device
/// failures.
pub const MAX_EXTRA_MINUTES: i32 = 30;

/// Checks one grant of extra time: 1 to [`MAX_EXTRA_MINUTES`] minutes.
pub fn check_extra_minutes(minutes: i32) -> Result<i32, ValueError> {
    if (1..=MAX_EXTRA_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(ValueError::Rule { en: "must be between 1 and 30 minutes", zh: "须在 1 到 30 分钟之间" })
    }
}

/// The reason a proctor gives for an action: required, at most 500 characters, one line
/// breaks allowed; kept as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::TooLong { max: Self::MAX_CHARS });
        }
        if s.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ValueError::BadCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most in-exam face checks a plan may ask for.
pub const MAX_FACE_CHECKS: i32 = 5;

/// How long the app has to answer a face check once told, in seconds.
pub const FACE_CHECK_ANSWER_SECS: i64 = 180;

/// When, in seconds after the start, an attempt of `duration_secs` has its `count` random
/// face checks: uniformly inside the middle 80% of the time (not while the candidate
/// settles in, not in the last minutes), in order, each in its own equal slice so that two
/// never fall together. Same seed, same moments.
pub fn check_offsets(seed: [u8; 32], duration_secs: i64, count: i32) -> Vec<i64> {
    use rand::{Rng, SeedableRng};
    let count = i64::from(count.clamp(0, MAX_FACE_CHECKS));
    if count == 0 || duration_secs < 60 {
        return Vec::new();
    }
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
    let (from, span) = (duration_secs / 10, duration_secs * 8 / 10);
    let slice = span / count;
    (0..count).map(|i| from + i * slice + rng.gen_range(0..slice.max(1))).collect()
}

/// Checks the number of in-exam face checks a plan asks for.
pub fn check_face_checks(count: i32) -> Result<i32, ValueError> {
    if (0..=MAX_FACE_CHECKS).contains(&count) {
        Ok(count)
    } else {
        Err(ValueError::Rule { en: "must be between 0 and 5", zh: "须在 0 到 5 之间" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_checks_fall_inside_the_exam_apart_and_reproducibly() {
        for seed in 0..50u8 {
            let at = check_offsets([seed; 32], 3600, 3);
            assert_eq!(at.len(), 3);
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
            assert!(at.iter().all(|s| (360..3240).contains(s)), "{at:?}");
            assert_eq!(at, check_offsets([seed; 32], 3600, 3));
        }
        let spread: std::collections::HashSet<i64> = (0..50u8).map(|s| check_offsets([s; 32], 3600, 1)[0]).collect();
        assert!(spread.len() > 40, "the moments are random: {spread:?}");
        assert!(check_offsets([1; 32], 3600, 0).is_empty());
        assert!(check_offsets([1; 32], 30, 2).is_empty());
        assert_eq!(check_offsets([1; 32], 3600, 99).len(), 5, "clamped");
        assert!(check_face_checks(6).is_err() && check_face_checks(-1).is_err() && check_face_checks(2).is_ok());
    }

    fn open(open_flags: i64) -> Option<AttemptFacts> {
        Some(AttemptFacts { finished: false, voided: false, open_flags })
    }

    #[test]
    fn states_follow_the_candidate_through_the_session() {
        let mut f = StateFacts::default();
        assert_eq!(CandidateState::of(f), CandidateState::NotArrived);
        f.identity_checked = true;
        assert_eq!(CandidateState::of(f), CandidateState::IdentityChecked);
        f.attempt = open(0);
        assert_eq!(CandidateState::of(f), CandidateState::Started);
        f.attempt = open(2);
        assert_eq!(CandidateState::of(f), CandidateState::Flagged);
        f.attempt = Some(AttemptFacts { finished: true, voided: false, open_flags: 1 });
        assert_eq!(CandidateState::of(f), CandidateState::Submitted);
        f.attempt = Some(AttemptFacts { finished: true, voided: true, open_flags: 0 });
        assert_eq!(CandidateState::of(f), CandidateState::Cheating);
    }

    #[test]
    fn no_paper_by_the_end_is_absent_even_with_the_identity_checked() {
        let f = StateFacts { identity_checked: true, session_over: true, ..StateFacts::default() };
        assert_eq!(CandidateState::of(f), CandidateState::Absent);
        let f = StateFacts { recorded_absent: true, ..StateFacts::default() };
        assert_eq!(CandidateState::of(f), CandidateState::Absent);
        // A paper started before the end is not absent.
        let f = StateFacts { session_over: true, attempt: open(0), ..StateFacts::default() };
        assert_eq!(CandidateState::of(f), CandidateState::Started);
    }

    #[test]
    fn extra_time_and_reasons_are_bounded() {
        assert_eq!(check_extra_minutes(10), Ok(10));
        for bad in [0, -5, 31, i32::MAX] {
            assert!(check_extra_minutes(bad).is_err(), "{bad}");
        }
        assert_eq!(Reason::parse("  手机死机，重启后继续  ").unwrap().as_str(), "手机死机，重启后继续");
        assert_eq!(Reason::parse(" \n "), Err(ValueError::Empty));
        assert!(Reason::parse(&"长".repeat(501)).is_err());
        assert!(Reason::parse("ok\u{7}").is_err());
        assert!(Reason::parse("第一行\n第二行").is_ok());
    }
}
