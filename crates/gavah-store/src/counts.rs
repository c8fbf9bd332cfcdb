//! The documented counts, derived from `reports` and `outcomes`:
//! `person_outcomes` (each person counted once per outcome, under one
//! category, day and place), `figure_counts` (the tallies the figures read)
//! and `incidents`.
//!
//! A commit brings them up to date in one of two ways, which give the same
//! rows (the store's property tests compare them through `Store::digest`):
//! - a full recount, one pass over every outcome row: after a rebuild or a
//!   replaced report, and whenever the commit touched more than an eighth of
//!   the people (a bulk import);
//! - an incremental one: only the people whose reports changed (new reports,
//!   reports that linkage moved to another person) are counted again, and
//!   their old contribution to every tally is swapped for the new one. Linking
//!   a thousand reports into a store of a million must not recount the
//!   million.

use crate::StoreError;
use crate::project::{Pending, insert_rows};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::{FxHashMap, FxHashSet};

/// What a transaction changed that the counts depend on.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Only a full recount will do.
    pub all: bool,
    /// The local row (`seq`) of the first report appended in the transaction.
    /// Rows are numbered upwards, so every report at or after it is new.
    pub first_new: Option<i64>,
    /// People some of whose reports linkage moved away or to them.
    pub pids: FxHashSet<i64>,
}

impl Changes {
    /// People moved by linkage that are worth remembering one by one; past
    /// this a full recount is cheaper than the bookkeeping.
    const MAX_PIDS: usize = 200_000;

    pub(crate) fn any(&self) -> bool {
        self.all || self.first_new.is_some() || !self.pids.is_empty()
    }

    pub(crate) fn new_report(&mut self, seq: i64) {
        self.first_new = Some(self.first_new.map_or(seq, |f| f.min(seq)));
    }

    /// Whether moves still need their old person id (see [`Changes::moved`]).
    pub(crate) fn wants_moves(&self) -> bool {
        !self.all
    }

    pub(crate) fn moved(&mut self, from: i64, to: i64) {
        if self.all {
            return;
        }
        self.pids.insert(from);
        self.pids.insert(to);
        if self.pids.len() > Self::MAX_PIDS {
            self.recount_all();
        }
    }

    pub(crate) fn recount_all(&mut self) {
        self.all = true;
        self.pids = FxHashSet::default();
    }
}

const DIMS: [&str; 5] = ["total", "category", "province", "city", "day"];
const CATEGORIES: [&str; 4] = ["protester", "bystander", "security-forces", "unknown"];

/// Strings seen in a scan, numbered, so the maps below key on integers and the
/// scan allocates once per distinct value rather than once per row.
#[derive(Default)]
struct Names {
    // FxHash: SipHash over every row's outcome, day and province showed in
    // profiles of the recount.
    ids: FxHashMap<String, u32>,
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

    fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    fn opt(&mut self, s: Option<&str>) -> Option<u32> {
        s.map(|s| self.id(s))
    }
}

/// One outcome row as a scan keeps it (its strings as numbers in [`Names`]),
/// or, once resolved, a person counted under one outcome: one
/// `person_outcomes` row.
#[derive(Clone, Copy)]
struct Counted {
    outcome: u32,
    pid: i64,
    category: u32,
    day: Option<u32>,
    province: Option<u32>,
    city: Option<i64>,
}

/// Outcome rows gathered, then resolved per person. A person is counted once
/// per outcome, under one category, day and place, so that every breakdown
/// adds up to its total: the most reported known category (ties go to the
/// first in `CATEGORIES`), the earliest day, the smallest province code and
/// city id: rules that do not depend on the order of the rows.
///
/// The rows are kept in a vector and sorted by (outcome, person) to resolve,
/// rather than folded into a map keyed by person as they come: a million
/// random map updates waited on memory, a sort streams.
#[derive(Default)]
pub(crate) struct Scan {
    names: Names,
    rows: Vec<Counted>,
    /// City ids as tally keys: their names' numbers, made once per city
    /// rather than once per person.
    city_names: FxHashMap<i64, u32>,
}

/// The columns [`Scan::row`] reads, in order.
const SCAN_COLUMNS: &str = "r.pid, o.outcome, r.category, o.day, o.province, o.city";

