//! Capture-history tables: which lists recorded how many people, read from CSV or built in memory.
//!
//! A table over `k` lists holds one count per capture pattern. A pattern is a
//! bit mask: bit `j` set means list `j` recorded the person. Pattern 0 (on no
//! list) is the cell estimation predicts; it is never observed, so it is always 0
//! here.

use std::fmt;
use std::path::Path;

use serde::Serialize;

/// The most lists a table may have: 2^15 cells is far more than any estimator
/// here can use, and keeps a pattern in a `u32`.
pub const MAX_LISTS: usize = 15;

/// Observed counts per capture pattern over named lists.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureTable {
    lists: Vec<String>,
    /// `counts[pattern]`, `2^k` entries; `counts[0]` is always 0.
    counts: Vec<u64>,
    warnings: Vec<TableWarning>,
}

/// Something estimation can still run on but a statistician must know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableWarning {
    /// Two lists share nobody. Models with their interaction put it at the
    /// boundary (minus infinity), and independence between them is untestable.
    NoOverlap { a: String, b: String },
    /// A list shares nobody with any other list: the data say nothing about
    /// how many people it misses.
    Isolated { list: String },
    /// Two lists share fewer than [`SMALL_OVERLAP`] people: their interaction
    /// rests on a handful of records.
    SmallOverlap { a: String, b: String, shared: u64 },
    /// Most observable cells hold fewer than 5 people: large-sample intervals
    /// (profile likelihood, standard errors) are approximate.
    SparseCells { small: usize, cells: usize },
}

/// Overlaps below this many people are warned about.
pub const SMALL_OVERLAP: u64 = 5;

impl fmt::Display for TableWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableWarning::NoOverlap { a, b } => write!(
                f,
                "lists {a} and {b} have no person in common; models with the interaction {a}:{b} \
                 are at the boundary and their estimates rest on an assumption, not on data"
            ),
            TableWarning::SmallOverlap { a, b, shared } => write!(
                f,
                "lists {a} and {b} share only {shared} {}; any estimate using the interaction \
                 {a}:{b} rests on them",
                if *shared == 1 { "person" } else { "people" }
            ),
            TableWarning::SparseCells { small, cells } => write!(
                f,
                "{small} of the {cells} observable cells hold fewer than 5 people; intervals \
                 rely on large-sample approximations and may be too narrow"
            ),
            TableWarning::Isolated { list } => write!(
                f,
                "list {list} shares no person with any other list; nothing in the data says how \
                 many people it misses, so consider merging it with a related list or leaving it out"
            ),
        }
    }
}

