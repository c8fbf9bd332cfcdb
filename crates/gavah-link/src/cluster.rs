//! Clusters from scored pairs, with human decisions as constraints, and the
//! review queue of pairs a human should look at first.
//!
//! Clustering is greedy agglomeration in order of decreasing probability over
//! pairs at or above the threshold. Connected components would let two
//! different people join through a third (A–B and B–C strong, A–C never
//! compared or weak); here two clusters merge only when the *support* between
//! them — the sum of the probabilities of their cross pairs, pairs never
//! scored counting as zero, divided by the number of cross pairs — reaches
//! [`ClusterOptions::min_support`]. A single strong edge joins two records; a
//! record joins a cluster of three only if it links to at least two of them.
//!
//! Must-link decisions are applied first and always hold; a merge that would
//! put two cannot-linked records together is refused. Each cluster is named by
//! its smallest record index, so adding other records never renames it.

use crate::compare::prefetch;
use crate::error::LinkError;
use serde::Serialize;

/// Clustering settings.
#[derive(Debug, Clone, Copy)]
pub struct ClusterOptions {
    /// Pairs below this probability never join clusters.
    pub threshold: f64,
    /// Least average cross-pair probability for two clusters to merge.
    pub min_support: f64,
    /// Adds records to a clustering made before: the records from this index
    /// on are new, and the earlier ones were clustered by an earlier run (the
    /// caller holds each earlier cluster together with must-links). Two
    /// clusters without a new record never merge here — the earlier run
    /// decided that — though their pairs still count in the support of a
    /// merge that involves a new record (a new report can show that two
    /// people were one), and refinement moves only new records.
    pub new_from: Option<u32>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            threshold: 0.5,
            min_support: 0.4,
            new_from: None,
        }
    }
}

/// Human decisions: pairs of records that are, or are not, the same person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    pub must_link: Vec<(u32, u32)>,
    pub cannot_link: Vec<(u32, u32)>,
}

/// A clustering: for each record, the smallest record index in its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clustering {
    pub cluster_of: Vec<u32>,
}

impl Clustering {
    /// The clusters as sorted member lists, in order of their smallest member.
    pub fn groups(&self) -> Vec<Vec<u32>> {
        let mut by_rep: rustc_hash::FxHashMap<u32, Vec<u32>> = rustc_hash::FxHashMap::default();
        for (r, &c) in self.cluster_of.iter().enumerate() {
            by_rep.entry(c).or_default().push(r as u32);
        }
        let mut groups: Vec<Vec<u32>> = by_rep.into_values().collect();
        groups.sort_unstable_by_key(|g| g[0]);
        groups
    }

    /// The number of distinct clusters.
    pub fn count(&self) -> usize {
        self.cluster_of
            .iter()
            .enumerate()
            .filter(|&(r, &c)| r as u32 == c)
            .count()
    }
}

/// Disjoint sets with an explicit label per record, so a record's cluster is
/// one lookup even while member lists are borrowed. A union relabels the
/// smaller side: O(n log n) over all unions.
struct Sets {
    label: Vec<u32>,
    members: Vec<Vec<u32>>,
}

impl Sets {
    fn new(n: usize) -> Sets {
        Sets {
            label: (0..n as u32).collect(),
            members: (0..n as u32).map(|r| vec![r]).collect(),
        }
    }

    fn find(&self, x: u32) -> u32 {
        self.label[x as usize]
    }

    /// Merges two clusters; returns the label kept.
    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (keep, gone) = if self.members[a as usize].len() >= self.members[b as usize].len() {
            (a, b)
        } else {
            (b, a)
        };
        let moved = std::mem::take(&mut self.members[gone as usize]);
        for &m in &moved {
            self.label[m as usize] = keep;
        }
        self.members[keep as usize].extend(moved);
        keep
    }
}

/// Scored pairs by record, for support computations.
struct Adjacency {
    start: Vec<usize>,
    edges: Vec<(u32, f32)>,
}

