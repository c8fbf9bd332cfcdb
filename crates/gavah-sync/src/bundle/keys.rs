//! Node keys: the secret seed a node keeps, the public key it hands out as one
//! line of text (and as a QR code), and their parsers.

use std::fmt;

use bech32::{Bech32m, Hrp, primitives::decode::CheckedHrpstring};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand::CryptoRng;
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

use super::error::KeyError;

/// The human-readable part of a public key line: every line starts `gavah1`.
const HRP: Hrp = Hrp::parse_unchecked("gavah");
/// The version byte inside a public key line (the first byte of its data).
const PUBLIC_KEY_VERSION: u8 = 1;
/// The version byte of serialised secret key material.
const SECRET_VERSION: u8 = 1;
/// Length of [`NodeSecret::to_bytes`]: version byte and 32-byte seed.
pub const SECRET_BYTES_LEN: usize = 33;

const SIGNING_CONTEXT: &str = "gavah 2026 node ed25519 signing key v1";
const AGREEMENT_CONTEXT: &str = "gavah 2026 node x25519 agreement key v1";

/// A node's secret keys: an ed25519 signing key (entries, bundles, prekeys) and an
/// X25519 key for receiving bundles when the sender knows none of its prekeys.
///
/// Both keys are derived from one random 32-byte seed with `blake3::derive_key`
/// under two different contexts, so they are independent keys (no key is used
/// for both signing and key agreement) while the lead stores and wipes only one
/// secret, 33 bytes from [`NodeSecret::to_bytes`]. Everything here is zeroised
/// on drop; `Debug` never prints key material.
///
/// What must be destroyed to wipe a node's identity: the bytes of
/// [`NodeSecret::to_bytes`] and of [`super::PrekeyRing::to_bytes`] wherever they
/// were stored (overwrite the file, then delete it), and every value of these
/// types in memory (dropping them does it).
#[derive(Clone)]
pub struct NodeSecret {
    seed: Zeroizing<[u8; 32]>,
    signing: SigningKey,
    agreement: StaticSecret,
    public: NodePublicKey,
}

impl NodeSecret {
    /// Makes a new node identity from the operating system's random source.
    ///
    /// # Errors
    /// [`KeyError::Randomness`] if the operating system gives no random bytes.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|e| KeyError::Randomness(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    /// Makes a new node identity from `rng` (tests pass a seeded one).
    pub fn generate_with<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut_slice());
        Self::from_seed(&seed)
    }

    fn from_seed(seed: &[u8; 32]) -> Self {
        let signing_seed = Zeroizing::new(blake3::derive_key(SIGNING_CONTEXT, seed));
        let agreement_seed = Zeroizing::new(blake3::derive_key(AGREEMENT_CONTEXT, seed));
        let signing = SigningKey::from_bytes(&signing_seed);
        let agreement = StaticSecret::from(*agreement_seed);
        let public = NodePublicKey {
            signer: signing.verifying_key().to_bytes(),
            agreement: XPublic::from(&agreement).to_bytes(),
        };
        Self {
            seed: Zeroizing::new(*seed),
            signing,
            agreement,
            public,
        }
    }

    /// The secret as bytes for the lead to store: a version byte (1) then the
    /// 32-byte seed. Zeroised when dropped; keep it out of logs and backups.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(SECRET_BYTES_LEN));
        out.push(SECRET_VERSION);
        out.extend_from_slice(self.seed.as_slice());
        out
    }

    /// Reads what [`NodeSecret::to_bytes`] wrote.
    ///
    /// # Errors
    /// [`KeyError::SecretMalformed`] if `bytes` is not 33 bytes starting with version 1.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let [version, rest @ ..] = bytes else {
            return Err(KeyError::SecretMalformed { len: 0 });
        };
        if *version != SECRET_VERSION {
            return Err(KeyError::SecretVersion { found: *version });
        }
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            rest.try_into()
                .map_err(|_| KeyError::SecretMalformed { len: bytes.len() })?,
        );
        Ok(Self::from_seed(&seed))
    }

    /// This node's public key, to hand out.
    pub fn public(&self) -> &NodePublicKey {
        &self.public
    }

    /// Signs a 32-byte digest that already carries its own domain separation.
    pub(crate) fn sign_digest(&self, digest: &[u8; 32]) -> [u8; 64] {
        self.signing.sign(digest).to_bytes()
    }

    pub(crate) fn agreement(&self) -> &StaticSecret {
        &self.agreement
    }
}

