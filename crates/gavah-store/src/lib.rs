//! The store: an embedded SQLite file holding the entry log and the projections
//! that queries read, with versioned migrations.
//!
//! Architecture invariant: this is the only crate that speaks SQL. It persists
//! `gavah-entry` entries and `gavah-core` types and knows no engine (import,
//! linkage, estimation).
//!
//! Architecture invariant: projections are a function of the *set* of entries.
//! Applying the same entries in any order, any number of times, gives the same
//! tables ([`Store::digest`] checks it); `gavah rebuild` drops and replays them.

mod counts;
mod error;
mod link;
mod project;
mod public;
mod queries;
mod sync;
mod users;

pub use error::StoreError;
pub use link::{CaptureRow, LinkKey, LinkRecord, StoredDecision, StoredLinkModel};
pub use project::{Prepared, Spent, name_key, person_id, person_key, prepare};
pub use public::*;
pub use queries::*;
pub use sync::{Peer, PeerStatus, QuarantineGroup, Quarantined, SeenBundle, StoredEntry};
pub use users::UserRow;

use gavah_core::NodeId;
use gavah_entry::{Entry, Hlc, TeamKey};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};

mod embedded {
    refinery::embed_migrations!("../../migrations/sqlite");
}

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    node: NodeId,
    key: TeamKey,
}

/// What appending one entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// A new entry: it was stored and projected.
    New,
    /// The store already held this entry: nothing changed.
    Duplicate,
    /// The store held the same entry written later; this earlier copy replaced it.
    Replaced,
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    // WAL for concurrent readers; synchronous=FULL so that a commit survives power
    // loss, not only a crash of the process (NORMAL can lose the last commits).
    // Without waiting: a bulk write elsewhere (`Store::bulk_writer`) holds the
    // file in rollback mode until it ends, and this connection can read
    // meanwhile in that mode; the write puts WAL mode back itself.
    match set_journal_mode(conn, "WAL", std::time::Duration::ZERO) {
        Ok(_) => {}
        Err(e) if is_busy(&e) => {
            tracing::debug!("a bulk write is under way: this connection stays in rollback mode");
        }
        Err(e) => return Err(e.into()),
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -65_536)?;
    // Statement journals in memory: a multi-row INSERT inside the import's long
    // transaction journals every page it touches so that it can be undone
    // alone, and with temporary files that was a `pwrite` per page, a third of
    // the projection writes' time. Nothing durable lives in temporary storage.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Switches the connection's journal mode, waiting at most `wait` for other
/// connections' locks (then [`BUSY_TIMEOUT`] again); whether the mode is now
/// `mode`.
fn set_journal_mode(
    conn: &Connection,
    mode: &str,
    wait: std::time::Duration,
) -> Result<bool, rusqlite::Error> {
    conn.busy_timeout(wait)?;
    let now = conn.pragma_update_and_check(None, "journal_mode", mode, |r| r.get::<_, String>(0));
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(now?.eq_ignore_ascii_case(mode))
}

/// Whether another connection's lock stopped a statement.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The error for a file that could not be read as a store: busy (another
/// process's bulk write held it past [`BUSY_TIMEOUT`]), or not a store.
fn not_a_store_or_busy(path: &Path, e: &rusqlite::Error) -> StoreError {
    if is_busy(e) {
        StoreError::Busy(path.to_path_buf())
    } else {
        StoreError::NotAStore(path.to_path_buf(), e.to_string())
    }
}

/// The page size of stores made from now on (see [`Store::create`]).
pub const PAGE_SIZE: u32 = 8192;

