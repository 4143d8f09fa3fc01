//! The offline attendance sheet (培训签到表): the XLSX template an enterprise prints, has the
//! attendees sign and sends back filled in. Reading it is all or nothing, like a roster:
//! either the fields and every attendee row are valid, or every problem comes back with its
//! row.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_xlsxwriter::{DataValidation, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::*;
use crate::roster::Problem;
use crate::table::{self, Cell, TableError};
use crate::{PersonName, ResidentId};

/// The template's sheet name.
pub const SHEET_NAME: &str = "培训签到表";
/// The attendee table's headers, in order.
pub const ATTENDEE_HEADERS: [&str; 4] = ["序号", "姓名", "身份证号码", "签名"];
/// Empty attendee rows the template offers, numbered, ready to sign.
pub const TEMPLATE_ROWS: u32 = 50;
/// Row 11 (0-based 10): below the title, the 8 field rows and an empty row.
const HEADER_ROW: u32 = 10;
/// A4 in Excel's paper-size table.
const PAPER_A4: u8 = 9;

/// The attendance template for an enterprise: see the module doc. Bytes of an XLSX file.
pub fn attendance_template(enterprise_name: &str) -> Result<Vec<u8>, String> {
    template_book(enterprise_name).and_then(|mut book| book.save_to_buffer()).map_err(|e| e.to_string())
}

/// One sheet `培训签到表`: the title on row 1, a field per row on rows 2 to 9 (label in A, value
/// in B:D), and from row 11 the attendee table with its ID column formatted as text, so Excel
/// does not turn an ID number into a rounded number.
fn template_book(enterprise_name: &str) -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET_NAME)?;
    let cell = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
    let bold = cell.clone().set_bold();
    let text = cell.clone().set_num_format("@");
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let title = title.set_align(FormatAlign::VerticalCenter);
    sheet.merge_range(0, 0, 0, 3, &format!("{enterprise_name}安全生产培训签到表"), &title)?;
    sheet.set_row_height(0, 32)?;
    for field in Field::ALL {
        let row = field.template_line() as u32 - 1;
        let value = match field {
            Field::HeldOn => cell.clone().set_num_format("yyyy-mm-dd").set_align(FormatAlign::Left),
            Field::Topic | Field::Trainer | Field::ProviderName => text.clone(),
            _ => cell.clone().set_align(FormatAlign::Left),
        };
        sheet.write_string_with_format(row, 0, field.label(), &bold)?;
        sheet.merge_range(row, 1, row, 3, "", &value)?;
        sheet.set_row_height(row, 22)?;
        let choices: Vec<&str> = match field {
            Field::Level => TrainingLevel::ALL.iter().map(|l| l.label_zh()).collect(),
            Field::Provider => ProviderKind::ALL.iter().map(|p| p.label_zh()).collect(),
            Field::KeyPosition => vec!["是", "否"],
            _ => Vec::new(),
        };
        if !choices.is_empty() {
            let list = DataValidation::new().allow_list_strings(&choices)?.set_error_message("请从下拉列表中选择")?;
            sheet.add_data_validation(row, 1, row, 1, &list)?;
        }
    }
    let centred = cell.clone().set_align(FormatAlign::Center);
    for (col, head) in ATTENDEE_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, col as u16, *head, &bold.clone().set_align(FormatAlign::Center))?;
    }
    for i in 1..=TEMPLATE_ROWS {
        let row = HEADER_ROW + i;
        sheet.write_number_with_format(row, 0, f64::from(i), &centred)?;
        sheet.write_blank(row, 1, &text)?;
        sheet.write_blank(row, 2, &text)?;
        sheet.write_blank(row, 3, &cell)?;
        sheet.set_row_height(row, 24)?;
    }
    for (col, width) in [18.0, 16.0, 24.0, 22.0].iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_paper_size(PAPER_A4).set_portrait().set_print_fit_to_pages(1, 0).set_print_center_horizontally(true);
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    Ok(book)
}

/// The most attendees one sheet may list.
pub const MAX_ATTENDEES: usize = 2_000;
/// Rows a sheet may hold besides the attendees: the title, the fields, notes below.
const OTHER_ROWS: usize = 100;

/// One attendee, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeRow {
    /// The row number as the spreadsheet shows it.
    pub line: usize,
    pub name: PersonName,
    pub resident_id: ResidentId,
}

/// A filled attendance sheet, every field and row valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub fields: SessionFields,
    pub attendees: Vec<AttendeeRow>,
}

