//! Reading tables out of files: CSV and TSV (UTF-8, UTF-16 or Windows-1256),
//! XLSX and ODS, and JSON Lines, as a header and a stream of raw rows.

use crate::error::{Problem, ProblemKind};
use calamine::{Data, Reader as _};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// The longest value one field may hold. Longer is not a cell of a casualty
/// list but a broken file (a missing quote, a binary file).
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// File formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Tsv,
    Xlsx,
    Ods,
    Jsonl,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
            Format::Jsonl => "jsonl",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name.to_ascii_lowercase().as_str() {
            "csv" | "txt" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "xlsx" | "xlsm" => Format::Xlsx,
            "ods" => Format::Ods,
            "jsonl" | "ndjson" | "json" => Format::Jsonl,
            _ => return None,
        })
    }

    /// The format a file's extension says, or `None`.
    pub fn from_path(path: &Path) -> Option<Format> {
        Format::from_name(path.extension()?.to_str()?)
    }
}

/// One row as read: its number as a spreadsheet shows it and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub row: u64,
    pub cells: Vec<String>,
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub format: Option<Format>,
    /// An encoding label (`utf-8`, `utf-16le`, `windows-1256`, …); sniffed when `None`.
    pub encoding: Option<String>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
}

/// An open table: the header and the rows still to read.
pub struct Table {
    pub path: PathBuf,
    pub format: Format,
    pub encoding: String,
    pub headers: Vec<String>,
    /// Bytes of the file, for progress.
    pub total_bytes: u64,
    rows: Rows,
}

enum Rows {
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        record: csv::ByteRecord,
        /// Row numbering as a spreadsheet shows it; see `RowNumbering`.
        numbering: RowNumbering,
    },
    Memory {
        rows: std::vec::IntoIter<RawRow>,
        consumed_bytes: u64,
    },
}

fn io_problem(path: &Path, e: &std::io::Error) -> Problem {
    let msg = match e.kind() {
        std::io::ErrorKind::NotFound => "the file does not exist; check the path".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "permission denied; check the file's permissions".to_string()
        }
        _ => format!("cannot read the file: {e}"),
    };
    Problem::error(path, ProblemKind::Io(msg))
}

impl Table {
    /// Opens a file and reads its header.
    pub fn open(path: &Path, opts: &ReadOptions) -> Result<Table, Problem> {
        let meta = std::fs::metadata(path).map_err(|e| io_problem(path, &e))?;
        if meta.is_dir() {
            return Err(Problem::error(
                path,
                ProblemKind::Io("this is a folder; expected a file".into()),
            ));
        }
        let format = match opts.format.or_else(|| Format::from_path(path)) {
            Some(f) => f,
            None => {
                return Err(Problem::error(
                    path,
                    ProblemKind::Malformed(
                        "cannot tell the file's format from its name; expected a .csv, .tsv, .xlsx, .ods or \
                         .jsonl file, or pass --format"
                            .into(),
                    ),
                ));
            }
        };
        if meta.len() == 0 {
            return Err(Problem::error(
                path,
                ProblemKind::Empty("the file is empty; expected a header row and data rows".into()),
            ));
        }
        match format {
            Format::Csv | Format::Tsv => open_delimited(path, format, opts, meta.len()),
            Format::Xlsx | Format::Ods => open_workbook(path, format, opts, meta.len()),
            Format::Jsonl => open_jsonl(path, opts, meta.len()),
        }
    }

    /// The next row, or a problem that stops reading (a broken file).
    pub fn next_row(&mut self) -> Option<Result<RawRow, Problem>> {
        match &mut self.rows {
            Rows::Memory { rows, .. } => rows.next().map(Ok),
            Rows::Csv {
                reader,
                record,
                numbering,
            } => loop {
                match reader.read_byte_record(record) {
                    Ok(false) => return None,
                    Ok(true) => {}
                    Err(e) => return Some(Err(csv_problem(&self.path, &e))),
                }
                let row = numbering.next(record, reader.position().line());
                if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    // Blank lines in a list are not rows.
                    continue;
                }
                let mut cells = Vec::with_capacity(record.len());
                for (i, field) in record.iter().enumerate() {
                    if field.len() > MAX_FIELD_BYTES {
                        let mut p = Problem::error(
                            &self.path,
                            ProblemKind::TooLong {
                                len: field.len(),
                                max: MAX_FIELD_BYTES,
                            },
                        )
                        .at_row(row);
                        if let Some(h) = self.headers.get(i) {
                            p = p.in_column(h);
                        }
                        return Some(Err(p));
                    }
                    match std::str::from_utf8(field) {
                        Ok(s) => cells.push(s.to_string()),
                        Err(e) => {
                            let mut p = Problem::error(
                                &self.path,
                                ProblemKind::Encoding(format!(
                                    "byte {} of this field is not UTF-8; the file mixes encodings — save it as \
                                     UTF-8, or pass --encoding",
                                    e.valid_up_to()
                                )),
                            )
                            .at_row(row);
                            if let Some(h) = self.headers.get(i) {
                                p = p.in_column(h);
                            }
                            return Some(Err(p));
                        }
                    }
                }
                return Some(Ok(RawRow { row, cells }));
            },
        }
    }

    /// How many bytes of the file have been read, for progress bars.
    pub fn bytes_read(&self) -> u64 {
        match &self.rows {
            Rows::Csv { reader, .. } => reader.position().byte(),
            Rows::Memory { consumed_bytes, .. } => *consumed_bytes,
        }
    }
}

