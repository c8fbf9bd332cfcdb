//! Bulk transactions (`Store::bulk_writer`): written with a rollback journal
//! when the store is free, back in WAL mode afterwards whether they commit or
//! not, and plain WAL transactions when another connection has the file open.

use gavah_core::{EntryId, NodeId};
use gavah_entry::{
    Body, Entry, OutcomeBody, PersonBody, PlaceBody, ReportBody, SourceBody, TeamKey,
};
use gavah_store::{Store, Writer};
use std::path::{Path, PathBuf};

fn create(path: &Path) -> Store {
    Store::create(path, NodeId([9; 16]), TeamKey::from_bytes([7; 32]), "test").expect("create")
}

/// A folder for one test and the store path in it.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    (dir, path)
}

/// A new store holding `n` committed sources.
fn create_holding(path: &Path, n: usize) -> Store {
    let mut store = create(path);
    let mut w = store.writer().expect("writer");
    append_sources(&mut w, "first", n);
    w.commit().expect("commit");
    store
}

/// Appends `n` sources named after `tag`.
fn append_sources(w: &mut Writer<'_>, tag: &str, n: usize) {
    let key = TeamKey::from_bytes([7; 32]);
    for i in 0..n {
        let hlc = w.tick();
        let body = Body::Source(SourceBody {
            name: format!("{tag} source {i}"),
            source_type: "rights-group".into(),
            protected: false,
        });
        w.append(&Entry::new(&key, w.node(), "sara", hlc, body))
            .expect("append");
    }
}

/// The journal mode the file's header records, as a new connection sees it.
fn file_mode(path: &Path) -> String {
    let c = rusqlite::Connection::open(path).expect("open");
    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode")
}

fn journal(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}-journal", path.display()))
}

fn entries(path: &Path) -> u64 {
    Store::open(path)
        .expect("open")
        .totals()
        .expect("totals")
        .entries
}

#[test]
fn a_bulk_write_uses_a_rollback_journal_and_returns_to_wal() {
    let (_dir, path) = scratch();
    let mut store = create(&path);
    assert_eq!(file_mode(&path), "wal");

    let mut w = store.bulk_writer().unwrap();
    assert!(w.is_bulk(), "nothing else has the store open");
    append_sources(&mut w, "bulk", 2_000);
    // Enough written that SQLite has begun the journal of the old pages.
    w.conn().unwrap();
    assert!(
        journal(&path).exists(),
        "a rollback journal is being written"
    );
    w.commit().unwrap();

    assert!(!journal(&path).exists(), "the journal is gone after commit");
    assert_eq!(file_mode(&path), "wal", "WAL mode is back");
    assert_eq!(store.totals().unwrap().entries, 2_000);
    drop(store);
    assert_eq!(entries(&path), 2_000, "committed for good");
    assert_eq!(Store::open(&path).unwrap().integrity_check().unwrap(), "ok");
}

#[test]
fn a_bulk_write_not_committed_leaves_nothing_and_returns_to_wal() {
    let (_dir, path) = scratch();
    let mut store = create_holding(&path, 10);
    let digest = store.digest().unwrap();

    let mut w = store.bulk_writer().unwrap();
    assert!(w.is_bulk());
    append_sources(&mut w, "dropped", 2_000);
    drop(w);

    assert_eq!(file_mode(&path), "wal");
    assert!(!journal(&path).exists());
    assert_eq!(store.digest().unwrap(), digest, "nothing of it remains");
    assert_eq!(store.totals().unwrap().entries, 10);
    // And the store takes ordinary writes again.
    let mut w = store.writer().unwrap();
    append_sources(&mut w, "after", 1);
    w.commit().unwrap();
    assert_eq!(entries(&path), 11);
}

#[test]
fn with_a_reader_open_a_bulk_write_stays_in_wal_mode() {
    let (_dir, path) = scratch();
    let mut store = create(&path);
    // As `gavah serve` holds its read-only handles.
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.totals().unwrap().entries, 0);

    let mut w = store.bulk_writer().unwrap();
    assert!(!w.is_bulk(), "the reader has the file open: no switch");
    append_sources(&mut w, "beside a reader", 500);
    // WAL mode: the reader still reads, and sees none of it yet.
    assert_eq!(reader.totals().unwrap().entries, 0);
    w.commit().unwrap();
    assert_eq!(reader.totals().unwrap().entries, 500);
    assert_eq!(file_mode(&path), "wal");
}

#[test]
fn a_store_opened_during_a_bulk_write_reads_without_waiting_for_it() {
    let (_dir, path) = scratch();
    let mut store = create_holding(&path, 3);

    let mut w = store.bulk_writer().unwrap();
    assert!(w.is_bulk());
    append_sources(&mut w, "bulk", 1_000);
    w.conn().unwrap();
    // As `gavah status` in another process: opening does not wait for the
    // write (it cannot switch the file back to WAL meanwhile), and it sees
    // what was committed before.
    let other = Store::open(&path).expect("opened during the bulk write");
    assert_eq!(other.totals().unwrap().entries, 3);
    w.commit().unwrap();
    assert_eq!(other.totals().unwrap().entries, 1_003);
    drop(other);
    assert_eq!(file_mode(&path), "wal");
}

#[test]
fn a_new_store_has_large_pages() {
    let (_dir, path) = scratch();
    drop(create(&path));
    let c = rusqlite::Connection::open(&path).expect("open");
    let size: u32 = c
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page_size");
    assert_eq!(size, gavah_store::PAGE_SIZE);
    assert_eq!(size, 8192);
}

