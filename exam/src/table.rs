//! Spreadsheets as people send them: CSV (UTF-8, or GB18030 as Excel saves it on a Chinese
//! system) or XLSX, recognised by content. Read into rows of text cells with the row
//! number a person sees, for the roster and question-bank importers.

use std::io::Cursor;

use calamine::{Data, Reader};

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TableError {
    Unreadable(String),
    /// More data rows than the importer accepts.
    TooManyRows,
}

/// Reads a table: XLSX when the bytes are a ZIP, CSV text otherwise. At most `max_rows`
/// data rows (plus the header).
pub(crate) fn read(bytes: &[u8], max_rows: usize) -> Result<Table, TableError> {
    if is_xlsx(bytes) {
        read_xlsx(bytes, max_rows)
    } else {
        read_csv(bytes, max_rows)
    }
}

/// A cell as read: its text, and whether the file stored it as a number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub text: String,
    pub numeric: bool,
}

fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn decode_text(bytes: &[u8]) -> Result<String, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(TableError::Unreadable("neither UTF-8 nor GB18030 text, nor an XLSX workbook".into()));
            }
            text.into_owned()
        }
    };
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n')) {
        return Err(TableError::Unreadable("binary data, not a CSV text file".into()));
    }
    Ok(text)
}

/// Rows with the line number a person sees in the file.
pub(crate) type Table = Vec<(usize, Vec<Cell>)>;

fn read_csv(bytes: &[u8], max_rows: usize) -> Result<Table, TableError> {
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Unreadable(format!("CSV: {e}")))?;
        // Counted from the byte offset: the reader's own count skips blank lines, and its
        // offset points before them.
        let line = record.position().map_or(rows.len() + 1, |p| {
            let bytes = text.as_bytes();
            let mut start = (p.byte() as usize).min(bytes.len());
            while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                start += 1;
            }
            1 + bytes[..start].iter().filter(|b| **b == b'\n').count()
        });
        rows.push((line, record.iter().map(|t| Cell { text: t.to_owned(), numeric: false }).collect()));
        if rows.len() > max_rows + 1 {
            return Err(TableError::TooManyRows);
        }
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8], max_rows: usize) -> Result<Table, TableError> {
    let unreadable = |e: String| TableError::Unreadable(format!("XLSX: {e}"));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("no worksheet".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    if range.height() > max_rows + 1 {
        return Err(TableError::TooManyRows);
    }
    let cell = |d: &Data| match d {
        Data::Int(i) => Cell { text: i.to_string(), numeric: true },
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e19 => Cell { text: format!("{f:.0}"), numeric: true },
        Data::Float(f) => Cell { text: f.to_string(), numeric: true },
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell { text: s.clone(), numeric: false },
        Data::Bool(b) => Cell { text: b.to_string(), numeric: false },
        Data::DateTime(d) => Cell { text: d.to_string(), numeric: true },
        Data::Error(_) | Data::Empty => Cell::default(),
    };
    let first = range.start().map_or(0, |(row, _)| row as usize);
    Ok(range.rows().enumerate().map(|(i, r)| (first + i + 1, r.iter().map(cell).collect())).collect())
}
