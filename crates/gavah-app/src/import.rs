//! The import use case: a list file in, reports (or figures) out, in one
//! transaction that commits whole or not at all.
//!
//! Reading and parsing run on a second thread while this one writes, since the
//! machine the benchmarks target has two cores; the channel between them is
//! bounded so memory stays flat whatever the file's size.

use crate::{App, AppError, Progress};
use gavah_core::normalize::match_key;
use gavah_core::{EntryId, SourceType};
use gavah_entry::{
    BatchBody, Body, ColumnBody, Entry, FigureBody, Hlc, PersonBody, ReportBody, SourceBody,
    TeamKey,
};
use gavah_import::{
    FigureParser, Mapping, PeopleParser, Problem, ProblemKind, RawRow, ReadOptions, Table,
};
use gavah_store::Appended;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportKind {
    /// A list of people (one row per person and outcome).
    #[default]
    People,
    /// A list of published figures.
    Figures,
}

impl ImportKind {
    fn as_str(self) -> &'static str {
        match self {
            ImportKind::People => "people",
            ImportKind::Figures => "figures",
        }
    }
}

/// Everything `gavah import` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub file: PathBuf,
    pub kind: ImportKind,
    /// The source the file comes from. Required for people lists; for figures
    /// lists it may come from a `source` column instead.
    pub source: Option<String>,
    pub source_type: Option<SourceType>,
    pub protected: bool,
    pub mapping: Mapping,
    pub read: ReadOptions,
    /// Parse and check everything, write nothing.
    pub dry_run: bool,
}

/// What an import did (or, on a dry run or with errors, would have done).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub file: PathBuf,
    pub format: String,
    pub encoding: String,
    pub rows: u64,
    /// Entries new to the store (reports or figures).
    pub added: u64,
    /// Rows the store already held from an earlier import.
    pub already_present: u64,
    /// Rows identical to an earlier row of the same file (kept: two identical
    /// rows can be two people).
    pub repeated_rows: u64,
    pub source: Option<(EntryId, String, bool)>,
    pub problems: Vec<Problem>,
    /// Problems not kept in `problems` once too many were found.
    pub problems_dropped: u64,
    pub committed: bool,
    /// How each column was mapped: header → field name.
    pub columns: Vec<(String, Option<String>)>,
}

impl ImportReport {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }

    pub fn has_errors(&self) -> bool {
        self.errors() > 0 || self.problems_dropped > 0
    }
}

/// Keeping every problem of a million bad rows would exhaust memory; past this
/// many we count them only.
const MAX_PROBLEMS: usize = 10_000;

/// Files from this size on (about 10,000 rows) are imported in a bulk
/// transaction ([`gavah_store::Store::bulk_writer`]): written once instead
/// of twice. Smaller ones stay in WAL mode, whose commit is cheaper.
const BULK_BYTES: u64 = 1 << 20;

fn keep(problems: &mut Vec<Problem>, dropped: &mut u64, mut more: Vec<Problem>) {
    let room = MAX_PROBLEMS.saturating_sub(problems.len());
    if more.len() > room {
        *dropped += (more.len() - room) as u64;
        more.truncate(room);
    }
    problems.extend(more);
}

/// The keyed hash of a whole file, streamed.
fn file_hash(key: &TeamKey, path: &Path) -> Result<String, Problem> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| Problem::error(path, ProblemKind::Io(format!("cannot read the file: {e}"))))?;
    let mut h = blake3::Hasher::new_keyed(key.as_bytes());
    h.update(b"gavah/file/v1");
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| {
            Problem::error(path, ProblemKind::Io(format!("cannot read the file: {e}")))
        })?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_hex().to_string())
}

/// The file's name without its folders: folder names can identify people.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned())
}

/// Messages from the reading thread to the writing one.
/// Entries and projection rows written, on their way back to the reading
/// thread to be freed.
type Spent = (Vec<(Entry, Vec<u8>)>, Option<gavah_store::Spent>);

enum Chunk {
    /// Entries with their bodies already encoded, so the writing thread only writes.
    Entries(Vec<(Entry, Vec<u8>, Option<gavah_store::Prepared>)>),
    Done {
        rows: u64,
        repeated: u64,
        problems: Vec<Problem>,
        dropped: u64,
        sources: Vec<Body>,
    },
}