/// Numbers records as a spreadsheet shows their rows: the header is row 1, a
/// record whose cells hold line breaks is still one row, and blank lines (which
/// the CSV reader skips) still count. A record's reported position is where the
/// reader started on it, blank lines before it included, so the lines it
/// consumed, less its own line breaks and terminator, are the blank lines. Only
/// differences of line numbers are used, since the numbers themselves are off
/// by one with CRLF line ends (BurntSushi/rust-csv#395).
struct RowNumbering {
    row: u64,
}

fn newlines(record: &csv::ByteRecord) -> u64 {
    record
        .iter()
        .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum()
}

impl RowNumbering {
    fn after_header() -> RowNumbering {
        RowNumbering { row: 1 }
    }

    /// The row of the record just read; `end_line` is the reader's line after it.
    fn next(&mut self, record: &csv::ByteRecord, end_line: u64) -> u64 {
        let start_line = record.position().map_or(end_line, csv::Position::line);
        let consumed = end_line.saturating_sub(start_line);
        let blank = consumed.saturating_sub(1 + newlines(record));
        self.row += 1 + blank;
        self.row
    }
}

fn csv_problem(path: &Path, e: &csv::Error) -> Problem {
    let row = e.position().map(csv::Position::line);
    let msg = match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read the file: {io}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!(
                "field {} is not valid UTF-8 text; save the file as UTF-8 or pass --encoding",
                err.field() + 1
            )
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            let p = Problem::error(
                path,
                ProblemKind::Ragged {
                    expected: usize::try_from(*expected_len).unwrap_or(usize::MAX),
                    found: usize::try_from(*len).unwrap_or(usize::MAX),
                },
            );
            return match row {
                Some(r) => p.at_row(r),
                None => p,
            };
        }
        _ => format!("malformed CSV: {e}"),
    };
    let p = Problem::error(path, ProblemKind::Malformed(msg));
    match row {
        Some(r) => p.at_row(r),
        None => p,
    }
}

/// Decides the encoding from the first bytes: a BOM, NUL patterns of UTF-16,
/// valid UTF-8, or Windows-1256 (which Persian spreadsheets exported from
/// Windows often use) when the text then reads as Arabic-script letters.
fn sniff_encoding(
    path: &Path,
    sample: &[u8],
    complete: bool,
) -> Result<&'static encoding_rs::Encoding, Problem> {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(sample) {
        return Ok(enc);
    }
    let evens = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odds = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let half = sample.len() / 2;
    if half >= 4 && odds * 3 > half {
        return Ok(encoding_rs::UTF_16LE);
    }
    if half >= 4 && evens * 3 > half {
        return Ok(encoding_rs::UTF_16BE);
    }
    match std::str::from_utf8(sample) {
        Ok(_) => return Ok(encoding_rs::UTF_8),
        // A sample cut in the middle of a character is still UTF-8.
        Err(e) if !complete && e.error_len().is_none() => return Ok(encoding_rs::UTF_8),
        Err(_) => {}
    }
    if sample.contains(&0) {
        return Err(Problem::error(
            path,
            ProblemKind::Encoding(
                "the file holds NUL bytes and is not UTF-16 text: it looks binary; expected a CSV or TSV text file".into(),
            ),
        ));
    }
    let (text, _, _) = encoding_rs::WINDOWS_1256.decode(sample);
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let arabic = text
        .chars()
        .filter(|c| ('\u{0600}'..='\u{06FF}').contains(c))
        .count();
    if letters > 0 && arabic * 4 >= letters {
        return Ok(encoding_rs::WINDOWS_1256);
    }
    Err(Problem::error(
        path,
        ProblemKind::Encoding(
            "the file is not UTF-8, UTF-16 or Windows-1256 text; save it as UTF-8 or pass --encoding with its encoding"
                .into(),
        ),
    ))
}