#[test]
fn a_store_opened_while_a_bulk_write_holds_the_file_waits_for_its_commit() {
    let (_dir, path) = scratch();
    let mut store = create(&path);
    let mut w = store.bulk_writer().unwrap();
    assert!(w.is_bulk());
    // A page cache of a few pages: the write spills to the file at once and
    // so holds it exclusively until it ends, as an import larger than its
    // page cache does.
    w.conn()
        .unwrap()
        .pragma_update(None, "cache_size", 4)
        .unwrap();
    append_sources(&mut w, "spilled", 2_000);
    w.conn().unwrap();

    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    let other = {
        let path = path.clone();
        std::thread::spawn(move || {
            let opened = Store::open(&path).map(|s| s.totals().expect("totals").entries);
            opened_tx.send(()).expect("send");
            opened
        })
    };
    // The other store is still waiting: it cannot read a half-written file.
    assert!(
        opened_rx
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "opening must wait for the bulk write to end"
    );
    w.commit().unwrap();
    let entries = other
        .join()
        .expect("join")
        .expect("opened after the commit");
    assert_eq!(entries, 2_000, "and it sees the whole write");
}

/// Appends `n` reports, each about a different person.
fn append_reports(w: &mut Writer<'_>, tag: &str, n: u64) {
    let key = TeamKey::from_bytes([7; 32]);
    for row in 0..n {
        let hlc = w.tick();
        let body = Body::Report(ReportBody {
            source: EntryId([1; 16]),
            batch: EntryId([2; 16]),
            row,
            occurrence: 0,
            raw: vec![["name".into(), format!("{tag} {row}")]],
            person: PersonBody {
                name: Some(format!("{tag} {row}")),
                outcomes: vec![OutcomeBody {
                    outcome: "killed".into(),
                    date: Some("2026-01-08".into()),
                    precision: "day".into(),
                    place: PlaceBody::default(),
                }],
                ..PersonBody::default()
            },
        });
        w.append(&Entry::new(&key, w.node(), "sara", hlc, body))
            .expect("append");
    }
}

/// The SQL of the store's index on person ids, if it has one.
fn pid_index(conn: &rusqlite::Connection) -> Option<String> {
    conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'reports_pid'",
        [],
        |r| r.get(0),
    )
    .ok()
}

/// The reports whose person id is `pid`, and whether SQLite finds them
/// through the index.
fn reports_of(conn: &rusqlite::Connection, pid: i64) -> (Vec<i64>, bool) {
    let sql = "SELECT seq FROM reports WHERE pid = ?1 ORDER BY seq";
    let plan: String = conn
        .query_row(&format!("EXPLAIN QUERY PLAN {sql}"), [pid], |r| r.get(3))
        .expect("plan");
    let seqs = conn
        .prepare(sql)
        .expect("prepare")
        .query_map([pid], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    (seqs, plan.contains("reports_pid"))
}

#[test]
fn a_large_bulk_write_builds_the_person_index_again_at_commit() {
    let (_dir, path) = scratch();
    let mut store = create(&path);
    let before = pid_index(&rusqlite::Connection::open(&path).unwrap()).expect("the index");

    let mut w = store.bulk_writer().unwrap();
    append_reports(&mut w, "early", 49_999);
    assert!(!w.defers_indexes(), "a small write keeps its indexes");
    append_reports(&mut w, "late", 20_001);
    assert!(w.defers_indexes(), "70,000 new reports into an empty store");
    w.commit().unwrap();

    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(pid_index(&conn).as_deref(), Some(before.as_str()));
    let (pid, seq): (i64, i64) = conn
        .query_row(
            "SELECT pid, seq FROM reports WHERE name = 'late 777'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(reports_of(&conn, pid), (vec![seq], true));
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.totals().unwrap().reports, 70_000);
}

#[test]
fn reading_inside_a_bulk_write_finds_the_person_index_again() {
    let (_dir, path) = scratch();
    let mut store = create(&path);
    let mut w = store.bulk_writer().unwrap();
    append_reports(&mut w, "person", 60_000);
    assert!(w.defers_indexes());
    let conn = w.conn().unwrap();
    assert!(pid_index(conn).is_some(), "built again before any read");
    let pid: i64 = conn
        .query_row(
            "SELECT pid FROM reports WHERE name = 'person 59999'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(reports_of(conn, pid).1, "and used");
    assert!(!w.defers_indexes());
    // Writing on after the read defers nothing again: the count was passed.
    append_reports(&mut w, "more", 100);
    assert!(!w.defers_indexes());
    w.commit().unwrap();
    assert_eq!(store.totals().unwrap().reports, 60_100);
}

#[test]
fn a_bulk_write_not_committed_keeps_the_person_index() {
    let (_dir, path) = scratch();
    let mut store = create_holding(&path, 2);
    let digest = store.digest().unwrap();
    let mut w = store.bulk_writer().unwrap();
    append_reports(&mut w, "dropped", 60_000);
    assert!(w.defers_indexes());
    drop(w);
    assert!(pid_index(&rusqlite::Connection::open(&path).unwrap()).is_some());
    assert_eq!(store.digest().unwrap(), digest);
}

#[test]
fn a_bulk_write_into_a_larger_store_keeps_its_indexes() {
    let (_dir, path) = scratch();
    let mut store = create(&path);
    let mut w = store.bulk_writer().unwrap();
    append_reports(&mut w, "held", 60_000);
    w.commit().unwrap();
    // Fewer new reports than the store holds: inserting them costs less
    // than building the index again over all of them.
    let mut w = store.bulk_writer().unwrap();
    append_reports(&mut w, "added", 59_999);
    assert!(!w.defers_indexes());
    append_reports(&mut w, "one more", 1);
    assert!(w.defers_indexes(), "as many new as held");
    w.commit().unwrap();
    assert!(pid_index(&rusqlite::Connection::open(&path).unwrap()).is_some());
    assert_eq!(store.totals().unwrap().reports, 120_000);
}
