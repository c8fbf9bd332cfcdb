//! Keyed ids: the team key and the keyed BLAKE3 hasher every id is made with.

use gavah_core::EntryId;
use std::fmt;

/// The team's 256-bit secret. Nodes of one team share it (exchanged out of band
/// with the team's other keys) so that the same imported row gets the same id on
/// every node, while nobody without it can recompute an id from guessed content.
#[derive(Clone, PartialEq, Eq)]
pub struct TeamKey([u8; 32]);

impl TeamKey {
    pub fn from_bytes(bytes: [u8; 32]) -> TeamKey {
        TeamKey(bytes)
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Result<TeamKey, TeamKeyError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| TeamKeyError(e.to_string()))?;
        Ok(TeamKey(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A hasher keyed with this key, for one kind of id.
    pub fn hasher(&self, domain: &str) -> KeyedHasher {
        let mut k = KeyedHasher(blake3::Hasher::new_keyed(&self.0));
        k.str("gavah/id/v1").str(domain);
        k
    }
}

impl fmt::Debug for TeamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TeamKey(<secret>)")
    }
}

/// The operating system gave no random bytes.
#[derive(Debug, thiserror::Error)]
#[error("cannot make a random key: {0}")]
pub struct TeamKeyError(String);

/// Feeds length-prefixed fields into a keyed BLAKE3 hash, so that no two
/// different field sequences hash the same bytes.
#[derive(Clone)]
pub struct KeyedHasher(blake3::Hasher);

impl KeyedHasher {
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.update(&(b.len() as u64).to_le_bytes());
        self.0.update(b);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.update(&v.to_le_bytes());
        self
    }

    pub fn entry(&mut self, id: &EntryId) -> &mut Self {
        self.0.update(id.as_bytes());
        self
    }

    /// The first 128 bits of the keyed hash.
    pub fn finish_id(&self) -> EntryId {
        let hash = self.0.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&hash.as_bytes()[..16]);
        EntryId(out)
    }

    /// The whole 256-bit keyed hash.
    pub fn finish_bytes(&self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}
