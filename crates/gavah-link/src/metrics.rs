//! Pairwise precision, recall and F1 of a clustering against ground truth.

use rayon::prelude::*;
use serde::Serialize;

/// Pairwise scores: a pair counts when both records are in one cluster.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairwiseScores {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Scores `cluster_of` against `truth` (an entity per record). With
/// `source`, only pairs of records from different sources count (link mode).
pub fn pairwise(cluster_of: &[u32], truth: &[u32], source: Option<&[u8]>) -> PairwiseScores {
    let src = |r: usize| source.map_or(0, |s| s[r]);
    // Pairs within groups keyed by (key, source), counted across sources in link mode.
    // Records sorted by group and source, then counted run by run: a hash
    // map of groups each holding a map of sources cost a million small maps
    // on a million records.
    let pairs_within = |keys: &dyn Fn(usize) -> (u32, u32)| -> u64 {
        let mut keyed: Vec<(u32, u32, u8)> = (0..cluster_of.len())
            .map(|r| {
                let (x, y) = keys(r);
                (x, y, src(r))
            })
            .collect();
        keyed.par_sort_unstable();
        keyed
            .chunk_by(|p, q| (p.0, p.1) == (q.0, q.1))
            .map(|group| {
                let total = group.len() as u64;
                if source.is_some() {
                    let within: u64 = group
                        .chunk_by(|p, q| p.2 == q.2)
                        .map(|s| (s.len() as u64).pow(2))
                        .sum();
                    (total * total - within) / 2
                } else {
                    total * total.saturating_sub(1) / 2
                }
            })
            .sum()
    };
    let predicted = pairs_within(&|r| (cluster_of[r], 0));
    let actual = pairs_within(&|r| (truth[r], 0));
    let tp = pairs_within(&|r| (cluster_of[r], truth[r]));
    let precision = if predicted == 0 {
        1.0
    } else {
        tp as f64 / predicted as f64
    };
    let recall = if actual == 0 {
        1.0
    } else {
        tp as f64 / actual as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    PairwiseScores {
        true_positives: tp,
        false_positives: predicted - tp,
        false_negatives: actual - tp,
        precision,
        recall,
        f1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_of_a_small_clustering() {
        // Truth: {0,1,2}, {3}. Predicted: {0,1}, {2,3}.
        let s = pairwise(&[0, 0, 2, 2], &[7, 7, 7, 8], None);
        assert_eq!(
            (s.true_positives, s.false_positives, s.false_negatives),
            (1, 1, 2)
        );
        assert!((s.precision - 0.5).abs() < 1e-12);
        assert!((s.recall - 1.0 / 3.0).abs() < 1e-12);
        let perfect = pairwise(&[0, 0, 2], &[5, 5, 6], None);
        assert_eq!(perfect.f1, 1.0);
    }

    #[test]
    fn link_mode_counts_cross_source_pairs_only() {
        // Records 0,1 from source 0 and 2 from source 1, all one entity and one cluster.
        let s = pairwise(&[0, 0, 0], &[1, 1, 1], Some(&[0, 0, 1]));
        assert_eq!(
            (s.true_positives, s.false_positives, s.false_negatives),
            (2, 0, 0)
        );
    }
}