impl Scan {
    /// Adds one outcome row.
    pub(crate) fn add(
        &mut self,
        pid: i64,
        outcome: &str,
        category: &str,
        day: Option<&str>,
        province: Option<&str>,
        city: Option<i64>,
    ) {
        let row = Counted {
            outcome: self.names.id(outcome),
            pid,
            category: self.names.id(category),
            day: self.names.opt(day),
            province: self.names.opt(province),
            city,
        };
        self.rows.push(row);
    }

    /// Adds one row of [`SCAN_COLUMNS`].
    fn row(&mut self, r: &rusqlite::Row<'_>) -> Result<(), StoreError> {
        self.add(
            r.get(0)?,
            r.get_ref(1)?.as_str().unwrap_or(""),
            r.get_ref(2)?.as_str().unwrap_or("unknown"),
            r.get_ref(3)?.as_str_or_null().ok().flatten(),
            r.get_ref(4)?.as_str_or_null().ok().flatten(),
            r.get(5)?,
        );
        Ok(())
    }

    /// The rows per incident (day, province, city), for rows with all three.
    fn incidents(&self) -> FxHashMap<(u32, u32, i64), u64> {
        let mut out: FxHashMap<(u32, u32, i64), u64> = FxHashMap::default();
        for c in &self.rows {
            if let (Some(d), Some(p), Some(city)) = (c.day, c.province, c.city) {
                *out.entry((d, p, city)).or_default() += 1;
            }
        }
        out
    }

    /// Each (person, outcome) seen, resolved, in `person_outcomes` key order
    /// (so that the table is appended to rather than written at random).
    fn resolve(&mut self) -> Vec<Counted> {
        // Every name's place in the order of the names, so that rows sort and
        // compare on integers, and each name's slot among the categories.
        let n = self.names.names.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_unstable_by(|a, b| self.names.names[*a].cmp(&self.names.names[*b]));
        let mut rank = vec![0u32; n];
        for (r, i) in order.iter().enumerate() {
            rank[*i] = u32::try_from(r).unwrap_or(u32::MAX);
        }
        let slot: Vec<usize> = self
            .names
            .names
            .iter()
            .map(|name| CATEGORIES.iter().position(|c| c == name).unwrap_or(3))
            .collect();
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_unstable_by_key(|c| (rank[c.outcome as usize], c.pid));
        let smaller = |new: Option<u32>, old: Option<u32>| match (new, old) {
            (Some(n), Some(o)) if rank[n as usize] < rank[o as usize] => Some(n),
            (Some(n), None) => Some(n),
            (_, o) => o,
        };
        let mut out = Vec::with_capacity(rows.len());
        for group in rows.chunk_by(|a, b| a.outcome == b.outcome && a.pid == b.pid) {
            let mut categories = [0u32; 4];
            let (mut day, mut province, mut city) = (None, None, None::<i64>);
            for c in group {
                categories[slot[c.category as usize]] += 1;
                day = smaller(c.day, day);
                province = smaller(c.province, province);
                city = match (c.city, city) {
                    (Some(n), Some(o)) => Some(n.min(o)),
                    (n, o) => n.or(o),
                };
            }
            let known = categories[..3]
                .iter()
                .enumerate()
                .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)));
            let category = match known {
                Some((i, n)) if *n > 0 => CATEGORIES[i],
                _ => "unknown",
            };
            out.push(Counted {
                outcome: group[0].outcome,
                pid: group[0].pid,
                category: self.names.id(category),
                day,
                province,
                city,
            });
        }
        out
    }

    /// The tallies one counted person adds to: (dimension, key, outcome).
    fn keys(&mut self, c: &Counted) -> impl Iterator<Item = (u8, u32, u32)> {
        let empty = self.names.id("");
        let city = c.city.map(|city| match self.city_names.get(&city) {
            Some(&k) => k,
            None => {
                let k = self.names.id(&city.to_string());
                self.city_names.insert(city, k);
                k
            }
        });
        let outcome = c.outcome;
        [
            Some((0, empty)),
            Some((1, c.category)),
            c.province.map(|p| (2, p)),
            city.map(|k| (3, k)),
            c.day.map(|d| (4, d)),
        ]
        .into_iter()
        .flatten()
        .map(move |(dim, key)| (dim, key, outcome))
    }

    /// A `person_outcomes` row, borrowing the scan's strings.
    fn person_row(&self, c: &Counted) -> [ToSqlOutput<'_>; 6] {
        let text = |i: u32| ValueRef::Text(self.name(i).as_bytes());
        let opt = |v: Option<u32>| v.map_or(ValueRef::Null, text);
        [
            text(c.outcome),
            ValueRef::Integer(c.pid),
            text(c.category),
            opt(c.day),
            opt(c.province),
            c.city.map_or(ValueRef::Null, ValueRef::Integer),
        ]
        .map(ToSqlOutput::Borrowed)
    }

    fn name(&self, i: u32) -> &str {
        self.names.name(i)
    }
}

