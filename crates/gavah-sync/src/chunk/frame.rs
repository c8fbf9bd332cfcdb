//! The chunk frame: the 16-byte header, its integrity check, and the coding
//! layout every reader derives from the header alone.

use std::fmt;

use super::ChunkError;

/// Bytes of framing in every chunk: everything that is not coded payload.
pub const HEADER_BYTES: usize = 16;

/// The wire format version this code writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// Most chunks one bundle may be split into: the chunk index has 20 bits.
pub const MAX_CHUNKS: u32 = 1 << 20;

/// Largest RaptorQ symbol (payload) the format allows: RFC 6330 symbol sizes are 16 bits.
pub const MAX_PAYLOAD_BYTES: usize = u16::MAX as usize;

/// Largest chunk of any channel: the header and the largest symbol.
pub const MAX_CHUNK_BYTES: usize = HEADER_BYTES + MAX_PAYLOAD_BYTES;

/// RFC 6330 section 5.1.2: the most source symbols one source block may hold.
const MAX_SOURCE_SYMBOLS_PER_BLOCK: u32 = 56_403;

/// RFC 6330 allows at most 256 source blocks; we number them in one byte.
const MAX_SOURCE_BLOCKS: u32 = 255;

/// The public name of a bundle in its chunks: the first 5 bytes of the BLAKE3
/// hash of the bundle's bytes.
///
/// It is derived from the bundle (already ciphertext), so re-splitting the same
/// bundle gives chunks that join with the first split's, and it tells a reader
/// nothing the bundle itself would not. The joiner checks it against the
/// rebuilt bundle, which catches a wrong rebuild.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BundleId([u8; 5]);

impl BundleId {
    /// The id of `bundle`.
    pub fn of(bundle: &[u8]) -> Self {
        let hash = blake3::hash(bundle);
        let mut id = [0; 5];
        id.copy_from_slice(&hash.as_bytes()[..5]);
        Self(id)
    }

    /// The id's 5 bytes, as they stand in the header.
    pub fn as_bytes(&self) -> &[u8; 5] {
        &self.0
    }
}

impl fmt::Display for BundleId {
    /// Ten lowercase hex digits, as used in chunk file names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for BundleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BundleId({self})")
    }
}

/// How a bundle of `bundle_len` bytes is cut into RaptorQ source blocks of
/// `symbol_bytes`-byte symbols. Computed the same way by the splitter and by
/// every reader, from the header and the chunk's length, so none of it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) bundle_len: u32,
    pub(crate) symbol_bytes: u16,
    /// Number of source blocks Z.
    pub(crate) blocks: u32,
    /// Source symbols in each of the first `large_blocks` blocks.
    large_symbols: u32,
    small_symbols: u32,
    large_blocks: u32,
}

impl Layout {
    /// The layout of a bundle, or why the format cannot carry it.
    pub(crate) fn new(bundle_len: u32, symbol_bytes: usize) -> Result<Self, ChunkError> {
        let Ok(symbol_bytes) = u16::try_from(symbol_bytes) else {
            return Err(ChunkError::Layout {
                bundle_len,
                symbol_bytes,
            });
        };
        if bundle_len == 0 || symbol_bytes == 0 {
            return Err(ChunkError::Layout {
                bundle_len,
                symbol_bytes: usize::from(symbol_bytes),
            });
        }
        let source_symbols = bundle_len.div_ceil(u32::from(symbol_bytes));
        let blocks = source_symbols.div_ceil(MAX_SOURCE_SYMBOLS_PER_BLOCK);
        if blocks > MAX_SOURCE_BLOCKS || source_symbols > MAX_CHUNKS {
            return Err(ChunkError::TooManyChunks {
                bundle_len: bundle_len as usize,
                chunk_bytes: usize::from(symbol_bytes) + HEADER_BYTES,
            });
        }
        // RFC 6330 section 4.4.1.2, Partition[Kt, Z].
        let large_symbols = source_symbols.div_ceil(blocks);
        let small_symbols = source_symbols / blocks;
        let large_blocks = source_symbols - small_symbols * blocks;
        Ok(Self {
            bundle_len,
            symbol_bytes,
            blocks,
            large_symbols,
            small_symbols,
            large_blocks,
        })
    }

    /// RaptorQ's transmission parameters: no sub-blocks, alignment 1.
    pub(crate) fn oti(&self) -> raptorq::ObjectTransmissionInformation {
        // Layout::new keeps every argument inside what `new` asserts.
        raptorq::ObjectTransmissionInformation::new(
            u64::from(self.bundle_len),
            self.symbol_bytes,
            self.blocks as u8,
            1,
            1,
        )
    }

