//! Exchange with other nodes through bundles: which entries a peer lacks,
//! signing this node's entries, sealing them to the recipients, and merging
//! a received bundle in one transaction; peers' trust and the quarantine.
//!
//! Security invariants:
//! - an entry merges only if its signature checks (the bundle layer does
//!   that), its id is its body's id under this team's key, the key that signed
//!   it is trusted (or this node's) and is the key that signs its node's
//!   entries, and the node that sealed the bundle is trusted too. Anything else
//!   from an unknown key waits in quarantine until `gavah node trust`;
//!   entries of a revoked key are refused.
//! - a bundle is merged whole or not at all: the first bad entry refuses it
//!   and nothing is written.

use crate::link::relink_whole;
use crate::now_ms;
use crate::{App, AppError, NoProgress, Progress};
use gavah_core::{EntryId, NodeId};
use gavah_entry::Entry;
use gavah_store::{Appended, PeerStatus, Quarantined, SeenBundle, Writer};
use gavah_sync::bundle::{
    BundleError, NodePublicKey, NodeSecret, PrekeyRing, Range, SealRequest, SealedTo, SignedEntry,
    SignerKey, Summary,
};
use std::collections::HashMap;
use std::io::Read;

/// The meta key that makes exports forget what they send.
const FORGET_SENT: &str = "forget_sent";

/// This node's keys, as the CLI loads them from their files.
pub struct NodeKeys<'a> {
    pub secret: &'a NodeSecret,
    /// Rotated before sealing and taught the senders' prekeys on import: the
    /// caller persists it afterwards.
    pub ring: &'a mut PrekeyRing,
}

/// Which entries an export carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// What the recipients have not acknowledged (the default).
    Acknowledged,
    /// Everything this node holds.
    All,
    /// Every entry stamped at or after this time (Unix milliseconds),
    /// whatever was acknowledged.
    Time(u64),
}

/// What an export did.
#[derive(Debug, Clone)]
pub struct ExportReport {
    /// The bundle file's bytes.
    pub bytes: Vec<u8>,
    /// Its id, as 32 hex digits.
    pub id: String,
    pub entries: u64,
    /// Of them, this node's own.
    pub own: u64,
    /// This node's entries signed for the first time by this export.
    pub signed_now: u64,
    /// Other nodes' entries held without a signature, left out.
    pub unsigned_skipped: u64,
    /// The entries sent were forgotten here (`gavah node forget-sent on`).
    pub forgotten: bool,
    /// For each recipient, whether its bundle key was a prekey (forward
    /// secrecy) or its long-term key.
    pub sealed_to: Vec<(NodePublicKey, bool)>,
}

/// What importing one bundle did.
#[derive(Debug, Clone, Default)]
pub struct BundleImportReport {
    /// The bundle's id, as 32 hex digits.
    pub id: String,
    /// The sender's name, if it is a known peer.
    pub sender_name: Option<String>,
    pub sender: String,
    pub sender_trusted: bool,
    /// The sender's key was revoked: its entries were refused.
    pub sender_revoked: bool,
    pub entries: u64,
    /// New to this store.
    pub merged: u64,
    /// Already held.
    pub held: u64,
    /// Waiting for a key to be trusted.
    pub quarantined: u64,
    /// Refused: signed by a revoked key, or by a key other than its node's.
    pub rejected: u64,
    /// This node's own entries, which it sent and forgot (`gavah node
    /// forget-sent on`): not taken back.
    pub forgotten: u64,
    /// When this bundle was imported before, its first import (Unix ms):
    /// nothing was done this time.
    pub already: Option<u64>,
    /// Prekeys of the sender learnt, for sealing to it with forward secrecy.
    pub prekeys_learnt: usize,
}

