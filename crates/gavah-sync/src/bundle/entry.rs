//! Signed entries: an entry's canonical bytes with its signer's ed25519 key and
//! signature, their compact encoding, and fast verification of many at once.

use std::collections::HashMap;

use curve25519_dalek::edwards::EdwardsPoint;
use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;

use super::error::EntryError;
use super::keys::{NodeSecret, SignerKey, verifying_key};
use super::wire::{Source, read_array, read_u32};

/// The version byte that opens an encoded signed entry.
const ENTRY_VERSION: u8 = 1;
/// Bytes of an encoded entry besides its canonical bytes: version, signer,
/// signature, length.
pub const ENTRY_OVERHEAD: usize = 1 + 32 + 64 + 4;
const ENTRY_CONTEXT: &str = "gavah 2026 signed entry v1";
/// Entries verified by one batch equation at most: the multiscalar
/// multiplication's cost per point falls little beyond this (`benches/bundle.rs`
/// on 100,000 entries: 0.52 s at 512, 0.49 s at 1,024, 0.47–0.60 s at 2,048).
const MAX_BATCH: usize = 1024;
/// Entries per batch at least, below which batching gains little.
const MIN_BATCH: usize = 32;

/// An entry's canonical bytes, signed by a node.
///
/// The signature is ed25519 over the 32-byte BLAKE3 digest of the canonical
/// bytes under the context `gavah 2026 signed entry v1`
/// (`blake3::derive_key`-style hashing), so an entry signature can never be
/// mistaken for a bundle or prekey signature.
///
/// Encoding ([`SignedEntry::encode`], 101 bytes plus the entry):
///
/// | bytes | field |
/// |---|---|
/// | 1 | version, 1 |
/// | 32 | signer's ed25519 public key |
/// | 64 | ed25519 signature |
/// | 4 | length of the canonical bytes, little-endian u32 |
/// | length | canonical bytes |
#[derive(Clone, PartialEq, Eq)]
pub struct SignedEntry {
    signer: [u8; 32],
    signature: [u8; 64],
    bytes: Vec<u8>,
}

impl std::fmt::Debug for SignedEntry {
    // The canonical bytes can hold names: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedEntry")
            .field("signer", &SignerKey(self.signer))
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    *blake3::Hasher::new_derive_key(ENTRY_CONTEXT)
        .update(bytes)
        .finalize()
        .as_bytes()
}

impl SignedEntry {
    /// Signs an entry's canonical bytes with the node's key.
    pub fn sign(node: &NodeSecret, canonical_bytes: Vec<u8>) -> Self {
        let signature = node.sign_digest(&digest(&canonical_bytes));
        Self {
            signer: node.public().signer().0,
            signature,
            bytes: canonical_bytes,
        }
    }

    /// An entry signed earlier, from its stored parts (the signature is not
    /// checked here: [`SignedEntry::verify`] does).
    pub fn from_parts(signer: [u8; 32], signature: [u8; 64], canonical_bytes: Vec<u8>) -> Self {
        Self {
            signer,
            signature,
            bytes: canonical_bytes,
        }
    }

    /// The key that signed this entry; decide trust by it.
    pub fn signer(&self) -> SignerKey {
        SignerKey(self.signer)
    }

    /// The entry's canonical bytes as signed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The canonical bytes, taking them out of the entry.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The 64-byte ed25519 signature.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// Checks the signature (and that the signer key is a usable ed25519 key).
    ///
    /// # Errors
    /// [`EntryError::BadSigner`] or [`EntryError::BadSignature`] with index 0.
    pub fn verify(&self) -> Result<(), EntryError> {
        let key = verifying_key(&self.signer).ok_or(EntryError::BadSigner { index: 0 })?;
        key.verify_strict(
            &digest(&self.bytes),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| EntryError::BadSignature { index: 0 })
    }