impl Adjacency {
    fn new(n: usize, pairs: &[(u32, u32)], probs: &[f32]) -> Adjacency {
        // Both loops below touch two records' places at random for every
        // pair (25 million edges on the 1,000,000-record file): the second
        // records' places are asked for some pairs ahead (see
        // `compare::prefetch`) so the loads overlap.
        const AHEAD: usize = 16;
        let mut degree = vec![0u32; n + 1];
        for (i, &(a, b)) in pairs.iter().enumerate() {
            if let Some(&(_, next)) = pairs.get(i + AHEAD) {
                prefetch(&degree[next as usize]);
            }
            degree[a as usize] += 1;
            degree[b as usize] += 1;
        }
        let mut start = vec![0usize; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + degree[i] as usize;
        }
        drop(degree);
        let mut fill = start.clone();
        let mut edges = vec![(0u32, 0f32); start[n]];
        for (i, (&(a, b), &p)) in pairs.iter().zip(probs).enumerate() {
            if let Some(&(_, next)) = pairs.get(i + 2 * AHEAD) {
                prefetch(&fill[next as usize]);
            }
            if let Some(&(_, next)) = pairs.get(i + AHEAD)
                && let Some(slot) = edges.get(fill[next as usize])
            {
                prefetch(slot);
            }
            edges[fill[a as usize]] = (b, p);
            fill[a as usize] += 1;
            edges[fill[b as usize]] = (a, p);
            fill[b as usize] += 1;
        }
        Adjacency { start, edges }
    }

    fn of(&self, r: u32) -> &[(u32, f32)] {
        &self.edges[self.start[r as usize]..self.start[r as usize + 1]]
    }
}

/// Clusters `n` records from scored `pairs` (`probs[i]` is the probability of
/// `pairs[i]`), honouring `constraints`.
pub fn cluster(
    n: usize,
    pairs: &[(u32, u32)],
    probs: &[f32],
    constraints: &Constraints,
    opts: ClusterOptions,
) -> Result<Clustering, LinkError> {
    let mut sets = Sets::new(n);
    for &(a, b) in &constraints.must_link {
        let (ra, rb) = (sets.find(a), sets.find(b));
        if ra != rb {
            sets.union(ra, rb);
        }
    }
    let mut cannot: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &(a, b) in &constraints.cannot_link {
        if sets.find(a) == sets.find(b) {
            return Err(LinkError::ConflictingConstraints {
                a: a.to_string(),
                b: b.to_string(),
            });
        }
        cannot[a as usize].push(b);
        cannot[b as usize].push(a);
    }
    let lap = crate::pipeline::stage_clock("clustering");
    let adjacency = Adjacency::new(n, pairs, probs);
    lap("adjacency");
    let mut order: Vec<usize> = (0..pairs.len())
        .filter(|&i| f64::from(probs[i]) >= opts.threshold)
        .collect();
    // Strongest first; ties broken by the pair so the result never depends on
    // the order pairs were given in.
    order.sort_unstable_by(|&x, &y| {
        probs[y]
            .total_cmp(&probs[x])
            .then_with(|| pairs[x].cmp(&pairs[y]))
    });
    lap("pairs ordered");
    // Whether each cluster (by label) holds a new record.
    let mut has_new: Vec<bool> = (0..n as u32)
        .map(|r| opts.new_from.is_none_or(|f| r >= f))
        .collect();
    for r in 0..n as u32 {
        let l = sets.find(r) as usize;
        has_new[l] |= has_new[r as usize];
    }
    for i in order {
        let (a, b) = pairs[i];
        let (ra, rb) = (sets.find(a), sets.find(b));
        if ra == rb || !(has_new[ra as usize] || has_new[rb as usize]) {
            continue;
        }
        let (small, large) = if sets.members[ra as usize].len() <= sets.members[rb as usize].len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        // Cannot-link between the two clusters?
        let mut blocked = false;
        'outer: for &x in &sets.members[small as usize] {
            for &y in &cannot[x as usize] {
                if sets.find(y) == large {
                    blocked = true;
                    break 'outer;
                }
            }
        }
        if blocked {
            continue;
        }
        let sizes =
            sets.members[small as usize].len() as f64 * sets.members[large as usize].len() as f64;
        if sizes > 1.0 {
            let mut sum = 0.0f64;
            for &x in &sets.members[small as usize] {
                for &(y, p) in adjacency.of(x) {
                    // Candidate pairs are unique, so each cross pair is seen once.
                    if sets.find(y) == large {
                        sum += f64::from(p);
                    }
                }
            }
            if sum / sizes < opts.min_support {
                continue;
            }
        }
        let kept = sets.union(ra, rb);
        has_new[kept as usize] = true;
    }
    lap("merged");
    let Sets { mut label, members } = sets;
    let mut pinned: Vec<bool> = (0..n as u32)
        .map(|r| opts.new_from.is_some_and(|f| r < f))
        .collect();
    for &(a, b) in &constraints.must_link {
        pinned[a as usize] = true;
        pinned[b as usize] = true;
    }
    refine(
        &mut label,
        members,
        &adjacency,
        &cannot,
        &pinned,
        opts.threshold,
        Visit::Changed,
    );
    lap("refined");
    let cluster_of = smallest_member_labels(&label);
    lap("labelled");
    Ok(Clustering { cluster_of })
}

