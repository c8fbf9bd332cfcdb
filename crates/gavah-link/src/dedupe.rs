//! Standalone dedupe (and two-file link) of CSV files: what a researcher with
//! a spreadsheet runs first. Reads the file(s), guesses field kinds from
//! headers and content unless told, links, and writes every input row with a
//! `cluster_id` column (and, linking two files, a `source_file` column).
//!
//! A cluster's id is the id of its first record in input order (first file
//! first), so records added after it never rename it.

use crate::blocking::BlockingReport;
use crate::cluster::Constraints;
use crate::data::{Dataset, FieldKind};
use crate::error::LinkError;
use crate::metrics::{PairwiseScores, pairwise};
use crate::model::Model;
use crate::pipeline::{LinkOptions, Phase, PhaseTime, Progress, link};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Instant;

/// What to dedupe and how.
#[derive(Debug, Clone)]
pub struct DedupeOptions {
    pub input: PathBuf,
    /// A second file: link mode (only pairs across the two files are compared).
    pub link: Option<PathBuf>,
    pub output: PathBuf,
    /// The id column; guessed (id, rec_id, record_id, …) or the row number.
    pub id_column: Option<String>,
    /// `COLUMN:KIND` specifications; other columns are guessed.
    pub fields: Vec<String>,
    /// A column of true entity labels: never compared, used to score the result.
    pub truth_column: Option<String>,
    /// Write the trained model here.
    pub save_model: Option<PathBuf>,
    /// Use this model instead of training.
    pub load_model: Option<PathBuf>,
    /// Write the review queue (uncertain pairs, most consequential first,
    /// with each field's weight) to this CSV file.
    pub review: Option<PathBuf>,
    pub link_options: LinkOptions,
}

impl DedupeOptions {
    /// Options with defaults for everything but the files.
    pub fn new(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> DedupeOptions {
        DedupeOptions {
            input: input.into(),
            link: None,
            output: output.into(),
            id_column: None,
            fields: Vec::new(),
            truth_column: None,
            save_model: None,
            load_model: None,
            review: None,
            link_options: LinkOptions::default(),
        }
    }
}

/// A column and how it was used.
#[derive(Debug, Clone, Serialize)]
pub struct FieldChoice {
    pub column: String,
    pub kind: FieldKind,
    /// True when the kind was guessed rather than given.
    pub guessed: bool,
}

/// What a dedupe run did.
#[derive(Debug, Clone, Serialize)]
pub struct DedupeReport {
    pub records: usize,
    pub clusters: usize,
    pub candidate_pairs: u64,
    pub pairs_above_threshold: u64,
    pub id_column: Option<String>,
    pub fields: Vec<FieldChoice>,
    pub blocking: BlockingReport,
    #[serde(skip)]
    pub model: Model,
    pub timings: Vec<PhaseTime>,
    /// Scores against the truth column, when one was named.
    pub accuracy: Option<PairwiseScores>,
}

/// Runs a dedupe (or link) of CSV files.
pub fn run(opts: &DedupeOptions, progress: &dyn Progress) -> Result<DedupeReport, LinkError> {
    if !(0.0..=1.0).contains(&opts.link_options.threshold) {
        return Err(LinkError::BadThreshold(opts.link_options.threshold));
    }
    let clock = Instant::now();
    let files: Vec<&Path> = std::iter::once(opts.input.as_path())
        .chain(opts.link.as_deref())
        .collect();
    progress.start(Phase::Reading, 0);
    let header = read_header(files[0])?;
    for f in &files[1..] {
        let h = read_header(f)?;
        if h != header {
            return Err(LinkError::HeaderMismatch {
                path: f.to_path_buf(),
                first: header,
                this: h,
            });
        }
    }
    let id_col = choose_id(&header, opts.id_column.as_deref(), files[0])?;
    let truth_col =
        match &opts.truth_column {
            Some(t) => Some(header.iter().position(|h| h == t).ok_or_else(|| {
                LinkError::UnknownColumn {
                    path: files[0].to_path_buf(),
                    column: t.clone(),
                    available: header.clone(),
                }
            })?),
            None => None,
        };
    let given = parse_field_specs(&opts.fields, &header, files[0])?;
    let sample = read_sample(files[0], header.len(), 2000)?;
    let mut choices = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if Some(i) == id_col || Some(i) == truth_col {
            continue;
        }
        let (kind, guessed) = match given.get(&i) {
            Some(&k) => (k, false),
            None => (guess_kind(h, sample.iter().map(|r| r[i].as_str())), true),
        };
        choices.push((
            i,
            FieldChoice {
                column: h.clone(),
                kind,
                guessed,
            },
        ));
    }
    let schema: Vec<(String, FieldKind)> = choices
        .iter()
        .map(|(_, c)| (c.column.clone(), c.kind))
        .collect();
    let mut data = Dataset::new(&schema);
    data.link_only = files.len() > 1;
    let columns: Vec<usize> = choices.iter().map(|(i, _)| *i).collect();
    let (ids, truth) = read_records(
        &files,
        header.len(),
        &columns,
        id_col,
        truth_col,
        &mut data,
        progress,
    )?;
    data.finish();
    progress.finish();
    let read_time = clock.elapsed().as_secs_f64();

