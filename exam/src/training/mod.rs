//! 大培训: a training session's fields (topic, level, date, 学时, trainer, who gave it), and
//! the offline attendance sheet ([`attendance`]).

mod attendance;

pub use attendance::{
    attendance_template, parse_attendance, Attendance, AttendanceError, AttendeeRow, Located, ATTENDEE_HEADERS,
    MAX_ATTENDEES, SHEET_NAME, TEMPLATE_ROWS,
};

use chrono::NaiveDate;

use crate::text::bounded;
use crate::ValueError;

const fn rule(en: &'static str, zh: &'static str) -> ValueError {
    ValueError::Rule { en, zh }
}

labelled_enum! {
    /// The level of 三级安全教育 a session belongs to.
    TrainingLevel {
        Company = "company", "厂级/公司级";
        Workshop = "workshop", "车间级";
        Team = "team", "班组级";
    }
}

impl TrainingLevel {
    /// Reads a level as people write it: the code, the label, or 厂级, 公司级, 企业级, 车间, 班组.
    pub fn read(s: &str) -> Result<Self, ValueError> {
        match s.trim() {
            "厂级" | "公司级" | "企业级" => Ok(Self::Company),
            "车间" => Ok(Self::Workshop),
            "班组" => Ok(Self::Team),
            other => Self::parse(other),
        }
    }
}

labelled_enum! {
    /// Who gave the training: the enterprise itself, or another it engaged.
    ProviderKind {
        Own = "own", "本企业自行组织";
        OtherEnterprise = "other_enterprise", "委托其他企业";
        Agency = "agency", "委托培训机构";
    }
}

impl ProviderKind {
    /// Reads a provider as people write it: the code, the label, or 自行组织, 本企业, 其他企业,
    /// 培训机构, 委托培训.
    pub fn read(s: &str) -> Result<Self, ValueError> {
        match s.trim() {
            "自行组织" | "本企业" => Ok(Self::Own),
            "其他企业" => Ok(Self::OtherEnterprise),
            "培训机构" | "委托培训" => Ok(Self::Agency),
            other => Self::parse(other),
        }
    }
}

const HOURS_RULE: ValueError =
    rule("must be from 0.5 to 24 hours, in steps of half an hour", "学时须为 0.5 至 24 之间、0.5 的整数倍");

/// A session's length in 学时 (hours): 0.5 to 24, in half hours. Kept as minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hours(u32);

impl Hours {
    pub const MAX_MINUTES: u32 = 24 * 60;

    /// Refuses anything but a half-hour multiple in (0, 24].
    pub fn from_hours(h: f64) -> Result<Self, ValueError> {
        let halves = h * 2.0;
        if !h.is_finite() || h <= 0.0 || h > 24.0 || halves.fract() != 0.0 {
            return Err(HOURS_RULE);
        }
        Ok(Self(halves as u32 * 30))
    }

    /// For minutes read back from storage.
    pub fn from_minutes(minutes: u32) -> Result<Self, ValueError> {
        if minutes == 0 || minutes > Self::MAX_MINUTES || minutes % 30 != 0 {
            return Err(HOURS_RULE);
        }
        Ok(Self(minutes))
    }

    /// Reads hours as typed: "2", "2.5", "2学时", "2 小时", "2h".
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let s = text.trim();
        let s = ["学时", "小时", "课时", "h", "H"].iter().find_map(|unit| s.strip_suffix(unit)).unwrap_or(s).trim_end();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        let not_a_number = rule("is not a number of hours (e.g. 2 or 1.5)", "不是学时数（如 2 或 1.5）");
        // Only plain decimals: f64's parser would also take "inf", "NaN" and "1e1".
        if !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(not_a_number);
        }
        Self::from_hours(s.parse().map_err(|_| not_a_number)?)
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    pub fn as_hours(self) -> f64 {
        f64::from(self.0) / 60.0
    }
}

