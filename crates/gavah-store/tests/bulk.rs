//! Bulk transactions (`Store::bulk_writer`): written with a rollback journal
//! when the store is free, back in WAL mode afterwards whether they commit or
//! not, and plain WAL transactions when another connection has the file open.

use gavah_core::NodeId;
use gavah_entry::{Body, Entry, SourceBody, TeamKey};
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