    let mut link_options = opts.link_options.clone();
    if let Some(path) = &opts.load_model {
        link_options.model = Some(Model::load(path)?);
    }
    let truth_ref = truth_col.map(|_| truth.as_slice());
    let out = link(
        &data,
        &link_options,
        &Constraints::default(),
        progress,
        truth_ref,
    )?;
    if let Some(path) = &opts.save_model {
        out.model.save(path)?;
    }
    if let Some(path) = &opts.review {
        write_review(path, &data, &ids, &out)?;
    }

    let clock = Instant::now();
    progress.start(Phase::Writing, data.len() as u64);
    write_output(opts, &files, &header, &ids, &out.clustering.cluster_of)?;
    progress.finish();
    let mut timings = vec![PhaseTime {
        phase: Phase::Reading,
        seconds: read_time,
    }];
    timings.extend(out.timings.iter().cloned());
    timings.push(PhaseTime {
        phase: Phase::Writing,
        seconds: clock.elapsed().as_secs_f64(),
    });
    let accuracy = truth_col.map(|_| {
        pairwise(
            &out.clustering.cluster_of,
            &truth,
            data.link_only.then_some(data.source.as_slice()),
        )
    });
    let threshold = link_options.threshold;
    Ok(DedupeReport {
        records: data.len(),
        clusters: out.clustering.count(),
        candidate_pairs: out.pairs.len() as u64,
        pairs_above_threshold: out
            .probabilities
            .iter()
            .filter(|&&p| f64::from(p) >= threshold)
            .count() as u64,
        id_column: id_col.map(|i| header[i].clone()),
        fields: choices.into_iter().map(|(_, c)| c).collect(),
        blocking: out.blocking,
        model: out.model,
        timings,
        accuracy,
    })
}

/// Rows handed from the thread that parses the CSV to the one that prepares
/// the values.
const READ_BATCH: usize = 16_384;

/// A batch of parsed rows: the file it came from, its first row number (the
/// header is row 1) and the records.
type Batch = (usize, u64, Vec<csv::StringRecord>);

