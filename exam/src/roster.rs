//! Worker rosters as enterprises fill them in: CSV (UTF-8, or GB18030 as Excel saves it on
//! a Chinese system) or XLSX, with columns named in Chinese. Parsing is all or nothing:
//! either every row is valid, or every problem is reported with its row and column.
//! Also the XLSX of principals that a county reports upward (附件1). Bytes in, bytes out.

use crate::table::{self, Cell, TableError};
use crate::{MobilePhone, PersonName, ResidentId, ValueError, WorkerRole};

/// The most data rows one file may hold.
pub const MAX_ROWS: usize = 10_000;

/// The columns, by the names an enterprise would write (aliases accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    ResidentId,
    Phone,
    Role,
    Position,
}

impl Column {
    pub const ALL: [Column; 5] = [Self::Name, Self::ResidentId, Self::Phone, Self::Role, Self::Position];

    /// The column's name in the template.
    pub fn header(self) -> &'static str {
        match self {
            Self::Name => "姓名",
            Self::ResidentId => "身份证号码",
            Self::Phone => "手机号码",
            Self::Role => "人员类别",
            Self::Position => "岗位",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Name => &["姓名", "名字"],
            Self::ResidentId => &["身份证号码", "身份证号", "公民身份号码", "身份证"],
            Self::Phone => &["手机号码", "手机号", "手机", "联系电话"],
            Self::Role => &["人员类别", "人员类型", "类别", "人员身份"],
            Self::Position => &["岗位", "职务", "岗位/职务", "工种"],
        }
    }

    fn required(self) -> bool {
        matches!(self, Self::Name | Self::ResidentId | Self::Role)
    }
}

/// One valid roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub line: usize,
    pub name: PersonName,
    pub resident_id: ResidentId,
    pub phone: Option<MobilePhone>,
    pub role: WorkerRole,
    pub position: Option<String>,
}

/// What is wrong with a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Value(ValueError),
    /// A required cell is empty.
    Missing,
    /// An ID number stored as a number: spreadsheets round it to 15 digits.
    NumericIdCell,
    /// The same ID number appears on an earlier row.
    DuplicateOf(usize),
}

/// A problem at a row and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub column: Column,
    pub problem: Problem,
}

/// Why a roster was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterError {
    /// Neither a readable XLSX nor text.
    Unreadable(String),
    /// Required columns are missing from the header row.
    MissingColumns(Vec<Column>),
    /// No data rows.
    Empty,
    TooManyRows {
        max: usize,
    },
    /// Every problem found, in row order.
    Rows(Vec<RowError>),
}

fn header_index(header: &[Cell]) -> Result<[Option<usize>; 5], RosterError> {
    let mut index = [None; 5];
    for (i, col) in Column::ALL.iter().enumerate() {
        index[i] = header.iter().position(|c| {
            let name: String = c.text.chars().filter(|ch| !ch.is_whitespace() && *ch != '*').collect();
            col.aliases().contains(&name.as_str())
        });
    }
    let missing: Vec<Column> =
        Column::ALL.iter().zip(index).filter(|(c, i)| c.required() && i.is_none()).map(|(c, _)| *c).collect();
    if missing.is_empty() {
        Ok(index)
    } else {
        Err(RosterError::MissingColumns(missing))
    }
}

