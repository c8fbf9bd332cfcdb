//! A seeded synthetic crisis for the demonstration and for scoring linkage: a few
//! thousand people killed, wounded, detained or disappeared across Iran's
//! provinces from 28 December 2025, named in overlapping lists from several kinds
//! of source, each written as that source would send it (CSV or XLSX, its own
//! headers, script, date style and noise), with published figures, claims and the
//! ground truth of which rows are the same person.
//!
//! Every name is a random draw from lists of common Iranian names; no row is a
//! real person. The same seed gives byte-identical files.

mod dates;
mod figures;
mod names;
mod noise;
mod people;
mod sources;
mod translit;
mod variants;
mod weighted;

use crate::figures::{FIGURE_HEADERS, FigureInput};
use crate::names::NameTables;
use crate::people::Places;
use crate::sources::{Cell, FileFormat, LISTS, ListKind, Renderer};
use gavah_core::{ClaimStatus, Date, Outcome, SourceType};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How big a crisis to generate, and from which seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub people: usize,
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        // 1404 is the Jalali year the crisis began in.
        DemoConfig {
            people: 3000,
            seed: 1404,
        }
    }
}

/// One source's list as written to the demo folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoList {
    pub source_name: String,
    pub source_type: SourceType,
    /// The source's name and its witness and contact fields must never reach
    /// public output.
    pub protected: bool,
    /// File name inside the demo folder.
    pub file_name: String,
    /// Data rows, not counting the header row.
    pub rows: usize,
}

/// One step in a claim's status history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoClaimStatus {
    pub status: ClaimStatus,
    pub by: String,
    pub date: Date,
    pub note: Option<String>,
}

/// A statement in the claims register, with its status history (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoClaim {
    pub by: String,
    pub date: Date,
    pub text: String,
    pub citation: Option<String>,
    pub statuses: Vec<DemoClaimStatus>,
}

/// What [`write_demo`] wrote, for the caller to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOutput {
    /// In the order the files were written.
    pub lists: Vec<DemoList>,
    /// Published figures, `figures.csv`.
    pub figures_file: String,
    /// Ground truth, `truth.csv`: `file,row,person_id`, where `row` is the
    /// spreadsheet row number (header row 1, first data row 2).
    pub truth_file: String,
    pub claims: Vec<DemoClaim>,
    /// Distinct people in the truth; equals the configured number.
    pub people: usize,
}

/// Why the demo could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "cannot create the demo folder {path}: {source}; check that its parent exists and is writable"
    )]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}; check free space and permissions")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build the spreadsheet {file}: {source}")]
    Xlsx {
        file: String,
        source: rust_xlsxwriter::XlsxError,
    },
    #[error("cannot build {file}: {source}")]
    Csv { file: String, source: csv::Error },
}

/// The published figures' file: `source,source_type,metric,value,qualifier,as_of,
/// province,category,citation`.
pub const FIGURES_FILE: &str = "figures.csv";
/// The ground truth's file: `file,row,person_id`.
pub const TRUTH_FILE: &str = "truth.csv";

/// Independent random streams, so that changing how one list is written never
/// changes the people or the other lists.
const STREAM_PEOPLE: u64 = 1;
const STREAM_ASSIGN: u64 = 2;
const STREAM_LIST: u64 = 100;

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// Every file of a demo in memory, in writing order, with the description.
pub(crate) struct Rendered {
    pub files: Vec<(String, Vec<u8>)>,
    pub output: DemoOutput,
}