labelled_enum! {
    /// A session field: `as_str` is its JSON name, `label` its label in the attendance template.
    Field {
        Topic = "topic", "培训主题";
        Level = "level", "培训级别";
        HeldOn = "held_on", "培训日期";
        Hours = "hours", "学时";
        Trainer = "trainer", "授课人";
        Provider = "provider", "培训方式";
        ProviderName = "provider_name", "培训单位";
        KeyPosition = "key_position", "重点岗位专项培训";
    }
}

impl Field {
    /// The label in column A of the attendance template (the same as `label_zh`).
    pub fn label(self) -> &'static str {
        self.label_zh()
    }

    /// The row the template puts the field on, as a person counts (the title is row 1).
    fn template_line(self) -> usize {
        Self::ALL.iter().position(|f| *f == self).map_or(0, |i| i + 2)
    }
}

pub const MAX_TOPIC_CHARS: usize = 100;
pub const MAX_TRAINER_CHARS: usize = 50;
pub const MAX_PROVIDER_NAME_CHARS: usize = 100;

/// A session date is in 2000 to 2099: anything else is a typing slip (or a year typed into a
/// date cell, which a spreadsheet reads as a day in 1905). Whether it is in the future is for
/// the caller, who has a clock.
fn held_on(date: NaiveDate) -> Result<NaiveDate, ValueError> {
    use chrono::Datelike;
    if (2000..=2099).contains(&date.year()) {
        Ok(date)
    } else {
        Err(rule("must be a date from 2000 to 2099", "培训日期须在 2000 至 2099 年之间"))
    }
}

/// `provider_name` names the other enterprise or agency, and only that.
fn provider_name(provider: ProviderKind, name: Option<&str>) -> Result<Option<String>, ValueError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    match (provider, name) {
        (ProviderKind::Own, None) => Ok(None),
        (ProviderKind::Own, Some(_)) => {
            Err(rule("must be left empty when the enterprise trains its own staff", "本企业自行组织的培训不填培训单位"))
        }
        (_, None) => Err(ValueError::Empty),
        (_, Some(n)) => bounded(n, MAX_PROVIDER_NAME_CHARS).map(Some),
    }
}

/// A session as an HTTP request sends it, before the rules are checked.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInput {
    pub topic: String,
    pub level: TrainingLevel,
    pub held_on: NaiveDate,
    /// 学时: 0.5 to 24, in half hours.
    pub hours: f64,
    pub trainer: String,
    pub provider: ProviderKind,
    /// Required unless `provider` is `own`, and then it must be absent.
    #[serde(default)]
    pub provider_name: Option<String>,
    #[serde(default)]
    pub key_position: bool,
}

/// A session's fields, every rule met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFields {
    /// 1 to 100 characters, trimmed.
    pub topic: String,
    pub level: TrainingLevel,
    pub held_on: NaiveDate,
    pub hours: Hours,
    /// 1 to 50 characters, trimmed.
    pub trainer: String,
    pub provider: ProviderKind,
    /// The other enterprise or agency; `None` exactly when `provider` is `Own`.
    pub provider_name: Option<String>,
    /// 重点岗位专项培训.
    pub key_position: bool,
}

