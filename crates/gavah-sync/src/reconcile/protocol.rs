//! The sans-IO state machines: [`Initiator`] streams coded cells, [`Responder`]
//! decodes them and reports the difference.

use super::sketch::{Cell, Decoder, Encoder, Keys, Side};
use super::wire::{CELL_BYTES, CELLS_HEADER, DONE_HEADER, Message, RejectReason, SessionId};
use super::{Config, Outcome, Progress, ReconcileError, ShortId};
use gavah_core::EntryId;
use std::borrow::Cow;

/// One side's set under one session's keys: short ids sorted with the index
/// of their entry id, and the digest of the whole set.
struct Keyed {
    keys: Keys,
    /// (short id, index into the id list), ascending by short id.
    shorts: Vec<(u64, u32)>,
    /// Wrapping sum of every id's digest term.
    digest: u128,
    /// True when two ids share a short id.
    collision: bool,
}

impl Keyed {
    fn new(ids: &[EntryId], salt: &SessionId, bits: u8) -> Keyed {
        let keys = Keys::new(&salt.0, bits);
        let mut digest = 0u128;
        let mut shorts: Vec<(u64, u32)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let (short, term) = keys.hash(id);
                digest = digest.wrapping_add(term);
                // The caller checked that the list has fewer than 2^32 ids.
                (short.0, i as u32)
            })
            .collect();
        shorts.sort_unstable_by_key(|p| p.0);
        let collision = shorts.windows(2).any(|w| w[0].0 == w[1].0);
        Keyed {
            keys,
            shorts,
            digest,
            collision,
        }
    }

    fn index(&self, short: u64) -> Option<u32> {
        self.shorts
            .binary_search_by_key(&short, |p| p.0)
            .ok()
            .map(|at| self.shorts[at].1)
    }

    fn encoder(&self) -> Encoder {
        Encoder::new(&self.keys, self.shorts.iter().map(|p| p.0))
    }
}

fn check_len(ids: &[EntryId]) -> Result<(), ReconcileError> {
    if u32::try_from(ids.len()).is_err() {
        return Err(ReconcileError::TooManyIds { len: ids.len() });
    }
    Ok(())
}

fn random_salt() -> Result<SessionId, ReconcileError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ReconcileError::Random(e.to_string()))?;
    Ok(SessionId(salt))
}

/// The salt of the attempt after `salt`, for [`Initiator::with_salt`].
fn next_salt(salt: &SessionId) -> SessionId {
    let key = blake3::derive_key("gavah-sync reconcile v1 next salt", &salt.0);
    let mut out = [0u8; 16];
    out.copy_from_slice(&key[..16]);
    SessionId(out)
}

/// One attempt of the initiator: a salt, the coded cells made so far, and
/// what the responder acknowledged.
struct Attempt {
    session: SessionId,
    keyed: Keyed,
    encoder: Encoder,
    /// Every cell produced in this attempt, kept so that any range can be sent
    /// again after a cut link (16 bytes each in memory).
    cells: Vec<Cell>,
    /// Cells the responder said it holds.
    acked: u32,
    /// End of the next flight.
    target: u32,
    /// Parts of the responder's `Done` seen so far.
    parts: Vec<Option<(Vec<ShortId>, Vec<ShortId>)>>,
    digest: [u8; 16],
}

/// The side that opens a reconciliation: picks the salt, streams coded cells
/// of its set in growing flights, and checks the responder's answer.
///
/// Drive it as a loop: send [`Initiator::flight`] to the responder, pass the
/// reply flight to [`Initiator::receive`], until `receive` returns `true`;
/// then read [`Initiator::outcome`]. After a cut link, call `flight` again:
/// it re-sends from the last cell the responder acknowledged (see the module
/// documentation, "Resuming").
pub struct Initiator<'a> {
    ids: Cow<'a, [EntryId]>,
    config: Config,
    /// `None`: every attempt takes a random salt. `Some`: the next salt is
    /// derived from the last one.
    fixed_salts: bool,
    attempt_no: u32,
    attempt: Attempt,
    round_trips: u32,
    cells_sent: u64,
    found: u64,
    collisions: u32,
    outcome: Option<Outcome>,
}

