//! The store's central law, as a property: projections are a function of the
//! *set* of entries. Random entries (sources, reports, figures, claims and status
//! changes, with duplicates and with the same entry written by several nodes at
//! different times) applied to two fresh stores in two random orders, with
//! repetitions and random commit points, give the same log, the same query
//! results and the same `Store::digest`, and a rebuild changes none of it.

// Helpers panic on failure like the tests that call them; clippy's
// `allow-unwrap-in-tests` only covers `#[test]` functions themselves.
#![allow(clippy::unwrap_used)]

use gavah_core::{EntryId, NodeId};
use gavah_entry::{
    BatchBody, Body, ClaimBody, ClaimStatusBody, ColumnBody, Entry, FigureBody, Hlc, OutcomeBody,
    PersonBody, PlaceBody, ReportBody, SourceBody, TeamKey,
};
use gavah_store::Store;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::Path;

fn key() -> TeamKey {
    TeamKey::from_bytes(std::array::from_fn(|i| u8::try_from(i).unwrap()))
}

/// 2026-01-08T00:00:00Z.
const BASE_HLC: u64 = 1_767_830_400_000 << 16;

const NODES: [NodeId; 3] = [NodeId([1; 16]), NodeId([2; 16]), NodeId([3; 16])];
const AUTHORS: [&str; 3] = ["sara", "reza", "import"];

// Small pools, so that random facts often coincide: the same source under two
// spellings, the same raw row, the same figure, the same date.
const SOURCE_NAMES: [&str; 5] = [
    "Hengaw",
    "hengaw",
    "HRANA",
    "H.R.A.N.A",
    "Iran Human Rights",
];
const SOURCE_TYPES: [&str; 3] = ["rights-group", "media", "other"];
const NAMES: [&str; 5] = [
    "مهسا امینی",
    "علی کریمی",
    "Nika Shakarami",
    "نیکا شاکرمی",
    " ",
];
const DATES: [&str; 4] = ["2022-09-16", "2026-01-08", "2026-01-09", "2026-01-10"];
const PROVINCES: [&str; 3] = ["IR-23", "IR-12", "IR-13"];
const CITIES: [u32; 3] = [112_931, 115_770, 1_159_301];
const OUTCOMES: [&str; 4] = ["killed", "wounded", "detained", "executed"];
const PRECISIONS: [&str; 4] = ["day", "month", "year", "unknown"];

fn pick<T: Clone + std::fmt::Debug + 'static>(pool: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(pool)
}

fn maybe<S: Strategy>(s: S) -> impl Strategy<Value = Option<S::Value>> {
    proptest::option::weighted(0.6, s)
}

fn place() -> impl Strategy<Value = PlaceBody> {
    (
        maybe(pick(&PROVINCES)),
        maybe(pick(&CITIES)),
        maybe(pick(&["تهران", "سقز", "Zahedan"])),
    )
        .prop_map(|(province, city, text)| PlaceBody {
            province: province.map(String::from),
            city,
            text: text.map(String::from),
            ..PlaceBody::default()
        })
}

fn outcome() -> impl Strategy<Value = OutcomeBody> {
    (
        pick(&OUTCOMES),
        maybe(pick(&DATES)),
        pick(&PRECISIONS),
        place(),
    )
        .prop_map(|(outcome, date, precision, place)| OutcomeBody {
            outcome: outcome.into(),
            date: date.map(String::from),
            precision: precision.into(),
            place,
        })
}

fn person() -> impl Strategy<Value = PersonBody> {
    (
        (
            maybe(pick(&NAMES)),
            maybe(pick(&["male", "female"])),
            maybe(0u16..100),
            maybe(pick(&["protester", "bystander", "unknown"])),
            place(),
        ),
        (
            prop::collection::vec(outcome(), 0..3),
            maybe(pick(&["a witness", "another witness"])),
            maybe(pick(&["+98 912 000 0000"])),
            maybe(pick(&["a note"])),
        ),
    )
        .prop_map(
            |((name, sex, age, category, home), (outcomes, witness, contact, notes))| PersonBody {
                name: name.map(String::from),
                sex: sex.map(String::from),
                age,
                category: category.map(String::from),
                home,
                outcomes,
                witness: witness.map(String::from),
                contact: contact.map(String::from),
                notes: notes.map(String::from),
                ..PersonBody::default()
            },
        )
}

