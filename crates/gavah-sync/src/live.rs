//! Live sync messages: what one node asks of another over a live link, and
//! the answers. Each message travels as the ack bytes of a sealed bundle (see
//! [`crate::bundle`]): encrypted to the recipient, signed by the sender, so a
//! live link gets the bundles' mutual authentication and secrecy; entries
//! travel as the bundle's signed entries.
//!
//! A sync is: [`Request::Reconcile`] round trips (set reconciliation flights,
//! [`crate::reconcile`]) until the initiator knows the difference, then
//! [`Request::Push`] of the entries the responder lacks and
//! [`Request::Fetch`] of those the initiator lacks, in bounded batches. Every
//! batch commits on its own, so a cut link loses only the batch in flight,
//! and the next sync reconciles again and moves only what is still missing.
//!
//! Encoding, version 1 (integers little-endian):
//!
//! | message | bytes |
//! |---|---|
//! | request | version 1 ‖ kind ‖ 16-byte sync token ‖ body |
//! | Reconcile (kind 1) | a flight as [`crate::reconcile::encode_flight`] writes it |
//! | Fetch (kind 2) | count `n` (u32) ‖ `n` short ids (u64), ascending |
//! | Push (kind 3) | nothing: the entries are the bundle's |
//! | Finish (kind 4) | nothing |
//! | reply | version 1 ‖ kind ‖ body |
//! | Reconcile (kind 1) | a flight |
//! | Entries (kind 2) | count of short ids not found (u32): the entries are the bundle's |
//! | Pushed (kind 3) | merged, held, quarantined, refused (4 × u32) |
//! | Refused (kind 4) | a reason in UTF-8, at most 1,024 bytes |
//! | Finished (kind 5) | nothing |
//!
//! Nothing may follow a message.

const VERSION: u8 = 1;
/// Longest reason a [`Reply::Refused`] carries.
pub const MAX_REASON: usize = 1024;

/// What the initiator of a live sync asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A reconciliation flight.
    Reconcile { token: [u8; 16], flight: Vec<u8> },
    /// The entries behind these short ids (from the reconciliation's outcome).
    Fetch {
        token: [u8; 16],
        short_ids: Vec<u64>,
    },
    /// Merge the bundle's entries.
    Push { token: [u8; 16] },
    /// The sync is over: the responder may now do what it deferred (linking
    /// the people again once, not after every batch).
    Finish { token: [u8; 16] },
}

/// What the responder answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Reconcile {
        flight: Vec<u8>,
    },
    /// The bundle holds the entries asked for; `missing` were not found.
    Entries {
        missing: u32,
    },
    /// What merging the pushed entries did.
    Pushed {
        merged: u32,
        held: u32,
        quarantined: u32,
        rejected: u32,
    },
    /// The request was not carried out, and why.
    Refused {
        reason: String,
    },
    /// The sync is over on the responder's side too.
    Finished,
}

/// Why bytes are not a live sync message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    #[error("the live sync message is cut short")]
    Truncated,
    #[error("live sync message version {0}; this version of Gavah speaks version 1")]
    Version(u8),
    #[error("unknown live sync message kind {0}")]
    Kind(u8),
    #[error("the live sync message's short ids are not strictly ascending")]
    Unordered,
    #[error("the live sync message has {0} bytes after its end")]
    Trailing(usize),
    #[error("the live sync refusal is not UTF-8 text of at most 1,024 bytes")]
    Reason,
}

fn take<const N: usize>(src: &mut &[u8]) -> Result<[u8; N], LiveError> {
    let (head, rest) = src.split_first_chunk::<N>().ok_or(LiveError::Truncated)?;
    *src = rest;
    Ok(*head)
}

fn u32_of(src: &mut &[u8]) -> Result<u32, LiveError> {
    Ok(u32::from_le_bytes(take::<4>(src)?))
}

fn end(src: &[u8]) -> Result<(), LiveError> {
    if src.is_empty() {
        Ok(())
    } else {
        Err(LiveError::Trailing(src.len()))
    }
}

