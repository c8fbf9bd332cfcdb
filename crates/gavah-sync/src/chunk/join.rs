//! Rebuilding bundles from chunks that arrive in any order, with duplicates,
//! damage and other bundles' chunks mixed in; and reading folders of chunk files.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use raptorq::{EncodingPacket, PayloadId, SourceBlockDecoder};

use super::ChunkError;
use super::forms::parse_file;
use super::frame::{BundleId, Chunk, Layout};

/// Files larger than this are not read as chunks (the largest chunk file, a
/// QR photo, is a few megabytes).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A bundle rebuilt from its chunks and checked against its id.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinedBundle {
    /// The bundle's id.
    pub id: BundleId,
    /// The bundle's bytes, exactly as split.
    pub bytes: Vec<u8>,
    /// Distinct chunks received for it when it was rebuilt.
    pub chunks_used: usize,
}

impl std::fmt::Debug for JoinedBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinedBundle")
            .field("id", &self.id)
            .field("len", &self.bytes.len())
            .field("chunks_used", &self.chunks_used)
            .finish()
    }
}

/// Where a bundle stands in a [`Joiner`] that has not rebuilt it yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleStatus {
    /// The bundle's id.
    pub id: BundleId,
    /// The bundle's length in bytes.
    pub bundle_len: u32,
    /// The size of its chunks (chunks of one bundle split at different sizes
    /// are counted apart: they do not combine).
    pub chunk_bytes: usize,
    /// Distinct chunks received.
    pub received: usize,
    /// Source chunks K: the fewest that can rebuild it.
    pub source_chunks: usize,
    /// The fewest further distinct chunks that may complete it:
    /// `K − received` when short, else 1 (per source block). About one time
    /// in two hundred one more is needed (see docs/BENCHMARKS.md).
    pub more_needed: usize,
    /// What to ask the sender for: `K + 2 − received` (per source block, at
    /// least 1), enough with near certainty.
    pub more_with_margin: usize,
}

/// What [`Joiner::push`] did with a chunk.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// The chunk was new; the bundle needs about `more_needed` more.
    Added { id: BundleId, more_needed: usize },
    /// This chunk completed its bundle, which is handed over here, once.
    Joined(JoinedBundle),
    /// The chunk had already been received.
    Duplicate,
    /// Its bundle has already been rebuilt.
    AlreadyJoined,
    /// The bundle decoded but did not match its id: some chunk was forged, or
    /// two bundles share an id. Its chunks so far are dropped.
    Mismatch { id: BundleId },
}

/// Collects chunks of any number of bundles and rebuilds each as soon as
/// enough have arrived.
///
/// Memory is what was received: a bundle's coding state is made only once it
/// has as many distinct chunks as source symbols.
#[derive(Default)]
pub struct Joiner {
    groups: HashMap<GroupKey, Group>,
    joined: HashSet<(BundleId, u32)>,
    rejected: usize,
    duplicates: usize,
    mismatches: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct GroupKey {
    id: BundleId,
    bundle_len: u32,
    chunk_bytes: usize,
}

struct Group {
    layout: Layout,
    seen: HashSet<u32>,
    blocks: Vec<Block>,
}

struct Block {
    source: u32,
    received: u32,
    state: BlockState,
}

enum BlockState {
    /// Fewer than K symbols: just kept.
    Collecting(Vec<EncodingPacket>),
    /// K or more, not yet solvable: each further symbol retries.
    Decoding(Box<SourceBlockDecoder>),
    Done(Vec<u8>),
}

impl Joiner {
    /// An empty joiner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `bytes` as one binary chunk and pushes it; a damaged chunk is
    /// counted in [`Joiner::rejected`] and its error returned.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> Result<Pushed, ChunkError> {
        match Chunk::from_bytes(bytes) {
            Ok(chunk) => Ok(self.push(chunk)),
            Err(error) => {
                self.rejected += 1;
                Err(error)
            }
        }
    }

