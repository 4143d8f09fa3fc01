//! Question files: JSON (`{"questions": [...]}`), CSV or XLSX with Chinese column names.
//! Reading is all or nothing: every row valid, or every problem reported with its row.

use serde::{Deserialize, Serialize};

use crate::bank::{Draft, FieldError, Question, MAX_OPTIONS};
use crate::table::{self, TableError};
use crate::ValueError;

/// The most questions one file may hold.
pub const MAX_QUESTIONS: usize = 20_000;

/// A question as written: each entry of a JSON file, and the body of createQuestion.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionInput {
    /// The bank's own reference (e.g. `WSL-021`): an import with the same reference revises
    /// the question instead of adding a new one.
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
    /// single_choice, multiple_choice or true_false (or 单选题, 多选题, 判断题).
    pub kind: String,
    /// A category code (e.g. work_safety_law) or its Chinese name.
    pub category: String,
    pub stem: String,
    /// 2 to 6 options for choices (3 to 6 for multiple choice), none for true/false.
    #[serde(default)]
    pub options: Vec<String>,
    /// Letters of the correct options in the order given ("B", "ACD"), or true/false (对/错).
    pub answer: String,
    /// Who the question suits: principal, safety_manager, other_staff (or Chinese names).
    pub roles: Vec<String>,
    /// Only for these industries; empty for every industry.
    #[serde(default)]
    pub industries: Vec<String>,
    /// easy, medium (default) or hard.
    #[serde(default)]
    pub difficulty: Option<String>,
    pub explanation: String,
    /// e.g. 《中华人民共和国安全生产法》第二十一条.
    pub legal_basis: String,
}

/// A question file in JSON, as exportQuestions writes it and importQuestions reads it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JsonFile {
    pub questions: Vec<QuestionInput>,
}

impl From<QuestionInput> for Draft {
    fn from(q: QuestionInput) -> Self {
        Draft {
            reference: q.reference,
            kind: q.kind,
            category: q.category,
            stem: q.stem,
            options: q.options,
            answer: q.answer,
            roles: q.roles,
            industries: q.industries,
            difficulty: q.difficulty,
            explanation: q.explanation,
            legal_basis: q.legal_basis,
        }
    }
}

impl From<&Question> for QuestionInput {
    fn from(q: &Question) -> Self {
        let d = q.to_draft();
        QuestionInput {
            reference: d.reference,
            kind: d.kind,
            category: d.category,
            stem: d.stem,
            options: d.options,
            answer: d.answer,
            roles: d.roles,
            industries: d.industries,
            difficulty: d.difficulty,
            explanation: d.explanation,
            legal_basis: d.legal_basis,
        }
    }
}

/// A problem at a row (JSON: the question's position, from 1; tables: the spreadsheet row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub field: &'static str,
    pub error: ValueError,
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Unreadable(String),
    /// Required columns are missing from the header row.
    MissingColumns(Vec<&'static str>),
    Empty,
    TooManyRows {
        max: usize,
    },
    Rows(Vec<RowError>),
}

/// The table columns: (field, header, aliases). Options are 选项A … 选项F.
const COLUMNS: [(&str, &str, &[&str]); 10] = [
    ("ref", "编号", &["编号", "题号", "ref"]),
    ("kind", "题型", &["题型", "kind"]),
    ("category", "类别", &["类别", "分类", "知识类别", "category"]),
    ("stem", "题干", &["题干", "题目", "stem"]),
    ("answer", "答案", &["答案", "正确答案", "answer"]),
    ("roles", "适用人员", &["适用人员", "适用人员类别", "人员类别", "roles"]),
    ("industries", "适用行业", &["适用行业", "行业", "industries"]),
    ("difficulty", "难度", &["难度", "difficulty"]),
    ("explanation", "解析", &["解析", "答案解析", "explanation"]),
    ("legal_basis", "法律依据", &["法律依据", "依据", "legal_basis"]),
];
const REQUIRED: [&str; 7] = ["kind", "category", "stem", "answer", "roles", "explanation", "legal_basis"];

fn option_header(i: usize) -> String {
    format!("选项{}", char::from(b'A' + i as u8))
}