/// What trusting a key did.
#[derive(Debug, Clone, Default)]
pub struct TrustReport {
    /// Entries released from quarantine and merged.
    pub merged: u64,
    /// Released but already held.
    pub held: u64,
    /// Still waiting (another key involved is not trusted).
    pub waiting: u64,
    /// Dropped (a revoked key).
    pub rejected: u64,
}

/// A peer or an unknown key, for `gavah node peers`.
#[derive(Debug, Clone)]
pub struct PeerRow {
    /// The whole public key line when known, else the signing key's
    /// fingerprint.
    pub key: String,
    pub name: Option<String>,
    /// trusted, revoked, or unknown (entries from it wait in quarantine).
    pub status: String,
    /// Entries waiting in quarantine signed or carried by this key.
    pub waiting: u64,
}

/// How this node judges one received entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Merge,
    Quarantine,
    Reject,
}

struct Trust {
    own: [u8; 32],
    status: HashMap<[u8; 32], PeerStatus>,
    /// This node, when it forgets what it sends (`gavah node forget-sent on`):
    /// its own entries that come back were sent and forgotten, and it keeps
    /// them only as the ciphertext in its outbox.
    forgets: Option<NodeId>,
}

impl Trust {
    fn load(w: &mut Writer<'_>, own: SignerKey) -> Result<Trust, AppError> {
        let forgets = w.meta(FORGET_SENT)?.map(|_| w.node());
        Ok(Trust {
            own: own.0,
            status: w
                .peers()?
                .into_iter()
                .map(|p| (p.signer, p.status))
                .collect(),
            forgets,
        })
    }

    fn carrier_trusted(&self, carrier: &[u8; 32]) -> bool {
        *carrier == self.own || self.status.get(carrier) == Some(&PeerStatus::Trusted)
    }

    fn judge(&self, signer: &[u8; 32], carrier: &[u8; 32], hlc: u64) -> Verdict {
        let signer_ok = if *signer == self.own {
            true
        } else {
            match self.status.get(signer) {
                Some(PeerStatus::Trusted) => true,
                Some(PeerStatus::Revoked { after_hlc }) => {
                    if after_hlc.is_some_and(|a| hlc <= a) {
                        true
                    } else {
                        return Verdict::Reject;
                    }
                }
                None => false,
            }
        };
        if signer_ok && self.carrier_trusted(carrier) {
            Verdict::Merge
        } else {
            Verdict::Quarantine
        }
    }
}

/// A signing key's short printed form: its first 8 bytes in hex.
pub fn fingerprint(signer: &[u8; 32]) -> String {
    format!("ed25519:{}…", hex::encode(&signer[..8]))
}

fn bundle_error(e: BundleError) -> AppError {
    AppError::Invalid(match e {
        BundleError::NotForMe => {
            "this bundle is not addressed to this node (none of its keys opens it); \
             the sender must seal it to this node's public key (`gavah node key`)"
                .to_string()
        }
        other => format!("the bundle is refused: {other}; nothing was imported"),
    })
}

/// Decodes a received entry and checks that its id is its body's id under
/// this team's key.
fn decode_entry(bytes: &[u8], key: &gavah_entry::TeamKey, index: usize) -> Result<Entry, AppError> {
    let entry = Entry::from_canonical_bytes(bytes).map_err(|e| {
        AppError::Invalid(format!(
            "entry {} of the bundle is refused: {e}; nothing was imported",
            index + 1
        ))
    })?;
    if entry.body.id(key) != entry.id {
        return Err(AppError::Invalid(format!(
            "entry {} of the bundle was made under another team key: its sender is not of this \
             team, or joined it with another key (`gavah init --team-key-file`); nothing was imported",
            index + 1
        )));
    }
    Ok(entry)
}

/// A received entry, decoded and checked, with what the store needs to
/// append it (made in parallel before the write transaction).
pub(crate) struct Incoming {
    entry: Entry,
    body: Vec<u8>,
    prepared: Option<gavah_store::Prepared>,
}

