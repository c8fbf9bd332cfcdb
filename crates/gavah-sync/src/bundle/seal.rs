//! Sealing and opening bundles: recipient slots, the segmented encrypted
//! payload, padding to size buckets, and the sender's signature over it all.
//! The byte layout is documented in the module docs of [`super`].

use std::io::{Read, Write};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use ed25519_dalek::Signature;
use rand::{CryptoRng, Rng};
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

use super::entry::{SignedEntry, verify_all};
use super::error::{BundleError, EntryError};
use super::keys::{NodePublicKey, NodeSecret, verifying_key};
use super::prekey::{MAX_ANNOUNCED, PREKEY_LEN, Prekey, PrekeyRing};
use super::wire::{Short, Source, read_array};

/// Recipient slots in every bundle, used or not.
pub const SLOTS: usize = 8;
/// Bytes of one slot: the 32-byte file key encrypted, and its 16-byte tag.
pub const SLOT_LEN: usize = 48;
/// Bytes before the payload: the ephemeral X25519 key and the slots.
pub const HEADER_LEN: usize = 32 + SLOTS * SLOT_LEN;
/// Plaintext bytes of every payload segment but the last.
pub const SEGMENT: usize = 64 * 1024;
const TAG_LEN: usize = 16;
const SEGMENT_CT: usize = SEGMENT + TAG_LEN;
/// The smallest bundle file.
pub const MIN_BUNDLE: u64 = 4096;
/// Version of the payload layout, its first byte.
const PAYLOAD_VERSION: u8 = 1;

const SLOT_CONTEXT: &str = "gavah 2026 bundle v1 slot key";
const PAYLOAD_CONTEXT: &str = "gavah 2026 bundle v1 payload key";
const SIGNATURE_CONTEXT: &str = "gavah 2026 bundle v1 signature";

/// A bundle's id: 16 random bytes the sender chose, inside the signed payload.
/// The same bundle imported twice has the same id; two seals of the same
/// entries have different ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BundleId(pub [u8; 16]);

/// What to seal. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, Copy)]
pub struct SealRequest<'a> {
    /// The sending node; it signs the bundle.
    pub sender: &'a NodeSecret,
    /// The sender's prekeys: its current ones are announced, and the newest
    /// unexpired prekey it knows for each recipient is sealed to.
    pub ring: &'a PrekeyRing,
    /// 1 to [`SLOTS`] recipients (repeats count once).
    pub recipients: &'a [NodePublicKey],
    /// Entries, already signed (by this node or relayed from others).
    pub entries: &'a [SignedEntry],
    /// Opaque acknowledgement bytes; the caller defines them.
    pub ack: &'a [u8],
    /// Now, to pick unexpired prekeys.
    pub now: u64,
}

/// Which key of a recipient a bundle was sealed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedTo {
    /// A prekey: the bundle becomes unopenable once the recipient prunes it.
    Prekey { id: u64, expires: u64 },
    /// The long-term key, because no unexpired prekey of the recipient is
    /// known: no forward secrecy for this recipient.
    LongTermKey,
}

/// A sealed bundle.
#[derive(Clone)]
pub struct Sealed {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its id, as [`OpenedBundle::id`] will report it.
    pub id: BundleId,
    /// For each recipient (in the order given, repeats removed), the key sealed to.
    pub sealed_to: Vec<(NodePublicKey, SealedTo)>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("len", &self.bytes.len())
            .field("id", &self.id)
            .field("sealed_to", &self.sealed_to)
            .finish()
    }
}

/// The key of this node a bundle opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenedWith {
    /// One of this node's prekeys.
    Prekey { id: u64 },
    /// This node's long-term X25519 key.
    LongTermKey,
}

/// An opened bundle; everything in it was verified, its entries' signatures
/// too unless `E` is [`UncheckedEntries`] (see [`DeferredBundle`]). Its
/// `Debug` prints no entry content and no ack bytes.
#[derive(Clone)]
pub struct OpenedBundle<E = Vec<SignedEntry>> {
    /// The bundle's id, for refusing the same bundle twice.
    pub id: BundleId,
    /// The sending node (it signed the bundle). Decide trust by it.
    pub sender: NodePublicKey,
    /// The entries, every signature checked (or, for a [`DeferredBundle`],
    /// to be checked).
    pub entries: E,
    /// The sender's acknowledgement bytes.
    pub ack: Vec<u8>,
    /// Prekeys the sender announced, signatures checked; pass them to
    /// [`PrekeyRing::learn`].
    pub prekeys: Vec<Prekey>,
    /// Which key of this node opened it.
    pub opened_with: OpenedWith,
}