impl<'a> Initiator<'a> {
    /// An initiator over `ids` (borrowed or owned; duplicates are not
    /// allowed) with a fresh random salt from the operating system. Hashes
    /// every id: about a second for a million.
    pub fn new(
        ids: impl Into<Cow<'a, [EntryId]>>,
        config: Config,
    ) -> Result<Initiator<'a>, ReconcileError> {
        let salt = random_salt()?;
        Self::start(ids.into(), config, salt, false)
    }

    /// An initiator whose first salt is `salt` and whose later salts (after a
    /// collision) are derived from it: reproducible, for tests and
    /// benchmarks. Production code calls [`Initiator::new`], so that nobody
    /// can predict the salts and build colliding ids in advance.
    pub fn with_salt(
        ids: impl Into<Cow<'a, [EntryId]>>,
        config: Config,
        salt: [u8; 16],
    ) -> Result<Initiator<'a>, ReconcileError> {
        Self::start(ids.into(), config, SessionId(salt), true)
    }

    fn start(
        ids: Cow<'a, [EntryId]>,
        config: Config,
        salt: SessionId,
        fixed_salts: bool,
    ) -> Result<Initiator<'a>, ReconcileError> {
        config.validate()?;
        check_len(&ids)?;
        let attempt = Self::make_attempt(&ids, &config, salt);
        let mut me = Initiator {
            ids,
            config,
            fixed_salts,
            attempt_no: 1,
            attempt,
            round_trips: 0,
            cells_sent: 0,
            found: 0,
            collisions: 0,
            outcome: None,
        };
        // Two of our own ids share a short id: pick another salt before
        // sending anything.
        while me.attempt.keyed.collision {
            me.collisions += 1;
            me.restart()?;
        }
        Ok(me)
    }

    fn make_attempt(ids: &[EntryId], config: &Config, session: SessionId) -> Attempt {
        let keyed = Keyed::new(ids, &session, config.short_id_bits);
        let encoder = keyed.encoder();
        Attempt {
            session,
            keyed,
            encoder,
            cells: Vec::new(),
            acked: 0,
            target: config.initial_cells.min(config.max_cells),
            parts: Vec::new(),
            digest: [0; 16],
        }
    }

    /// Starts a new attempt with a new salt, after a collision.
    fn restart(&mut self) -> Result<(), ReconcileError> {
        if self.attempt_no >= self.config.max_attempts {
            return Err(ReconcileError::TooManyAttempts {
                attempts: self.attempt_no,
            });
        }
        let salt = if self.fixed_salts {
            next_salt(&self.attempt.session)
        } else {
            random_salt()?
        };
        self.attempt_no += 1;
        self.attempt = Self::make_attempt(&self.ids, &self.config, salt);
        if self.attempt.keyed.collision {
            self.collisions += 1;
            return self.restart();
        }
        Ok(())
    }

    /// The session of the current attempt.
    pub fn session(&self) -> SessionId {
        self.attempt.session
    }

    /// The frames to send now: coded cells from the last one the responder
    /// acknowledged up to the current target, each frame within
    /// [`Config::max_frame`]. Empty once the outcome is known. Calling it
    /// again without a reply in between sends the same cells again, which is
    /// how to resume after a cut link.
    pub fn flight(&mut self) -> Vec<Message> {
        if self.outcome.is_some() {
            return Vec::new();
        }
        let a = &mut self.attempt;
        let end = u64::from(a.target);
        if a.encoder.produced() < end {
            a.encoder.extend(end, &mut a.cells);
        }
        let per_frame = (self.config.max_frame - CELLS_HEADER) / CELL_BYTES;
        let from = a.acked as usize;
        let to = (a.target as usize).min(a.cells.len());
        let mut out = Vec::new();
        for (k, chunk) in a.cells[from..to].chunks(per_frame).enumerate() {
            out.push(Message::Cells {
                session: a.session,
                start: (from + k * per_frame) as u32,
                cells: chunk.to_vec(),
            });
        }
        self.cells_sent += (to - from) as u64;
        self.round_trips += 1;
        out
    }

    /// Takes the responder's reply flight. Returns `Ok(true)` when the
    /// difference is known and checked ([`Initiator::outcome`]), `Ok(false)`
    /// when another [`Initiator::flight`] must go out. Frames of an earlier
    /// attempt are ignored; a reply without a frame of the current attempt
    /// changes nothing, so the next flight repeats the last.
    pub fn receive(&mut self, replies: &[Message]) -> Result<bool, ReconcileError> {
        if self.outcome.is_some() {
            return Ok(true);
        }
        for msg in replies {
            if msg.session() != self.attempt.session {
                continue;
            }
            match msg {
                Message::Cells { .. } => {
                    return Err(ReconcileError::Unexpected {
                        what: "coded cells",
                        side: "initiator",
                    });
                }
                Message::More {
                    received,
                    want,
                    found,
                    ..
                } => self.on_more(*received, *want, *found)?,
                Message::Done {
                    part,
                    parts,
                    digest,
                    initiator_only,
                    responder_only,
                    ..
                } => {
                    let a = &mut self.attempt;
                    if a.parts.len() != usize::from(*parts) {
                        a.parts = vec![None; usize::from(*parts)];
                    }
                    a.digest = *digest;
                    if let Some(slot) = a.parts.get_mut(usize::from(*part)) {
                        *slot = Some((initiator_only.clone(), responder_only.clone()));
                    }
                    if a.parts.iter().all(Option::is_some) {
                        self.finish()?;
                        if self.outcome.is_some() {
                            return Ok(true);
                        }
                        // A collision: the new attempt's frames follow.
                        break;
                    }
                }
                Message::Reject { reason, .. } => match reason {
                    RejectReason::ShortIdCollision => {
                        self.collisions += 1;
                        self.restart()?;
                        break;
                    }
                    RejectReason::TooManyCells => {
                        return Err(ReconcileError::PeerRefused {
                            max_cells: self.attempt.cells.len() as u64,
                        });
                    }
                },
            }
        }
        Ok(false)
    }

    fn on_more(&mut self, received: u32, want: u32, found: u32) -> Result<(), ReconcileError> {
        let a = &mut self.attempt;
        if received as usize > a.cells.len() {
            return Err(ReconcileError::PeerFault {
                what: "the responder claims cells it was never sent",
            });
        }
        self.found = u64::from(found);
        a.acked = received;
        let max = self.config.max_cells;
        if received >= max {
            return Err(ReconcileError::DifferenceTooLarge { cells: max });
        }
        // Trust the responder's estimate within bounds: always some progress,
        // never more than eight times what it holds in one step.
        let floor = received.saturating_add((received / 8).max(1));
        let ceiling = received.saturating_mul(8).max(self.config.initial_cells);
        // Never below the last target: a responder that lost its state and
        // asks from cell 0 gets back at once what it had.
        a.target = want.clamp(floor, ceiling.max(floor)).max(a.target).min(max);
        Ok(())
    }

    /// All parts of `Done` are in: check the digest, then keep the outcome or
    /// start over with a new salt.
    fn finish(&mut self) -> Result<(), ReconcileError> {
        let a = &mut self.attempt;
        let mut mine: Vec<ShortId> = Vec::new();
        let mut theirs: Vec<ShortId> = Vec::new();
        for (i, t) in a.parts.drain(..).flatten() {
            mine.extend(i);
            theirs.extend(t);
        }
        mine.sort_unstable();
        mine.dedup();
        theirs.sort_unstable();
        theirs.dedup();
        let mut digest = a.keyed.digest;
        let mut have_not_they = Vec::with_capacity(mine.len());
        let mut consistent = true;
        for s in &mine {
            match a.keyed.index(s.0) {
                Some(i) => {
                    let id = self.ids[i as usize];
                    digest = digest.wrapping_sub(a.keyed.keys.hash(&id).1);
                    have_not_they.push(id);
                }
                None => consistent = false,
            }
        }
        if theirs.iter().any(|s| a.keyed.index(s.0).is_some()) {
            consistent = false;
        }
        if consistent && digest.to_le_bytes() == a.digest {
            self.found = (mine.len() + theirs.len()) as u64;
            self.outcome = Some(Outcome {
                have_not_they,
                they_have_i_lack: theirs,
            });
            return Ok(());
        }
        self.collisions += 1;
        self.restart()
    }

    /// The checked difference, once [`Initiator::receive`] returned `true`.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The entry id behind one of our short ids in the current session.
    pub fn lookup(&self, short: ShortId) -> Option<EntryId> {
        let i = self.attempt.keyed.index(short.0)?;
        self.ids.get(i as usize).copied()
    }

    /// The short id of any entry id under the current session's salt.
    pub fn short_id(&self, id: &EntryId) -> ShortId {
        self.attempt.keyed.keys.hash(id).0
    }

    /// How far the exchange has got.
    pub fn progress(&self) -> Progress {
        Progress {
            attempt: self.attempt_no,
            round_trips: self.round_trips,
            cells: self.cells_sent,
            found: self.found,
            collisions: self.collisions,
            done: self.outcome.is_some(),
        }
    }
}

