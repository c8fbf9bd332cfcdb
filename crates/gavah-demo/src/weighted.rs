//! Sampling an index with given weights, by binary search over cumulative sums.
//!
//! Written out rather than taken from `rand`'s weighted distributions so that the
//! draws, and therefore the demo files, stay the same across `rand` releases.

use rand::Rng;

pub(crate) struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// Weights must be finite and not negative; an all-zero table always yields 0.
    pub fn new(weights: &[f64]) -> Weighted {
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        Weighted { cumulative }
    }

    pub fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return 0;
        }
        let x = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|&c| c <= x);
        i.min(self.cumulative.len() - 1)
    }
}

/// Picks one value of a small table of (value, weight) pairs.
pub(crate) fn pick<T: Copy, R: Rng>(rng: &mut R, table: &[(T, f64)]) -> T {
    let total: f64 = table.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for &(v, w) in table {
        if x < w {
            return v;
        }
        x -= w;
    }
    table[table.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn follows_weights_and_skips_zeroes() {
        let w = Weighted::new(&[1.0, 0.0, 3.0]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0; 3];
        for _ in 0..4000 {
            counts[w.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((800..1200).contains(&counts[0]), "{counts:?}");
    }
}
