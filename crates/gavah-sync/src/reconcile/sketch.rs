//! The rateless invertible Bloom lookup table: salted short ids, the sequence
//! of cells each id is coded into, and the encoder and peeling decoder.
//!
//! Written here rather than taken from a crate: the rateless-IBLT crates on
//! crates.io (`riblt` 0.1.1, `do-riblt` 1.0.2, a module of `sketch_oxide`) are
//! young and little used, keep a 64-bit hash and a full-width count in every
//! cell, and cannot check a decoded id against the decoder's own set. Our cells
//! are 13 bytes on the wire, and that membership check is what lets a one-byte
//! count and a 32-bit checksum stay safe.

use super::ShortId;
use gavah_core::EntryId;

/// Context string of the BLAKE3 key derivation that turns a session salt into
/// the key of the short-id hash. Changing it changes every short id: a new
/// wire version.
const SHORT_ID_CONTEXT: &str = "gavah-sync reconcile v1 2026-11-23 short ids";

/// The per-session keys, all derived from the initiator's random salt.
#[derive(Clone)]
pub(crate) struct Keys {
    /// Key of the keyed BLAKE3 hash from entry id to short id and digest term.
    hash_key: [u8; 32],
    /// Mixed into the cell checksum of a short id.
    check_key: u64,
    /// Mixed into the seed of a short id's cell sequence.
    seq_key: u64,
    /// Short ids keep only their low `bits` bits (64 unless a test shrinks them).
    mask: u64,
}

impl Keys {
    pub(crate) fn new(salt: &[u8; 16], bits: u8) -> Keys {
        let hash_key = blake3::derive_key(SHORT_ID_CONTEXT, salt);
        // The two mixing keys come from the same derivation, past the hash key.
        let mut xof = blake3::Hasher::new_keyed(&hash_key);
        xof.update(b"mixing keys");
        let mut more = [0u8; 16];
        xof.finalize_xof().fill(&mut more);
        let check_key = u64::from_le_bytes(split8(&more, 0));
        let seq_key = u64::from_le_bytes(split8(&more, 8));
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits.max(1)) - 1
        };
        Keys {
            hash_key,
            check_key,
            seq_key,
            mask,
        }
    }

    /// The short id of an entry id and its term in the set digest, from one
    /// keyed hash: bytes 0..8 are the short id, bytes 8..24 the digest term, so
    /// two ids that share a short id still differ in the digest.
    pub(crate) fn hash(&self, id: &EntryId) -> (ShortId, u128) {
        let out = blake3::keyed_hash(&self.hash_key, &id.0);
        let bytes = out.as_bytes();
        let short = u64::from_le_bytes(split8(bytes, 0)) & self.mask;
        let mut term = [0u8; 16];
        term.copy_from_slice(&bytes[8..24]);
        (ShortId(short), u128::from_le_bytes(term))
    }

    /// The 32-bit checksum a cell keeps of the short ids coded into it.
    pub(crate) fn check(&self, short: u64) -> u32 {
        let mut x = (short ^ self.check_key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 32;
        x as u32
    }

    /// Where a short id's cell sequence starts: cell 0, with its generator seeded.
    pub(crate) fn cursor(&self, short: u64) -> Cursor {
        Cursor {
            short,
            rng: short ^ self.seq_key,
            next: 0,
        }
    }
}

fn split8(bytes: &[u8], at: usize) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&bytes[at..at + 8]);
    out
}

/// One coded cell. `count` is kept modulo 256: the decoder only needs to tell
/// ±1 from anything else, and the checksum catches a count that wrapped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// XOR of the short ids coded into the cell.
    pub sum: u64,
    /// XOR of their checksums.
    pub check: u32,
    /// How many ids were coded into it, modulo 256.
    pub count: u8,
}

impl Cell {
    fn toggle(&mut self, short: u64, check: u32) {
        self.sum ^= short;
        self.check ^= check;
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.sum == 0 && self.check == 0 && self.count == 0
    }

    /// The cell minus `other`, for the decoder: what one side has that the
    /// other lacks, the shared ids cancelled.
    pub(crate) fn minus(self, other: Cell) -> Cell {
        Cell {
            sum: self.sum ^ other.sum,
            check: self.check ^ other.check,
            count: self.count.wrapping_sub(other.count),
        }
    }
}