/// The responder's state for one session.
struct Session {
    id: SessionId,
    keyed: Keyed,
    decoder: Decoder,
    rejected: Option<RejectReason>,
    /// The `Done` frames, made once when the difference decoded.
    done: Option<(Outcome, Vec<Message>)>,
}

/// The side that answers: decodes the initiator's cells against its own set
/// and answers each flight with `More`, `Done` or `Reject`.
///
/// It keeps one session at a time: cells starting at 0 under a new session id
/// replace the old one. Keep it across HTTP requests (owned ids give a
/// `Responder<'static>`); if it was lost, a flight that does not start at 0
/// gets `More { received: 0 }` and the initiator sends from the start.
pub struct Responder<'a> {
    ids: Cow<'a, [EntryId]>,
    config: Config,
    session: Option<Session>,
    round_trips: u32,
    sessions: u32,
}

impl<'a> Responder<'a> {
    /// A responder over `ids` (borrowed or owned; duplicates are not allowed).
    pub fn new(
        ids: impl Into<Cow<'a, [EntryId]>>,
        config: Config,
    ) -> Result<Responder<'a>, ReconcileError> {
        let ids = ids.into();
        config.validate()?;
        check_len(&ids)?;
        Ok(Responder {
            ids,
            config,
            session: None,
            round_trips: 0,
            sessions: 0,
        })
    }

    /// Takes one flight from the initiator and returns the reply flight.
    /// Cells already held are skipped, so a repeated flight is harmless; cells
    /// after a gap are dropped and the reply says where to continue. An empty
    /// flight gets an empty reply.
    pub fn receive(&mut self, flight: &[Message]) -> Result<Vec<Message>, ReconcileError> {
        let mut last = None;
        for msg in flight {
            let Message::Cells {
                session,
                start,
                cells,
            } = msg
            else {
                return Err(ReconcileError::Unexpected {
                    what: "a reply frame",
                    side: "responder",
                });
            };
            last = Some(*session);
            let current = self.session.as_ref().map(|s| s.id);
            if current != Some(*session) {
                if *start != 0 {
                    continue;
                }
                self.open(*session);
            }
            if let Some(s) = self.session.as_mut() {
                add_cells(s, *start, cells, self.config.max_cells);
            }
        }
        self.round_trips += 1;
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        let Some(s) = self.session.as_mut().filter(|s| s.id == last) else {
            // A session we do not hold (lost, or replaced): start it over.
            return Ok(vec![Message::More {
                session: last,
                received: 0,
                want: self.config.initial_cells,
                found: 0,
            }]);
        };
        if let Some(reason) = s.rejected {
            return Ok(vec![Message::Reject {
                session: s.id,
                reason,
            }]);
        }
        if s.decoder.is_complete() {
            if s.done.is_none() {
                s.done = Some(done_frames(s, &self.ids, self.config.max_frame)?);
            }
            return Ok(s.done.as_ref().map(|d| d.1.clone()).unwrap_or_default());
        }
        let received = s.decoder.received();
        let want = want_cells(&s.decoder, self.config.max_cells);
        Ok(vec![Message::More {
            session: s.id,
            received: received as u32,
            want,
            found: s.decoder.decoded_len() as u32,
        }])
    }

    fn open(&mut self, id: SessionId) {
        let keyed = Keyed::new(&self.ids, &id, self.config.short_id_bits);
        let rejected = keyed.collision.then_some(RejectReason::ShortIdCollision);
        let decoder = Decoder::new(keyed.keys.clone(), keyed.encoder());
        self.sessions += 1;
        self.session = Some(Session {
            id,
            keyed,
            decoder,
            rejected,
            done: None,
        });
    }

    /// The difference as this side decoded it, once it sent `Done`. The
    /// initiator checks the digest; if it finds a collision it opens a new
    /// session, which replaces this outcome.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.session.as_ref()?.done.as_ref().map(|d| &d.0)
    }

    /// The entry id behind one of our short ids in the current session: how
    /// to answer the initiator's request for the entries it lacks.
    pub fn lookup(&self, short: ShortId) -> Option<EntryId> {
        let s = self.session.as_ref()?;
        let i = s.keyed.index(short.0)?;
        self.ids.get(i as usize).copied()
    }

    /// The short id of any entry id under the current session's salt, if a
    /// session is open.
    pub fn short_id(&self, id: &EntryId) -> Option<ShortId> {
        Some(self.session.as_ref()?.keyed.keys.hash(id).0)
    }

    /// The current session, if any.
    pub fn session(&self) -> Option<SessionId> {
        self.session.as_ref().map(|s| s.id)
    }

    /// How far the exchange has got.
    pub fn progress(&self) -> Progress {
        let s = self.session.as_ref();
        Progress {
            attempt: self.sessions,
            round_trips: self.round_trips,
            cells: s.map_or(0, |s| s.decoder.received()),
            found: s.map_or(0, |s| s.decoder.decoded_len() as u64),
            collisions: 0,
            done: s.is_some_and(|s| s.done.is_some()),
        }
    }
}

