//! Projection: how each kind of entry changes the tables that queries read.
//!
//! Every function here is idempotent and independent of the order entries
//! arrive in: rows are keyed by entry id, counts are recomputed from the rows,
//! and where two copies of the same entry disagree the log keeps one
//! deterministically (see `Writer::append`).

use crate::StoreError;
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
    outcomes: Vec<[Value; 10]>,
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
        Value::Text(category.clone()),
        Value::Text(person.clone()),
        Value::Integer(person_id(&person)),
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
            Value::Text(person.clone()),
            Value::Text(category.clone()),
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
    outcomes: Vec<[Value; 10]>,
}

impl Pending {
    /// Rows per statement: well under SQLite's limit of 32,766 parameters.
    pub(crate) const ROWS: usize = 128;

    /// Queues a report's rows under its local `seq`.
    pub(crate) fn push(&mut self, seq: i64, mut p: Prepared) {
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
        insert_rows(
            tx,
            "reports (seq, id, source, batch, row, name, name_key, sex, age, birth_year, occupation, category, person, pid)",
            &mut self.reports,
        )?;
        insert_rows(
            tx,
            "report_protected (report, witness, contact, notes)",
            &mut self.protected,
        )?;
        insert_rows(
            tx,
            "outcomes (report, outcome, person, category, day, date, precision, province, city, place_text)",
            &mut self.outcomes,
        )?;
        Ok(())
    }
}