    /// Length of [`SignedEntry::encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        ENTRY_OVERHEAD + self.bytes.len()
    }

    /// The compact binary encoding (layout in the type's docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoding to `out`.
    ///
    /// Canonical bytes longer than `u32::MAX` cannot be encoded; [`super::seal`]
    /// refuses them before calling this.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(ENTRY_VERSION);
        out.extend_from_slice(&self.signer);
        out.extend_from_slice(&self.signature);
        let len = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&self.bytes);
    }

    /// Feeds the encoding to a hasher without building it.
    pub(crate) fn hash_encoding(&self, hasher: &mut blake3::Hasher) {
        hasher.update(&[ENTRY_VERSION]);
        hasher.update(&self.signer);
        hasher.update(&self.signature);
        hasher.update(
            &u32::try_from(self.bytes.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        hasher.update(&self.bytes);
    }

    /// Reads exactly one encoded entry. It does not check the signature: call
    /// [`SignedEntry::verify`] or [`verify_all`].
    ///
    /// # Errors
    /// An [`EntryError`] if the bytes are cut short, have another version or
    /// carry bytes after the entry.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut src = bytes;
        let entry = Self::read(&mut src)?;
        if !src.is_empty() {
            return Err(EntryError::TrailingBytes { extra: src.len() });
        }
        Ok(entry)
    }

    /// Reads one entry from a source; its length field is checked against what
    /// the source has left before anything is allocated.
    pub(crate) fn read<S: Source + ?Sized>(src: &mut S) -> Result<Self, EntryError> {
        let cut = |detail| move |_| EntryError::Truncated { detail };
        let [version] = read_array::<1, _>(src).map_err(cut("no version byte"))?;
        if version != ENTRY_VERSION {
            return Err(EntryError::Version { found: version });
        }
        let signer = read_array::<32, _>(src).map_err(cut("inside the signer key"))?;
        let signature = read_array::<64, _>(src).map_err(cut("inside the signature"))?;
        let len = read_u32(src).map_err(cut("inside the length"))? as usize;
        if len > src.remaining() {
            return Err(EntryError::Truncated {
                detail: "its length runs past the end",
            });
        }
        let mut bytes = vec![0u8; len];
        src.read_exact(&mut bytes)
            .map_err(cut("inside the canonical bytes"))?;
        Ok(Self {
            signer,
            signature,
            bytes,
        })
    }
}

/// Signs many entries' canonical bytes on all cores (a bulk import signs a
/// million entries; one core signs about 30,000 a second on the 2-core test
/// machine). The result is in the order given.
pub fn sign_all(node: &NodeSecret, canonical_bytes: Vec<Vec<u8>>) -> Vec<SignedEntry> {
    canonical_bytes
        .into_par_iter()
        .map(|bytes| SignedEntry::sign(node, bytes))
        .collect()
}

/// Verifies every entry's signature, batching them (ed25519 batch verification)
/// over all cores; this is what reaches ≥ 50,000 entries/s on two cores.
///
/// A batch that fails is checked one by one (`verify_strict`) to name the first
/// bad entry. Weak (small-order) signer keys are refused. The batch equation is
/// cofactored (as ZIP-215 recommends) and `verify_strict` is not; both accept
/// every honestly made signature, and a signer who crafts small-order
/// components into its own signatures may see them refused by one and not the
/// other, which harms only its own entries.
///
/// # Errors
/// The first bad entry by index: [`EntryError::BadSigner`] or
/// [`EntryError::BadSignature`].
pub fn verify_all(entries: &[SignedEntry]) -> Result<(), EntryError> {
    // Decompressing a key costs as much as a third of a verification, and a
    // bundle holds few signers: decompress each distinct signer once.
    let mut keys: HashMap<[u8; 32], Option<VerifyingKey>> = HashMap::new();
    for entry in entries {
        keys.entry(entry.signer)
            .or_insert_with(|| verifying_key(&entry.signer));
    }
    // Two batches per thread at least, so that the threads finish together (a
    // bundle import checks 4,096 entries at a time: batches of 1,024).
    let threads = rayon::current_num_threads().max(1);
    let batch = (entries.len() / (2 * threads)).clamp(MIN_BATCH, MAX_BATCH);
    let failures: Vec<EntryError> = entries
        .par_chunks(batch)
        .enumerate()
        .filter_map(|(chunk_index, chunk)| {
            verify_chunk(chunk, &keys)
                .err()
                .map(|e| offset(e, chunk_index * batch))
        })
        .collect();
    failures
        .into_iter()
        .min_by_key(index_of)
        .map_or(Ok(()), Err)
}

fn verify_chunk(
    chunk: &[SignedEntry],
    keys: &HashMap<[u8; 32], Option<VerifyingKey>>,
) -> Result<(), EntryError> {
    let verifying: Vec<Option<VerifyingKey>> = chunk
        .iter()
        .map(|e| keys.get(&e.signer).copied().flatten())
        .collect();
    let digests: Vec<[u8; 32]> = chunk.iter().map(|e| digest(&e.bytes)).collect();
    if let Some(all) = verifying
        .iter()
        .copied()
        .collect::<Option<Vec<VerifyingKey>>>()
        && batch_holds(chunk, &digests, &all)
    {
        return Ok(());
    }
    // Something is wrong: find the first bad entry one by one.
    for (index, ((key, message), entry)) in verifying.iter().zip(&digests).zip(chunk).enumerate() {
        let Some(key) = key else {
            return Err(EntryError::BadSigner { index });
        };
        if key
            .verify_strict(message, &Signature::from_bytes(&entry.signature))
            .is_err()
        {
            return Err(EntryError::BadSignature { index });
        }
    }
    // The batch equation is cofactored and `verify_strict` is not: they can
    // disagree only on signatures their signer crafted with small-order
    // components. Refuse the chunk rather than accept what the batch refused.
    Err(EntryError::BadSignature { index: 0 })
}