/// One thing wrong with a table, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file read, if any.
    pub file: Option<String>,
    /// 1-based line in the file (the header is line 1), if the problem is in a row.
    pub row: Option<u64>,
    /// The column name, if the problem is in one cell or column.
    pub column: Option<String>,
    pub kind: ProblemKind,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file could not be read or is not CSV.
    Read(String),
    /// No `count` (or `freq`) column in the header.
    NoCountColumn,
    /// Fewer than two list columns.
    TooFewLists { found: usize },
    /// More list columns than [`MAX_LISTS`].
    TooManyLists { found: usize },
    /// A header cell is empty or repeated.
    BadHeader { found: String },
    /// A row has the wrong number of fields.
    FieldCount { expected: usize, found: usize },
    /// A list cell is not 0 or 1.
    NotBinary { found: String },
    /// A count cell is not a whole number of people.
    NotACount { found: String },
    /// A count is negative.
    NegativeCount { found: String },
    /// A row says the person is on no list: such people are what is estimated.
    AllZeroRow,
    /// The same pattern appears twice.
    DuplicatePattern { first_row: u64 },
    /// The table records nobody.
    Empty,
    /// A pattern given in memory has the wrong length.
    PatternLength { expected: usize, found: usize },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            sep = ": ";
        }
        if let Some(row) = self.row {
            write!(f, "{sep}row {row}")?;
            sep = ": ";
        }
        if let Some(column) = &self.column {
            if self.row.is_some() {
                write!(f, ", column {column}")?;
            } else {
                write!(f, "{sep}column {column}")?;
            }
            sep = ": ";
        }
        f.write_str(sep)?;
        match &self.kind {
            ProblemKind::Read(e) => write!(f, "cannot read the table: {e}"),
            ProblemKind::NoCountColumn => write!(
                f,
                "no `count` column; add one holding how many people have each capture pattern"
            ),
            ProblemKind::TooFewLists { found } => write!(
                f,
                "expected at least 2 list columns (0/1) besides `count`, found {found}; \
                 estimation needs the overlap between lists"
            ),
            ProblemKind::TooManyLists { found } => write!(
                f,
                "expected at most {MAX_LISTS} list columns, found {found}; merge related lists"
            ),
            ProblemKind::BadHeader { found } => {
                write!(
                    f,
                    "expected a unique, non-empty column name, found {found:?}"
                )
            }
            ProblemKind::FieldCount { expected, found } => {
                write!(f, "expected {expected} fields, found {found}")
            }
            ProblemKind::NotBinary { found } => write!(f, "expected 0 or 1, found {found:?}"),
            ProblemKind::NotACount { found } => {
                write!(f, "expected a whole number of people, found {found:?}")
            }
            ProblemKind::NegativeCount { found } => {
                write!(f, "expected a count of 0 or more, found {found:?}")
            }
            ProblemKind::AllZeroRow => write!(
                f,
                "a row with 0 in every list describes people on no list, which no table can \
                 observe; remove the row"
            ),
            ProblemKind::DuplicatePattern { first_row } => write!(
                f,
                "this capture pattern already appears in row {first_row}; add the counts into one row"
            ),
            ProblemKind::Empty => write!(f, "the table records nobody; every count is 0"),
            ProblemKind::PatternLength { expected, found } => {
                write!(f, "expected a pattern over {expected} lists, found {found}")
            }
        }
    }
}