fn insert_rows<const N: usize>(
    tx: &Connection,
    table: &str,
    rows: &mut Vec<[Value; N]>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(Pending::ROWS) {
        let one = format!("({})", vec!["?"; N].join(", "));
        let sql = format!(
            "INSERT INTO {table} VALUES {}",
            vec![one.as_str(); chunk.len()].join(", ")
        );
        // Full chunks share one cached statement; the last, shorter one is rare.
        let mut stmt = tx.prepare_cached(&sql)?;
        stmt.execute(rusqlite::params_from_iter(chunk.iter().flatten()))?;
    }
    rows.clear();
    Ok(())
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

/// Recomputes the documented counts and the implied incidents from the rows.
///
/// One pass over `outcomes` in Rust rather than one `COUNT(DISTINCT …) GROUP BY`
/// per dimension: SQLite would sort the whole table once per dimension, which
/// dominated the time of a large import.
pub(crate) fn refresh_counts(tx: &Connection) -> Result<(), StoreError> {
    use rustc_hash::{FxHashMap, FxHashSet};
    use std::collections::{HashMap, HashSet};
    /// Strings seen in the scan, numbered, so the maps below key on integers and
    /// the scan allocates once per distinct value rather than once per row.
    #[derive(Default)]
    struct Names {
        ids: HashMap<String, u32>,
        names: Vec<String>,
    }
    impl Names {
        fn id(&mut self, s: &str) -> u32 {
            if let Some(&i) = self.ids.get(s) {
                return i;
            }
            let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
            self.ids.insert(s.to_string(), i);
            self.names.push(s.to_string());
            i
        }
    }
    const DIMS: [&str; 5] = ["total", "category", "province", "city", "day"];
    let mut names = Names::default();
    let empty = names.id("");
    let any = names.id("any");
    // Each (person, outcome) is assigned one category, province, city and day
    // below, so the breakdowns are plain tallies, not sets of people.
    let mut tallies: HashMap<(u8, u32, u32), u64> = HashMap::new();
    let mut cities: HashMap<u32, HashSet<i64>> = HashMap::new();
    let mut provinces: HashSet<u32> = HashSet::new();
    let mut incidents: HashMap<(u32, u32, i64), u64> = HashMap::new();
    let mut people: FxHashSet<i64> = FxHashSet::default();
    // What each person's reports say about one outcome. A person is counted
    // once per outcome, under one category, day and place, so that every
    // breakdown adds up to its total: the most reported known category (ties go
    // to the first in `Category::ALL`), the earliest day, the smallest province
    // code and city id: rules that do not depend on the order of the rows.
    #[derive(Default)]
    struct Seen {
        categories: [u32; 4],
        day: Option<u32>,
        province: Option<u32>,
        city: Option<i64>,
    }
    const CATEGORIES: [&str; 4] = ["protester", "bystander", "security-forces", "unknown"];
    // FxHash: the keys are already hashes, and SipHash over a million of them
    // showed in profiles.
    let mut seen: FxHashMap<(i64, u32), Seen> = FxHashMap::default();
    {
        let mut stmt =
            // The person is the report's pid: the cluster once the store is
            // linked, the pre-linkage key's id before.
            tx.prepare(
                "SELECT r.pid, o.outcome, o.category, o.day, o.province, o.city
                 FROM outcomes o JOIN reports r ON r.seq = o.report",
            )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let p: i64 = r.get(0)?;
            let outcome = names.id(r.get_ref(1)?.as_str().unwrap_or(""));
            let category = r.get_ref(2)?.as_str().unwrap_or("unknown");
            let day = r
                .get_ref(3)?
                .as_str_or_null()
                .ok()
                .flatten()
                .map(|d| names.id(d));
            let province = r
                .get_ref(4)?
                .as_str_or_null()
                .ok()
                .flatten()
                .map(|d| names.id(d));
            let city: Option<i64> = r.get(5)?;
            let smaller = |new: Option<u32>, old: Option<u32>| match (new, old) {
                (Some(n), Some(o)) if names.names[n as usize] < names.names[o as usize] => Some(n),
                (Some(n), None) => Some(n),
                (_, o) => o,
            };
            let s = seen.entry((p, outcome)).or_default();
            s.categories[CATEGORIES.iter().position(|c| *c == category).unwrap_or(3)] += 1;
            s.day = smaller(day, s.day);
            s.province = smaller(province, s.province);
            s.city = match (city, s.city) {
                (Some(n), Some(o)) => Some(n.min(o)),
                (n, o) => n.or(o),
            };
            if let (Some(d), Some(pr), Some(c)) = (day, province, city) {
                *incidents.entry((d, pr, c)).or_default() += 1;
            }
        }
    }
    let mut resolved: Vec<(u32, i64, u32, &Seen)> = Vec::with_capacity(seen.len());
    for ((pid, outcome), s) in &seen {
        let outcome = *outcome;
        let known = s.categories[..3]
            .iter()
            .enumerate()
            .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)));
        let category = match known {
            Some((i, n)) if *n > 0 => CATEGORIES[i],
            _ => "unknown",
        };
        let category = names.id(category);
        resolved.push((outcome, *pid, category, s));
        *tallies.entry((0, empty, outcome)).or_default() += 1;
        *tallies.entry((1, category, outcome)).or_default() += 1;
        if let Some(pr) = s.province {
            *tallies.entry((2, pr, outcome)).or_default() += 1;
            provinces.insert(pr);
        }
        if let Some(c) = s.city {
            let key = names.id(&c.to_string());
            *tallies.entry((3, key, outcome)).or_default() += 1;
            cities.entry(outcome).or_default().insert(c);
            cities.entry(any).or_default().insert(c);
        }
        if let Some(d) = s.day {
            *tallies.entry((4, d, outcome)).or_default() += 1;
        }
    }
    {
        let mut stmt = tx.prepare("SELECT pid FROM reports")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            people.insert(r.get(0)?);
        }
    }
    let name = |i: u32| names.names[i as usize].as_str();
    let reports: i64 = tx.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))?;
    tx.execute_batch(
        "DELETE FROM figure_counts; DELETE FROM incidents; DELETE FROM person_outcomes;",
    )?;
    // In key order, so the table is appended to rather than written at random.
    resolved.sort_unstable_by(|a, b| name(a.0).cmp(name(b.0)).then(a.1.cmp(&b.1)));
    let opt = |v: Option<u32>| v.map_or(Value::Null, |i| Value::Text(name(i).to_string()));
    let mut rows: Vec<[Value; 6]> = Vec::with_capacity(Pending::ROWS);
    for (outcome, pid, category, s) in resolved {
        rows.push([
            Value::Text(name(outcome).to_string()),
            Value::Integer(pid),
            Value::Text(name(category).to_string()),
            opt(s.day),
            opt(s.province),
            s.city.map_or(Value::Null, Value::Integer),
        ]);
        if rows.len() == Pending::ROWS {
            insert_rows(
                tx,
                "person_outcomes (outcome, pid, category, day, province, city)",
                &mut rows,
            )?;
        }
    }
    insert_rows(
        tx,
        "person_outcomes (outcome, pid, category, day, province, city)",
        &mut rows,
    )?;
    let mut ins =
        tx.prepare("INSERT INTO figure_counts (dim, key, outcome, n) VALUES (?1, ?2, ?3, ?4)")?;
    let n = |len: usize| i64::try_from(len).unwrap_or(i64::MAX);
    for ((dim, key, outcome), count) in &tallies {
        ins.execute(params![
            DIMS[usize::from(*dim)],
            name(*key),
            name(*outcome),
            i64::try_from(*count).unwrap_or(i64::MAX)
        ])?;
    }
    for (outcome, set) in &cities {
        ins.execute(params!["cities", "", name(*outcome), n(set.len())])?;
    }
    // Zero counts are not stored: a store without reports has no count rows,
    // whether it was just created or just rebuilt.
    for (dim, value) in [
        ("provinces", n(provinces.len())),
        ("people", n(people.len())),
        ("reports", reports),
    ] {
        if value > 0 {
            ins.execute(params![dim, "", "any", value])?;
        }
    }
    let mut inc =
        tx.prepare("INSERT INTO incidents (day, province, city, reports) VALUES (?1, ?2, ?3, ?4)")?;
    for ((day, province, city), count) in &incidents {
        inc.execute(params![
            name(*day),
            name(*province),
            city,
            i64::try_from(*count).unwrap_or(i64::MAX)
        ])?;
    }
    Ok(())
}
