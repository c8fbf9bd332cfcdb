//! What linkage reads from the store and writes back: one record per report
//! with the fields the linker compares, the model and the human decisions in
//! force, and each report's person id once clusters are known.
//!
//! The store knows no linker: it hands out plain rows and takes back pids.

use crate::{Store, StoreError, Writer};
use gavah_core::EntryId;
use rusqlite::{Connection, OptionalExtension};

/// The fields of one report that linkage compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// The report's local row (`reports.seq`), to write its pid back.
    pub seq: i64,
    pub id: EntryId,
    /// The clock of the report's entry: the earliest member names a cluster.
    pub hlc: u64,
    pub batch: EntryId,
    pub row: u64,
    /// The name as written (`reports.name`), if named.
    pub name: Option<String>,
    pub sex: Option<String>,
    pub age: Option<i64>,
    pub birth_year: Option<i64>,
    /// The first dated outcome's date (ISO) and precision.
    pub date: Option<(String, String)>,
    /// The first located outcome's province and city.
    pub province: Option<String>,
    pub city: Option<i64>,
    pub place_text: Option<String>,
    /// The report's pid now.
    pub pid: i64,
}

/// One blocking key of a linked report, with the report's name sort key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkKey {
    pub key: i64,
    pub sort: String,
    pub report: i64,
}

/// The linkage model in force: the latest `link-model` entry by clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLinkModel {
    pub id: EntryId,
    pub model: String,
    pub threshold_ppm: u32,
    pub min_support_ppm: u32,
    pub made_ms: u64,
    pub author_node: Vec<u8>,
}

/// A human decision in force on a pair of reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDecision {
    pub a: EntryId,
    pub b: EntryId,
    pub same: bool,
    pub author: String,
    pub made_ms: u64,
}

fn id_of(bytes: &[u8], what: &str) -> Result<EntryId, StoreError> {
    EntryId::from_slice(bytes).ok_or_else(|| StoreError::Corrupt(what.to_string()))
}

/// Which reports to read.
enum Which<'a> {
    All,
    /// Reports after this local row.
    After(i64),
    /// These local rows (reports.seq).
    Rows(&'a [i64]),
}

fn link_records(conn: &Connection, which: Which<'_>) -> Result<Vec<LinkRecord>, StoreError> {
    // One row per (report, outcome), in report order; the first dated and the
    // first located outcome of each report are kept.
    const SELECT: &str =
        "SELECT r.seq, r.id, e.hlc, r.batch, r.row, r.name, r.sex, r.age, r.birth_year,
                o.date, o.precision, o.province, o.city, o.place_text, r.pid
         FROM reports r JOIN entries e ON e.seq = r.seq
         LEFT JOIN outcomes o ON o.report = r.seq";
    let (sql, param): (String, Option<i64>) = match which {
        Which::All => (format!("{SELECT} ORDER BY r.seq, o.outcome"), None),
        Which::After(seq) => (
            format!("{SELECT} WHERE r.seq > ?1 ORDER BY r.seq, o.outcome"),
            Some(seq),
        ),
        Which::Rows(rows) => {
            conn.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS link_rows (seq INTEGER PRIMARY KEY);
                 DELETE FROM temp.link_rows;",
            )?;
            let mut ins =
                conn.prepare_cached("INSERT OR IGNORE INTO temp.link_rows (seq) VALUES (?1)")?;
            for &seq in rows {
                ins.execute([seq])?;
            }
            (
                format!(
                    "{SELECT} WHERE r.seq IN (SELECT seq FROM temp.link_rows) ORDER BY r.seq, o.outcome"
                ),
                None,
            )
        }
    };
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = match param {
        Some(p) => stmt.query([p])?,
        None => stmt.query([])?,
    };
    let mut out: Vec<LinkRecord> = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        if out.last().is_none_or(|l| l.seq != seq) {
            let id: Vec<u8> = r.get(1)?;
            let batch: Vec<u8> = r.get(3)?;
            let hlc: i64 = r.get(2)?;
            let row: i64 = r.get(4)?;
            out.push(LinkRecord {
                seq,
                id: id_of(&id, "reports.id")?,
                hlc: u64::try_from(hlc).unwrap_or(0),
                batch: id_of(&batch, "reports.batch")?,
                row: u64::try_from(row).unwrap_or(0),
                name: r.get(5)?,
                sex: r.get(6)?,
                age: r.get(7)?,
                birth_year: r.get(8)?,
                date: None,
                province: None,
                city: None,
                place_text: None,
                pid: r.get(14)?,
            });
        }
        let Some(rec) = out.last_mut() else { continue };
        let date: Option<String> = r.get(9)?;
        if rec.date.is_none()
            && let Some(d) = date
        {
            let precision: String = r.get(10)?;
            rec.date = Some((d, precision));
        }
        let province: Option<String> = r.get(11)?;
        if rec.province.is_none() && province.is_some() {
            rec.province = province;
            rec.city = r.get(12)?;
            rec.place_text = r.get(13)?;
        }
    }
    Ok(out)
}

