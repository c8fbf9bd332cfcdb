//! This node's bookkeeping for exchange with other nodes (migration V4):
//! entry signatures, peers and their trust, which key signs which node's
//! entries, the quarantine, bundles seen, the clock ranges received in full,
//! and what each peer last said it holds.
//!
//! None of these tables is a projection: `gavah rebuild` keeps them and they
//! never leave the node. Keys are raw bytes here; `gavah-sync` gives them
//! meaning and `gavah-app` decides trust.

use crate::{Appended, Store, StoreError, Writer, entry_from_row, hlc_sql};
use gavah_core::{EntryId, NodeId};
use gavah_entry::Entry;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;

/// A peer's trust as this node records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerStatus {
    Trusted,
    Revoked {
        /// Entries stamped at or before this reading are still accepted.
        after_hlc: Option<u64>,
    },
}

/// A node this node exchanges with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub signer: [u8; 32],
    /// ed25519 ‖ X25519, when the whole public key was given.
    pub public_key: Option<[u8; 64]>,
    pub name: Option<String>,
    pub status: PeerStatus,
    pub changed_ms: u64,
}

/// An entry with the signature of the copy stored, for export.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry: Entry,
    /// (signer, signature) when the stored copy was signed.
    pub signature: Option<([u8; 32], [u8; 64])>,
}

/// A quarantined entry.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub id: EntryId,
    pub signer: [u8; 32],
    pub carrier: [u8; 32],
    pub signature: [u8; 64],
    pub bytes: Vec<u8>,
}

/// Entries waiting in quarantine, per signer and carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineGroup {
    pub signer: [u8; 32],
    pub carrier: [u8; 32],
    pub entries: u64,
    pub first_ms: u64,
    pub last_ms: u64,
}

/// A sealed bundle kept in the outbox of a node that forgets what it sends.
#[derive(Debug, Clone)]
pub struct KeptBundle {
    pub id: [u8; 16],
    pub bytes: Vec<u8>,
    pub made_ms: u64,
    pub entries: u64,
}

/// A bundle imported earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenBundle {
    pub imported_ms: u64,
    pub entries: u64,
    pub merged: u64,
    pub quarantined: u64,
    pub rejected: u64,
}

fn array<const N: usize>(v: Vec<u8>, what: &str) -> Result<[u8; N], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} has the wrong length")))
}

/// Clock readings and times fit in 63 bits until the year 10889.
fn sql_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A row of (id, node, author, hlc, body, signer, signature).
fn stored_entry(row: &rusqlite::Row<'_>) -> Result<StoredEntry, StoreError> {
    let entry = entry_from_row(row)?;
    let signer: Option<Vec<u8>> = row.get(5)?;
    let signature: Option<Vec<u8>> = row.get(6)?;
    let signature = match (signer, signature) {
        (Some(k), Some(s)) => Some((array(k, "entries.signer")?, array(s, "entries.signature")?)),
        _ => None,
    };
    Ok(StoredEntry { entry, signature })
}

fn peers(conn: &Connection) -> Result<Vec<Peer>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT signer, public_key, name, status, changed_ms, revoked_after_hlc
         FROM peers ORDER BY name IS NULL, name, signer",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, Option<Vec<u8>>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<i64>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (signer, public_key, name, status, changed_ms, after) = row?;
        let status = match status.as_str() {
            "trusted" => PeerStatus::Trusted,
            _ => PeerStatus::Revoked {
                after_hlc: after.map(u64_of),
            },
        };
        out.push(Peer {
            signer: array(signer, "peers.signer")?,
            public_key: public_key
                .map(|k| array(k, "peers.public_key"))
                .transpose()?,
            name,
            status,
            changed_ms: u64_of(changed_ms),
        });
    }
    Ok(out)
}

/// Merges (lo, hi] intervals that overlap or touch.
fn merge_ranges(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn coverage(conn: &Connection) -> Result<HashMap<NodeId, Vec<(u64, u64)>>, StoreError> {
    let mut stmt = conn.prepare("SELECT node, lo, hi FROM coverage ORDER BY node, lo")?;
    let mut rows = stmt.query([])?;
    let mut out: HashMap<NodeId, Vec<(u64, u64)>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let node: Vec<u8> = r.get(0)?;
        let node =
            NodeId::from_slice(&node).ok_or_else(|| StoreError::Corrupt("coverage.node".into()))?;
        out.entry(node)
            .or_default()
            .push((u64_of(r.get(1)?), u64_of(r.get(2)?)));
    }
    Ok(out)
}

