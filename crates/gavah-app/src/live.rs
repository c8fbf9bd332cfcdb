//! Live sync between two nodes over any request/response link (HTTP in
//! `gavah-web`): set reconciliation finds the difference, then the entries
//! each side lacks move in bounded batches, each committed on its own.
//!
//! Every request and every reply is a sealed bundle (`gavah_sync::bundle`):
//! encrypted to the other node and signed by the sender, so both ends are
//! authenticated by their node keys and only trusted peers are served. The
//! live messages (`gavah_sync::live`) ride as the bundles' ack bytes.
//!
//! A cut link loses at most the batch in flight: batches already merged
//! stay, and the next sync reconciles again and moves only what is missing.

use crate::sync::{Relink, check_entries, merge_entries, sign_stored};
use crate::{App, AppError, NoProgress, Progress};
use gavah_core::EntryId;
use gavah_sync::bundle::{NodePublicKey, NodeSecret, PrekeyRing, SealRequest, SignedEntry};
use gavah_sync::live::{Reply, Request};
use gavah_sync::reconcile::{Config, Initiator, Responder, ShortId, decode_flight, encode_flight};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Entries per push or fetch batch, at most.
pub const BATCH_ENTRIES: usize = 2_000;
/// Open reconciliation sessions a node keeps, at most (the oldest goes).
const MAX_SESSIONS: usize = 16;
/// How long an idle session is kept.
const SESSION_IDLE: Duration = Duration::from_secs(600);
/// Frames per flight a responder accepts.
const MAX_FRAMES: usize = 4_096;

/// One open reconciliation: the responder, which entry each reconciled copy
/// id stands for, and when it was last used.
struct Session {
    responder: Responder<'static>,
    entries: HashMap<EntryId, EntryId>,
    used: Instant,
}

/// The reconciliation sessions a serving node has open, by sync token.
#[derive(Default)]
pub struct LiveSessions {
    sessions: HashMap<[u8; 16], Session>,
}

/// The ids reconciled: one per *copy* of an entry (its id, clock reading and
/// node), so that two nodes holding different copies of one entry (written
/// on both) exchange them, and both keep the earliest, as bundles do. The id
/// is already a keyed hash, so a plain hash over it reveals nothing more.
/// Returns the copy ids and the entry each stands for.
fn copies(
    held: Vec<(EntryId, u64, gavah_core::NodeId)>,
) -> (Vec<EntryId>, HashMap<EntryId, EntryId>) {
    let mut ids = Vec::with_capacity(held.len());
    let mut of = HashMap::with_capacity(held.len());
    for (id, hlc, node) in held {
        let mut h = blake3::Hasher::new_derive_key("gavah 2026 live sync copy id");
        h.update(id.as_bytes())
            .update(&hlc.to_le_bytes())
            .update(node.as_bytes());
        let mut copy = [0u8; 16];
        copy.copy_from_slice(&h.finalize().as_bytes()[..16]);
        let copy = EntryId(copy);
        ids.push(copy);
        of.insert(copy, id);
    }
    (ids, of)
}

/// Why a live request was not answered with a sealed reply.
#[derive(Debug, thiserror::Error)]
pub enum LiveRefusal {
    /// Not a bundle this node can open (not for it, damaged, cut short).
    #[error("{0}")]
    Unreadable(String),
    /// A sender this node does not trust.
    #[error(
        "this node does not trust the key {0}; its documenter must run `gavah node trust` with it first"
    )]
    Untrusted(String),
    #[error(transparent)]
    App(#[from] AppError),
}

/// What a live sync did, from the initiator's side.
#[derive(Debug, Clone, Default)]
pub struct LiveReport {
    pub round_trips: u64,
    /// Of them, the set reconciliation's.
    pub reconcile_round_trips: u64,
    /// Bytes of reconciliation flights sent and received (the set
    /// reconciliation itself, beside the entries).
    pub reconcile_bytes: u64,
    /// Bytes of every request and reply body (sealed bundles).
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Entries this node had that the peer lacked, and sent.
    pub pushed: u64,
    /// Of them, merged there (the rest were held already, quarantined or
    /// refused by the peer's trust).
    pub peer_merged: u64,
    /// Entries the peer had that this node lacked, fetched.
    pub fetched: u64,
    pub merged: u64,
    pub quarantined: u64,
    pub rejected: u64,
}