/// Reads a roster (XLSX recognised by content, anything else read as CSV).
pub fn parse(bytes: &[u8]) -> Result<Vec<Row>, RosterError> {
    let table = table::read(bytes, MAX_ROWS).map_err(|e| match e {
        TableError::Unreadable(m) => RosterError::Unreadable(m),
        TableError::TooManyRows => RosterError::TooManyRows { max: MAX_ROWS },
    })?;
    let mut lines = table.into_iter();
    let (_, header) = lines.next().ok_or(RosterError::Empty)?;
    let index = header_index(&header)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut seen_phones: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (line, cells) in lines {
        if cells.iter().all(|c| c.text.trim().is_empty()) {
            continue;
        }
        let get = |col: Column| -> Cell {
            let pos = Column::ALL.iter().position(|c| *c == col).and_then(|i| index[i]);
            pos.and_then(|p| cells.get(p)).cloned().unwrap_or_default()
        };
        let mut fail = |column, problem| errors.push(RowError { line, column, problem });
        let text = |col| get(col).text.trim().to_owned();
        let name = match text(Column::Name) {
            t if t.is_empty() => {
                fail(Column::Name, Problem::Missing);
                None
            }
            t => PersonName::parse(&t).map_err(|e| fail(Column::Name, Problem::Value(e))).ok(),
        };
        let id_cell = get(Column::ResidentId);
        let resident_id = if id_cell.text.trim().is_empty() {
            fail(Column::ResidentId, Problem::Missing);
            None
        } else {
            match ResidentId::parse(&id_cell.text) {
                Ok(id) => Some(id),
                Err(_) if id_cell.numeric => {
                    fail(Column::ResidentId, Problem::NumericIdCell);
                    None
                }
                Err(e) => {
                    fail(Column::ResidentId, Problem::Value(e));
                    None
                }
            }
        };
        if let Some(id) = &resident_id {
            if let Some(first) = seen.get(id.expose()) {
                fail(Column::ResidentId, Problem::DuplicateOf(*first));
            } else {
                seen.insert(id.expose().to_owned(), line);
            }
        }
        let phone = match text(Column::Phone) {
            t if t.is_empty() => Some(None),
            t => MobilePhone::parse(&t).map(Some).map_err(|e| fail(Column::Phone, Problem::Value(e))).ok(),
        };
        if let Some(Some(p)) = &phone {
            match seen_phones.get(p.expose()) {
                Some(first) => fail(Column::Phone, Problem::DuplicateOf(*first)),
                None => {
                    seen_phones.insert(p.expose().to_owned(), line);
                }
            }
        }
        let role = match text(Column::Role) {
            t if t.is_empty() => {
                fail(Column::Role, Problem::Missing);
                None
            }
            t => WorkerRole::parse(&t).map_err(|e| fail(Column::Role, Problem::Value(e))).ok(),
        };
        let position = match text(Column::Position) {
            t if t.is_empty() => Some(None),
            t => crate::OrgName::parse(&t)
                .map(|p| Some(p.into_inner()))
                .map_err(|e| fail(Column::Position, Problem::Value(e)))
                .ok(),
        };
        if let (Some(name), Some(resident_id), Some(phone), Some(role), Some(position)) =
            (name, resident_id, phone, role, position)
        {
            rows.push(Row { line, name, resident_id, phone, role, position });
        }
        if rows.len() + errors.len() > MAX_ROWS * 5 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(RosterError::Rows(errors));
    }
    if rows.is_empty() {
        return Err(RosterError::Empty);
    }
    if rows.len() > MAX_ROWS {
        return Err(RosterError::TooManyRows { max: MAX_ROWS });
    }
    Ok(rows)
}

/// One line of the principals list (附件1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PrincipalLine {
    /// 姓名
    pub name: String,
    /// 身份证号码, whole.
    pub resident_id: String,
    /// 单位类型: the enterprise's industry.
    pub unit_type: String,
    /// 工作单位
    pub unit: String,
    /// 备注
    pub note: String,
}

