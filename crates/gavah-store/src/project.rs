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
use rusqlite::{Connection, params};

/// Whether an entry of this kind can change the documented counts.
pub(crate) fn moves_counts(entry: &Entry) -> bool {
    matches!(entry.body, Body::Report(_))
}

/// Projects one entry. `seq` is the entry's local row in `entries`.
pub(crate) fn apply(
    tx: &Connection,
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
        Body::Report(r) => apply_report(tx, entry.id, seq, r, replace)?,
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
    }
    Ok(())
}

/// The person a report is about, until linkage says otherwise: the same
/// normalised name, place and date. An unnamed report is its own person, since
/// merging two unnamed victims would erase one.
pub fn person_key(report: EntryId, p: &PersonBody) -> String {
    let name = match (&p.name, &p.given_name, &p.surname) {
        (Some(n), _, _) => match_key(n),
        (None, g, s) => match_key(&format!(
            "{} {}",
            g.as_deref().unwrap_or(""),
            s.as_deref().unwrap_or("")
        )),
    };
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
    id: EntryId,
    seq: i64,
    r: &ReportBody,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        tx.prepare_cached("DELETE FROM outcomes WHERE report = ?1")?
            .execute([seq])?;
        tx.prepare_cached("DELETE FROM report_protected WHERE report = ?1")?
            .execute([seq])?;
    }
    let p = &r.person;
    let person = person_key(id, p);
    let category = p.category.as_deref().unwrap_or("unknown");
    let name_key = p.name.as_deref().map(match_key).filter(|k| !k.is_empty());
    tx.prepare_cached(
        "INSERT OR REPLACE INTO reports (seq, id, source, batch, row, name, name_key, sex, age, birth_year, occupation, category, person)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        seq,
        id.as_bytes(),
        r.source.as_bytes(),
        r.batch.as_bytes(),
        i64::try_from(r.row).unwrap_or(i64::MAX),
        p.name,
        name_key,
        p.sex,
        p.age,
        p.birth_year,
        p.occupation,
        category,
        person
    ])?;
    if p.witness.is_some() || p.contact.is_some() || p.notes.is_some() {
        tx.prepare_cached("INSERT INTO report_protected (report, witness, contact, notes) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![seq, p.witness, p.contact, p.notes])?;
    }
    for o in &p.outcomes {
        let day = if o.precision == "day" {
            o.date.as_deref()
        } else {
            None
        };
        tx.prepare_cached(
            "INSERT OR IGNORE INTO outcomes (report, outcome, person, category, day, date, precision, province, city, place_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            seq,
            o.outcome,
            person,
            category,
            day,
            o.date,
            o.precision,
            o.place.province,
            o.place.city,
            o.place.text
        ])?;
    }
    Ok(())
}

/// Empties every projection, before a rebuild.
pub(crate) fn clear(tx: &Connection) -> Result<(), StoreError> {
    tx.execute_batch(
        "DELETE FROM sources; DELETE FROM batches; DELETE FROM reports; DELETE FROM report_protected;
         DELETE FROM outcomes; DELETE FROM incidents; DELETE FROM figures; DELETE FROM claims;
         DELETE FROM claim_statuses; DELETE FROM figure_counts;",
    )?;
    Ok(())
}

/// Recomputes the documented counts and the implied incidents from the rows.
///
/// One pass over `outcomes` in Rust rather than one `COUNT(DISTINCT …) GROUP BY`
/// per dimension: SQLite would sort the whole table once per dimension, which
/// dominated the time of a large import.
pub(crate) fn refresh_counts(tx: &Connection) -> Result<(), StoreError> {
    use std::collections::{HashMap, HashSet};
    type Key = (&'static str, String, String);
    let mut sets: HashMap<Key, HashSet<u64>> = HashMap::new();
    let mut cities: HashMap<String, HashSet<i64>> = HashMap::new();
    let mut provinces: HashSet<String> = HashSet::new();
    let mut incidents: HashMap<(String, String, i64), u64> = HashMap::new();
    let mut people: HashSet<u64> = HashSet::new();
    let hash = |s: &str| -> u64 {
        // 64 bits of BLAKE3 over the person key: collisions among a few million
        // people are vanishingly unlikely (about n²/2⁶⁵).
        let h = blake3::hash(s.as_bytes());
        u64::from_le_bytes(h.as_bytes()[..8].try_into().unwrap_or([0; 8]))
    };
    {
        let mut stmt =
            tx.prepare("SELECT person, outcome, category, day, province, city FROM outcomes")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let person: String = r.get(0)?;
            let outcome: String = r.get(1)?;
            let category: String = r.get(2)?;
            let day: Option<String> = r.get(3)?;
            let province: Option<String> = r.get(4)?;
            let city: Option<i64> = r.get(5)?;
            let p = hash(&person);
            sets.entry(("total", String::new(), outcome.clone()))
                .or_default()
                .insert(p);
            sets.entry(("category", category, outcome.clone()))
                .or_default()
                .insert(p);
            if let Some(pr) = &province {
                sets.entry(("province", pr.clone(), outcome.clone()))
                    .or_default()
                    .insert(p);
                provinces.insert(pr.clone());
            }
            if let Some(c) = city {
                sets.entry(("city", c.to_string(), outcome.clone()))
                    .or_default()
                    .insert(p);
                cities.entry(outcome.clone()).or_default().insert(c);
                cities.entry("any".into()).or_default().insert(c);
            }
            if let Some(d) = &day {
                sets.entry(("day", d.clone(), outcome.clone()))
                    .or_default()
                    .insert(p);
                if let (Some(pr), Some(c)) = (&province, city) {
                    *incidents.entry((d.clone(), pr.clone(), c)).or_default() += 1;
                }
            }
        }
    }
    {
        let mut stmt = tx.prepare("SELECT person FROM reports")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            people.insert(hash(r.get_ref(0)?.as_str().unwrap_or("")));
        }
    }
    let reports: i64 = tx.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))?;
    tx.execute_batch("DELETE FROM figure_counts; DELETE FROM incidents;")?;
    let mut ins =
        tx.prepare("INSERT INTO figure_counts (dim, key, outcome, n) VALUES (?1, ?2, ?3, ?4)")?;
    let n = |len: usize| i64::try_from(len).unwrap_or(i64::MAX);
    for ((dim, key, outcome), set) in &sets {
        ins.execute(params![dim, key, outcome, n(set.len())])?;
    }
    for (outcome, set) in &cities {
        ins.execute(params!["cities", "", outcome, n(set.len())])?;
    }
    ins.execute(params!["provinces", "", "any", n(provinces.len())])?;
    ins.execute(params!["people", "", "any", n(people.len())])?;
    ins.execute(params!["reports", "", "any", reports])?;
    let mut inc =
        tx.prepare("INSERT INTO incidents (day, province, city, reports) VALUES (?1, ?2, ?3, ?4)")?;
    for ((day, province, city), count) in &incidents {
        inc.execute(params![
            day,
            province,
            city,
            i64::try_from(*count).unwrap_or(i64::MAX)
        ])?;
    }
    Ok(())
}