fn encoding_for_label(path: &Path, label: &str) -> Result<&'static encoding_rs::Encoding, Problem> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        Problem::error(
            path,
            ProblemKind::Encoding(format!("'{label}' is not an encoding we know; expected utf-8, utf-16le, utf-16be or windows-1256")),
        )
    })
}

fn open_delimited(
    path: &Path,
    format: Format,
    opts: &ReadOptions,
    total_bytes: u64,
) -> Result<Table, Problem> {
    let mut file = File::open(path).map_err(|e| io_problem(path, &e))?;
    let mut sample = vec![0u8; 64 * 1024];
    let mut filled = 0;
    while filled < sample.len() {
        let n = file
            .read(&mut sample[filled..])
            .map_err(|e| io_problem(path, &e))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    sample.truncate(filled);
    let complete = (filled as u64) == total_bytes;
    let encoding = match &opts.encoding {
        Some(label) => encoding_for_label(path, label)?,
        None => sniff_encoding(path, &sample, complete)?,
    };
    // Re-open so the reader starts from the first byte, BOM included.
    let file = File::open(path).map_err(|e| io_problem(path, &e))?;
    let raw: Box<dyn Read + Send> = if encoding == encoding_rs::UTF_8 {
        // UTF-8 is read as it is, stripping a BOM; no transcoding cost on the hot path.
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .strip_bom(true)
                .utf8_passthru(true)
                .build(BufReader::with_capacity(1 << 20, file)),
        )
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .strip_bom(true)
                .build(BufReader::with_capacity(1 << 20, file)),
        )
    };
    let delimiter = match (opts.delimiter, format) {
        (Some(d), _) => d,
        (None, Format::Tsv) => b'\t',
        (None, _) => guess_delimiter(&sample, encoding),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(raw);
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(csv_problem(path, &e)),
    };

    let mut names = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        if h.len() > MAX_FIELD_BYTES {
            return Err(Problem::error(
                path,
                ProblemKind::TooLong {
                    len: h.len(),
                    max: MAX_FIELD_BYTES,
                },
            )
            .at_row(1)
            .in_column(&format!("#{}", i + 1)));
        }
        let name = std::str::from_utf8(h).map_err(|_| {
            Problem::error(
                path,
                ProblemKind::Encoding("the header row is not valid UTF-8; pass --encoding".into()),
            )
            .at_row(1)
        })?;
        names.push(name.trim().to_string());
    }
    if names.iter().all(String::is_empty) {
        return Err(Problem::error(
            path,
            ProblemKind::Empty("the header row is empty; expected column names in row 1".into()),
        ));
    }
    Ok(Table {
        path: path.to_path_buf(),
        format,
        encoding: encoding.name().to_ascii_lowercase(),
        headers: names,
        total_bytes,
        rows: Rows::Csv {
            reader,
            record: csv::ByteRecord::new(),
            numbering: RowNumbering::after_header(),
        },
    })
}

