//! The question bank's rules: kinds, categories, answer keys and what makes a question
//! complete. A [`Question`] can only be built valid, whether typed in or imported.

use crate::{Industry, ValueError, WorkerRole};

labelled_enum! {
    /// 题型.
    QuestionKind {
        SingleChoice = "single_choice", "单选题";
        MultipleChoice = "multiple_choice", "多选题";
        TrueFalse = "true_false", "判断题";
    }
}

labelled_enum! {
    /// The campaign's content: the laws and rules of the notice, then the practical topics.
    Category {
        WorkSafetyLaw = "work_safety_law", "安全生产法";
        AccidentReporting = "accident_reporting", "生产安全事故报告和调查处理条例";
        PenaltyMeasures = "penalty_measures", "安全生产违法行为行政处罚办法";
        HazardRules = "hazard_rules", "安全生产事故隐患排查治理暂行规定";
        ShandongRegulation = "shandong_regulation", "山东省安全生产条例";
        ShandongResponsibility = "shandong_responsibility", "山东省生产经营单位安全生产主体责任规定";
        ShandongRiskControl = "shandong_risk_control", "山东省安全生产风险管控办法";
        CentralOpinions2016 = "central_opinions_2016", "中发〔2016〕32号";
        ShandongOpinions2018 = "shandong_opinions_2018", "鲁发〔2018〕5号";
        RiskGradingStandard = "risk_grading_standard", "DB37/T 2882-2016 风险分级管控体系通则";
        HazardStandard = "hazard_standard", "DB37/T 2883-2016 隐患排查治理体系通则";
        OperatingSkills = "operating_skills", "操作技能";
        DualPrevention = "dual_prevention", "双重预防体系";
        SafetyKnowledge = "safety_knowledge", "安全常识";
        SelfRescue = "self_rescue", "自救互救";
        AccidentCases = "accident_cases", "事故警示";
    }
}

impl Category {
    /// Whether this is one of the laws and rules of the notice (a learning plan's "law"
    /// items name one), rather than a practical topic.
    pub fn is_law(self) -> bool {
        !matches!(
            self,
            Self::OperatingSkills
                | Self::DualPrevention
                | Self::SafetyKnowledge
                | Self::SelfRescue
                | Self::AccidentCases
        )
    }
}

labelled_enum! {
    /// 难度.
    Difficulty {
        Easy = "easy", "易";
        Medium = "medium", "中";
        Hard = "hard", "难";
    }
}

/// The most options a choice question may have (A to F).
pub const MAX_OPTIONS: usize = 6;
const LETTERS: &[u8; MAX_OPTIONS] = b"ABCDEF";
/// What a true/false question shows, in this order (A = true).
pub const TRUE_FALSE_OPTIONS: [&str; 2] = ["正确", "错误"];

const fn rule(en: &'static str, zh: &'static str) -> ValueError {
    ValueError::Rule { en, zh }
}

/// A set of options by position (bit `i` = option `i`); for true/false, bit 0 is "true".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Choice(u8);

impl Choice {
    pub fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    /// Reads an answer as people write it: letters for choices ("ACD", "a, c、d"); for
    /// true/false also 对/错, 正确/错误, √/×, true/false, T/F.
    pub fn parse(kind: QuestionKind, option_count: usize, input: &str) -> Result<Self, ValueError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace() && !",，、;；".contains(*c)).collect();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        if kind == QuestionKind::TrueFalse {
            return match s.to_lowercase().as_str() {
                "true" | "t" | "a" | "对" | "正确" | "√" | "✓" | "是" => Ok(Self(0b01)),
                "false" | "f" | "b" | "错" | "错误" | "×" | "✗" | "x" | "否" => Ok(Self(0b10)),
                _ => Err(rule("must be true or false (对/错)", "须为“对”或“错”")),
            };
        }
        let mut bits = 0u8;
        for c in s.chars() {
            let i = LETTERS
                .iter()
                .position(|l| char::from(*l) == c.to_ascii_uppercase())
                .filter(|i| *i < option_count)
                .ok_or(rule("names an option that does not exist", "含有不存在的选项字母"))?;
            if bits & (1 << i) != 0 {
                return Err(rule("names an option twice", "重复列出了同一选项"));
            }
            bits |= 1 << i;
        }
        if kind == QuestionKind::SingleChoice && bits.count_ones() != 1 {
            return Err(rule("a single-choice answer is exactly one letter", "单选题只能选一个选项"));
        }
        Ok(Self(bits))
    }

    /// The canonical text: sorted letters ("ACD"), or "true"/"false".
    pub fn render(self, kind: QuestionKind) -> String {
        if kind == QuestionKind::TrueFalse {
            return if self.0 == 0b01 { "true" } else { "false" }.to_owned();
        }
        (0..MAX_OPTIONS).filter(|i| self.0 & (1 << i) != 0).map(|i| char::from(LETTERS[i])).collect()
    }

    /// The positions in the set, ascending.
    pub fn positions(self) -> impl Iterator<Item = usize> {
        (0..8).filter(move |i| self.0 & (1 << i) != 0)
    }
}