fn incoming(bytes: &[u8], key: &gavah_entry::TeamKey, index: usize) -> Result<Incoming, AppError> {
    let entry = decode_entry(bytes, key, index)?;
    Ok(Incoming {
        body: entry.body.to_stored(),
        prepared: gavah_store::prepare(&entry),
        entry,
    })
}

/// Stored entries made ready to send.
pub(crate) struct SignedBatch {
    pub entries: Vec<SignedEntry>,
    /// Their ids, in the same order.
    pub ids: Vec<EntryId>,
    pub own: u64,
    pub signed_now: u64,
    pub unsigned_skipped: u64,
}

/// Signs this node's stored entries that were never signed (keeping the
/// signatures), and takes the others' with their stored signatures; others'
/// entries held without one are left out. Entries are encoded and signed on
/// all cores.
pub(crate) fn sign_stored(
    w: &mut Writer<'_>,
    me: &NodeSecret,
    own_node: NodeId,
    stored: Vec<gavah_store::StoredEntry>,
) -> Result<SignedBatch, AppError> {
    use rayon::prelude::*;
    let own_signer = me.public().signer().0;
    let mut batch = SignedBatch {
        entries: Vec::with_capacity(stored.len()),
        ids: Vec::with_capacity(stored.len()),
        own: 0,
        signed_now: 0,
        unsigned_skipped: 0,
    };
    // Others' entries held without a signature cannot be relayed.
    let (kept, skipped): (Vec<_>, Vec<_>) = stored
        .into_iter()
        .partition(|s| s.signature.is_some() || s.entry.node == own_node);
    batch.unsigned_skipped = skipped.len() as u64;
    let signed: Vec<(EntryId, bool, bool, SignedEntry)> = kept
        .into_par_iter()
        .map(|s| {
            let bytes = s.entry.canonical_bytes();
            let own = s.entry.node == own_node;
            let (signed, now) = match s.signature {
                Some((signer, signature)) => {
                    (SignedEntry::from_parts(signer, signature, bytes), false)
                }
                None => (SignedEntry::sign(me, bytes), true),
            };
            (s.entry.id, own, now, signed)
        })
        .collect();
    for (id, own, signed_now, signed) in signed {
        if signed_now {
            w.put_signature(id, &own_signer, signed.signature())?;
            batch.signed_now += 1;
        }
        batch.own += u64::from(own);
        batch.entries.push(signed);
        batch.ids.push(id);
    }
    Ok(batch)
}

/// Decodes and checks received entries (in parallel; the first bad one
/// refuses them all, before anything is written).
pub(crate) fn check_entries(
    entries: &[SignedEntry],
    team_key: &gavah_entry::TeamKey,
) -> Result<Vec<Incoming>, AppError> {
    check_entries_from(entries, team_key, 0)
}

/// [`check_entries`] for a batch whose first entry is number `first` of its
/// bundle (for the messages).
fn check_entries_from(
    entries: &[SignedEntry],
    team_key: &gavah_entry::TeamKey,
    first: usize,
) -> Result<Vec<Incoming>, AppError> {
    use rayon::prelude::*;
    entries
        .par_iter()
        .enumerate()
        .map(|(i, s)| incoming(s.bytes(), team_key, first + i))
        .collect()
}

/// Entries a bundle import checks and merges at a time: the next batch is
/// decoded while this one is merged.
const IMPORT_BATCH: usize = 4_096;

/// Bundles from this many entries on are merged in a bulk transaction
/// ([`gavah_store::Store::bulk_writer`]), as large file imports are.
const BULK_ENTRIES: usize = 10_000;

/// When merged entries may change who is the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relink {
    /// Link the whole store again in the same transaction.
    Now,
    /// Leave `meta.relink_needed` for one link after several batches.
    Later,
}