/// A problem at a row, under a field label (e.g. `培训日期`) or an attendee header (`身份证号码`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub line: usize,
    pub column: &'static str,
    pub problem: Problem,
}

/// Why an attendance sheet was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendanceError {
    /// Neither a readable XLSX nor text.
    Unreadable(String),
    /// No attendee header row (姓名 and 身份证号码), or no field label above it: e.g. a roster.
    NotTheTemplate,
    /// The fields are fine but no one is listed.
    NoAttendees,
    TooManyRows {
        max: usize,
    },
    /// Every problem found, in row order. A field whose row was removed is reported `Missing`
    /// at the row the template puts it on.
    Problems(Vec<Located>),
}

/// Text with blanks removed and the marks people add to labels (`*`, a trailing colon).
fn label_text(cell: &Cell) -> String {
    let s: String = cell.text.chars().filter(|c| !c.is_whitespace()).collect();
    s.trim_start_matches(['*', '＊']).trim_end_matches(['*', '＊', ':', '：']).to_owned()
}

/// The 姓名 and 身份证号码 columns, with the aliases a roster accepts.
fn attendee_columns(cells: &[Cell]) -> Option<(usize, usize)> {
    let find = |aliases: &[&str]| cells.iter().position(|c| aliases.contains(&label_text(c).as_str()));
    Some((find(&["姓名", "名字"])?, find(&["身份证号码", "身份证号", "公民身份号码", "身份证"])?))
}

/// Reads a filled attendance template (XLSX, or a CSV laid out the same). The fields are
/// found by their labels above the attendee header, wherever the rows are; rows with neither
/// a name nor an ID number (the template's unused numbered rows, notes) are skipped.
pub fn parse_attendance(bytes: &[u8]) -> Result<Attendance, AttendanceError> {
    let rows = table::read(bytes, MAX_ATTENDEES + OTHER_ROWS).map_err(|e| match e {
        TableError::Unreadable(m) => AttendanceError::Unreadable(m),
        TableError::TooManyRows => AttendanceError::TooManyRows { max: MAX_ATTENDEES },
    })?;
    let header_at = rows.iter().position(|(_, cells)| attendee_columns(cells).is_some());
    let header_at = header_at.ok_or(AttendanceError::NotTheTemplate)?;
    let (above, below) = rows.split_at(header_at);
    let (name_col, id_col) =
        below.first().and_then(|(_, h)| attendee_columns(h)).ok_or(AttendanceError::NotTheTemplate)?;

    let mut found: HashMap<Field, (usize, Cell)> = HashMap::new();
    for (line, cells) in above {
        let Some(at) = cells.iter().position(|c| !c.text.trim().is_empty()) else { continue };
        let label = label_text(&cells[at]);
        if let Some(field) = Field::ALL.iter().find(|f| f.label() == label) {
            let value = cells[at + 1..].iter().find(|c| !c.text.trim().is_empty()).cloned().unwrap_or_default();
            found.entry(*field).or_insert((*line, value));
        }
    }
    if found.is_empty() {
        return Err(AttendanceError::NotTheTemplate);
    }
    let mut problems = Vec::new();
    let fields = FieldReader { found: &found, problems: &mut problems }.read();
    let attendees = read_attendees(&below[1..], name_col, id_col, &mut problems);
    if attendees.len() > MAX_ATTENDEES {
        return Err(AttendanceError::TooManyRows { max: MAX_ATTENDEES });
    }
    // A field is only ever absent with its problem recorded.
    let fields = match fields {
        Some(fields) if problems.is_empty() => fields,
        _ => {
            problems.sort_by_key(|p| p.line);
            return Err(AttendanceError::Problems(problems));
        }
    };
    if attendees.is_empty() {
        return Err(AttendanceError::NoAttendees);
    }
    Ok(Attendance { fields, attendees })
}

/// A date as typed (2026-08-25, 2026/8/25, 2026.8.25, 2026年8月25日), or a date cell, which
/// reads as Excel's serial day number.
fn read_date(cell: &Cell) -> Result<NaiveDate, ValueError> {
    let bad = rule("is not a date (write it as 2026-08-25)", "不是有效日期（请写成 2026-08-25）");
    let s = cell.text.trim();
    let date = if cell.numeric {
        let serial: f64 = s.parse().map_err(|_| bad.clone())?;
        let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).ok_or(bad.clone())?;
        (1.0..=2_958_465.0)
            .contains(&serial)
            .then(|| epoch.checked_add_days(chrono::Days::new(serial as u64)))
            .flatten()
            .ok_or(bad)?
    } else {
        // A date-time as some tools write it: keep the date.
        let day = s.split([' ', 'T']).next().unwrap_or(s);
        ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(day, f).ok())
            .ok_or(bad)?
    };
    held_on(date)
}