fn link_model(conn: &Connection) -> Result<Option<StoredLinkModel>, StoreError> {
    conn.query_row(
        "SELECT id, model, threshold_ppm, min_support_ppm, made_ms, node FROM link_models
         ORDER BY hlc DESC, node DESC, id DESC LIMIT 1",
        [],
        |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Vec<u8>>(5)?,
            ))
        },
    )
    .optional()?
    .map(
        |(id, model, threshold_ppm, min_support_ppm, made_ms, node)| {
            Ok(StoredLinkModel {
                id: id_of(&id, "link_models.id")?,
                model,
                threshold_ppm,
                min_support_ppm,
                made_ms: u64::try_from(made_ms).unwrap_or(0),
                author_node: node,
            })
        },
    )
    .transpose()
}

fn link_decisions(conn: &Connection) -> Result<Vec<StoredDecision>, StoreError> {
    // The latest decision per pair by (hlc, node, id): the same on every node.
    let mut stmt = conn.prepare(
        "SELECT a, b, same, author, made_ms FROM (
             SELECT a, b, same, author, made_ms,
                    ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY hlc DESC, node DESC, id DESC) AS n
             FROM link_decisions)
         WHERE n = 1 ORDER BY a, b",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let a: Vec<u8> = r.get(0)?;
        let b: Vec<u8> = r.get(1)?;
        let made: i64 = r.get(4)?;
        out.push(StoredDecision {
            a: id_of(&a, "link_decisions.a")?,
            b: id_of(&b, "link_decisions.b")?,
            same: r.get(2)?,
            author: r.get(3)?,
            made_ms: u64::try_from(made).unwrap_or(0),
        });
    }
    Ok(out)
}

impl Store {
    /// Every report with the fields linkage compares, in local order.
    pub fn link_records(&self) -> Result<Vec<LinkRecord>, StoreError> {
        link_records(self.conn(), Which::All)
    }

    /// The linkage model in force, if the store was ever linked.
    pub fn link_model(&self) -> Result<Option<StoredLinkModel>, StoreError> {
        link_model(self.conn())
    }

    /// The human decisions in force, one per pair.
    pub fn link_decisions(&self) -> Result<Vec<StoredDecision>, StoreError> {
        link_decisions(self.conn())
    }

    /// Whether a report with this id exists.
    pub fn report_exists(&self, id: EntryId) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM reports WHERE id = ?1",
                [id.as_bytes()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Each import batch's id, source name and file name: for documenters'
    /// views such as the review queue, never for public output (a protected
    /// source's name is in it).
    pub fn batch_labels(&self) -> Result<Vec<(EntryId, String, String)>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT b.id, s.name, b.file_name FROM batches b JOIN sources s ON s.id = b.source",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: Vec<u8> = r.get(0)?;
            out.push((id_of(&id, "batches.id")?, r.get(1)?, r.get(2)?));
        }
        Ok(out)
    }
}

