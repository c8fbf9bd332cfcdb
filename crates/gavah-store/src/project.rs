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

pub(crate) fn apply(tx: &Connection, entry: &Entry, replace: bool) -> Result<(), StoreError> {
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
                b.kind,
                b.file_name,
                b.format,
                b.encoding,
                i64::try_from(b.rows).unwrap_or(i64::MAX),
                entry.author,
                hlc
            ])?;
        }
        Body::Report(r) => apply_report(tx, entry.id, r, replace)?,
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
    r: &ReportBody,
    replace: bool,
) -> Result<(), StoreError> {
    let idb = id.as_bytes();
    if replace {
        tx.prepare_cached("DELETE FROM outcomes WHERE report = ?1")?
            .execute([idb])?;
    }
    let p = &r.person;
    let person = person_key(id, p);
    let category = p.category.as_deref().unwrap_or("unknown");
    let name_key = p.name.as_deref().map(match_key).filter(|k| !k.is_empty());
    tx.prepare_cached(
        "INSERT OR REPLACE INTO reports (id, source, batch, row, name, name_key, sex, age, birth_year, occupation, category, person)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        idb,
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
        tx.prepare_cached(
            "INSERT OR REPLACE INTO report_protected (report, witness, contact, notes) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![idb, p.witness, p.contact, p.notes])?;
    }
    for o in &p.outcomes {
        let day = if o.precision == "day" {
            o.date.as_deref()
        } else {
            None
        };
        tx.prepare_cached(
            "INSERT OR IGNORE INTO outcomes (report, person, outcome, category, day, date, precision, province, city, place_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            idb,
            person,
            o.outcome,
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
pub(crate) fn refresh_counts(tx: &Connection) -> Result<(), StoreError> {
    tx.execute_batch(
        "DELETE FROM figure_counts;
         INSERT INTO figure_counts SELECT 'total', '', outcome, COUNT(DISTINCT person) FROM outcomes GROUP BY outcome;
         INSERT INTO figure_counts SELECT 'category', category, outcome, COUNT(DISTINCT person)
             FROM outcomes GROUP BY outcome, category;
         INSERT INTO figure_counts SELECT 'province', province, outcome, COUNT(DISTINCT person)
             FROM outcomes WHERE province IS NOT NULL GROUP BY outcome, province;
         INSERT INTO figure_counts SELECT 'city', city, outcome, COUNT(DISTINCT person)
             FROM outcomes WHERE city IS NOT NULL GROUP BY outcome, city;
         INSERT INTO figure_counts SELECT 'day', day, outcome, COUNT(DISTINCT person)
             FROM outcomes WHERE day IS NOT NULL GROUP BY outcome, day;
         INSERT INTO figure_counts SELECT 'cities', '', outcome, COUNT(DISTINCT city)
             FROM outcomes WHERE city IS NOT NULL GROUP BY outcome;
         INSERT INTO figure_counts SELECT 'cities', '', 'any', COUNT(DISTINCT city) FROM outcomes WHERE city IS NOT NULL;
         INSERT INTO figure_counts SELECT 'provinces', '', 'any', COUNT(DISTINCT province)
             FROM outcomes WHERE province IS NOT NULL;
         INSERT INTO figure_counts SELECT 'people', '', 'any', COUNT(DISTINCT person) FROM reports;
         INSERT INTO figure_counts SELECT 'reports', '', 'any', COUNT(*) FROM reports;
         DELETE FROM incidents;
         INSERT INTO incidents SELECT day, province, city, COUNT(*) FROM outcomes
             WHERE day IS NOT NULL AND province IS NOT NULL AND city IS NOT NULL GROUP BY day, province, city;",
    )?;
    Ok(())
}