impl fmt::Debug for NodeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeSecret")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// The ed25519 public key that signed an entry (32 bytes). It names a node for
/// trust decisions: compare it with [`NodePublicKey::signer`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignerKey(pub [u8; 32]);

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// A node's public keys: the ed25519 key that verifies what it signs and the
/// X25519 key bundles are sealed to when no prekey of it is known.
///
/// Its text form ([`fmt::Display`], [`NodePublicKey::parse`]) is one line,
/// `gavah1` followed by 110 characters of lowercase letters and digits: Bech32m
/// (BIP-350) with human-readable part `gavah` over 65 bytes, a version byte (1),
/// the ed25519 key and the X25519 key. Its 6-character checksum refuses a
/// mistyped line; the alphabet has no punctuation, no mixed case and no look-alike
/// characters (`1`, `b`, `i`, `o` never appear after the prefix), so messengers
/// and line wrapping do not change it. An all-uppercase line (as QR codes carry
/// it) is accepted too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodePublicKey {
    pub(crate) signer: [u8; 32],
    pub(crate) agreement: [u8; 32],
}

impl NodePublicKey {
    /// The ed25519 key that signs this node's entries, bundles and prekeys.
    pub fn signer(&self) -> SignerKey {
        SignerKey(self.signer)
    }

    /// The X25519 key bundles are sealed to when no prekey is known.
    pub fn agreement_bytes(&self) -> [u8; 32] {
        self.agreement
    }

    /// The 64 raw bytes: ed25519 key then X25519 key.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.signer);
        out[32..].copy_from_slice(&self.agreement);
        out
    }

    /// Reads the 64 raw bytes of [`NodePublicKey::to_bytes`].
    ///
    /// # Errors
    /// [`KeyError::NotAKey`] if the first 32 bytes are not a usable ed25519 key.
    pub fn from_bytes(bytes: &[u8; 64]) -> Result<Self, KeyError> {
        let mut signer = [0u8; 32];
        let mut agreement = [0u8; 32];
        signer.copy_from_slice(&bytes[..32]);
        agreement.copy_from_slice(&bytes[32..]);
        verifying_key(&signer).ok_or(KeyError::NotAKey)?;
        Ok(Self { signer, agreement })
    }

    /// Parses one public key line (surrounding whitespace is ignored).
    ///
    /// # Errors
    /// A [`KeyError`] saying whether the prefix, the checksum (a mistyped or
    /// truncated line), the version or the keys themselves are wrong.
    pub fn parse(line: &str) -> Result<Self, KeyError> {
        let line = line.trim();
        let lower = line.to_ascii_lowercase();
        if !lower.starts_with("gavah1") {
            return Err(KeyError::Prefix);
        }
        let checked = CheckedHrpstring::new::<Bech32m>(line).map_err(|_| KeyError::Checksum)?;
        if checked.hrp() != HRP {
            return Err(KeyError::Prefix);
        }
        let data: Vec<u8> = checked.byte_iter().collect();
        let [version, keys @ ..] = data.as_slice() else {
            return Err(KeyError::Length { found: 0 });
        };
        if *version != PUBLIC_KEY_VERSION {
            return Err(KeyError::Version { found: *version });
        }
        let keys: &[u8; 64] = keys
            .try_into()
            .map_err(|_| KeyError::Length { found: data.len() })?;
        let key = Self::from_bytes(keys)?;
        // Bech32 ignores up to four padding bits, so a second spelling of the same
        // bytes could pass the checksum; only the canonical spelling is accepted.
        if key.to_string() != lower {
            return Err(KeyError::Checksum);
        }
        Ok(key)
    }
}

impl fmt::Display for NodePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = [0u8; 65];
        data[0] = PUBLIC_KEY_VERSION;
        data[1..].copy_from_slice(&self.to_bytes());
        bech32::encode_lower_to_fmt::<Bech32m, _>(f, HRP, &data).map_err(|_| fmt::Error)
    }
}

impl fmt::Debug for NodePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodePublicKey({self})")
    }
}

impl std::str::FromStr for NodePublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Decompresses an ed25519 public key, refusing points that are not on the curve
/// and the weak (small-order) keys with which a forger could make signatures
/// that verify for many messages.
pub(crate) fn verifying_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(bytes)
        .ok()
        .filter(|k| !k.is_weak())
}

