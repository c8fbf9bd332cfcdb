//! Stores written by earlier versions open in this one with what they held:
//! here, outcome rows that still carry their report's person key and
//! category (before migration V10).
#![allow(clippy::unwrap_used)]

use gavah_core::NodeId;
use gavah_entry::{Body, Entry, Hlc, OutcomeBody, PersonBody, PlaceBody, ReportBody, TeamKey};
use gavah_store::Store;

fn report(row: u64, name: &str, category: &str, outcomes: &[&str]) -> Entry {
    let body = Body::Report(ReportBody {
        source: gavah_core::EntryId([1; 16]),
        batch: gavah_core::EntryId([2; 16]),
        row,
        occurrence: 0,
        raw: vec![["name".into(), name.into()]],
        person: PersonBody {
            name: Some(name.into()),
            category: Some(category.into()),
            outcomes: outcomes
                .iter()
                .map(|o| OutcomeBody {
                    outcome: (*o).into(),
                    date: Some("2026-01-09".into()),
                    precision: "day".into(),
                    place: PlaceBody {
                        province: Some("IR-07".into()),
                        city: Some(124_665),
                        ..PlaceBody::default()
                    },
                })
                .collect(),
            ..PersonBody::default()
        },
    });
    Entry::new(
        &TeamKey::from_bytes([7; 32]),
        NodeId([9; 16]),
        "sara",
        Hlc(1_000 + row),
        body,
    )
}

fn outcome_columns(path: &std::path::Path) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut stmt = c
        .prepare("SELECT name FROM pragma_table_info('outcomes')")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// What the figures and the batch page read, as text.
fn seen(store: &Store) -> String {
    let batch = store.batch_outcomes(gavah_core::EntryId([2; 16])).unwrap();
    assert_eq!(
        batch,
        [
            ("detained".into(), 1),
            ("killed".into(), 2),
            ("wounded".into(), 1)
        ],
        "distinct people per outcome in the batch"
    );
    format!("{:?} {:?}", store.counts().unwrap(), batch)
}

#[test]
fn outcome_rows_lose_their_copies_of_the_report_fields_and_count_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (digest, figures) = {
        let mut store =
            Store::create(&path, NodeId([9; 16]), TeamKey::from_bytes([7; 32]), "test").unwrap();
        let mut w = store.writer().unwrap();
        for (row, (name, category, outcomes)) in [
            ("Sara Ahmadi", "protester", &["killed"][..]),
            ("Sara Ahmadi", "protester", &["killed"][..]),
            ("Reza Karimi", "bystander", &["wounded", "detained"][..]),
            ("Nima Rostami", "security-forces", &["killed"][..]),
        ]
        .into_iter()
        .enumerate()
        {
            w.append(&report(row as u64, name, category, outcomes))
                .unwrap();
        }
        w.commit().unwrap();
        (store.digest().unwrap(), seen(&store))
    };
    // Back to the shape version 9 left: each outcome row with copies of its
    // report's person key and category, and V10 not applied.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE outcomes ADD COLUMN person TEXT NOT NULL DEFAULT '';
             ALTER TABLE outcomes ADD COLUMN category TEXT NOT NULL DEFAULT 'unknown';
             UPDATE outcomes SET
                 person = (SELECT person FROM reports WHERE seq = outcomes.report),
                 category = (SELECT category FROM reports WHERE seq = outcomes.report);
             DELETE FROM refinery_schema_history WHERE version >= 10;",
        )
        .unwrap();
    }
    assert!(outcome_columns(&path).contains(&"person".to_string()));

    let store = Store::open(&path).expect("open runs V10");
    let columns = outcome_columns(&path);
    assert!(!columns.contains(&"person".to_string()), "{columns:?}");
    assert!(!columns.contains(&"category".to_string()), "{columns:?}");
    assert_eq!(store.digest().unwrap(), digest);
    assert_eq!(seen(&store), figures);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}