    /// Adds a checked chunk; returns the bundle when this chunk completes it.
    pub fn push(&mut self, chunk: Chunk) -> Pushed {
        let id = chunk.bundle_id();
        let bundle_len = chunk.bundle_len();
        if self.joined.contains(&(id, bundle_len)) {
            return Pushed::AlreadyJoined;
        }
        let key = GroupKey {
            id,
            bundle_len,
            chunk_bytes: chunk.as_bytes().len(),
        };
        let group = match self.groups.entry(key) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                // `Chunk` values are only made with a valid layout.
                let Ok(layout) = chunk.layout() else {
                    self.rejected += 1;
                    return Pushed::Duplicate;
                };
                entry.insert(Group::new(layout))
            }
        };
        let index = chunk.index();
        if !group.seen.insert(index) {
            self.duplicates += 1;
            return Pushed::Duplicate;
        }
        group.add(index, chunk.payload());
        if !group.is_done() {
            return Pushed::Added {
                id,
                more_needed: group.more_needed(),
            };
        }
        let chunks_used = group.seen.len();
        let bytes = group.assemble();
        self.groups
            .retain(|key, _| (key.id, key.bundle_len) != (id, bundle_len));
        if BundleId::of(&bytes) != id {
            self.mismatches += 1;
            return Pushed::Mismatch { id };
        }
        self.joined.insert((id, bundle_len));
        Pushed::Joined(JoinedBundle {
            id,
            bytes,
            chunks_used,
        })
    }

    /// Bundles still short of chunks, by id.
    pub fn pending(&self) -> Vec<BundleStatus> {
        let mut pending: Vec<BundleStatus> = self
            .groups
            .iter()
            .map(|(key, group)| BundleStatus {
                id: key.id,
                bundle_len: key.bundle_len,
                chunk_bytes: key.chunk_bytes,
                received: group.seen.len(),
                source_chunks: group.layout.source_symbols() as usize,
                more_needed: group.more_needed(),
                more_with_margin: group.more_with_margin(),
            })
            .collect();
        pending.sort_by_key(|status| (status.id, status.chunk_bytes));
        pending
    }

    /// Damaged chunks rejected by [`Joiner::push_bytes`].
    pub fn rejected(&self) -> usize {
        self.rejected
    }

    /// Chunks received more than once.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// Bundles that decoded to bytes not matching their id.
    pub fn mismatches(&self) -> usize {
        self.mismatches
    }
}

impl Group {
    fn new(layout: Layout) -> Self {
        let blocks = (0..layout.blocks)
            .map(|block| Block {
                source: layout.block_symbols(block),
                received: 0,
                state: BlockState::Collecting(Vec::new()),
            })
            .collect();
        Self {
            layout,
            seen: HashSet::new(),
            blocks,
        }
    }

    fn add(&mut self, index: u32, payload: &[u8]) {
        let (block_number, esi) = self.layout.locate(index);
        let oti = self.layout.oti();
        let block_len = u64::from(self.layout.symbol_bytes);
        let Some(block) = self.blocks.get_mut(block_number as usize) else {
            return;
        };
        block.received += 1;
        // SBN fits a byte: Layout keeps blocks <= 255.
        let packet = EncodingPacket::new(PayloadId::new(block_number as u8, esi), payload.to_vec());
        let state = std::mem::replace(&mut block.state, BlockState::Done(Vec::new()));
        block.state = match state {
            BlockState::Collecting(mut packets) => {
                packets.push(packet);
                if block.received < block.source {
                    BlockState::Collecting(packets)
                } else {
                    let mut decoder = Box::new(SourceBlockDecoder::new(
                        block_number as u8,
                        &oti,
                        u64::from(block.source) * block_len,
                    ));
                    match decoder.decode(packets) {
                        Some(bytes) => BlockState::Done(bytes),
                        None => BlockState::Decoding(decoder),
                    }
                }
            }
            BlockState::Decoding(mut decoder) => match decoder.decode(std::iter::once(packet)) {
                Some(bytes) => BlockState::Done(bytes),
                None => BlockState::Decoding(decoder),
            },
            done @ BlockState::Done(_) => done,
        };
    }