/// Merges checked entries carried by `carrier` as this node's trust says,
/// inside the caller's transaction, re-linking (now or later) if people may
/// have changed.
pub(crate) fn merge_entries(
    w: &mut Writer<'_>,
    own: SignerKey,
    carrier: [u8; 32],
    checked: Vec<Incoming>,
    signed: Vec<SignedEntry>,
    relink: Relink,
    progress: &dyn Progress,
) -> Result<Merged, AppError> {
    let total = checked.len() as u64;
    merge_batches(
        w,
        own,
        carrier,
        std::iter::once(Ok((checked, signed))),
        total,
        relink,
        progress,
    )
}

/// [`merge_entries`] over batches that arrive as they are checked (a big
/// bundle's batches are decoded on other threads while this one merges). The
/// first error stops it; the caller's transaction then rolls back.
pub(crate) fn merge_batches(
    w: &mut Writer<'_>,
    own: SignerKey,
    carrier: [u8; 32],
    batches: impl IntoIterator<Item = Result<(Vec<Incoming>, Vec<SignedEntry>), AppError>>,
    total: u64,
    relink: Relink,
    progress: &dyn Progress,
) -> Result<Merged, AppError> {
    let trust = Trust::load(w, own)?;
    let mut counts = Merged {
        quarantine_in_use: w.has_quarantined()?,
        ..Merged::default()
    };
    progress.start("merging entries", total);
    let mut done = 0u64;
    let mut waited = std::time::Duration::ZERO;
    let mut batches = batches.into_iter();
    loop {
        let asked = std::time::Instant::now();
        let Some(batch) = batches.next() else { break };
        waited += asked.elapsed();
        let (checked, signed) = batch?;
        for (entry, signed) in checked.into_iter().zip(signed) {
            let q = Quarantined {
                id: entry.entry.id,
                signer: signed.signer().0,
                carrier,
                signature: *signed.signature(),
                bytes: signed.into_bytes(),
            };
            merge_one(w, &trust, entry, &q, &mut counts)?;
            done += 1;
        }
        progress.set(done);
    }
    progress.finish();
    tracing::debug!(
        waited_ms = waited.as_millis(),
        "merge: time spent waiting for checked entries"
    );
    if counts.reports {
        match relink {
            Relink::Now => relink_whole(w, progress)?,
            Relink::Later => {
                if w.link_model()?.is_some() {
                    w.set_meta("relink_needed", "1")?;
                }
            }
        }
    }
    Ok(counts)
}

/// Counts of merging entries.
#[derive(Default)]
pub(crate) struct Merged {
    pub merged: u64,
    pub held: u64,
    pub quarantined: u64,
    pub rejected: u64,
    /// This node's own entries, sent and forgotten here, not taken back.
    pub forgotten: u64,
    reports: bool,
    /// The key bound to each node seen so far.
    bound: HashMap<NodeId, [u8; 32]>,
    /// Whether the quarantine may hold copies of merged entries.
    quarantine_in_use: bool,
    /// Per node, the newest clock reading among the entries received and
    /// not refused.
    pub newest: HashMap<NodeId, u64>,
}

impl Merged {
    fn saw(&mut self, entry: &Entry) {
        let n = self.newest.entry(entry.node).or_insert(0);
        *n = (*n).max(entry.hlc.0);
    }
}