    /// Source symbols K in block `block`.
    pub(crate) fn block_symbols(&self, block: u32) -> u32 {
        if block < self.large_blocks {
            self.large_symbols
        } else {
            self.small_symbols
        }
    }

    /// Source symbols in all blocks together: the fewest chunks that can rebuild.
    pub(crate) fn source_symbols(&self) -> u32 {
        self.large_symbols * self.large_blocks
            + self.small_symbols * (self.blocks - self.large_blocks)
    }

    /// The chunk index of encoding symbol `esi` of block `block`. Blocks are
    /// interleaved so that a burst of lost chunks spreads over all blocks.
    pub(crate) fn index(&self, block: u32, esi: u32) -> Option<u32> {
        let index = u64::from(esi) * u64::from(self.blocks) + u64::from(block);
        u32::try_from(index).ok().filter(|&i| i < MAX_CHUNKS)
    }

    /// The (block, encoding symbol id) a chunk index stands for.
    pub(crate) fn locate(&self, index: u32) -> (u32, u32) {
        (index % self.blocks, index / self.blocks)
    }
}

/// One self-describing chunk: a validated frame as it travels.
///
/// Byte layout (all integers big-endian):
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 3 | version (high 4 bits, now 1) and chunk index (low 20 bits) |
/// | 3 | 5 | bundle id: BLAKE3(bundle)\[0..5\] |
/// | 8 | 4 | bundle length F in bytes |
/// | 12 | 4 | CRC-32 (IEEE) of bytes 0..12 followed by the payload |
/// | 16 | T | payload: one RaptorQ encoding symbol of T bytes |
///
/// See the [module documentation](super) for how T and the blocks follow.
#[derive(Clone, PartialEq, Eq)]
pub struct Chunk {
    bytes: Vec<u8>,
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chunk")
            .field("bundle_id", &self.bundle_id())
            .field("bundle_len", &self.bundle_len())
            .field("index", &self.index())
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Chunk {
    /// Builds a frame. `payload` is not empty and `index` < [`MAX_CHUNKS`]
    /// (the splitter guarantees both).
    pub(crate) fn build(id: BundleId, bundle_len: u32, index: u32, payload: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + payload.len());
        let word = (u32::from(FORMAT_VERSION) << 20) | (index & (MAX_CHUNKS - 1));
        bytes.extend_from_slice(&word.to_be_bytes()[1..]);
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&bundle_len.to_be_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(payload);
        let crc = checksum(&bytes);
        bytes[12..16].copy_from_slice(&crc.to_be_bytes());
        Self { bytes }
    }

    /// Reads one binary chunk, checking its version, integrity and parameters.
    ///
    /// Every single changed byte is caught: the CRC-32 detects every error
    /// burst of up to 32 bits. A truncated or extended chunk, or any other
    /// damage, passes with a chance of about 2⁻³² and is then caught by the
    /// bundle id check after rebuilding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChunkError> {
        if bytes.len() <= HEADER_BYTES {
            return Err(ChunkError::TooShort { len: bytes.len() });
        }
        if bytes.len() > MAX_CHUNK_BYTES {
            return Err(ChunkError::TooLong { len: bytes.len() });
        }
        let version = bytes[0] >> 4;
        if version != FORMAT_VERSION {
            return Err(ChunkError::Version { version });
        }
        let stored = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        if checksum(bytes) != stored {
            return Err(ChunkError::Corrupted);
        }
        let chunk = Self {
            bytes: bytes.to_vec(),
        };
        match chunk.layout() {
            Ok(_) => Ok(chunk),
            Err(_) => Err(ChunkError::Parameters {
                bundle_len: chunk.bundle_len(),
                payload_len: chunk.payload().len(),
            }),
        }
    }

    /// The chunk as it travels on a binary channel.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The id of the bundle this chunk belongs to.
    pub fn bundle_id(&self) -> BundleId {
        let mut id = [0; 5];
        id.copy_from_slice(&self.bytes[3..8]);
        BundleId(id)
    }

    /// Length in bytes of the whole bundle (this is all a chunk reveals of it).
    pub fn bundle_len(&self) -> u32 {
        u32::from_be_bytes([self.bytes[8], self.bytes[9], self.bytes[10], self.bytes[11]])
    }

    /// The chunk's index within its bundle's split, below [`MAX_CHUNKS`].
    pub fn index(&self) -> u32 {
        u32::from_be_bytes([0, self.bytes[0], self.bytes[1], self.bytes[2]]) & (MAX_CHUNKS - 1)
    }

    /// The coded payload (one RaptorQ symbol).
    pub fn payload(&self) -> &[u8] {
        &self.bytes[HEADER_BYTES..]
    }

    pub(crate) fn layout(&self) -> Result<Layout, ChunkError> {
        Layout::new(self.bundle_len(), self.payload().len())
    }
}