/// 是/否 as people write it; empty is 否.
fn read_yes_no(s: &str) -> Result<bool, ValueError> {
    match s.trim().to_lowercase().as_str() {
        "是" | "y" | "yes" | "√" | "true" => Ok(true),
        "" | "否" | "n" | "no" | "×" | "false" => Ok(false),
        _ => Err(rule("must be 是 (yes) or 否 (no)", "须填“是”或“否”")),
    }
}

/// Reads the field rows, recording what is wrong with each.
struct FieldReader<'a> {
    found: &'a HashMap<Field, (usize, Cell)>,
    problems: &'a mut Vec<Located>,
}

impl FieldReader<'_> {
    /// The field's row and value; a removed row reads as empty, at the template's row.
    fn cell(&self, field: Field) -> (usize, Cell) {
        self.found.get(&field).cloned().unwrap_or_else(|| (field.template_line(), Cell::default()))
    }

    fn fail(&mut self, field: Field, line: usize, problem: Problem) {
        self.problems.push(Located { line, column: field.label(), problem });
    }

    fn required<T>(&mut self, field: Field, read: impl FnOnce(&Cell) -> Result<T, ValueError>) -> Option<T> {
        let (line, value) = self.cell(field);
        if value.text.trim().is_empty() {
            self.fail(field, line, Problem::Missing);
            return None;
        }
        read(&value).map_err(|e| self.fail(field, line, Problem::Value(e))).ok()
    }

    fn read(mut self) -> Option<SessionFields> {
        let topic = self.required(Field::Topic, |c| bounded(&c.text, MAX_TOPIC_CHARS));
        let level = self.required(Field::Level, |c| TrainingLevel::read(&c.text));
        let held_on = self.required(Field::HeldOn, read_date);
        let hours = self.required(Field::Hours, |c| Hours::parse(&c.text));
        let trainer = self.required(Field::Trainer, |c| bounded(&c.text, MAX_TRAINER_CHARS));
        let provider = self.required(Field::Provider, |c| ProviderKind::read(&c.text));

        let (line, value) = self.cell(Field::ProviderName);
        let named = Some(value.text.as_str()).filter(|t| !t.trim().is_empty());
        let checked = match (provider, named) {
            (Some(p), n) => provider_name(p, n),
            // The provider is refused already: check only what can be checked.
            (None, Some(n)) => bounded(n, MAX_PROVIDER_NAME_CHARS).map(Some),
            (None, None) => Ok(None),
        };
        let provider_name = match checked {
            Ok(n) => Some(n),
            Err(ValueError::Empty) => {
                self.fail(Field::ProviderName, line, Problem::Missing);
                None
            }
            Err(e) => {
                self.fail(Field::ProviderName, line, Problem::Value(e));
                None
            }
        };
        let (line, value) = self.cell(Field::KeyPosition);
        let key_position =
            read_yes_no(&value.text).map_err(|e| self.fail(Field::KeyPosition, line, Problem::Value(e))).ok();
        Some(SessionFields {
            topic: topic?,
            level: level?,
            held_on: held_on?,
            hours: hours?,
            trainer: trainer?,
            provider: provider?,
            provider_name: provider_name?,
            key_position: key_position?,
        })
    }
}

/// A name column holding digits is usually an ID number in the wrong column.
fn read_name(s: &str) -> Result<PersonName, ValueError> {
    if s.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c)) {
        return Err(ValueError::BadCharacters);
    }
    PersonName::parse(s)
}