/// Merges one verified entry as `trust` judges it.
fn merge_one(
    w: &mut Writer<'_>,
    trust: &Trust,
    incoming: Incoming,
    signed: &Quarantined,
    counts: &mut Merged,
) -> Result<Verdict, AppError> {
    let entry = &incoming.entry;
    if trust.forgets == Some(entry.node) {
        // Sent from here and forgotten: neither merged nor held in
        // quarantine, which would both keep it in clear.
        counts.forgotten += 1;
        return Ok(Verdict::Reject);
    }
    let verdict = trust.judge(&signed.signer, &signed.carrier, entry.hlc.0);
    match verdict {
        Verdict::Reject => counts.rejected += 1,
        Verdict::Quarantine => {
            w.quarantine(entry, signed, now_ms())?;
            counts.quarantined += 1;
            counts.quarantine_in_use = true;
            counts.saw(entry);
        }
        Verdict::Merge => {
            // One key per node: a trusted key may not write in another node's name.
            let bound = match counts.bound.get(&entry.node) {
                Some(k) => *k,
                None => {
                    let k = w.bind_node_signer(entry.node, &signed.signer)?;
                    counts.bound.insert(entry.node, k);
                    k
                }
            };
            if bound != signed.signer {
                tracing::warn!(
                    node = %entry.node,
                    signer = fingerprint(&signed.signer),
                    "an entry signed by a key other than its node's was refused"
                );
                counts.rejected += 1;
                return Ok(Verdict::Reject);
            }
            let appended = w.append_signed(
                entry,
                &incoming.body,
                incoming.prepared,
                &signed.signer,
                &signed.signature,
            )?;
            if counts.quarantine_in_use {
                // A copy that waited in quarantine (carried by an untrusted
                // node) has now arrived through a trusted one.
                w.unquarantine(&[entry.id])?;
            }
            counts.saw(entry);
            // A replaced copy is the same entry written earlier elsewhere: held
            // already, but its clock may change which report names a person.
            match appended {
                Appended::New => counts.merged += 1,
                Appended::Replaced | Appended::Duplicate => counts.held += 1,
            }
            counts.reports |= appended != Appended::Duplicate
                && matches!(
                    entry.body,
                    gavah_entry::Body::Report(_)
                        | gavah_entry::Body::LinkModel(_)
                        | gavah_entry::Body::LinkDecision(_)
                );
        }
    }
    Ok(verdict)
}

impl App {
    /// Seals the entries `to` lack (by their last acknowledgements, or as
    /// `since` says) into one bundle for all of them. This node's entries are
    /// signed (once; the signatures are kept), others' travel with their own
    /// signatures. The acknowledgement of what this node holds rides along.
    pub fn export_bundle(
        &mut self,
        keys: &mut NodeKeys<'_>,
        to: &[NodePublicKey],
        since: Since,
        now_s: u64,
    ) -> Result<ExportReport, AppError> {
        let me = keys.secret;
        let own_signer = me.public().signer().0;
        let own_node = self.store.node();
        let mut w = self.store.writer()?;
        let trust = Trust::load(&mut w, me.public().signer())?;
        for r in to {
            if !trust.carrier_trusted(&r.signer().0) {
                return Err(AppError::Invalid(format!(
                    "{} is not a trusted peer of this node; accept its key first with `gavah node trust KEY`",
                    fingerprint(&r.signer().0)
                )));
            }
        }
        // Per origin node, what every recipient holds already.
        let mut after: HashMap<NodeId, u64> = HashMap::new();
        let default_after = match since {
            Since::All => 0,
            Since::Time(ms) => gavah_entry::Hlc::from_parts(ms, 0).0.saturating_sub(1),
            Since::Acknowledged => {
                let acks = to
                    .iter()
                    .map(|r| w.peer_acks(&r.signer().0))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(first) = acks.first() {
                    for node in first.keys() {
                        let lowest = acks.iter().map(|a| a.get(node).copied().unwrap_or(0)).min();
                        after.insert(*node, lowest.unwrap_or(0));
                    }
                }
                0
            }
        };
        w.bind_node_signer(own_node, &own_signer)?;
        let stored = w.entries_after(&after, default_after)?;
        let mut report = ExportReport {
            bytes: Vec::new(),
            id: String::new(),
            entries: 0,
            own: 0,
            signed_now: 0,
            unsigned_skipped: 0,
            forgotten: false,
            sealed_to: Vec::new(),
        };
        let signed = sign_stored(&mut w, me, own_node, stored)?;
        report.signed_now = signed.signed_now;
        report.unsigned_skipped = signed.unsigned_skipped;
        report.own = signed.own;
        let sent_ids = signed.ids;
        let entries = signed.entries;
        report.entries = entries.len() as u64;
        // The acknowledgement, and the ranges this bundle carries in full.
        let holds = w.holdings(own_node)?;
        let mut carries = Vec::new();
        for &(node, held) in &holds {
            let from = match since {
                Since::Acknowledged => after.get(&node).copied().unwrap_or(0),
                _ => default_after,
            };
            let ranges = if node == own_node {
                vec![(0, held)]
            } else {
                w.held_ranges(node)?
            };
            for (lo, hi) in ranges {
                let lo = lo.max(from);
                if lo < hi {
                    carries.push(Range { node, lo, hi });
                }
            }
        }
        let summary = Summary { holds, carries }.encode();
        keys.ring
            .rotate(me, now_s)
            .map_err(|e| AppError::Other(format!("cannot make a prekey: {e}")))?;
        let sealed = gavah_sync::bundle::seal(&SealRequest {
            sender: me,
            ring: keys.ring,
            recipients: to,
            entries: &entries,
            ack: &summary,
            now: now_s,
        })
        .map_err(|e| AppError::Invalid(format!("cannot seal the bundle: {e}")))?;
        report.id = hex::encode(sealed.id.0);
        report.sealed_to = sealed
            .sealed_to
            .iter()
            .map(|(k, to)| (*k, matches!(to, SealedTo::Prekey { .. })))
            .collect();
        // A collector that keeps what it sent only as ciphertext forgets the
        // entries now, keeping the sealed bundle in its outbox.
        report.forgotten = w.meta(FORGET_SENT)?.is_some() && !sent_ids.is_empty();
        if report.forgotten {
            w.forget_sent(&sent_ids, &sealed.id.0, &sealed.bytes, now_ms())?;
        }
        report.bytes = sealed.bytes;
        // The signatures made are kept only if the bundle was made.
        w.commit()?;
        if report.forgotten {
            self.store.scrub()?;
        }
        Ok(report)
    }

