//! Projection: how each kind of entry changes the tables that queries read.
//!
//! Every function here is idempotent and independent of the order entries
//! arrive in: rows are keyed by entry id, counts are recomputed from the rows,
//! and where two copies of the same entry disagree the log keeps one
//! deterministically (see `Writer::append`).

use crate::StoreError;
use crate::counts::Tally;
use gavah_core::EntryId;
use gavah_core::normalize::match_key;
use gavah_entry::{Body, Entry, PersonBody, ReportBody};
use rusqlite::types::Value;
use rusqlite::{Connection, params};

/// Whether an entry of this kind can change the documented counts.
pub(crate) fn moves_counts(entry: &Entry) -> bool {
    matches!(entry.body, Body::Report(_))
}

/// Projects one entry. `seq` is the entry's local row in `entries`.
pub(crate) fn apply(
    tx: &Connection,
    pending: &mut Pending,
    entry: &Entry,
    seq: i64,
    replace: bool,
) -> Result<(), StoreError> {
    let id = entry.id.as_bytes();
    let hlc = crate::hlc_sql(entry.hlc);
    match &entry.body {
        Body::Source(s) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO sources (id, name, source_type, protected, hlc, node)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                s.name,
                s.source_type,
                s.protected,
                hlc,
                entry.node.as_bytes()
            ])?;
        }
        Body::Batch(b) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO batches (id, source, kind, file_name, format, encoding, rows, author, hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                id,
                b.source.as_bytes(),
                b.list_kind,
                b.file_name,
                b.format,
                b.encoding,
                i64::try_from(b.rows).unwrap_or(i64::MAX),
                entry.author,
                hlc
            ])?;
        }
        Body::Report(r) => apply_report(tx, pending, entry.id, seq, r, replace)?,
        Body::Figure(f) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO figures (id, source, metric, value, qualifier, as_of, province, category, citation, hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id,
                f.source.as_bytes(),
                f.metric,
                i64::try_from(f.value).unwrap_or(i64::MAX),
                f.qualifier,
                f.as_of,
                f.province,
                f.category,
                f.citation,
                hlc
            ])?;
        }
        Body::Claim(c) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO claims (id, by_whom, date, text, citation, hlc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id, c.by, c.date, c.text, c.citation, hlc])?;
        }
        Body::ClaimStatus(s) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO claim_statuses (id, claim, status, by_whom, date, note, hlc, node)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![id, s.claim.as_bytes(), s.status, s.by, s.date, s.note, hlc, entry.node.as_bytes()])?;
        }
        Body::LinkModel(m) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO link_models (id, model, threshold_ppm, min_support_ppm, made_ms, hlc, node)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                m.model,
                m.threshold_ppm,
                m.min_support_ppm,
                i64::try_from(m.made_ms).unwrap_or(i64::MAX),
                hlc,
                entry.node.as_bytes()
            ])?;
        }
        Body::LinkDecision(d) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO link_decisions (id, a, b, same, note, author, made_ms, hlc, node)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                id,
                d.a.as_bytes(),
                d.b.as_bytes(),
                d.same,
                d.note,
                entry.author,
                i64::try_from(d.made_ms).unwrap_or(i64::MAX),
                hlc,
                entry.node.as_bytes()
            ])?;
        }
    }
    Ok(())
}