/// Ed25519 batch verification with the terms of each distinct signer summed.
///
/// Written here because ed25519-dalek's `verify_batch` multiplies every
/// entry's public key separately: a bundle's entries mostly share one or a few
/// signers, and summing their coefficients first removes half the points from
/// the multiscalar multiplication (about a third of the time, measured in
/// `benches/bundle.rs`). For signatures `(R_i, s_i)` by keys `A_i` on digests
/// `M_i`, with `k_i = SHA-512(R_i ‖ A_i ‖ M_i) mod ℓ` and 128-bit weights `z_i`
/// drawn from a BLAKE3 hash of every `k_i`'s preimage hash and `s_i` (so no
/// signer can choose them), it checks the cofactored equation
/// `[8]([Σ z_i s_i] B − Σ [z_i] R_i − Σ_A [Σ_{i: A_i = A} z_i k_i] A) = 0`.
/// Like `verify_strict` it refuses non-canonical `s`, small-order `R` and
/// (through `verifying_key`) weak keys.
#[allow(non_snake_case)] // R, A and B are the names the equations use.
fn batch_holds(chunk: &[SignedEntry], digests: &[[u8; 32]], keys: &[VerifyingKey]) -> bool {
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
    use sha2::{Digest, Sha512};

    let mut weights_seed = blake3::Hasher::new_derive_key("gavah 2026 entry batch weights v1");
    let mut challenges = Vec::with_capacity(chunk.len());
    for ((entry, message), key) in chunk.iter().zip(digests).zip(keys) {
        let hram: [u8; 64] = Sha512::new()
            .chain_update(&entry.signature[..32])
            .chain_update(key.as_bytes())
            .chain_update(message)
            .finalize()
            .into();
        weights_seed.update(&hram);
        weights_seed.update(&entry.signature[32..]);
        challenges.push(Scalar::from_bytes_mod_order_wide(&hram));
    }
    let mut weights = weights_seed.finalize_xof();

    let mut b_coefficient = Scalar::ZERO;
    let mut key_coefficients: Vec<([u8; 32], Scalar)> = Vec::new();
    let mut scalars = Vec::with_capacity(chunk.len() + 1);
    let mut points = Vec::with_capacity(chunk.len() + 1);
    for ((entry, k), key) in chunk.iter().zip(&challenges).zip(keys) {
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&entry.signature[32..]);
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
            return false;
        };
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&entry.signature[..32]);
        let Some(R) = CompressedEdwardsY(r_bytes)
            .decompress()
            .filter(|r| !r.is_small_order())
        else {
            return false;
        };
        let mut z_bytes = [0u8; 32];
        weights.fill(&mut z_bytes[..16]);
        let z = Scalar::from_bytes_mod_order(z_bytes);
        b_coefficient += z * s;
        let zk = z * k;
        match key_coefficients
            .iter_mut()
            .find(|(a, _)| a == key.as_bytes())
        {
            Some((_, c)) => *c += zk,
            None => key_coefficients.push((*key.as_bytes(), zk)),
        }
        scalars.push(-z);
        points.push(R);
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    for (a, c) in key_coefficients {
        let Some(key) = keys.iter().find(|k| *k.as_bytes() == a) else {
            return false;
        };
        scalars.push(-c);
        points.push(key.to_edwards());
    }
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

pub(crate) fn offset(e: EntryError, by: usize) -> EntryError {
    match e {
        EntryError::BadSignature { index } => EntryError::BadSignature { index: index + by },
        EntryError::BadSigner { index } => EntryError::BadSigner { index: index + by },
        other => other,
    }
}

