//! Printable one-sheet workbooks written as their rows come: the report tables (附件3, 附件4,
//! the publication list, the coverage tables). A province's 附件4 has 1.4 million cells;
//! a workbook library keeps every cell until it saves, then builds the whole sheet and
//! compresses it in one go after the last row. Here each row goes into the deflate stream
//! at once (strings inline, no shared-string table), so the file is compressed while the
//! next rows are still being read, and only the end of the zip is left after the last row.
//! In memory only: nothing is written to disk.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::report::Footer;

/// A table to print: a sheet name, a title over the columns, the rows, the footer.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: &'static str,
    pub title: String,
    /// A line under the title (the period, the scope); empty for none.
    pub subtitle: String,
    pub headers: &'static [&'static str],
    pub widths: &'static [f64],
    pub rows: Vec<Vec<Cell>>,
    pub footer: Option<Footer>,
}

/// A cell: text, or a number (written as a number, so the bureau's sums work).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n as f64)
    }
}

/// Deflate level of the workbooks: 3 writes a province's 附件4 in a third of the time of
/// the default 6, for a file a quarter larger.
const ZIP_LEVEL: i64 = 3;

/// Sheet XML gathered before it goes into the deflate stream.
const FLUSH_AT: usize = 64 * 1024;

/// The cell styles of [`STYLES`], by their index there.
#[derive(Debug, Clone, Copy)]
enum Style {
    Plain = 0,
    Title = 1,
    Boxed = 2,
    Head = 3,
}

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

/// Fonts: normal, bold, bold 16 pt. Borders: none, thin all round. Cell styles in the
/// order of [`Style`]: plain; the title (bold 16, centred); a table cell (thin border,
/// centred, wrapped); a header cell (the same, bold).
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="16"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center"/></xf><xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment horizontal="center" wrapText="1"/></xf><xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" wrapText="1"/></xf></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// A workbook written a row at a time, so that rows can be written while the next ones
/// are still being read. Each sheet: the title (merged across), the subtitle, the header
/// row, the rows with borders, then the footer line, laid out to print on A4 landscape.
/// Sheets follow one another ([`SheetWriter::next_sheet`]).
pub struct SheetWriter {
    zip: ZipWriter<Cursor<Vec<u8>>>,
    options: SimpleFileOptions,
    /// The sheets' names, the current one last.
    names: Vec<String>,
    /// Sheet XML not yet in the deflate stream.
    xml: String,
    /// The rows of the current sheet so far.
    rows: u32,
    columns: u16,
    /// Rows merged across the table (title, subtitle, footer), by number.
    merged: Vec<u32>,
}

