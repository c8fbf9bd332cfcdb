//! Set reconciliation for live sync: which entries each side lacks, in few bytes.
//!
//! Two nodes each hold a set of [`EntryId`]s (16-byte keyed hashes, so uniform
//! and unguessable). After the exchange each side knows which of its ids the
//! other lacks ([`Outcome::have_not_they`], full ids) and which ids the other
//! has that it lacks ([`Outcome::they_have_i_lack`], short ids: the side that
//! holds them turns them back into entry ids with `lookup`). Entries themselves
//! travel outside this module. Sans-IO: the caller carries [`Message`]s.
//!
//! ```
//! use gavah_sync::reconcile::{
//!     Config, EntryId, Initiator, Responder, decode_flight, encode_flight,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ours = vec![EntryId([1; 16]), EntryId([2; 16])];
//! let theirs = vec![EntryId([2; 16]), EntryId([3; 16])];
//! let config = Config::default();
//! let mut initiator = Initiator::new(&ours[..], config.clone())?;
//! let mut responder = Responder::new(&theirs[..], config.clone())?; // on the peer
//! loop {
//!     // One round trip: an HTTP request body out, the response body back.
//!     let request = encode_flight(&initiator.flight());
//!     let flight = decode_flight(&request, config.max_frame, 1024)?; // on the peer
//!     let response = encode_flight(&responder.receive(&flight)?); // on the peer
//!     let reply = decode_flight(&response, config.max_frame, 1024)?;
//!     if initiator.receive(&reply)? {
//!         break;
//!     }
//! }
//! let outcome = initiator.outcome().ok_or("not done")?;
//! assert_eq!(outcome.have_not_they, vec![EntryId([1; 16])]);
//! // The responder turns the short ids we ask for back into its entry ids.
//! let wanted: Vec<EntryId> =
//!     outcome.they_have_i_lack.iter().filter_map(|s| responder.lookup(*s)).collect();
//! assert_eq!(wanted, vec![EntryId([3; 16])]);
//! # Ok(())
//! # }
//! ```
//!
//! # Design: a rateless IBLT over salted 64-bit short ids
//!
//! The [`Initiator`] draws a random 16-byte salt per session (the
//! [`SessionId`]). Both sides map every id to a 64-bit *short id*, the first 8
//! bytes of BLAKE3 keyed with a key derived from the salt; bytes 8..24 of the
//! same hash are the id's term in a set digest. A fresh salt per session means
//! nobody can build ids whose short ids collide, and short ids from two
//! sessions cannot be linked to each other.
//!
//! The initiator codes its short ids into an endless sequence of cells, a
//! *rateless invertible Bloom lookup table* (Yang, Gilad, Alizadeh, "Practical
//! Rateless Set Reconciliation", SIGCOMM 2024): each short id goes into cell
//! `j` with probability `2/(j+2)`, and a cell holds the XOR of its short ids,
//! the XOR of their 32-bit checksums and their count modulo 256. The
//! [`Responder`] codes its own set into the same cells, subtracts, and peels:
//! a cell left with one id (count ±1, checksum matching, the id's own cell
//! sequence passing through that cell, and the id in the responder's set
//! exactly when the count says it is the responder's) yields that id, which
//! is removed from all its other cells. Those extra checks are what let a
//! cell carry only a 32-bit checksum and a one-byte count. A difference of `d` ids decodes from about
//! 1.35·d to 2·d cells (more for small `d`), *whatever the set sizes*, so the
//! bytes grow with `d` alone: 13 bytes a cell plus 8 bytes a difference to
//! report it back. Cells stream in flights; the responder asks for more,
//! estimating `d` from the cells that came out empty, until everything peels.
//! A flight that holds enough cells is answered with the difference at once:
//! identical sets and small differences finish in one round trip.
//!
//! Why not the alternatives: range-based reconciliation (Negentropy) spends
//! a thousand bytes or more per difference on range fingerprints and 32-byte
//! ids (measured beside ours in `benches/reconcile.rs`: about 40 times our
//! bytes on a million ids, see docs/BENCHMARKS.md), its round trips growing
//! with the set size; a strata estimator plus a fixed IBLT spends a round
//! trip and a few kilobytes estimating `d`, then over-provisions the table for
//! the estimate's error. The rateless table needs neither.
//!
//! Collisions: two of one side's own ids with the same short id are seen when
//! hashing (the initiator picks a new salt; the responder answers `Reject`). A
//! short id shared by an initiator-only and a responder-only id cancels out in
//! the cells and would go unseen; the digest catches it: the responder sends
//! the digest of its set without the ids only it has, the initiator compares it
//! with the digest of its set without the ids only it has, and on a mismatch
//! starts over with a new salt (up to [`Config::max_attempts`]).
//!
//! # Wire format (version 1)
//!
//! A *frame* is one [`Message`]; all integers little-endian; every frame
//! starts with:
//!
//! | bytes | field |
//! |---|---|
//! | 0 | wire version, `1` |
//! | 1 | kind: `1` Cells, `2` More, `3` Done, `4` Reject |
//! | 2..18 | session id (the initiator's salt) |
//!
//! then, by kind:
//!
//! - **Cells** (initiator → responder): `start: u32`, `n: u32`, then `n` cells
//!   of 13 bytes: `sum: u64`, `check: u32`, `count: u8`. Frame length is
//!   exactly `26 + 13·n`.
//! - **More** (responder → initiator): `received: u32`, `want: u32`,
//!   `found: u32`. Length 30.
//! - **Done** (responder → initiator): `received: u32`, `part: u16`,
//!   `parts: u16` (`part < parts`), `digest: [u8; 16]` (a `u128`),
//!   `a: u32`, `b: u32`, then `a` initiator-only short ids and `b`
//!   responder-only short ids, each a `u64`, each list strictly ascending.
//!   Length exactly `50 + 8·(a + b)`.
//! - **Reject** (responder → initiator): `reason: u8`, `1` short-id collision
//!   in the responder's set, `2` too many cells. Length 19.
//!
//! Decoding is strict: unknown version, kind or reason, a length that
//! disagrees with the fields, trailing bytes, unordered or repeated short ids
//! and frames over [`Config::max_frame`] (default 64 KiB) are refused, so
//! every accepted frame re-encodes to the same bytes. A *flight* (what one
//! HTTP body carries) is a sequence of frames, each prefixed by its length as
//! a `u32` ([`encode_flight`], [`decode_flight`]).
//!
//! The short-id hash is BLAKE3 keyed with
//! `derive_key("gavah-sync reconcile v1 2026-11-23 short ids", salt)`; the
//! checksum and cell-sequence keys and the sequence generator itself are in
//! `sketch.rs`. Changing any of them is a new wire version.
//!
//! # Resuming
//!
//! Every flight names its session and the index of its first cell; the
//! responder keeps the cells it holds and answers with how many that is. After
//! a cut link the initiator calls [`Initiator::flight`] again, which sends
//! from the last cell the responder acknowledged: a lost request is sent
//! again, a lost reply is answered again (cells already held are skipped). A
//! responder that lost its state answers `More { received: 0 }` and gets the
//! cells from the start, under the same salt: cheap, since the cells are a
//! few bytes per difference. An initiator that lost its state starts a new
//! session, which replaces the responder's.
//!
//! # Progress
//!
//! [`Initiator::progress`] and [`Responder::progress`] report the attempt,
//! the round trips, the cells sent or received, and the differences decoded
//! so far (the responder reports the count in every `More`).