fn random_token() -> Result<[u8; 16], AppError> {
    let mut t = [0u8; 16];
    getrandom::fill(&mut t).map_err(|e| AppError::Other(format!("no random bytes: {e}")))?;
    Ok(t)
}

fn seal_to(
    me: &NodeSecret,
    ring: &PrekeyRing,
    to: &NodePublicKey,
    entries: &[SignedEntry],
    ack: &[u8],
    now_s: u64,
) -> Result<Vec<u8>, AppError> {
    gavah_sync::bundle::seal(&SealRequest {
        sender: me,
        ring,
        recipients: &[*to],
        entries,
        ack,
        now: now_s,
    })
    .map(|s| s.bytes)
    .map_err(|e| AppError::Other(format!("cannot seal a live sync message: {e}")))
}

impl App {
    /// Answers one live sync request (a sealed bundle) from a trusted peer
    /// with a sealed reply.
    pub fn live_answer(
        &mut self,
        me: &NodeSecret,
        ring: &PrekeyRing,
        sessions: &mut LiveSessions,
        body: &[u8],
        now_s: u64,
    ) -> Result<Vec<u8>, LiveRefusal> {
        let opened = gavah_sync::bundle::open(me, ring, body).map_err(|e| {
            LiveRefusal::Unreadable(format!("not a live sync request for this node: {e}"))
        })?;
        let peer = opened.sender;
        if !self.is_trusted(&peer)? {
            return Err(LiveRefusal::Untrusted(peer.to_string()));
        }
        let (reply, entries) = match Request::decode(&opened.ack) {
            Err(e) => (
                Reply::Refused {
                    reason: e.to_string(),
                },
                Vec::new(),
            ),
            Ok(request) => self.live_request(me, peer, sessions, request, opened.entries)?,
        };
        Ok(seal_to(me, ring, &peer, &entries, &reply.encode(), now_s)?)
    }

    fn live_request(
        &mut self,
        me: &NodeSecret,
        peer: NodePublicKey,
        sessions: &mut LiveSessions,
        request: Request,
        entries: Vec<SignedEntry>,
    ) -> Result<(Reply, Vec<SignedEntry>), AppError> {
        let refused = |reason: &str| {
            Ok((
                Reply::Refused {
                    reason: reason.into(),
                },
                Vec::new(),
            ))
        };
        let now = Instant::now();
        sessions
            .sessions
            .retain(|_, s| now.duration_since(s.used) < SESSION_IDLE);
        match request {
            Request::Reconcile { token, flight } => {
                if !sessions.sessions.contains_key(&token) {
                    if sessions.sessions.len() >= MAX_SESSIONS
                        && let Some(oldest) = sessions
                            .sessions
                            .iter()
                            .min_by_key(|(_, s)| s.used)
                            .map(|(k, _)| *k)
                    {
                        sessions.sessions.remove(&oldest);
                    }
                    let (ids, entries) = copies(self.store.writer()?.entry_copies()?);
                    let responder = Responder::new(ids, Config::default())
                        .map_err(|e| AppError::Other(format!("cannot reconcile: {e}")))?;
                    sessions.sessions.insert(
                        token,
                        Session {
                            responder,
                            entries,
                            used: now,
                        },
                    );
                }
                let Some(session) = sessions.sessions.get_mut(&token) else {
                    return refused("no such session");
                };
                session.used = now;
                let responder = &mut session.responder;
                let messages = match decode_flight(&flight, Config::default().max_frame, MAX_FRAMES)
                {
                    Ok(m) => m,
                    Err(e) => return refused(&format!("bad reconciliation flight: {e}")),
                };
                match responder.receive(&messages) {
                    Ok(out) => Ok((
                        Reply::Reconcile {
                            flight: encode_flight(&out),
                        },
                        Vec::new(),
                    )),
                    Err(e) => refused(&format!("reconciliation failed: {e}")),
                }
            }
            Request::Fetch { token, short_ids } => {
                let Some(session) = sessions.sessions.get_mut(&token) else {
                    return refused("this sync session has expired; start the sync again");
                };
                session.used = now;
                if short_ids.len() > BATCH_ENTRIES {
                    return refused("too many entries asked for at once");
                }
                let ids: Vec<EntryId> = short_ids
                    .iter()
                    .filter_map(|s| session.responder.lookup(ShortId(*s)))
                    .filter_map(|copy| session.entries.get(&copy).copied())
                    .collect();
                let own_node = self.store.node();
                let mut w = self.store.writer()?;
                let stored = w.entries_by_ids(&ids)?;
                let batch = sign_stored(&mut w, me, own_node, stored)?;
                w.commit()?;
                let missing = short_ids.len().saturating_sub(batch.entries.len());
                Ok((
                    Reply::Entries {
                        missing: u32::try_from(missing).unwrap_or(u32::MAX),
                    },
                    batch.entries,
                ))
            }
            Request::Push { .. } => {
                if entries.len() > BATCH_ENTRIES {
                    return refused("too many entries pushed at once");
                }
                let team_key = self.store.team_key().clone();
                let checked = match check_entries(&entries, &team_key) {
                    Ok(c) => c,
                    Err(e) => return refused(&e.to_string()),
                };
                let counts = self.merge_from(me, &peer, checked, entries)?;
                let n = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
                Ok((
                    Reply::Pushed {
                        merged: n(counts.merged),
                        held: n(counts.held),
                        quarantined: n(counts.quarantined),
                        rejected: n(counts.rejected),
                    },
                    Vec::new(),
                ))
            }
            Request::Finish { token } => {
                sessions.sessions.remove(&token);
                self.relink_if_needed(&NoProgress)?;
                Ok((Reply::Finished, Vec::new()))
            }
        }
    }

