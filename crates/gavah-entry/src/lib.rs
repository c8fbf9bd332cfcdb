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

pub use body::*;
pub use clock::Hlc;
pub use id::{KeyedHasher, TeamKey, TeamKeyError};

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
        let envelope = body::Envelope {
            v: FORMAT_VERSION,
            id: self.id.to_string(),
            node: self.node.to_string(),
            author: &self.author,
            hlc: self.hlc.0,
            body: &self.body,
        };
        // Serialising plain structs, strings and integers cannot fail.
        serde_json::to_vec(&envelope).unwrap_or_default()
    }
}