/// The outcome rows a transaction writes, gathered as it writes them, so
/// that a full recount at its commit reads back only the rows from before
/// it: a bulk import's recount read its million rows back through a join.
///
/// It holds the rows of every report projected since the first, whose local
/// row (`seq`) is the lowest: rows are numbered upwards, so every row at or
/// after that one is in the tally, and every row before it is not. Anything
/// that changes rows already written (a replaced report, a person id moved
/// by linkage) spoils it, and the recount reads everything instead.
#[derive(Default)]
pub(crate) struct Tally {
    scan: Scan,
    /// The lowest report row added.
    from: Option<i64>,
    spoiled: bool,
}

impl Tally {
    /// Adds a report's outcome rows; `seq` is the report's row.
    pub(crate) fn add(&mut self, seq: i64, rows: impl FnOnce(&mut Scan)) {
        if self.spoiled {
            return;
        }
        self.from = Some(self.from.map_or(seq, |f| f.min(seq)));
        rows(&mut self.scan);
    }

    /// Rows already written changed: the tally no longer stands for them.
    pub(crate) fn spoil(&mut self) {
        self.spoiled = true;
        self.scan = Scan::default();
    }

    /// Every row was removed (a rebuild replays them all): the tally starts
    /// again and will hold every row.
    pub(crate) fn restart(&mut self) {
        *self = Tally::default();
    }

    /// The rows, and the first report row they cover, when they can stand
    /// for the rows from that one on.
    fn usable(self) -> Option<(Scan, i64)> {
        match (self.spoiled, self.from) {
            (false, Some(from)) => Some((self.scan, from)),
            _ => None,
        }
    }
}

const PERSON_OUTCOMES: &str = "person_outcomes (outcome, pid, category, day, province, city)";

