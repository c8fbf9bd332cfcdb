//! Fountain-coded chunks (RaptorQ) for tiny, lossy, out-of-order channels.
//!
//! [`split`] cuts an opaque bundle (already encrypted and padded by the bundle
//! module) into self-describing [`Chunk`]s for a [`Channel`]; any `K` of them,
//! rarely `K + 1` or `K + 2`, rebuild it in a [`Joiner`], in any order, with
//! duplicates, damaged chunks and other bundles' chunks mixed in. Files are
//! written with [`write_dir`] / [`Chunk::to_file_bytes`] and read back with
//! [`parse_file`], [`join_files`] and [`join_dir`], the only file IO here.
//!
//! # Wire format, version 1
//!
//! A chunk is a 16-byte header and one RaptorQ (RFC 6330) encoding symbol. All
//! integers are big-endian:
//!
//! ```text
//! offset  bytes  field
//!      0      3  version (high 4 bits, = 1) | chunk index (low 20 bits)
//!      3      5  bundle id = BLAKE3(bundle)[0..5]
//!      8      4  bundle length F in bytes (1 ..= 2^32 - 1)
//!     12      4  CRC-32 (IEEE 802.3, as in zlib) of bytes 0..12 then bytes 16..
//!     16      T  payload: one encoding symbol of T bytes
//! ```
//!
//! So the framing is exactly [`HEADER_BYTES`] = 16 bytes per chunk. Nothing
//! else is sent; a reader derives the coding parameters:
//!
//! - symbol size `T` = chunk length − 16 (all chunks of one split have the
//!   same length; [`split`] takes `T = min(chunk size − 16, F)` and RaptorQ
//!   zero-pads the last source symbol);
//! - source symbols `Kt = ceil(F / T)`, source blocks `Z = ceil(Kt / 56,403)`
//!   (the fewest RFC 6330 allows), one sub-block, symbol alignment 1; blocks
//!   are sized by RFC 6330 `Partition[Kt, Z]`;
//! - chunk index `i` is encoding symbol `ESI = i / Z` of source block
//!   `SBN = i mod Z` (blocks interleaved, so burst loss spreads over them).
//!   `ESI < K` of its block is a source symbol (the bundle's bytes as they
//!   are), higher ones are repair symbols.
//!
//! Limits that follow: a bundle of at most 4 GiB − 1 and at most 2²⁰ chunks
//! per split (about 1.1 GB in 1,200-byte chunks with 10% extra).
//!
//! Integrity: the CRC-32 rejects every chunk with one changed byte (any burst
//! of up to 32 bits) and other damage with probability 1 − 2⁻³². A joiner
//! groups chunks by (bundle id, F, T) and checks the rebuilt bundle against
//! its 40-bit id, which catches what slipped through and id collisions; the
//! bundle's own authenticated encryption is the final check.
//!
//! The header reveals the bundle's length and a hash prefix of its
//! ciphertext, nothing else; payloads are slices and combinations of the
//! ciphertext. Version 1 chunks start with a byte 0x10..=0x1F, which is never
//! the start of a PNG, a JPEG or the text forms below, so a file's form is
//! known from its first bytes.
//!
//! # Channels and file forms
//!
//! | channel | default chunk | largest | file |
//! |---|---|---|---|
//! | [`Channel::Qr`] | 300 bytes | 2,953 | `ID-INDEX.png`: a QR code, byte mode, level M (L above 2,331 bytes) |
//! | [`Channel::Sms`] | 105 bytes | 120 | `ID-INDEX.sms.txt`: the chunk in base64url, no padding: 140 characters (160, one SMS, at most) |
//! | [`Channel::Email`] | 2,048 bytes | 65,551 | `ID-INDEX.email.txt`: base64url between BEGIN/END lines, 76 columns |
//! | [`Channel::Udp`] | 1,200 bytes | 65,507 | `ID-INDEX.udp`: the chunk's bytes as one datagram |
//!
//! Chunk sizes always count the whole chunk, header included: a 110-byte chunk
//! carries 94 coded bytes. See [`Channel`] for why each default.

mod code;
mod forms;
mod frame;
pub mod fuzz;
mod join;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use code::{DEFAULT_EXTRA_PERCENT, MIN_CHUNK_BYTES, split};
pub use forms::{FileForm, ParsedFile, is_chunk_file, parse_file, write_dir};
pub use frame::{BundleId, Chunk, FORMAT_VERSION, HEADER_BYTES, MAX_CHUNK_BYTES, MAX_CHUNKS};
pub use join::{
    BundleStatus, JoinReport, JoinedBundle, Joiner, Pushed, SkippedFile, join_dir, join_files,
};