fn split_list(cell: &str) -> Vec<String> {
    let cell = cell.trim();
    if matches!(cell, "全部" | "所有" | "all" | "全体") {
        return vec!["principal".into(), "safety_manager".into(), "other_staff".into()];
    }
    cell.split([',', '，', '、', ';', '；', '/', '|']).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

fn collect(drafts: Vec<(usize, Draft)>) -> Result<Vec<(usize, Question)>, FileError> {
    if drafts.is_empty() {
        return Err(FileError::Empty);
    }
    if drafts.len() > MAX_QUESTIONS {
        return Err(FileError::TooManyRows { max: MAX_QUESTIONS });
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut refs: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (line, draft) in drafts {
        match draft.validate() {
            Ok(q) => {
                if let Some(r) = &q.reference {
                    if refs.insert(r.clone(), line).is_some() {
                        errors.push(RowError {
                            line,
                            field: "ref",
                            error: ValueError::Rule {
                                en: "appears on an earlier row of this file",
                                zh: "与文件中前面的行重复",
                            },
                        });
                        continue;
                    }
                }
                out.push((line, q));
            }
            Err(errs) => {
                errors.extend(errs.into_iter().map(|FieldError { field, error }| RowError { line, field, error }))
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(FileError::Rows(errors))
    }
}

/// Reads a JSON question file.
pub fn parse_json(bytes: &[u8]) -> Result<Vec<(usize, Question)>, FileError> {
    let file: JsonFile = serde_json::from_slice(bytes).map_err(|e| {
        // serde's messages can quote the value; keep only where it failed.
        FileError::Unreadable(format!("JSON is not a question file (line {}, column {})", e.line(), e.column()))
    })?;
    collect(file.questions.into_iter().enumerate().map(|(i, q)| (i + 1, Draft::from(q))).collect())
}

/// Reads a CSV or XLSX question table (the header row names the columns).
pub fn parse_table(bytes: &[u8]) -> Result<Vec<(usize, Question)>, FileError> {
    let table = table::read(bytes, MAX_QUESTIONS).map_err(|e| match e {
        TableError::Unreadable(m) => FileError::Unreadable(m),
        TableError::TooManyRows => FileError::TooManyRows { max: MAX_QUESTIONS },
    })?;
    let mut lines = table.into_iter();
    let (_, header) = lines.next().ok_or(FileError::Empty)?;
    let names: Vec<String> =
        header.iter().map(|c| c.text.chars().filter(|ch| !ch.is_whitespace() && *ch != '*').collect()).collect();
    let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(&n.as_str()));
    let index: Vec<Option<usize>> = COLUMNS.iter().map(|(_, _, aliases)| find(aliases)).collect();
    let options: Vec<Option<usize>> = (0..MAX_OPTIONS)
        .map(|i| {
            let letter = char::from(b'A' + i as u8).to_string();
            find(&[option_header(i).as_str(), letter.as_str()])
        })
        .collect();
    let missing: Vec<&'static str> = COLUMNS
        .iter()
        .zip(&index)
        .filter(|((field, _, _), i)| REQUIRED.contains(field) && i.is_none())
        .map(|((_, header, _), _)| *header)
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(missing));
    }
    let mut drafts = Vec::new();
    for (line, cells) in lines {
        if cells.iter().all(|c| c.text.trim().is_empty()) {
            continue;
        }
        let cell = |pos: Option<usize>| pos.and_then(|p| cells.get(p)).map(|c| c.text.trim().to_owned());
        let get = |field: &str| {
            let i = COLUMNS.iter().position(|(f, _, _)| *f == field).and_then(|i| index[i]);
            cell(i).unwrap_or_default()
        };
        let difficulty = get("difficulty");
        drafts.push((
            line,
            Draft {
                reference: Some(get("ref")).filter(|r| !r.is_empty()),
                kind: get("kind"),
                category: get("category"),
                stem: get("stem"),
                options: options.iter().filter_map(|i| cell(*i)).filter(|o| !o.is_empty()).collect(),
                answer: get("answer"),
                roles: split_list(&get("roles")),
                industries: split_list(&get("industries")),
                difficulty: Some(difficulty).filter(|d| !d.is_empty()),
                explanation: get("explanation"),
                legal_basis: get("legal_basis"),
            },
        ));
        if drafts.len() > MAX_QUESTIONS {
            return Err(FileError::TooManyRows { max: MAX_QUESTIONS });
        }
    }
    collect(drafts)
}

/// Reads a question file of any supported format, recognised by content: JSON when it
/// starts with `{`, XLSX when it is a ZIP, CSV otherwise.
pub fn parse(bytes: &[u8]) -> Result<Vec<(usize, Question)>, FileError> {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        parse_json(start)
    } else {
        parse_table(bytes)
    }
}