/// The principals list as an XLSX workbook: 序号, 姓名, 身份证号码, 单位类型, 工作单位, 备注.
pub fn principals_xlsx(title: &str, lines: &[PrincipalLine]) -> Result<Vec<u8>, String> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    sheet.set_name("附件1").map_err(err)?;
    sheet.write_string(0, 0, title).map_err(err)?;
    for (col, head) in ["序号", "姓名", "身份证号码", "单位类型", "工作单位", "备注"].iter().enumerate()
    {
        sheet.write_string(1, col as u16, *head).map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let row = (i + 2) as u32;
        sheet.write_number(row, 0, (i + 1) as f64).map_err(err)?;
        // Written as text: a number cell would round the ID to 15 digits.
        for (col, value) in [&l.name, &l.resident_id, &l.unit_type, &l.unit, &l.note].iter().enumerate() {
            sheet.write_string(row, col as u16 + 1, value.as_str()).map_err(err)?;
        }
    }
    for (col, width) in [6.0, 12.0, 22.0, 14.0, 36.0, 16.0].iter().enumerate() {
        sheet.set_column_width(col as u16, *width).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(seq: u32) -> String {
        let body = format!("37130219900101{seq:03}");
        format!("{body}{}", crate::resident_id::check_character(body.as_bytes()).unwrap())
    }

    #[test]
    fn a_good_csv_in_utf8_or_gb18030() {
        let csv = format!(
            "姓名,身份证号码,手机号码,人员类别,岗位\n张三,{},13805391234,主要负责人,总经理\n\n李四,{},,其他从业人员,\n",
            id(11),
            id(12)
        );
        let rows = parse(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].role, WorkerRole::Principal);
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].phone, None);
        let (gbk, _, _) = encoding_rs::GB18030.encode(&csv);
        assert_eq!(parse(&gbk).unwrap(), rows);
        let bom = [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat();
        assert_eq!(parse(&bom).unwrap(), rows);
    }

    #[test]
    fn every_bad_cell_is_reported() {
        let csv = format!(
            "姓名,身份证号,手机,类别\n,{},13805391234,主要负责人\n王五,371302199001011230,123,老板\n赵六,{},,安全管理人员\n",
            id(21),
            id(21)
        );
        let Err(RosterError::Rows(errors)) = parse(csv.as_bytes()) else { panic!("expected row errors") };
        let found: Vec<(usize, Column)> = errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            found,
            [
                (2, Column::Name),
                (3, Column::ResidentId),
                (3, Column::Phone),
                (3, Column::Role),
                (4, Column::ResidentId)
            ]
        );
        assert_eq!(errors[4].problem, Problem::DuplicateOf(2));
        assert_eq!(errors[0].problem, Problem::Missing);
    }

    #[test]
    fn two_people_with_one_phone_are_reported() {
        let csv = format!(
            "姓名,身份证号码,手机号码,人员类别\n张三,{},13805391234,主要负责人\n李四,{},138 0539 1234,其他从业人员\n",
            id(51),
            id(52)
        );
        let Err(RosterError::Rows(errors)) = parse(csv.as_bytes()) else { panic!("expected row errors") };
        assert_eq!(errors, [RowError { line: 3, column: Column::Phone, problem: Problem::DuplicateOf(2) }]);
    }

    #[test]
    fn missing_columns_and_empty_files() {
        assert_eq!(
            parse("姓名,岗位\n张三,工人\n".as_bytes()),
            Err(RosterError::MissingColumns(vec![Column::ResidentId, Column::Role]))
        );
        assert_eq!(parse(b""), Err(RosterError::Empty));
        assert_eq!(parse("姓名,身份证号码,人员类别\n".as_bytes()), Err(RosterError::Empty));
        let binary = parse(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01");
        assert!(matches!(binary, Err(RosterError::Unreadable(_))), "{binary:?}");
        assert!(matches!(parse(b"PK\x03\x04 not really a zip"), Err(RosterError::Unreadable(_))));
    }

    #[test]
    fn xlsx_round_trip_and_numeric_id_cells() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["姓名", "身份证号码", "人员类别"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "张三").unwrap();
        sheet.write_string(1, 1, id(31)).unwrap();
        sheet.write_string(1, 2, "主要负责人").unwrap();
        sheet.write_string(2, 0, "李四").unwrap();
        sheet.write_number(2, 1, 371302199001011234.0).unwrap();
        sheet.write_string(2, 2, "其他从业人员").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let Err(RosterError::Rows(errors)) = parse(&bytes) else { panic!("expected row errors") };
        assert_eq!(errors, [RowError { line: 3, column: Column::ResidentId, problem: Problem::NumericIdCell }]);
    }

    #[test]
    fn principals_workbook_reads_back() {
        let lines = vec![PrincipalLine {
            name: "张三".into(),
            resident_id: id(41),
            unit_type: "危险化学品".into(),
            unit: "临沂鲁兴化工有限公司".into(),
            note: String::new(),
        }];
        let bytes = principals_xlsx("兰山区规模以上企业主要负责人名单", &lines).unwrap();
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
        let row: Vec<String> = range.rows().nth(2).unwrap().iter().map(|d| d.to_string()).collect();
        assert_eq!(row, ["1", "张三", &id(41), "危险化学品", "临沂鲁兴化工有限公司", ""]);
    }
}