struct Producer {
    key: TeamKey,
    node: gavah_core::NodeId,
    author: String,
    hlc: Hlc,
    source: EntryId,
    batch: EntryId,
}

impl Producer {
    fn entry(&self, body: Body) -> Entry {
        Entry::new(&self.key, self.node, &self.author, self.hlc, body)
    }
}

/// Resolves the source of an import or a figure against the sources the store
/// holds: an existing source by name, or a new one. Refuses to change an
/// existing source's type or protection silently.
pub(crate) fn resolve_source(
    key: &TeamKey,
    existing: &[gavah_store::SourceRow],
    name: &str,
    source_type: Option<SourceType>,
    protected: bool,
) -> Result<(Body, EntryId, bool, Vec<String>), AppError> {
    let name = gavah_core::normalize::normalize_text(name);
    if name.is_empty() {
        return Err(AppError::Invalid(
            "the source name is empty; pass --source NAME".into(),
        ));
    }
    let mut notes = Vec::new();
    let found = existing
        .iter()
        .find(|s| match_key(&s.name) == match_key(&name));
    let body = match found {
        Some(s) => {
            if let Some(t) = source_type
                && t.as_str() != s.source_type
            {
                return Err(AppError::Invalid(format!(
                    "source '{}' is recorded as type {}, not {}; drop --source-type or use another source name",
                    s.name, s.source_type, t
                )));
            }
            if protected && !s.protected {
                return Err(AppError::Invalid(format!(
                    "source '{}' is public; it cannot become protected after its name may have been published. \
                     Import under a new source name with --protected",
                    s.name
                )));
            }
            SourceBody {
                name: s.name.clone(),
                source_type: s.source_type.clone(),
                protected: s.protected,
            }
        }
        None => {
            let t = source_type.unwrap_or_else(|| {
                notes.push(format!("new source '{name}' recorded as type 'other'; pass --source-type to say what it is"));
                SourceType::Other
            });
            SourceBody {
                name: name.clone(),
                source_type: t.as_str().to_string(),
                protected,
            }
        }
    };
    let is_protected = body.protected;
    let body = Body::Source(body);
    let id = body.id(key);
    Ok((body, id, is_protected, notes))
}

