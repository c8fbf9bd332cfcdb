//! Read queries over the projections.

use crate::{Store, StoreError};
use gavah_core::EntryId;
use rusqlite::{OptionalExtension, params};

/// One documented count: distinct people with `outcome` in `key` of `dim`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub dim: String,
    pub key: String,
    pub outcome: String,
    pub n: u64,
}

/// A source with how much it contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub id: EntryId,
    pub name: String,
    pub source_type: String,
    pub protected: bool,
    pub reports: u64,
    pub figures: u64,
}

/// A source's published figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    pub id: EntryId,
    pub source: EntryId,
    pub source_name: String,
    pub source_type: String,
    pub source_protected: bool,
    pub metric: String,
    pub value: u64,
    pub qualifier: String,
    pub as_of: String,
    pub province: Option<String>,
    pub category: Option<String>,
    pub citation: Option<String>,
}

/// A claim with its status history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    pub id: EntryId,
    pub by: String,
    pub date: String,
    pub text: String,
    pub citation: Option<String>,
    pub history: Vec<StatusRow>,
}

impl ClaimRow {
    /// The status in force: the latest change, or `claimed` when none.
    pub fn status(&self) -> &str {
        self.history.last().map_or("claimed", |s| s.status.as_str())
    }
}

/// One status change of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub id: EntryId,
    pub status: String,
    pub by: String,
    pub date: String,
    pub note: Option<String>,
}

/// How much the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub entries: u64,
    pub reports: u64,
    pub sources: u64,
    pub batches: u64,
    pub figures: u64,
    pub claims: u64,
}

