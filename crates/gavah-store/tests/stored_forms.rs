//! Entry bodies in the store: reports kept in the compact form (migration V9)
//! beside JSON bodies written before it read back as the same entries, and
//! project to the same rows.
#![allow(clippy::unwrap_used)]

use gavah_core::NodeId;
use gavah_entry::{
    Body, COMPACT_REPORT, Entry, Hlc, OutcomeBody, PersonBody, PlaceBody, ReportBody, TeamKey,
};
use gavah_store::Store;

fn key() -> TeamKey {
    TeamKey::from_bytes([7; 32])
}

fn report(row: u64, name: &str) -> Entry {
    let body = Body::Report(ReportBody {
        source: gavah_core::EntryId([1; 16]),
        batch: gavah_core::EntryId([2; 16]),
        row,
        occurrence: 0,
        raw: vec![
            ["name".into(), name.into()],
            ["status".into(), "کشته".into()],
            ["witness".into(), "a neighbour".into()],
        ],
        person: PersonBody {
            name: Some(name.into()),
            category: Some("protester".into()),
            outcomes: vec![OutcomeBody {
                outcome: "killed".into(),
                date: Some("2026-01-08".into()),
                precision: "day".into(),
                place: PlaceBody {
                    province: Some("IR-23".into()),
                    city: Some(112_931),
                    ..PlaceBody::default()
                },
            }],
            witness: Some("a neighbour".into()),
            ..PersonBody::default()
        },
    });
    Entry::new(&key(), NodeId([9; 16]), "sara", Hlc(1_000 + row), body)
}

fn first_bytes(path: &std::path::Path) -> Vec<u8> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut stmt = c
        .prepare("SELECT substr(body, 1, 1) FROM entries ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|b| b.unwrap()[0])
        .collect()
}

#[test]
fn json_and_compact_bodies_read_back_as_the_same_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::create(&path, NodeId([9; 16]), key(), "test").unwrap();
    let (old, new) = (report(2, "مهسا امینی"), report(3, "Mohammad Rezaei"));
    let mut w = store.writer().unwrap();
    // As a store written before V9 holds it.
    w.append_encoded(&old, &old.body.to_json()).unwrap();
    w.append(&new).unwrap();
    w.commit().unwrap();
    assert_eq!(first_bytes(&path), vec![b'{', COMPACT_REPORT]);

    let mut w = store.writer().unwrap();
    let held = w.entries_by_ids(&[old.id, new.id]).unwrap();
    drop(w);
    let held: Vec<Entry> = held.into_iter().map(|s| s.entry).collect();
    assert!(held.contains(&old) && held.contains(&new), "{held:?}");
    assert_eq!(held.len(), 2);

    // The projections come out the same from either form.
    let digest = store.digest().unwrap();
    let mut w = store.writer().unwrap();
    assert_eq!(w.rebuild(|_, _| {}).unwrap(), 2);
    w.commit().unwrap();
    assert_eq!(store.digest().unwrap(), digest);
    assert_eq!(store.totals().unwrap().reports, 2);
}

#[test]
fn a_damaged_compact_body_is_reported_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::create(&path, NodeId([9; 16]), key(), "test").unwrap();
    let e = report(2, "Nika Shakarami");
    let mut w = store.writer().unwrap();
    w.append(&e).unwrap();
    w.commit().unwrap();
    drop(store);
    // Cut the body short.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute("UPDATE entries SET body = substr(body, 1, 20)", [])
        .unwrap();
    drop(c);
    let mut store = Store::open(&path).unwrap();
    let mut w = store.writer().unwrap();
    let err = w.entries_by_ids(&[e.id]).unwrap_err().to_string();
    assert!(
        err.contains("damaged") && err.contains("ends early"),
        "{err}"
    );
}