impl SheetWriter {
    /// Starts a workbook with a sheet of this title, subtitle (none when empty), headers and
    /// column widths.
    pub fn new(name: &str, title: &str, subtitle: &str, headers: &[&str], widths: &[f64]) -> Result<Self, String> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(ZIP_LEVEL));
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("xl/styles.xml", options).map_err(|e| e.to_string())?;
        zip.write_all(STYLES.as_bytes()).map_err(|e| e.to_string())?;
        let mut writer = SheetWriter {
            zip,
            options,
            names: Vec::new(),
            xml: String::with_capacity(FLUSH_AT * 2),
            rows: 0,
            columns: 1,
            merged: Vec::new(),
        };
        writer.start_sheet(name, title, subtitle, headers, widths)?;
        Ok(writer)
    }

    /// Ends the current sheet with its footer and starts the next one.
    pub fn next_sheet(
        &mut self,
        footer: Option<&Footer>,
        name: &str,
        title: &str,
        subtitle: &str,
        headers: &[&str],
        widths: &[f64],
    ) -> Result<(), String> {
        self.end_sheet(footer)?;
        self.start_sheet(name, title, subtitle, headers, widths)
    }

    fn start_sheet(
        &mut self,
        name: &str,
        title: &str,
        subtitle: &str,
        headers: &[&str],
        widths: &[f64],
    ) -> Result<(), String> {
        check_sheet_name(name)?;
        if self.names.iter().any(|n| n.to_lowercase() == name.to_lowercase()) {
            return Err(format!("two sheets named {name:?}"));
        }
        self.names.push(name.to_owned());
        let path = format!("xl/worksheets/sheet{}.xml", self.names.len());
        self.zip.start_file(path, self.options).map_err(|e| e.to_string())?;
        self.rows = 0;
        self.columns = headers.len().max(1) as u16;
        self.xml.push_str(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
        );
        if !widths.is_empty() {
            self.xml.push_str("<cols>");
            for (i, width) in widths.iter().enumerate() {
                let n = i + 1;
                self.xml.push_str(&format!(
                    r#"<col min="{n}" max="{n}" width="{}" customWidth="1"/>"#,
                    column_width(*width)
                ));
            }
            self.xml.push_str("</cols>");
        }
        self.xml.push_str("<sheetData>");
        self.merged_line(title, Style::Title);
        if !subtitle.is_empty() {
            self.merged_line(subtitle, Style::Plain);
        }
        self.push_row(headers.iter().map(|h| Cell::Text((*h).to_owned())), Style::Head);
        Ok(())
    }

    /// Writes the next row, bordered.
    pub fn row(&mut self, cells: impl IntoIterator<Item = Cell>) -> Result<(), String> {
        self.push_row(cells, Style::Boxed);
        if self.xml.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Ends the sheet with the footer line, one row clear of the table, and returns the
    /// workbook's bytes.
    pub fn finish(mut self, footer: Option<&Footer>) -> Result<Vec<u8>, String> {
        self.end_sheet(footer)?;
        let sheets = self.names.len();
        let mut content_types = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
        );
        let mut workbook = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#,
        );
        for (i, name) in self.names.iter().enumerate() {
            let n = i + 1;
            content_types.push_str(&format!(
                r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
            ));
            workbook.push_str(&format!(r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#, escape(name)));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            ));
        }
        debug_assert!(sheets > 0);
        content_types.push_str("</Types>");
        workbook.push_str("</sheets></workbook>");
        rels.push_str("</Relationships>");
        for (path, text) in [
            ("xl/workbook.xml", workbook.as_str()),
            ("xl/_rels/workbook.xml.rels", rels.as_str()),
            ("_rels/.rels", ROOT_RELS),
            ("[Content_Types].xml", content_types.as_str()),
        ] {
            self.zip.start_file(path, self.options).map_err(|e| e.to_string())?;
            self.zip.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        }
        Ok(self.zip.finish().map_err(|e| e.to_string())?.into_inner())
    }

    fn end_sheet(&mut self, footer: Option<&Footer>) -> Result<(), String> {
        if let Some(footer) = footer {
            self.rows += 1;
            self.merged_line(&footer.line(), Style::Plain);
        }
        self.xml.push_str("</sheetData>");
        if !self.merged.is_empty() {
            self.xml.push_str(&format!(r#"<mergeCells count="{}">"#, self.merged.len()));
            let last = column_name(self.columns - 1);
            for row in std::mem::take(&mut self.merged) {
                self.xml.push_str(&format!(r#"<mergeCell ref="A{row}:{last}{row}"/>"#));
            }
            self.xml.push_str("</mergeCells>");
        }
        self.xml.push_str(
            r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><pageSetup paperSize="9" orientation="landscape"/></worksheet>"#,
        );
        self.flush()
    }

    fn flush(&mut self) -> Result<(), String> {
        self.zip.write_all(self.xml.as_bytes()).map_err(|e| e.to_string())?;
        self.xml.clear();
        Ok(())
    }

    /// A line of text merged across the table's columns.
    fn merged_line(&mut self, text: &str, style: Style) {
        self.push_row([Cell::Text(text.to_owned())], style);
        self.merged.push(self.rows);
    }

    fn push_row(&mut self, cells: impl IntoIterator<Item = Cell>, style: Style) {
        self.rows += 1;
        let row = self.rows;
        let s = style as u8;
        self.xml.push_str(&format!(r#"<row r="{row}">"#));
        for (col, cell) in cells.into_iter().enumerate() {
            let at = column_name(col as u16);
            match cell {
                Cell::Text(t) => {
                    let t = within_cell(&t);
                    let space = if t.trim() != t { r#" xml:space="preserve""# } else { "" };
                    self.xml.push_str(&format!(r#"<c r="{at}{row}" s="{s}" t="inlineStr"><is><t{space}>"#));
                    push_escaped(&mut self.xml, t);
                    self.xml.push_str("</t></is></c>");
                }
                Cell::Number(n) if n.is_finite() => {
                    self.xml.push_str(&format!(r#"<c r="{at}{row}" s="{s}"><v>{n}</v></c>"#));
                }
                // Not a number a spreadsheet holds: left empty, bordered like the rest.
                Cell::Number(_) => self.xml.push_str(&format!(r#"<c r="{at}{row}" s="{s}"/>"#)),
            }
        }
        self.xml.push_str("</row>");
    }
}

impl std::fmt::Debug for SheetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SheetWriter").field("rows", &self.rows).finish_non_exhaustive()
    }
}

/// A workbook of one sheet, as [`SheetWriter`] lays it out.
pub fn workbook(s: Sheet) -> Result<Vec<u8>, String> {
    workbook_of(vec![s])
}

/// A workbook of several sheets, in order (at least one).
pub fn workbook_of(sheets: Vec<Sheet>) -> Result<Vec<u8>, String> {
    let mut sheets = sheets.into_iter();
    let first = sheets.next().ok_or("a workbook needs a sheet")?;
    let mut writer = SheetWriter::new(first.name, &first.title, &first.subtitle, first.headers, first.widths)?;
    let mut footer = first.footer;
    for cells in first.rows {
        writer.row(cells)?;
    }
    for s in sheets {
        writer.next_sheet(footer.as_ref(), s.name, &s.title, &s.subtitle, s.headers, s.widths)?;
        footer = s.footer;
        for cells in s.rows {
            writer.row(cells)?;
        }
    }
    writer.finish(footer.as_ref())
}

/// The most characters a cell holds: Excel calls a file with a longer one damaged.
const MAX_CELL_CHARS: usize = 32_767;

/// `t`, cut to what a cell holds.
fn within_cell(t: &str) -> &str {
    match t.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => &t[..end],
        None => t,
    }
}

/// Excel's rules for a sheet's name.
fn check_sheet_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > 31 {
        return Err(format!("sheet name {name:?} must be 1 to 31 characters"));
    }
    if name.contains(['[', ']', ':', '*', '?', '/', '\\']) || name.starts_with('\'') || name.ends_with('\'') {
        return Err(format!("sheet name {name:?} holds a character Excel refuses"));
    }
    Ok(())
}

/// A width in characters as the file stores it: Excel adds 5 pixels of padding to the
/// characters' 7 each, in 1/256 steps.
fn column_width(chars: f64) -> f64 {
    let chars = chars.clamp(0.0, 255.0);
    ((chars * 7.0 + 5.0) / 7.0 * 256.0).trunc() / 256.0
}

/// A column's letters: 0 → A, 25 → Z, 26 → AA.
fn column_name(col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// Attribute-safe XML text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Appends `s` as XML text: the markup characters as entities, and the control characters
/// XML cannot hold as Excel's `_xHHHH_` escapes, which Excel reads back as the character
/// (a literal `_xHHHH_` in the text is itself escaped, so that it reads back unchanged).
fn push_escaped(out: &mut String, s: &str) {
    for (i, c) in s.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("_x{:04X}_", c as u32));
            }
            '_' if looks_escaped(&s[i..]) => out.push_str("_x005F_"),
            c => out.push(c),
        }
    }
}

/// Whether `s` starts with `_xHHHH_`.
fn looks_escaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn read(bytes: Vec<u8>, name: &str) -> (Vec<Vec<Data>>, Vec<String>) {
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let merged = book
            .merge_cells_by_sheet_name(name)
            .unwrap()
            .iter()
            .map(|d| format!("{:?}-{:?}", d.start, d.end))
            .collect();
        let range = book.worksheet_range(name).unwrap();
        (range.rows().map(<[Data]>::to_vec).collect(), merged)
    }

    #[test]
    fn a_sheet_reads_back_cell_for_cell_with_its_merges() {
        let sheet = Sheet {
            name: "附件4",
            title: "兰山区“大考试”不及格人员名单".into(),
            subtitle: "2026-09-01 至 2026-10-01".into(),
            headers: &["序号", "姓名", "成绩"],
            widths: &[6.0, 10.0, 12.0],
            rows: vec![
                vec![Cell::from(1), "张三 & <李四>".into(), "缺考".into()],
                vec![Cell::from(2), " 前后有空格 ".into(), Cell::Number(79.5)],
                vec![Cell::from(3), "控制\u{1}字符 _x0041_ 换\n行".into(), Cell::Number(f64::NAN)],
            ],
            footer: Some(Footer {
                unit: "兰山区应急管理局".into(), filled_by: "王科长".into(), ..Footer::default()
            }),
        };
        let (rows, merged) = read(workbook(sheet).unwrap(), "附件4");
        let text = |d: &Data| match d {
            Data::String(s) => s.clone(),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Empty => String::new(),
            other => format!("{other:?}"),
        };
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
        assert_eq!(rows[0][0], "兰山区“大考试”不及格人员名单");
        assert_eq!(rows[1][0], "2026-09-01 至 2026-10-01");
        assert_eq!(rows[2], ["序号", "姓名", "成绩"]);
        assert_eq!(rows[3], ["1", "张三 & <李四>", "缺考"]);
        assert_eq!(rows[4], ["2", " 前后有空格 ", "79.5"]);
        assert_eq!(rows[5], ["3", "控制\u{1}字符 _x0041_ 换\n行", ""]);
        assert_eq!(rows[6], ["", "", ""], "one row clear of the table");
        assert!(rows[7][0].starts_with("填报单位：兰山区应急管理局"), "{:?}", rows[7]);
        assert_eq!(merged, ["(0, 0)-(0, 2)", "(1, 0)-(1, 2)", "(7, 0)-(7, 2)"]);
    }

    #[test]
    fn sheets_follow_one_another_each_with_its_own_layout() {
        let sheet = |name: &'static str, title: &str, rows: usize| Sheet {
            name,
            title: title.into(),
            subtitle: String::new(),
            headers: &["项目", "内容"],
            widths: &[10.0, 30.0],
            rows: (0..rows).map(|i| vec![Cell::from(i as i64), Cell::from(format!("第{i}行"))]).collect(),
            footer: None,
        };
        let bytes = workbook_of(vec![sheet("基本信息", "一人一档", 2), sheet("考试", "考试记录", 3)]).unwrap();
        let (first, merged) = read(bytes.clone(), "基本信息");
        assert_eq!(first.len(), 4);
        assert_eq!(merged, ["(0, 0)-(0, 1)"]);
        let (second, _) = read(bytes, "考试");
        assert_eq!(second.len(), 5);
        assert_eq!(second[4][1], Data::String("第2行".into()));
        assert!(workbook_of(vec![sheet("同名", "a", 1), sheet("同名", "b", 1)]).is_err());
        assert!(workbook_of(Vec::new()).is_err());
    }

    #[test]
    fn a_cell_holds_no_more_than_excel_takes() {
        let long = "长".repeat(MAX_CELL_CHARS + 10);
        assert_eq!(within_cell(&long).chars().count(), MAX_CELL_CHARS);
        assert_eq!(within_cell("短"), "短");
    }

    #[test]
    fn excel_sheet_names_and_column_letters() {
        assert!(check_sheet_name("附件3").is_ok());
        assert!(check_sheet_name("").is_err());
        assert!(check_sheet_name("a/b").is_err());
        assert!(check_sheet_name(&"长".repeat(32)).is_err());
        assert_eq!([column_name(0), column_name(25), column_name(26), column_name(701)], ["A", "Z", "AA", "ZZ"]);
        assert_eq!(column_width(6.0), 6.7109375);
    }
}
