//! Identifiers shared by every crate: entry ids and node ids, both 128-bit.
//!
//! An [`EntryId`] is never a plain hash of content (see `gavah-entry`): it is
//! a BLAKE3 hash keyed with the team's secret, so whoever seizes a copy cannot
//! confirm a guessed name by hashing it. A [`NodeId`] is random, made at `init`.

use std::fmt;
use std::str::FromStr;

macro_rules! id128 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                Some($name(bytes.try_into().ok()?))
            }

            /// The first 8 hex digits: enough for a person to tell ids apart.
            pub fn short(&self) -> String {
                self.to_string()[..8].to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Written by hand: ids are formatted for every entry of a bulk import,
                // and one `write!` per byte showed in profiles.
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut buf = [0u8; 32];
                for (i, b) in self.0.iter().enumerate() {
                    buf[2 * i] = HEX[usize::from(b >> 4)];
                    buf[2 * i + 1] = HEX[usize::from(b & 0xf)];
                }
                f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, IdParseError> {
                let s = s.trim();
                if s.len() != 32 || !s.is_ascii() {
                    return Err(IdParseError(s.to_string()));
                }
                let mut out = [0u8; 16];
                for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
                    let hex = std::str::from_utf8(chunk).map_err(|_| IdParseError(s.to_string()))?;
                    out[i] = u8::from_str_radix(hex, 16).map_err(|_| IdParseError(s.to_string()))?;
                }
                Ok($name(out))
            }
        }
    };
}

id128!(
    /// The stable id of one entry in the log (and of what it creates: a report,
    /// a source, a claim, a figure).
    EntryId
);
id128!(
    /// The id of one installation of Gavah (a laptop, a server), made at `init`.
    NodeId
);

/// An id that is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an id: expected 32 hexadecimal digits")]
pub struct IdParseError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = EntryId([0xab; 16]);
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<EntryId>().unwrap(), id);
        assert!("xyz".parse::<EntryId>().is_err());
        assert!("zz".repeat(16).parse::<EntryId>().is_err());
    }
}