/// The public id of a person key: the first 8 bytes of its BLAKE3 hash as a
/// signed integer (SQLite's integer). Stable across rebuilds, nodes and
/// versions. A collision among a few million people is about n²/2⁶⁵ likely; it
/// would show two people on one page, never lose a report or change a count.
pub fn person_id(person: &str) -> i64 {
    let h = blake3::hash(person.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    i64::from_le_bytes(b)
}

/// The person a report is about, from its body (see [`person_key_with`]).
pub fn person_key(report: EntryId, p: &PersonBody) -> String {
    person_key_with(report, &name_key(p), p)
}

/// The matching key of a report's name: the full name, or given and surname.
pub fn name_key(p: &PersonBody) -> String {
    match (&p.name, &p.given_name, &p.surname) {
        (Some(n), _, _) => match_key(n),
        (None, g, s) => match_key(&format!(
            "{} {}",
            g.as_deref().unwrap_or(""),
            s.as_deref().unwrap_or("")
        )),
    }
}

/// The name as written: the full name, or the given name and surname joined
/// when the list split them (in that order, as Persian and English lists both
/// write them).
fn display_name(p: &PersonBody) -> Option<String> {
    if let Some(n) = p.name.as_ref().filter(|n| !n.trim().is_empty()) {
        return Some(n.clone());
    }
    let parts: Vec<&str> = [&p.given_name, &p.surname]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The person a report is about, until linkage says otherwise: the same
/// normalised name, place and date. An unnamed report is its own person, since
/// merging two unnamed victims would erase one.
fn person_key_with(report: EntryId, name: &str, p: &PersonBody) -> String {
    if name.is_empty() {
        return format!("r:{report}");
    }
    let (place, date) = match p.outcomes.first() {
        Some(o) => (&o.place, o.date.as_deref()),
        None => (&p.home, None),
    };
    let city = place.city.map(|c| c.to_string());
    format!(
        "{name}|{}|{}|{}",
        place.province.as_deref().unwrap_or(""),
        city.as_deref().unwrap_or(""),
        date.unwrap_or("")
    )
}

fn apply_report(
    tx: &Connection,
    pending: &mut Pending,
    id: EntryId,
    seq: i64,
    r: &ReportBody,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        // A replaced report rewrites rows that may still be waiting: write them
        // first, then swap the old rows for the new.
        pending.flush(tx)?;
        pending.tally.spoil();
        tx.prepare_cached("DELETE FROM outcomes WHERE report = ?1")?
            .execute([seq])?;
        tx.prepare_cached("DELETE FROM report_protected WHERE report = ?1")?
            .execute([seq])?;
        tx.prepare_cached("DELETE FROM reports WHERE seq = ?1")?
            .execute([seq])?;
    }
    pending.push(seq, prepare_report(id, r));
    if pending.len() >= Pending::ROWS || replace {
        pending.flush(tx)?;
    }
    Ok(())
}

/// The rows one report projects to, made without the store so that a bulk
/// import can build them on its reading thread, off the writing one. The
/// entry's local `seq` is filled in when the entry is stored.
pub struct Prepared {
    report: [Value; 14],
    protected: Option<[Value; 4]>,
    outcomes: Vec<[Value; 8]>,
}

/// The projection rows of an entry, when it is a report.
pub fn prepare(entry: &Entry) -> Option<Prepared> {
    match &entry.body {
        Body::Report(r) => Some(prepare_report(entry.id, r)),
        _ => None,
    }
}

fn prepare_report(id: EntryId, r: &ReportBody) -> Prepared {
    let seq = 0;
    let p = &r.person;
    let key = name_key(p);
    let person = person_key_with(id, &key, p);
    let category = p.category.clone().unwrap_or_else(|| "unknown".into());
    let name_key = Some(key).filter(|k| !k.is_empty());
    let pid = person_id(&person);
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    let report = [
        Value::Integer(seq),
        Value::Blob(id.as_bytes().to_vec()),
        Value::Blob(r.source.as_bytes().to_vec()),
        Value::Blob(r.batch.as_bytes().to_vec()),
        Value::Integer(i64::try_from(r.row).unwrap_or(i64::MAX)),
        text(&display_name(p)),
        text(&name_key),
        text(&p.sex),
        p.age.map_or(Value::Null, |a| Value::Integer(i64::from(a))),
        p.birth_year
            .map_or(Value::Null, |y| Value::Integer(i64::from(y))),
        text(&p.occupation),
        Value::Text(category),
        Value::Text(person),
        Value::Integer(pid),
    ];
    let protected = (p.witness.is_some() || p.contact.is_some() || p.notes.is_some()).then(|| {
        [
            Value::Integer(seq),
            text(&p.witness),
            text(&p.contact),
            text(&p.notes),
        ]
    });
    let mut outcomes = Vec::with_capacity(p.outcomes.len());
    for (i, o) in p.outcomes.iter().enumerate() {
        // The same outcome twice in one report is one row.
        if p.outcomes[..i]
            .iter()
            .any(|earlier| earlier.outcome == o.outcome)
        {
            continue;
        }
        let day = if o.precision == "day" {
            o.date.clone()
        } else {
            None
        };
        outcomes.push([
            Value::Integer(seq),
            Value::Text(o.outcome.clone()),
            text(&day),
            text(&o.date),
            Value::Text(o.precision.clone()),
            text(&o.place.province),
            o.place
                .city
                .map_or(Value::Null, |c| Value::Integer(i64::from(c))),
            text(&o.place.text),
        ]);
    }
    Prepared {
        report,
        protected,
        outcomes,
    }
}

/// Report rows waiting to be written. A bulk import writes them in multi-row
/// `INSERT`s: per-statement overhead, not the B-tree, dominated the write path
/// once the rows were keyed to append.
#[derive(Default)]
pub(crate) struct Pending {
    reports: Vec<[Value; 14]>,
    protected: Vec<[Value; 4]>,
    outcomes: Vec<[Value; 8]>,
    /// Rows written, kept for the caller when it asked for them
    /// ([`crate::Writer::keep_spent`]).
    spent: Option<Spent>,
    /// The outcome rows, for the counts' recount at commit.
    pub(crate) tally: Tally,
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(t) => Some(t),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        _ => None,
    }
}