/// A complete, valid question (one version of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The bank's own reference (e.g. `WSL-021`), used to update a question by import.
    pub reference: Option<String>,
    pub kind: QuestionKind,
    pub category: Category,
    pub stem: String,
    /// Choice options in their canonical order; empty for true/false.
    pub options: Vec<String>,
    pub answer: Choice,
    /// Who the question suits; never empty.
    pub roles: Vec<WorkerRole>,
    /// Only for these industries; empty means every industry.
    pub industries: Vec<Industry>,
    pub difficulty: Difficulty,
    pub explanation: String,
    /// e.g. 《中华人民共和国安全生产法》第二十一条.
    pub legal_basis: String,
}

/// A question as submitted, before its rules are checked.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub reference: Option<String>,
    pub kind: String,
    pub category: String,
    pub stem: String,
    pub options: Vec<String>,
    pub answer: String,
    pub roles: Vec<String>,
    pub industries: Vec<String>,
    pub difficulty: Option<String>,
    pub explanation: String,
    pub legal_basis: String,
}

/// A problem with one field of a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub error: ValueError,
}

fn text(field: &'static str, s: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let t = s.trim();
    let err = if t.is_empty() {
        Some(ValueError::Empty)
    } else if t.chars().count() > max {
        Some(ValueError::TooLong { max })
    } else if t.chars().any(|c| c.is_control() && c != '\n') {
        Some(ValueError::BadCharacters)
    } else {
        None
    };
    if let Some(error) = err {
        errors.push(FieldError { field, error });
    }
    t.to_owned()
}

fn listed<T: Copy + PartialEq>(
    field: &'static str,
    items: &[String],
    parse: fn(&str) -> Result<T, ValueError>,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for s in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match parse(s) {
            Ok(v) if !out.contains(&v) => out.push(v),
            Ok(_) => {}
            Err(error) => errors.push(FieldError { field, error }),
        }
    }
    out
}

