//! `superstore import`: the classic Superstore layout from CSV and Parquet
//! files, published as sale events through the same registry-framed Avro
//! publisher as `generate` ([`crate::publish`]); the pipeline then stages
//! them like any other event. One path, no side door into PostgreSQL.
//!
//! Each file is read by the reader of its format ([`csv_lines`],
//! [`parquet_lines`]), which hands every line to the domain's mapping
//! (`superstore_domain::classic`). [`ImportSource`] chains the files, refuses
//! a `Row ID` seen twice in one file, and keeps every refused line
//! ([`refusals`]) for the report; a refused line never stops the import.
//!
//! Every file is opened and its header checked before anything is
//! published: a missing file, a wrong header or an unreadable Parquet
//! footer is an [`ImportError`], and nothing is sent.
//!
//! The workbook's Returns sheet is read by [`ReturnsFile`]: each returned
//! order becomes the returns of its staged lines.

mod csv_lines;
mod file_source;
mod parquet_lines;
pub(crate) mod refusals;
mod returns_file;
mod row_ids;

pub use file_source::ImportSource;
pub use refusals::{write_report, RefusedLine};
pub use returns_file::ReturnsFile;

use std::fmt;
use std::path::{Path, PathBuf};
use superstore_domain::classic::{sale_from_classic, ClassicLine, LineError, COLUMNS};
use superstore_domain::SaleEvent;

/// The formats a file can be imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated text, its header line naming the columns.
    Csv,
    /// Apache Parquet, its columns named like the CSV header's.
    Parquet,
}

impl Format {
    /// The format a file's extension names (`.csv`; `.parquet`, `.parq`, `.pq`).
    pub fn from_extension(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "parquet" | "parq" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// What a position in a file of this format is called.
    fn position_unit(self) -> &'static str {
        match self {
            Format::Csv => "line",
            Format::Parquet => "row",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        })
    }
}

/// One file to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile {
    /// Where the file is.
    pub path: PathBuf,
    /// How it is read.
    pub format: Format,
    /// The dataset the lines belong to: with the `Row ID`, it makes the
    /// event id. The CSV and Parquet copies of one dataset share it.
    pub dataset: String,
}

impl ImportFile {
    /// The dataset a file belongs to unless told otherwise: its name
    /// without the extension (`superstore.csv` and `superstore.parquet` are
    /// both `superstore`).
    pub fn default_dataset(path: &Path) -> String {
        path.file_stem().map_or_else(String::new, |stem| stem.to_string_lossy().into_owned())
    }
}

/// Why a file cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be opened or read.
    #[error("{path}: cannot read it: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The header lacks columns of the classic layout.
    #[error(
        "{path}: the header lacks {missing}; a file in the classic Superstore layout has the \
         columns {expected} (in any order; other columns are ignored). Found: {found}"
    )]
    WrongHeader {
        /// The file.
        path: PathBuf,
        /// The missing columns, quoted and comma-separated.
        missing: String,
        /// Every column of the layout, the same way.
        expected: String,
        /// The columns the file has, the same way (`nothing` for an empty header).
        found: String,
    },
    /// Not a Parquet file the reader can open (a truncated footer, say).
    #[error("{path}: not a readable Parquet file ({detail}); is it complete?")]
    UnreadableParquet {
        /// The file.
        path: PathBuf,
        /// The parquet crate's error.
        detail: String,
    },
    /// A Parquet column of the layout has a type the import has no reading for.
    #[error("{path}: column {column:?} is of type {kind}, which the import cannot read")]
    ColumnType {
        /// The file.
        path: PathBuf,
        /// The column's name.
        column: String,
        /// Its Arrow data type.
        kind: String,
    },
}

impl ImportError {
    fn wrong_header(path: &Path, found: &[String]) -> Option<Self> {
        let missing = COLUMNS.iter().any(|c| !found.iter().any(|f| f == c));
        missing.then(|| ImportError::wrong_columns(path, &COLUMNS, found))
    }

    /// A header of `found` columns that lacks some of `expected`.
    fn wrong_columns(path: &Path, expected: &[&str], found: &[String]) -> Self {
        let missing: Vec<&str> =
            expected.iter().copied().filter(|c| !found.iter().any(|f| f == c)).collect();
        let quoted =
            |names: &[&str]| names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        ImportError::WrongHeader {
            path: path.to_owned(),
            missing: quoted(&missing),
            expected: quoted(expected),
            found: if found.is_empty() { "nothing".into() } else { quoted(&found) },
        }
    }
}

/// One line of a file, read and mapped.
pub(crate) struct Line {
    /// The line number (CSV, the header is line 1) or the row number
    /// (Parquet, the first row is 1).
    pub(crate) number: u64,
    /// The line's `Row ID`, and its sale.
    pub(crate) outcome: Result<(i64, Box<SaleEvent>), LineError>,
}

/// The lines of a file, whatever its format. An `Err` is the file failing
/// mid-way (an I/O error, a damaged row group): the import cannot go on.
pub(crate) type Lines = Box<dyn Iterator<Item = Result<Line, String>>>;

/// Opens `file` and checks its header; its lines.
pub(crate) fn open(file: &ImportFile) -> Result<Lines, ImportError> {
    match file.format {
        Format::Csv => csv_lines::open(&file.path, &file.dataset),
        Format::Parquet => parquet_lines::open(&file.path, &file.dataset),
    }
}

/// How many lines `file` holds, for the progress bar: exact for Parquet;
/// for CSV, its line breaks after the header's (quoted line breaks inside
/// fields count too).
pub(crate) fn count(file: &ImportFile) -> Result<u64, ImportError> {
    match file.format {
        Format::Csv => csv_lines::count(&file.path),
        Format::Parquet => parquet_lines::count(&file.path),
    }
}

/// `line`'s `Row ID` and sale.
fn row_and_sale(line: &ClassicLine<'_>, dataset: &str) -> Result<(i64, Box<SaleEvent>), LineError> {
    Ok((line.row_id()?, sale_from_classic(line, dataset)?))
}