/// What one fact is, before it refers to other facts by id.
#[derive(Debug, Clone)]
enum Fact {
    Source(SourceBody),
    /// Source index, row, occurrence, raw row, what the first writer parsed and,
    /// when a second node parsed the same row differently, what it parsed.
    Report(
        usize,
        u64,
        u32,
        Vec<[String; 2]>,
        Box<PersonBody>,
        Option<Box<PersonBody>>,
    ),
    /// Source index and the rest of the figure.
    Figure(usize, FigureBody),
    Claim(ClaimBody),
    /// Claim index and the rest of the change.
    Status(usize, ClaimStatusBody),
}

fn report() -> impl Strategy<Value = Fact> {
    let raw = prop::collection::vec(
        (pick(&["name", "status", "city"]), pick(&["a", "b", ""])),
        1..3,
    )
    .prop_map(|cells| {
        cells
            .into_iter()
            .map(|(h, v)| [h.to_string(), v.to_string()])
            .collect::<Vec<_>>()
    });
    (
        0usize..8,
        2u64..6,
        0u32..2,
        raw,
        person(),
        proptest::option::weighted(0.3, person()),
    )
        .prop_map(|(s, row, occurrence, raw, person, reparsed)| {
            Fact::Report(
                s,
                row,
                occurrence,
                raw,
                Box::new(person),
                reparsed.map(Box::new),
            )
        })
}

fn fact() -> impl Strategy<Value = Fact> {
    let no_id = EntryId([0; 16]);
    let source = (pick(&SOURCE_NAMES), pick(&SOURCE_TYPES), any::<bool>()).prop_map(
        |(name, source_type, protected)| {
            Fact::Source(SourceBody {
                name: name.into(),
                source_type: source_type.into(),
                protected,
            })
        },
    );
    let figure = (
        0usize..8,
        pick(&["killed", "detained"]),
        pick(&[100u64, 500]),
        pick(&["at-least", "about"]),
        pick(&DATES),
        maybe(pick(&PROVINCES)),
        maybe(pick(&["protester"])),
        maybe(pick(&["https://example.org/a"])),
    )
        .prop_map(
            move |(s, metric, value, qualifier, as_of, province, category, citation)| {
                Fact::Figure(
                    s,
                    FigureBody {
                        source: no_id,
                        metric: metric.into(),
                        value,
                        qualifier: qualifier.into(),
                        as_of: as_of.into(),
                        province: province.map(String::from),
                        category: category.map(String::from),
                        citation: citation.map(String::from),
                    },
                )
            },
        );
    let claim = (
        pick(&["Ministry of the Interior", "Police"]),
        pick(&DATES),
        pick(&["No one was killed", "Ten were arrested"]),
    )
        .prop_map(|(by, date, text)| {
            Fact::Claim(ClaimBody {
                by: by.into(),
                date: date.into(),
                text: text.into(),
                citation: None,
            })
        });
    let status = (
        0usize..8,
        pick(&["confirmed", "denied", "disputed", "unconfirmed"]),
        pick(&["sara", "reza"]),
        pick(&DATES),
        maybe(pick(&["checked with the hospital"])),
    )
        .prop_map(move |(c, status, by, date, note)| {
            Fact::Status(
                c,
                ClaimStatusBody {
                    claim: no_id,
                    status: status.into(),
                    by: by.into(),
                    date: date.into(),
                    note: note.map(String::from),
                },
            )
        });
    prop_oneof![
        2 => source,
        5 => report(),
        2 => figure,
        2 => claim,
        3 => status,
    ]
}

/// One write of a body: by which node and author, and a clock value that
/// orders it among all writes.
#[derive(Debug, Clone, Copy)]
struct Write {
    node: usize,
    author: usize,
    clock: u16,
}

fn write() -> impl Strategy<Value = Write> {
    (0usize..NODES.len(), 0usize..AUTHORS.len(), any::<u16>()).prop_map(|(node, author, clock)| {
        Write {
            node,
            author,
            clock,
        }
    })
}