impl Draft {
    /// Checks every rule and reports every problem at once.
    pub fn validate(&self) -> Result<Question, Vec<FieldError>> {
        let mut errors = Vec::new();
        let reference = self.reference.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(|r| {
            if r.chars().count() > 40 || !r.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                errors.push(FieldError {
                    field: "ref",
                    error: rule("is at most 40 letters, digits, '-', '_' or '.'", "最多 40 个字母、数字或 - _ . 字符"),
                });
            }
            r.to_owned()
        });
        let kind = QuestionKind::parse(&self.kind).map_err(|error| errors.push(FieldError { field: "kind", error }));
        let category =
            Category::parse(&self.category).map_err(|error| errors.push(FieldError { field: "category", error }));
        let stem = text("stem", &self.stem, 1000, &mut errors);
        let explanation = text("explanation", &self.explanation, 2000, &mut errors);
        let legal_basis = text("legal_basis", &self.legal_basis, 200, &mut errors);
        let difficulty = match self.difficulty.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => Ok(Difficulty::Medium),
            Some(d) => Difficulty::parse(d).map_err(|error| errors.push(FieldError { field: "difficulty", error })),
        };
        let roles = listed("roles", &self.roles, WorkerRole::parse, &mut errors);
        if roles.is_empty() && self.roles.iter().all(|r| r.trim().is_empty()) {
            errors.push(FieldError { field: "roles", error: ValueError::Empty });
        }
        let industries = listed("industries", &self.industries, Industry::parse, &mut errors);
        let options: Vec<String> = self
            .options
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .map(|o| text("options", o, 300, &mut errors))
            .collect();
        let mut answer = Err(());
        if let Ok(kind) = kind {
            let count_rule = match kind {
                QuestionKind::TrueFalse if !options.is_empty() => {
                    Some(rule("must be empty for a true/false question", "判断题不填选项"))
                }
                QuestionKind::SingleChoice | QuestionKind::MultipleChoice
                    if options.len() < 2 + usize::from(kind == QuestionKind::MultipleChoice)
                        || options.len() > MAX_OPTIONS =>
                {
                    Some(rule(
                        "needs 2 to 6 options (3 to 6 for multiple choice)",
                        "单选题须有 2 至 6 个选项，多选题 3 至 6 个",
                    ))
                }
                _ if (1..options.len()).any(|i| options[..i].contains(&options[i])) => {
                    Some(rule("has the same option twice", "有重复的选项"))
                }
                _ => None,
            };
            if let Some(error) = count_rule {
                errors.push(FieldError { field: "options", error });
            }
            answer = Choice::parse(kind, options.len(), &self.answer)
                .and_then(|a| {
                    if kind == QuestionKind::MultipleChoice && a.count() < 2 {
                        Err(rule("a multiple-choice key has at least two letters", "多选题的正确答案至少两个选项"))
                    } else {
                        Ok(a)
                    }
                })
                .map_err(|error| errors.push(FieldError { field: "answer", error }));
        }
        match (kind, category, difficulty, answer) {
            (Ok(kind), Ok(category), Ok(difficulty), Ok(answer)) if errors.is_empty() => Ok(Question {
                reference,
                kind,
                category,
                stem,
                options,
                answer,
                roles,
                industries,
                difficulty,
                explanation,
                legal_basis,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether a question for `roles` (and, when not empty, only `industries`) may be given to a
/// candidate of `role` in `industry`.
pub fn suits(roles: &[WorkerRole], industries: &[Industry], role: WorkerRole, industry: Option<Industry>) -> bool {
    roles.contains(&role) && (industries.is_empty() || industry.is_some_and(|i| industries.contains(&i)))
}

impl Question {
    /// Whether a candidate of `role` in `industry` may be given this question.
    pub fn suits(&self, role: WorkerRole, industry: Option<Industry>) -> bool {
        suits(&self.roles, &self.industries, role, industry)
    }

    /// Back to a draft (for export), the inverse of [`Draft::validate`].
    pub fn to_draft(&self) -> Draft {
        Draft {
            reference: self.reference.clone(),
            kind: self.kind.as_str().to_owned(),
            category: self.category.as_str().to_owned(),
            stem: self.stem.clone(),
            options: self.options.clone(),
            answer: self.answer.render(self.kind),
            roles: self.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            industries: self.industries.iter().map(|i| i.as_str().to_owned()).collect(),
            difficulty: Some(self.difficulty.as_str().to_owned()),
            explanation: self.explanation.clone(),
            legal_basis: self.legal_basis.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            reference: Some("WSL-001".into()),
            kind: "single_choice".into(),
            category: "安全生产法".into(),
            stem: "安全生产工作坚持（　）的方针。".into(),
            options: vec![
                "安全第一、预防为主、综合治理".into(),
                "以人为本".into(),
                "预防为主".into(),
                "综合治理".into(),
            ],
            answer: "A".into(),
            roles: vec!["principal".into(), "其他从业人员".into()],
            industries: vec![],
            difficulty: None,
            explanation: "依据第三条。".into(),
            legal_basis: "《中华人民共和国安全生产法》第三条".into(),
        }
    }

    #[test]
    fn a_complete_draft_validates() {
        let q = draft().validate().unwrap();
        assert_eq!(q.category, Category::WorkSafetyLaw);
        assert_eq!(q.answer, Choice::from_bits(1));
        assert_eq!(q.roles, [WorkerRole::Principal, WorkerRole::OtherStaff]);
        assert_eq!(q.difficulty, Difficulty::Medium);
        assert_eq!(q.to_draft().validate().unwrap(), q);
        assert!(q.suits(WorkerRole::OtherStaff, None));
        assert!(!q.suits(WorkerRole::SafetyManager, None));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let d = Draft { kind: "single_choice".into(), answer: "AB".into(), roles: vec!["boss".into()], ..draft() };
        let fields: Vec<_> = d.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["roles", "answer"]);
        let d = Draft { stem: " ".into(), category: "x".into(), options: vec!["同".into(), "同".into()], ..draft() };
        let fields: Vec<_> = d.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["category", "stem", "options"]);
    }

    #[test]
    fn answers_parse_as_people_write_them() {
        let mc = QuestionKind::MultipleChoice;
        assert_eq!(Choice::parse(mc, 4, "a, c、D").unwrap().render(mc), "ACD");
        assert!(Choice::parse(mc, 4, "AE").is_err());
        assert!(Choice::parse(mc, 4, "AA").is_err());
        let tf = QuestionKind::TrueFalse;
        assert_eq!(Choice::parse(tf, 0, "对").unwrap().render(tf), "true");
        assert_eq!(Choice::parse(tf, 0, "×").unwrap().render(tf), "false");
        assert!(Choice::parse(tf, 0, "maybe").is_err());
        let d = Draft { kind: "multiple_choice".into(), answer: "B".into(), ..draft() };
        assert_eq!(d.validate().unwrap_err()[0].field, "answer");
        let d = Draft { kind: "true_false".into(), answer: "错".into(), options: vec![], ..draft() };
        assert_eq!(d.validate().unwrap().answer, Choice::from_bits(0b10));
    }
}