/// A channel a bundle's chunks travel over; it sets the chunk size and the file form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// QR code PNG images, to show on a screen or print and photograph.
    ///
    /// Default 300 bytes: a version 13 code (69 × 69 modules) at error
    /// correction level M, which survives 15% damage (glare, creases). In our
    /// tests the decoder we read photos with (rqrr, after our own local
    /// thresholding) reads such codes from re-rendered photos that are scaled,
    /// rotated, unevenly lit, noisy and JPEG-compressed, but fails on most of
    /// the same photos of 500- and 800-byte codes (version 23 for 800), whose
    /// finer grids it samples less reliably. Up to 2,953 bytes (version 40, level L,
    /// 177 × 177 modules) works for sharp, straight, well-lit pictures.
    Qr,
    /// SMS-safe text: base64url (letters, digits, `-`, `_`), all in the GSM 03.38
    /// basic alphabet, so each character costs one 7-bit septet.
    ///
    /// Default 105 bytes (140 characters), leaving 20 characters of one
    /// 160-character SMS for a label; at most 120 bytes (160 characters).
    /// Base64url is chosen over a denser base-80-odd alphabet because quotes,
    /// `<`, `>`, `&` and `@` are rewritten by some phones and gateways.
    Sms,
    /// Plain-text blocks for mail and messengers: base64url between
    /// `-----BEGIN GAVAH CHUNK-----` and `-----END GAVAH CHUNK-----`, 76 columns.
    ///
    /// Default 2,048 bytes (2,731 characters in 36 lines), which fits one
    /// 4,096-character messenger message with room for a note.
    Email,
    /// Raw datagrams. Default 1,200 bytes, which passes every IPv6 path
    /// (minimum MTU 1,280) without fragmentation, as QUIC assumes.
    Udp,
}

impl Channel {
    /// Every channel, in a fixed order.
    pub const ALL: [Channel; 4] = [Channel::Qr, Channel::Sms, Channel::Email, Channel::Udp];

    /// The chunk size (header included) used when none is given.
    pub fn default_chunk_bytes(self) -> usize {
        match self {
            Channel::Qr => 300,
            Channel::Sms => 105,
            Channel::Email => 2_048,
            Channel::Udp => 1_200,
        }
    }

    /// The largest chunk (header included) the channel carries.
    pub fn max_chunk_bytes(self) -> usize {
        match self {
            // QR version 40, level L, byte mode.
            Channel::Qr => 2_953,
            // 160 base64url characters: one GSM-7 SMS.
            Channel::Sms => 120,
            Channel::Email => MAX_CHUNK_BYTES,
            // The largest IPv4 UDP payload.
            Channel::Udp => 65_507,
        }
    }

    /// The name used on the command line: `qr`, `sms`, `email` or `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Qr => "qr",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Udp => "udp",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Channel {
    type Err = ChunkError;

    fn from_str(name: &str) -> Result<Self, ChunkError> {
        Channel::ALL
            .into_iter()
            .find(|channel| channel.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ChunkError::UnknownChannel {
                name: name.to_owned(),
            })
    }
}

/// What went wrong splitting, reading or joining chunks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    #[error("the bundle is empty, so there is nothing to split")]
    EmptyBundle,
    #[error(
        "the bundle is {len} bytes, and chunks carry bundles below 4 GiB; send it on a drive instead"
    )]
    BundleTooLarge { len: usize },
    #[error(
        "a chunk size of {requested} bytes does not suit the {channel} channel; choose from {min} to {max} bytes"
    )]
    ChunkSize {
        channel: Channel,
        requested: usize,
        min: usize,
        max: usize,
    },
    #[error(
        "a bundle of {bundle_len} bytes needs more than 1,048,576 chunks of {chunk_bytes} bytes; choose larger chunks or fewer extra ones"
    )]
    TooManyChunks {
        bundle_len: usize,
        chunk_bytes: usize,
    },
    #[error("a bundle of {bundle_len} bytes cannot be coded in {symbol_bytes}-byte symbols")]
    Layout {
        bundle_len: u32,
        symbol_bytes: usize,
    },
    #[error(
        "{len} bytes is too short for a chunk (a chunk is over 16 bytes); it is not a chunk or was cut short"
    )]
    TooShort { len: usize },
    #[error("{len} bytes is too long for a chunk (at most 65,551 bytes); it is not a chunk")]
    TooLong { len: usize },
    #[error(
        "chunk format version {version} is not one this program reads (it reads version 1); it is not a chunk, or it needs a newer gavah"
    )]
    Version { version: u8 },
    #[error(
        "the chunk failed its integrity check (CRC-32): it was damaged on the way; it is ignored, so ask for more chunks if the bundle stays short"
    )]
    Corrupted,
    #[error(
        "the chunk header names an impossible coding layout (a bundle of {bundle_len} bytes in {payload_len}-byte symbols); it is damaged or forged"
    )]
    Parameters { bundle_len: u32, payload_len: usize },
    #[error("the chunk text is not base64url ({reason}); the message was altered on the way")]
    Text { reason: String },
    #[error(
        "an email block has a BEGIN line but no END line; the message was cut short, so ask for it again"
    )]
    UnterminatedBlock,
    #[error("not a chunk file: {what}")]
    NotAChunk { what: &'static str },
    #[error("no QR code could be read in the image; retake the photo closer, flatter and in focus")]
    NoQrCode,
    #[error(
        "cannot make a QR code of a {len}-byte chunk ({reason}); use chunks of at most 2,953 bytes"
    )]
    QrEncode { len: usize, reason: String },
    #[error("cannot read the image ({reason}); use a PNG or JPEG file")]
    Image { reason: String },
    #[error("unknown channel {name:?}; use qr, sms, email or udp")]
    UnknownChannel { name: String },
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ChunkError {
    /// True when the input had the form of a chunk but was damaged on the way
    /// (what a joiner counts as a rejected chunk), as opposed to input that is
    /// simply not a chunk, or a problem on our side.
    pub fn is_damaged_chunk(&self) -> bool {
        matches!(
            self,
            ChunkError::Corrupted
                | ChunkError::Parameters { .. }
                | ChunkError::Text { .. }
                | ChunkError::UnterminatedBlock
                | ChunkError::TooShort { .. }
                | ChunkError::TooLong { .. }
        )
    }
}