impl SessionFields {
    /// Checks a request's fields; the first refusal comes back with its field.
    pub fn new(input: SessionInput) -> Result<Self, (Field, ValueError)> {
        Ok(Self {
            topic: bounded(&input.topic, MAX_TOPIC_CHARS).map_err(|e| (Field::Topic, e))?,
            level: input.level,
            held_on: held_on(input.held_on).map_err(|e| (Field::HeldOn, e))?,
            hours: Hours::from_hours(input.hours).map_err(|e| (Field::Hours, e))?,
            trainer: bounded(&input.trainer, MAX_TRAINER_CHARS).map_err(|e| (Field::Trainer, e))?,
            provider: input.provider,
            provider_name: provider_name(input.provider, input.provider_name.as_deref())
                .map_err(|e| (Field::ProviderName, e))?,
            key_position: input.key_position,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn levels_and_providers_with_aliases() {
        for (typed, level) in [("厂级", TrainingLevel::Company), (" 公司级 ", TrainingLevel::Company)] {
            assert_eq!(TrainingLevel::read(typed), Ok(level));
        }
        assert_eq!(TrainingLevel::read("企业级"), Ok(TrainingLevel::Company));
        assert_eq!(TrainingLevel::read("车间"), Ok(TrainingLevel::Workshop));
        assert_eq!(TrainingLevel::read("班组"), Ok(TrainingLevel::Team));
        assert_eq!(TrainingLevel::read("厂级/公司级"), Ok(TrainingLevel::Company));
        assert_eq!(TrainingLevel::read("team"), Ok(TrainingLevel::Team));
        assert_eq!(TrainingLevel::read("省级"), Err(ValueError::UnknownVariant));
        assert_eq!(ProviderKind::read("自行组织"), Ok(ProviderKind::Own));
        assert_eq!(ProviderKind::read("本企业"), Ok(ProviderKind::Own));
        assert_eq!(ProviderKind::read("其他企业"), Ok(ProviderKind::OtherEnterprise));
        assert_eq!(ProviderKind::read("培训机构"), Ok(ProviderKind::Agency));
        assert_eq!(ProviderKind::read("委托培训"), Ok(ProviderKind::Agency));
        assert_eq!(Field::ProviderName.as_str(), "provider_name");
        assert_eq!(Field::KeyPosition.label(), "重点岗位专项培训");
    }

    #[test]
    fn sessions_from_a_request() {
        let input = SessionInput {
            topic: " 消防 ".into(),
            level: TrainingLevel::Company,
            held_on: date(2026, 8, 25),
            hours: 4.0,
            trainer: "李".into(),
            provider: ProviderKind::Own,
            provider_name: Some("  ".into()),
            key_position: false,
        };
        let fields = SessionFields::new(input.clone()).unwrap();
        assert_eq!((fields.topic.as_str(), fields.hours.minutes(), fields.provider_name), ("消防", 240, None));
        let refused = |change: fn(&mut SessionInput)| {
            let mut i = input.clone();
            change(&mut i);
            SessionFields::new(i).map(drop).map_err(|(field, _)| field)
        };
        assert_eq!(refused(|i| i.topic = "安".repeat(101)), Err(Field::Topic));
        assert_eq!(refused(|i| i.hours = 0.25), Err(Field::Hours));
        assert_eq!(refused(|i| i.trainer = String::new()), Err(Field::Trainer));
        assert_eq!(refused(|i| i.provider_name = Some("某机构".into())), Err(Field::ProviderName));
        assert_eq!(refused(|i| i.provider = ProviderKind::Agency), Err(Field::ProviderName));
        assert_eq!(refused(|i| i.held_on = date(1999, 12, 31)), Err(Field::HeldOn));
        let json = r#"{"topic":"消防","level":"workshop","held_on":"2026-08-25","hours":1.5,"trainer":"李",
                      "provider":"agency","provider_name":"某机构"}"#;
        let from_json: SessionInput = serde_json::from_str(json).unwrap();
        assert_eq!(SessionFields::new(from_json).unwrap().provider_name.as_deref(), Some("某机构"));
    }

    proptest! {
        #[test]
        fn hours_are_exactly_the_half_hours_up_to_24(h in -5.0f64..30.0, halves in -2i32..=50) {
            for h in [h, f64::from(halves) / 2.0] {
                let half_hour = (1..=48).any(|n| f64::from(n) / 2.0 == h);
                let parsed = Hours::from_hours(h);
                prop_assert_eq!(parsed.is_ok(), half_hour, "{}", h);
                if let Ok(hours) = parsed {
                    prop_assert_eq!(hours.as_hours(), h);
                    prop_assert_eq!(Hours::from_minutes(hours.minutes()), Ok(hours));
                }
            }
        }
    }
}