/// Reads every row of the files into `data` (the fields at `columns`), and
/// returns each row's id and, when asked for, its truth label (numbered in
/// order of first appearance).
///
/// One thread parses the CSV while the others prepare values, one column per
/// task: columns are independent, and preparing (transliteration keys, dates,
/// the gazetteer) is most of the work. Batches of parsed records go back to
/// the parser to be reused.
fn read_records(
    files: &[&Path],
    width: usize,
    columns: &[usize],
    id_col: Option<usize>,
    truth_col: Option<usize>,
    data: &mut Dataset,
    progress: &dyn Progress,
) -> Result<(Vec<String>, Vec<u32>), LinkError> {
    use rayon::prelude::*;
    let mut ids: Vec<String> = Vec::new();
    let mut truth_labels: FxHashMap<String, u32> = FxHashMap::default();
    let mut truth: Vec<u32> = Vec::new();
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = sync_channel::<Result<Batch, LinkError>>(2);
        let (empty_tx, empty_rx) = sync_channel::<Vec<csv::StringRecord>>(4);
        let parser = scope.spawn(move || {
            for (source, file) in files.iter().enumerate() {
                if let Err(e) = parse_file(source, file, width, &full_tx, &empty_rx) {
                    // The receiver is gone only when it has failed itself.
                    let _ = full_tx.send(Err(e));
                    return;
                }
            }
        });
        for batch in &full_rx {
            let (source, first_row, records) = batch?;
            let source_byte = u8::try_from(source).unwrap_or(u8::MAX);
            rayon::join(
                || {
                    data.columns
                        .par_iter_mut()
                        .zip(columns)
                        .for_each(|(col, &i)| {
                            for r in &records {
                                col.push(&r[i]);
                            }
                        });
                },
                || {
                    for (k, r) in records.iter().enumerate() {
                        ids.push(match id_col {
                            Some(i) => r[i].to_string(),
                            None => format!("{}", first_row + k as u64 - 1),
                        });
                        if let Some(t) = truth_col {
                            let next = truth_labels.len() as u32;
                            truth.push(*truth_labels.entry(r[t].to_string()).or_insert(next));
                        }
                    }
                },
            );
            data.source
                .extend(std::iter::repeat_n(source_byte, records.len()));
            progress.set(data.len() as u64);
            // The parser may have finished; then the batch is simply dropped.
            let _ = empty_tx.try_send(records);
        }
        drop(full_rx);
        parser.join().map_err(|_| LinkError::Io {
            path: files[0].to_path_buf(),
            source: std::io::Error::other("the CSV reading thread failed"),
        })
    })?;
    Ok((ids, truth))
}

/// Parses one file into batches of [`READ_BATCH`] records, checking that
/// every row has `width` fields and that the file has at least one row.
fn parse_file(
    source: usize,
    file: &Path,
    width: usize,
    full: &std::sync::mpsc::SyncSender<Result<Batch, LinkError>>,
    empty: &std::sync::mpsc::Receiver<Vec<csv::StringRecord>>,
) -> Result<(), LinkError> {
    let rows = read_in_batches(
        file,
        empty,
        |reader, record: &mut csv::StringRecord, row| {
            if !reader
                .read_record(record)
                .map_err(|e| csv_error(file, row, &e))?
            {
                return Ok(false);
            }
            if record.len() != width {
                return Err(LinkError::Ragged {
                    path: file.to_path_buf(),
                    row,
                    expected: width,
                    found: record.len(),
                });
            }
            Ok(true)
        },
        |first_row, batch| full.send(Ok((source, first_row, batch))).is_ok(),
    )?;
    if rows == 0 {
        return Err(LinkError::Empty {
            path: file.to_path_buf(),
        });
    }
    Ok(())
}

/// Reads `file`'s records in batches of [`READ_BATCH`], reusing the vectors
/// that come back on `empty`: the loop both parsing threads run. `read`
/// fills one record, given the row it is in the file (the header is row 1),
/// and says whether there was one; `send` takes each batch that holds
/// records, with its first record's row, and says whether to go on (not when
/// the receiver is gone, having stopped on an error of its own). Returns how
/// many records were read.
fn read_in_batches<T: Default>(
    file: &Path,
    empty: &std::sync::mpsc::Receiver<Vec<T>>,
    mut read: impl FnMut(&mut csv::Reader<std::fs::File>, &mut T, u64) -> Result<bool, LinkError>,
    mut send: impl FnMut(u64, Vec<T>) -> bool,
) -> Result<u64, LinkError> {
    let mut reader = open(file)?;
    let mut row = 1u64;
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        batch.resize_with(READ_BATCH, T::default);
        let first_row = row + 1;
        let mut filled = 0;
        while filled < READ_BATCH && read(&mut reader, &mut batch[filled], row + 1)? {
            row += 1;
            filled += 1;
        }
        batch.truncate(filled);
        let done = filled < READ_BATCH;
        if (filled > 0 && !send(first_row, batch)) || done {
            return Ok(row - 1);
        }
    }
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, LinkError> {
    let file = std::fs::File::open(path).map_err(|e| LinkError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(file))
}