    fn is_done(&self) -> bool {
        self.blocks
            .iter()
            .all(|block| matches!(block.state, BlockState::Done(_)))
    }

    fn more_needed(&self) -> usize {
        self.blocks
            .iter()
            .filter(|block| !matches!(block.state, BlockState::Done(_)))
            .map(|block| block.source.saturating_sub(block.received).max(1) as usize)
            .sum()
    }

    fn more_with_margin(&self) -> usize {
        self.blocks
            .iter()
            .filter(|block| !matches!(block.state, BlockState::Done(_)))
            .map(|block| (block.source + 2).saturating_sub(block.received).max(1) as usize)
            .sum()
    }

    fn assemble(&mut self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.layout.bundle_len as usize);
        for block in &mut self.blocks {
            if let BlockState::Done(decoded) = &mut block.state {
                bytes.append(decoded);
            }
        }
        bytes.truncate(self.layout.bundle_len as usize);
        bytes
    }
}

/// A file that gave no chunk, and why.
#[derive(Debug)]
pub struct SkippedFile {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped (not a chunk, damaged, unreadable).
    pub reason: ChunkError,
}

/// What [`join_files`] or [`join_dir`] found.
#[derive(Debug, Default)]
pub struct JoinReport {
    /// Bundles rebuilt, in the order they completed.
    pub bundles: Vec<JoinedBundle>,
    /// Bundles still short, with how many more chunks each needs.
    pub pending: Vec<BundleStatus>,
    /// Files that gave no chunk, with the reason: unrelated files are normal.
    pub skipped: Vec<SkippedFile>,
    /// Valid chunks read.
    pub chunks: usize,
    /// Chunks found but rejected as damaged (failed integrity checks).
    pub rejected: usize,
    /// Chunks read more than once.
    pub duplicates: usize,
    /// Bundles that decoded to bytes not matching their id (dropped).
    pub mismatches: usize,
}

/// Reads every file in `paths` (chunk files of any form, QR photos) and
/// rebuilds what bundles it can. It never fails: files that cannot be read or
/// hold no chunk are listed in [`JoinReport::skipped`] with the reason.
pub fn join_files<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> JoinReport {
    let mut joiner = Joiner::new();
    let mut report = JoinReport::default();
    for path in paths {
        let path = path.as_ref();
        let parsed = read_limited(path).and_then(|bytes| parse_file(&bytes));
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(reason) => {
                if reason.is_damaged_chunk() {
                    report.rejected += 1;
                }
                report.skipped.push(SkippedFile {
                    path: path.to_path_buf(),
                    reason,
                });
                continue;
            }
        };
        report.rejected += parsed.rejected.len();
        for chunk in parsed.chunks {
            report.chunks += 1;
            if let Pushed::Joined(bundle) = joiner.push(chunk) {
                report.bundles.push(bundle);
            }
        }
    }
    report.pending = joiner.pending();
    report.duplicates = joiner.duplicates();
    report.mismatches = joiner.mismatches();
    report
}

/// [`join_files`] over the files directly in `dir`, in name order (folders
/// inside it are skipped). Fails only when the folder cannot be listed.
pub fn join_dir(dir: &Path) -> Result<JoinReport, ChunkError> {
    let io_error = |source| ChunkError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        if entry.file_type().map_err(io_error)?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(join_files(files))
}

fn read_limited(path: &Path) -> Result<Vec<u8>, ChunkError> {
    use std::io::Read as _;
    let io_error = |source| ChunkError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ChunkError::NotAChunk {
            what: "file larger than 64 MiB",
        });
    }
    Ok(bytes)
}
