//! The documented counts kept up to date commit by commit (new reports, and
//! reports that linkage moves between people) are the counts a full recount
//! of the rows gives: same `figure_counts`, `person_outcomes` and `incidents`,
//! so the same `Store::digest`. A full recount in the transaction that wrote
//! the rows (which takes them from what it wrote, and reads back only older
//! rows) gives them too.

// Helpers panic on failure like the tests that call them; clippy's
// `allow-unwrap-in-tests` only covers `#[test]` functions themselves.
#![allow(clippy::unwrap_used)]

use gavah_core::NodeId;
use gavah_entry::{
    BatchBody, Body, Entry, Hlc, OutcomeBody, PersonBody, PlaceBody, ReportBody, SourceBody,
    TeamKey,
};
use gavah_store::Store;
use proptest::prelude::*;

fn key() -> TeamKey {
    TeamKey::from_bytes([7; 32])
}

const BASE_HLC: u64 = 1_767_830_400_000 << 16;
const OUTCOMES: [&str; 3] = ["killed", "wounded", "detained"];
const CATEGORIES: [Option<&str>; 4] = [Some("protester"), Some("bystander"), Some("unknown"), None];
const DAYS: [Option<&str>; 3] = [Some("2026-01-08"), Some("2026-01-09"), None];
const PROVINCES: [Option<&str>; 3] = [Some("IR-23"), Some("IR-12"), None];
const CITIES: [Option<u32>; 3] = [Some(112_931), Some(115_770), None];

/// One report: (name index, outcome, category, day, province, city), each an
/// index into the pools above.
type Row = (usize, usize, usize, usize, usize, usize);

fn row() -> impl Strategy<Value = Row> {
    (
        0..6usize,
        0..3usize,
        0..4usize,
        0..3usize,
        0..3usize,
        0..3usize,
    )
}

/// What happens after the first reports: more reports, or linkage moving
/// some reports (by their index among those written so far) to the person of
/// another report, or to a fresh person id.
#[derive(Debug, Clone)]
enum Step {
    Import(Vec<Row>),
    /// New reports, then linkage moving reports among all of them, the new
    /// included, in the same transaction (as an import into a linked store).
    ImportLinked(Vec<Row>, Vec<(usize, usize)>),
    Link(Vec<(usize, usize)>),
    Split(Vec<usize>),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        prop::collection::vec(row(), 1..4).prop_map(Step::Import),
        (
            prop::collection::vec(row(), 1..6),
            prop::collection::vec((0..64usize, 0..64usize), 1..5)
        )
            .prop_map(|(rows, pairs)| Step::ImportLinked(rows, pairs)),
        prop::collection::vec((0..64usize, 0..64usize), 1..5).prop_map(Step::Link),
        prop::collection::vec(0..64usize, 1..3).prop_map(Step::Split),
    ]
}

struct Writer {
    key: TeamKey,
    source: gavah_core::EntryId,
    batch: gavah_core::EntryId,
    tick: u64,
    rows: u64,
}

impl Writer {
    fn entry(&mut self, body: Body) -> Entry {
        self.tick += 1;
        Entry::new(
            &self.key,
            NodeId([1; 16]),
            "sara",
            Hlc(BASE_HLC + self.tick),
            body,
        )
    }

    fn report(&mut self, (name, outcome, category, day, province, city): Row) -> Entry {
        self.rows += 1;
        let names = [
            "Mahsa Amini",
            "Nika Shakarami",
            "Ali Karimi",
            "Reza",
            "Sara",
            "Hadis",
        ];
        let body = Body::Report(ReportBody {
            source: self.source,
            batch: self.batch,
            row: self.rows,
            occurrence: 0,
            raw: vec![["row".into(), self.rows.to_string()]],
            person: PersonBody {
                name: Some(names[name].into()),
                category: CATEGORIES[category].map(String::from),
                outcomes: vec![OutcomeBody {
                    outcome: OUTCOMES[outcome].into(),
                    date: DAYS[day].map(String::from),
                    precision: if DAYS[day].is_some() {
                        "day"
                    } else {
                        "unknown"
                    }
                    .into(),
                    place: PlaceBody {
                        province: PROVINCES[province].map(String::from),
                        city: CITIES[city],
                        ..PlaceBody::default()
                    },
                }],
                ..PersonBody::default()
            },
        });
        self.entry(body)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn counts_kept_commit_by_commit_are_a_full_recount(
        first in prop::collection::vec(row(), 4..24),
        steps in prop::collection::vec((step(), any::<bool>()), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("a.db"), NodeId([9; 16]), key(), "test").unwrap();
        let key = key();
        let source = Body::Source(SourceBody {
            name: "Hengaw".into(),
            source_type: "rights-group".into(),
            protected: false,
        });
        let source_id = source.id(&key);
        let batch = Body::Batch(BatchBody {
            source: source_id,
            list_kind: "people".into(),
            file_name: "list.csv".into(),
            file_hash: "00".into(),
            format: "csv".into(),
            encoding: "utf-8".into(),
            rows: 0,
            columns: Vec::new(),
        });
        let mut w = Writer { key: key.clone(), source: source_id, batch: batch.id(&key), tick: 0, rows: 0 };
        let mut tx = store.writer().unwrap();
        for body in [source, batch] {
            let e = w.entry(body);
            tx.append(&e).unwrap();
        }
        for r in first {
            let e = w.report(r);
            tx.append(&e).unwrap();
        }
        tx.commit().unwrap();
        let mut fresh = 1_000_000i64;
        for (step, recount) in steps {
            let mut tx = store.writer().unwrap();
            let records = tx.link_records().unwrap();
            let n = records.len();
            match step {
                Step::Import(rows) => {
                    for r in rows {
                        let e = w.report(r);
                        tx.append(&e).unwrap();
                    }
                }
                Step::ImportLinked(rows, pairs) => {
                    for r in rows {
                        let e = w.report(r);
                        tx.append(&e).unwrap();
                    }
                    let records = tx.link_records().unwrap();
                    let n = records.len();
                    // Moves to the newest reports first: those the tally holds.
                    let moves: Vec<(i64, i64)> = pairs
                        .iter()
                        .map(|&(a, b)| (records[n - 1 - a % n].seq, records[b % n].pid))
                        .collect();
                    tx.set_pids(&moves).unwrap();
                }
                Step::Link(pairs) => {
                    let moves: Vec<(i64, i64)> = pairs
                        .iter()
                        .map(|&(a, b)| (records[a % n].seq, records[b % n].pid))
                        .collect();
                    tx.set_pids(&moves).unwrap();
                }
                Step::Split(which) => {
                    let moves: Vec<(i64, i64)> = which
                        .iter()
                        .map(|&a| {
                            fresh += 1;
                            (records[a % n].seq, fresh)
                        })
                        .collect();
                    tx.set_pids(&moves).unwrap();
                }
            }
            if recount {
                // In the same transaction: the new rows come from the
                // writer's tally (unless linkage moved any), the older ones
                // from the store.
                tx.recount_counts();
            }
            tx.commit().unwrap();
            let kept = store.digest().unwrap();
            let counts = store.counts().unwrap();
            let mut tx = store.writer().unwrap();
            tx.recount_counts();
            tx.commit().unwrap();
            prop_assert_eq!(&counts, &store.counts().unwrap());
            prop_assert_eq!(kept, store.digest().unwrap());
        }
    }
}
