//! 大学习: what a course and a learning plan are made of, and how much of a worker's
//! reported study time counts. The app reports the time spent on a lesson every so often;
//! the server credits no more than the lesson lasts, no more than a report may cover, and
//! no more than the time that passed on its own clock since the worker's last report, so a
//! worker cannot claim 10 hours in 5 minutes, nor study two lessons at once.

use crate::{ValueError, WorkerRole};

labelled_enum! {
    /// A lesson's material.
    LessonKind {
        Video = "video", "视频";
        Document = "document", "文档";
    }
}

labelled_enum! {
    /// What a plan item is for. Principals and safety managers focus on laws, rules and
    /// management; other staff on operating rules, accident cases, spotting hazards and
    /// handling emergencies.
    Focus {
        LawsRules = "laws_rules", "法律法规";
        Management = "management", "安全管理";
        OperatingRules = "operating_rules", "操作规程";
        AccidentCases = "accident_cases", "事故案例";
        HazardSpotting = "hazard_spotting", "隐患排查";
        EmergencyHandling = "emergency_handling", "应急处置";
    }
}

impl Focus {
    /// What the campaign notice has a role study.
    pub fn suggested_for(role: WorkerRole) -> &'static [Focus] {
        match role {
            WorkerRole::Principal | WorkerRole::SafetyManager => &[Focus::LawsRules, Focus::Management],
            WorkerRole::OtherStaff => {
                &[Focus::OperatingRules, Focus::AccidentCases, Focus::HazardSpotting, Focus::EmergencyHandling]
            }
        }
    }
}

labelled_enum! {
    /// Where a plan item's content comes from.
    ContentKind {
        Course = "course", "课程";
        Law = "law", "法律法规";
        Material = "material", "企业自有资料";
    }
}

/// The shortest and longest lesson, in seconds.
pub const LESSON_SECS: std::ops::RangeInclusive<i32> = 60..=4 * 3600;
/// The most lessons a course holds, and items a plan holds.
pub const MAX_LESSONS: usize = 100;
pub const MAX_PLAN_ITEMS: usize = 100;
/// The most time one progress report may claim: the app reports every minute or so, and a
/// report held back by a bad connection still counts up to this.
pub const MAX_REPORT_SECS: i32 = 300;
/// Network and clock slack allowed on the time since the previous report.
pub const GRACE_SECS: i64 = 5;

const fn rule(en: &'static str, zh: &'static str) -> ValueError {
    ValueError::Rule { en, zh }
}

/// A link to material: `http://` or `https://`, at most 500 characters, no spaces.
pub fn link(s: &str) -> Result<String, ValueError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ValueError::Empty);
    }
    if t.len() > 500 {
        return Err(ValueError::TooLong { max: 500 });
    }
    let rest = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !t.chars().any(|c| c.is_whitespace() || c.is_control()) => Ok(t.to_owned()),
        _ => Err(rule("must be an http:// or https:// link", "须为 http:// 或 https:// 开头的链接")),
    }
}

/// A lesson's length in seconds.
pub fn lesson_secs(secs: i64) -> Result<i32, ValueError> {
    match i32::try_from(secs) {
        Ok(s) if LESSON_SECS.contains(&s) => Ok(s),
        _ => Err(rule("must be from 60 seconds to 4 hours", "须在 60 秒至 4 小时之间")),
    }
}

/// The seconds of a report that count: at most what was claimed, what one report may
/// claim, what the lesson has left, and — when the worker reported before — the time since
/// that report on the server's clock (with a little slack). Never negative.
pub fn creditable(claimed: i32, since_last_report: Option<i64>, duration: i32, already: i32) -> i32 {
    let mut credit = i64::from(claimed.clamp(0, MAX_REPORT_SECS));
    if let Some(since) = since_last_report {
        credit = credit.min(since.max(0) + GRACE_SECS);
    }
    credit = credit.min(i64::from(duration) - i64::from(already));
    credit.max(0) as i32
}

/// Roles as given, each once, in the order of [`WorkerRole`]; an empty list means every role.
pub fn roles(given: &[WorkerRole]) -> Vec<WorkerRole> {
    let mut out: Vec<WorkerRole> = WorkerRole::ALL.iter().copied().filter(|r| given.contains(r)).collect();
    if out.len() == WorkerRole::ALL.len() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_report_counts_no_more_than_the_clock_the_cap_and_the_lesson_allow() {
        assert_eq!(creditable(60, None, 600, 0), 60, "a first report counts as claimed");
        assert_eq!(creditable(36_000, None, 40_000, 0), MAX_REPORT_SECS, "10 hours claimed at once: 5 minutes");
        assert_eq!(creditable(120, Some(30), 600, 0), 35, "30 s since the last report, plus slack");
        assert_eq!(creditable(120, Some(600), 600, 550), 50, "what the lesson has left");
        assert_eq!(creditable(120, Some(600), 600, 600), 0, "a finished lesson");
        assert_eq!(creditable(-5, Some(600), 600, 0), 0);
        assert_eq!(creditable(60, Some(-100), 600, 0), GRACE_SECS as i32, "a clock gone back");
    }

    #[test]
    fn roles_focus_links_and_lengths() {
        assert_eq!(Focus::suggested_for(WorkerRole::Principal), [Focus::LawsRules, Focus::Management]);
        assert!(Focus::suggested_for(WorkerRole::OtherStaff).contains(&Focus::EmergencyHandling));
        assert_eq!(roles(&[WorkerRole::OtherStaff, WorkerRole::Principal, WorkerRole::OtherStaff]).len(), 2);
        assert!(roles(WorkerRole::ALL).is_empty(), "every role is written as none");
        assert!(link("https://study.example.cn/v/1").is_ok());
        assert!(link("ftp://x").is_err());
        assert!(link("https://").is_err());
        assert!(link("https://a b").is_err());
        assert_eq!(lesson_secs(59).ok(), None);
        assert_eq!(lesson_secs(1800).ok(), Some(1800));
        assert_eq!(lesson_secs(i64::MAX).ok(), None);
    }

    proptest! {
        /// However a worker reports, the time credited never passes the time that went by
        /// (plus one report's cap and the slack of each report), nor the lesson's length.
        #[test]
        fn credit_is_bounded_by_the_clock_and_the_lesson(
            duration in 60i32..14_400,
            reports in proptest::collection::vec((0i64..400, -100i32..100_000), 1..60),
        ) {
            let mut total = 0;
            let mut elapsed = 0i64;
            let mut last: Option<i64> = None;
            let mut now = 0i64;
            for (wait, claimed) in &reports {
                now += wait;
                elapsed += wait;
                let credit = creditable(*claimed, last.map(|l| now - l), duration, total);
                prop_assert!(credit >= 0);
                total += credit;
                last = Some(now);
            }
            prop_assert!(total <= duration);
            let slack = i64::from(MAX_REPORT_SECS) + GRACE_SECS * reports.len() as i64;
            prop_assert!(i64::from(total) <= elapsed + slack);
        }
    }
}
