//! Read queries behind the public pages: people, incidents, the timeline.
//!
//! Security invariant: nothing here reads `report_protected`, a batch's file
//! name, the raw rows in `entries.body` of reports, or a protected source's
//! name. What these functions return may be shown to anyone; the web crate's
//! leak test checks it end to end.

use crate::{Store, StoreError};
use gavah_core::EntryId;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};

/// The outcomes a person can have, in the order pages list them.
pub const OUTCOMES: [&str; 7] = [
    "killed",
    "executed",
    "wounded",
    "detained",
    "disappeared",
    "sentenced",
    "released",
];

/// Which people to list: every set field must match the one category, day and
/// place the person is counted under (the same rule as the figures), so a list
/// has exactly as many people as the figure it was reached from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeopleFilter {
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub province: Option<String>,
    pub city: Option<u32>,
    pub day: Option<String>,
    /// A name, matched against the normalised names of the person's reports.
    pub name_key: Option<String>,
    /// Only people one source reported, or any.
    pub source: Option<EntryId>,
}

/// One person in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    pub pid: i64,
    pub name: Option<String>,
    /// (outcome, category, day, province, city) as counted.
    pub outcomes: Vec<CountedOutcome>,
    /// Distinct sources among the person's reports.
    pub sources: u64,
    pub reports: u64,
}

/// How one outcome of one person is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedOutcome {
    pub outcome: String,
    pub category: String,
    pub day: Option<String>,
    pub province: Option<String>,
    pub city: Option<u32>,
}

/// One report about a person, public fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicReport {
    pub id: EntryId,
    pub source: EntryId,
    pub source_name: String,
    pub source_type: String,
    pub source_protected: bool,
    pub list_kind: String,
    pub name: Option<String>,
    pub sex: Option<String>,
    pub age: Option<u32>,
    pub birth_year: Option<i32>,
    pub occupation: Option<String>,
    pub category: String,
    pub outcomes: Vec<ReportedOutcome>,
}

/// An outcome as one report states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedOutcome {
    pub outcome: String,
    pub date: Option<String>,
    pub precision: String,
    pub province: Option<String>,
    pub city: Option<u32>,
    pub place_text: Option<String>,
}

/// An incident: a day and a city where reports place outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    pub day: String,
    pub province: String,
    pub city: u32,
    pub reports: u64,
}

/// One import batch, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub id: EntryId,
    pub source: EntryId,
    pub list_kind: String,
    pub rows: u64,
    pub hlc: u64,
}