/// Pixels per QR module in [`public_key_qr_png`].
const QR_SCALE: usize = 8;
/// Light modules around the code, as the QR standard asks.
const QR_QUIET_ZONE: usize = 4;

/// Renders a public key line as a black-on-white QR code PNG (the CLI's
/// `gavah node key --qr FILE`). The line is encoded in uppercase, which QR codes
/// store in their compact alphanumeric mode and [`NodePublicKey::parse`] accepts.
///
/// # Errors
/// [`KeyError::Qr`] if `line` does not fit in a QR code or the PNG encoder fails.
pub fn public_key_qr_png(line: &str) -> Result<Vec<u8>, KeyError> {
    let upper = line.trim().to_ascii_uppercase();
    let code = qrcode::QrCode::with_error_correction_level(upper.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| KeyError::Qr(e.to_string()))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET_ZONE) * QR_SCALE;
    let mut pixels = vec![0xffu8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QR_QUIET_ZONE, i / modules + QR_QUIET_ZONE);
        for y in my * QR_SCALE..(my + 1) * QR_SCALE {
            pixels[y * side + mx * QR_SCALE..y * side + (mx + 1) * QR_SCALE].fill(0);
        }
    }
    let side_u32 = u32::try_from(side).map_err(|e| KeyError::Qr(e.to_string()))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| KeyError::Qr(e.to_string()))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| KeyError::Qr(e.to_string()))?;
    writer.finish().map_err(|e| KeyError::Qr(e.to_string()))?;
    Ok(out)
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
    fn line_is_pinned_for_a_fixed_seed() {
        let line = node(1).public().to_string();
        expect_test::expect!["gavah1qyw74ntcyhl7prxz6cjly4m8qmcnk7rl2gxuleravfywgl6wnjepwtyhg3rhdku8yj59rqlparf0gq8pt2fv6lt4ew9kcr69zx9s93z4kpr4ht"]
            .assert_eq(&line);
        assert_eq!(NodePublicKey::parse(&line).unwrap(), *node(1).public());
        assert_eq!(
            NodePublicKey::parse(&line.to_uppercase()).unwrap(),
            *node(1).public()
        );
        assert_eq!(
            NodePublicKey::parse(&format!("  {line}\n")).unwrap(),
            *node(1).public()
        );
        assert!(
            line.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn every_single_character_typo_is_refused() {
        let line = node(2).public().to_string();
        let alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        for (i, _) in line.char_indices() {
            for c in alphabet.chars() {
                let mut typo = line.clone();
                typo.replace_range(i..=i, &c.to_string());
                if typo == line {
                    continue;
                }
                assert!(NodePublicKey::parse(&typo).is_err(), "typo at {i} accepted");
            }
        }
        for cut in 0..line.len() {
            assert!(
                NodePublicKey::parse(&line[..cut]).is_err(),
                "cut at {cut} accepted"
            );
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let line = node(3).public().to_string();
        let swapped: String = {
            let mut c: Vec<char> = line.chars().collect();
            c.swap(10, 11);
            c.into_iter().collect()
        };
        let mixed = format!("G{}", &line[1..]);
        for (input, want) in [
            ("age1abc", "not a Gavah node public key"),
            (swapped.as_str(), "checksum"),
            (mixed.as_str(), "checksum"),
        ] {
            let err = NodePublicKey::parse(input).unwrap_err().to_string();
            assert!(err.contains(want), "{input}: {err}");
        }
    }

    #[test]
    fn secret_round_trips_and_refuses_bad_bytes() {
        let a = node(4);
        let bytes = a.to_bytes();
        assert_eq!(bytes.len(), SECRET_BYTES_LEN);
        let b = NodeSecret::from_bytes(&bytes).unwrap();
        assert_eq!(a.public(), b.public());
        assert!(NodeSecret::from_bytes(&bytes[..32]).is_err());
        let mut wrong = bytes.to_vec();
        wrong[0] = 2;
        assert!(matches!(
            NodeSecret::from_bytes(&wrong),
            Err(KeyError::SecretVersion { .. })
        ));
        assert!(!format!("{a:?}").contains(&format!("{:?}", &bytes[1..4])));
    }

    #[test]
    fn qr_png_reads_back_as_the_key() {
        let line = node(5).public().to_string();
        let png_bytes = public_key_qr_png(&line).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0u8; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            pixels[y * info.line_size + x]
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().unwrap();
        assert_eq!(NodePublicKey::parse(&text).unwrap(), *node(5).public());
    }
}