fn csv_error(path: &Path, row: u64, e: &csv::Error) -> LinkError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return LinkError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    let row = e.position().map_or(row, |p| p.line());
    LinkError::Csv {
        path: path.to_path_buf(),
        row,
        reason: format!("{e}; expected UTF-8 CSV with a header row"),
    }
}

fn read_header(path: &Path) -> Result<Vec<String>, LinkError> {
    let mut reader = open(path)?;
    let header = reader
        .headers()
        .map_err(|e| csv_error(path, 1, &e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{FEFF}').trim().to_string())
        .collect::<Vec<_>>();
    if header.iter().all(String::is_empty) {
        return Err(LinkError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(header)
}

fn read_sample(path: &Path, width: usize, n: usize) -> Result<Vec<Vec<String>>, LinkError> {
    let mut reader = open(path)?;
    let mut rows = Vec::new();
    for (i, r) in reader.records().take(n).enumerate() {
        let r = r.map_err(|e| csv_error(path, i as u64 + 2, &e))?;
        if r.len() == width {
            rows.push(r.iter().map(str::to_string).collect());
        }
    }
    Ok(rows)
}

/// Header names taken as a record id when `--id` is not given.
const ID_NAMES: &[&str] = &[
    "id",
    "rec_id",
    "record_id",
    "recid",
    "row_id",
    "uid",
    "شناسه",
];

fn choose_id(
    header: &[String],
    given: Option<&str>,
    path: &Path,
) -> Result<Option<usize>, LinkError> {
    match given {
        Some(name) => header
            .iter()
            .position(|h| h == name)
            .map(Some)
            .ok_or_else(|| LinkError::MissingIdColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                available: header.to_vec(),
            }),
        None => Ok(header
            .iter()
            .position(|h| ID_NAMES.contains(&h.to_lowercase().as_str()))),
    }
}

/// Parses `COLUMN:KIND` specifications against the header.
pub fn parse_field_specs(
    specs: &[String],
    header: &[String],
    path: &Path,
) -> Result<FxHashMap<usize, FieldKind>, LinkError> {
    let mut out = FxHashMap::default();
    for spec in specs {
        let Some((column, kind)) = spec.rsplit_once(':') else {
            return Err(LinkError::BadFieldSpec { spec: spec.clone() });
        };
        let kind: FieldKind = kind.parse().map_err(|()| LinkError::UnknownFieldKind {
            spec: spec.clone(),
            kind: kind.to_string(),
        })?;
        let i =
            header
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| LinkError::UnknownColumn {
                    path: path.to_path_buf(),
                    column: column.to_string(),
                    available: header.to_vec(),
                })?;
        out.insert(i, kind);
    }
    Ok(out)
}

/// Guesses a column's kind from its header, then from sample values.
pub fn guess_kind<'a>(header: &str, sample: impl Iterator<Item = &'a str>) -> FieldKind {
    let h: String = header
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    // Ground truth and earlier results must never be compared: they would
    // decide the answer.
    if has(&["entity", "cluster", "truth", "label", "match_id", "gold"]) {
        return FieldKind::Ignore;
    }
    if has(&["given", "first", "fname", "forename", "نام_کوچک"]) {
        return FieldKind::GivenName;
    }
    if has(&[
        "surname",
        "last_name",
        "lastname",
        "family",
        "lname",
        "نام_خانوادگی",
    ]) {
        return FieldKind::Surname;
    }
    if has(&["birth", "dob", "date", "تاریخ"]) {
        return FieldKind::Date;
    }
    if h == "age" || h.ends_with("_age") || has(&["سن"]) {
        return FieldKind::Age;
    }
    if has(&["name", "نام"]) {
        return FieldKind::FullName;
    }
    if has(&[
        "postcode",
        "zip",
        "post_code",
        "phone",
        "soc_sec",
        "ssn",
        "national",
        "passport",
        "number",
        "_no",
        "_id",
        "کد",
    ]) {
        return FieldKind::Number;
    }
    if has(&[
        "city",
        "suburb",
        "town",
        "place",
        "province",
        "state",
        "district",
        "village",
        "county",
        "region",
        "شهر",
        "استان",
    ]) {
        return FieldKind::Place;
    }
    if has(&["address", "street", "آدرس", "نشانی"]) {
        return FieldKind::Text;
    }
    guess_from_values(sample)
}

fn guess_from_values<'a>(sample: impl Iterator<Item = &'a str>) -> FieldKind {
    let (mut n, mut digits, mut dates, mut small) = (0, 0, 0, 0);
    for v in sample {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        n += 1;
        let ascii = gavah_core::normalize::to_ascii_digits(v);
        let all_digits = ascii.chars().all(|c| c.is_ascii_digit());
        if all_digits {
            digits += 1;
            if ascii.parse::<u32>().is_ok_and(|a| a <= 120) {
                small += 1;
            }
        }
        // Digits alone are a date only as YYYYMMDD; 1977 or 3172 may be anything.
        if (!all_digits || ascii.len() == 8)
            && matches!(crate::data::prepare(FieldKind::Date, v), crate::data::Value::Date(d) if d.days.is_some())
        {
            dates += 1;
        }
    }
    if n == 0 {
        return FieldKind::Text;
    }
    if dates * 10 >= n * 9 {
        FieldKind::Date
    } else if small * 10 >= n * 9 {
        FieldKind::Age
    } else if digits * 10 >= n * 9 {
        FieldKind::Number
    } else {
        FieldKind::Text
    }
}

