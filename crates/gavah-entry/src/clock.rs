//! The hybrid logical clock that timestamps entries.
//!
//! Wall-clock milliseconds in the high 48 bits and a counter in the low 16, so
//! that a node's entries are strictly increasing even when its clock steps back,
//! and entries from different nodes order roughly by real time. Projections never
//! depend on arrival order; the clock only breaks ties deterministically
//! (by `(hlc, node, id)`) where a later value replaces an earlier one.

/// A hybrid logical clock reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc(pub u64);

impl Hlc {
    /// The next reading after `last`, given the wall clock in milliseconds.
    pub fn next(last: Hlc, now_ms: u64) -> Hlc {
        let wall = now_ms << 16;
        if wall > last.0 {
            Hlc(wall)
        } else {
            Hlc(last.0 + 1)
        }
    }

    /// The reading made of a wall-clock time (ms since the Unix epoch) and a
    /// counter: `from_parts(ms, 0)` is the first reading of that millisecond,
    /// `from_parts(ms, u16::MAX)` its last.
    pub fn from_parts(millis: u64, counter: u16) -> Hlc {
        Hlc((millis << 16) | u64::from(counter))
    }

    /// The wall-clock part, in milliseconds since the Unix epoch.
    pub fn millis(self) -> u64 {
        self.0 >> 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing_even_when_the_clock_steps_back() {
        let a = Hlc::next(Hlc::default(), 1_000);
        let b = Hlc::next(a, 1_000);
        let c = Hlc::next(b, 900);
        let d = Hlc::next(c, 2_000);
        assert!(a < b && b < c && c < d);
        assert_eq!(a.millis(), 1_000);
        assert_eq!(d.millis(), 2_000);
    }
}