/// What a scored pair says for putting two records together, in log₂ odds
/// relative to the threshold. A pair never scored counts as [`UNSCORED`]:
/// blocking found nothing the two share, which is evidence against.
fn evidence(p: f32, threshold: f64) -> f64 {
    let p = f64::from(p).clamp(1e-6, 1.0 - 1e-6);
    let t = threshold.clamp(1e-6, 1.0 - 1e-6);
    ((p / (1.0 - p)).log2() - (t / (1.0 - t)).log2()).clamp(-20.0, 20.0)
}

const UNSCORED: f64 = -3.0;

/// Which records a pass of [`refine`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    /// Those whose view changed since they last stayed put.
    Changed,
    /// Every record, every pass (the plain definition; for the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    All,
}

/// Local moves after agglomeration: a record moves to the neighbouring cluster
/// (or to a cluster of its own) where the evidence for being together is
/// greatest. This undoes early merges along a strong single edge that the
/// records' other links contradict. Records under a must-link never move; a
/// move next to a cannot-linked record is never made.
///
/// Passes visit the records in index order, each seeing the moves made before
/// it, until a pass moves none (at most ten). A record is looked at again only
/// when something its choice depends on changed since it last stayed put: a
/// neighbour's or cannot-linked record's cluster, or the size of a cluster it
/// sees (its own or a neighbour's). Skipping the others gives exactly the
/// moves of looking at every record every pass, at a fraction of the cost
/// when few records move (the tests check it against [`Visit::All`]).
fn refine(
    label: &mut [u32],
    members: Vec<Vec<u32>>,
    adjacency: &Adjacency,
    cannot: &[Vec<u32>],
    pinned: &[bool],
    threshold: f64,
    visit: Visit,
) {
    let n = label.len();
    // Members by label; a fresh label for records moved out on their own is
    // above every record index.
    let mut members = members;
    let mut next_label = n as u32;
    let mut dirty = vec![true; n];
    let mut by_label: Vec<(u32, u32)> = Vec::new();
    let mut candidates: Vec<(u32, (f64, u32))> = Vec::new();
    // Cluster sizes by label, beside `members`: read for every neighbouring
    // cluster of every record visited, at random, and a u32 each where a
    // member list's header is 24 bytes (perf: a quarter of refinement was
    // waiting on those headers).
    let mut sizes: Vec<u32> = members.iter().map(|m| m.len() as u32).collect();
    let size = |sizes: &[u32], l: u32| sizes.get(l as usize).copied().unwrap_or(0);
    for _pass in 0..10 {
        let mut moved = false;
        for r in 0..n {
            // What the record a few ahead reads at random: its cluster's
            // size (see `compare::prefetch`).
            if let Some(&l) = label.get(r + 8)
                && let Some(m) = sizes.get(l as usize)
            {
                prefetch(m);
            }
            if pinned[r] || (visit == Visit::Changed && !dirty[r]) {
                continue;
            }
            dirty[r] = false;
            let here = label[r];
            // A record alone can only move to a cluster that holds evidence
            // for it, and evidence grows with probability: when even its
            // most probable pair says against, it stays (as the full
            // computation below would decide, without a logarithm per pair;
            // the tests check this shortcut against `Visit::All`, which
            // does without it).
            let edges = adjacency.of(r as u32);
            if visit == Visit::Changed && size(&sizes, here) <= 1 {
                let strongest = edges
                    .iter()
                    .map(|&(_, p)| p)
                    .fold(f32::NEG_INFINITY, f32::max);
                if strongest == f32::NEG_INFINITY || evidence(strongest, threshold) <= 0.0 {
                    continue;
                }
            }
            // Evidence by neighbouring cluster, summed in edge order: the
            // edges sorted by (label, position) and summed run by run.
            by_label.clear();
            by_label.extend(
                edges
                    .iter()
                    .enumerate()
                    .map(|(k, &(y, _))| (label[y as usize], k as u32)),
            );
            by_label.sort_unstable();
            candidates.clear();
            for run in by_label.chunk_by(|x, y| x.0 == y.0) {
                let mut sum = 0.0f64;
                for &(_, k) in run {
                    sum += evidence(edges[k as usize].1, threshold);
                }
                candidates.push((run[0].0, (sum, run.len() as u32)));
            }
            let total = |l: u32, sc: Option<&(f64, u32)>, sizes: &[u32]| {
                let others = size(sizes, l) - u32::from(l == here);
                let (s, scored) = sc.copied().unwrap_or((0.0, 0));
                s + UNSCORED * f64::from(others.saturating_sub(scored))
            };
            let current = if size(&sizes, here) > 1 {
                let mine = candidates
                    .binary_search_by_key(&here, |c| c.0)
                    .ok()
                    .map(|i| &candidates[i].1);
                total(here, mine, &sizes)
            } else {
                0.0
            };
            let mut best: Option<(f64, u32)> = None;
            for (l, sc) in &candidates {
                let l = *l;
                if l == here || cannot[r].iter().any(|&c| label[c as usize] == l) {
                    continue;
                }
                let t = total(l, Some(sc), &sizes);
                if best.is_none_or(|(b, _)| t > b) {
                    best = Some((t, l));
                }
            }
            // Alone scores 0: leave a cluster that holds more evidence against.
            let alone = (0.0, u32::MAX);
            let (t, l) = match best {
                Some(b) if b.0 >= alone.0 => b,
                _ => alone,
            };
            if t > current + 1e-9 && (l != u32::MAX || size(&sizes, here) > 1) {
                let target = if l == u32::MAX {
                    next_label += 1;
                    next_label
                } else {
                    l
                };
                let moving = r as u32;
                if let Some(from) = members.get_mut(here as usize)
                    && let Some(at) = from.iter().position(|&m| m == moving)
                {
                    from.swap_remove(at);
                    sizes[here as usize] -= 1;
                }
                if members.len() <= target as usize {
                    members.resize_with(target as usize + 1, Vec::new);
                    sizes.resize(target as usize + 1, 0);
                }
                members[target as usize].push(moving);
                sizes[target as usize] += 1;
                label[r] = target;
                moved = true;
                // Who must look again: the mover's neighbours and
                // cannot-linked records (a label they see changed), and
                // everyone in, or next to, the two clusters whose sizes changed.
                for &(y, _) in adjacency.of(moving) {
                    dirty[y as usize] = true;
                }
                for &c in &cannot[r] {
                    dirty[c as usize] = true;
                }
                for l in [here, target] {
                    for &m in members.get(l as usize).map_or(&[][..], Vec::as_slice) {
                        dirty[m as usize] = true;
                        for &(y, _) in adjacency.of(m) {
                            dirty[y as usize] = true;
                        }
                    }
                }
            }
        }
        if !moved {
            break;
        }
    }
}