impl Writer<'_> {
    /// [`Store::link_records`] inside this transaction.
    pub fn link_records(&mut self) -> Result<Vec<LinkRecord>, StoreError> {
        link_records(self.conn()?, Which::All)
    }

    /// The reports after a local row (those a link has not seen yet).
    pub fn link_records_after(&mut self, seq: i64) -> Result<Vec<LinkRecord>, StoreError> {
        link_records(self.conn()?, Which::After(seq))
    }

    /// The reports at these local rows.
    pub fn link_records_of(&mut self, seqs: &[i64]) -> Result<Vec<LinkRecord>, StoreError> {
        link_records(self.conn()?, Which::Rows(seqs))
    }

    /// The newest report's local row, 0 when there is none.
    pub fn last_report_seq(&mut self) -> Result<i64, StoreError> {
        Ok(self
            .conn()?
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM reports", [], |r| {
                r.get(0)
            })?)
    }

    /// How many link decisions the store holds (every one ever made).
    pub fn link_decision_count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()?
            .query_row("SELECT COUNT(*) FROM link_decisions", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Replaces every blocking key (after a full link).
    pub fn replace_link_keys(&mut self, keys: &mut [LinkKey]) -> Result<(), StoreError> {
        self.conn()?.execute("DELETE FROM link_keys", [])?;
        self.add_link_keys(keys)
    }

    /// Adds blocking keys of newly linked reports.
    pub fn add_link_keys(&mut self, keys: &mut [LinkKey]) -> Result<(), StoreError> {
        // In key order, so the index is appended to where it can be.
        keys.sort_unstable();
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "INSERT OR IGNORE INTO link_keys (key, sort, report) VALUES (?1, ?2, ?3)",
        )?;
        for k in keys.iter() {
            stmt.execute(rusqlite::params![k.key, k.sort, k.report])?;
        }
        Ok(())
    }

    /// The reports a new report with this blocking key and sort key is
    /// compared with, as a whole link's blocking would pair them: every report
    /// sharing the key when there are at most `max_block` of them; in a larger
    /// block, the `window` reports on each side of it in sort order (the
    /// sorted neighbourhood). In no particular order, without repeats.
    pub fn link_neighbours(
        &mut self,
        keys: &[(i64, String)],
        max_block: usize,
        window: usize,
    ) -> Result<Vec<i64>, StoreError> {
        let conn = self.conn()?;
        let mut block =
            conn.prepare_cached("SELECT report FROM link_keys WHERE key = ?1 LIMIT ?2")?;
        let mut after = conn.prepare_cached(
            "SELECT report FROM link_keys WHERE key = ?1 AND sort >= ?2
             ORDER BY sort, report LIMIT ?3",
        )?;
        let mut before = conn.prepare_cached(
            "SELECT report FROM link_keys WHERE key = ?1 AND sort < ?2
             ORDER BY sort DESC, report DESC LIMIT ?3",
        )?;
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        let mut members = Vec::new();
        for (key, sort) in keys {
            members.clear();
            let mut rows = block.query(rusqlite::params![key, n(max_block + 1)])?;
            while let Some(r) = rows.next()? {
                members.push(r.get::<_, i64>(0)?);
            }
            if members.len() <= max_block {
                out.extend_from_slice(&members);
                continue;
            }
            for stmt in [&mut after, &mut before] {
                let mut rows = stmt.query(rusqlite::params![key, sort, n(window)])?;
                while let Some(r) = rows.next()? {
                    out.push(r.get(0)?);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Every report (local row) of these person ids.
    pub fn seqs_of_pids(&mut self, pids: &[i64]) -> Result<Vec<i64>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT seq FROM reports WHERE pid = ?1")?;
        let mut out = Vec::new();
        for &p in pids {
            let mut rows = stmt.query([p])?;
            while let Some(r) = rows.next()? {
                out.push(r.get(0)?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Sets a meta value in this transaction.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            [key, value],
        )?;
        Ok(())
    }

    /// Removes a meta value.
    pub fn delete_meta(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn()?
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    /// A meta value in this transaction.
    pub fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()?
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// [`Store::link_model`] inside this transaction.
    pub fn link_model(&mut self) -> Result<Option<StoredLinkModel>, StoreError> {
        link_model(self.conn()?)
    }

    /// [`Store::link_decisions`] inside this transaction.
    pub fn link_decisions(&mut self) -> Result<Vec<StoredDecision>, StoreError> {
        link_decisions(self.conn()?)
    }

    /// Sets the person id of reports (by `seq`), as linkage decided, and
    /// recomputes the documented counts at commit. Returns how many changed.
    pub fn set_pids(&mut self, pids: &[(i64, i64)]) -> Result<u64, StoreError> {
        let mut changed = 0u64;
        for &(seq, pid) in pids {
            // The old person too, while the counts can still be refreshed
            // person by person (see `counts`).
            let old: Option<i64> = if self.changes().wants_moves() {
                self.conn()?
                    .prepare_cached("SELECT pid FROM reports WHERE seq = ?1")?
                    .query_row([seq], |r| r.get(0))
                    .optional()?
            } else {
                None
            };
            let n = self
                .conn()?
                .prepare_cached("UPDATE reports SET pid = ?2 WHERE seq = ?1 AND pid != ?2")?
                .execute([seq, pid])?;
            if n > 0 {
                changed += 1;
                self.spoil_tally();
                match old {
                    Some(old) => self.changes().moved(old, pid),
                    None => self.changes().recount_all(),
                }
            }
        }
        self.conn()?
            .execute("DELETE FROM meta WHERE key = 'relink_needed'", [])?;
        Ok(changed)
    }
}

/// One person counted under an outcome and one source that reported it: the
/// rows capture histories are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureRow {
    pub pid: i64,
    /// The person's stratum values, as the figures count them.
    pub province: Option<String>,
    pub day: Option<String>,
    pub category: String,
    pub source: EntryId,
}

impl Store {
    /// For each person counted under `outcome`, every source with a report of
    /// that outcome about them (one row per report, in person order).
    pub fn capture_rows(&self, outcome: &str) -> Result<Vec<CaptureRow>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT po.pid, po.province, po.day, po.category, r.source
             FROM person_outcomes po
             JOIN reports r ON r.pid = po.pid
             JOIN outcomes o ON o.report = r.seq AND o.outcome = po.outcome
             WHERE po.outcome = ?1
             ORDER BY po.pid",
        )?;
        let mut rows = stmt.query([outcome])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let source: Vec<u8> = r.get(4)?;
            out.push(CaptureRow {
                pid: r.get(0)?,
                province: r.get(1)?,
                day: r.get(2)?,
                category: r.get(3)?,
                source: id_of(&source, "reports.source")?,
            });
        }
        Ok(out)
    }
}
