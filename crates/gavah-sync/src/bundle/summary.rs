//! What a bundle says about entries besides carrying them: which entries its
//! sender holds (the acknowledgement that lets the recipient stop re-sending
//! them), and which clock ranges of which nodes' entries the bundle carries in
//! full (so that the recipient can acknowledge them in turn).
//!
//! Entries are counted per *origin node* (the node that wrote them) by their
//! hybrid-logical-clock reading: a node's own entries have distinct, rising
//! readings, so "every entry of node N up to reading H" is one number. Bundles
//! may arrive in any order, so a recipient keeps the ranges it received in
//! full and acknowledges, per node, only the end of the range that starts at 0.
//!
//! Encoding, version 1 (integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version, 1 |
//! | 4 | number of holdings `h` |
//! | 24 each | node id (16) ‖ reading (u64): holds every entry of the node up to it |
//! | 4 | number of ranges `r` |
//! | 32 each | node id (16) ‖ lo (u64) ‖ hi (u64), lo < hi: carries every entry of the node with lo < reading ≤ hi |
//!
//! Nothing may follow. The summary travels inside the signed, encrypted
//! bundle (as its ack bytes), so only the recipients see it.

use gavah_core::NodeId;

const SUMMARY_VERSION: u8 = 1;

/// One origin node's range of entries, by clock reading: `lo < hlc <= hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub node: NodeId,
    pub lo: u64,
    pub hi: u64,
}

/// A bundle's acknowledgement and coverage (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Per origin node: the sender holds every entry of it up to this reading.
    pub holds: Vec<(NodeId, u64)>,
    /// Ranges of origin nodes' entries this bundle carries in full.
    pub carries: Vec<Range>,
}

/// Why bytes are not a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    #[error("the bundle's summary is cut short ({0})")]
    Truncated(&'static str),
    #[error("the bundle's summary has version {0}; this version of Gavah reads version 1")]
    Version(u8),
    #[error("the bundle's summary has a range whose start {lo} is not below its end {hi}")]
    EmptyRange { lo: u64, hi: u64 },
    #[error("the bundle's summary has {0} bytes after its end")]
    Trailing(usize),
}

impl Summary {
    /// The encoding (layout in the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + 24 * self.holds.len() + 32 * self.carries.len());
        out.push(SUMMARY_VERSION);
        out.extend_from_slice(&len32(self.holds.len()).to_le_bytes());
        for (node, hlc) in &self.holds {
            out.extend_from_slice(node.as_bytes());
            out.extend_from_slice(&hlc.to_le_bytes());
        }
        out.extend_from_slice(&len32(self.carries.len()).to_le_bytes());
        for r in &self.carries {
            out.extend_from_slice(r.node.as_bytes());
            out.extend_from_slice(&r.lo.to_le_bytes());
            out.extend_from_slice(&r.hi.to_le_bytes());
        }
        out
    }

    /// Reads a summary; counts are checked against the bytes left before
    /// anything is allocated.
    ///
    /// # Errors
    /// A [`SummaryError`] saying what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Summary, SummaryError> {
        let mut src = bytes;
        let [version] = take::<1>(&mut src, "no version byte")?;
        if version != SUMMARY_VERSION {
            return Err(SummaryError::Version(version));
        }
        let holds_n = count(&mut src, 24, "holdings")?;
        let mut holds = Vec::with_capacity(holds_n);
        for _ in 0..holds_n {
            let node = NodeId(take::<16>(&mut src, "a holding")?);
            let hlc = u64::from_le_bytes(take::<8>(&mut src, "a holding")?);
            holds.push((node, hlc));
        }
        let carries_n = count(&mut src, 32, "ranges")?;
        let mut carries = Vec::with_capacity(carries_n);
        for _ in 0..carries_n {
            let node = NodeId(take::<16>(&mut src, "a range")?);
            let lo = u64::from_le_bytes(take::<8>(&mut src, "a range")?);
            let hi = u64::from_le_bytes(take::<8>(&mut src, "a range")?);
            if lo >= hi {
                return Err(SummaryError::EmptyRange { lo, hi });
            }
            carries.push(Range { node, lo, hi });
        }
        if !src.is_empty() {
            return Err(SummaryError::Trailing(src.len()));
        }
        Ok(Summary { holds, carries })
    }
}

fn len32(n: usize) -> u32 {
    // A summary lists one item per node of a team: far below 2^32.
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn take<const N: usize>(src: &mut &[u8], what: &'static str) -> Result<[u8; N], SummaryError> {
    let (head, rest) = src
        .split_first_chunk::<N>()
        .ok_or(SummaryError::Truncated(what))?;
    *src = rest;
    Ok(*head)
}

fn count(src: &mut &[u8], item: usize, what: &'static str) -> Result<usize, SummaryError> {
    let n = u32::from_le_bytes(take::<4>(src, what)?) as usize;
    if n.saturating_mul(item) > src.len() {
        return Err(SummaryError::Truncated(what));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Summary {
        Summary {
            holds: vec![(NodeId([1; 16]), 42), (NodeId([2; 16]), u64::MAX)],
            carries: vec![Range {
                node: NodeId([1; 16]),
                lo: 7,
                hi: 42,
            }],
        }
    }

    #[test]
    fn round_trips_and_refuses_every_cut() {
        let bytes = sample().encode();
        assert_eq!(bytes.len(), 1 + 4 + 48 + 4 + 32);
        assert_eq!(Summary::decode(&bytes).unwrap(), sample());
        for cut in 0..bytes.len() {
            assert!(Summary::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Summary::decode(&longer), Err(SummaryError::Trailing(1)));
        assert_eq!(
            Summary::decode(&Summary::default().encode()).unwrap(),
            Summary::default()
        );
    }

    #[test]
    fn refuses_empty_ranges_other_versions_and_huge_counts() {
        let mut s = sample();
        s.carries[0].lo = 42;
        assert_eq!(
            Summary::decode(&s.encode()),
            Err(SummaryError::EmptyRange { lo: 42, hi: 42 })
        );
        let mut bytes = sample().encode();
        bytes[0] = 2;
        assert_eq!(Summary::decode(&bytes), Err(SummaryError::Version(2)));
        let huge = [1, 255, 255, 255, 255];
        assert_eq!(
            Summary::decode(&huge),
            Err(SummaryError::Truncated("holdings"))
        );
    }
}