fn table_rows(questions: &[Question]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = COLUMNS[..4].iter().map(|(_, h, _)| (*h).to_owned()).collect();
    header.extend((0..MAX_OPTIONS).map(option_header));
    header.extend(COLUMNS[4..].iter().map(|(_, h, _)| (*h).to_owned()));
    let rows = questions
        .iter()
        .map(|q| {
            let mut row = vec![
                q.reference.clone().unwrap_or_default(),
                q.kind.label_zh().to_owned(),
                q.category.label_zh().to_owned(),
                q.stem.clone(),
            ];
            row.extend((0..MAX_OPTIONS).map(|i| q.options.get(i).cloned().unwrap_or_default()));
            let answer = match q.kind {
                crate::bank::QuestionKind::TrueFalse if q.answer.bits() == 1 => "对".to_owned(),
                crate::bank::QuestionKind::TrueFalse => "错".to_owned(),
                _ => q.answer.render(q.kind),
            };
            row.push(answer);
            row.push(q.roles.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、"));
            row.push(q.industries.iter().map(|i| i.label_zh()).collect::<Vec<_>>().join("、"));
            row.push(q.difficulty.label_zh().to_owned());
            row.push(q.explanation.clone());
            row.push(q.legal_basis.clone());
            row
        })
        .collect();
    (header, rows)
}

/// The bank as JSON, in the import format.
pub fn to_json(questions: &[Question]) -> Result<Vec<u8>, String> {
    let file = JsonFile { questions: questions.iter().map(QuestionInput::from).collect() };
    serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())
}

/// The bank as CSV (UTF-8 with a byte-order mark, so Excel opens it right).
pub fn to_csv(questions: &[Question]) -> Result<Vec<u8>, String> {
    let (header, rows) = table_rows(questions);
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&header).map_err(|e| e.to_string())?;
        for row in rows {
            w.write_record(&row).map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The bank as an XLSX workbook with the same columns.
pub fn to_xlsx(questions: &[Question]) -> Result<Vec<u8>, String> {
    let (header, rows) = table_rows(questions);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("题库").map_err(|e| e.to_string())?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, h).map_err(|e| e.to_string())?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, v).map_err(|e| e.to_string())?;
        }
    }
    book.save_to_buffer().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"questions": [
      {"ref": "T-1", "kind": "single_choice", "category": "work_safety_law", "stem": "题一（　）。",
       "options": ["甲", "乙", "丙", "丁"], "answer": "B", "roles": ["principal"], "industries": [],
       "difficulty": "easy", "explanation": "因为。", "legal_basis": "《中华人民共和国安全生产法》第三条"},
      {"ref": "T-2", "kind": "true_false", "category": "自救互救", "stem": "题二。", "options": [],
       "answer": "false", "roles": ["other_staff", "safety_manager"], "explanation": "因为。",
       "legal_basis": "《中华人民共和国安全生产法》第五十五条"}
    ]}"#;

    #[test]
    fn every_format_round_trips() {
        let qs: Vec<Question> = parse(JSON.as_bytes()).unwrap().into_iter().map(|(_, q)| q).collect();
        assert_eq!(qs.len(), 2);
        for bytes in [to_json(&qs).unwrap(), to_csv(&qs).unwrap(), to_xlsx(&qs).unwrap()] {
            let back: Vec<Question> = parse(&bytes).unwrap().into_iter().map(|(_, q)| q).collect();
            assert_eq!(back, qs);
        }
    }

    #[test]
    fn problems_are_reported_per_row_and_nothing_is_taken() {
        let csv = "题型,类别,题干,选项A,选项B,答案,适用人员,解析,法律依据\n\
                   单选题,安全生产法,好题,甲,乙,A,全部,因为,《安全生产法》\n\
                   单选题,不存在的类别,坏题,甲,乙,C,全部,因为,《安全生产法》\n";
        let Err(FileError::Rows(rows)) = parse(csv.as_bytes()) else { panic!("expected row errors") };
        let at: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.field)).collect();
        assert_eq!(at, [(3, "category"), (3, "answer")]);
        let Err(FileError::MissingColumns(m)) = parse("题干,答案\n甲,A\n".as_bytes()) else { panic!() };
        assert!(m.contains(&"题型") && m.contains(&"法律依据"));
        assert!(matches!(parse(b"{\"questions\": 5}"), Err(FileError::Unreadable(_))));
        let dup = JSON.replace("T-2", "T-1");
        let Err(FileError::Rows(rows)) = parse(dup.as_bytes()) else { panic!() };
        assert_eq!((rows[0].line, rows[0].field), (2, "ref"));
    }
}
