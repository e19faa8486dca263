//! The lines an import refused, and the rejected-lines report they are
//! written to: one CSV file per import that refused any line, in a folder
//! the command creates (`<SUPERSTORE_HOME>/imports/` by default), named
//! after the dataset and the time. Refused lines are not published, so the
//! report is where they stay visible: fix them and import the file again
//! (the lines already imported stage nothing new).

use chrono::Utc;
use std::fs;
use std::path::{Path, PathBuf};
use superstore_domain::classic::LineReason;

/// One refused line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLine {
    pub(crate) file: PathBuf,
    /// `line` (CSV) or `row` (Parquet).
    pub(crate) unit: &'static str,
    pub(crate) number: u64,
    pub(crate) reason: LineReason,
    pub(crate) detail: String,
}

impl std::fmt::Display for RefusedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}: {}: {}",
            self.file.display(),
            self.unit,
            self.number,
            self.reason,
            self.detail
        )
    }
}

/// Writes `refused` to a new report under `dir` (created if missing),
/// named after `dataset`; returns its path.
pub fn write_report(
    dir: &Path,
    dataset: &str,
    refused: &[RefusedLine],
) -> std::io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let name: String = dataset
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let path = dir.join(format!("{name}-{stamp}-rejected.csv"));
    let mut writer = csv::Writer::from_path(&path)?;
    writer.write_record(["file", "position", "number", "reason", "detail"])?;
    for line in refused {
        let number = line.number.to_string();
        let file = line.file.display().to_string();
        writer.write_record([
            file.as_str(),
            line.unit,
            number.as_str(),
            line.reason.code(),
            line.detail.as_str(),
        ])?;
    }
    writer.flush()?;
    Ok(path)
}