/// The projection tables a report's rows go to, with their columns in the
/// order of [`Prepared`]'s values.
const REPORTS: &str = "reports (seq, id, source, batch, row, name, name_key, sex, age, birth_year, occupation, category, person, pid)";
const OUTCOMES: &str =
    "outcomes (report, outcome, day, date, precision, province, city, place_text)";

/// Where [`Pending::push`] finds what the counts need in a report's rows
/// (checked against [`REPORTS`] and [`OUTCOMES`] by a test).
const REPORT_CATEGORY: usize = 11;
const REPORT_PID: usize = 13;
const OUTCOME_OUTCOME: usize = 1;
const OUTCOME_DAY: usize = 2;
const OUTCOME_PROVINCE: usize = 5;
const OUTCOME_CITY: usize = 6;

/// Projection rows already written, handed back by
/// [`crate::Writer::take_spent`] so that a bulk import frees their memory on
/// its reading thread, which made it, instead of on the writing one: `perf`
/// showed the writing thread spending a tenth of its time freeing the reading
/// thread's strings.
#[derive(Default)]
pub struct Spent {
    reports: Vec<[Value; 14]>,
    protected: Vec<[Value; 4]>,
    outcomes: Vec<[Value; 8]>,
}

impl Spent {
    fn is_empty(&self) -> bool {
        self.reports.is_empty() && self.protected.is_empty() && self.outcomes.is_empty()
    }
}

impl Pending {
    /// Rows per statement: well under SQLite's limit of 32,766 parameters.
    pub(crate) const ROWS: usize = 128;