fn opt_u32(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn id_of(bytes: &[u8]) -> Result<EntryId, StoreError> {
    EntryId::from_slice(bytes).ok_or_else(|| StoreError::Corrupt("an id column".into()))
}

impl PeopleFilter {
    /// The WHERE clause over `person_outcomes po` and its parameters.
    fn sql(&self) -> (String, Vec<Value>) {
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        let mut eq = |col: &str, v: Value| {
            params.push(v);
            clauses.push(format!("{col} = ?{}", params.len()));
        };
        if let Some(v) = &self.outcome {
            eq("po.outcome", Value::Text(v.clone()));
        }
        if let Some(v) = &self.category {
            eq("po.category", Value::Text(v.clone()));
        }
        if let Some(v) = &self.province {
            eq("po.province", Value::Text(v.clone()));
        }
        if let Some(v) = self.city {
            eq("po.city", Value::Integer(i64::from(v)));
        }
        if let Some(v) = &self.day {
            eq("po.day", Value::Text(v.clone()));
        }
        if let Some(v) = &self.name_key {
            params.push(Value::Text(format!(
                "%{}%",
                v.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )));
            clauses.push(format!(
                "po.pid IN (SELECT pid FROM reports WHERE name_key LIKE ?{} ESCAPE '\\')",
                params.len()
            ));
        }
        if let Some(v) = self.source {
            params.push(Value::Blob(v.as_bytes().to_vec()));
            clauses.push(format!(
                "po.pid IN (SELECT pid FROM reports WHERE source = ?{})",
                params.len()
            ));
        }
        let sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (sql, params)
    }
}

impl Store {
    /// How many people match a filter (each person once, whatever outcomes).
    pub fn people_count(&self, filter: &PeopleFilter) -> Result<u64, StoreError> {
        let (wh, params) = filter.sql();
        let sql = format!("SELECT COUNT(DISTINCT po.pid) FROM person_outcomes po {wh}");
        Ok(count(self.conn().query_row(
            &sql,
            params_from_iter(params),
            |r| r.get(0),
        )?))
    }

    /// One page of people matching a filter, earliest counted day first.
    pub fn people(
        &self,
        filter: &PeopleFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<PersonRow>, StoreError> {
        let (wh, mut params) = filter.sql();
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        params.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let n = params.len();
        let sql = format!(
            "SELECT po.pid, MIN(COALESCE(po.day, '9999')) AS d FROM person_outcomes po {wh}
             GROUP BY po.pid ORDER BY d, po.pid LIMIT ?{} OFFSET ?{}",
            n - 1,
            n
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let pids: Vec<i64> = stmt
            .query_map(params_from_iter(params), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(pids.len());
        for pid in pids {
            if let Some(p) = self.person_row(pid)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// One person's summary, when the id is known.
    pub fn person_row(&self, pid: i64) -> Result<Option<PersonRow>, StoreError> {
        let head: Option<(Option<String>, i64, i64)> = self
            .conn()
            .prepare_cached(
                "SELECT (SELECT name FROM reports WHERE pid = ?1 AND name IS NOT NULL ORDER BY id LIMIT 1),
                        COUNT(DISTINCT source), COUNT(*)
                 FROM reports WHERE pid = ?1",
            )?
            .query_row([pid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((name, sources, reports)) = head.filter(|h| h.2 > 0) else {
            return Ok(None);
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT outcome, category, day, province, city FROM person_outcomes
             WHERE pid = ?1 AND outcome IN ('killed', 'executed', 'wounded', 'detained',
                                            'disappeared', 'sentenced', 'released')",
        )?;
        let mut outcomes: Vec<CountedOutcome> = stmt
            .query_map([pid], |r| {
                Ok(CountedOutcome {
                    outcome: r.get(0)?,
                    category: r.get(1)?,
                    day: r.get(2)?,
                    province: r.get(3)?,
                    city: opt_u32(r.get(4)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        outcomes.sort_by_key(|o| {
            OUTCOMES
                .iter()
                .position(|x| *x == o.outcome)
                .unwrap_or(OUTCOMES.len())
        });
        Ok(Some(PersonRow {
            pid,
            name,
            outcomes,
            sources: count(sources),
            reports: count(reports),
        }))
    }

    /// Every report about a person, public fields only, oldest source first.
    pub fn person_reports(&self, pid: i64) -> Result<Vec<PublicReport>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.seq, r.id, r.source, s.name, s.source_type, s.protected, b.kind,
                    r.name, r.sex, r.age, r.birth_year, r.occupation, r.category
             FROM reports r JOIN sources s ON s.id = r.source JOIN batches b ON b.id = r.batch
             WHERE r.pid = ?1 ORDER BY s.name, r.id",
        )?;
        let mut rows = stmt.query([pid])?;
        let mut out = Vec::new();
        let mut seqs = Vec::new();
        while let Some(r) = rows.next()? {
            seqs.push(r.get::<_, i64>(0)?);
            out.push(PublicReport {
                id: id_of(&r.get::<_, Vec<u8>>(1)?)?,
                source: id_of(&r.get::<_, Vec<u8>>(2)?)?,
                source_name: r.get(3)?,
                source_type: r.get(4)?,
                source_protected: r.get(5)?,
                list_kind: r.get(6)?,
                name: r.get(7)?,
                sex: r.get(8)?,
                age: opt_u32(r.get(9)?),
                birth_year: r.get(10)?,
                occupation: r.get(11)?,
                category: r.get(12)?,
                outcomes: Vec::new(),
            });
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT outcome, date, precision, province, city, place_text FROM outcomes
             WHERE report = ?1 ORDER BY outcome",
        )?;
        for (report, seq) in out.iter_mut().zip(seqs) {
            report.outcomes = stmt
                .query_map([seq], |r| {
                    Ok(ReportedOutcome {
                        outcome: r.get(0)?,
                        date: r.get(1)?,
                        precision: r.get(2)?,
                        province: r.get(3)?,
                        city: opt_u32(r.get(4)?),
                        place_text: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
        }
        Ok(out)
    }

    /// Incidents, newest day first.
    pub fn incidents(&self, offset: u64, limit: u64) -> Result<Vec<IncidentRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT day, province, city, reports FROM incidents
             ORDER BY day DESC, reports DESC, province, city LIMIT ?1 OFFSET ?2",
        )?;
        let rows = stmt.query_map(
            [
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX),
            ],
            |r| {
                Ok(IncidentRow {
                    day: r.get(0)?,
                    province: r.get(1)?,
                    city: opt_u32(r.get(2)?).unwrap_or(0),
                    reports: count(r.get(3)?),
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn incidents_count(&self) -> Result<u64, StoreError> {
        Ok(count(self.conn().query_row(
            "SELECT COUNT(*) FROM incidents",
            [],
            |r| r.get(0),
        )?))
    }

    /// One incident and the people whose reports place an outcome there.
    pub fn incident(
        &self,
        day: &str,
        province: &str,
        city: u32,
    ) -> Result<Option<(IncidentRow, Vec<i64>)>, StoreError> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT reports FROM incidents WHERE day = ?1 AND province = ?2 AND city = ?3",
            )?
            .query_row(rusqlite::params![day, province, city], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?;
        let Some(reports) = row else {
            return Ok(None);
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT r.pid FROM outcomes o JOIN reports r ON r.seq = o.report
             WHERE o.day = ?1 AND o.province = ?2 AND o.city = ?3 ORDER BY r.pid",
        )?;
        let pids = stmt
            .query_map(rusqlite::params![day, province, city], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(Some((
            IncidentRow {
                day: day.to_string(),
                province: province.to_string(),
                city,
                reports: count(reports),
            },
            pids,
        )))
    }

    /// Documented people per day, outcome and category, as counted.
    pub fn daily_by_category(&self) -> Result<Vec<(String, String, String, u64)>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT day, outcome, category, COUNT(*) FROM person_outcomes
             WHERE day IS NOT NULL GROUP BY day, outcome, category ORDER BY day",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, count(r.get(3)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Import batches, newest first.
    pub fn batches(&self) -> Result<Vec<BatchRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, source, kind, rows, hlc FROM batches ORDER BY hlc DESC, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(BatchRow {
                id: id_of(&r.get::<_, Vec<u8>>(0)?)?,
                source: id_of(&r.get::<_, Vec<u8>>(1)?)?,
                list_kind: r.get(2)?,
                rows: count(r.get(3)?),
                hlc: count(r.get(4)?),
            });
        }
        Ok(out)
    }

    /// Distinct people per outcome among one batch's reports.
    pub fn batch_outcomes(&self, batch: EntryId) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT o.outcome, COUNT(DISTINCT r.person) FROM reports r JOIN outcomes o ON o.report = r.seq
             WHERE r.batch = ?1 GROUP BY o.outcome ORDER BY o.outcome",
        )?;
        let rows = stmt.query_map([batch.as_bytes()], |r| Ok((r.get(0)?, count(r.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When each figure and claim status was recorded (the entry's clock).
    pub fn recorded_at(&self, ids: &[EntryId]) -> Result<Vec<u64>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT hlc FROM entries WHERE id = ?1")?;
        ids.iter()
            .map(|id| {
                Ok(stmt
                    .query_row([id.as_bytes()], |r| r.get::<_, i64>(0))
                    .optional()?
                    .map_or(0, count))
            })
            .collect()
    }

    /// Every counted (person, outcome) with the person's first name and number
    /// of sources, in person order: the rows of the open-data export.
    pub fn export_people(
        &self,
        mut each: impl FnMut(i64, Option<String>, u64, CountedOutcome) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT po.pid, po.outcome, po.category, po.day, po.province, po.city,
                    (SELECT name FROM reports r WHERE r.pid = po.pid AND name IS NOT NULL ORDER BY id LIMIT 1),
                    (SELECT COUNT(DISTINCT source) FROM reports r WHERE r.pid = po.pid)
             FROM person_outcomes po ORDER BY po.pid, po.outcome",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(
                r.get(0)?,
                r.get(6)?,
                count(r.get(7)?),
                CountedOutcome {
                    outcome: r.get(1)?,
                    category: r.get(2)?,
                    day: r.get(3)?,
                    province: r.get(4)?,
                    city: opt_u32(r.get(5)?),
                },
            )?;
        }
        Ok(())
    }

    /// The last local sequence number: changes whenever an entry is added, so
    /// readers can tell cheaply that their cached views are stale.
    pub fn version(&self) -> Result<u64, StoreError> {
        Ok(count(self.conn().query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM entries",
            [],
            |r| r.get(0),
        )?))
    }
}