/// A short id's position in its cell sequence.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor {
    pub(crate) short: u64,
    rng: u64,
    /// The next cell the id is coded into.
    pub(crate) next: u64,
}

impl Cursor {
    /// Moves to the next cell of the sequence.
    ///
    /// An id is coded into cell `j` with probability `2 / (j + 2)` (the
    /// paper's ρ(j) = 1/(1 + j/2)): cell 0 holds every id, and a difference
    /// of `d` ids needs about 1.35·d to 2·d cells. Rather than flip a coin
    /// per cell, we draw the gap: from cell `i` the next cell is at least `j`
    /// with probability (i+1)(i+2)/(j(j+1)), inverted from one uniform draw.
    /// IEEE-754 division and square root are exactly rounded, so every
    /// platform computes the same sequence.
    pub(crate) fn advance(&mut self) {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // Uniform in (0, 1]: 53 random bits, never zero.
        let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let i = self.next as f64;
        let t = (i + 1.0) * (i + 2.0) / u;
        let j = ((4.0 * t + 1.0).sqrt() - 1.0) / 2.0;
        // `as` saturates, so a far-off cell lands at u64::MAX, never wraps.
        let j = j.floor() as u64;
        self.next = j.max(self.next.saturating_add(1));
    }
}

/// The encoder of one set: a cursor per short id, cells produced in order.
pub(crate) struct Encoder {
    cursors: Vec<Cursor>,
    checks: Vec<u32>,
    /// Cells produced so far: cells `[0, produced)`.
    produced: u64,
}

impl Encoder {
    pub(crate) fn new(keys: &Keys, shorts: impl Iterator<Item = u64>) -> Encoder {
        let mut cursors = Vec::new();
        let mut checks = Vec::new();
        for s in shorts {
            cursors.push(keys.cursor(s));
            checks.push(keys.check(s));
        }
        Encoder {
            cursors,
            checks,
            produced: 0,
        }
    }

    pub(crate) fn produced(&self) -> u64 {
        self.produced
    }

    /// Appends cells `[produced, end)` to `out`.
    pub(crate) fn extend(&mut self, end: u64, out: &mut Vec<Cell>) {
        if end <= self.produced {
            return;
        }
        let start = self.produced;
        let base = out.len();
        let len = usize::try_from(end - start).unwrap_or(usize::MAX);
        out.resize(base + len, Cell::default());
        let cells = &mut out[base..];
        for (cursor, &check) in self.cursors.iter_mut().zip(&self.checks) {
            while cursor.next < end {
                // `next >= start` always holds: cursors only stop at `produced`.
                let at = (cursor.next - start) as usize;
                let cell = &mut cells[at];
                cell.toggle(cursor.short, check);
                cell.count = cell.count.wrapping_add(1);
                cursor.advance();
            }
        }
        self.produced = end;
    }
}

/// Which side of the exchange holds a decoded id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// The sender of the cells has it, the decoder lacks it.
    Remote,
    /// The decoder has it, the sender lacks it.
    Local,
}

/// The peeling decoder, run by the side that receives cells: the difference
/// of the received cells and its own, peeled one pure cell at a time.
pub(crate) struct Decoder {
    keys: Keys,
    local: Encoder,
    /// Received minus local, with decoded ids removed.
    cells: Vec<Cell>,
    /// How many of `cells` are not zero.
    nonzero: u64,
    /// Which cells were zero before any peeling: no difference was coded
    /// into them. Feeds the estimate of the difference size.
    raw_empty: Vec<bool>,
    /// Decoded ids, with their cursors past the last received cell so that
    /// later cells are cleaned of them as they arrive.
    decoded: Vec<(Cursor, u32, Side)>,
    /// Cells to look at for purity.
    queue: Vec<usize>,
    scratch: Vec<Cell>,
    /// The cells of the id being peeled.
    positions: Vec<usize>,
}

impl Decoder {
    pub(crate) fn new(keys: Keys, local: Encoder) -> Decoder {
        Decoder {
            keys,
            local,
            cells: Vec::new(),
            nonzero: 0,
            raw_empty: Vec::new(),
            decoded: Vec::new(),
            queue: Vec::new(),
            scratch: Vec::new(),
            positions: Vec::new(),
        }
    }