/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Back to WAL mode after a bulk transaction. Should another connection have
/// opened the file meanwhile, the store stays in rollback mode, which is as
/// safe, until the next [`Store::open`] configures it again.
fn restore_wal(conn: &Connection) {
    match set_journal_mode(conn, "WAL", BUSY_TIMEOUT) {
        Ok(true) => {}
        Ok(false) => tracing::warn!("the store could not return to WAL mode yet"),
        Err(e) => tracing::warn!(error = %e, "the store could not return to WAL mode yet"),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Store {
    /// Creates a new store file with a fresh node id and team key. Refuses a
    /// path that exists.
    pub fn create(
        path: &Path,
        node: NodeId,
        key: TeamKey,
        purpose: &str,
    ) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::Exists(path.to_path_buf()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(dir.to_path_buf(), e))?;
        }
        let mut conn = Connection::open(path)?;
        // 8 KiB pages rather than SQLite's 4 KiB: an import allocates, fills
        // and balances half as many pages for the same rows (a 1,000,000-row
        // import 16.0–16.4 s → 13.5–14.4 s, writing thread 12 s → 10 s); a
        // small commit's WAL frames grow to 8 KiB each. Fixed when the file
        // is made; stores made before keep their 4 KiB.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        configure(&conn)?;
        embedded::migrations::runner()
            .run(&mut conn)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        let tx = conn.transaction()?;
        // A new store has nothing to replay.
        tx.execute("DELETE FROM meta WHERE key = 'rebuild_needed'", [])?;
        for (k, v) in [
            ("node_id", node.to_string()),
            ("team_key", hex::encode(key.as_bytes())),
            ("created_ms", now_ms().to_string()),
            ("last_hlc", "0".to_string()),
            ("purpose", purpose.to_string()),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![k, v],
            )?;
        }
        tx.commit()?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            node,
            key,
        })
    }

    /// Opens an existing store, applying pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound(path.to_path_buf()));
        }
        // NO_MUTEX, as `Connection::open` and the read-only handle have: a
        // connection is used by one thread at a time (it is not `Sync`), and
        // SQLite's per-call locking cost 5 % of a bundle merge.
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A bulk write elsewhere that has begun writing pages out holds the
        // file until it commits: wait for it as for any writer.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Look before configuring: switching a foreign SQLite file to WAL would
        // rewrite its header, and we must not touch a file that is not ours.
        let has_meta: Option<String> = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| not_a_store_or_busy(path, &e))?;
        if has_meta.is_none() {
            return Err(StoreError::NotAStore(
                path.to_path_buf(),
                "it has no Gavah tables".into(),
            ));
        }
        configure(&conn).map_err(|e| StoreError::NotAStore(path.to_path_buf(), e.to_string()))?;
        embedded::migrations::runner()
            .run(&mut conn)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        let (node, key) = identity(&conn)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            node,
            key,
        };
        store.rebuild_if_needed()?;
        Ok(store)
    }

    /// Replays the log when a migration changed the shape of the projections,
    /// in one transaction with clearing the request, so a crash leaves either
    /// the old projections and the request, or the new ones.
    fn rebuild_if_needed(&mut self) -> Result<(), StoreError> {
        let Some(why) = self.meta("rebuild_needed")? else {
            return Ok(());
        };
        tracing::info!(version = %why, "projections changed shape: replaying the entries");
        let mut w = self.writer()?;
        w.rebuild(|_, _| {})?;
        w.conn()?
            .execute("DELETE FROM meta WHERE key = 'rebuild_needed'", [])?;
        w.commit()
    }

    /// Opens an existing store for reading only, as the web server's readers
    /// do. It never migrates: the store must already be at this version, as
    /// [`Store::open`] leaves it.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let (node, key) = identity(&conn).map_err(|e| match e {
            StoreError::Sql(e) => not_a_store_or_busy(path, &e),
            e => StoreError::NotAStore(path.to_path_buf(), e.to_string()),
        })?;
        if meta(&conn, "rebuild_needed").is_ok() {
            return Err(StoreError::Migration(
                "the store must be opened for writing once to finish its upgrade".into(),
            ));
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            node,
            key,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn node(&self) -> NodeId {
        self.node
    }

    pub fn team_key(&self) -> &TeamKey {
        &self.key
    }

    /// A value from the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Starts the one transaction an import, an edit or a rebuild runs in.
    pub fn writer(&mut self) -> Result<Writer<'_>, StoreError> {
        self.start_writer(false)
    }

    /// [`Store::writer`] for a transaction that writes a great deal (a large
    /// import or bundle, a rebuild): it runs with a rollback journal instead
    /// of the write-ahead log when no other connection has the store open.
    ///
    /// In WAL mode every page a transaction writes is written twice: to the
    /// log, then, at the checkpoint that follows a large commit, to the file.
    /// A rollback journal holds only the old contents of pages that existed
    /// before, and pages the transaction adds at the end of the file (most of
    /// what an import writes) are written once. Durability is the same:
    /// `synchronous=FULL` and a hot journal rolled back on the next open. WAL
    /// mode comes back when the transaction ends, committed or not.
    ///
    /// The switch needs the file to itself. When another connection has it
    /// open (a running `gavah serve`), this is an ordinary WAL transaction:
    /// never slower than [`Store::writer`] and never waiting for the others.
    pub fn bulk_writer(&mut self) -> Result<Writer<'_>, StoreError> {
        let bulk = match set_journal_mode(&self.conn, "DELETE", std::time::Duration::ZERO) {
            Ok(switched) => switched,
            Err(e) => {
                tracing::debug!(error = %e, "store in use elsewhere: bulk write stays in WAL mode");
                false
            }
        };
        match self.start_writer(bulk) {
            Ok(w) => Ok(w),
            Err(e) => {
                if bulk {
                    restore_wal(&self.conn);
                }
                Err(e)
            }
        }
    }

    fn start_writer(&self, bulk: bool) -> Result<Writer<'_>, StoreError> {
        // A large import touches every index at random places (ids are keyed
        // hashes); a page cache that holds the indexes keeps it from re-reading and
        // re-spilling pages. 384 MiB keeps a million-row import under 1 GiB.
        self.conn.pragma_update(None, "cache_size", -393_216)?;
        let conn = &self.conn;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let last: String = meta(&tx, "last_hlc")?;
        let last = Hlc(last
            .parse()
            .map_err(|_| StoreError::Corrupt("meta.last_hlc".into()))?);
        let defer_after = if bulk {
            let held: Option<i64> = tx
                .query_row(
                    "SELECT n FROM figure_counts WHERE dim = 'reports' AND key = '' AND outcome = 'any'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            let held = u64::try_from(held.unwrap_or(0)).unwrap_or(0);
            Some(held.max(DEFER_INDEXES_FROM))
        } else {
            None
        };
        Ok(Writer {
            conn,
            tx,
            bulk,
            node: self.node,
            last_hlc: last,
            changes: counts::Changes::default(),
            pending: project::Pending::default(),
            new_reports: 0,
            defer_after,
            deferred: Vec::new(),
        })
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Checks the file's integrity (SQLite's own check).
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// The node id and team key a store file holds.
fn identity(conn: &Connection) -> Result<(NodeId, TeamKey), StoreError> {
    let node: String = meta(conn, "node_id")?;
    let node = node
        .parse()
        .map_err(|_| StoreError::Corrupt("meta.node_id".into()))?;
    let key_hex: String = meta(conn, "team_key")?;
    let key_bytes: [u8; 32] = hex::decode(key_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt("meta.team_key".into()))?;
    Ok((node, TeamKey::from_bytes(key_bytes)))
}