fn index_of(e: &EntryError) -> usize {
    match e {
        EntryError::BadSignature { index } | EntryError::BadSigner { index } => *index,
        _ => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn node(seed: u64) -> NodeSecret {
        NodeSecret::generate_with(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    #[test]
    fn encoding_is_pinned() {
        let e = SignedEntry::sign(&node(1), b"entry one".to_vec());
        expect_test::expect!["011deacd7825ffe08cc2d625f2576706f13b787f520dcfe47d6248e47f4e9cb2171bffb6bf43e8941b8acc01b7b0c52a317dfcfe98833da72b353d962d19779c2dfc0d4428e48704f8472f8a8bf6915ec493fcc61dd6481665ef5d94c22cc1850809000000656e747279206f6e65"].assert_eq(&hex(&e.encode()));
        assert_eq!(SignedEntry::decode(&e.encode()).unwrap(), e);
        e.verify().unwrap();
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn a_changed_byte_or_signer_fails() {
        let a = node(1);
        let e = SignedEntry::sign(&a, b"Zahedan 2026-01-08".to_vec());
        let enc = e.encode();
        for i in 0..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 1;
            let ok = SignedEntry::decode(&bad).is_ok_and(|d| d.verify().is_ok());
            assert!(!ok, "flip at {i} still verifies");
        }
        assert!(SignedEntry::decode(&[enc.as_slice(), &[0]].concat()).is_err());
        for cut in 0..enc.len() {
            assert!(SignedEntry::decode(&enc[..cut]).is_err());
        }
    }

    #[test]
    fn sign_all_matches_one_by_one() {
        let a = node(1);
        let texts: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let one_by_one: Vec<SignedEntry> = texts
            .iter()
            .map(|t| SignedEntry::sign(&a, t.clone()))
            .collect();
        assert_eq!(sign_all(&a, texts), one_by_one);
    }

    #[test]
    fn verify_all_names_the_first_bad_entry() {
        let a = node(1);
        let mut entries: Vec<SignedEntry> = (0..1000u32)
            .map(|i| SignedEntry::sign(&a, i.to_le_bytes().to_vec()))
            .collect();
        verify_all(&entries).unwrap();
        entries[700].bytes[0] ^= 1;
        entries[300].signature[5] ^= 1;
        assert_eq!(
            verify_all(&entries),
            Err(EntryError::BadSignature { index: 300 })
        );
        entries[10].signer = [0u8; 32];
        assert_eq!(
            verify_all(&entries),
            Err(EntryError::BadSigner { index: 10 })
        );
    }

    /// ℓ, the order of the ed25519 base point, little-endian.
    const ORDER: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    #[test]
    fn a_non_canonical_s_is_refused_though_the_equation_holds() {
        let a = node(1);
        let mut entries: Vec<SignedEntry> = (0..64u32)
            .map(|i| SignedEntry::sign(&a, i.to_le_bytes().to_vec()))
            .collect();
        // s + ℓ is the same scalar, so only the canonical check can catch it.
        let s = &mut entries[17].signature[32..];
        let mut carry = 0u16;
        for (byte, add) in s.iter_mut().zip(ORDER) {
            let sum = u16::from(*byte) + u16::from(add) + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert_eq!(
            verify_all(&entries),
            Err(EntryError::BadSignature { index: 17 })
        );
        assert!(entries[17].verify().is_err());
    }

    #[test]
    fn swapped_signatures_and_signers_are_refused() {
        let (a, b) = (node(1), node(2));
        let mut entries: Vec<SignedEntry> = (0..100u32)
            .map(|i| SignedEntry::sign(if i % 3 == 0 { &b } else { &a }, i.to_le_bytes().to_vec()))
            .collect();
        verify_all(&entries).unwrap();
        let (x, y) = (entries[4].signature, entries[5].signature);
        entries[4].signature = y;
        entries[5].signature = x;
        assert_eq!(
            verify_all(&entries),
            Err(EntryError::BadSignature { index: 4 })
        );
        entries[5].signature = y;
        entries[4].signature = x;
        entries[7].signer = b.public().signer().0;
        assert_eq!(
            verify_all(&entries),
            Err(EntryError::BadSignature { index: 7 })
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The batch verifier agrees with one-by-one `verify_strict` on mixed
        /// signers and random damage: same verdict, same first bad index.
        #[test]
        fn batch_agrees_with_one_by_one(
            signers in proptest::collection::vec(0usize..3, 1..300),
            damage in proptest::collection::vec((0usize..300, 0usize..4, 0usize..96, 1u8..), 0..4),
        ) {
            let keys = [node(1), node(2), node(3)];
            let mut entries: Vec<SignedEntry> = signers
                .iter()
                .enumerate()
                .map(|(i, k)| SignedEntry::sign(&keys[*k], format!("entry {i}").into_bytes()))
                .collect();
            for (at, what, byte, mask) in damage {
                let e = &mut entries[at % signers.len()];
                match what {
                    0 => e.signature[byte % 64] ^= mask,
                    1 => e.bytes.push(mask),
                    2 => e.signer = keys[(signers[at % signers.len()] + 1) % 3].public().signer().0,
                    _ => e.signer[byte % 32] ^= mask,
                }
            }
            let first_bad = entries.iter().position(|e| e.verify().is_err());
            let batch = verify_all(&entries);
            match first_bad {
                None => proptest::prop_assert_eq!(batch, Ok(())),
                Some(i) => proptest::prop_assert!(
                    matches!(batch, Err(EntryError::BadSignature { index } | EntryError::BadSigner { index }) if index == i),
                    "one by one: {i}, batch: {batch:?}"
                ),
            }
        }
    }
}