fn read_attendees(
    rows: &[(usize, Vec<Cell>)],
    name_col: usize,
    id_col: usize,
    problems: &mut Vec<Located>,
) -> Vec<AttendeeRow> {
    let (name_header, id_header) = (ATTENDEE_HEADERS[1], ATTENDEE_HEADERS[2]);
    let mut attendees = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, cells) in rows {
        let line = *line;
        let name_cell = cells.get(name_col).cloned().unwrap_or_default();
        let id_cell = cells.get(id_col).cloned().unwrap_or_default();
        let (name_text, id_text) = (name_cell.text.trim(), id_cell.text.trim());
        if name_text.is_empty() && id_text.is_empty() {
            continue;
        }
        let mut fail = |column, problem| problems.push(Located { line, column, problem });
        let name = if name_text.is_empty() {
            fail(name_header, Problem::Missing);
            None
        } else {
            read_name(name_text).map_err(|e| fail(name_header, Problem::Value(e))).ok()
        };
        let parsed = if id_text.is_empty() { Err(None) } else { ResidentId::parse(id_text).map_err(Some) };
        let resident_id = match parsed {
            Err(None) => {
                fail(id_header, Problem::Missing);
                None
            }
            Ok(id) => match seen.get(id.expose()) {
                Some(first) => {
                    fail(id_header, Problem::DuplicateOf(*first));
                    None
                }
                None => {
                    seen.insert(id.expose().to_owned(), line);
                    Some(id)
                }
            },
            // Spreadsheets round a number cell to 15 digits.
            Err(Some(_)) if id_cell.numeric => {
                fail(id_header, Problem::NumericIdCell);
                None
            }
            Err(Some(e)) => {
                fail(id_header, Problem::Value(e));
                None
            }
        };
        if let (Some(name), Some(resident_id)) = (name, resident_id) {
            attendees.push(AttendeeRow { line, name, resident_id });
        }
    }
    attendees
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Worksheet};

    fn id(seq: u32) -> String {
        let body = format!("37130219900101{seq:03}");
        format!("{body}{}", crate::resident_id::check_character(body.as_bytes()).unwrap())
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn row_of(field: Field) -> u32 {
        field.template_line() as u32 - 1
    }

    fn put(sheet: &mut Worksheet, field: Field, value: &str) {
        sheet.write_string(row_of(field), 1, value).unwrap();
    }

    /// Writes attendee `n` (1-based) on the template's numbered rows.
    fn attendee(sheet: &mut Worksheet, n: u32, name: &str, resident_id: &str) {
        sheet.write_string(HEADER_ROW + n, 1, name).unwrap();
        sheet.write_string(HEADER_ROW + n, 2, resident_id).unwrap();
    }

    /// Every field and two attendees, as a person would fill them in Excel.
    fn good(sheet: &mut Worksheet) {
        good_fields(sheet);
        attendee(sheet, 1, "张三", &id(11));
        attendee(sheet, 2, "李四", &id(12));
    }

    fn good_fields(sheet: &mut Worksheet) {
        put(sheet, Field::Topic, "有限空间作业安全");
        put(sheet, Field::Level, "车间级");
        let day = ExcelDateTime::from_ymd(2026, 8, 25).unwrap();
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_date_with_format(row_of(Field::HeldOn), 1, day, &date_format).unwrap();
        sheet.write_number(row_of(Field::Hours), 1, 2.5).unwrap();
        put(sheet, Field::Trainer, "王安全");
        put(sheet, Field::Provider, "委托培训机构");
        put(sheet, Field::ProviderName, "临沂安培职业培训学校");
        put(sheet, Field::KeyPosition, "是");
    }

    /// The real template, filled in by `fill`.
    fn filled(fill: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
        let mut book = template_book("临沂鲁兴化工有限公司").unwrap();
        fill(book.worksheet_from_index(0).unwrap());
        book.save_to_buffer().unwrap()
    }

    fn problems(bytes: &[u8]) -> Vec<(usize, &'static str, Problem)> {
        match parse_attendance(bytes) {
            Err(AttendanceError::Problems(p)) => p.into_iter().map(|l| (l.line, l.column, l.problem)).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn the_template_round_trips() {
        let attendance = parse_attendance(&filled(good)).unwrap();
        assert_eq!(
            attendance.fields,
            SessionFields {
                topic: "有限空间作业安全".into(),
                level: TrainingLevel::Workshop,
                held_on: date(2026, 8, 25),
                hours: Hours::from_minutes(150).unwrap(),
                trainer: "王安全".into(),
                provider: ProviderKind::Agency,
                provider_name: Some("临沂安培职业培训学校".into()),
                key_position: true,
            }
        );
        let rows: Vec<(usize, &str, &str)> =
            attendance.attendees.iter().map(|a| (a.line, a.name.as_str(), a.resident_id.expose())).collect();
        assert_eq!(rows, [(12, "张三", id(11).as_str()), (13, "李四", id(12).as_str())]);
    }

    #[test]
    fn the_template_layout() {
        let bytes = attendance_template("临沂鲁兴化工有限公司").unwrap();
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
        assert_eq!(calamine::Reader::sheet_names(&book), [SHEET_NAME]);
        let range = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
        let text = |row: u32, col: u32| range.get_value((row, col)).map(|d| d.to_string()).unwrap_or_default();
        assert_eq!(text(0, 0), "临沂鲁兴化工有限公司安全生产培训签到表");
        let labels: Vec<String> = (1..=8).map(|r| text(r, 0)).collect();
        assert_eq!(labels, Field::ALL.iter().map(|f| f.label()).collect::<Vec<_>>());
        assert_eq!(text(9, 0), "");
        assert_eq!((0..4).map(|c| text(10, c)).collect::<Vec<_>>(), ATTENDEE_HEADERS);
        assert_eq!(text(10 + TEMPLATE_ROWS, 0), TEMPLATE_ROWS.to_string());

        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut xml).unwrap();
        assert_eq!(xml.matches("<dataValidation ").count(), 3, "level, provider and key position lists");
        assert!(xml.contains("<pageSetup paperSize=\"9\""), "A4");
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
        assert!(styles.contains("formatCode=\"@\""), "text cells for the ID numbers");
        assert!(styles.contains("formatCode=\"yyyy-mm-dd\""));

        // Sent back unfilled: every required field is missing, nothing else.
        let missing = [Field::Topic, Field::Level, Field::HeldOn, Field::Hours, Field::Trainer, Field::Provider];
        let expected: Vec<_> = missing.iter().map(|f| (f.template_line(), f.label(), Problem::Missing)).collect();
        assert_eq!(problems(&bytes), expected);
    }

    #[test]
    fn dates_hours_and_yes_no_as_typed() {
        for typed in ["2026-08-25", "2026/8/25", "2026年8月25日", "2026.8.25", "2026-08-25 00:00:00"] {
            let bytes = filled(|s| {
                good(s);
                put(s, Field::HeldOn, typed);
            });
            assert_eq!(parse_attendance(&bytes).unwrap().fields.held_on, date(2026, 8, 25), "{typed}");
        }
        for (typed, minutes) in [("2", 120), ("2.5", 150), ("2学时", 120), ("2 小时", 120), ("0.5h", 30), ("24", 1440)]
        {
            assert_eq!(Hours::parse(typed).map(Hours::minutes), Ok(minutes), "{typed}");
        }
        assert_eq!(Hours::parse(" "), Err(ValueError::Empty));
        assert!(Hours::parse("两").is_err());
        assert!(Hours::parse("inf").is_err());
        assert_eq!(Hours::from_hours(1.5).unwrap().as_hours(), 1.5);
        assert_eq!(Hours::from_minutes(45), Err(HOURS_RULE));
        for (typed, yes) in [("是", true), ("Y", true), ("yes", true), ("√", true), ("", false), ("否", false)] {
            assert_eq!(read_yes_no(typed), Ok(yes), "{typed}");
        }
        assert_eq!(read_yes_no("N"), Ok(false));
        assert_eq!(read_yes_no("×"), Ok(false));
        assert!(read_yes_no("也许").is_err());
    }

    #[test]
    fn every_problem_is_reported_in_row_order() {
        let mut bad_check = id(13);
        bad_check.replace_range(17.., if bad_check.ends_with('0') { "1" } else { "0" });
        let bytes = filled(|s| {
            good(s);
            put(s, Field::Topic, " ");
            put(s, Field::HeldOn, "2026-13-01");
            put(s, Field::Hours, "1.3");
            put(s, Field::Provider, "本企业自行组织");
            attendee(s, 3, "王五", &bad_check);
            s.write_number(HEADER_ROW + 4, 2, 371302199001011234.0).unwrap();
            s.write_string(HEADER_ROW + 4, 1, "赵六").unwrap();
            attendee(s, 5, "钱七", &id(11));
            attendee(s, 6, "孙8", &id(14));
            attendee(s, 7, "", &id(15));
        });
        let bad_date =
            Problem::Value(rule("is not a date (write it as 2026-08-25)", "不是有效日期（请写成 2026-08-25）"));
        let own_named =
            rule("must be left empty when the enterprise trains its own staff", "本企业自行组织的培训不填培训单位");
        let expected_check = ResidentId::parse(&bad_check).unwrap_err();
        assert!(matches!(expected_check, ValueError::BadCheckCharacter { .. }));
        assert_eq!(
            problems(&bytes),
            [
                (2, "培训主题", Problem::Missing),
                (4, "培训日期", bad_date),
                (5, "学时", Problem::Value(HOURS_RULE)),
                (8, "培训单位", Problem::Value(own_named)),
                (14, "身份证号码", Problem::Value(expected_check)),
                (15, "身份证号码", Problem::NumericIdCell),
                (16, "身份证号码", Problem::DuplicateOf(12)),
                (17, "姓名", Problem::Value(ValueError::BadCharacters)),
                (18, "姓名", Problem::Missing),
            ]
        );
    }

    #[test]
    fn hours_provider_names_and_dates_out_of_range() {
        for hours in ["0", "25", "1.3"] {
            let bytes = filled(|s| {
                good(s);
                put(s, Field::Hours, hours);
            });
            assert_eq!(problems(&bytes), [(5, "学时", Problem::Value(HOURS_RULE))], "{hours}");
        }
        let bytes = filled(|s| {
            good(s);
            s.write_blank(row_of(Field::ProviderName), 1, &Format::new()).unwrap();
        });
        assert_eq!(problems(&bytes), [(8, "培训单位", Problem::Missing)], "an agency must be named");
        let bytes = filled(|s| {
            good(s);
            s.write_number(row_of(Field::HeldOn), 1, 2026.0).unwrap();
        });
        assert_eq!(problems(&bytes).len(), 1, "a year typed into the date cell is a day in 1905");
    }

    #[test]
    fn sheets_that_are_not_the_template() {
        let roster = format!("姓名,身份证号码,人员类别\n张三,{},主要负责人\n", id(11));
        assert_eq!(parse_attendance(roster.as_bytes()), Err(AttendanceError::NotTheTemplate));
        assert_eq!(parse_attendance("培训主题,消防\n".as_bytes()), Err(AttendanceError::NotTheTemplate));
        assert_eq!(parse_attendance(b""), Err(AttendanceError::NotTheTemplate));
        let png = parse_attendance(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01");
        assert!(matches!(png, Err(AttendanceError::Unreadable(_))), "{png:?}");
        assert!(matches!(parse_attendance(b"PK\x03\x04 not a zip"), Err(AttendanceError::Unreadable(_))));
        let nobody = filled(good_fields);
        assert_eq!(parse_attendance(&nobody), Err(AttendanceError::NoAttendees));
    }

    /// The fields and attendees of a CSV in the template's layout, with `attendees` rows.
    fn csv(fields: &str, attendees: usize) -> String {
        let mut out = format!("某公司安全生产培训签到表\n{fields}\n\n序号,姓名,身份证号码,签名\n");
        for i in 0..attendees {
            let body = format!("37130219900101{:03}", i % 1000);
            let birth_year = 1950 + i / 1000;
            let body = body.replacen("1990", &birth_year.to_string(), 1);
            let check = crate::resident_id::check_character(body.as_bytes()).unwrap();
            out.push_str(&format!("{},张三,{body}{check},\n", i + 1));
        }
        out
    }

    #[test]
    fn labels_as_people_edit_them() {
        let fields = "学时：,2\n  培训主题 ：,消防演练\n*培训级别*,班组\n授课人:,李老师\n培训日期,2026/9/1\n\
                      培训方式,自行组织\n备注,三楼会议室\n";
        let attendance = parse_attendance(csv(fields, 3).as_bytes()).unwrap();
        assert_eq!(attendance.fields.topic, "消防演练");
        assert_eq!(attendance.fields.level, TrainingLevel::Team);
        assert_eq!(attendance.fields.provider_name, None);
        assert!(!attendance.fields.key_position, "the row removed reads as 否");
        assert_eq!(attendance.attendees.len(), 3);
        assert_eq!(attendance.attendees[0].line, 12);
    }

    #[test]
    fn at_most_max_attendees() {
        let fields = "培训主题,消防\n培训级别,班组级\n培训日期,2026-9-1\n学时,1\n授课人,李\n培训方式,本企业自行组织";
        assert_eq!(parse_attendance(csv(fields, MAX_ATTENDEES).as_bytes()).unwrap().attendees.len(), MAX_ATTENDEES);
        let too_many = AttendanceError::TooManyRows { max: MAX_ATTENDEES };
        assert_eq!(parse_attendance(csv(fields, MAX_ATTENDEES + 1).as_bytes()), Err(too_many.clone()));
        assert_eq!(parse_attendance(csv(fields, MAX_ATTENDEES + OTHER_ROWS).as_bytes()), Err(too_many));
    }
}