impl App {
    /// Imports one file. Problems in the file are returned in the report (and
    /// nothing is committed when any is an error); only a failure to use the
    /// store at all is an `Err`.
    pub fn import(
        &mut self,
        req: &ImportRequest,
        progress: &dyn Progress,
    ) -> Result<ImportReport, AppError> {
        let path = req.file.as_path();
        let mut report = ImportReport {
            file: req.file.clone(),
            ..ImportReport::default()
        };
        let mut read = req.read.clone();
        read.delimiter = read.delimiter.or(req.mapping.delimiter);
        read.encoding = read.encoding.or_else(|| req.mapping.encoding.clone());
        read.sheet = read.sheet.or_else(|| req.mapping.sheet.clone());
        let mut table = match Table::open(path, &read) {
            Ok(t) => t,
            Err(p) => {
                report.problems.push(p);
                return Ok(report);
            }
        };
        report.format = table.format.as_str().to_string();
        report.encoding = table.encoding.clone();

        let existing_sources = self.store.sources()?;
        let source = match (&req.source, req.kind) {
            (Some(name), _) => Some(resolve_source(
                self.store.team_key(),
                &existing_sources,
                name,
                req.source_type,
                req.protected,
            )?),
            (None, ImportKind::People) => {
                return Err(AppError::Invalid(
                    "a people list needs --source NAME: who sent this list".into(),
                ));
            }
            (None, ImportKind::Figures) => None,
        };
        if let Some((_, _, _, notes)) = &source {
            for n in notes {
                report
                    .problems
                    .push(Problem::warning(path, ProblemKind::Note(n.clone())));
            }
        }
        let hash = match file_hash(self.store.team_key(), path) {
            Ok(h) => h,
            Err(p) => {
                report.problems.push(p);
                return Ok(report);
            }
        };

        // The same file from the same source was imported before, whole (a batch
        // entry is written only when an import commits): nothing can be new, so
        // say so without parsing a million rows again. A dry run still checks.
        if !req.dry_run {
            let source_id = source.as_ref().map_or(EntryId([0; 16]), |s| s.1);
            let batch = Body::Batch(BatchBody {
                source: source_id,
                list_kind: req.kind.as_str().to_string(),
                file_name: String::new(),
                file_hash: hash.clone(),
                format: String::new(),
                encoding: String::new(),
                rows: 0,
                columns: Vec::new(),
            });
            if let Some(rows) = self.store.batch_rows(batch.id(self.store.team_key()))? {
                report.rows = rows;
                report.already_present = rows;
                report.committed = true;
                report.problems.push(Problem::warning(
                    path,
                    ProblemKind::Note(
                        "this file was imported before from this source; nothing is new".into(),
                    ),
                ));
                return Ok(report);
            }
        }

        // Peek at the first row: it may be HXL hashtags rather than data.
        let first = match table.next_row() {
            Some(Ok(r)) => Some(r),
            Some(Err(p)) => {
                report.problems.push(p);
                return Ok(report);
            }
            None => None,
        };
        if first.is_none() {
            report.problems.push(Problem::error(
                path,
                ProblemKind::Empty(
                    "the file has a header but no data rows; expected at least one row".into(),
                ),
            ));
            return Ok(report);
        }

        let key = self.store.team_key().clone();
        let node = self.store.node();
        let mut writer = if table.total_bytes >= BULK_BYTES {
            self.store.bulk_writer()?
        } else {
            self.store.writer()?
        };
        let hlc = writer.tick();
        let source_id = source.as_ref().map(|s| s.1);
        let batch_source = source_id.unwrap_or(EntryId([0; 16]));
        let batch_body = |rows: u64, columns: Vec<ColumnBody>| {
            Body::Batch(BatchBody {
                source: batch_source,
                list_kind: req.kind.as_str().to_string(),
                file_name: file_name(path),
                file_hash: hash.clone(),
                format: report.format.clone(),
                encoding: report.encoding.clone(),
                rows,
                columns,
            })
        };
        let batch_id = batch_body(0, Vec::new()).id(&key);
        let producer = Producer {
            key: key.clone(),
            node,
            author: self.author.clone(),
            hlc,
            source: batch_source,
            batch: batch_id,
        };
        if let Some((body, id, protected, _)) = &source {
            report.source = Some((*id, source_name(body), *protected));
        }

        let failed = AtomicBool::new(false);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(8);
        // What the writing thread is done with travels back, to be freed by
        // the reading thread that made it (see `gavah_store::Spent`).
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Spent>();
        writer.keep_spent();
        progress.start("importing", table.total_bytes);
        let headers = table.headers.clone();
        let kind = req.kind;
        let mapping = req.mapping.clone();
        let has_source = source.is_some();

        let mut columns: Vec<ColumnBody> = Vec::new();
        let mut setup_problem: Option<Problem> = None;
        let mut people_parser = None;
        let mut figure_parser = None;
        let mut skip_first = false;
        match kind {
            ImportKind::People => {
                match PeopleParser::new(path, &headers, first.as_ref(), mapping) {
                    Ok((p, hxl, warnings)) => {
                        skip_first = hxl;
                        report.problems.extend(warnings);
                        columns = headers
                            .iter()
                            .zip(p.fields())
                            .map(|(h, f)| ColumnBody {
                                header: h.clone(),
                                field: f.map(|f| f.name().to_string()),
                            })
                            .collect();
                        people_parser = Some(p);
                    }
                    Err(p) => setup_problem = Some(p),
                }
            }
            ImportKind::Figures => match FigureParser::new(path, &headers, has_source) {
                Ok((p, warnings)) => {
                    report.problems.extend(warnings);
                    columns = headers
                        .iter()
                        .map(|h| ColumnBody {
                            header: h.clone(),
                            field: None,
                        })
                        .collect();
                    figure_parser = Some(p);
                }
                Err(p) => setup_problem = Some(p),
            },
        }
        if let Some(p) = setup_problem {
            report.problems.push(p);
            progress.finish();
            return Ok(report);
        }
        report.columns = columns
            .iter()
            .map(|c| (c.header.clone(), c.field.clone()))
            .collect();

        let mut appended_new = 0u64;
        let mut appended_dup = 0u64;
        let mut done_msg = None;
        let store_err = std::thread::scope(|scope| -> Result<(), AppError> {
            let failed = &failed;
            let table = &mut table;
            let producer = &producer;
            let headers = &headers;
            let people_parser = people_parser.as_ref();
            let figure_parser = figure_parser.as_ref();
            let req_source_type = req.source_type;
            let existing_sources = &existing_sources;
            let handle = scope.spawn(move || {
                let mut problems = Vec::new();
                let mut dropped = 0u64;
                let mut rows = 0u64;
                let mut repeated = 0u64;
                let mut seen: HashMap<[u8; 16], u32> = HashMap::new();
                let mut chunk = Vec::with_capacity(1024);
                let mut pending = first.filter(|_| !skip_first);
                let mut last_progress = 0u64;
                let mut new_sources: HashMap<String, (EntryId, Body)> = HashMap::new();
                loop {
                    let raw = match pending.take() {
                        Some(r) => r,
                        None => match table.next_row() {
                            Some(Ok(r)) => r,
                            Some(Err(p)) => {
                                keep(&mut problems, &mut dropped, vec![p]);
                                failed.store(true, Ordering::Relaxed);
                                break;
                            }
                            None => break,
                        },
                    };
                    rows += 1;
                    let mut row_problems = Vec::new();
                    let entry = match (people_parser, figure_parser) {
                        (Some(p), _) => {
                            let person = p.parse(&raw, &mut row_problems);
                            let occurrence = occurrence_of(&mut seen, &raw);
                            if occurrence > 0 {
                                repeated += 1;
                            }
                            Some(
                                producer.entry(Body::Report(ReportBody {
                                    source: producer.source,
                                    batch: producer.batch,
                                    row: raw.row,
                                    occurrence,
                                    raw: headers
                                        .iter()
                                        .zip(
                                            raw.cells
                                                .iter()
                                                .chain(std::iter::repeat(&String::new())),
                                        )
                                        .map(|(h, v)| [h.clone(), v.clone()])
                                        .collect(),
                                    person: PersonBody::from(&person),
                                })),
                            )
                        }
                        (None, Some(p)) => p.parse(&raw, &mut row_problems).and_then(|f| {
                            figure_entry(
                                existing_sources,
                                producer,
                                f,
                                req_source_type,
                                &mut new_sources,
                                &mut row_problems,
                                &table.path,
                            )
                        }),
                        (None, None) => None,
                    };
                    if row_problems.iter().any(Problem::is_error) {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if !row_problems.is_empty() {
                        keep(&mut problems, &mut dropped, row_problems);
                    }
                    // Once anything failed, nothing will be committed: keep parsing to
                    // report every bad row, but stop building entries.
                    if let Some(e) = entry.filter(|_| !failed.load(Ordering::Relaxed)) {
                        let json = e.body.to_stored();
                        let rows = gavah_store::prepare(&e);
                        chunk.push((e, json, rows));
                        if chunk.len() == 1024 {
                            let full = std::mem::replace(&mut chunk, Vec::with_capacity(1024));
                            if tx.send(Chunk::Entries(full)).is_err() {
                                break;
                            }
                            while let Ok(spent) = spent_rx.try_recv() {
                                drop(spent);
                            }
                        }
                    }
                    let pos = table.bytes_read();
                    if pos - last_progress > 1 << 20 {
                        progress.set(pos);
                        last_progress = pos;
                    }
                }
                if !chunk.is_empty() {
                    let _ = tx.send(Chunk::Entries(chunk));
                }
                let mut sources: Vec<Body> = new_sources.into_values().map(|(_, b)| b).collect();
                sources.sort_by_key(|b| b.to_json());
                let _ = tx.send(Chunk::Done {
                    rows,
                    repeated,
                    problems,
                    dropped,
                    sources,
                });
            });
            if let Some((body, _, _, _)) = &source {
                writer.append(&producer.entry(body.clone()))?;
            }
            let mut result = Ok(());
            let mut writing = std::time::Duration::ZERO;
            let started = std::time::Instant::now();
            for msg in &rx {
                match msg {
                    Chunk::Entries(entries) => {
                        if failed.load(Ordering::Relaxed) || result.is_err() {
                            continue;
                        }
                        let t = std::time::Instant::now();
                        let mut written = Vec::with_capacity(entries.len());
                        for (e, json, rows) in entries {
                            match writer.append_prepared(&e, &json, rows) {
                                Ok(Appended::New | Appended::Replaced) => appended_new += 1,
                                Ok(Appended::Duplicate) => appended_dup += 1,
                                Err(err) => {
                                    result = Err(AppError::from(err));
                                    break;
                                }
                            }
                            written.push((e, json));
                        }
                        // Once the reading thread has finished, it drops here.
                        let _ = spent_tx.send((written, writer.take_spent()));
                        writing += t.elapsed();
                    }
                    Chunk::Done { .. } => {
                        done_msg = Some(msg);
                        break;
                    }
                }
            }
            drop(rx);
            // Where the time goes: if writing is close to the total, the store is
            // the bottleneck; if far below, reading and parsing are.
            tracing::debug!(
                total_ms = started.elapsed().as_millis(),
                writing_ms = writing.as_millis(),
                "import pipeline"
            );
            if handle.join().is_err() {
                return Err(AppError::Other(
                    "the reading thread stopped unexpectedly; nothing was imported".into(),
                ));
            }
            result
        });
        store_err?;
        progress.finish();
        let mut figure_sources = Vec::new();
        if let Some(Chunk::Done {
            rows,
            repeated,
            problems,
            dropped,
            sources,
        }) = done_msg
        {
            figure_sources = sources;
            report.rows = rows;
            report.repeated_rows = repeated;
            keep(&mut report.problems, &mut report.problems_dropped, problems);
            report.problems_dropped += dropped;
        }
        // Figures lists declare their sources as they go.
        for body in figure_sources {
            writer.append(&producer.entry(body))?;
        }
        report.added = appended_new;
        report.already_present = appended_dup;
        if report.has_errors() || req.dry_run {
            // Dropping the writer rolls the transaction back: the store is as it was.
            drop(writer);
            return Ok(report);
        }
        if appended_new == 0 {
            // Everything was already here: write nothing at all, not even the clock,
            // so a repeated import leaves the file exactly as it was.
            drop(writer);
            report.committed = true;
            return Ok(report);
        }
        writer.append(&producer.entry(batch_body(report.rows, columns)))?;
        // A linked store links the new reports in the same transaction, so the
        // figures never count them before linkage has placed them.
        if req.kind == ImportKind::People {
            crate::link::relink_in(&mut writer, progress)?;
        }
        writer.commit()?;
        report.committed = true;
        Ok(report)
    }
}

fn source_name(body: &Body) -> String {
    match body {
        Body::Source(s) => s.name.clone(),
        _ => String::new(),
    }
}

/// Which occurrence of this exact row in the file this is: 0 for the first.
fn occurrence_of(seen: &mut HashMap<[u8; 16], u32>, raw: &RawRow) -> u32 {
    // An unkeyed hash is fine here: it never leaves this function's memory.
    let mut h = blake3::Hasher::new();
    for c in &raw.cells {
        h.update(&(c.len() as u64).to_le_bytes());
        h.update(c.as_bytes());
    }
    let mut k = [0u8; 16];
    k.copy_from_slice(&h.finalize().as_bytes()[..16]);
    let n = seen.entry(k).or_insert(0);
    let occurrence = *n;
    *n += 1;
    occurrence
}

#[allow(clippy::too_many_arguments)]
fn figure_entry(
    existing: &[gavah_store::SourceRow],
    producer: &Producer,
    f: gavah_import::FigureRow,
    default_type: Option<SourceType>,
    sources: &mut HashMap<String, (EntryId, Body)>,
    problems: &mut Vec<Problem>,
    path: &Path,
) -> Option<Entry> {
    let source_id = match &f.source {
        None => producer.source,
        Some(name) => {
            let key = match_key(name);
            let known = sources.get(&key).map(|(id, _)| *id);
            match known {
                Some(id) => id,
                None => match resolve_source(
                    &producer.key,
                    existing,
                    name,
                    f.source_type.or(default_type),
                    false,
                ) {
                    Ok((body, id, _, _)) => {
                        sources.insert(key, (id, body));
                        id
                    }
                    Err(e) => {
                        problems.push(
                            Problem::error(path, ProblemKind::Note(e.to_string())).at_row(f.row),
                        );
                        return None;
                    }
                },
            }
        }
    };
    Some(producer.entry(Body::Figure(FigureBody {
        source: source_id,
        metric: f.metric.as_str().to_string(),
        value: f.value,
        qualifier: f.qualifier.as_str().to_string(),
        as_of: f.as_of.to_string(),
        province: f.province,
        category: f.category.map(|c| c.as_str().to_string()),
        citation: f.citation,
    })))
}