fn add_cells(s: &mut Session, start: u32, cells: &[Cell], max_cells: u32) {
    if s.rejected.is_some() || s.decoder.is_complete() {
        return;
    }
    let held = s.decoder.received();
    let start = u64::from(start);
    if start > held {
        return;
    }
    let skip = usize::try_from(held - start).unwrap_or(usize::MAX);
    let Some(new) = cells.get(skip..).filter(|n| !n.is_empty()) else {
        return;
    };
    if held + new.len() as u64 > u64::from(max_cells) {
        s.rejected = Some(RejectReason::TooManyCells);
        return;
    }
    let keyed = &s.keyed;
    s.decoder.add(new, &|short| keyed.index(short).is_some());
}

/// How many cells to ask for: about 1.6 times the estimated difference (the
/// rateless IBLT needs 1.35 to 2 times), growing fourfold while no cell was
/// empty and the estimate has nothing to go on.
fn want_cells(decoder: &Decoder, max_cells: u32) -> u32 {
    let m = decoder.received();
    let by_estimate = match decoder.estimate() {
        Some(d) => {
            let d = d.max(decoder.decoded_len() as f64);
            (1.6 * d).ceil() as u64 + 16
        }
        None => m.saturating_mul(4),
    };
    let want = by_estimate.max(m + (m / 8).max(8));
    want.min(u64::from(max_cells)) as u32
}