fn meta(conn: &Connection, key: &str) -> Result<String, StoreError> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::Corrupt(format!("meta.{key} is missing")))
}

/// One write transaction. Dropped without [`Writer::commit`], it rolls back and
/// the file is as it was.
pub struct Writer<'a> {
    /// The store's connection, which `tx` is open on: kept to end the
    /// transaction and restore the journal mode from [`Drop`].
    conn: &'a Connection,
    tx: rusqlite::Transaction<'a>,
    /// Whether this transaction runs with a rollback journal (see
    /// [`Store::bulk_writer`]): WAL mode is restored when it ends.
    bulk: bool,
    /// This store's node (as [`Store::node`]).
    node: NodeId,
    last_hlc: Hlc,
    /// What the documented counts must catch up with at commit.
    changes: counts::Changes,
    pending: project::Pending,
    /// Reports this transaction appended.
    new_reports: u64,
    /// In a bulk write, how many new reports make it cheaper to drop the
    /// reports' secondary indexes and build them again at the end (see
    /// [`Writer::defer_indexes`]).
    defer_after: Option<u64>,
    /// Indexes dropped for this transaction, as the SQL that makes them again.
    deferred: Vec<String>,
}

/// Indexes on the reports whose keys come in no useful order (person ids are
/// hashes), which a bulk write drops and builds again at its end.
const DEFERRABLE_INDEXES: [&str; 1] = ["reports_pid"];