/// CRC-32 of a frame, skipping its own field at bytes 12..16.
fn checksum(frame: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&frame[..12]);
    hasher.update(&frame[HEADER_BYTES..]);
    hasher.finalize()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::chunk::{Channel, split};

    /// Bytes 0, 1, 2, … as a bundle of `len` bytes: a fixed input for golden tests.
    fn counting_bundle(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    fn header_hex(chunk: &Chunk) -> String {
        let bytes = chunk.as_bytes();
        format!(
            "{} {} {} {} | {}",
            hex(&bytes[0..3]),
            hex(&bytes[3..8]),
            hex(&bytes[8..12]),
            hex(&bytes[12..16]),
            hex(&bytes[16..20]),
        )
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn check(len: usize, chunk_bytes: usize, expect: Expect) {
        let chunks = split(&counting_bundle(len), Channel::Udp, Some(chunk_bytes), 10)
            .expect("a fixed bundle splits");
        let mut all = blake3::Hasher::new();
        for chunk in &chunks {
            all.update(chunk.as_bytes());
        }
        let first = header_hex(&chunks[0]);
        let last = header_hex(&chunks[chunks.len() - 1]);
        let hash = all.finalize().to_hex();
        let actual = format!(
            "{} chunks\nfirst {first}\nlast  {last}\nall   blake3 {}",
            chunks.len(),
            &hash[..32],
        );
        expect.assert_eq(&actual);
    }

    /// The wire format is a promise: these fix the header layout, the id, the
    /// checksum and RaptorQ's repair symbols. A change here breaks every
    /// reader in the field; bump `FORMAT_VERSION` instead.
    #[test]
    fn golden_splits() {
        check(
            1_000,
            110,
            expect![[r#"
                13 chunks
                first 100000 b43670a52d 000003e8 d911945b | 00010203
                last  10000c b43670a52d 000003e8 4104c326 | 42b5e112
                all   blake3 bca680d949e3d7564abab3548f1fce04"#]],
        );
        check(
            70_000,
            1_200,
            expect![[r#"
                66 chunks
                first 100000 5a8ef06db0 00011170 7e0c1eda | 00010203
                last  100041 5a8ef06db0 00011170 9c4af8f7 | 8d4e4ccf
                all   blake3 f5f7468a53e67a84ad68eccf40daa0f7"#]],
        );
    }

    #[test]
    fn header_fields_round_trip() {
        let id = BundleId::of(b"bundle");
        let chunk = Chunk::build(id, 123_456, MAX_CHUNKS - 1, &[7; 40]);
        assert_eq!(chunk.as_bytes().len(), HEADER_BYTES + 40);
        assert_eq!(chunk.bundle_id(), id);
        assert_eq!(chunk.bundle_len(), 123_456);
        assert_eq!(chunk.index(), MAX_CHUNKS - 1);
        assert_eq!(chunk.payload(), &[7; 40]);
        assert_eq!(chunk.as_bytes()[0] >> 4, FORMAT_VERSION);
        assert_eq!(id.to_string().len(), 10);
    }

    #[test]
    fn layouts_follow_rfc_6330_partition() {
        let layout = Layout::new(1_000_000, 94).expect("valid");
        assert_eq!((layout.blocks, layout.source_symbols()), (1, 10_639));
        let layout = Layout::new(60_000 * 16, 16).expect("valid");
        assert_eq!(layout.blocks, 2);
        assert_eq!(
            (layout.block_symbols(0), layout.block_symbols(1)),
            (30_000, 30_000)
        );
        assert_eq!(layout.locate(layout.index(1, 7).expect("fits")), (1, 7));
        let layout = Layout::new(56_404, 1).expect("valid");
        assert_eq!(
            (layout.block_symbols(0), layout.block_symbols(1)),
            (28_202, 28_202)
        );
        assert!(Layout::new(0, 10).is_err());
        assert!(Layout::new(10, 0).is_err());
        assert!(Layout::new(u32::MAX, 16).is_err());
        assert!(Layout::new(10, 70_000).is_err());
    }

    #[test]
    fn the_default_qr_chunk_is_a_version_13_code_at_level_m() {
        let code = crate::chunk::forms::qr_code(&[0x5a; 300]).expect("fits");
        assert_eq!(code.version(), qrcode::Version::Normal(13));
        assert_eq!(code.error_correction_level(), qrcode::EcLevel::M);
        let code = crate::chunk::forms::qr_code(&[0x5a; 2_953]).expect("fits");
        assert_eq!(code.version(), qrcode::Version::Normal(40));
        assert_eq!(code.error_correction_level(), qrcode::EcLevel::L);
        assert!(crate::chunk::forms::qr_code(&[0x5a; 2_954]).is_err());
    }
}