/// A bundle opened by [`open_reader_deferred`]: decrypted and authenticated
/// (the sender's bundle signature and its prekeys' signatures are checked),
/// but not its entries' signatures. Its entries can be used only through
/// [`UncheckedEntries::verify`] or [`UncheckedEntries::batches`] and
/// [`UncheckedBatch::verify`].
pub type DeferredBundle = OpenedBundle<UncheckedEntries>;

impl<E> OpenedBundle<E> {
    fn debug_with(&self, f: &mut std::fmt::Formatter<'_>, entries: usize) -> std::fmt::Result {
        f.debug_struct("OpenedBundle")
            .field("id", &self.id)
            .field("sender", &self.sender)
            .field("entries", &entries)
            .field("ack_len", &self.ack.len())
            .field("prekeys", &self.prekeys)
            .field("opened_with", &self.opened_with)
            .finish()
    }
}

impl std::fmt::Debug for OpenedBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.debug_with(f, self.entries.len())
    }
}

impl std::fmt::Debug for DeferredBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.debug_with(f, self.entries.len())
    }
}

/// The Padmé bucket for a file of at least `len` bytes, never below
/// [`MIN_BUNDLE`]: with `E = floor(log2 L)` and `S = floor(log2 E) + 1`, round
/// `L` up to a multiple of `2^(E − S)`. Sizes are multiples of 256, less than
/// `2^−S` (6.25 % below 64 KiB) above `len`. `None` if it would overflow.
pub fn bucket_size(len: u64) -> Option<u64> {
    let l = len.max(MIN_BUNDLE);
    let e = u64::from(63 - l.leading_zeros());
    let s = u64::from(64 - e.leading_zeros());
    let mask = (1u64 << (e - s)) - 1;
    Some(l.checked_add(mask)? & !mask)
}

/// Whether a file of `len` bytes has a size bundles are padded to.
pub fn is_bucket_size(len: u64) -> bool {
    bucket_size(len) == Some(len)
}

/// How the ciphertext after the header splits into segments.
#[derive(Debug, Clone, Copy)]
struct Layout {
    segments: u64,
    last_plain: usize,
}

impl Layout {
    /// The layout of `ct` ciphertext bytes: full segments, then a last one of 16
    /// to 16 + [`SEGMENT`] bytes.
    fn of_ciphertext(ct: usize) -> Option<Self> {
        let full = ct / SEGMENT_CT;
        let rest = ct % SEGMENT_CT;
        let (segments, last_plain) = match rest {
            0 if full > 0 => (full, SEGMENT),
            r if r >= TAG_LEN => (full + 1, r - TAG_LEN),
            _ => return None,
        };
        Some(Self {
            segments: segments as u64,
            last_plain,
        })
    }

    fn plain_len(&self, segment: u64) -> usize {
        if segment + 1 == self.segments {
            self.last_plain
        } else {
            SEGMENT
        }
    }

    fn capacity(&self) -> usize {
        (self.segments as usize - 1) * SEGMENT + self.last_plain
    }
}

fn nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::from(n)
}

fn slot_key(eph: &[u8; 32], recipient: &[u8; 32], shared: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut h = blake3::Hasher::new_derive_key(SLOT_CONTEXT);
    h.update(eph);
    h.update(recipient);
    h.update(shared);
    Zeroizing::new(*h.finalize().as_bytes())
}

fn payload_cipher(file_key: &[u8; 32], header: &[u8]) -> ChaCha20Poly1305 {
    let mut h = blake3::Hasher::new_derive_key(PAYLOAD_CONTEXT);
    h.update(file_key);
    h.update(&header[..32]);
    let key = Zeroizing::new(*h.finalize().as_bytes());
    ChaCha20Poly1305::new(&Key::from(*key))
}

/// The X25519 point as used in key agreement: the top bit, which X25519 ignores
/// and sealing randomises, cleared.
fn masked(eph: &[u8; 32]) -> [u8; 32] {
    let mut m = *eph;
    m[31] &= 0x7f;
    m
}

/// Seals a bundle with randomness from the operating system.
///
/// # Errors
/// A [`BundleError`] for no or too many recipients, a recipient key unusable for
/// key agreement, contents too large, or no randomness.
pub fn seal(request: &SealRequest<'_>) -> Result<Sealed, BundleError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice()).map_err(|e| BundleError::Randomness(e.to_string()))?;
    let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::from_seed(*seed);
    seal_with_rng(request, &mut rng)
}

