//! The reconciliation messages and their strict binary encoding (layout in the
//! module documentation of [`crate::reconcile`]).

use super::ShortId;
use super::sketch::Cell;

/// Wire version of every frame; a frame of another version is refused.
pub const WIRE_VERSION: u8 = 1;

const KIND_CELLS: u8 = 1;
const KIND_MORE: u8 = 2;
const KIND_DONE: u8 = 3;
const KIND_REJECT: u8 = 4;

/// Bytes before a kind's fields: version, kind, session.
const HEADER: usize = 18;
/// Bytes of a `Cells` frame before its cells.
pub(crate) const CELLS_HEADER: usize = HEADER + 8;
/// Bytes of one coded cell on the wire.
pub const CELL_BYTES: usize = 13;
const MORE_LEN: usize = HEADER + 12;
/// Bytes of a `Done` frame before its short ids.
pub(crate) const DONE_HEADER: usize = HEADER + 32;
const REJECT_LEN: usize = HEADER + 1;

/// Names one reconciliation attempt: the initiator's random salt, from which
/// both sides derive the short-id keys. A new attempt has a new salt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionId(pub [u8; 16]);

/// Why a responder refused a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// Two of the responder's ids share a short id under this salt: the
    /// initiator must start again with a new salt.
    ShortIdCollision,
    /// The initiator sent more cells than the responder accepts
    /// ([`super::Config::max_cells`]): the sets differ too much for this
    /// protocol, send whole lists instead.
    TooManyCells,
}

impl RejectReason {
    fn code(self) -> u8 {
        match self {
            RejectReason::ShortIdCollision => 1,
            RejectReason::TooManyCells => 2,
        }
    }
}

/// One frame of the protocol. The initiator sends `Cells`; the responder
/// answers each flight with one `More`, the parts of a `Done`, or a `Reject`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Coded cells `start .. start + cells.len()` of the initiator's set.
    /// `start == 0` opens the session on the responder.
    Cells {
        session: SessionId,
        start: u32,
        cells: Vec<Cell>,
    },
    /// The responder holds cells `0 .. received`, has not decoded the
    /// difference yet, and asks for cells up to `want` in the next flight;
    /// `found` differences are decoded so far.
    More {
        session: SessionId,
        received: u32,
        want: u32,
        found: u32,
    },
    /// Part `part` of `parts` of the decoded difference. Each part repeats
    /// `received` and `digest`; the short ids are split among the parts.
    Done {
        session: SessionId,
        received: u32,
        part: u16,
        parts: u16,
        /// The responder's digest of the ids both sides hold (its own set
        /// without `responder_only`); the initiator checks it against its set
        /// without `initiator_only`, which catches short-id collisions.
        digest: [u8; 16],
        /// Short ids the initiator has and the responder lacks, ascending.
        initiator_only: Vec<ShortId>,
        /// Short ids the responder has and the initiator lacks, ascending.
        responder_only: Vec<ShortId>,
    },
    /// The responder refuses this session.
    Reject {
        session: SessionId,
        reason: RejectReason,
    },
}

/// A frame that is not a valid reconciliation message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    #[error(
        "sync message of {len} bytes exceeds the {max}-byte frame limit: the peer sends frames larger than this node accepts"
    )]
    TooLong { len: usize, max: usize },
    #[error("sync message of {len} bytes is shorter than its {need}-byte header: it was cut off")]
    TooShort { len: usize, need: usize },
    #[error(
        "sync message has wire version {0}, this node speaks version 1: upgrade the older node"
    )]
    Version(u8),
    #[error("sync message has unknown kind {0}: the frame is corrupt or from a newer version")]
    Kind(u8),
    #[error(
        "sync message of kind {kind} is {found} bytes, its fields say {expected}: the frame is corrupt or cut off"
    )]
    Length {
        kind: u8,
        expected: usize,
        found: usize,
    },
    #[error("sync message lists short ids out of order or twice: the frame is corrupt")]
    NotAscending,
    #[error("sync message is part {part} of {parts}: the frame is corrupt")]
    Part { part: u16, parts: u16 },
    #[error(
        "sync message has unknown reject reason {0}: the frame is corrupt or from a newer version"
    )]
    Reason(u8),
    #[error("sync flight ends inside a frame at byte {at}: the body was cut off")]
    FlightCut { at: usize },
    #[error("sync flight holds more than {max} frames: the peer sends more than this node accepts")]
    TooManyFrames { max: usize },
}