mod protocol;
mod sketch;
mod wire;

pub mod fuzz;

pub use gavah_core::EntryId;
pub use protocol::{Initiator, Responder};
pub use sketch::Cell;
pub use wire::{
    CELL_BYTES, FLIGHT_FRAME_OVERHEAD, Message, RejectReason, SessionId, WIRE_VERSION, WireError,
    decode_flight, encode_flight,
};

/// A 64-bit short id of an entry id under one session's salt. Meaningless
/// outside its session: map it back with [`Initiator::lookup`] or
/// [`Responder::lookup`] on the side that holds the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShortId(pub u64);

/// What one side learnt from a finished exchange.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Our ids the other side lacks: the entries to send it.
    pub have_not_they: Vec<EntryId>,
    /// Short ids of the other side's ids we lack, ascending: ask the other
    /// side for them; it maps them back with `lookup` in the same session.
    pub they_have_i_lack: Vec<ShortId>,
}

/// How far an exchange has got, for a progress display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Attempt number (a new salt after a collision), from 1; for the
    /// responder, the sessions it opened.
    pub attempt: u32,
    /// Flights sent (initiator) or received (responder).
    pub round_trips: u32,
    /// Coded cells sent, repeats included (initiator) or held (responder).
    pub cells: u64,
    /// Differences decoded so far.
    pub found: u64,
    /// Short-id collisions detected (initiator only).
    pub collisions: u32,
    /// True once the difference is known.
    pub done: bool,
}