/// Turns facts into entries: ids under the team key, references resolved, and
/// each fact written by one node, or by two nodes at different times.
fn entries(facts: &[(Fact, Write, Option<Write>)]) -> Vec<Entry> {
    let key = key();
    let mut sources = vec![Body::Source(SourceBody {
        name: "Hengaw".into(),
        source_type: "rights-group".into(),
        protected: false,
    })];
    let mut claims = Vec::new();
    for (fact, _, _) in facts {
        match fact {
            Fact::Source(s) => sources.push(Body::Source(s.clone())),
            Fact::Claim(c) => claims.push(Body::Claim(c.clone())),
            _ => {}
        }
    }
    let source_id = |i: usize| sources[i % sources.len()].id(&key);
    let batch = |source: EntryId| {
        Body::Batch(BatchBody {
            source,
            list_kind: "people".into(),
            file_name: "list.csv".into(),
            file_hash: "00".into(),
            format: "csv".into(),
            encoding: "utf-8".into(),
            rows: 4,
            columns: vec![ColumnBody {
                header: "name".into(),
                field: Some("name".into()),
            }],
        })
    };
    let mut out = Vec::new();
    let mut n = 0u64;
    let mut push = |body: Body, w: Write| {
        // Clock values are unique across all writes (the low bits count), so no
        // two copies of one entry tie on (hlc, node), as on real nodes.
        let hlc = Hlc(BASE_HLC + (u64::from(w.clock) << 10) + n);
        n += 1;
        out.push(Entry::new(
            &key,
            NODES[w.node],
            AUTHORS[w.author],
            hlc,
            body,
        ));
    };
    push(
        sources[0].clone(),
        Write {
            node: 0,
            author: 0,
            clock: 0,
        },
    );
    for (fact, first, second) in facts {
        let bodies: Vec<Body> = match fact {
            Fact::Source(s) => vec![Body::Source(s.clone())],
            Fact::Claim(c) => vec![Body::Claim(c.clone())],
            Fact::Report(s, row, occurrence, raw, person, reparsed) => {
                let source = source_id(*s);
                let batch = batch(source);
                let report = |person: &PersonBody| {
                    Body::Report(ReportBody {
                        source,
                        batch: batch.id(&key),
                        row: *row,
                        occurrence: *occurrence,
                        raw: raw.clone(),
                        person: person.clone(),
                    })
                };
                vec![
                    batch.clone(),
                    report(person),
                    report(reparsed.as_deref().unwrap_or(person.as_ref())),
                ]
            }
            Fact::Figure(s, f) => {
                let mut f = f.clone();
                f.source = source_id(*s);
                vec![Body::Figure(f)]
            }
            Fact::Status(c, s) => {
                let Some(claim) = claims.get(c % claims.len().max(1)) else {
                    continue;
                };
                let mut s = s.clone();
                s.claim = claim.id(&key);
                vec![Body::ClaimStatus(s)]
            }
        };
        // The first body is written by the first writer; a reparsed report's
        // second version (the last body) only by the second writer.
        let last = bodies.len() - 1;
        for (i, body) in bodies.into_iter().enumerate() {
            let reparsed_copy = matches!(fact, Fact::Report(..)) && i == last;
            if !reparsed_copy {
                push(body.clone(), *first);
            }
            if let Some(second) = second {
                push(body, *second);
            } else if reparsed_copy {
                push(body, *first);
            }
        }
    }
    out
}

/// The order entries are appended in: every entry at least once, some again,
/// shuffled, with a commit after some of them.
fn order(n: usize) -> impl Strategy<Value = Vec<(usize, bool)>> {
    prop::collection::vec(0..n, 0..=n / 2 + 1)
        .prop_map(move |again| (0..n).chain(again).collect::<Vec<_>>())
        .prop_shuffle()
        .prop_flat_map(|order| {
            let len = order.len();
            (
                Just(order),
                prop::collection::vec(prop::bool::weighted(0.15), len),
            )
        })
        .prop_map(|(order, commits)| order.into_iter().zip(commits).collect())
}