    /// Makes this node forget the entries it exports (keeping the sealed
    /// bundles only), or stop doing so.
    pub fn set_forget_sent(&mut self, on: bool) -> Result<(), AppError> {
        let mut w = self.store.writer()?;
        if on {
            w.set_meta(FORGET_SENT, "1")?;
        } else {
            w.delete_meta(FORGET_SENT)?;
        }
        w.commit()?;
        Ok(())
    }

    /// Whether this node forgets what it exports.
    pub fn forgets_sent(&self) -> Result<bool, AppError> {
        Ok(self.store.meta(FORGET_SENT)?.is_some())
    }

    /// Opens a bundle addressed to this node, checks every signature and id,
    /// and merges it in one transaction (see the module's invariants). The
    /// same bundle twice, or bundles in any order, change nothing more.
    pub fn import_bundle(
        &mut self,
        keys: &mut NodeKeys<'_>,
        reader: impl Read,
        len: u64,
        now_s: u64,
        progress: &dyn Progress,
    ) -> Result<BundleImportReport, AppError> {
        let started = std::time::Instant::now();
        // Entry signatures are checked below, a batch at a time beside the merge.
        let opened = gavah_sync::bundle::open_reader_deferred(keys.secret, keys.ring, reader, len)
            .map_err(bundle_error)?;
        let opened_at = started.elapsed();
        let team_key = self.store.team_key().clone();
        let sender = opened.sender.signer().0;
        let mut report = BundleImportReport {
            id: hex::encode(opened.id.0),
            sender: opened.sender.to_string(),
            entries: opened.entries.len() as u64,
            ..BundleImportReport::default()
        };
        // Every entry is checked before anything is written.
        let summary = Summary::decode(&opened.ack).map_err(|e| {
            AppError::Invalid(format!(
                "{e}; the bundle is refused and nothing was imported"
            ))
        })?;
        let mut w = if opened.entries.len() >= BULK_ENTRIES {
            self.store.bulk_writer()?
        } else {
            self.store.writer()?
        };
        let peers = w.peers()?;
        report.sender_name = peers
            .iter()
            .find(|p| p.signer == sender)
            .and_then(|p| p.name.clone());
        if let Some(seen) = w.seen_bundle(&opened.id.0)? {
            report.already = Some(seen.imported_ms);
            report.merged = 0;
            return Ok(report);
        }
        report.prekeys_learnt = keys.ring.learn(&opened.sender, &opened.prekeys, now_s);
        let trust = Trust::load(&mut w, keys.secret.public().signer())?;
        report.sender_trusted = trust.carrier_trusted(&sender);
        report.sender_revoked =
            matches!(trust.status.get(&sender), Some(PeerStatus::Revoked { .. }));
        // Entries' signatures are checked, and the entries decoded and checked,
        // in batches on the other cores while this thread merges the batch
        // before; the first bad entry stops the merge and the transaction rolls
        // back, so a bundle still merges whole or not at all, and only what
        // was checked is ever written.
        let total = opened.entries.len() as u64;
        let batches = opened.entries.batches(IMPORT_BATCH);
        let own = keys.secret.public().signer();
        let counts = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel(2);
            let team_key = &team_key;
            scope.spawn(move || {
                for batch in batches {
                    let first = batch.first();
                    let checked = batch.verify().map_err(bundle_error).and_then(|batch| {
                        check_entries_from(&batch, team_key, first).map(|c| (c, batch))
                    });
                    let failed = checked.is_err();
                    if tx.send(checked).is_err() || failed {
                        break;
                    }
                }
            });
            merge_batches(&mut w, own, sender, rx, total, Relink::Now, progress)
        })?;
        let merged_at = started.elapsed();
        if report.sender_trusted {
            // What the sender holds, so that exports to it skip that; and what
            // this bundle carried in full, for this node's own acknowledgement.
            for (node, hlc) in &summary.holds {
                w.raise_peer_ack(&sender, *node, *hlc)?;
            }
            // A range the bundle claims to carry in full is believed only up
            // to the newest entry of that node it did carry (and this node did
            // not refuse), so that no sender can make this node think it holds
            // entries it never received, and stop others from sending them.
            for r in &summary.carries {
                let hi = r.hi.min(counts.newest.get(&r.node).copied().unwrap_or(0));
                w.add_coverage(r.node, r.lo, hi)?;
            }
        }
        report.merged = counts.merged;
        report.held = counts.held;
        report.quarantined = counts.quarantined;
        report.rejected = counts.rejected;
        report.forgotten = counts.forgotten;
        w.record_bundle(
            &opened.id.0,
            &sender,
            &SeenBundle {
                imported_ms: now_ms(),
                entries: report.entries,
                merged: report.merged,
                quarantined: report.quarantined,
                rejected: report.rejected,
            },
        )?;
        w.commit()?;
        tracing::debug!(
            open_ms = opened_at.as_millis(),
            merge_ms = (merged_at - opened_at).as_millis(),
            commit_ms = (started.elapsed() - merged_at).as_millis(),
            "bundle import"
        );
        Ok(report)
    }

    /// Accepts a peer's key (with a name to know it by) and merges what waited
    /// in quarantine for it.
    pub fn trust_peer(
        &mut self,
        me: &NodeSecret,
        key: &NodePublicKey,
        name: Option<&str>,
    ) -> Result<TrustReport, AppError> {
        if key.signer() == me.public().signer() {
            return Err(AppError::Invalid(
                "that is this node's own key; give the key of another node".into(),
            ));
        }
        let team_key = self.store.team_key().clone();
        let mut w = self.store.writer()?;
        w.trust_peer(&key.signer().0, &key.to_bytes(), name, now_ms())?;
        let report = release_quarantine(&mut w, me, &team_key)?;
        w.commit()?;
        Ok(report)
    }

    /// Revokes a key: its entries stamped after `after_ms` (all of them when
    /// `None`) that arrive from now on are refused, and those waiting in
    /// quarantine are dropped. Entries already merged stay.
    pub fn revoke_peer(
        &mut self,
        me: &NodeSecret,
        signer: &[u8; 32],
        public_key: Option<&NodePublicKey>,
        after_ms: Option<u64>,
    ) -> Result<TrustReport, AppError> {
        if *signer == me.public().signer().0 {
            return Err(AppError::Invalid(
                "that is this node's own key; to stop using this node, run `gavah node wipe`"
                    .into(),
            ));
        }
        let team_key = self.store.team_key().clone();
        let mut w = self.store.writer()?;
        let after = after_ms.map(|ms| gavah_entry::Hlc::from_parts(ms, u16::MAX).0);
        w.revoke_peer(
            signer,
            public_key.map(|k| k.to_bytes()).as_ref(),
            after,
            now_ms(),
        )?;
        let report = release_quarantine(&mut w, me, &team_key)?;
        w.commit()?;
        Ok(report)
    }

    /// Peers, and the unknown keys whose entries wait in quarantine.
    pub fn peer_rows(&self) -> Result<Vec<PeerRow>, AppError> {
        let groups = self.store.quarantine_groups()?;
        let waiting = |k: &[u8; 32]| {
            groups
                .iter()
                .filter(|g| g.signer == *k || g.carrier == *k)
                .map(|g| g.entries)
                .sum::<u64>()
        };
        let peers = self.store.peers()?;
        let mut rows: Vec<PeerRow> = peers
            .iter()
            .map(|p| PeerRow {
                key: p
                    .public_key
                    .and_then(|k| NodePublicKey::from_bytes(&k).ok())
                    .map_or_else(|| fingerprint(&p.signer), |k| k.to_string()),
                name: p.name.clone(),
                status: match p.status {
                    PeerStatus::Trusted => "trusted".into(),
                    PeerStatus::Revoked { .. } => "revoked".into(),
                },
                waiting: waiting(&p.signer),
            })
            .collect();
        let mut unknown: Vec<[u8; 32]> = groups
            .iter()
            .flat_map(|g| [g.signer, g.carrier])
            .filter(|k| !peers.iter().any(|p| p.signer == *k))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        rows.extend(unknown.iter().map(|k| PeerRow {
            key: fingerprint(k),
            name: None,
            status: "unknown".into(),
            waiting: waiting(k),
        }));
        Ok(rows)
    }
}

/// Judges every quarantined entry again with the trust now recorded: merges,
/// drops or keeps it.
fn release_quarantine(
    w: &mut Writer<'_>,
    me: &NodeSecret,
    team_key: &gavah_entry::TeamKey,
) -> Result<TrustReport, AppError> {
    let trust = Trust::load(w, me.public().signer())?;
    let mut counts = Merged::default();
    let mut done: Vec<EntryId> = Vec::new();
    let mut waiting = 0;
    for q in w.quarantined()? {
        // Checked when it was quarantined; a damaged row is dropped, not merged.
        let Ok(incoming) = incoming(&q.bytes, team_key, 0) else {
            done.push(q.id);
            counts.rejected += 1;
            continue;
        };
        match trust.judge(&q.signer, &q.carrier, incoming.entry.hlc.0) {
            Verdict::Quarantine => waiting += 1,
            _ => {
                done.push(q.id);
                merge_one(w, &trust, incoming, &q, &mut counts)?;
            }
        }
    }
    w.unquarantine(&done)?;
    if counts.reports {
        relink_whole(w, &NoProgress)?;
    }
    Ok(TrustReport {
        merged: counts.merged,
        held: counts.held,
        waiting,
        rejected: counts.rejected,
    })
}