    /// Whether `peer` is a trusted peer of this node.
    fn is_trusted(&self, peer: &NodePublicKey) -> Result<bool, AppError> {
        Ok(self
            .store
            .peers()?
            .iter()
            .any(|p| p.signer == peer.signer().0 && p.status == gavah_store::PeerStatus::Trusted))
    }

    /// Merges one batch of checked entries from `peer` in its own
    /// transaction, leaving the relink for the end of the sync.
    fn merge_from(
        &mut self,
        me: &NodeSecret,
        peer: &NodePublicKey,
        checked: Vec<crate::sync::Incoming>,
        entries: Vec<SignedEntry>,
    ) -> Result<crate::sync::Merged, AppError> {
        let mut w = self.store.writer()?;
        let counts = merge_entries(
            &mut w,
            me.public().signer(),
            peer.signer().0,
            checked,
            entries,
            Relink::Later,
            &NoProgress,
        )?;
        w.commit()?;
        Ok(counts)
    }

    /// Links the whole store once if merges left that for later.
    fn relink_if_needed(&mut self, progress: &dyn Progress) -> Result<(), AppError> {
        if self.store.meta("relink_needed")?.is_some() {
            self.relink(progress)?;
        }
        Ok(())
    }

    /// Syncs with a trusted peer over `send` (which carries one request body
    /// and returns the reply body, or says why the link failed): reconciles,
    /// pushes what the peer lacks and fetches what this node lacks.
    pub fn live_sync(
        &mut self,
        me: &NodeSecret,
        ring: &PrekeyRing,
        peer: &NodePublicKey,
        mut send: impl FnMut(Vec<u8>) -> Result<Vec<u8>, String>,
        now_s: u64,
        progress: &dyn Progress,
    ) -> Result<LiveReport, AppError> {
        if !self.is_trusted(peer)? {
            return Err(AppError::Invalid(format!(
                "{} is not a trusted peer; accept its key first with `gavah node trust KEY`",
                crate::sync::fingerprint(&peer.signer().0)
            )));
        }
        if self.forgets_sent()? {
            return Err(AppError::Invalid(
                "this node forgets what it sends (`gavah node forget-sent on`), and a live sync would fetch it back; exchange bundles instead".into(),
            ));
        }
        let mut report = LiveReport::default();
        let token = random_token()?;
        let mut round_trip = |request: &Request,
                              entries: &[SignedEntry],
                              report: &mut LiveReport|
         -> Result<(Reply, Vec<SignedEntry>), AppError> {
            let body = seal_to(me, ring, peer, entries, &request.encode(), now_s)?;
            report.bytes_sent += body.len() as u64;
            report.round_trips += 1;
            let answer = send(body).map_err(|e| {
                AppError::Other(format!(
                    "the link to the peer failed: {e}; what was merged so far is kept, and running the sync again resumes"
                ))
            })?;
            report.bytes_received += answer.len() as u64;
            let opened = gavah_sync::bundle::open(me, ring, &answer)
                .map_err(|e| AppError::Invalid(format!("the peer's answer is refused: {e}")))?;
            if opened.sender != *peer {
                return Err(AppError::Invalid(
                    "the answer is signed by another key than the peer's: refused".into(),
                ));
            }
            match Reply::decode(&opened.ack) {
                Ok(Reply::Refused { reason }) => {
                    Err(AppError::Invalid(format!("the peer refused: {reason}")))
                }
                Ok(reply) => Ok((reply, opened.entries)),
                Err(e) => Err(AppError::Invalid(format!(
                    "the peer's answer is refused: {e}"
                ))),
            }
        };

        // 1. Reconcile.
        progress.start("reconciling", 0);
        let (ids, entry_of) = copies(self.store.writer()?.entry_copies()?);
        let config = Config::default();
        let mut initiator = Initiator::new(&ids[..], config.clone())
            .map_err(|e| AppError::Other(format!("cannot reconcile: {e}")))?;
        loop {
            let flight = encode_flight(&initiator.flight());
            report.reconcile_bytes += flight.len() as u64;
            let (reply, _) = round_trip(&Request::Reconcile { token, flight }, &[], &mut report)?;
            report.reconcile_round_trips += 1;
            let Reply::Reconcile { flight } = reply else {
                return Err(AppError::Invalid("the peer answered out of turn".into()));
            };
            report.reconcile_bytes += flight.len() as u64;
            let messages = decode_flight(&flight, config.max_frame, MAX_FRAMES)
                .map_err(|e| AppError::Invalid(format!("the peer's flight is refused: {e}")))?;
            let done = initiator
                .receive(&messages)
                .map_err(|e| AppError::Other(format!("reconciliation failed: {e}")))?;
            if done {
                break;
            }
        }
        progress.finish();
        let outcome = initiator
            .outcome()
            .cloned()
            .ok_or_else(|| AppError::Other("reconciliation ended without a result".into()))?;
        drop(ids);
        let push: Vec<EntryId> = outcome
            .have_not_they
            .iter()
            .filter_map(|c| entry_of.get(c).copied())
            .collect();
        drop(entry_of);

        // 2. Push what the peer lacks.
        let own_node = self.store.node();
        progress.start("sending", push.len() as u64);
        for chunk in push.chunks(BATCH_ENTRIES) {
            let mut w = self.store.writer()?;
            let stored = w.entries_by_ids(chunk)?;
            let batch = sign_stored(&mut w, me, own_node, stored)?;
            w.commit()?;
            let (reply, _) = round_trip(&Request::Push { token }, &batch.entries, &mut report)?;
            report.pushed += batch.entries.len() as u64;
            if let Reply::Pushed { merged, .. } = reply {
                report.peer_merged += u64::from(merged);
            }
            progress.set(report.pushed);
        }
        progress.finish();

        // 3. Fetch what this node lacks.
        let team_key = self.store.team_key().clone();
        let wanted: Vec<u64> = outcome.they_have_i_lack.iter().map(|s| s.0).collect();
        progress.start("receiving", wanted.len() as u64);
        for chunk in wanted.chunks(BATCH_ENTRIES) {
            let (reply, entries) = round_trip(
                &Request::Fetch {
                    token,
                    short_ids: chunk.to_vec(),
                },
                &[],
                &mut report,
            )?;
            if !matches!(reply, Reply::Entries { .. }) {
                return Err(AppError::Invalid("the peer answered out of turn".into()));
            }
            let checked = check_entries(&entries, &team_key)?;
            report.fetched += entries.len() as u64;
            let counts = self.merge_from(me, peer, checked, entries)?;
            report.merged += counts.merged;
            report.quarantined += counts.quarantined;
            report.rejected += counts.rejected;
            progress.set(report.fetched);
        }
        progress.finish();
        // One link of the people on each side, after all the batches.
        let (reply, _) = round_trip(&Request::Finish { token }, &[], &mut report)?;
        if reply != Reply::Finished {
            return Err(AppError::Invalid("the peer answered out of turn".into()));
        }
        self.relink_if_needed(progress)?;
        Ok(report)
    }
}
