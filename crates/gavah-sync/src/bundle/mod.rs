//! Encrypted, signed bundles of entries for one-way couriers (USB, email, files).
//!
//! # What the lead calls
//!
//! - Keys: [`NodeSecret::generate`], [`NodeSecret::to_bytes`] /
//!   [`NodeSecret::from_bytes`] to store it, [`NodeSecret::public`];
//!   [`NodePublicKey`]'s `Display` / [`NodePublicKey::parse`] for the one-line
//!   text form, [`public_key_qr_png`] for `gavah node key --qr`.
//! - Entries: [`SignedEntry::sign`] (or [`sign_all`]) over `Entry::canonical_bytes()`,
//!   [`SignedEntry::encode`] / [`SignedEntry::decode`], [`verify_all`].
//! - Bundles: [`seal`] with a [`SealRequest`], [`open`] giving an
//!   [`OpenedBundle`] (sender, verified entries, ack bytes, announced prekeys,
//!   [`BundleId`]); [`seal_to_writer`] and [`open_reader`] stream big bundles
//!   to and from files holding one 64 KiB segment at a time.
//! - Acknowledgements: a [`Summary`] (what the sender holds, which ranges the
//!   bundle carries in full) encoded as the bundle's ack bytes.
//! - Forward secrecy: a [`PrekeyRing`] per node, persisted with
//!   [`PrekeyRing::to_bytes`]; [`PrekeyRing::rotate`] before sealing,
//!   [`PrekeyRing::learn`] after opening, [`PrekeyRing::prune`] regularly.
//!
//! # Wire format of a bundle, version 1
//!
//! Integers are little-endian unless said otherwise. A bundle file is:
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 32 | ephemeral X25519 public key; its top bit (ignored by X25519) is random |
//! | 32 | 8 × 48 | recipient slots ([`SLOTS`] of them, [`SLOT_LEN`] bytes each) |
//! | 416 | rest | the payload, encrypted in segments |
//!
//! **Slots.** For each recipient the sender picks the newest unexpired prekey it
//! knows of that recipient, else the recipient's long-term X25519 key (`R`), and
//! computes `slot key = BLAKE3-derive_key("gavah 2026 bundle v1 slot key",
//! E ‖ R ‖ X25519(e, R))`, where `E` is the ephemeral public key with its top
//! bit cleared. The slot is ChaCha20-Poly1305 under the slot key, nonce
//! `[0; 11] ‖ 1`, no associated data, of the 32-byte random file key: 32 bytes
//! of ciphertext then the 16-byte tag. Used slots sit in random places; unused
//! slots are 48 random bytes. No slot names its recipient: a recipient tries its
//! long-term key and each prekey secret against each slot.
//!
//! **Segments.** `payload key = BLAKE3-derive_key("gavah 2026 bundle v1 payload
//! key", file key ‖ the 32 header bytes of the ephemeral key)`. The plaintext is
//! cut into segments of [`SEGMENT`] (65,536) bytes, the last one 0 to 65,536
//! bytes; each is ChaCha20-Poly1305 under the payload key with nonce
//! `[0; 3] ‖ counter (u64 big-endian, from 0) ‖ last (1 for the last segment,
//! else 0)`, written as ciphertext then its 16-byte tag (STREAM, as in age).
//! The file's length fixes the segment count, so a reordered, dropped, cut or
//! added segment fails authentication.
//!
//! **Plaintext.**
//!
//! | bytes | field |
//! |---|---|
//! | 1 | payload version, 1 |
//! | 64 | sender's [`NodePublicKey::to_bytes`] (ed25519 ‖ X25519) |
//! | 16 | [`BundleId`] (random) |
//! | 1 | number of announced prekeys, at most 4 |
//! | 120 each | [`Prekey`] encodings |
//! | 4 | ack length (u32) |
//! | ack length | ack bytes (opaque) |
//! | 4 | entry count (u32) |
//! | … | each entry as [`SignedEntry::encode`] (101 bytes + canonical bytes) |
//! | 64 | ed25519 signature by the sender over `BLAKE3-derive_key("gavah 2026 bundle v1 signature", the 416 header bytes ‖ every plaintext byte before this signature)` |
//! | rest | zeros, up to the segments' capacity |
//!
//! The signature covers the header, so a recipient cannot re-wrap a bundle it
//! received to someone else in the sender's name, and a changed unused slot is
//! detected.
//!
//! **Size buckets.** The file's total length is the smallest Padmé size
//! ([`bucket_size`]) that holds the header, the plaintext and the tags: at
//! least [`MIN_BUNDLE`] (4 KiB); above it, with `E = floor(log2 L)` and
//! `S = floor(log2 E) + 1`, `L` is rounded up to a multiple of `2^(E−S)`: 256
//! bytes for files of 4 to 8 KiB, 2 KiB for 64 to 128 KiB, 64 KiB for 2 to
//! 4 MiB. The padding costs less than `2^−S` of the size (6.25 % below 64 KiB,
//! 3.1 % below 4 GiB), and a file's size tells only its bucket, one of about
//! `2^S` per doubling of size (Padmé leaks `O(log log L)` bits). Every bucket
//! size is a multiple of 16, so the last segment always holds at least its tag.
//!
//! # What an observer of a sealed file learns
//!
//! Its size bucket; and, with many files in hand, that their first 32 bytes are
//! X25519 public keys: a random string is a valid curve point half of the time,
//! an ephemeral key always is, so `k` files are told from random data with
//! probability `1 − 2^−k`. Elligator 2 encoding would hide that; no maintained
//! crate offers it for X25519 today (curve25519-dalek 5.0 does not; the
//! `curve25519-elligator2` fork is an alpha), so this is left as a known,
//! documented leak. The top bit of the key is randomised, which
//! hides the other giveaway. Nothing else is in clear: no magic bytes, version,
//! sender, recipient key ids, recipient count or entry count. The file's name,
//! timestamps and the channel it travels on are the caller's to keep bland.
//!
//! ChaCha20-Poly1305 does not commit to its key, so a sender could craft one
//! file that opens to different contents for two of its recipients; it could as
//! well send them two files, and each content is still signed by it.
//!
//! # Forward secrecy
//!
//! Sealing uses a fresh ephemeral key, whose secret is dropped (zeroised) at the
//! end of [`seal`]: the sender cannot open what it sent. When the recipient's
//! prekey is deleted ([`PrekeyRing::prune`], after `expires + grace`), nothing
//! can open the bundle, not even with the recipient's long-term key. Bundles
//! sealed to a long-term key ([`SealedTo::LongTermKey`], when no prekey of the
//! recipient is known) have no forward secrecy until the key itself is wiped.
//!
//! # What to destroy on `gavah node wipe`
//!
//! The stored bytes of [`NodeSecret::to_bytes`] and [`PrekeyRing::to_bytes`]
//! (overwrite, then delete); all values of [`NodeSecret`] and [`PrekeyRing`] in
//! memory are zeroised when dropped. Note: Rust may leave copies of a value
//! when it is moved on the stack; keep long-lived secrets in one place (a `Box`
//! or an `Arc`) rather than passing them by value.

mod entry;
mod error;
pub mod fuzz;
mod keys;
mod prekey;
mod seal;
mod summary;
mod wire;

pub use entry::{ENTRY_OVERHEAD, SignedEntry, sign_all, verify_all};
pub use error::{BundleError, EntryError, KeyError};
pub use keys::{NodePublicKey, NodeSecret, SECRET_BYTES_LEN, SignerKey, public_key_qr_png};
pub use prekey::{
    MAX_ANNOUNCED, MAX_PEER_PREKEYS, PREKEY_LEN, Prekey, PrekeyPolicy, PrekeyRing, Pruned,
};
pub use seal::{
    BundleId, DeferredBundle, HEADER_LEN, MIN_BUNDLE, OpenedBundle, OpenedWith, SEGMENT, SLOT_LEN,
    SLOTS, SealRequest, Sealed, SealedTo, SealedWritten, UncheckedBatch, UncheckedEntries,
    bucket_size, is_bucket_size, open, open_reader, open_reader_deferred, seal, seal_to_writer,
    seal_with_rng,
};
pub use summary::{Range, Summary, SummaryError};