/// Every problem found in a table; the table is rejected whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TableError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl CaptureTable {
    /// Reads a CSV capture-history table: a header, one 0/1 column per list and
    /// a `count` (or `freq`) column, one row per observed pattern. Unlisted
    /// patterns count 0. Every problem in the file is reported, not only the first.
    pub fn read_csv(path: &Path) -> Result<CaptureTable, TableError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| TableError {
            problems: vec![Problem {
                file: Some(name.clone()),
                row: None,
                column: None,
                kind: ProblemKind::Read(e.to_string()),
            }],
        })?;
        Self::read_csv_from(file, Some(&name))
    }

    /// Reads a CSV table from any reader; `file` names it in problems.
    pub fn read_csv_from(
        reader: impl std::io::Read,
        file: Option<&str>,
    ) -> Result<CaptureTable, TableError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let problem = |row: Option<u64>, column: Option<&str>, kind| Problem {
            file: file.map(str::to_owned),
            row,
            column: column.map(str::to_owned),
            kind,
        };
        let fail = |p: Problem| TableError { problems: vec![p] };
        let mut records = rdr.records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => {
                return Err(fail(problem(
                    Some(1),
                    None,
                    ProblemKind::Read(e.to_string()),
                )));
            }
            None => return Err(fail(problem(None, None, ProblemKind::Empty))),
        };
        let header: Vec<String> = header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_owned())
            .collect();
        let mut problems = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if h.is_empty() || header[..i].contains(h) {
                problems.push(problem(
                    Some(1),
                    None,
                    ProblemKind::BadHeader { found: h.clone() },
                ));
            }
        }
        let count_col = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("count"))
            .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case("freq")));
        let Some(count_col) = count_col else {
            problems.push(problem(Some(1), None, ProblemKind::NoCountColumn));
            return Err(TableError { problems });
        };
        let list_cols: Vec<usize> = (0..header.len()).filter(|&i| i != count_col).collect();
        let k = list_cols.len();
        if k < 2 {
            problems.push(problem(
                Some(1),
                None,
                ProblemKind::TooFewLists { found: k },
            ));
        } else if k > MAX_LISTS {
            problems.push(problem(
                Some(1),
                None,
                ProblemKind::TooManyLists { found: k },
            ));
        }
        if !problems.is_empty() {
            return Err(TableError { problems });
        }
        let lists: Vec<String> = list_cols.iter().map(|&i| header[i].clone()).collect();
        let mut counts = vec![0u64; 1 << k];
        let mut first_row = vec![0u64; 1 << k];
        for (i, rec) in records.enumerate() {
            let row = i as u64 + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    problems.push(problem(Some(row), None, ProblemKind::Read(e.to_string())));
                    continue;
                }
            };
            if rec.iter().all(str::is_empty) {
                continue;
            }
            if rec.len() != header.len() {
                problems.push(problem(
                    Some(row),
                    None,
                    ProblemKind::FieldCount {
                        expected: header.len(),
                        found: rec.len(),
                    },
                ));
                continue;
            }
            let mut pattern = 0usize;
            let mut ok = true;
            for (j, &c) in list_cols.iter().enumerate() {
                match &rec[c] {
                    "1" => pattern |= 1 << j,
                    "0" => {}
                    other => {
                        ok = false;
                        problems.push(problem(
                            Some(row),
                            Some(&header[c]),
                            ProblemKind::NotBinary {
                                found: other.to_owned(),
                            },
                        ));
                    }
                }
            }
            let count = match parse_count(&rec[count_col]) {
                Ok(n) => n,
                Err(kind) => {
                    problems.push(problem(Some(row), Some(&header[count_col]), kind));
                    continue;
                }
            };
            if !ok {
                continue;
            }
            if pattern == 0 {
                problems.push(problem(Some(row), None, ProblemKind::AllZeroRow));
                continue;
            }
            if first_row[pattern] != 0 {
                problems.push(problem(
                    Some(row),
                    None,
                    ProblemKind::DuplicatePattern {
                        first_row: first_row[pattern],
                    },
                ));
                continue;
            }
            first_row[pattern] = row;
            counts[pattern] = count;
        }
        if problems.is_empty() && counts.iter().all(|&c| c == 0) {
            problems.push(problem(None, None, ProblemKind::Empty));
        }
        if !problems.is_empty() {
            return Err(TableError { problems });
        }
        Ok(Self::new_checked(lists, counts))
    }

    /// Builds a table from patterns in memory, e.g. one per linked person
    /// (count 1) or one per pattern. Repeated patterns are added together.
    /// `pattern[j]` says whether list `j` recorded the people counted.
    pub fn from_patterns<P: AsRef<[bool]>>(
        lists: Vec<String>,
        patterns: impl IntoIterator<Item = (P, u64)>,
    ) -> Result<CaptureTable, TableError> {
        let k = lists.len();
        let problem = |kind| Problem {
            file: None,
            row: None,
            column: None,
            kind,
        };
        let mut problems = Vec::new();
        for (i, l) in lists.iter().enumerate() {
            if l.is_empty() || lists[..i].contains(l) {
                problems.push(problem(ProblemKind::BadHeader { found: l.clone() }));
            }
        }
        if k < 2 {
            problems.push(problem(ProblemKind::TooFewLists { found: k }));
        } else if k > MAX_LISTS {
            problems.push(problem(ProblemKind::TooManyLists { found: k }));
        }
        if !problems.is_empty() {
            return Err(TableError { problems });
        }
        let mut counts = vec![0u64; 1 << k];
        for (p, n) in patterns {
            let p = p.as_ref();
            if p.len() != k {
                problems.push(problem(ProblemKind::PatternLength {
                    expected: k,
                    found: p.len(),
                }));
                continue;
            }
            let mask = p
                .iter()
                .enumerate()
                .fold(0usize, |m, (j, &b)| m | (usize::from(b) << j));
            if mask == 0 {
                if n > 0 {
                    problems.push(problem(ProblemKind::AllZeroRow));
                }
                continue;
            }
            counts[mask] = counts[mask].saturating_add(n);
        }
        if problems.is_empty() && counts.iter().all(|&c| c == 0) {
            problems.push(problem(ProblemKind::Empty));
        }
        if !problems.is_empty() {
            return Err(TableError { problems });
        }
        Ok(Self::new_checked(lists, counts))
    }

    /// The same lists with other counts (`2^k` entries, `counts[0]` ignored),
    /// e.g. a bootstrap resample. `None` if the length is wrong or every count is 0.
    pub(crate) fn with_counts(&self, mut counts: Vec<u64>) -> Option<CaptureTable> {
        if counts.len() != self.counts.len() {
            return None;
        }
        counts[0] = 0;
        if counts.iter().all(|&c| c == 0) {
            return None;
        }
        Some(Self::new_checked(self.lists.clone(), counts))
    }

    fn new_checked(lists: Vec<String>, counts: Vec<u64>) -> CaptureTable {
        let k = lists.len();
        let mut warnings = Vec::new();
        let mut overlaps_any = vec![false; k];
        for a in 0..k {
            for b in a + 1..k {
                let both = (1usize << a) | (1 << b);
                let shared: u64 = (0..counts.len())
                    .filter(|&p| p & both == both)
                    .map(|p| counts[p])
                    .sum();
                if shared == 0 {
                    warnings.push(TableWarning::NoOverlap {
                        a: lists[a].clone(),
                        b: lists[b].clone(),
                    });
                } else {
                    if shared < SMALL_OVERLAP {
                        warnings.push(TableWarning::SmallOverlap {
                            a: lists[a].clone(),
                            b: lists[b].clone(),
                            shared,
                        });
                    }
                    overlaps_any[a] = true;
                    overlaps_any[b] = true;
                }
            }
        }
        let small = counts[1..].iter().filter(|&&c| c < 5).count();
        if small * 2 > counts.len() - 1 {
            warnings.push(TableWarning::SparseCells {
                small,
                cells: counts.len() - 1,
            });
        }
        for (j, any) in overlaps_any.iter().enumerate() {
            if !any {
                warnings.push(TableWarning::Isolated {
                    list: lists[j].clone(),
                });
            }
        }
        CaptureTable {
            lists,
            counts,
            warnings,
        }
    }

    /// The list names, in column order; list `j` is bit `j` of a pattern.
    pub fn lists(&self) -> &[String] {
        &self.lists
    }

    /// Number of lists.
    pub fn k(&self) -> usize {
        self.lists.len()
    }

    /// Count per pattern, `2^k` entries, index 0 (on no list) always 0.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Number of distinct people observed (on at least one list).
    pub fn observed(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Warnings found when the table was built.
    pub fn warnings(&self) -> &[TableWarning] {
        &self.warnings
    }

    /// The observed patterns (count > 0) with their counts, in pattern order.
    pub fn observed_patterns(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(p, &c)| (p, c))
    }
}