/// Pairs in the review queue at most.
const REVIEW_LIMIT: usize = 1000;

fn write_review(
    path: &Path,
    data: &Dataset,
    ids: &[String],
    out: &crate::LinkOutput,
) -> Result<(), LinkError> {
    let cmp = crate::compare::Comparator::new(data);
    let tf = crate::model::TermFrequencies::new(&out.model, &cmp);
    let queue = crate::cluster::review_queue(
        &out.clustering,
        &out.pairs,
        &out.probabilities,
        0.4,
        REVIEW_LIMIT,
    );
    let err = |e: csv::Error| LinkError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record([
        "id_a",
        "id_b",
        "probability",
        "together_now",
        "impact",
        "explanation",
    ])
    .map_err(err)?;
    for item in queue {
        let e = out
            .model
            .explain(&cmp, &tf, item.a as usize, item.b as usize);
        let why: Vec<String> = e
            .fields
            .iter()
            .map(|f| format!("{}: {} ({:+.1})", f.field, f.level, f.weight))
            .collect();
        w.write_record([
            ids[item.a as usize].as_str(),
            ids[item.b as usize].as_str(),
            &format!("{:.3}", item.probability),
            if item.together { "yes" } else { "no" },
            &item.impact.to_string(),
            &format!("prior {:+.1}; {}", e.prior, why.join("; ")),
        ])
        .map_err(err)?;
    }
    w.flush().map_err(|e| LinkError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Parses `file` again for [`write_output`], in batches sent to `full`, as
/// bytes: the file was checked as UTF-8 when it was read the first time.
fn reparse(
    file: &Path,
    full: &std::sync::mpsc::SyncSender<Result<Vec<csv::ByteRecord>, LinkError>>,
    empty: &std::sync::mpsc::Receiver<Vec<csv::ByteRecord>>,
) {
    let read = read_in_batches(
        file,
        empty,
        |reader, record, row| {
            reader
                .read_byte_record(record)
                .map_err(|e| csv_error(file, row, &e))
        },
        |_, batch| full.send(Ok(batch)).is_ok(),
    );
    if let Err(e) = read {
        let _ = full.send(Err(e));
    }
}

fn write_output(
    opts: &DedupeOptions,
    files: &[&Path],
    header: &[String],
    ids: &[String],
    cluster_of: &[u32],
) -> Result<(), LinkError> {
    let out_path = &opts.output;
    let io = |e: std::io::Error| LinkError::Io {
        path: out_path.clone(),
        source: e,
    };
    let tmp = out_path.with_extension("csv.partial");
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let werr = |e: csv::Error| LinkError::Io {
        path: out_path.clone(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut head: Vec<&str> = header.iter().map(String::as_str).collect();
    head.push("cluster_id");
    let link = files.len() > 1;
    if link {
        head.push("source_file");
    }
    w.write_record(&head).map_err(werr)?;
    let mut r = 0usize;
    for file in files {
        let label = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let extra: &[&str] = if link { &[&label] } else { &[] };
        // One thread parses the file again while this one writes, as in
        // `read_records`; batches go back to the parser to be reused.
        std::thread::scope(|scope| -> Result<(), LinkError> {
            let (full_tx, full_rx) = sync_channel::<Result<Vec<csv::ByteRecord>, LinkError>>(2);
            let (empty_tx, empty_rx) = sync_channel::<Vec<csv::ByteRecord>>(4);
            scope.spawn(move || reparse(file, &full_tx, &empty_rx));
            for batch in &full_rx {
                let batch = batch?;
                for record in &batch {
                    let cid = ids.get(cluster_of[r] as usize).map_or("", String::as_str);
                    let added = std::iter::once(cid).chain(extra.iter().copied());
                    w.write_record(record.iter().chain(added.map(str::as_bytes)))
                        .map_err(werr)?;
                    r += 1;
                }
                let _ = empty_tx.try_send(batch);
            }
            Ok(())
        })?;
    }
    let inner = w
        .into_inner()
        .map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let file = inner
        .into_inner()
        .map_err(|e| io(std::io::Error::other(e.to_string())))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, out_path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::NoProgress;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .unwrap_or_else(|e| panic!("{e}"));
        p
    }

    #[test]
    fn guesses_kinds_from_headers_and_values() {
        let none = std::iter::empty();
        assert_eq!(guess_kind("given_name", none.clone()), FieldKind::GivenName);
        assert_eq!(guess_kind("Surname", none.clone()), FieldKind::Surname);
        assert_eq!(guess_kind("date_of_birth", none.clone()), FieldKind::Date);
        assert_eq!(guess_kind("soc_sec_id", none.clone()), FieldKind::Number);
        assert_eq!(guess_kind("entity_id", none.clone()), FieldKind::Ignore);
        assert_eq!(guess_kind("suburb", none.clone()), FieldKind::Place);
        assert_eq!(guess_kind("address_1", none.clone()), FieldKind::Text);
        assert_eq!(guess_kind("نام", none.clone()), FieldKind::FullName);
        assert_eq!(
            guess_kind("col7", ["23", "45", ""].into_iter()),
            FieldKind::Age
        );
        assert_eq!(
            guess_kind("col8", ["2026-01-08", "1404/10/18"].into_iter()),
            FieldKind::Date
        );
        assert_eq!(
            guess_kind("col9", ["3172", "8328406"].into_iter()),
            FieldKind::Number
        );
        assert_eq!(
            guess_kind("col10", ["red", "blue"].into_iter()),
            FieldKind::Text
        );
    }

    #[test]
    fn bad_field_specs_are_explained() {
        let header = vec!["name".to_string()];
        let p = Path::new("x.csv");
        let err = |s: &str| match parse_field_specs(&[s.to_string()], &header, p) {
            Err(e) => e.to_string(),
            Ok(_) => "ok".into(),
        };
        assert_eq!(
            err("name:colour"),
            "field \"name:colour\": unknown field kind \"colour\"; expected one of given_name, surname, full_name, date, age, place, number, text, ignore"
        );
        assert_eq!(
            err("name"),
            "field \"name\": expected COLUMN:KIND, e.g. surname:surname or dob:date"
        );
        assert_eq!(
            err("age:age"),
            "x.csv: no column named \"age\" (given in --field); the columns are: name"
        );
        assert_eq!(err("name:full_name"), "ok");
    }

    #[test]
    fn dedupes_a_small_mixed_script_list() -> Result<(), LinkError> {
        let dir = tempfile::tempdir().map_err(|e| LinkError::Io {
            path: "tmp".into(),
            source: e,
        })?;
        let input = write(
            dir.path(),
            "in.csv",
            "id,name,age,city,date\n\
             1,محمد رضایی,23,تهران,1404/10/18\n\
             2,Mohammad Rezaei,23,Tehran,2026-01-08\n\
             3,Mohammed Rezaie,24,Tehran,2026-01-08\n\
             4,Zahra Ahmadi,31,Mashhad,2026-01-09\n\
             5,زهرا احمدی,31,مشهد,1404/10/19\n\
             6,Ali Karimi,40,Shiraz,2026-01-10\n",
        );
        let out = dir.path().join("out.csv");
        let mut opts = DedupeOptions::new(&input, &out);
        opts.link_options.u_pairs = 1000;
        let review = dir.path().join("review.csv");
        opts.review = Some(review.clone());
        let report = run(&opts, &NoProgress)?;
        let queue = std::fs::read_to_string(&review).map_err(|e| LinkError::Io {
            path: review.clone(),
            source: e,
        })?;
        assert!(
            queue.starts_with("id_a,id_b,probability,together_now,impact,explanation\n"),
            "{queue}"
        );
        assert_eq!(report.records, 6);
        let kinds: Vec<(String, FieldKind)> = report
            .fields
            .iter()
            .map(|f| (f.column.clone(), f.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("name".into(), FieldKind::FullName),
                ("age".into(), FieldKind::Age),
                ("city".into(), FieldKind::Place),
                ("date".into(), FieldKind::Date),
            ]
        );
        let text = std::fs::read_to_string(&out).map_err(|e| LinkError::Io {
            path: out.clone(),
            source: e,
        })?;
        let clusters: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap_or(""))
            .collect();
        assert_eq!(clusters, ["1", "1", "1", "4", "4", "6"]);
        Ok(())
    }

    #[test]
    fn a_saved_model_is_reused() -> Result<(), LinkError> {
        let dir = tempfile::tempdir().map_err(|e| LinkError::Io {
            path: "tmp".into(),
            source: e,
        })?;
        let febrl =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/febrl/febrl1.csv");
        let model = dir.path().join("model.json");
        let mut first = DedupeOptions::new(&febrl, dir.path().join("a.csv"));
        first.truth_column = Some("entity_id".into());
        first.link_options.u_pairs = 20_000;
        first.save_model = Some(model.clone());
        let a = run(&first, &NoProgress)?;
        let mut second = first.clone();
        second.output = dir.path().join("b.csv");
        second.save_model = None;
        second.load_model = Some(model.clone());
        let b = run(&second, &NoProgress)?;
        assert_eq!(a.model, b.model);
        assert_eq!(a.accuracy, b.accuracy);
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| LinkError::Io {
                path: p.into(),
                source: e,
            })
        };
        assert_eq!(read(&first.output)?, read(&second.output)?);
        // A model of other fields is refused with both field lists.
        let mut third = second.clone();
        third.fields = vec!["postcode:ignore".into()];
        let err = run(&third, &NoProgress)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("the model was trained on fields"), "{err}");
        Ok(())
    }

    #[test]
    fn bad_input_is_reported_with_file_and_row() -> Result<(), LinkError> {
        let dir = tempfile::tempdir().map_err(|e| LinkError::Io {
            path: "tmp".into(),
            source: e,
        })?;
        let out = dir.path().join("out.csv");
        let msg = |input: PathBuf, id: Option<&str>| {
            let mut o = DedupeOptions::new(input, &out);
            o.id_column = id.map(str::to_string);
            match run(&o, &crate::pipeline::NoProgress) {
                Err(e) => e.to_string(),
                Ok(_) => "ok".into(),
            }
        };
        let empty = write(dir.path(), "empty.csv", "");
        assert!(msg(empty, None).ends_with(
            "empty.csv: the file is empty; expected a header row and at least one record"
        ));
        let header_only = write(dir.path(), "header.csv", "id,name\n");
        assert!(msg(header_only, None).contains("the file is empty"));
        let ragged = write(dir.path(), "ragged.csv", "id,name\n1,Ali\n2,Ali,extra\n");
        assert!(
            msg(ragged, None).ends_with("ragged.csv, row 3: expected 2 columns as in the header, found 3; check for unquoted commas or a missing value"),
        );
        let ok = write(dir.path(), "ok.csv", "id,name\n1,Ali\n");
        assert!(
            msg(ok, Some("person")).ends_with(
                "ok.csv: no column named \"person\" for --id; the columns are: id, name"
            )
        );
        Ok(())
    }
}