    /// Queues a report's rows under its local `seq`.
    pub(crate) fn push(&mut self, seq: i64, mut p: Prepared) {
        self.tally.add(seq, |scan| {
            let pid = int(&p.report[REPORT_PID]).unwrap_or(0);
            let category = text(&p.report[REPORT_CATEGORY]).unwrap_or("unknown");
            for o in &p.outcomes {
                scan.add(
                    pid,
                    text(&o[OUTCOME_OUTCOME]).unwrap_or(""),
                    category,
                    text(&o[OUTCOME_DAY]),
                    text(&o[OUTCOME_PROVINCE]),
                    int(&o[OUTCOME_CITY]),
                );
            }
        });
        p.report[0] = Value::Integer(seq);
        self.reports.push(p.report);
        if let Some(mut row) = p.protected {
            row[0] = Value::Integer(seq);
            self.protected.push(row);
        }
        for mut row in p.outcomes {
            row[0] = Value::Integer(seq);
            self.outcomes.push(row);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.reports.len().max(self.outcomes.len())
    }

    pub(crate) fn flush(&mut self, tx: &Connection) -> Result<(), StoreError> {
        write_rows(tx, REPORTS, &self.reports)?;
        write_rows(
            tx,
            "report_protected (report, witness, contact, notes)",
            &self.protected,
        )?;
        write_rows(tx, OUTCOMES, &self.outcomes)?;
        match &mut self.spent {
            Some(spent) => {
                spent.reports.append(&mut self.reports);
                spent.protected.append(&mut self.protected);
                spent.outcomes.append(&mut self.outcomes);
            }
            None => {
                self.reports.clear();
                self.protected.clear();
                self.outcomes.clear();
            }
        }
        Ok(())
    }

    /// From now on, keep written rows for [`Pending::take_spent`].
    pub(crate) fn keep_spent(&mut self) {
        self.spent.get_or_insert_with(Spent::default);
    }

    /// The rows written since the last call, if any were kept.
    pub(crate) fn take_spent(&mut self) -> Option<Spent> {
        let spent = self.spent.as_mut()?;
        (!spent.is_empty()).then(|| std::mem::take(spent))
    }
}

/// Writes `rows` into `table` and empties `rows`.
pub(crate) fn insert_rows<T: rusqlite::ToSql, const N: usize>(
    tx: &Connection,
    table: &'static str,
    rows: &mut Vec<[T; N]>,
) -> Result<(), StoreError> {
    write_rows(tx, table, rows)?;
    rows.clear();
    Ok(())
}

/// Writes `rows` into `table`, [`Pending::ROWS`] to a statement.
fn write_rows<T: rusqlite::ToSql, const N: usize>(
    tx: &Connection,
    table: &'static str,
    rows: &[[T; N]],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(Pending::ROWS) {
        let sql = insert_sql(table, N, chunk.len());
        // Full chunks share one cached statement; the last, shorter one is rare.
        let mut stmt = tx.prepare_cached(&sql)?;
        stmt.execute(rusqlite::params_from_iter(chunk.iter().flatten()))?;
    }
    Ok(())
}

/// The text of an `INSERT` of `rows` rows of `columns` values into `table`,
/// made once per shape and thread: formatting it for every 128 rows cost a
/// tenth of a bulk write.
fn insert_sql(table: &'static str, columns: usize, rows: usize) -> std::rc::Rc<str> {
    thread_local! {
        static SQL: std::cell::RefCell<rustc_hash::FxHashMap<(&'static str, usize), std::rc::Rc<str>>> =
            std::cell::RefCell::default();
    }
    SQL.with_borrow_mut(|cache| {
        cache
            .entry((table, rows))
            .or_insert_with(|| {
                let one = format!("({})", vec!["?"; columns].join(", "));
                // OR FAIL: a failing row stops the statement without undoing
                // the rows before it, so SQLite keeps no statement journal (a
                // copy of every page the statement touches); any error rolls
                // the whole transaction back anyway.
                format!(
                    "INSERT OR FAIL INTO {table} VALUES {}",
                    vec![one.as_str(); rows].join(", ")
                )
                .into()
            })
            .clone()
    })
}

/// Empties every projection, before a rebuild.
pub(crate) fn clear(tx: &Connection) -> Result<(), StoreError> {
    tx.execute_batch(
        "DELETE FROM sources; DELETE FROM batches; DELETE FROM reports; DELETE FROM report_protected;
         DELETE FROM outcomes; DELETE FROM incidents; DELETE FROM figures; DELETE FROM claims;
         DELETE FROM claim_statuses; DELETE FROM figure_counts; DELETE FROM person_outcomes;
         DELETE FROM link_models; DELETE FROM link_decisions; DELETE FROM link_keys;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The place of `column` in a table's column list.
    fn place(table: &str, column: &str) -> Option<usize> {
        let list = &table[table.find('(')? + 1..table.rfind(')')?];
        list.split(", ").position(|c| c == column)
    }

    #[test]
    fn the_tally_reads_the_columns_it_means() {
        assert_eq!(place(REPORTS, "category"), Some(REPORT_CATEGORY));
        assert_eq!(place(REPORTS, "pid"), Some(REPORT_PID));
        assert_eq!(place(OUTCOMES, "outcome"), Some(OUTCOME_OUTCOME));
        assert_eq!(place(OUTCOMES, "day"), Some(OUTCOME_DAY));
        assert_eq!(place(OUTCOMES, "province"), Some(OUTCOME_PROVINCE));
        assert_eq!(place(OUTCOMES, "city"), Some(OUTCOME_CITY));
    }
}