#[derive(Debug, Clone)]
struct Case {
    entries: Vec<Entry>,
    orders: [Vec<(usize, bool)>; 2],
}

fn case() -> impl Strategy<Value = Case> {
    let writes = (write(), proptest::option::weighted(0.35, write()));
    prop::collection::vec((fact(), writes), 1..15)
        .prop_map(|facts| {
            let facts: Vec<_> = facts
                .into_iter()
                .map(|(fact, (w1, w2))| (fact, w1, w2))
                .collect();
            entries(&facts)
        })
        .prop_flat_map(|entries| {
            let n = entries.len();
            (Just(entries), order(n), order(n))
        })
        .prop_map(|(entries, a, b)| Case {
            entries,
            orders: [a, b],
        })
}

fn apply(path: &Path, entries: &[Entry], order: &[(usize, bool)]) -> Store {
    let mut store = Store::create(path, NodeId([9; 16]), key(), "test").unwrap();
    let mut writer = store.writer().unwrap();
    for &(i, commit) in order {
        writer.append(&entries[i]).unwrap();
        if commit {
            writer.commit().unwrap();
            writer = store.writer().unwrap();
        }
    }
    writer.commit().unwrap();
    store
}

/// Everything a reader can see, in a form that diffs readably.
fn state(store: &Store) -> String {
    format!(
        "totals: {:?}\nentries: {:#?}\ncounts: {:#?}\nfigures: {:#?}\nclaims: {:#?}\nsources: {:#?}",
        store.totals().unwrap(),
        store.entries().unwrap(),
        store.counts().unwrap(),
        store.published_figures().unwrap(),
        store.claims().unwrap(),
        store.sources().unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/order.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn projections_are_a_function_of_the_set_of_entries(case in case()) {
        let dir = tempfile::tempdir().unwrap();
        let a = apply(&dir.path().join("a.db"), &case.entries, &case.orders[0]);
        let mut b = apply(&dir.path().join("b.db"), &case.entries, &case.orders[1]);

        let distinct: std::collections::HashSet<_> = case.entries.iter().map(|e| e.id).collect();
        prop_assert_eq!(a.totals().unwrap().entries, distinct.len() as u64);
        let state_a = state(&a);
        prop_assert_eq!(&state_a, &state(&b));
        let digest = a.digest().unwrap();
        prop_assert_eq!(&digest, &b.digest().unwrap());

        // Dropping the projections and replaying the log gives them back.
        let mut writer = b.writer().unwrap();
        writer.rebuild(|_, _| {}).unwrap();
        writer.commit().unwrap();
        prop_assert_eq!(&state_a, &state(&b));
        prop_assert_eq!(&digest, &b.digest().unwrap());
        prop_assert_eq!(b.integrity_check().unwrap(), "ok");
    }
}

/// A store that holds figures but no report has no count rows, before and
/// after a rebuild (counts used to be refreshed by a rebuild but only by a
/// commit that appended a report, so the two differed).
#[test]
fn a_store_without_reports_is_its_rebuild() {
    let key = key();
    let source = Body::Source(SourceBody {
        name: "Hengaw".into(),
        source_type: "rights-group".into(),
        protected: false,
    });
    let figure = Body::Figure(FigureBody {
        source: source.id(&key),
        metric: "killed".into(),
        value: 100,
        qualifier: "at-least".into(),
        as_of: "2026-01-08".into(),
        province: None,
        category: None,
        citation: None,
    });
    let entries: Vec<Entry> = [source, figure]
        .into_iter()
        .zip(0..)
        .map(|(body, i)| Entry::new(&key, NODES[0], "sara", Hlc(BASE_HLC + i), body))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut store = apply(
        &dir.path().join("a.db"),
        &entries,
        &[(0, false), (1, false)],
    );
    assert!(store.counts().unwrap().is_empty());
    let before = store.digest().unwrap();
    let mut writer = store.writer().unwrap();
    writer.rebuild(|_, _| {}).unwrap();
    writer.commit().unwrap();
    assert!(store.counts().unwrap().is_empty());
    assert_eq!(store.digest().unwrap(), before);
}
