//! The entry log's wire format, version 1: what one entry says, its canonical
//! bytes, how its id is made, and the hybrid logical clock that orders entries.
//!
//! Every change in Gavah (a source declared, an imported row, a figure, a claim
//! and its status changes; later link decisions and verifications) is one
//! immutable [`Entry`]. The store's tables are projections of the set of entries,
//! and later issues ship entries between nodes (bundles, live sync) and sign
//! their canonical bytes. This crate is that promise: change it only by adding a
//! new format version, and keep `tests/golden.rs` passing.
//!
//! Architecture invariant: an entry id is BLAKE3 *keyed with the team key* over
//! the entry's identity, never a plain hash of its content, so a copy of the log
//! does not let its holder confirm a guessed name, date and city by hashing them.

mod body;
mod clock;
mod id;
mod stored;

pub use body::*;
pub use clock::Hlc;
pub use id::{KeyedHasher, TeamKey, TeamKeyError};
pub use stored::{COMPACT_REPORT, StoredError};

use gavah_core::{EntryId, NodeId};

/// The format version written in every entry's canonical bytes.
pub const FORMAT_VERSION: u32 = 1;

/// One immutable change, with who made it, where and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: EntryId,
    /// The node that wrote it.
    pub node: NodeId,
    /// The person (user name) who made the change.
    pub author: String,
    pub hlc: Hlc,
    pub body: Body,
}

impl Entry {
    /// Makes an entry, deriving its id from the body's identity under `key`.
    pub fn new(key: &TeamKey, node: NodeId, author: &str, hlc: Hlc, body: Body) -> Entry {
        let id = body.id(key);
        Entry {
            id,
            node,
            author: author.to_string(),
            hlc,
            body,
        }
    }

    /// The bytes that identify this entry's content exactly; what later issues
    /// sign. Deterministic: struct fields in declaration order, no maps, no floats.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Serialising plain structs, strings and integers cannot fail.
        serde_json::to_vec(&self.envelope()).unwrap_or_default()
    }

    fn envelope(&self) -> body::Envelope<'_> {
        body::Envelope {
            v: FORMAT_VERSION,
            id: self.id.to_string(),
            node: self.node.to_string(),
            author: &self.author,
            hlc: self.hlc.0,
            body: &self.body,
        }
    }

    /// Whether `bytes` are exactly this entry's canonical bytes. Writes them
    /// against `bytes` as it goes instead of into a buffer: a bundle import
    /// checks every entry it receives this way.
    fn canonical_bytes_are(&self, bytes: &[u8]) -> bool {
        let mut same = SameAs { rest: bytes };
        serde_json::to_writer(&mut same, &self.envelope()).is_ok() && same.rest.is_empty()
    }

    /// Reads an entry from the bytes [`Entry::canonical_bytes`] made (on this
    /// node or another), refusing any other spelling of them: the bytes must be
    /// exactly what the decoded entry would write, so that a signature over
    /// them is a signature over this entry and nothing else.
    ///
    /// It does not check the id against the body: that needs the team key
    /// (`entry.id == entry.body.id(key)`), and the caller does it.
    ///
    /// # Errors
    /// [`DecodeError`] naming what is wrong; never the entry's content.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Entry, DecodeError> {
        let envelope: body::OwnedEnvelope =
            serde_json::from_slice(bytes).map_err(|e| DecodeError::Malformed {
                line: e.line(),
                column: e.column(),
                category: match e.classify() {
                    serde_json::error::Category::Io => "read",
                    serde_json::error::Category::Syntax => "syntax",
                    serde_json::error::Category::Data => "content",
                    serde_json::error::Category::Eof => "truncated",
                },
            })?;
        if envelope.v != FORMAT_VERSION {
            return Err(DecodeError::Version(envelope.v));
        }
        let id = envelope.id.parse().map_err(|_| DecodeError::Field("id"))?;
        let node = envelope
            .node
            .parse()
            .map_err(|_| DecodeError::Field("node"))?;
        let entry = Entry {
            id,
            node,
            author: envelope.author,
            hlc: Hlc(envelope.hlc),
            body: envelope.body,
        };
        if !entry.canonical_bytes_are(bytes) {
            return Err(DecodeError::NotCanonical);
        }
        Ok(entry)
    }
}

/// A writer that accepts only the bytes `rest` starts with, consuming them:
/// what is written equals the expected bytes when every write succeeds and
/// nothing is left.
struct SameAs<'a> {
    rest: &'a [u8],
}

impl std::io::Write for SameAs<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.rest.strip_prefix(buf) {
            Some(rest) => {
                self.rest = rest;
                Ok(buf.len())
            }
            None => Err(std::io::ErrorKind::InvalidData.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why bytes are not an entry's canonical bytes. Carries no content of the
/// entry (it may name a victim).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not an entry of format version 1 ({category} error at line {line}, column {column})")]
    Malformed {
        line: usize,
        column: usize,
        category: &'static str,
    },
    #[error("entry format version {0}, but this version of Gavah reads version {FORMAT_VERSION}")]
    Version(u32),
    #[error("the entry's {0} is not a valid id")]
    Field(&'static str),
    #[error("the bytes are not the entry's canonical form (re-encoded or altered)")]
    NotCanonical,
}