fn write_people(tx: &Connection, scan: &Scan, counted: &[Counted]) -> Result<(), StoreError> {
    let mut rows: Vec<[ToSqlOutput<'_>; 6]> = Vec::with_capacity(Pending::ROWS);
    for c in counted {
        rows.push(scan.person_row(c));
        if rows.len() == Pending::ROWS {
            insert_rows(tx, PERSON_OUTCOMES, &mut rows)?;
        }
    }
    insert_rows(tx, PERSON_OUTCOMES, &mut rows)
}

fn sql_n(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Brings the counts up to date with what the transaction changed.
pub(crate) fn refresh(
    tx: &Connection,
    changes: &Changes,
    tally: Option<Tally>,
) -> Result<(), StoreError> {
    if changes.all {
        return refresh_all(tx, tally);
    }
    let mut pids = changes.pids.clone();
    if let Some(first) = changes.first_new {
        let mut stmt = tx.prepare("SELECT DISTINCT pid FROM reports WHERE seq >= ?1")?;
        let mut rows = stmt.query([first])?;
        while let Some(r) = rows.next()? {
            pids.insert(r.get(0)?);
        }
    }
    let people: i64 = tx
        .query_row(
            "SELECT n FROM figure_counts WHERE dim = 'people' AND key = '' AND outcome = 'any'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    // Counting a person again costs an indexed lookup per outcome and per
    // report, a full recount one sequential pass over every row (2.4–3.4 s at
    // a million reports, against 0.14–0.18 s for a thousand new reports):
    // past about an eighth of the people the pass is the cheaper. A few dozen
    // people are always counted one by one.
    if pids.len() > 64 && sql_n(pids.len()).saturating_mul(8) > people {
        return refresh_all(tx, tally);
    }
    refresh_people(tx, &pids, changes.first_new)?;
    let negative: i64 =
        tx.query_row("SELECT COUNT(*) FROM figure_counts WHERE n < 0", [], |r| {
            r.get(0)
        })?;
    if negative > 0 {
        // Only possible if the counts were already wrong: start again from
        // the rows rather than keep a wrong figure.
        tracing::warn!("the documented counts disagreed with the reports; recounting them all");
        return refresh_all(tx, None);
    }
    Ok(())
}

/// Counts again the people `pids`, and adds the incidents of the reports
/// from `first_new` on.
fn refresh_people(
    tx: &Connection,
    pids: &FxHashSet<i64>,
    first_new: Option<i64>,
) -> Result<(), StoreError> {
    let mut pids: Vec<i64> = pids.iter().copied().collect();
    pids.sort_unstable();
    let mut scan = Scan::default();
    let mut delta: FxHashMap<(u8, u32, u32), i64> = FxHashMap::default();
    // What these people counted for until now: every outcome counted has a
    // total row.
    let outcomes: Vec<String> = tx
        .prepare("SELECT outcome FROM figure_counts WHERE dim = 'total' AND key = ''")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    {
        let mut old = tx.prepare_cached(
            "DELETE FROM person_outcomes WHERE outcome = ?1 AND pid = ?2
             RETURNING category, day, province, city",
        )?;
        for outcome in &outcomes {
            for &pid in &pids {
                let row = old
                    .query_row(params![outcome, pid], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, Option<i64>>(3)?,
                        ))
                    })
                    .optional()?;
                if let Some((category, day, province, city)) = row {
                    let c = Counted {
                        outcome: scan.names.id(outcome),
                        pid,
                        category: scan.names.id(&category),
                        day: scan.names.opt(day.as_deref()),
                        province: scan.names.opt(province.as_deref()),
                        city,
                    };
                    for key in scan.keys(&c) {
                        *delta.entry(key).or_default() -= 1;
                    }
                }
            }
        }
    }
    // What they count for now.
    {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {SCAN_COLUMNS} FROM reports r JOIN outcomes o ON o.report = r.seq WHERE r.pid = ?1"
        ))?;
        for &pid in &pids {
            let mut rows = stmt.query([pid])?;
            while let Some(r) = rows.next()? {
                scan.row(r)?;
            }
        }
    }
    let counted = scan.resolve();
    for c in &counted {
        for key in scan.keys(c) {
            *delta.entry(key).or_default() += 1;
        }
    }
    write_people(tx, &scan, &counted)?;
    {
        let mut up = tx.prepare_cached(
            "INSERT INTO figure_counts (dim, key, outcome, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (dim, key, outcome) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((dim, key, outcome), d) in &delta {
            if *d != 0 {
                up.execute(params![
                    DIMS[usize::from(*dim)],
                    scan.name(*key),
                    scan.name(*outcome),
                    d
                ])?;
            }
        }
    }
    if let Some(first) = first_new {
        tx.execute(
            "INSERT INTO incidents (day, province, city, reports)
             SELECT day, province, city, COUNT(*) FROM outcomes
             WHERE report >= ?1 AND day IS NOT NULL AND province IS NOT NULL AND city IS NOT NULL
             GROUP BY day, province, city
             ON CONFLICT (day, province, city) DO UPDATE SET reports = reports + excluded.reports",
            [first],
        )?;
    }
    // Zero counts are not stored (as a full recount stores none), and the
    // counts of distinct cities, provinces, people and reports follow from
    // the tallies and the rows.
    tx.execute_batch(
        "DELETE FROM figure_counts WHERE n = 0;
         DELETE FROM figure_counts WHERE dim IN ('cities', 'provinces', 'people', 'reports');
         INSERT INTO figure_counts (dim, key, outcome, n)
             SELECT 'cities', '', outcome, COUNT(*) FROM figure_counts WHERE dim = 'city' GROUP BY outcome;
         INSERT INTO figure_counts (dim, key, outcome, n)
             SELECT 'cities', '', 'any', COUNT(DISTINCT key) FROM figure_counts WHERE dim = 'city'
             HAVING COUNT(DISTINCT key) > 0;
         INSERT INTO figure_counts (dim, key, outcome, n)
             SELECT 'provinces', '', 'any', COUNT(DISTINCT key) FROM figure_counts WHERE dim = 'province'
             HAVING COUNT(DISTINCT key) > 0;
         INSERT INTO figure_counts (dim, key, outcome, n)
             SELECT 'people', '', 'any', COUNT(DISTINCT pid) FROM reports HAVING COUNT(DISTINCT pid) > 0;
         INSERT INTO figure_counts (dim, key, outcome, n)
             SELECT 'reports', '', 'any', COUNT(*) FROM reports HAVING COUNT(*) > 0;",
    )?;
    Ok(())
}