    /// Cells received so far.
    pub(crate) fn received(&self) -> u64 {
        self.cells.len() as u64
    }

    /// True when every received cell peeled to zero: the whole difference is
    /// known. Needs at least one cell.
    pub(crate) fn is_complete(&self) -> bool {
        !self.cells.is_empty() && self.nonzero == 0
    }

    pub(crate) fn decoded(&self) -> impl Iterator<Item = (u64, Side)> + '_ {
        self.decoded.iter().map(|(c, _, side)| (c.short, *side))
    }

    pub(crate) fn decoded_len(&self) -> usize {
        self.decoded.len()
    }

    /// Adds the next received cells (they must follow the ones already held)
    /// and peels what it can. `is_local` says whether a short id is in the
    /// decoder's own set: a decoded id must be there exactly when the cell's
    /// count says it is the decoder's, which rejects false pure cells.
    pub(crate) fn add(&mut self, received: &[Cell], is_local: &dyn Fn(u64) -> bool) {
        if received.is_empty() {
            return;
        }
        let start = self.cells.len();
        let end = (start + received.len()) as u64;
        self.scratch.clear();
        self.local.extend(end, &mut self.scratch);
        for (r, l) in received.iter().zip(&self.scratch) {
            let d = r.minus(*l);
            self.raw_empty.push(d.is_zero());
            self.cells.push(d);
        }
        // Ids decoded earlier are coded into some of the new cells too.
        for (cursor, check, side) in &mut self.decoded {
            while cursor.next < end {
                let at = cursor.next as usize;
                remove(&mut self.cells[at], cursor.short, *check, *side);
                cursor.advance();
            }
        }
        for at in start..self.cells.len() {
            if !self.cells[at].is_zero() {
                self.nonzero += 1;
                self.queue.push(at);
            }
        }
        self.peel(is_local);
    }

    fn peel(&mut self, is_local: &dyn Fn(u64) -> bool) {
        let end = self.cells.len() as u64;
        while let Some(at) = self.queue.pop() {
            let cell = self.cells[at];
            let side = match cell.count {
                1 => Side::Remote,
                255 => Side::Local,
                _ => continue,
            };
            let short = cell.sum;
            let check = self.keys.check(short);
            if check != cell.check || is_local(short) != (side == Side::Local) {
                continue;
            }
            // A true id is coded into the cell it was found in; a false pure
            // cell (checksum matched by chance) almost never is, since cell
            // `at` is in a random sequence with probability 2/(at+2).
            let mut cursor = self.keys.cursor(short);
            self.positions.clear();
            while cursor.next < end {
                self.positions.push(cursor.next as usize);
                cursor.advance();
            }
            if !self.positions.contains(&at) {
                continue;
            }
            for &at in &self.positions {
                let before = self.cells[at].is_zero();
                remove(&mut self.cells[at], short, check, side);
                let after = self.cells[at];
                match (before, after.is_zero()) {
                    (false, true) => self.nonzero -= 1,
                    (true, false) => self.nonzero += 1,
                    _ => {}
                }
                if after.count == 1 || after.count == 255 {
                    self.queue.push(at);
                }
            }
            self.decoded.push((cursor, check, side));
        }
    }

    /// An estimate of the size of the difference from the cells that held
    /// none of it: cell `i` is empty with probability exp(-2d/(i+2)). Only the
    /// last [`ESTIMATE_WINDOW`] cells count: the early ones are almost never
    /// empty and would only cost time. `None` when no cell in the window was
    /// empty, so the difference is large beside the cells.
    pub(crate) fn estimate(&self) -> Option<f64> {
        let m = self.raw_empty.len();
        let from = m.saturating_sub(ESTIMATE_WINDOW);
        let empty = self.raw_empty[from..].iter().filter(|e| **e).count() as f64;
        if empty == 0.0 {
            return None;
        }
        let expected = |d: f64| -> f64 {
            (from..m)
                .map(|i| (-2.0 * d / (i as f64 + 2.0)).exp())
                .sum::<f64>()
        };
        // The expected count falls as d grows: bisect.
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        while expected(hi) > empty && hi < 1e12 {
            hi *= 2.0;
        }
        for _ in 0..30 {
            let mid = (lo + hi) / 2.0;
            if expected(mid) > empty {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(hi)
    }
}

/// How many of the last cells [`Decoder::estimate`] looks at.
const ESTIMATE_WINDOW: usize = 8192;

fn remove(cell: &mut Cell, short: u64, check: u32, side: Side) {
    cell.toggle(short, check);
    cell.count = match side {
        Side::Remote => cell.count.wrapping_sub(1),
        Side::Local => cell.count.wrapping_add(1),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_probability_follows_two_over_j_plus_two() {
        let keys = Keys::new(&[7; 16], 64);
        let n = 20_000u64;
        let mut hits = [0u64; 64];
        for s in 0..n {
            let mut c = keys.cursor(s.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            while c.next < 64 {
                hits[c.next as usize] += 1;
                c.advance();
            }
        }
        assert_eq!(hits[0], n);
        for (j, &h) in hits.iter().enumerate() {
            let p = 2.0 / (j as f64 + 2.0);
            let expected = p * n as f64;
            let sd = (n as f64 * p * (1.0 - p)).sqrt().max(1.0);
            assert!(
                (h as f64 - expected).abs() < 5.0 * sd,
                "cell {j}: {h} hits, expected {expected:.0}"
            );
        }
    }

    #[test]
    fn decoder_finds_both_sides() {
        let keys = Keys::new(&[1; 16], 64);
        let shared: Vec<u64> = (1..=500u64)
            .map(|i| i.wrapping_mul(0xA24B_AED4_963E_E407))
            .collect();
        let remote_only = [11u64 << 40, 12u64 << 40, 13u64 << 40];
        let local_only = [21u64 << 40, 22u64 << 40];
        let remote: Vec<u64> = shared.iter().copied().chain(remote_only).collect();
        let local: Vec<u64> = shared.iter().copied().chain(local_only).collect();
        let mut enc = Encoder::new(&keys, remote.iter().copied());
        let mut cells = Vec::new();
        enc.extend(30, &mut cells);
        let mut dec = Decoder::new(keys.clone(), Encoder::new(&keys, local.iter().copied()));
        let is_local = |s: u64| local.contains(&s);
        dec.add(&cells[..10], &is_local);
        dec.add(&cells[10..], &is_local);
        assert!(dec.is_complete());
        let mut found: Vec<(u64, Side)> = dec.decoded().collect();
        found.sort_unstable_by_key(|(s, _)| *s);
        let mut want: Vec<(u64, Side)> = remote_only
            .iter()
            .map(|&s| (s, Side::Remote))
            .chain(local_only.iter().map(|&s| (s, Side::Local)))
            .collect();
        want.sort_unstable_by_key(|(s, _)| *s);
        assert_eq!(found, want);
    }

    #[test]
    fn a_pure_looking_cell_off_the_ids_sequence_is_not_decoded() {
        let keys = Keys::new(&[3; 16], 64);
        // An id whose cell sequence skips cell 5, posing as the only id there.
        let fake = (1u64..)
            .find(|&s| {
                let mut c = keys.cursor(s);
                while c.next < 5 {
                    c.advance();
                }
                c.next != 5
            })
            .unwrap_or(1);
        let mut cells = vec![Cell::default(); 6];
        cells[5] = Cell {
            sum: fake,
            check: keys.check(fake),
            count: 1,
        };
        let mut dec = Decoder::new(keys.clone(), Encoder::new(&keys, std::iter::empty()));
        dec.add(&cells, &|_| false);
        assert_eq!(dec.decoded_len(), 0);
        assert!(!dec.is_complete());
    }

    #[test]
    fn estimate_is_near_the_difference() {
        let keys = Keys::new(&[2; 16], 64);
        let d = 400u64;
        let remote: Vec<u64> = (0..d)
            .map(|i| (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut enc = Encoder::new(&keys, remote.iter().copied());
        let mut cells = Vec::new();
        enc.extend(300, &mut cells);
        let mut dec = Decoder::new(keys.clone(), Encoder::new(&keys, std::iter::empty()));
        dec.add(&cells, &|_| false);
        assert!(!dec.is_complete());
        let est = dec.estimate().unwrap_or(f64::INFINITY);
        assert!((200.0..800.0).contains(&est), "estimate {est} for d = {d}");
    }
}