/// Bytes a frame costs inside a flight: a 4-byte length, then the frame.
pub const FLIGHT_FRAME_OVERHEAD: usize = 4;

/// Joins frames into one body (an HTTP request or response): each frame as a
/// little-endian `u32` length followed by its bytes.
pub fn encode_flight(frames: &[Message]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        let bytes = f.encode();
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// Splits a body made by [`encode_flight`] and decodes every frame, refusing
/// more than `max_frames` frames or any frame over `max_frame` bytes.
pub fn decode_flight(
    body: &[u8],
    max_frame: usize,
    max_frames: usize,
) -> Result<Vec<Message>, WireError> {
    let mut out = Vec::new();
    let mut r = Reader { bytes: body, at: 0 };
    while r.at < body.len() {
        if out.len() >= max_frames {
            return Err(WireError::TooManyFrames { max: max_frames });
        }
        let at = r.at;
        let len = r.u32().ok_or(WireError::FlightCut { at })? as usize;
        if len > max_frame {
            return Err(WireError::TooLong {
                len,
                max: max_frame,
            });
        }
        let frame = r.take(len).ok_or(WireError::FlightCut { at })?;
        out.push(Message::decode(frame, max_frame)?);
    }
    Ok(out)
}

impl Message {
    /// The session the frame belongs to.
    pub fn session(&self) -> SessionId {
        match self {
            Message::Cells { session, .. }
            | Message::More { session, .. }
            | Message::Done { session, .. }
            | Message::Reject { session, .. } => *session,
        }
    }

    /// The frame's bytes. The state machines never build a frame larger than
    /// their [`super::Config::max_frame`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(WIRE_VERSION);
        match self {
            Message::Cells {
                session,
                start,
                cells,
            } => {
                out.push(KIND_CELLS);
                out.extend_from_slice(&session.0);
                out.extend_from_slice(&start.to_le_bytes());
                out.extend_from_slice(&(cells.len() as u32).to_le_bytes());
                for c in cells {
                    out.extend_from_slice(&c.sum.to_le_bytes());
                    out.extend_from_slice(&c.check.to_le_bytes());
                    out.push(c.count);
                }
            }
            Message::More {
                session,
                received,
                want,
                found,
            } => {
                out.push(KIND_MORE);
                out.extend_from_slice(&session.0);
                out.extend_from_slice(&received.to_le_bytes());
                out.extend_from_slice(&want.to_le_bytes());
                out.extend_from_slice(&found.to_le_bytes());
            }
            Message::Done {
                session,
                received,
                part,
                parts,
                digest,
                initiator_only,
                responder_only,
            } => {
                out.push(KIND_DONE);
                out.extend_from_slice(&session.0);
                out.extend_from_slice(&received.to_le_bytes());
                out.extend_from_slice(&part.to_le_bytes());
                out.extend_from_slice(&parts.to_le_bytes());
                out.extend_from_slice(digest);
                out.extend_from_slice(&(initiator_only.len() as u32).to_le_bytes());
                out.extend_from_slice(&(responder_only.len() as u32).to_le_bytes());
                for s in initiator_only.iter().chain(responder_only) {
                    out.extend_from_slice(&s.0.to_le_bytes());
                }
            }
            Message::Reject { session, reason } => {
                out.push(KIND_REJECT);
                out.extend_from_slice(&session.0);
                out.push(reason.code());
            }
        }
        out
    }

    /// The length of [`Message::encode`]'s output, without encoding.
    pub fn encoded_len(&self) -> usize {
        match self {
            Message::Cells { cells, .. } => CELLS_HEADER + CELL_BYTES * cells.len(),
            Message::More { .. } => MORE_LEN,
            Message::Done {
                initiator_only,
                responder_only,
                ..
            } => DONE_HEADER + 8 * (initiator_only.len() + responder_only.len()),
            Message::Reject { .. } => REJECT_LEN,
        }
    }

    /// Reads one frame, refusing anything longer than `max_frame`, any
    /// unknown version, kind or reason, a length that disagrees with the
    /// fields, trailing bytes, and short-id lists not strictly ascending.
    /// Every valid frame re-encodes to exactly its input. Never panics.
    pub fn decode(bytes: &[u8], max_frame: usize) -> Result<Message, WireError> {
        if bytes.len() > max_frame {
            return Err(WireError::TooLong {
                len: bytes.len(),
                max: max_frame,
            });
        }
        let mut r = Reader { bytes, at: 0 };
        let (Some(version), Some(kind), Some(session)) = (r.u8(), r.u8(), r.array::<16>()) else {
            return Err(WireError::TooShort {
                len: bytes.len(),
                need: HEADER,
            });
        };
        if version != WIRE_VERSION {
            return Err(WireError::Version(version));
        }
        let session = SessionId(session);
        let too_short = |need| WireError::TooShort {
            len: bytes.len(),
            need,
        };
        let length = |expected: usize| {
            if bytes.len() == expected {
                Ok(())
            } else {
                Err(WireError::Length {
                    kind,
                    expected,
                    found: bytes.len(),
                })
            }
        };
        match kind {
            KIND_CELLS => {
                let (Some(start), Some(n)) = (r.u32(), r.u32()) else {
                    return Err(too_short(CELLS_HEADER));
                };
                let expected = (n as usize)
                    .checked_mul(CELL_BYTES)
                    .and_then(|b| b.checked_add(CELLS_HEADER))
                    .unwrap_or(usize::MAX);
                length(expected)?;
                let mut cells = Vec::with_capacity(n as usize);
                for chunk in bytes[CELLS_HEADER..].chunks_exact(CELL_BYTES) {
                    let mut c = Reader {
                        bytes: chunk,
                        at: 0,
                    };
                    if let (Some(sum), Some(check), Some(count)) = (c.u64(), c.u32(), c.u8()) {
                        cells.push(Cell { sum, check, count });
                    }
                }
                Ok(Message::Cells {
                    session,
                    start,
                    cells,
                })
            }
            KIND_MORE => {
                length(MORE_LEN)?;
                let (Some(received), Some(want), Some(found)) = (r.u32(), r.u32(), r.u32()) else {
                    return Err(too_short(MORE_LEN));
                };
                Ok(Message::More {
                    session,
                    received,
                    want,
                    found,
                })
            }
            KIND_DONE => {
                let (Some(received), Some(part), Some(parts), Some(digest), Some(na), Some(nb)) =
                    (r.u32(), r.u16(), r.u16(), r.array::<16>(), r.u32(), r.u32())
                else {
                    return Err(too_short(DONE_HEADER));
                };
                let expected = (na as usize)
                    .checked_add(nb as usize)
                    .and_then(|n| n.checked_mul(8))
                    .and_then(|b| b.checked_add(DONE_HEADER))
                    .unwrap_or(usize::MAX);
                length(expected)?;
                if parts == 0 || part >= parts {
                    return Err(WireError::Part { part, parts });
                }
                let initiator_only = r.ascending(na as usize)?;
                let responder_only = r.ascending(nb as usize)?;
                Ok(Message::Done {
                    session,
                    received,
                    part,
                    parts,
                    digest,
                    initiator_only,
                    responder_only,
                })
            }
            KIND_REJECT => {
                length(REJECT_LEN)?;
                let reason = match r.u8() {
                    Some(1) => RejectReason::ShortIdCollision,
                    Some(2) => RejectReason::TooManyCells,
                    Some(other) => return Err(WireError::Reason(other)),
                    None => return Err(too_short(REJECT_LEN)),
                };
                Ok(Message::Reject { session, reason })
            }
            other => Err(WireError::Kind(other)),
        }
    }
}

/// Reads little-endian fields; every read checks the length first.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let end = self.at.checked_add(N)?;
        let slice = self.bytes.get(self.at..end)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        self.at = end;
        Some(out)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// `n` short ids, strictly ascending. The caller checked the length.
    fn ascending(&mut self, n: usize) -> Result<Vec<ShortId>, WireError> {
        let mut out: Vec<ShortId> = Vec::with_capacity(n);
        for _ in 0..n {
            let Some(v) = self.u64() else {
                return Err(WireError::NotAscending);
            };
            if out.last().is_some_and(|last| last.0 >= v) {
                return Err(WireError::NotAscending);
            }
            out.push(ShortId(v));
        }
        Ok(out)
    }
}
