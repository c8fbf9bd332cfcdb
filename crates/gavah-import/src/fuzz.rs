//! Checks for fuzzing and property tests: [`check_rows`] reads arbitrary bytes
//! as a CSV people list through the real [`Table`] and [`PeopleParser`] and
//! panics when a promise of the importer does not hold.
//!
//! The target in `fuzz/fuzz_targets/row.rs` calls it, and
//! `tests/fuzz_failures.rs` replays the inputs saved in
//! `tests/data/fuzz-failures/` through it (the idea of rust-analyzer's
//! `crates/syntax/src/fuzz.rs`). Nothing here runs in production; a panic is
//! the report.

use crate::error::{Problem, ProblemKind};
use crate::mapping::{Field, Mapping};
use crate::parse::PeopleParser;
use crate::reader::{Format, RawRow, ReadOptions, Table};
use gavah_core::PersonReport;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Reads `bytes` as a CSV people list, the way `gavah import` does (peek at the
/// first row for HXL tags, then parse every row until the file ends or breaks),
/// twice, and checks:
///
/// - nothing panics, and reading is deterministic;
/// - every problem names its row, unless it is about the whole file (the file
///   cannot be read, is not text, is malformed or empty, has no usable columns,
///   or a note);
/// - a problem found in a row names that row, and a row of the wrong width is
///   reported as ragged;
/// - rows are numbered as a spreadsheet shows them: after the header,
///   increasing, whatever the line breaks;
/// - no problem carries the value of a protected column (witness, contact, notes).
///
/// The importer only reads files, so the bytes go to a temporary file that is
/// removed afterwards.
pub fn check_rows(bytes: &[u8]) {
    let file = TempFile::new(bytes);
    let first = read(file.path());
    let again = read(file.path());
    assert!(
        first == again,
        "reading the same bytes twice gave different results"
    );
    first.check();
}

/// What one reading of a file gave.
#[derive(Debug, PartialEq)]
struct Reading {
    /// Problems not found by parsing a row: opening the file, the header, the
    /// column mapping, and the problem that stopped reading.
    problems: Vec<Problem>,
    headers: Vec<String>,
    fields: Vec<Option<Field>>,
    rows: Vec<ParsedRow>,
}

#[derive(Debug, PartialEq)]
struct ParsedRow {
    raw: RawRow,
    report: PersonReport,
    problems: Vec<Problem>,
}

fn read(path: &Path) -> Reading {
    let mut out = Reading {
        problems: Vec::new(),
        headers: Vec::new(),
        fields: Vec::new(),
        rows: Vec::new(),
    };
    let opts = ReadOptions {
        format: Some(Format::Csv),
        ..ReadOptions::default()
    };
    let mut table = match Table::open(path, &opts) {
        Ok(t) => t,
        Err(p) => {
            out.problems.push(p);
            return out;
        }
    };
    out.headers = table.headers.clone();
    let first = match table.next_row() {
        Some(Ok(r)) => r,
        Some(Err(p)) => {
            out.problems.push(p);
            return out;
        }
        None => return out,
    };
    let (parser, hxl, warnings) =
        match PeopleParser::new(path, &out.headers, Some(&first), Mapping::default()) {
            Ok(p) => p,
            Err(p) => {
                out.problems.push(p);
                return out;
            }
        };
    out.problems.extend(warnings);
    out.fields = parser.fields().to_vec();
    let mut pending = (!hxl).then_some(first);
    loop {
        let raw = match pending.take().map(Ok).or_else(|| table.next_row()) {
            Some(Ok(r)) => r,
            Some(Err(p)) => {
                out.problems.push(p);
                break;
            }
            None => break,
        };
        let mut problems = Vec::new();
        let report = parser.parse(&raw, &mut problems);
        out.rows.push(ParsedRow {
            raw,
            report,
            problems,
        });
    }
    out
}

/// Kinds of problem that may be about the whole file rather than one row.
fn is_file_level(kind: &ProblemKind) -> bool {
    matches!(
        kind,
        ProblemKind::Io(_)
            | ProblemKind::Encoding(_)
            | ProblemKind::Malformed(_)
            | ProblemKind::Empty(_)
            | ProblemKind::NoUsableColumns { .. }
            | ProblemKind::Mapping(_)
            | ProblemKind::Note(_)
    )
}

impl Reading {
    fn check(&self) {
        let all = self
            .problems
            .iter()
            .chain(self.rows.iter().flat_map(|r| &r.problems));
        for p in all {
            assert!(
                p.row.is_some() || is_file_level(&p.kind),
                "a problem about one row does not name it: {p:?}"
            );
            // Display must not panic, whatever the input.
            let _ = p.to_string();
            if let Some(column) = &p.column {
                let mut columns = self
                    .headers
                    .iter()
                    .zip(&self.fields)
                    .filter(|(h, _)| *h == column)
                    .peekable();
                let only_protected = columns.peek().is_some()
                    && columns.all(|(_, f)| f.is_some_and(Field::is_protected));
                assert!(
                    !only_protected || p.value.is_none(),
                    "a problem in protected column '{column}' carries its value: {p:?}"
                );
            }
        }
        let mut last_row = 1;
        for row in &self.rows {
            let n = row.raw.row;
            assert!(
                n > last_row,
                "row {n} follows row {last_row}; expected rows after the header, increasing"
            );
            last_row = n;
            if row.raw.cells.len() != self.headers.len() {
                assert!(
                    row.problems
                        .iter()
                        .any(|p| matches!(p.kind, ProblemKind::Ragged { .. })),
                    "row {n} has {} cells for {} headers but no ragged-row problem",
                    row.raw.cells.len(),
                    self.headers.len()
                );
            }
            for p in &row.problems {
                assert_eq!(
                    p.row,
                    Some(n),
                    "a problem found in row {n} names another row: {p:?}"
                );
                self.check_no_protected_value(row, p);
            }
        }
    }

    /// No problem of a row may show a protected cell of that row, unless an
    /// unprotected cell of the row holds the same text.
    fn check_no_protected_value(&self, row: &ParsedRow, p: &Problem) {
        let Some(value) = &p.value else {
            return;
        };
        let shown = |cell: &str| {
            Problem::error(Path::new(""), ProblemKind::UnresolvedPlace)
                .with_value(cell.trim())
                .value
        };
        let mut protected = false;
        for (i, cell) in row.raw.cells.iter().enumerate() {
            if shown(cell).as_ref() != Some(value) {
                continue;
            }
            match self.fields.get(i).copied().flatten() {
                Some(f) if f.is_protected() => protected = true,
                _ => return,
            }
        }
        assert!(
            !protected,
            "a problem in row {} shows the value of a protected column: {p:?}",
            row.raw.row
        );
    }
}

/// A file in the system's temporary folder, removed when dropped (also when a
/// check panics, so a fuzzing run does not fill the disk).
struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "gavah-fuzz-{}-{}.csv",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        // A throwaway file only this process reads: no need for an atomic write.
        let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(bytes));
        if let Err(e) = written {
            panic!("cannot write the temporary file {}: {e}", path.display());
        }
        TempFile(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
