//! Errors of the bundle module: keys and key text, signed entries, bundles.

use thiserror::Error;

use super::seal::SLOTS;

/// A node key, key line, secret or prekey ring could not be made or read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error(
        "this is not a Gavah node public key: it must start with `gavah1`; ask its owner to copy the line printed by `gavah node key` again"
    )]
    Prefix,
    #[error(
        "the node public key's checksum does not match: a character was mistyped, changed or cut off; copy the whole line again"
    )]
    Checksum,
    #[error(
        "the node public key holds {found} bytes where 65 were expected; copy the whole line again"
    )]
    Length { found: usize },
    #[error(
        "the node public key has version {found}, and this build of Gavah reads version 1; upgrade Gavah"
    )]
    Version { found: u8 },
    #[error(
        "the node public key's signing key is not a usable ed25519 key; ask its owner for the line printed by `gavah node key`"
    )]
    NotAKey,
    #[error(
        "the stored node secret is {len} bytes where 33 were expected; restore it from a backup"
    )]
    SecretMalformed { len: usize },
    #[error(
        "the stored node secret has version {found}, and this build of Gavah reads version 1; upgrade Gavah"
    )]
    SecretVersion { found: u8 },
    #[error(
        "the stored prekey ring is damaged ({detail}); restore it from a backup or start a new ring"
    )]
    RingMalformed { detail: &'static str },
    #[error(
        "the operating system gave no random bytes ({0}); try again, and check the system's entropy source"
    )]
    Randomness(String),
    #[error("could not draw the QR code: {0}")]
    Qr(String),
}

/// A signed entry could not be read, or its signature does not verify.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryError {
    #[error("the signed entry is cut short ({detail}); fetch it again")]
    Truncated { detail: &'static str },
    #[error(
        "the signed entry has {extra} bytes after its end; it was damaged or joined to other data"
    )]
    TrailingBytes { extra: usize },
    #[error(
        "the signed entry has encoding version {found}, and this build of Gavah reads version 1; upgrade Gavah"
    )]
    Version { found: u8 },
    #[error(
        "entry {} of the bundle has a bad signature: it was altered after signing or was not signed by the key it names; refuse it and ask the sender for a fresh copy",
        .index + 1
    )]
    BadSignature {
        /// Counted from 0; messages count from 1, as for rows.
        index: usize,
    },
    #[error(
        "entry {} of the bundle names a signer key that is not a usable ed25519 key; refuse it and ask the sender for a fresh copy",
        .index + 1
    )]
    BadSigner {
        /// Counted from 0; messages count from 1, as for rows.
        index: usize,
    },
}

/// A bundle could not be sealed or opened.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BundleError {
    #[error(
        "this bundle is not addressed to this node's keys (or the prekey it was sealed to was deleted after its grace period, or its header is damaged, or a newer Gavah made it); ask the sender to seal it again to this node's public key"
    )]
    NotForMe,
    #[error(
        "the bundle is truncated: {detail}; copy the whole file again (or rebuild it from more chunks)"
    )]
    Truncated { detail: String },
    #[error(
        "the bundle was tampered with or damaged in transit: segment {segment} fails authentication; nothing from it was accepted, get another copy"
    )]
    Tampered { segment: u64 },
    #[error(
        "the bundle's signature by its sender does not verify: its header or content was altered; nothing from it was accepted, get another copy"
    )]
    BadBundleSignature,
    #[error(
        "prekey {index} announced in the bundle has a bad signature; nothing from it was accepted, get another copy"
    )]
    BadPrekeySignature { index: usize },
    #[error("{source}; nothing from this bundle was accepted")]
    Entry {
        #[from]
        source: EntryError,
    },
    #[error(
        "unsupported bundle version {found}: this build of Gavah reads version 1; upgrade Gavah"
    )]
    UnsupportedVersion { found: u8 },
    #[error(
        "the bundle decrypts but its content is malformed ({detail}); the sender's Gavah has a bug, report it"
    )]
    Malformed { detail: &'static str },
    #[error("a bundle needs at least one recipient; name the node keys to send it to")]
    NoRecipients,
    #[error(
        "a bundle has {SLOTS} recipient slots and {count} recipients were given; split the recipients over several bundles"
    )]
    TooManyRecipients { count: usize },
    #[error(
        "the key of recipient {recipient} (or its prekey) cannot be used for key agreement; ask its owner for the line printed by `gavah node key`"
    )]
    BadRecipientKey { recipient: String },
    #[error("the bundle would be too large ({what}); split the entries over several bundles")]
    TooLarge { what: &'static str },
    #[error(
        "the operating system gave no random bytes ({0}); try again, and check the system's entropy source"
    )]
    Randomness(String),
    #[error("could not read the bundle: {0}; check the file and the drive")]
    Read(#[source] std::io::Error),
    #[error(
        "could not write the bundle: {0}; check the free space on the drive, then seal it again"
    )]
    Write(#[source] std::io::Error),
}