/// The delimiter that splits the first line most often: `,`, `;`, tab or `|`.
fn guess_delimiter(sample: &[u8], encoding: &'static encoding_rs::Encoding) -> u8 {
    let (text, _, _) = encoding.decode(sample);
    let first = text.lines().next().unwrap_or("");
    let candidates = [b',', b';', b'\t', b'|'];
    let mut best = b',';
    let mut best_n = 0;
    for c in candidates {
        // The Arabic comma is not a CSV delimiter; only ASCII counts.
        let n = first.bytes().filter(|&b| b == c).count();
        if n > best_n {
            best = c;
            best_n = n;
        }
    }
    best
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{f:.0}")
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            // Excel counts days from 1899-12-30 (for dates after February 1900);
            // 25,569 of them fall before 1970-01-01.
            let days = dt.as_f64().floor();
            if days.is_finite() && (0.0..3_000_000.0).contains(&days) {
                // In range by the check above.
                #[allow(clippy::cast_possible_truncation)]
                gavah_core::Date::from_days(days as i32 - 25_569).to_string()
            } else {
                dt.as_f64().to_string()
            }
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

fn open_workbook(
    path: &Path,
    format: Format,
    opts: &ReadOptions,
    total_bytes: u64,
) -> Result<Table, Problem> {
    let bad = |e: &dyn std::fmt::Display| {
        Problem::error(
            path,
            ProblemKind::Malformed(format!(
                "cannot read the file as {}: {e}; it may be damaged or truncated — open and save it again",
                format.as_str().to_uppercase()
            )),
        )
    };
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| bad(&e))?;
    let sheets = workbook.sheet_names();
    let sheet = match &opts.sheet {
        Some(s) => {
            if !sheets.contains(s) {
                return Err(Problem::error(
                    path,
                    ProblemKind::Malformed(format!(
                        "no sheet named '{s}'; the sheets are: {}",
                        sheets.join(", ")
                    )),
                ));
            }
            s.clone()
        }
        None => {
            // The first sheet with any data.
            let mut found = None;
            for s in &sheets {
                if let Ok(range) = workbook.worksheet_range(s)
                    && !range.is_empty()
                {
                    found = Some(s.clone());
                    break;
                }
            }
            found.ok_or_else(|| {
                Problem::error(
                    path,
                    ProblemKind::Empty(
                        "every sheet is empty; expected a header row and data rows".into(),
                    ),
                )
            })?
        }
    };
    let range = workbook.worksheet_range(&sheet).map_err(|e| bad(&e))?;
    let (start_row, _) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let header_cells = rows
        .next()
        .ok_or_else(|| Problem::error(path, ProblemKind::Empty("the sheet is empty".into())))?;
    let headers: Vec<String> = header_cells
        .iter()
        .map(|c| cell_text(c).trim().to_string())
        .collect();
    let mut out = Vec::new();
    for (i, r) in rows.enumerate() {
        let cells: Vec<String> = r.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if let Some((j, c)) = cells
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() > MAX_FIELD_BYTES)
        {
            let row = u64::from(start_row) + i as u64 + 2;
            let mut p = Problem::error(
                path,
                ProblemKind::TooLong {
                    len: c.len(),
                    max: MAX_FIELD_BYTES,
                },
            )
            .at_row(row);
            if let Some(h) = headers.get(j) {
                p = p.in_column(h);
            }
            return Err(p);
        }
        // Spreadsheet rows count from 1 and the header is the sheet's first used row.
        out.push(RawRow {
            row: u64::from(start_row) + i as u64 + 2,
            cells,
        });
    }
    Ok(Table {
        path: path.to_path_buf(),
        format,
        encoding: "utf-8".into(),
        headers,
        total_bytes,
        rows: Rows::Memory {
            rows: out.into_iter(),
            consumed_bytes: total_bytes,
        },
    })
}

fn open_jsonl(path: &Path, opts: &ReadOptions, total_bytes: u64) -> Result<Table, Problem> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| io_problem(path, &e))?;
    let encoding = match &opts.encoding {
        Some(label) => encoding_for_label(path, label)?,
        None => sniff_encoding(path, &bytes, true)?,
    };
    let (text, _, had_errors) = encoding.decode(&bytes);
    if had_errors {
        return Err(Problem::error(
            path,
            ProblemKind::Encoding(format!("the file is not valid {} text", encoding.name())),
        ));
    }
    let mut headers: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let row = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            Problem::error(
                path,
                ProblemKind::Malformed(format!(
                    "line {row} is not JSON: {e}; expected one JSON object per line"
                )),
            )
            .at_row(row)
        })?;
        let serde_json::Value::Object(map) = value else {
            return Err(Problem::error(
                path,
                ProblemKind::Malformed("expected a JSON object on each line".into()),
            )
            .at_row(row));
        };
        let mut cells = Vec::with_capacity(map.len());
        for (k, v) in map {
            let text = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    return Err(Problem::error(
                        path,
                        ProblemKind::Malformed(format!(
                            "expected a string, number or null, found {}",
                            // Only the JSON type: the value may be a protected one.
                            if other.is_array() {
                                "an array"
                            } else {
                                "an object"
                            }
                        )),
                    )
                    .at_row(row)
                    .in_column(&k));
                }
            };
            if text.len() > MAX_FIELD_BYTES {
                return Err(Problem::error(
                    path,
                    ProblemKind::TooLong {
                        len: text.len(),
                        max: MAX_FIELD_BYTES,
                    },
                )
                .at_row(row)
                .in_column(&k));
            }
            if !headers.contains(&k) {
                headers.push(k.clone());
            }
            cells.push((k, text));
        }
        objects.push((row, cells));
    }
    if objects.is_empty() {
        return Err(Problem::error(
            path,
            ProblemKind::Empty("the file has no JSON objects".into()),
        ));
    }
    let rows = objects
        .into_iter()
        .map(|(row, cells)| {
            let mut out = vec![String::new(); headers.len()];
            for (k, v) in cells {
                if let Some(i) = headers.iter().position(|h| *h == k) {
                    out[i] = v;
                }
            }
            RawRow { row, cells: out }
        })
        .collect::<Vec<_>>();
    Ok(Table {
        path: path.to_path_buf(),
        format: Format::Jsonl,
        encoding: encoding.name().to_ascii_lowercase(),
        headers,
        total_bytes,
        rows: Rows::Memory {
            rows: rows.into_iter(),
            consumed_bytes: total_bytes,
        },
    })
}