fn id_of(bytes: &[u8]) -> Result<EntryId, StoreError> {
    EntryId::from_slice(bytes).ok_or_else(|| StoreError::Corrupt("an id column".into()))
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Store {
    /// The documented counts maintained by every write.
    pub fn counts(&self) -> Result<Vec<CountRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT dim, key, outcome, n FROM figure_counts ORDER BY dim, key, outcome",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CountRow {
                dim: r.get(0)?,
                key: r.get(1)?,
                outcome: r.get(2)?,
                n: u64_of(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn totals(&self) -> Result<Totals, StoreError> {
        let c = |sql: &str| -> Result<u64, StoreError> {
            Ok(u64_of(self.conn().query_row(sql, [], |r| r.get(0))?))
        };
        Ok(Totals {
            entries: c("SELECT COUNT(*) FROM entries")?,
            reports: c("SELECT COUNT(*) FROM reports")?,
            sources: c("SELECT COUNT(*) FROM sources")?,
            batches: c("SELECT COUNT(*) FROM batches")?,
            figures: c("SELECT COUNT(*) FROM figures")?,
            claims: c("SELECT COUNT(*) FROM claims")?,
        })
    }

    /// Every source, by name, without counts (cheap).
    pub fn sources(&self) -> Result<Vec<SourceRow>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id, name, source_type, protected FROM sources ORDER BY name")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(SourceRow {
                id: id_of(&r.get::<_, Vec<u8>>(0)?)?,
                name: r.get(1)?,
                source_type: r.get(2)?,
                protected: r.get(3)?,
                reports: 0,
                figures: 0,
            });
        }
        Ok(out)
    }

    /// Every source with how many reports and figures it contributed (one scan
    /// of the reports).
    pub fn source_stats(&self) -> Result<Vec<SourceRow>, StoreError> {
        let mut out = self.sources()?;
        let mut count = |sql: &str, set: fn(&mut SourceRow, u64)| -> Result<(), StoreError> {
            let mut stmt = self.conn().prepare(sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id = id_of(&r.get::<_, Vec<u8>>(0)?)?;
                if let Some(s) = out.iter_mut().find(|s| s.id == id) {
                    set(s, u64_of(r.get(1)?));
                }
            }
            Ok(())
        };
        count(
            "SELECT source, COUNT(*) FROM reports GROUP BY source",
            |s, n| s.reports = n,
        )?;
        count(
            "SELECT source, COUNT(*) FROM figures GROUP BY source",
            |s, n| s.figures = n,
        )?;
        Ok(out)
    }

    /// Every published figure with its source, newest as-of date last.
    pub fn published_figures(&self) -> Result<Vec<FigureRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.id, f.source, s.name, s.source_type, s.protected, f.metric, f.value, f.qualifier,
                    f.as_of, f.province, f.category, f.citation
             FROM figures f JOIN sources s ON s.id = f.source
             ORDER BY f.metric, f.as_of, s.name, f.province, f.category, f.value, f.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(FigureRow {
                id: id_of(&r.get::<_, Vec<u8>>(0)?)?,
                source: id_of(&r.get::<_, Vec<u8>>(1)?)?,
                source_name: r.get(2)?,
                source_type: r.get(3)?,
                source_protected: r.get(4)?,
                metric: r.get(5)?,
                value: u64_of(r.get(6)?),
                qualifier: r.get(7)?,
                as_of: r.get(8)?,
                province: r.get(9)?,
                category: r.get(10)?,
                citation: r.get(11)?,
            });
        }
        Ok(out)
    }

    /// Every claim with its status history. Status changes order by their date,
    /// then by clock, node and id, so every node shows the same current status.
    pub fn claims(&self) -> Result<Vec<ClaimRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, by_whom, date, text, citation FROM claims ORDER BY date, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ClaimRow {
                id: id_of(&r.get::<_, Vec<u8>>(0)?)?,
                by: r.get(1)?,
                date: r.get(2)?,
                text: r.get(3)?,
                citation: r.get(4)?,
                history: Vec::new(),
            });
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, status, by_whom, date, note FROM claim_statuses WHERE claim = ?1 ORDER BY date, hlc, node, id",
        )?;
        for claim in &mut out {
            let mut rows = stmt.query([claim.id.as_bytes()])?;
            while let Some(r) = rows.next()? {
                claim.history.push(StatusRow {
                    id: id_of(&r.get::<_, Vec<u8>>(0)?)?,
                    status: r.get(1)?,
                    by: r.get(2)?,
                    date: r.get(3)?,
                    note: r.get(4)?,
                });
            }
        }
        Ok(out)
    }

    /// The number of rows of an imported file, when that batch is in the store.
    pub fn batch_rows(&self, id: EntryId) -> Result<Option<u64>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT rows FROM batches WHERE id = ?1",
                [id.as_bytes()],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(u64_of))
    }

    pub fn claim_exists(&self, id: EntryId) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM claims WHERE id = ?1",
                params![id.as_bytes()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Claims whose id starts with the given hex digits (for short ids typed by people).
    pub fn claims_with_prefix(&self, prefix: &str) -> Result<Vec<EntryId>, StoreError> {
        Ok(self
            .claims()?
            .into_iter()
            .map(|c| c.id)
            .filter(|id| id.to_string().starts_with(prefix))
            .collect())
    }

    /// A digest of every projection table, for checking that two stores (or one
    /// store before and after a rebuild) hold the same state.
    pub fn digest(&self) -> Result<String, StoreError> {
        let mut h = blake3::Hasher::new();
        // Local row numbers (`seq`) differ between nodes and are left out.
        for sql in [
            "SELECT id, name, source_type, protected, hlc, node FROM sources ORDER BY id",
            "SELECT * FROM batches ORDER BY id",
            "SELECT id, source, batch, row, name, name_key, sex, age, birth_year, occupation, category, person
             FROM reports ORDER BY id",
            "SELECT r.id, p.witness, p.contact, p.notes FROM report_protected p JOIN reports r ON r.seq = p.report
             ORDER BY r.id",
            "SELECT r.id, o.outcome, o.day, o.date, o.precision, o.province, o.city, o.place_text
             FROM outcomes o JOIN reports r ON r.seq = o.report ORDER BY r.id, o.outcome",
            "SELECT * FROM incidents ORDER BY day, province, city",
            "SELECT * FROM figures ORDER BY id",
            "SELECT * FROM claims ORDER BY id",
            "SELECT * FROM claim_statuses ORDER BY id",
            "SELECT * FROM figure_counts ORDER BY dim, key, outcome",
            "SELECT * FROM person_outcomes ORDER BY outcome, pid",
            "SELECT id, pid FROM reports ORDER BY id",
            "SELECT * FROM link_models ORDER BY id",
            "SELECT * FROM link_decisions ORDER BY id",
        ] {
            let mut stmt = self.conn().prepare(sql)?;
            let n = stmt.column_count();
            let mut rows = stmt.query([])?;
            h.update(sql.as_bytes());
            while let Some(r) = rows.next()? {
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    h.update(format!("{v:?}\u{1f}").as_bytes());
                }
                h.update(b"\x1e");
            }
        }
        Ok(h.finalize().to_hex()[..32].to_string())
    }

    /// Every entry in (hlc, node, id) order, for export and tests.
    pub fn entries(&self) -> Result<Vec<gavah_entry::Entry>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, node, author, hlc, body FROM entries ORDER BY hlc, node, id")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(crate::entry_from_row(r)?);
        }
        Ok(out)
    }

    /// Protected fields of one report: for documenter views only.
    pub fn report_protected(
        &self,
        report: EntryId,
    ) -> Result<Option<[Option<String>; 3]>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT p.witness, p.contact, p.notes FROM report_protected p JOIN reports r ON r.seq = p.report
                 WHERE r.id = ?1",
                [report.as_bytes()],
                |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]),
            )
            .optional()?)
    }
}