/// [`seal`] with the randomness from `rng` (tests pass a seeded one).
///
/// # Errors
/// As [`seal`].
pub fn seal_with_rng<R: CryptoRng + ?Sized>(
    request: &SealRequest<'_>,
    rng: &mut R,
) -> Result<Sealed, BundleError> {
    seal_version(request, rng, PAYLOAD_VERSION)
}

/// [`seal_with_rng`] writing `version` as the payload version (tests make
/// bundles of a future version with it).
fn seal_version<R: CryptoRng + ?Sized>(
    request: &SealRequest<'_>,
    rng: &mut R,
    version: u8,
) -> Result<Sealed, BundleError> {
    let mut bytes = Vec::new();
    let written = seal_into(request, rng, version, &mut bytes)?;
    debug_assert_eq!(bytes.len() as u64, written.len);
    Ok(Sealed {
        bytes,
        id: written.id,
        sealed_to: written.sealed_to,
    })
}

/// What [`seal_to_writer`] wrote.
#[derive(Debug, Clone)]
pub struct SealedWritten {
    /// Bytes written: the bundle's bucket size.
    pub len: u64,
    /// The bundle's id.
    pub id: BundleId,
    /// For each recipient (in the order given, repeats removed), the key sealed to.
    pub sealed_to: Vec<(NodePublicKey, SealedTo)>,
}

/// [`seal_with_rng`] writing the bundle to `out` (a temporary file, say) as it
/// is made: only the header and one 64 KiB segment are held at a time. On an
/// error part of a bundle may have been written; delete it.
///
/// # Errors
/// As [`seal`], and [`BundleError::Write`] if writing fails.
pub fn seal_to_writer<R: CryptoRng + ?Sized, W: Write>(
    request: &SealRequest<'_>,
    rng: &mut R,
    out: W,
) -> Result<SealedWritten, BundleError> {
    seal_into(request, rng, PAYLOAD_VERSION, out)
}