/// Renames each cluster by its smallest member.
fn smallest_member_labels(label: &[u32]) -> Vec<u32> {
    let mut smallest: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    for (r, &l) in label.iter().enumerate() {
        smallest.entry(l).or_insert(r as u32);
    }
    label.iter().map(|l| smallest[l]).collect()
}

/// A pair a human should decide, with why it is in the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewItem {
    pub a: u32,
    pub b: u32,
    pub probability: f32,
    /// Whether the two records are in one cluster now.
    pub together: bool,
    /// Pairs of records whose togetherness a decision against the current
    /// clustering would change: |A|·|B| for a merge, |C|−1 for a split.
    pub impact: u64,
    /// Uncertainty (1 at p = 0.5, 0 at 0 or 1) times impact: the sort key.
    pub priority: f64,
}

/// Uncertain pairs (probability within `band` of 0.5: 0.4 means 0.1–0.9),
/// most consequential first, at most `limit`.
pub fn review_queue(
    clustering: &Clustering,
    pairs: &[(u32, u32)],
    probs: &[f32],
    band: f64,
    limit: usize,
) -> Vec<ReviewItem> {
    let mut size: rustc_hash::FxHashMap<u32, u64> = rustc_hash::FxHashMap::default();
    for &c in &clustering.cluster_of {
        *size.entry(c).or_default() += 1;
    }
    let mut items: Vec<ReviewItem> = pairs
        .iter()
        .zip(probs)
        .filter(|&(_, &p)| (f64::from(p) - 0.5).abs() <= band)
        .map(|(&(a, b), &p)| {
            let (ca, cb) = (
                clustering.cluster_of[a as usize],
                clustering.cluster_of[b as usize],
            );
            let together = ca == cb;
            let impact = if together {
                size[&ca].saturating_sub(1).max(1)
            } else {
                size[&ca] * size[&cb]
            };
            let uncertainty = 1.0 - (2.0 * f64::from(p) - 1.0).abs();
            ReviewItem {
                a,
                b,
                probability: p,
                together,
                impact,
                priority: uncertainty * impact as f64,
            }
        })
        .collect();
    items.sort_by(|x, y| {
        y.priority
            .total_cmp(&x.priority)
            .then_with(|| (x.a, x.b).cmp(&(y.a, y.b)))
    });
    items.truncate(limit);
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(n: usize, edges: &[(u32, u32, f32)], c: &Constraints) -> Vec<u32> {
        let pairs: Vec<(u32, u32)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
        let probs: Vec<f32> = edges.iter().map(|&(_, _, p)| p).collect();
        match cluster(n, &pairs, &probs, c, ClusterOptions::default()) {
            Ok(c) => c.cluster_of,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn pairs_above_threshold_join() {
        let c = run(4, &[(0, 1, 0.99), (2, 3, 0.3)], &Constraints::default());
        assert_eq!(c, vec![0, 0, 2, 3]);
    }

    #[test]
    fn a_chain_through_one_record_does_not_join_two_groups() {
        // 0-1-2 a tight group, 3-4-5 another, one strong edge 2-3 between them.
        let mut edges = vec![(0, 1, 0.99), (0, 2, 0.99), (1, 2, 0.99)];
        edges.extend([(3, 4, 0.99), (3, 5, 0.99), (4, 5, 0.99)]);
        edges.push((2, 3, 0.999));
        let c = run(6, &edges, &Constraints::default());
        assert_eq!(c, vec![0, 0, 0, 3, 3, 3]);
        // A record linked to two of three members joins; one of three does not.
        let c = run(
            4,
            &[(0, 1, 0.99), (0, 2, 0.99), (1, 2, 0.99), (3, 0, 0.9)],
            &Constraints::default(),
        );
        assert_eq!(c, vec![0, 0, 0, 3]);
        let c = run(
            4,
            &[
                (0, 1, 0.99),
                (0, 2, 0.99),
                (1, 2, 0.99),
                (3, 0, 0.9),
                (3, 1, 0.9),
            ],
            &Constraints::default(),
        );
        assert_eq!(c, vec![0, 0, 0, 0]);
    }

    #[test]
    fn added_records_merge_earlier_clusters_only_when_they_bring_the_support() {
        let with_new = |n: usize, edges: &[(u32, u32, f32)], c: &Constraints, first: u32| {
            let pairs: Vec<(u32, u32)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
            let probs: Vec<f32> = edges.iter().map(|&(_, _, p)| p).collect();
            let opts = ClusterOptions {
                new_from: Some(first),
                ..ClusterOptions::default()
            };
            cluster(n, &pairs, &probs, c, opts)
                .map(|c| c.cluster_of)
                .map_err(|e| e.to_string())
        };
        // Earlier: {0, 1} one person (held by a must-link), 2 another, kept
        // apart by the earlier run although the pair 1–2 is strong.
        let earlier = Constraints {
            must_link: vec![(0, 1)],
            cannot_link: vec![],
        };
        let old = [(0, 1, 0.99), (1, 2, 0.95)];
        // With no new record, nothing earlier moves (a whole run would merge).
        assert_eq!(run(3, &old, &earlier), vec![0, 0, 0]);
        assert_eq!(with_new(3, &old, &earlier, 3), Ok(vec![0, 0, 2]));
        // A new record 3 like 2 only joins 2, and brings no merge of the
        // earlier people.
        let mut edges = old.to_vec();
        edges.push((2, 3, 0.99));
        assert_eq!(with_new(4, &edges, &earlier, 3), Ok(vec![0, 0, 2, 2]));
        // A new record 3 like all three joins {0, 1}; the support between that
        // cluster and 2 then counts the earlier pair 1–2 too, and reaches it.
        let mut edges = old.to_vec();
        edges.extend([(0, 3, 0.99), (1, 3, 0.99), (2, 3, 0.99)]);
        assert_eq!(with_new(4, &edges, &earlier, 3), Ok(vec![0, 0, 0, 0]));
        // Earlier records are not moved by refinement either: 2, alone and
        // strongly like 0 and 1, stays where the earlier run put it.
        let pinned = [(0, 1, 0.99), (0, 2, 0.99), (1, 2, 0.99)];
        assert_eq!(with_new(3, &pinned, &earlier, 3), Ok(vec![0, 0, 2]));
    }

    #[test]
    fn constraints_hold_and_conflicts_are_errors() {
        let c = Constraints {
            must_link: vec![(2, 3)],
            cannot_link: vec![(0, 1)],
        };
        let out = run(4, &[(0, 1, 0.99), (1, 2, 0.1)], &c);
        assert_eq!(out, vec![0, 1, 2, 2]);
        let bad = Constraints {
            must_link: vec![(0, 1), (1, 2)],
            cannot_link: vec![(0, 2)],
        };
        assert!(matches!(
            cluster(3, &[], &[], &bad, ClusterOptions::default()),
            Err(LinkError::ConflictingConstraints { .. })
        ));
    }

    #[test]
    fn review_queue_puts_consequential_uncertain_pairs_first() {
        let pairs = [(0, 1), (2, 3), (3, 4), (5, 6)];
        let probs = [0.99, 0.99, 0.5, 0.45];
        let cl = cluster(
            7,
            &pairs,
            &probs,
            &Constraints::default(),
            ClusterOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let q = review_queue(&cl, &pairs, &probs, 0.4, 10);
        let got: Vec<(u32, u32, bool, u64)> =
            q.iter().map(|i| (i.a, i.b, i.together, i.impact)).collect();
        // (3, 4) would join 4 to the cluster of 2 and 3: two pairs change.
        assert_eq!(got, vec![(3, 4, false, 2), (5, 6, false, 1)]);
    }

    fn graph() -> impl Strategy<Value = (usize, Vec<(u32, u32, f32)>, Constraints)> {
        (3usize..25).prop_flat_map(|n| {
            let edge = (0..n as u32, 0..n as u32, 0.0f32..1.0)
                .prop_filter_map("loop", |(a, b, p)| {
                    (a != b).then(|| (a.min(b), a.max(b), p))
                });
            let pair = (0..n as u32, 0..n as u32).prop_filter("loop", |(a, b)| a != b);
            (
                Just(n),
                proptest::collection::vec(edge, 0..60),
                proptest::collection::vec(pair.clone(), 0..4),
                proptest::collection::vec(pair, 0..4),
            )
                .prop_map(|(n, mut edges, must, cannot)| {
                    edges.sort_by_key(|x| (x.0, x.1));
                    edges.dedup_by(|x, y| (x.0, x.1) == (y.0, y.1));
                    (
                        n,
                        edges,
                        Constraints {
                            must_link: must,
                            cannot_link: cannot,
                        },
                    )
                })
        })
    }

    fn try_run(n: usize, edges: &[(u32, u32, f32)], c: &Constraints) -> Option<Vec<u32>> {
        let pairs: Vec<(u32, u32)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
        let probs: Vec<f32> = edges.iter().map(|&(_, _, p)| p).collect();
        cluster(n, &pairs, &probs, c, ClusterOptions::default())
            .ok()
            .map(|c| c.cluster_of)
    }

    proptest! {
        #[test]
        fn deterministic_whatever_the_pair_order((n, edges, c) in graph()) {
            let first = try_run(n, &edges, &c);
            let mut reversed = edges.clone();
            reversed.reverse();
            prop_assert_eq!(first, try_run(n, &reversed, &c));
        }

        #[test]
        fn constraints_always_hold((n, edges, c) in graph()) {
            if let Some(out) = try_run(n, &edges, &c) {
                for &(a, b) in &c.must_link {
                    prop_assert_eq!(out[a as usize], out[b as usize]);
                }
                for &(a, b) in &c.cannot_link {
                    prop_assert_ne!(out[a as usize], out[b as usize]);
                }
                // Each cluster is named by its smallest member.
                for (r, &k) in out.iter().enumerate() {
                    prop_assert!(k as usize <= r);
                    prop_assert_eq!(out[k as usize], k);
                }
            }
        }

        #[test]
        fn refining_only_records_whose_view_changed_moves_exactly_as_visiting_all(
            (n, edges, c) in graph(),
            start in proptest::collection::vec(0u32..25, 25),
            pins in proptest::collection::vec(proptest::bool::weighted(0.1), 25),
            threshold in 0.2f64..0.8,
        ) {
            // Any starting clustering: record r starts in the cluster named by
            // some record (not always one that agglomeration would make).
            let mut label: Vec<u32> = (0..n).map(|r| start[r] % n as u32).collect();
            let mut members = vec![Vec::new(); n];
            for (r, &l) in label.iter().enumerate() {
                members[l as usize].push(r as u32);
            }
            let pairs: Vec<(u32, u32)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
            let probs: Vec<f32> = edges.iter().map(|&(_, _, p)| p).collect();
            let adjacency = Adjacency::new(n, &pairs, &probs);
            let mut cannot = vec![Vec::new(); n];
            for &(a, b) in &c.cannot_link {
                cannot[a as usize].push(b);
                cannot[b as usize].push(a);
            }
            let pinned = &pins[..n];
            let mut reference = label.clone();
            refine(&mut reference, members.clone(), &adjacency, &cannot, pinned, threshold, Visit::All);
            refine(&mut label, members, &adjacency, &cannot, pinned, threshold, Visit::Changed);
            prop_assert_eq!(label, reference);
        }

        #[test]
        fn adding_a_record_never_splits_a_confirmed_cluster(
            (n, edges, c) in graph(),
            new_edges in proptest::collection::vec((0u32..25, 0.0f32..1.0), 0..5),
        ) {
            let Some(before) = try_run(n, &edges, &c) else { return Ok(()) };
            let mut more = edges.clone();
            for (x, p) in new_edges {
                more.push((x % n as u32, n as u32, p));
            }
            let after = try_run(n + 1, &more, &c).ok_or_else(|| TestCaseError::fail("new record made constraints conflict"))?;
            // Records joined by human confirmation stay together.
            for &(a, b) in &c.must_link {
                prop_assert_eq!(before[a as usize], before[b as usize]);
                prop_assert_eq!(after[a as usize], after[b as usize]);
            }
        }
    }
}