impl Store {
    /// Rewrites the file without the content of deleted rows (after
    /// [`Writer::forget_sent`]): deleted cells are zeroed, the file is rebuilt
    /// by `VACUUM`, and the write-ahead log is emptied and truncated.
    pub fn scrub(&self) -> Result<(), StoreError> {
        self.conn().execute_batch(
            "PRAGMA secure_delete = ON; VACUUM; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA secure_delete = OFF;",
        )?;
        Ok(())
    }

    /// Sealed bundles kept in the outbox, newest first.
    pub fn outbox(&self) -> Result<Vec<KeptBundle>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, bytes, made_ms, entries FROM outbox ORDER BY made_ms DESC")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(KeptBundle {
                id: array(r.get(0)?, "outbox.id")?,
                bytes: r.get(1)?,
                made_ms: u64_of(r.get(2)?),
                entries: u64_of(r.get(3)?),
            });
        }
        Ok(out)
    }

    /// Every peer, trusted or revoked.
    pub fn peers(&self) -> Result<Vec<Peer>, StoreError> {
        peers(self.conn())
    }

    /// Entries in quarantine, grouped by signer and carrier.
    pub fn quarantine_groups(&self) -> Result<Vec<QuarantineGroup>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT signer, carrier, COUNT(*), MIN(received_ms), MAX(received_ms)
             FROM quarantine GROUP BY signer, carrier ORDER BY signer, carrier",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (signer, carrier, n, first, last) = row?;
            out.push(QuarantineGroup {
                signer: array(signer, "quarantine.signer")?,
                carrier: array(carrier, "quarantine.carrier")?,
                entries: u64_of(n),
                first_ms: u64_of(first),
                last_ms: u64_of(last),
            });
        }
        Ok(out)
    }

    /// Per origin node, the clock reading up to which this node has received
    /// every entry: its own last reading for itself.
    pub fn holdings(&self) -> Result<Vec<(NodeId, u64)>, StoreError> {
        holdings(self.conn(), self.node())
    }
}

fn holdings(conn: &Connection, own: NodeId) -> Result<Vec<(NodeId, u64)>, StoreError> {
    let mut out: Vec<(NodeId, u64)> = coverage(conn)?
        .into_iter()
        .filter(|(node, _)| *node != own)
        .filter_map(|(node, ranges)| {
            merge_ranges(ranges)
                .first()
                .filter(|(lo, _)| *lo == 0)
                .map(|&(_, hi)| (node, hi))
        })
        .collect();
    let last: String = crate::meta(conn, "last_hlc")?;
    let last = last
        .parse()
        .map_err(|_| StoreError::Corrupt("meta.last_hlc".into()))?;
    out.push((own, last));
    out.sort_unstable();
    Ok(out)
}