/// Limits and tuning of an exchange. Both sides should use the same
/// `max_frame` and `short_id_bits`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest frame, in bytes, either side sends or accepts; from 256 to
    /// 16 MiB. Default 64 KiB.
    pub max_frame: usize,
    /// Cells in the first flight: enough for a difference of about 30 in one
    /// round trip. Default 64.
    pub initial_cells: u32,
    /// Most cells one session may use (16 bytes of memory each on the
    /// responder); past it the sets differ too much for reconciliation to pay.
    /// Default 4,194,304 (differences up to about 2.5 million).
    pub max_cells: u32,
    /// Attempts (salts) before giving up on repeated short-id collisions.
    /// Default 4.
    pub max_attempts: u32,
    /// Test hook: keep only this many low bits of each short id, to force
    /// collisions. Always 64 outside tests; both sides must agree.
    #[doc(hidden)]
    pub short_id_bits: u8,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_frame: 64 * 1024,
            initial_cells: 64,
            max_cells: 1 << 22,
            max_attempts: 4,
            short_id_bits: 64,
        }
    }
}

impl Config {
    fn validate(&self) -> Result<(), ReconcileError> {
        let bad = |what: &'static str| Err(ReconcileError::Config { what });
        if !(256..=16 << 20).contains(&self.max_frame) {
            return bad("max_frame must be from 256 bytes to 16 MiB");
        }
        if self.initial_cells == 0 || self.initial_cells > self.max_cells {
            return bad("initial_cells must be at least 1 and at most max_cells");
        }
        if self.max_attempts == 0 {
            return bad("max_attempts must be at least 1");
        }
        if !(1..=64).contains(&self.short_id_bits) {
            return bad("short_id_bits must be from 1 to 64");
        }
        Ok(())
    }
}

/// Why an exchange cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    #[error("reconciliation settings are invalid: {what}")]
    Config { what: &'static str },
    #[error("{len} ids are more than reconciliation handles (2^32 - 1): split the set")]
    TooManyIds { len: usize },
    #[error("cannot draw a random session salt: {0}")]
    Random(String),
    #[error(
        "the {side} received {what}, which only it sends: the peer is faulty or not a Gavah node"
    )]
    Unexpected {
        what: &'static str,
        side: &'static str,
    },
    #[error("the peer broke the protocol ({what}): try again, and report it if it repeats")]
    PeerFault { what: &'static str },
    #[error(
        "short ids collided in {attempts} attempts in a row: the peer may be faulty or hostile; try again later"
    )]
    TooManyAttempts { attempts: u32 },
    #[error(
        "the sets still differ after {cells} cells: they differ too much for reconciliation, send a full bundle instead"
    )]
    DifferenceTooLarge { cells: u32 },
    #[error(
        "the peer refused more cells after {max_cells}: the sets differ too much for it, send a full bundle instead"
    )]
    PeerRefused { max_cells: u64 },
}

impl ReconcileError {
    /// True when trying the same exchange again cannot help.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ReconcileError::Config { .. }
                | ReconcileError::TooManyIds { .. }
                | ReconcileError::DifferenceTooLarge { .. }
                | ReconcileError::PeerRefused { .. }
        )
    }
}

#[cfg(test)]
mod tests;