pub(crate) fn render(cfg: &DemoConfig) -> Result<Rendered, DemoError> {
    let names = NameTables::load();
    let places = Places::load();
    let people = people::generate(
        &mut rng(cfg.seed, STREAM_PEOPLE),
        cfg.people,
        &names,
        &places,
    );
    let mut appearances = sources::assign(&mut rng(cfg.seed, STREAM_ASSIGN), &people, &places);
    let renderer = Renderer {
        names: &names,
        places: &places,
        people: &people,
    };

    let mut files = Vec::new();
    let mut lists = Vec::new();
    let mut truth: Vec<[String; 3]> = Vec::new();
    for (i, (spec, apps)) in LISTS.iter().zip(appearances.iter_mut()).enumerate() {
        let mut r = rng(cfg.seed, STREAM_LIST + i as u64);
        sources::order(&mut r, spec.kind, apps);
        let mut rows = Vec::with_capacity(apps.len());
        for (n, a) in apps.iter().enumerate() {
            rows.push(renderer.row(&mut r, spec.kind, a, n + 1));
            // Spreadsheet row numbers: the header is row 1.
            truth.push([
                spec.file_name.to_string(),
                (n + 2).to_string(),
                people[a.person].id.to_string(),
            ]);
        }
        let bytes = match spec.format {
            FileFormat::Csv { bom, crlf } => {
                csv_bytes(spec.file_name, spec.headers, &rows, bom, crlf)?
            }
            FileFormat::Xlsx { sheet } => xlsx_bytes(spec.file_name, sheet, spec.headers, &rows)?,
        };
        files.push((spec.file_name.to_string(), bytes));
        lists.push(DemoList {
            source_name: spec.source_name.to_string(),
            source_type: spec.source_type,
            protected: spec.protected,
            file_name: spec.file_name.to_string(),
            rows: apps.len(),
        });
    }

    let list_of = |kind: ListKind| {
        LISTS
            .iter()
            .position(|l| l.kind == kind)
            .map_or(&[][..], |i| appearances[i].as_slice())
    };
    let input = FigureInput {
        people: &people,
        places: &places,
        rights_group: list_of(ListKind::RightsGroup),
        official: list_of(ListKind::Official),
        media: list_of(ListKind::Media),
    };
    let figure_rows: Vec<Vec<Cell>> = figures::figures(&input)
        .iter()
        .map(|f| f.cells().into_iter().map(Cell::Text).collect())
        .collect();
    files.push((
        FIGURES_FILE.to_string(),
        csv_bytes(FIGURES_FILE, FIGURE_HEADERS, &figure_rows, false, false)?,
    ));

    let truth_rows: Vec<Vec<Cell>> = truth
        .into_iter()
        .map(|r| r.into_iter().map(Cell::Text).collect())
        .collect();
    files.push((
        TRUTH_FILE.to_string(),
        csv_bytes(
            TRUTH_FILE,
            &["file", "row", "person_id"],
            &truth_rows,
            false,
            false,
        )?,
    ));

    let killed_named = input
        .rights_group
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Killed | Outcome::Executed))
        .count() as u64;
    let output = DemoOutput {
        lists,
        figures_file: FIGURES_FILE.to_string(),
        truth_file: TRUTH_FILE.to_string(),
        claims: figures::claims(killed_named),
        people: people.len(),
    };
    Ok(Rendered { files, output })
}

/// Writes every list, figures.csv and truth.csv into `dir` (created if missing).
/// The same configuration always writes byte-identical files.
pub fn write_demo(cfg: &DemoConfig, dir: &Path) -> Result<DemoOutput, DemoError> {
    let rendered = render(cfg)?;
    std::fs::create_dir_all(dir).map_err(|source| DemoError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, bytes) in &rendered.files {
        write_file(&dir.join(name), bytes)?;
    }
    Ok(rendered.output)
}

/// Writes through a temporary file and a rename, so an interrupted run never
/// leaves a half-written list for the importer to read.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    let err = |source| DemoError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err)
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Number(n) => format_number(*n),
        Cell::Empty => String::new(),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        i.to_string()
    } else {
        n.to_string()
    }
}

fn csv_bytes(
    file: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
    bom: bool,
    crlf: bool,
) -> Result<Vec<u8>, DemoError> {
    let err = |source| DemoError::Csv {
        file: file.to_string(),
        source,
    };
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice("\u{FEFF}".as_bytes());
    }
    let terminator = if crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(out);
    w.write_record(headers).map_err(err)?;
    for row in rows {
        w.write_record(row.iter().map(cell_text)).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| err(csv::Error::from(e.into_error())))
}

fn xlsx_bytes(
    file: &str,
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<Vec<u8>, DemoError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let err = |source| DemoError::Xlsx {
        file: file.to_string(),
        source,
    };
    let mut wb = Workbook::new();
    // A fixed creation time: the default is the clock, which would make every
    // run's file differ.
    let created = ExcelDateTime::from_ymd(2026, 1, 20).map_err(err)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, *h, &bold)
            .map_err(err)?;
        ws.set_column_width(col, if c == 0 { 28 } else { 16 })
            .map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, col, s).map_err(err)?;
                }
                Cell::Number(n) => {
                    ws.write_number(r, col, *n).map_err(err)?;
                }
                Cell::Empty => {}
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests;