impl Writer<'_> {
    /// [`Store::peers`] inside this transaction.
    pub fn peers(&mut self) -> Result<Vec<Peer>, StoreError> {
        peers(self.conn()?)
    }

    /// Records a peer as trusted (keeping its name unless a new one is given).
    pub fn trust_peer(
        &mut self,
        signer: &[u8; 32],
        public_key: &[u8; 64],
        name: Option<&str>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO peers (signer, public_key, name, status, changed_ms, revoked_after_hlc)
             VALUES (?1, ?2, ?3, 'trusted', ?4, NULL)
             ON CONFLICT (signer) DO UPDATE SET public_key = ?2, name = COALESCE(?3, name),
                 status = 'trusted', changed_ms = ?4, revoked_after_hlc = NULL",
            params![
                signer.as_slice(),
                public_key.as_slice(),
                name,
                sql_u64(now_ms)
            ],
        )?;
        Ok(())
    }

    /// Records a key as revoked: its entries stamped after `after_hlc` (all,
    /// when `None`) are refused from now on.
    pub fn revoke_peer(
        &mut self,
        signer: &[u8; 32],
        public_key: Option<&[u8; 64]>,
        after_hlc: Option<u64>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO peers (signer, public_key, name, status, changed_ms, revoked_after_hlc)
             VALUES (?1, ?2, NULL, 'revoked', ?3, ?4)
             ON CONFLICT (signer) DO UPDATE SET public_key = COALESCE(?2, public_key),
                 status = 'revoked', changed_ms = ?3, revoked_after_hlc = ?4",
            params![
                signer.as_slice(),
                public_key.map(|k| k.as_slice()),
                sql_u64(now_ms),
                after_hlc.map(sql_u64)
            ],
        )?;
        Ok(())
    }

    /// The key that signs `node`'s entries, binding `signer` to it if the node
    /// has none yet. Returns the bound key.
    pub fn bind_node_signer(
        &mut self,
        node: NodeId,
        signer: &[u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "INSERT INTO node_signers (node, signer) VALUES (?1, ?2) ON CONFLICT (node) DO NOTHING",
        )?
        .execute(params![node.as_bytes(), signer.as_slice()])?;
        let bound: Vec<u8> = conn
            .prepare_cached("SELECT signer FROM node_signers WHERE node = ?1")?
            .query_row([node.as_bytes()], |r| r.get(0))?;
        array(bound, "node_signers.signer")
    }

    /// Appends an entry received signed, keeping the signature of whichever
    /// copy the store keeps (see [`Writer::append`]).
    ///
    /// `body` is the body's stored form and `prepared` its projection rows, made by
    /// the caller (on other threads, for a big bundle), as for
    /// [`Writer::append_prepared`].
    pub fn append_signed(
        &mut self,
        entry: &Entry,
        body: &[u8],
        prepared: Option<crate::Prepared>,
        signer: &[u8; 32],
        signature: &[u8; 64],
    ) -> Result<Appended, StoreError> {
        self.append_with(entry, body, prepared, Some((signer, signature)))
    }

    /// Stores the signature of a stored entry (this node's own, signed when
    /// first exported).
    pub fn put_signature(
        &mut self,
        id: EntryId,
        signer: &[u8; 32],
        signature: &[u8; 64],
    ) -> Result<(), StoreError> {
        self.conn()?
            .prepare_cached("UPDATE entries SET signer = ?2, signature = ?3 WHERE id = ?1")?
            .execute(params![
                id.as_bytes(),
                signer.as_slice(),
                signature.as_slice()
            ])?;
        Ok(())
    }

    /// Every stored entry of the given origin nodes stamped after the reading
    /// given for its node (`default_after` for nodes not listed), with its
    /// signature, in the order stored.
    pub fn entries_after(
        &mut self,
        after: &HashMap<NodeId, u64>,
        default_after: u64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let floor = after
            .values()
            .copied()
            .chain([default_after])
            .min()
            .unwrap_or(0);
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT id, node, author, hlc, body, signer, signature
             FROM entries WHERE hlc > ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([sql_u64(floor)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let node: Vec<u8> = row.get(1)?;
            let hlc = u64_of(row.get(3)?);
            let node_after = NodeId::from_slice(&node)
                .and_then(|n| after.get(&n).copied())
                .unwrap_or(default_after);
            if hlc <= node_after {
                continue;
            }
            out.push(stored_entry(row)?);
        }
        Ok(out)
    }

    /// Every entry this node holds as (id, clock reading, node) of the copy
    /// held (for set reconciliation: two copies of one entry differ).
    pub fn entry_copies(&mut self) -> Result<Vec<(EntryId, u64, NodeId)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT id, hlc, node FROM entries")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: Vec<u8> = r.get(0)?;
            let node: Vec<u8> = r.get(2)?;
            out.push((
                EntryId::from_slice(&id).ok_or_else(|| StoreError::Corrupt("entries.id".into()))?,
                u64_of(r.get(1)?),
                NodeId::from_slice(&node)
                    .ok_or_else(|| StoreError::Corrupt("entries.node".into()))?,
            ));
        }
        Ok(out)
    }

    /// The stored entries with these ids (those held), with their signatures.
    pub fn entries_by_ids(&mut self, ids: &[EntryId]) -> Result<Vec<StoredEntry>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, node, author, hlc, body, signer, signature FROM entries WHERE id = ?1",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut rows = stmt.query([id.as_bytes()])?;
            if let Some(row) = rows.next()? {
                out.push(stored_entry(row)?);
            }
        }
        Ok(out)
    }

    /// [`Store::holdings`] inside this transaction.
    pub fn holdings(&mut self, own: NodeId) -> Result<Vec<(NodeId, u64)>, StoreError> {
        holdings(self.conn()?, own)
    }

    /// The (lo, hi] ranges of `node`'s entries this node has received in full,
    /// cut below the first of them still in quarantine (those are received but
    /// not held, so they must not be vouched for to others).
    pub fn held_ranges(&mut self, node: NodeId) -> Result<Vec<(u64, u64)>, StoreError> {
        let conn = self.conn()?;
        let ranges = coverage(conn)?.remove(&node).unwrap_or_default();
        let waiting: Option<i64> = conn.query_row(
            "SELECT MIN(hlc) FROM quarantine WHERE node = ?1",
            [node.as_bytes()],
            |r| r.get(0),
        )?;
        let cut = waiting.map(|h| u64_of(h).saturating_sub(1));
        Ok(merge_ranges(ranges)
            .into_iter()
            .filter_map(|(lo, hi)| {
                let hi = cut.map_or(hi, |c| hi.min(c));
                (lo < hi).then_some((lo, hi))
            })
            .collect())
    }

    /// Adds a (lo, hi] range of `node`'s entries received in full.
    pub fn add_coverage(&mut self, node: NodeId, lo: u64, hi: u64) -> Result<(), StoreError> {
        if lo >= hi {
            return Ok(());
        }
        let conn = self.conn()?;
        let mut ranges = coverage(conn)?.remove(&node).unwrap_or_default();
        ranges.push((lo, hi));
        conn.execute("DELETE FROM coverage WHERE node = ?1", [node.as_bytes()])?;
        let mut insert =
            conn.prepare_cached("INSERT INTO coverage (node, lo, hi) VALUES (?1, ?2, ?3)")?;
        for (lo, hi) in merge_ranges(ranges) {
            insert.execute(params![node.as_bytes(), sql_u64(lo), sql_u64(hi)])?;
        }
        Ok(())
    }

    /// What `peer` last said it holds, per origin node.
    pub fn peer_acks(&mut self, peer: &[u8; 32]) -> Result<HashMap<NodeId, u64>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT node, hlc FROM peer_acks WHERE peer = ?1")?;
        let mut rows = stmt.query([peer.as_slice()])?;
        let mut out = HashMap::new();
        while let Some(r) = rows.next()? {
            let node: Vec<u8> = r.get(0)?;
            let node = NodeId::from_slice(&node)
                .ok_or_else(|| StoreError::Corrupt("peer_acks.node".into()))?;
            out.insert(node, u64_of(r.get(1)?));
        }
        Ok(out)
    }

    /// Raises what `peer` is known to hold of `node`'s entries (never lowers
    /// it: acknowledgements may arrive out of order).
    pub fn raise_peer_ack(
        &mut self,
        peer: &[u8; 32],
        node: NodeId,
        hlc: u64,
    ) -> Result<(), StoreError> {
        self.conn()?
            .prepare_cached(
                "INSERT INTO peer_acks (peer, node, hlc) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer, node) DO UPDATE SET hlc = MAX(hlc, ?3)",
            )?
            .execute(params![peer.as_slice(), node.as_bytes(), sql_u64(hlc)])?;
        Ok(())
    }

    /// Puts an entry in quarantine (once: the first copy received stays).
    pub fn quarantine(
        &mut self,
        entry: &Entry,
        q: &Quarantined,
        received_ms: u64,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn()?
            .prepare_cached(
                "INSERT INTO quarantine (id, node, hlc, signer, carrier, signature, bytes, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                q.id.as_bytes(),
                entry.node.as_bytes(),
                hlc_sql(entry.hlc),
                q.signer.as_slice(),
                q.carrier.as_slice(),
                q.signature.as_slice(),
                q.bytes,
                sql_u64(received_ms)
            ])?;
        Ok(n == 1)
    }

    /// Every quarantined entry, oldest clock reading first.
    pub fn quarantined(&mut self) -> Result<Vec<Quarantined>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT id, signer, carrier, signature, bytes FROM quarantine ORDER BY hlc, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: Vec<u8> = r.get(0)?;
            out.push(Quarantined {
                id: EntryId::from_slice(&id)
                    .ok_or_else(|| StoreError::Corrupt("quarantine.id".into()))?,
                signer: array(r.get(1)?, "quarantine.signer")?,
                carrier: array(r.get(2)?, "quarantine.carrier")?,
                signature: array(r.get(3)?, "quarantine.signature")?,
                bytes: r.get(4)?,
            });
        }
        Ok(out)
    }

    /// Whether any entry waits in quarantine.
    pub fn has_quarantined(&mut self) -> Result<bool, StoreError> {
        Ok(self
            .conn()?
            .query_row("SELECT EXISTS (SELECT 1 FROM quarantine)", [], |r| r.get(0))?)
    }

    /// Removes entries from quarantine (merged or refused by the caller).
    pub fn unquarantine(&mut self, ids: &[EntryId]) -> Result<(), StoreError> {
        let conn = self.conn()?;
        let mut delete = conn.prepare_cached("DELETE FROM quarantine WHERE id = ?1")?;
        for id in ids {
            delete.execute([id.as_bytes()])?;
        }
        Ok(())
    }

    /// Forgets entries this node has sealed into a bundle (a collector that
    /// keeps what it sent only as ciphertext): their rows and signatures go,
    /// the projections are rebuilt from what is left, and the bundle is kept
    /// in the outbox. Call [`Store::scrub`] after committing, so that the
    /// deleted content leaves the file too.
    pub fn forget_sent(
        &mut self,
        ids: &[EntryId],
        bundle_id: &[u8; 16],
        bundle: &[u8],
        made_ms: u64,
    ) -> Result<(), StoreError> {
        {
            let conn = self.conn()?;
            let mut del = conn.prepare_cached("DELETE FROM entries WHERE id = ?1")?;
            for id in ids {
                del.execute([id.as_bytes()])?;
            }
            conn.execute(
                "INSERT OR REPLACE INTO outbox (id, bytes, made_ms, entries) VALUES (?1, ?2, ?3, ?4)",
                params![
                    bundle_id.as_slice(),
                    bundle,
                    sql_u64(made_ms),
                    sql_u64(ids.len() as u64)
                ],
            )?;
        }
        self.rebuild(|_, _| {})?;
        Ok(())
    }

    /// A bundle imported before, if this one was.
    pub fn seen_bundle(&mut self, id: &[u8; 16]) -> Result<Option<SeenBundle>, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT imported_ms, entries, merged, quarantined, rejected FROM bundles_seen WHERE id = ?1",
                [id.as_slice()],
                |r| {
                    Ok(SeenBundle {
                        imported_ms: u64_of(r.get(0)?),
                        entries: u64_of(r.get(1)?),
                        merged: u64_of(r.get(2)?),
                        quarantined: u64_of(r.get(3)?),
                        rejected: u64_of(r.get(4)?),
                    })
                },
            )
            .optional()?)
    }

    /// Records an imported bundle.
    pub fn record_bundle(
        &mut self,
        id: &[u8; 16],
        sender: &[u8; 32],
        seen: &SeenBundle,
    ) -> Result<(), StoreError> {
        let n = sql_u64;
        self.conn()?.execute(
            "INSERT OR REPLACE INTO bundles_seen (id, sender, imported_ms, entries, merged, quarantined, rejected)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id.as_slice(),
                sender.as_slice(),
                n(seen.imported_ms),
                n(seen.entries),
                n(seen.merged),
                n(seen.quarantined),
                n(seen.rejected)
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::merge_ranges;

    #[test]
    fn ranges_merge_when_they_touch_or_overlap() {
        assert_eq!(
            merge_ranges(vec![(5, 9), (0, 3), (3, 5), (12, 20), (15, 18)]),
            vec![(0, 9), (12, 20)]
        );
        assert_eq!(merge_ranges(vec![]), vec![]);
    }
}