/// Recomputes the documented counts and the implied incidents from the rows.
///
/// One pass over `outcomes` in Rust rather than one `COUNT(DISTINCT …) GROUP BY`
/// per dimension: SQLite would sort the whole table once per dimension, which
/// dominated the time of a large import.
pub(crate) fn refresh_all(tx: &Connection, tally: Option<Tally>) -> Result<(), StoreError> {
    let t = std::time::Instant::now();
    // The rows the transaction wrote are in the tally when it holds them
    // all: only the rows before them are read back.
    let (mut scan, before) = match tally.and_then(Tally::usable) {
        Some((scan, from)) => (scan, from),
        None => (Scan::default(), i64::MAX),
    };
    let tallied = scan.rows.len();
    {
        // The person is the report's pid: the cluster once the store is
        // linked, the pre-linkage key's id before.
        let mut stmt = tx.prepare(&format!(
            "SELECT {SCAN_COLUMNS} FROM outcomes o JOIN reports r ON r.seq = o.report
             WHERE o.report < ?1"
        ))?;
        let mut rows = stmt.query([before])?;
        while let Some(r) = rows.next()? {
            scan.row(r)?;
        }
    }
    let read_back = scan.rows.len() - tallied;
    let incidents = scan.incidents();
    let scanned = t.elapsed();
    let counted = scan.resolve();
    let resolved = t.elapsed();
    let any = scan.names.id("any");
    let mut tallies: FxHashMap<(u8, u32, u32), u64> = FxHashMap::default();
    let mut cities: FxHashMap<u32, FxHashSet<i64>> = FxHashMap::default();
    let mut provinces: FxHashSet<u32> = FxHashSet::default();
    for c in &counted {
        for key in scan.keys(c) {
            *tallies.entry(key).or_default() += 1;
        }
        if let Some(p) = c.province {
            provinces.insert(p);
        }
        if let Some(city) = c.city {
            cities.entry(c.outcome).or_default().insert(city);
            cities.entry(any).or_default().insert(city);
        }
    }
    // Through the index on person ids, in order: no set of them to build.
    // (Two statements: asked together, SQLite counts the distinct ids
    // through a temporary B-tree instead.)
    let people: i64 = tx.query_row("SELECT COUNT(DISTINCT pid) FROM reports", [], |r| r.get(0))?;
    let reports: i64 = tx.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))?;
    tx.execute_batch(
        "DELETE FROM figure_counts; DELETE FROM incidents; DELETE FROM person_outcomes;",
    )?;
    let tallied_at = t.elapsed();
    write_people(tx, &scan, &counted)?;
    let written = t.elapsed();
    let mut ins =
        tx.prepare("INSERT INTO figure_counts (dim, key, outcome, n) VALUES (?1, ?2, ?3, ?4)")?;
    for ((dim, key, outcome), count) in &tallies {
        ins.execute(params![
            DIMS[usize::from(*dim)],
            scan.name(*key),
            scan.name(*outcome),
            i64::try_from(*count).unwrap_or(i64::MAX)
        ])?;
    }
    for (outcome, set) in &cities {
        ins.execute(params!["cities", "", scan.name(*outcome), sql_n(set.len())])?;
    }
    // Zero counts are not stored: a store without reports has no count rows,
    // whether it was just created or just rebuilt.
    for (dim, value) in [
        ("provinces", sql_n(provinces.len())),
        ("people", people),
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
            scan.name(*day),
            scan.name(*province),
            city,
            i64::try_from(*count).unwrap_or(i64::MAX)
        ])?;
    }
    tracing::debug!(
        tallied,
        read_back,
        scan_ms = scanned.as_millis(),
        resolve_ms = (resolved - scanned).as_millis(),
        tally_ms = (tallied_at - resolved).as_millis(),
        write_ms = (written - tallied_at).as_millis(),
        rest_ms = (t.elapsed() - written).as_millis(),
        "full recount"
    );
    Ok(())
}
