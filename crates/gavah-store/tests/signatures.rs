//! Entry signatures in the store: kept with the copy of an entry the store
//! keeps, whatever order copies arrive in, and carried over from the version 4
//! table (`entry_sigs`) by migration V8.

use gavah_core::NodeId;
use gavah_entry::{Body, Entry, Hlc, SourceBody, TeamKey};
use gavah_store::{Appended, Store};
use std::path::Path;

fn key() -> TeamKey {
    TeamKey::from_bytes([7; 32])
}

fn source(name: &str) -> Body {
    Body::Source(SourceBody {
        name: name.into(),
        source_type: "rights-group".into(),
        protected: false,
    })
}

/// A copy of the entry for `body`, as written by `node` at `hlc`.
fn copy(body: &Body, node: u8, hlc: u64) -> Entry {
    Entry {
        id: body.id(&key()),
        node: NodeId([node; 16]),
        author: "sara".into(),
        hlc: Hlc(hlc),
        body: body.clone(),
    }
}

fn signature_of(store: &mut Store, entry: &Entry) -> Option<([u8; 32], [u8; 64])> {
    let mut w = store.writer().expect("writer");
    let mut held = w.entries_by_ids(&[entry.id]).expect("read");
    assert_eq!(held.len(), 1, "the store holds the entry");
    held.remove(0).signature
}

fn create(path: &Path) -> Store {
    Store::create(path, NodeId([9; 16]), key(), "test").expect("create")
}

#[test]
fn the_signature_stays_with_the_copy_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = create(&dir.path().join("s.db"));
    let body = source("Hengaw");
    let (k1, s1) = ([1; 32], [11; 64]);
    let (k2, s2) = ([2; 32], [22; 64]);
    let (k3, s3) = ([3; 32], [33; 64]);

    let mut w = store.writer().unwrap();
    let middle = copy(&body, 2, 100);
    let json = middle.body.to_json();
    assert_eq!(
        w.append_signed(&middle, &json, None, &k1, &s1).unwrap(),
        Appended::New
    );
    // A later copy: the store keeps the earlier one and its signature.
    let later = copy(&body, 3, 200);
    assert_eq!(
        w.append_signed(&later, &json, None, &k2, &s2).unwrap(),
        Appended::Duplicate
    );
    w.commit().unwrap();
    assert_eq!(signature_of(&mut store, &middle), Some((k1, s1)));

    // An earlier copy replaces it, with its own signature.
    let mut w = store.writer().unwrap();
    let earlier = copy(&body, 1, 50);
    assert_eq!(
        w.append_signed(&earlier, &json, None, &k3, &s3).unwrap(),
        Appended::Replaced
    );
    w.commit().unwrap();
    assert_eq!(signature_of(&mut store, &earlier), Some((k3, s3)));

    // An earlier copy without a signature replaces it too; the signature of the
    // copy it replaced does not sign it, so none is kept.
    let mut w = store.writer().unwrap();
    let earliest = copy(&body, 1, 10);
    assert_eq!(w.append(&earliest).unwrap(), Appended::Replaced);
    w.commit().unwrap();
    assert_eq!(signature_of(&mut store, &earliest), None);

    // The same copy arriving signed fills the signature in; a second signature
    // of the same copy does not replace the first.
    let mut w = store.writer().unwrap();
    assert_eq!(
        w.append_signed(&earliest, &json, None, &k2, &s2).unwrap(),
        Appended::Duplicate
    );
    assert_eq!(
        w.append_signed(&earliest, &json, None, &k1, &s1).unwrap(),
        Appended::Duplicate
    );
    w.commit().unwrap();
    assert_eq!(signature_of(&mut store, &earliest), Some((k2, s2)));

    // This node's own entry, signed when first exported.
    let own = copy(&source("HRANA"), 9, 300);
    let mut w = store.writer().unwrap();
    w.append(&own).unwrap();
    w.put_signature(own.id, &k3, &s3).unwrap();
    w.commit().unwrap();
    assert_eq!(signature_of(&mut store, &own), Some((k3, s3)));
}

#[test]
fn migration_v8_carries_version_4_signatures_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let signed = copy(&source("Hengaw"), 2, 100);
    let unsigned = copy(&source("HRANA"), 9, 300);
    let (k, s) = ([5; 32], [55; 64]);
    {
        let mut store = create(&path);
        let mut w = store.writer().unwrap();
        w.append_signed(&signed, &signed.body.to_json(), None, &k, &s)
            .unwrap();
        w.append(&unsigned).unwrap();
        w.commit().unwrap();
    }
    // Put the file back in the shape version 7 left it in: signatures in
    // their own table, and V8 (and what came after) not yet applied.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE entry_sigs (
                 id BLOB PRIMARY KEY, signer BLOB NOT NULL, signature BLOB NOT NULL
             ) WITHOUT ROWID;
             INSERT INTO entry_sigs SELECT id, signer, signature FROM entries
                 WHERE signature IS NOT NULL;
             ALTER TABLE entries DROP COLUMN signer;
             ALTER TABLE entries DROP COLUMN signature;
             ALTER TABLE outcomes ADD COLUMN person TEXT NOT NULL DEFAULT '';
             ALTER TABLE outcomes ADD COLUMN category TEXT NOT NULL DEFAULT 'unknown';
             DELETE FROM refinery_schema_history WHERE version >= 8;",
        )
        .unwrap();
        let sigs: i64 = conn
            .query_row("SELECT count(*) FROM entry_sigs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sigs, 1);
    }
    let mut store = Store::open(&path).expect("open runs V8");
    assert_eq!(signature_of(&mut store, &signed), Some((k, s)));
    assert_eq!(signature_of(&mut store, &unsigned), None);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'entry_sigs'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the version 4 table is gone");
}