fn done_frames(
    s: &Session,
    ids: &[EntryId],
    max_frame: usize,
) -> Result<(Outcome, Vec<Message>), ReconcileError> {
    let mut theirs: Vec<ShortId> = Vec::new();
    let mut mine: Vec<ShortId> = Vec::new();
    for (short, side) in s.decoder.decoded() {
        match side {
            Side::Remote => theirs.push(ShortId(short)),
            Side::Local => mine.push(ShortId(short)),
        }
    }
    theirs.sort_unstable();
    mine.sort_unstable();
    let mut digest = s.keyed.digest;
    let mut have_not_they = Vec::with_capacity(mine.len());
    for m in &mine {
        if let Some(id) = s.keyed.index(m.0).and_then(|i| ids.get(i as usize)) {
            digest = digest.wrapping_sub(s.keyed.keys.hash(id).1);
            have_not_they.push(*id);
        }
    }
    let per_part = (max_frame - DONE_HEADER) / 8;
    let total = theirs.len() + mine.len();
    let parts = total.div_ceil(per_part).max(1);
    let parts16 = u16::try_from(parts).map_err(|_| ReconcileError::DifferenceTooLarge {
        cells: s.decoder.received() as u32,
    })?;
    // The initiator's ids first, then ours, cut into parts in that order.
    let all: Vec<(bool, ShortId)> = theirs
        .iter()
        .map(|s| (true, *s))
        .chain(mine.iter().map(|s| (false, *s)))
        .collect();
    let mut frames = Vec::with_capacity(parts);
    for p in 0..parts {
        let lo = (p * per_part).min(all.len());
        let hi = ((p + 1) * per_part).min(all.len());
        let chunk = &all[lo..hi];
        frames.push(Message::Done {
            session: s.id,
            received: s.decoder.received() as u32,
            part: p as u16,
            parts: parts16,
            digest: digest.to_le_bytes(),
            initiator_only: chunk.iter().filter(|c| c.0).map(|c| c.1).collect(),
            responder_only: chunk.iter().filter(|c| !c.0).map(|c| c.1).collect(),
        });
    }
    Ok((
        Outcome {
            have_not_they,
            they_have_i_lack: theirs,
        },
        frames,
    ))
}
