//! Reading fixed-layout fields from a byte source that may end early: a plain
//! slice or the decrypting reader of a bundle's segments.

/// The source ran out, or (for a decrypting source) a segment failed; the
/// caller turns this into its own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Short;

/// Bytes read in order, with a known number left; nothing is allocated from a
/// length field larger than [`Source::remaining`].
pub(crate) trait Source {
    /// Fills `buf` completely or fails.
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), Short>;
    /// Bytes the source can still give.
    fn remaining(&self) -> usize;
}

impl Source for &[u8] {
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), Short> {
        let (head, tail) = self.split_at_checked(buf.len()).ok_or(Short)?;
        buf.copy_from_slice(head);
        *self = tail;
        Ok(())
    }

    fn remaining(&self) -> usize {
        self.len()
    }
}

pub(crate) fn read_array<const N: usize, S: Source + ?Sized>(
    src: &mut S,
) -> Result<[u8; N], Short> {
    let mut out = [0u8; N];
    src.read_exact(&mut out)?;
    Ok(out)
}

pub(crate) fn read_u32<S: Source + ?Sized>(src: &mut S) -> Result<u32, Short> {
    read_array::<4, _>(src).map(u32::from_le_bytes)
}

pub(crate) fn read_u64<S: Source + ?Sized>(src: &mut S) -> Result<u64, Short> {
    read_array::<8, _>(src).map(u64::from_le_bytes)
}
