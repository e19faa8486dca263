//! The CSV reader of the import (the `csv` crate): quoted fields, commas and
//! line breaks inside them, a UTF-8 byte-order mark, columns in any order.
//! Each record becomes a line of text cells for the domain's mapping; a
//! record with the wrong number of fields or bytes that are not UTF-8 is
//! refused as `malformed_line`, and the next one is read.

use super::{row_and_sale, ImportError, Line, Lines};
use csv::{ByteRecord, Reader, ReaderBuilder};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use superstore_domain::classic::{Cell, ClassicLine, LineError, LineReason, COLUMNS};
use superstore_domain::SaleEvent;

struct CsvLines {
    path: PathBuf,
    reader: Reader<File>,
    record: ByteRecord,
    /// The record index of each column of the classic layout.
    columns: [usize; COLUMNS.len()],
    /// Fields in the header; every record must have as many.
    width: usize,
    /// Line breaks inside quoted fields so far: the csv crate counts records'
    /// lines, and a user counts the file's.
    quoted_line_breaks: u64,
    dataset: String,
}

/// Opens a CSV file and checks its header; its lines.
pub(super) fn open(path: &Path, dataset: &str) -> Result<Lines, ImportError> {
    let unreadable = |source| ImportError::Open { path: path.to_owned(), source };
    let file = File::open(path).map_err(unreadable)?;
    let mut reader = ReaderBuilder::new().flexible(true).buffer_capacity(1 << 16).from_reader(file);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| unreadable(std::io::Error::other(e.to_string())))?
        .iter()
        .enumerate()
        .map(|(at, name)| {
            let name = String::from_utf8_lossy(name);
            let name = if at == 0 { name.trim_start_matches('\u{feff}') } else { &name };
            name.trim().to_owned()
        })
        .collect();
    if let Some(wrong) = ImportError::wrong_header(path, &header) {
        return Err(wrong);
    }
    let columns = COLUMNS.map(|column| {
        header.iter().position(|name| name == column).expect("checked by wrong_header")
    });
    let lines = CsvLines {
        path: path.to_owned(),
        reader,
        record: ByteRecord::new(),
        columns,
        width: header.len(),
        quoted_line_breaks: 0,
        dataset: dataset.to_owned(),
    };
    Ok(Box::new(lines))
}

/// Line breaks in the file after the header's (for the progress bar).
pub(super) fn count(path: &Path) -> Result<u64, ImportError> {
    let unreadable = |source| ImportError::Open { path: path.to_owned(), source };
    let mut file = File::open(path).map_err(unreadable)?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut count = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(unreadable)?;
        if read == 0 {
            return Ok(count.saturating_sub(1));
        }
        count += memchr::memchr_iter(b'\n', &buffer[..read]).count() as u64;
    }
}

impl CsvLines {
    fn sale(&self) -> Result<(i64, Box<SaleEvent>), LineError> {
        if self.record.len() != self.width {
            return Err(LineError::new(
                LineReason::MalformedLine,
                format!("the line has {} fields, the header has {}", self.record.len(), self.width),
            ));
        }
        let mut cells = [Cell::Null; COLUMNS.len()];
        for (at, index) in self.columns.iter().enumerate() {
            let text = std::str::from_utf8(&self.record[*index]).map_err(|_| {
                LineError::new(
                    LineReason::MalformedLine,
                    format!("{} holds bytes that are not UTF-8", COLUMNS[at]),
                )
            })?;
            cells[at] = Cell::Text(text);
        }
        row_and_sale(&ClassicLine { cells }, &self.dataset)
    }
}

impl Iterator for CsvLines {
    type Item = Result<Line, String>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => Some(Err(format!("{}: {e}", self.path.display()))),
            Ok(true) => {
                let record_line = self.record.position().map_or(0, csv::Position::line);
                let number = record_line + self.quoted_line_breaks;
                self.quoted_line_breaks +=
                    memchr::memchr_iter(b'\n', self.record.as_slice()).count() as u64;
                Some(Ok(Line { number, outcome: self.sale() }))
            }
        }
    }
}