/// The fewest new reports for which a bulk write defers the indexes: below
/// this an index fits in the processor's caches and inserting at random
/// costs little.
const DEFER_INDEXES_FROM: u64 = 50_000;

impl Writer<'_> {
    /// Whether this transaction writes with a rollback journal
    /// ([`Store::bulk_writer`] found the file to itself).
    pub fn is_bulk(&self) -> bool {
        self.bulk
    }

    /// Whether indexes are dropped until this transaction reads or commits
    /// (see [`Writer::defer_indexes`]).
    pub fn defers_indexes(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// Keeps the projection rows this transaction writes, for
    /// [`Writer::take_spent`], instead of freeing them as they are written.
    pub fn keep_spent(&mut self) {
        self.pending.keep_spent();
    }

    /// The projection rows written since the last call (with
    /// [`Writer::keep_spent`]), for the caller to drop where it likes.
    pub fn take_spent(&mut self) -> Option<Spent> {
        self.pending.take_spent()
    }

    /// This store's node.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The next clock reading for an entry written by this node.
    pub fn tick(&mut self) -> Hlc {
        self.last_hlc = Hlc::next(self.last_hlc, now_ms());
        self.last_hlc
    }

    /// Appends one entry and projects it. Idempotent: the same entry twice
    /// changes nothing the second time.
    pub fn append(&mut self, entry: &Entry) -> Result<Appended, StoreError> {
        self.append_encoded(entry, &entry.body.to_stored())
    }

    /// [`Writer::append`] with the body's stored form already made (by
    /// `Body::to_stored`),
    /// so that a bulk import can encode on another thread.
    pub fn append_encoded(&mut self, entry: &Entry, body: &[u8]) -> Result<Appended, StoreError> {
        self.append_prepared(entry, body, None)
    }

    /// [`Writer::append_encoded`] with the entry's projection rows already made
    /// by [`prepare`], so that a bulk import builds them on another thread.
    pub fn append_prepared(
        &mut self,
        entry: &Entry,
        body: &[u8],
        prepared: Option<Prepared>,
    ) -> Result<Appended, StoreError> {
        self.append_with(entry, body, prepared, None)
    }

    /// Appends an entry with its signature, if it has one (`signer`,
    /// `signature`): the signature of a new entry, or of an earlier copy that
    /// replaces the one held, is stored on the entry's row; a replacing copy
    /// without one clears the held copy's, which does not sign it.
    pub(crate) fn append_with(
        &mut self,
        entry: &Entry,
        body: &[u8],
        prepared: Option<Prepared>,
        signed: Option<(&[u8; 32], &[u8; 64])>,
    ) -> Result<Appended, StoreError> {
        // Keep our clock ahead of everything we hold, so that later local entries
        // order after entries received from other nodes.
        if entry.hlc > self.last_hlc {
            self.last_hlc = entry.hlc;
        }
        let (signer, signature) = match signed {
            Some((k, s)) => (Some(k.as_slice()), Some(s.as_slice())),
            None => (None, None),
        };
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO entries (id, node, author, hlc, kind, body, signer, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                entry.id.as_bytes(),
                entry.node.as_bytes(),
                entry.author,
                hlc_sql(entry.hlc),
                entry.body.kind(),
                body,
                signer,
                signature
            ])?;
        if inserted == 1 {
            let seq = self.tx.last_insert_rowid();
            match prepared {
                Some(rows) => {
                    self.pending.push(seq, rows);
                    if self.pending.len() >= project::Pending::ROWS {
                        self.pending.flush(&self.tx)?;
                    }
                }
                None => project::apply(&self.tx, &mut self.pending, entry, seq, false)?,
            }
            if project::moves_counts(entry) {
                self.changes.new_report(seq);
                self.new_reports += 1;
                if Some(self.new_reports) == self.defer_after {
                    self.defer_indexes()?;
                }
            }
            return Ok(Appended::New);
        }
        // The same entry (same id) may have been written on two nodes; every node
        // keeps the copy that is earliest by (hlc, node), so the set converges.
        let replaced: Option<i64> = self
            .tx
            .prepare_cached(
                "UPDATE entries SET node = ?2, author = ?3, hlc = ?4, body = ?5,
                        signer = ?6, signature = ?7
                 WHERE id = ?1 AND (hlc, node) > (?4, ?2) RETURNING seq",
            )?
            .query_row(
                params![
                    entry.id.as_bytes(),
                    entry.node.as_bytes(),
                    entry.author,
                    hlc_sql(entry.hlc),
                    body,
                    signer,
                    signature
                ],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(seq) = replaced {
            project::apply(&self.tx, &mut self.pending, entry, seq, true)?;
            if project::moves_counts(entry) {
                // Rare (the same row imported on two nodes): recount all
                // rather than track the rows the old copy counted for.
                self.changes.recount_all();
            }
            return Ok(Appended::Replaced);
        }
        if signed.is_some() {
            // The copy held is earlier (keep its signature) or this very copy
            // (keep the first signature seen of it).
            self.tx
                .prepare_cached(
                    "UPDATE entries SET signer = ?2, signature = ?3
                     WHERE id = ?1 AND node = ?4 AND hlc = ?5 AND signature IS NULL",
                )?
                .execute(params![
                    entry.id.as_bytes(),
                    signer,
                    signature,
                    entry.node.as_bytes(),
                    hlc_sql(entry.hlc)
                ])?;
        }
        Ok(Appended::Duplicate)
    }

    /// Commits the transaction: entries, projections, refreshed counts and the
    /// clock together, or nothing.
    pub fn commit(mut self) -> Result<(), StoreError> {
        let t = std::time::Instant::now();
        self.pending.flush(&self.tx)?;
        self.restore_indexes()?;
        if self.changes.any() {
            let tally = std::mem::take(&mut self.pending.tally);
            counts::refresh(&self.tx, &self.changes, Some(tally))?;
            self.changes = counts::Changes::default();
        }
        let counted = t.elapsed();
        self.tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'last_hlc'",
            [self.last_hlc.0.to_string()],
        )?;
        // `tx` cannot be moved out of a type with `Drop`: commit through the
        // connection; `tx`, finding no transaction open, then does nothing.
        self.conn.execute_batch("COMMIT")?;
        tracing::debug!(
            counts_ms = counted.as_millis(),
            commit_ms = t.elapsed().as_millis(),
            "store commit"
        );
        Ok(())
    }

    /// Drops every projection and replays the whole log.
    /// Returns the number of entries replayed.
    pub fn rebuild(&mut self, mut progress: impl FnMut(u64, u64)) -> Result<u64, StoreError> {
        project::clear(&self.tx)?;
        self.pending.tally.restart();
        if self.bulk {
            // Every report is new.
            self.defer_indexes()?;
        }
        let total: u64 = self
            .tx
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))?;
        // Projections do not depend on order, so the log is replayed as stored.
        let mut stmt = self
            .tx
            .prepare("SELECT id, node, author, hlc, body, seq FROM entries ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut done = 0u64;
        while let Some(row) = rows.next()? {
            let entry = entry_from_row(row)?;
            let seq: i64 = row.get(5)?;
            project::apply(&self.tx, &mut self.pending, &entry, seq, false)?;
            done += 1;
            if done.is_multiple_of(10_000) {
                progress(done, total);
            }
        }
        progress(done, total);
        drop(rows);
        drop(stmt);
        self.pending.flush(&self.tx)?;
        self.changes.recount_all();
        // The replayed reports carry pre-linkage person ids: ask the app to
        // place them again with the stored model (see `set_pids`).
        self.tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('relink_needed', '1')",
            [],
        )?;
        // The next link must be a whole one: the blocking keys are gone.
        self.tx.execute(
            "DELETE FROM meta WHERE key IN ('linked_through', 'linked_decisions')",
            [],
        )?;
        Ok(done)
    }

    /// Recounts the documented figures from all the rows at commit, rather
    /// than only what this transaction changed: a repair, and the reference
    /// the incremental count is tested against.
    pub fn recount_counts(&mut self) {
        self.changes.recount_all();
    }

    /// Records that linkage moved a report from one person to another, for
    /// the counts' refresh at commit.
    pub(crate) fn changes(&mut self) -> &mut counts::Changes {
        &mut self.changes
    }

    /// Rows written before changed (see [`counts::Tally`]).
    pub(crate) fn spoil_tally(&mut self) {
        self.pending.tally.spoil();
    }

    /// Read access inside the transaction (for checks before committing),
    /// after writing any rows still waiting.
    pub fn conn(&mut self) -> Result<&Connection, StoreError> {
        self.pending.flush(&self.tx)?;
        self.restore_indexes()?;
        Ok(&self.tx)
    }

    /// Drops [`DEFERRABLE_INDEXES`] until [`Writer::restore_indexes`].
    ///
    /// A person id is a hash, so each new report's entry in `reports_pid`
    /// goes to a random place: at a million reports `perf` showed a sixth of
    /// the writing thread's time in those inserts, most of it waiting on
    /// memory. Building the index again at the end sorts the ids once and
    /// writes it in order. A bulk write does this once it has added as many
    /// reports as the store held, so the rebuild costs at most twice what it
    /// saves. Both steps are inside the transaction: a crash or a rollback
    /// leaves the index as it was.
    fn defer_indexes(&mut self) -> Result<(), StoreError> {
        for name in DEFERRABLE_INDEXES {
            let sql: Option<String> = self
                .tx
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sql) = sql {
                self.tx.execute_batch(&format!("DROP INDEX {name}"))?;
                self.deferred.push(sql);
            }
        }
        tracing::debug!(indexes = ?self.deferred, "deferred until the end of the bulk write");
        Ok(())
    }

    /// Builds again the indexes [`Writer::defer_indexes`] dropped: before
    /// anything reads through the writer, and at commit.
    fn restore_indexes(&mut self) -> Result<(), StoreError> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        let t = std::time::Instant::now();
        for sql in std::mem::take(&mut self.deferred) {
            self.tx.execute_batch(&sql)?;
        }
        tracing::debug!(ms = t.elapsed().as_millis(), "deferred indexes built");
        Ok(())
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !self.bulk {
            return;
        }
        // Not committed: roll back first, since the journal mode can only
        // change outside a transaction. (Otherwise `tx` would do it later.)
        if !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rolling back a bulk write failed");
            return;
        }
        restore_wal(self.conn);
    }
}

fn hlc_sql(h: Hlc) -> i64 {
    // HLC readings fit in 63 bits until the year 10889.
    i64::try_from(h.0).unwrap_or(i64::MAX)
}

pub(crate) fn entry_from_row(row: &rusqlite::Row<'_>) -> Result<Entry, StoreError> {
    let id: Vec<u8> = row.get(0)?;
    let node: Vec<u8> = row.get(1)?;
    let author: String = row.get(2)?;
    let hlc: i64 = row.get(3)?;
    let body: Vec<u8> = row.get(4)?;
    let id = gavah_core::EntryId::from_slice(&id)
        .ok_or_else(|| StoreError::Corrupt("entries.id".into()))?;
    let node =
        NodeId::from_slice(&node).ok_or_else(|| StoreError::Corrupt("entries.node".into()))?;
    let body = gavah_entry::Body::from_stored(&body)
        .map_err(|e| StoreError::Corrupt(format!("entry {id}: {e}")))?;
    Ok(Entry {
        id,
        node,
        author,
        hlc: Hlc(u64::try_from(hlc).unwrap_or(0)),
        body,
    })
}