fn seal_into<R: CryptoRng + ?Sized, W: Write>(
    request: &SealRequest<'_>,
    rng: &mut R,
    version: u8,
    mut out: W,
) -> Result<SealedWritten, BundleError> {
    let SealRequest {
        sender,
        ring,
        recipients,
        entries,
        ack,
        now,
    } = *request;
    let mut unique: Vec<NodePublicKey> = Vec::with_capacity(recipients.len());
    for r in recipients {
        if !unique.contains(r) {
            unique.push(*r);
        }
    }
    if unique.is_empty() {
        return Err(BundleError::NoRecipients);
    }
    if unique.len() > SLOTS {
        return Err(BundleError::TooManyRecipients {
            count: unique.len(),
        });
    }
    let announced = ring.announcements(now);
    debug_assert!(announced.len() <= MAX_ANNOUNCED);

    // Sizes first: the bucket fixes the plaintext length, padding included.
    if u32::try_from(entries.len()).is_err() {
        return Err(BundleError::TooLarge {
            what: "more than 4,294,967,295 entries",
        });
    }
    if u32::try_from(ack.len()).is_err()
        || entries
            .iter()
            .any(|e| u32::try_from(e.bytes().len()).is_err())
    {
        return Err(BundleError::TooLarge {
            what: "an entry or the acknowledgement exceeds 4 GiB",
        });
    }
    let payload_len = 1
        + 64
        + 16
        + 1
        + announced.len() * PREKEY_LEN
        + 4
        + ack.len()
        + 4
        + entries.iter().map(SignedEntry::encoded_len).sum::<usize>()
        + 64;
    let min_total = HEADER_LEN + payload_len + TAG_LEN * payload_len.div_ceil(SEGMENT).max(1);
    let too_large = || BundleError::TooLarge {
        what: "the file would exceed this machine's address space",
    };
    let mut total = bucket_size(min_total as u64).ok_or_else(too_large)?;
    let layout = loop {
        let size = usize::try_from(total).map_err(|_| too_large())?;
        if let Some(layout) = Layout::of_ciphertext(size - HEADER_LEN)
            && layout.capacity() >= payload_len
        {
            break layout;
        }
        total = bucket_size(total + 1).ok_or_else(too_large)?;
    };

    // Header: ephemeral key, then slots (random unless used, in random places).
    let mut eph_bytes = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(eph_bytes.as_mut_slice());
    let eph_secret = StaticSecret::from(*eph_bytes);
    let mut eph_public = XPublic::from(&eph_secret).to_bytes();
    eph_public[31] |= rng.random::<u8>() & 0x80;
    let mut file_key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(file_key.as_mut_slice());
    let mut header = vec![0u8; HEADER_LEN];
    header[..32].copy_from_slice(&eph_public);
    rng.fill_bytes(&mut header[32..]);
    let mut places: [usize; SLOTS] = std::array::from_fn(|i| i);
    for i in (1..SLOTS).rev() {
        places.swap(i, rng.random_range(0..=i));
    }
    let mut sealed_to = Vec::with_capacity(unique.len());
    for (recipient, place) in unique.iter().zip(places) {
        let (target, to) = match ring.newest_for(recipient, now) {
            Some(p) => (
                p.public,
                SealedTo::Prekey {
                    id: p.id,
                    expires: p.expires,
                },
            ),
            None => (recipient.agreement, SealedTo::LongTermKey),
        };
        let shared = eph_secret.diffie_hellman(&XPublic::from(target));
        if !shared.was_contributory() {
            return Err(BundleError::BadRecipientKey {
                recipient: recipient.to_string(),
            });
        }
        let key = slot_key(&masked(&eph_public), &target, shared.as_bytes());
        let cipher = ChaCha20Poly1305::new(&Key::from(*key));
        let slot = &mut header[32 + place * SLOT_LEN..32 + (place + 1) * SLOT_LEN];
        slot[..32].copy_from_slice(file_key.as_slice());
        let tag = cipher
            .encrypt_inout_detached(&nonce(0, true), &[], (&mut slot[..32]).into())
            .map_err(|_| BundleError::TooLarge { what: "a slot" })?;
        slot[32..].copy_from_slice(&tag);
        sealed_to.push((*recipient, to));
    }

    let mut id = [0u8; 16];
    rng.fill_bytes(&mut id);
    out.write_all(&header).map_err(BundleError::Write)?;
    let mut writer = SegmentWriter::new(payload_cipher(&file_key, &header), layout, out);
    let mut transcript = blake3::Hasher::new_derive_key(SIGNATURE_CONTEXT);
    transcript.update(&header);
    {
        let mut put = |bytes: &[u8]| {
            transcript.update(bytes);
            writer.write(bytes)
        };
        put(&[version])?;
        put(&sender.public().to_bytes())?;
        put(&id)?;
        put(&[announced.len() as u8])?;
        let mut buf = Zeroizing::new(Vec::with_capacity(PREKEY_LEN));
        for p in &announced {
            buf.clear();
            p.encode_into(&mut buf);
            put(&buf)?;
        }
        put(&(ack.len() as u32).to_le_bytes())?;
        put(ack)?;
        put(&(entries.len() as u32).to_le_bytes())?;
        for e in entries {
            buf.clear();
            e.encode_into(&mut buf);
            put(&buf)?;
        }
    }
    let signature = sender.sign_digest(transcript.finalize().as_bytes());
    writer.write(&signature)?;
    writer.pad_to_end()?;
    writer.finish()?;
    Ok(SealedWritten {
        len: total,
        id: BundleId(id),
        sealed_to,
    })
}

/// Encrypts plaintext into segments as it arrives, holding one segment, and
/// writes them out.
struct SegmentWriter<W> {
    cipher: ChaCha20Poly1305,
    layout: Layout,
    segment: u64,
    buf: Zeroizing<Vec<u8>>,
    written: usize,
    out: W,
}

impl<W: Write> SegmentWriter<W> {
    fn new(cipher: ChaCha20Poly1305, layout: Layout, out: W) -> Self {
        Self {
            cipher,
            layout,
            segment: 0,
            buf: Zeroizing::new(Vec::with_capacity(SEGMENT_CT)),
            written: 0,
            out,
        }
    }