fn parse_count(s: &str) -> Result<u64, ProblemKind> {
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x < 0.0 => Err(ProblemKind::NegativeCount {
            found: s.to_owned(),
        }),
        // A spreadsheet may write 12 as "12.0"; that is still a whole number.
        Ok(x) if x.is_finite() && x.fract() == 0.0 && x < 2f64.powi(53) => Ok(x as u64),
        _ if s.starts_with('-') => Err(ProblemKind::NegativeCount {
            found: s.to_owned(),
        }),
        _ => Err(ProblemKind::NotACount {
            found: s.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(csv: &str, expect: Expect) {
        let got = match CaptureTable::read_csv_from(csv.as_bytes(), Some("t.csv")) {
            Ok(t) => {
                let mut s = format!("lists {:?} n={}\n", t.lists(), t.observed());
                for (p, c) in t.observed_patterns() {
                    s += &format!("{p:0w$b} {c}\n", w = t.k());
                }
                for w in t.warnings() {
                    s += &format!("warning: {w}\n");
                }
                s
            }
            Err(e) => format!("error:\n{e}\n"),
        };
        expect.assert_eq(&got);
    }

    #[test]
    fn reads_a_table() {
        check(
            "A,B,C,count\n1,0,0,5\n0,1,0,3\n1,1,0,2\n0,0,1,4\n1,0,1,1\n",
            expect![[r#"
                lists ["A", "B", "C"] n=15
                001 5
                010 3
                011 2
                100 4
                101 1
                warning: lists A and B share only 2 people; any estimate using the interaction A:B rests on them
                warning: lists A and C share only 1 person; any estimate using the interaction A:C rests on them
                warning: lists B and C have no person in common; models with the interaction B:C are at the boundary and their estimates rest on an assumption, not on data
                warning: 6 of the 7 observable cells hold fewer than 5 people; intervals rely on large-sample approximations and may be too narrow
            "#]],
        );
    }

    #[test]
    fn count_column_anywhere_and_whole_floats() {
        check(
            "Freq,x,y\n2.0,1,1\n3,1,0\n1,0,1\n",
            expect![[r#"
                lists ["x", "y"] n=6
                01 3
                10 1
                11 2
                warning: lists x and y share only 2 people; any estimate using the interaction x:y rests on them
                warning: 3 of the 3 observable cells hold fewer than 5 people; intervals rely on large-sample approximations and may be too narrow
            "#]],
        );
    }

    #[test]
    fn one_list() {
        check(
            "A,count\n1,5\n",
            expect![[r#"
                error:
                t.csv: row 1: expected at least 2 list columns (0/1) besides `count`, found 1; estimation needs the overlap between lists
            "#]],
        );
    }

    #[test]
    fn no_count_column() {
        check(
            "A,B\n1,0\n",
            expect![[r#"
                error:
                t.csv: row 1: no `count` column; add one holding how many people have each capture pattern
            "#]],
        );
    }

    #[test]
    fn every_bad_row_is_reported() {
        check(
            "A,B,count\n1,2,5\n0,1,-3\n1,1,2.5\n0,0,4\n1,0,1\n1,0,2\n1,1\n0,1,x\n",
            expect![[r#"
                error:
                t.csv: row 2, column B: expected 0 or 1, found "2"
                t.csv: row 3, column count: expected a count of 0 or more, found "-3"
                t.csv: row 4, column count: expected a whole number of people, found "2.5"
                t.csv: row 5: a row with 0 in every list describes people on no list, which no table can observe; remove the row
                t.csv: row 7: this capture pattern already appears in row 6; add the counts into one row
                t.csv: row 8: expected 3 fields, found 2
                t.csv: row 9, column count: expected a whole number of people, found "x"
            "#]],
        );
    }

    #[test]
    fn empty_and_isolated() {
        check(
            "A,B,count\n1,0,0\n",
            expect![[r#"
                error:
                t.csv: the table records nobody; every count is 0
            "#]],
        );
        check(
            "A,B,C,count\n1,0,0,5\n0,1,0,3\n0,0,1,4\n1,1,0,2\n",
            expect![[r#"
                lists ["A", "B", "C"] n=14
                001 5
                010 3
                011 2
                100 4
                warning: lists A and B share only 2 people; any estimate using the interaction A:B rests on them
                warning: lists A and C have no person in common; models with the interaction A:C are at the boundary and their estimates rest on an assumption, not on data
                warning: lists B and C have no person in common; models with the interaction B:C are at the boundary and their estimates rest on an assumption, not on data
                warning: 6 of the 7 observable cells hold fewer than 5 people; intervals rely on large-sample approximations and may be too narrow
                warning: list C shares no person with any other list; nothing in the data says how many people it misses, so consider merging it with a related list or leaving it out
            "#]],
        );
    }

    #[test]
    fn bad_headers() {
        check(
            "A,A,,count\n1,0,0,1\n",
            expect![[r#"
                error:
                t.csv: row 1: expected a unique, non-empty column name, found "A"
                t.csv: row 1: expected a unique, non-empty column name, found ""
            "#]],
        );
    }

    #[test]
    fn from_patterns_adds_repeats() {
        let t = CaptureTable::from_patterns(
            vec!["a".into(), "b".into()],
            [([true, false], 1), ([true, true], 2), ([true, false], 4)],
        )
        .unwrap();
        assert_eq!(t.counts(), &[0, 5, 0, 2]);
        let e = CaptureTable::from_patterns(vec!["a".into(), "b".into()], [([false, false], 1)])
            .unwrap_err();
        assert_eq!(e.problems[0].kind, ProblemKind::AllZeroRow);
        let e = CaptureTable::from_patterns(vec!["a".into()], [([true], 1)]).unwrap_err();
        assert_eq!(e.problems[0].kind, ProblemKind::TooFewLists { found: 1 });
    }
}