fn header(src: &mut &[u8]) -> Result<u8, LiveError> {
    let [version, kind] = take::<2>(src)?;
    if version != VERSION {
        return Err(LiveError::Version(version));
    }
    Ok(kind)
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let (kind, token) = match self {
            Request::Reconcile { token, .. } => (1, token),
            Request::Fetch { token, .. } => (2, token),
            Request::Push { token } => (3, token),
            Request::Finish { token } => (4, token),
        };
        let mut out = vec![VERSION, kind];
        out.extend_from_slice(token);
        match self {
            Request::Reconcile { flight, .. } => out.extend_from_slice(flight),
            Request::Fetch { short_ids, .. } => {
                out.extend_from_slice(&len32(short_ids.len()).to_le_bytes());
                for s in short_ids {
                    out.extend_from_slice(&s.to_le_bytes());
                }
            }
            Request::Push { .. } | Request::Finish { .. } => {}
        }
        out
    }

    /// # Errors
    /// A [`LiveError`] saying what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Request, LiveError> {
        let mut src = bytes;
        let kind = header(&mut src)?;
        let token = take::<16>(&mut src)?;
        match kind {
            1 => Ok(Request::Reconcile {
                token,
                flight: src.to_vec(),
            }),
            2 => {
                let n = u32_of(&mut src)? as usize;
                if n.saturating_mul(8) != src.len() {
                    return Err(if n.saturating_mul(8) > src.len() {
                        LiveError::Truncated
                    } else {
                        LiveError::Trailing(src.len() - n * 8)
                    });
                }
                let mut short_ids = Vec::with_capacity(n);
                for _ in 0..n {
                    let s = u64::from_le_bytes(take::<8>(&mut src)?);
                    if short_ids.last().is_some_and(|&last| last >= s) {
                        return Err(LiveError::Unordered);
                    }
                    short_ids.push(s);
                }
                Ok(Request::Fetch { token, short_ids })
            }
            3 => {
                end(src)?;
                Ok(Request::Push { token })
            }
            4 => {
                end(src)?;
                Ok(Request::Finish { token })
            }
            k => Err(LiveError::Kind(k)),
        }
    }
}

impl Reply {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
        match self {
            Reply::Reconcile { flight } => {
                out.push(1);
                out.extend_from_slice(flight);
            }
            Reply::Entries { missing } => {
                out.push(2);
                out.extend_from_slice(&missing.to_le_bytes());
            }
            Reply::Pushed {
                merged,
                held,
                quarantined,
                rejected,
            } => {
                out.push(3);
                for v in [merged, held, quarantined, rejected] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Reply::Refused { reason } => {
                out.push(4);
                let mut cut = reason.len().min(MAX_REASON);
                while !reason.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.extend_from_slice(&reason.as_bytes()[..cut]);
            }
            Reply::Finished => out.push(5),
        }
        out
    }

    /// # Errors
    /// A [`LiveError`] saying what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Reply, LiveError> {
        let mut src = bytes;
        match header(&mut src)? {
            1 => Ok(Reply::Reconcile {
                flight: src.to_vec(),
            }),
            2 => {
                let missing = u32_of(&mut src)?;
                end(src)?;
                Ok(Reply::Entries { missing })
            }
            3 => {
                let merged = u32_of(&mut src)?;
                let held = u32_of(&mut src)?;
                let quarantined = u32_of(&mut src)?;
                let rejected = u32_of(&mut src)?;
                end(src)?;
                Ok(Reply::Pushed {
                    merged,
                    held,
                    quarantined,
                    rejected,
                })
            }
            4 => {
                if src.len() > MAX_REASON {
                    return Err(LiveError::Reason);
                }
                let reason = std::str::from_utf8(src).map_err(|_| LiveError::Reason)?;
                Ok(Reply::Refused {
                    reason: reason.to_string(),
                })
            }
            5 => {
                end(src)?;
                Ok(Reply::Finished)
            }
            k => Err(LiveError::Kind(k)),
        }
    }
}

fn len32(n: usize) -> u32 {
    // Callers batch far below 2^32 items.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Feeds `data` to both parsers; whatever they accept re-encodes to `data`.
///
/// # Panics
/// When a parser panics or a round trip fails (what fuzzing looks for).
pub fn fuzz_check(data: &[u8]) {
    if let Ok(r) = Request::decode(data) {
        assert_eq!(r.encode(), data, "request round trip");
    }
    if let Ok(r) = Reply::decode(data) {
        assert_eq!(r.encode(), data, "reply round trip");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_message_round_trips_and_every_cut_is_refused() {
        let token = [9; 16];
        let requests = [
            Request::Reconcile {
                token,
                flight: vec![1, 2, 3],
            },
            Request::Fetch {
                token,
                short_ids: vec![1, 5, u64::MAX],
            },
            Request::Push { token },
            Request::Finish { token },
        ];
        for r in &requests {
            let bytes = r.encode();
            assert_eq!(&Request::decode(&bytes).unwrap(), r);
            fuzz_check(&bytes);
        }
        let replies = [
            Reply::Reconcile { flight: vec![7] },
            Reply::Entries { missing: 2 },
            Reply::Pushed {
                merged: 1,
                held: 2,
                quarantined: 3,
                rejected: 4,
            },
            Reply::Refused {
                reason: "session expired".into(),
            },
            Reply::Finished,
        ];
        for r in &replies {
            let bytes = r.encode();
            assert_eq!(&Reply::decode(&bytes).unwrap(), r);
            fuzz_check(&bytes);
        }
        let fetch = requests[1].encode();
        for cut in 0..fetch.len() {
            assert!(Request::decode(&fetch[..cut]).is_err(), "cut at {cut}");
        }
        let unordered = Request::Fetch {
            token,
            short_ids: vec![5, 5],
        }
        .encode();
        assert_eq!(Request::decode(&unordered), Err(LiveError::Unordered));
        assert_eq!(Reply::decode(&[2, 1]), Err(LiveError::Version(2)));
    }
}
