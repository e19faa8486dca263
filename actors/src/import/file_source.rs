//! The files of one import as a publisher source: their lines in order,
//! file after file, each an event to publish or a refused line. Reading
//! again from any index gives the same items (the files are read again from
//! the start and the first items skipped), so a restarted publisher resumes
//! where it stood, and a refused line is recorded once, by its position.

use crate::import::row_ids::SeenRowIds;
use crate::import::{count, open, ImportError, ImportFile, Line, RefusedLine};
use crate::publish::{EventSource, SourceError, SourceItem, SourceItems};
use std::collections::BTreeMap;
use std::sync::Mutex;
use superstore_domain::classic::{LineError, LineReason};
use superstore_domain::SaleEvent;

/// The files of one import, read in order as one source of sale events.
pub struct ImportSource {
    files: Vec<ImportFile>,
    lines: u64,
    /// Refused lines by (file index, line number).
    refused: Mutex<BTreeMap<(usize, u64), RefusedLine>>,
}

impl ImportSource {
    /// Opens every file once and checks it, before anything is published.
    pub fn open(files: Vec<ImportFile>) -> Result<Self, ImportError> {
        let mut lines = 0;
        for file in &files {
            drop(open(file)?); // checks the header or the footer
            lines += count(file)?;
        }
        Ok(ImportSource { files, lines, refused: Mutex::default() })
    }

    /// The files, in the order they are published.
    pub fn files(&self) -> &[ImportFile] {
        &self.files
    }

    /// The lines refused so far, in file and line order.
    pub fn refused(&self) -> Vec<RefusedLine> {
        self.refused.lock().expect("refusals lock").values().cloned().collect()
    }

    fn refuse(&self, at: usize, line_number: u64, error: LineError) {
        let file = &self.files[at];
        self.refused.lock().expect("refusals lock").entry((at, line_number)).or_insert_with(|| {
            RefusedLine {
                file: file.path.clone(),
                unit: file.format.position_unit(),
                number: line_number,
                reason: error.reason,
                detail: error.detail,
            }
        });
    }

    /// The items of file `at`.
    fn file_items(&self, at: usize) -> SourceItems<'_> {
        let file = &self.files[at];
        let lines = match open(file) {
            Ok(lines) => lines,
            Err(e) => return Box::new(std::iter::once(Err(SourceError(e.to_string())))),
        };
        let mut seen = SeenRowIds::default();
        Box::new(lines.map(move |line| {
            let Line { number, outcome } = line.map_err(SourceError)?;
            match outcome.and_then(|event| first_of_its_row(event, &mut seen)) {
                Ok(event) => Ok(SourceItem::Event(event)),
                Err(error) => {
                    self.refuse(at, number, error);
                    Ok(SourceItem::Skipped)
                }
            }
        }))
    }
}

/// Refuses a line whose `Row ID` (hence event id) came earlier in the file.
fn first_of_its_row(
    (row_id, event): (i64, Box<SaleEvent>),
    seen: &mut SeenRowIds,
) -> Result<Box<SaleEvent>, LineError> {
    if seen.insert(row_id) {
        return Ok(event);
    }
    Err(LineError::new(
        LineReason::DuplicateRowId,
        "an earlier line of this file has the same Row ID: it would be taken for a re-sent copy",
    ))
}

impl EventSource for ImportSource {
    fn len_hint(&self) -> Option<u64> {
        Some(self.lines)
    }

    fn items(&self, from: u64) -> Result<SourceItems<'_>, SourceError> {
        let items = (0..self.files.len()).flat_map(move |at| self.file_items(at));
        Ok(Box::new(items.skip(usize::try_from(from).unwrap_or(usize::MAX))))
    }
}