    fn write(&mut self, mut bytes: &[u8]) -> Result<(), BundleError> {
        while !bytes.is_empty() {
            let room = self
                .layout
                .plain_len(self.segment)
                .saturating_sub(self.buf.len());
            if room == 0 {
                return Err(BundleError::Malformed {
                    detail: "more plaintext than the bucket holds",
                });
            }
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now);
            self.written += now.len();
            bytes = later;
            if self.buf.len() == self.layout.plain_len(self.segment)
                && self.segment + 1 < self.layout.segments
            {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn pad_to_end(&mut self) -> Result<(), BundleError> {
        let zeros = [0u8; 4096];
        while self.written < self.layout.capacity() {
            let n = (self.layout.capacity() - self.written).min(zeros.len());
            self.write(&zeros[..n])?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BundleError> {
        let last = self.segment + 1 == self.layout.segments;
        // Encryption fails only past ChaCha20's 256 GiB limit per nonce, far
        // above SEGMENT.
        let tag = self
            .cipher
            .encrypt_inout_detached(
                &nonce(self.segment, last),
                &[],
                self.buf.as_mut_slice().into(),
            )
            .map_err(|_| BundleError::TooLarge { what: "a segment" })?;
        self.buf.extend_from_slice(&tag);
        self.out.write_all(&self.buf).map_err(BundleError::Write)?;
        self.buf.clear();
        self.segment += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<W, BundleError> {
        while self.segment < self.layout.segments {
            self.flush()?;
        }
        self.out.flush().map_err(BundleError::Write)?;
        Ok(self.out)
    }
}

/// Opens a bundle addressed to this node (its long-term key or any prekey
/// secret in `ring`), checking every signature.
///
/// # Errors
/// A [`BundleError`]: not for this node, truncated, tampered, a bad bundle,
/// prekey or entry signature, an unsupported version, malformed content.
pub fn open(me: &NodeSecret, ring: &PrekeyRing, bytes: &[u8]) -> Result<OpenedBundle, BundleError> {
    open_reader(me, ring, bytes, bytes.len() as u64)
}

/// [`open`] reading the bundle from `reader` (a file, say), which holds `len`
/// bytes (the file's length from its metadata; nothing after `len` is read):
/// only the header and one 64 KiB segment are held at a time, beside the
/// entries returned.
///
/// # Errors
/// As [`open`], and [`BundleError::Read`] if reading fails; a reader that
/// ends before `len` bytes gives [`BundleError::Truncated`].
pub fn open_reader<R: Read>(
    me: &NodeSecret,
    ring: &PrekeyRing,
    reader: R,
    len: u64,
) -> Result<OpenedBundle, BundleError> {
    let opened = open_reader_deferred(me, ring, reader, len)?;
    Ok(OpenedBundle {
        id: opened.id,
        sender: opened.sender,
        entries: opened.entries.verify()?,
        ack: opened.ack,
        prekeys: opened.prekeys,
        opened_with: opened.opened_with,
    })
}

/// [`open_reader`] without checking the entries' signatures yet, so that a
/// caller can check them a batch at a time while it stores the batch before
/// (a bundle import that writes nothing until every batch is checked). Every
/// other check is made: the bundle's authentication, its own signature and
/// its prekeys' signatures.
///
/// # Errors
/// As [`open_reader`], except for entry signatures.
pub fn open_reader_deferred<R: Read>(
    me: &NodeSecret,
    ring: &PrekeyRing,
    mut reader: R,
    len: u64,
) -> Result<DeferredBundle, BundleError> {
    if len < (HEADER_LEN + TAG_LEN) as u64 {
        return Err(BundleError::Truncated {
            detail: format!("{len} bytes is shorter than the smallest bundle"),
        });
    }
    let layout = usize::try_from(len)
        .ok()
        .and_then(|len| Layout::of_ciphertext(len - HEADER_LEN))
        .filter(|_| is_bucket_size(len))
        .ok_or_else(|| BundleError::Truncated {
            detail: format!(
                "{len} bytes is not a size a bundle can have: it was cut short (or bytes were added)"
            ),
        })?;
    let mut header = [0u8; HEADER_LEN];
    reader.read_exact(&mut header).map_err(read_error)?;
    let (file_key, opened_with, _slot) =
        unwrap_file_key(me, ring, &header).ok_or(BundleError::NotForMe)?;
    let mut segments = SegmentReader {
        cipher: payload_cipher(&file_key, &header),
        layout,
        ciphertext: reader,
        segment: 0,
        buf: Zeroizing::new(Vec::with_capacity(SEGMENT_CT)),
        pos: 0,
        left: layout.capacity(),
        failure: None,
    };
    let mut transcript = blake3::Hasher::new_derive_key(SIGNATURE_CONTEXT);
    transcript.update(&header);
    let parsed = parse_payload(&mut segments, &mut transcript).and_then(|p| {
        check_padding(&mut segments)?;
        Ok(p)
    });
    let payload = match (parsed, segments.failure.take()) {
        (_, Some(failure)) => return Err(failure),
        (Err(e), None) => return Err(e),
        (Ok(p), None) => p,
    };
    payload.verify_envelope(transcript.finalize().as_bytes())?;
    Ok(DeferredBundle {
        id: payload.id,
        sender: payload.sender,
        entries: UncheckedEntries(payload.entries),
        ack: payload.ack,
        prekeys: payload.prekeys,
        opened_with,
    })
}

/// Entries whose signatures are not checked yet.
pub struct UncheckedEntries(Vec<SignedEntry>);

impl UncheckedEntries {
    /// How many entries there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks every signature (as [`open_reader`] does).
    ///
    /// # Errors
    /// The first bad entry, as [`verify_all`] names it.
    pub fn verify(self) -> Result<Vec<SignedEntry>, BundleError> {
        verify_all(&self.0)?;
        Ok(self.0)
    }

    /// The entries in order, in batches of `size` (at least 1) to check one at
    /// a time.
    #[must_use]
    pub fn batches(self, size: usize) -> Vec<UncheckedBatch> {
        let size = size.max(1);
        let mut out = Vec::with_capacity(self.0.len().div_ceil(size));
        let mut rest = self.0;
        let mut first = 0;
        while !rest.is_empty() {
            let tail = rest.split_off(size.min(rest.len()));
            let n = rest.len();
            out.push(UncheckedBatch {
                first,
                entries: rest,
            });
            first += n;
            rest = tail;
        }
        out
    }
}

/// A run of a bundle's entries whose signatures are not checked yet.
pub struct UncheckedBatch {
    first: usize,
    entries: Vec<SignedEntry>,
}

impl UncheckedBatch {
    /// The index in the bundle of the batch's first entry.
    #[must_use]
    pub fn first(&self) -> usize {
        self.first
    }

    /// Checks every signature of the batch.
    ///
    /// # Errors
    /// The first bad entry, numbered by its place in the whole bundle.
    pub fn verify(self) -> Result<Vec<SignedEntry>, BundleError> {
        match verify_all(&self.entries) {
            Ok(()) => Ok(self.entries),
            Err(e) => Err(super::entry::offset(e, self.first).into()),
        }
    }
}

fn read_error(e: std::io::Error) -> BundleError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        BundleError::Truncated {
            detail: "the file ends before its stated length".to_owned(),
        }
    } else {
        BundleError::Read(e)
    }
}

fn unwrap_file_key(
    me: &NodeSecret,
    ring: &PrekeyRing,
    header: &[u8],
) -> Option<(Zeroizing<[u8; 32]>, OpenedWith, usize)> {
    let eph: [u8; 32] = header[..32].try_into().ok()?;
    let eph = masked(&eph);
    let long_term = (
        OpenedWith::LongTermKey,
        me.agreement(),
        me.public().agreement,
    );
    let prekeys = ring
        .secrets()
        .map(|(id, secret, public)| (OpenedWith::Prekey { id }, secret, *public));
    for (with, secret, public) in std::iter::once(long_term).chain(prekeys) {
        let shared = secret.diffie_hellman(&XPublic::from(eph));
        if !shared.was_contributory() {
            continue;
        }
        let cipher = ChaCha20Poly1305::new(&Key::from(*slot_key(&eph, &public, shared.as_bytes())));
        for (index, slot) in header[32..].chunks_exact(SLOT_LEN).enumerate() {
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(&slot[..32]);
            let Ok(tag) = Tag::try_from(&slot[32..]) else {
                continue;
            };
            if cipher
                .decrypt_inout_detached(&nonce(0, true), &[], key.as_mut_slice().into(), &tag)
                .is_ok()
            {
                return Some((key, with, index));
            }
        }
    }
    None
}

/// Reads, decrypts and authenticates segments as the parser reads, holding one.
struct SegmentReader<R> {
    cipher: ChaCha20Poly1305,
    layout: Layout,
    ciphertext: R,
    segment: u64,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
    left: usize,
    failure: Option<BundleError>,
}

impl<R: Read> SegmentReader<R> {
    fn load(&mut self) -> Result<(), Short> {
        if self.failure.is_some() || self.segment >= self.layout.segments {
            return Err(Short);
        }
        let index = self.segment;
        let len = self.layout.plain_len(index);
        let last = index + 1 == self.layout.segments;
        self.buf.resize(len + TAG_LEN, 0);
        if let Err(e) = self.ciphertext.read_exact(&mut self.buf) {
            self.failure = Some(read_error(e));
            return Err(Short);
        }
        let Ok(tag) = Tag::try_from(&self.buf[len..]) else {
            return Err(Short);
        };
        self.buf.truncate(len);
        // Decryption checks the tag before it decrypts, so a failure leaves the
        // ciphertext in place for the second try.
        let cipher = &self.cipher;
        let open = |last: bool, buf: &mut [u8]| {
            cipher
                .decrypt_inout_detached(&nonce(index, last), &[], buf.into(), &tag)
                .is_ok()
        };
        if !open(last, self.buf.as_mut_slice()) {
            let cut = last && open(false, self.buf.as_mut_slice());
            self.failure = Some(if cut {
                BundleError::Truncated {
                    detail: format!("it ends after segment {index}, which is not its last"),
                }
            } else {
                BundleError::Tampered { segment: index }
            });
            return Err(Short);
        }
        self.segment += 1;
        self.pos = 0;
        Ok(())
    }
}

impl<R: Read> Source for SegmentReader<R> {
    fn read_exact(&mut self, mut out: &mut [u8]) -> Result<(), Short> {
        if out.len() > self.left {
            return Err(Short);
        }
        while !out.is_empty() {
            if self.pos == self.buf.len() {
                self.load()?;
                continue;
            }
            let n = out.len().min(self.buf.len() - self.pos);
            out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            self.left -= n;
            out = &mut out[n..];
        }
        Ok(())
    }

    fn remaining(&self) -> usize {
        self.left
    }
}

/// What the payload holds, before its signatures are checked.
pub(crate) struct Payload {
    id: BundleId,
    sender: NodePublicKey,
    prekeys: Vec<Prekey>,
    ack: Vec<u8>,
    entries: Vec<SignedEntry>,
    signature: [u8; 64],
}

impl Payload {
    /// Checks the bundle's signature over the transcript digest, then the
    /// prekeys' signatures (the entries' are checked by their taker).
    fn verify_envelope(&self, digest: &[u8; 32]) -> Result<(), BundleError> {
        let key = verifying_key(&self.sender.signer).ok_or(BundleError::BadBundleSignature)?;
        key.verify_strict(digest, &Signature::from_bytes(&self.signature))
            .map_err(|_| BundleError::BadBundleSignature)?;
        if let Some(index) = self
            .prekeys
            .iter()
            .position(|p| !p.verify(&self.sender.signer()))
        {
            return Err(BundleError::BadPrekeySignature { index });
        }
        Ok(())
    }
}

/// Reads the payload up to and including the bundle signature, feeding every
/// byte before the signature to `transcript`.
pub(crate) fn parse_payload<S: Source + ?Sized>(
    src: &mut S,
    transcript: &mut blake3::Hasher,
) -> Result<Payload, BundleError> {
    fn take<const N: usize, S: Source + ?Sized>(
        src: &mut S,
        transcript: &mut blake3::Hasher,
        what: &'static str,
    ) -> Result<[u8; N], BundleError> {
        let out = read_array::<N, _>(src).map_err(|_| BundleError::Malformed { detail: what })?;
        transcript.update(&out);
        Ok(out)
    }
    let [version] = take::<1, _>(src, transcript, "no version")?;
    if version != PAYLOAD_VERSION {
        return Err(BundleError::UnsupportedVersion { found: version });
    }
    let sender = take::<64, _>(src, transcript, "cut short in the sender key")?;
    let sender = NodePublicKey::from_bytes(&sender).map_err(|_| BundleError::BadBundleSignature)?;
    let id = BundleId(take::<16, _>(
        src,
        transcript,
        "cut short in the bundle id",
    )?);
    let [count] = take::<1, _>(src, transcript, "cut short in the prekey count")?;
    if usize::from(count) > MAX_ANNOUNCED {
        return Err(BundleError::Malformed {
            detail: "too many prekeys announced",
        });
    }
    let mut prekeys = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let raw = take::<PREKEY_LEN, _>(src, transcript, "cut short in a prekey")?;
        let p = Prekey::read(&mut raw.as_slice())
            .map_err(|_| BundleError::Malformed { detail: "a prekey" })?;
        prekeys.push(p);
    }
    let ack_len = u32::from_le_bytes(take::<4, _>(
        src,
        transcript,
        "cut short in the ack length",
    )?) as usize;
    if ack_len > src.remaining() {
        return Err(BundleError::Malformed {
            detail: "the ack length runs past the end",
        });
    }
    let mut ack = vec![0u8; ack_len];
    src.read_exact(&mut ack)
        .map_err(|_| BundleError::Malformed {
            detail: "cut short in the ack",
        })?;
    transcript.update(&ack);
    let count = u32::from_le_bytes(take::<4, _>(
        src,
        transcript,
        "cut short in the entry count",
    )?) as usize;
    // Each entry takes at least its fixed part, which bounds the allocation.
    let mut entries = Vec::with_capacity(count.min(src.remaining() / super::entry::ENTRY_OVERHEAD));
    for _ in 0..count {
        let entry = SignedEntry::read(src).map_err(|e| match e {
            EntryError::Version { found } => BundleError::UnsupportedVersion { found },
            _ => BundleError::Malformed {
                detail: "an entry is cut short",
            },
        })?;
        entry.hash_encoding(transcript);
        entries.push(entry);
    }
    let signature = read_array::<64, _>(src).map_err(|_| BundleError::Malformed {
        detail: "cut short in the signature",
    })?;
    Ok(Payload {
        id,
        sender,
        prekeys,
        ack,
        entries,
        signature,
    })
}

/// Reads the padding after the signature (authenticating every remaining
/// segment) and checks it is all zeros.
fn check_padding<S: Source + ?Sized>(src: &mut S) -> Result<(), BundleError> {
    let mut buf = [0u8; 4096];
    while src.remaining() > 0 {
        let n = src.remaining().min(buf.len());
        src.read_exact(&mut buf[..n])
            .map_err(|_| BundleError::Malformed {
                detail: "cut short in the padding",
            })?;
        if buf[..n].iter().any(|&b| b != 0) {
            return Err(BundleError::Malformed {
                detail: "bytes after the signature are not zero padding",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::PrekeyPolicy;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn a_future_version_is_named() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let (a, b) = (
            NodeSecret::generate_with(&mut rng),
            NodeSecret::generate_with(&mut rng),
        );
        let ring = PrekeyRing::new(PrekeyPolicy::default());
        let request = SealRequest {
            sender: &a,
            ring: &ring,
            recipients: &[*b.public()],
            entries: &[],
            ack: b"",
            now: 0,
        };
        let sealed = seal_version(&request, &mut rng, 2).unwrap();
        let err = open(&b, &ring, &sealed.bytes).unwrap_err();
        assert!(
            matches!(err, BundleError::UnsupportedVersion { found: 2 }),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade Gavah"));
    }

    #[test]
    fn used_slots_sit_anywhere() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let (a, b) = (
            NodeSecret::generate_with(&mut rng),
            NodeSecret::generate_with(&mut rng),
        );
        let ring = PrekeyRing::new(PrekeyPolicy::default());
        let request = SealRequest {
            sender: &a,
            ring: &ring,
            recipients: &[*b.public()],
            entries: &[],
            ack: b"",
            now: 0,
        };
        let mut seen = [0u32; SLOTS];
        for _ in 0..200 {
            let sealed = seal_with_rng(&request, &mut rng).unwrap();
            let (_, _, slot) = unwrap_file_key(&b, &ring, &sealed.bytes[..HEADER_LEN]).unwrap();
            seen[slot] += 1;
        }
        // 25 expected per slot; below 8 happens with probability under 1e-5.
        assert!(seen.iter().all(|&n| n >= 8), "{seen:?}");
    }

    #[test]
    fn buckets_are_padme_sizes_from_4_kib() {
        let sizes: Vec<u64> = [0, 4096, 4097, 4352, 4353, 70_000, 1_000_000]
            .map(|n| bucket_size(n).unwrap())
            .to_vec();
        expect_test::expect![[r#"
            [
                4096,
                4096,
                4352,
                4352,
                4608,
                71680,
                1015808,
            ]
        "#]]
        .assert_debug_eq(&sizes);
        for n in (0..3_000_000u64).step_by(997) {
            let b = bucket_size(n).unwrap();
            assert!(b >= n && b >= MIN_BUNDLE && b.is_multiple_of(256) && is_bucket_size(b));
            assert!(n < MIN_BUNDLE || (b - n) * 16 <= b, "{n} -> {b}");
            let layout = Layout::of_ciphertext(b as usize - HEADER_LEN).unwrap();
            assert!(
                layout.capacity() + HEADER_LEN + TAG_LEN * layout.segments as usize == b as usize
            );
        }
    }
}
