//! The Fellegi–Sunter model: for each field, the probability of each
//! comparison level among true matches (m) and among non-matches (u), and the
//! prior share of matches among candidate pairs (λ). A pair's match weight is
//! the log₂ Bayes factor of its levels summed over fields; its probability
//! follows from the weight and λ.
//!
//! u is estimated from random pairs (almost all non-matches) with a seeded
//! generator; m and λ by expectation–maximisation over the comparison patterns
//! of the candidate pairs, counted once per distinct pattern, so EM costs the
//! same for ten thousand pairs or ten million. Exact agreement on a name,
//! place or number is adjusted by the value's frequency: two records agreeing
//! on "Mohammad" say less than two agreeing on "Khodadadi".

use crate::compare::{Comparator, FieldSpec, exact_level, level_count, level_label, unpack};
use crate::data::{Dataset, FieldKind, MISSING};
use crate::error::LinkError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The smallest probability any level keeps, so no single field can make a
/// weight infinite.
const FLOOR: f64 = 1e-6;

/// The parameters of one compared field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldParams {
    pub name: String,
    pub kind: FieldKind,
    /// Labels of the levels, index 0 being "missing" (never used in weights).
    pub levels: Vec<String>,
    /// P(level | match), by level.
    pub m: Vec<f64>,
    /// P(level | non-match), by level.
    pub u: Vec<f64>,
    /// Whether exact agreement is adjusted by the value's frequency.
    pub term_frequency: bool,
}

impl FieldParams {
    /// log₂(m/u) of a level; 0 for the missing level.
    pub fn weight(&self, level: u8) -> f64 {
        let l = usize::from(level);
        if l == 0 || l >= self.m.len() {
            return 0.0;
        }
        (self.m[l].max(FLOOR) / self.u[l].max(FLOOR)).log2()
    }
}

/// A fitted (or initial) model, serialisable to JSON for inspection and reuse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Format version of the saved file.
    pub version: u32,
    /// Prior probability that a candidate pair is a match.
    pub lambda: f64,
    pub fields: Vec<FieldParams>,
    /// How training went, for the record.
    pub training: Training,
}

/// What training did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Training {
    pub u_random_pairs: u64,
    pub u_seed: u64,
    pub em_pairs: u64,
    pub em_patterns: u64,
    pub em_iterations: u32,
    pub em_converged: bool,
    pub labelled_pairs: u64,
}

/// EM settings.
#[derive(Debug, Clone, Copy)]
pub struct EmOptions {
    pub max_iterations: u32,
    /// Stop when no parameter moves more than this.
    pub tolerance: f64,
    /// Re-estimate u as well as m (classic EM over candidate pairs, u from
    /// random pairs as the start); otherwise u stays as sampled. Candidate
    /// non-matches agree on blocking fields far more often than random pairs
    /// do, so with u fixed the match class absorbs them on large files.
    pub estimate_u: bool,
}

impl Default for EmOptions {
    fn default() -> Self {
        EmOptions {
            max_iterations: 100,
            tolerance: 1e-6,
            estimate_u: true,
        }
    }
}

/// One field's part of an explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub field: String,
    pub level: String,
    /// log₂ Bayes factor this field added (after term-frequency adjustment).
    pub weight: f64,
    /// The part of `weight` due to the term-frequency adjustment.
    pub tf_adjustment: f64,
}

/// Why a pair got its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// log₂ prior odds, log₂(λ/(1−λ)).
    pub prior: f64,
    pub fields: Vec<Contribution>,
    /// Prior plus every field's weight.
    pub total: f64,
    pub probability: f64,
}

/// Counts of each distinct comparison pattern among candidate pairs.
pub type PatternCounts = FxHashMap<u64, u64>;

/// Probability from a log₂ odds.
pub fn probability(log2_odds: f64) -> f64 {
    1.0 / (1.0 + (-log2_odds).exp2())
}

impl Model {
    pub const VERSION: u32 = 1;

    /// A starting model for the fields a comparator compares: agreement likely
    /// among matches, rare among non-matches.
    pub fn new(cmp: &Comparator<'_>) -> Model {
        let fields = cmp
            .fields
            .iter()
            .map(|f: &FieldSpec| {
                let n = usize::from(level_count(f.kind));
                let mut m = vec![0.0; n];
                let mut u = vec![0.0; n];
                // Geometric decay from the strongest level, then normalised.
                for l in 1..n {
                    m[l] = 0.6f64.powi(l as i32 - 1);
                    u[l] = 0.02 * 2f64.powi(l as i32 - 1);
                }
                u[n - 1] = 1.0;
                normalise(&mut m);
                normalise(&mut u);
                FieldParams {
                    name: cmp.data.columns[f.column].name.clone(),
                    kind: f.kind,
                    levels: (0..n as u8)
                        .map(|l| level_label(f.kind, l).to_string())
                        .collect(),
                    m,
                    u,
                    term_frequency: exact_level(f.kind).is_some(),
                }
            })
            .collect();
        Model {
            version: Self::VERSION,
            lambda: 0.01,
            fields,
            training: Training::default(),
        }
    }

    /// Checks that a loaded model fits a comparator's fields.
    pub fn check_fits(&self, cmp: &Comparator<'_>) -> Result<(), LinkError> {
        let want: Vec<(String, FieldKind)> = cmp
            .fields
            .iter()
            .map(|f| (cmp.data.columns[f.column].name.clone(), f.kind))
            .collect();
        let have: Vec<(String, FieldKind)> = self
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.kind))
            .collect();
        if want != have {
            return Err(LinkError::ModelMismatch {
                expected: have.iter().map(|(n, k)| format!("{n}:{k}")).collect(),
                found: want.iter().map(|(n, k)| format!("{n}:{k}")).collect(),
            });
        }
        Ok(())
    }

    /// Estimates u from `pairs` random record pairs drawn with `seed` (across
    /// sources only in link mode). Random pairs are almost all non-matches.
    /// Levels are read from the pairs' patterns, so at most 16 fields count,
    /// as everywhere patterns are used (`pipeline::score` refuses more).
    pub fn estimate_u_random(&mut self, cmp: &Comparator<'_>, pairs: u64, seed: u64) {
        let n = cmp.data.len();
        if n < 2 {
            return;
        }
        let chunks = 16u64;
        let per_chunk = pairs.div_ceil(chunks);
        let counts: Vec<Vec<Vec<u64>>> = (0..chunks)
            .into_par_iter()
            .map(|chunk| {
                let mut rng =
                    ChaCha8Rng::seed_from_u64(seed ^ chunk.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut counts: Vec<Vec<u64>> =
                    self.fields.iter().map(|f| vec![0; f.m.len()]).collect();
                // The pairs first, then their patterns: random pairs read
                // memory at random, which `patterns_into` asks for ahead.
                let mut sample = Vec::with_capacity(per_chunk as usize);
                let mut attempts = 0;
                while (sample.len() as u64) < per_chunk && attempts < per_chunk * 20 {
                    attempts += 1;
                    let a = rng.random_range(0..n);
                    let b = rng.random_range(0..n);
                    if a == b || (cmp.data.link_only && cmp.data.source[a] == cmp.data.source[b]) {
                        continue;
                    }
                    sample.push((a as u32, b as u32));
                }
                let mut patterns = vec![0u64; sample.len()];
                patterns_into(cmp, &sample, &mut patterns);
                for &p in &patterns {
                    for (f, c) in counts.iter_mut().enumerate() {
                        c[usize::from(unpack(p, f))] += 1;
                    }
                }
                counts
            })
            .collect();
        let mut total: Vec<Vec<u64>> = self.fields.iter().map(|f| vec![0; f.m.len()]).collect();
        for c in counts {
            for (t, c) in total.iter_mut().zip(c) {
                for (x, y) in t.iter_mut().zip(c) {
                    *x += y;
                }
            }
        }
        for (f, counts) in self.fields.iter_mut().zip(total) {
            // Half a pair of pseudo-count per level keeps unseen levels finite.
            let mut u: Vec<f64> = counts.iter().map(|&c| c as f64 + 0.5).collect();
            u[0] = 0.0;
            normalise(&mut u);
            f.u = u;
        }
        self.training.u_random_pairs = pairs;
        self.training.u_seed = seed;
    }

    /// Estimates m and λ (and u, if asked) by EM over pattern counts.
    pub fn em(&mut self, patterns: &PatternCounts, opts: EmOptions) {
        let mut list: Vec<(u64, f64)> = patterns.iter().map(|(&p, &c)| (p, c as f64)).collect();
        // Sorted so that floating-point sums do not depend on hash order.
        list.sort_unstable_by_key(|&(p, _)| p);
        let nf = self.fields.len();
        let total: f64 = list.iter().map(|&(_, c)| c).sum();
        self.training.em_pairs = total as u64;
        self.training.em_patterns = list.len() as u64;
        if total == 0.0 {
            return;
        }
        let mut iterations = 0;
        let mut converged = false;
        while iterations < opts.max_iterations {
            iterations += 1;
            let prior = (self.lambda / (1.0 - self.lambda)).log2();
            let mut m_acc: Vec<Vec<f64>> =
                self.fields.iter().map(|f| vec![0.0; f.m.len()]).collect();
            let mut u_acc = m_acc.clone();
            let mut matches = 0.0;
            for &(p, c) in &list {
                let w: f64 = prior
                    + (0..nf)
                        .map(|f| self.fields[f].weight(unpack(p, f)))
                        .sum::<f64>();
                let pm = probability(w);
                matches += pm * c;
                for f in 0..nf {
                    let l = usize::from(unpack(p, f));
                    m_acc[f][l] += pm * c;
                    u_acc[f][l] += (1.0 - pm) * c;
                }
            }
            let mut delta: f64 = 0.0;
            let new_lambda = (matches / total).clamp(1e-9, 1.0 - 1e-9);
            delta = delta.max((new_lambda - self.lambda).abs());
            self.lambda = new_lambda;
            for (f, field) in self.fields.iter_mut().enumerate() {
                m_acc[f][0] = 0.0;
                u_acc[f][0] = 0.0;
                if normalise(&mut m_acc[f]) {
                    for (old, new) in field.m.iter_mut().zip(&m_acc[f]) {
                        delta = delta.max((*old - new).abs());
                        *old = *new;
                    }
                }
                if opts.estimate_u && normalise(&mut u_acc[f]) {
                    for (old, new) in field.u.iter_mut().zip(&u_acc[f]) {
                        delta = delta.max((*old - new).abs());
                        *old = *new;
                    }
                }
            }
            if delta < opts.tolerance {
                converged = true;
                break;
            }
        }
        self.training.em_iterations = iterations;
        self.training.em_converged = converged;
    }

    /// Uses labelled pairs (true: same person): m from the matches, u from the
    /// non-matches when there are enough, each blended with the current values
    /// as a prior worth `prior_weight` pairs.
    pub fn fit_labelled(
        &mut self,
        cmp: &Comparator<'_>,
        labels: &[(u32, u32, bool)],
        prior_weight: f64,
    ) {
        let nf = self.fields.len();
        let mut m_acc: Vec<Vec<f64>> = self
            .fields
            .iter()
            .map(|f| f.m.iter().map(|x| x * prior_weight).collect())
            .collect();
        let mut u_acc: Vec<Vec<f64>> = self
            .fields
            .iter()
            .map(|f| f.u.iter().map(|x| x * prior_weight).collect())
            .collect();
        let mut buf = vec![0u8; nf];
        for &(a, b, same) in labels {
            cmp.levels(a as usize, b as usize, &mut buf);
            for (f, &l) in buf.iter().enumerate() {
                let acc = if same { &mut m_acc[f] } else { &mut u_acc[f] };
                acc[usize::from(l)] += 1.0;
            }
        }
        for (f, field) in self.fields.iter_mut().enumerate() {
            m_acc[f][0] = 0.0;
            u_acc[f][0] = 0.0;
            if normalise(&mut m_acc[f]) {
                field.m.clone_from(&m_acc[f]);
            }
            if normalise(&mut u_acc[f]) {
                field.u.clone_from(&u_acc[f]);
            }
        }
        self.training.labelled_pairs = labels.len() as u64;
    }

    /// log₂ Bayes factor of a pattern, without prior or term frequencies.
    pub fn pattern_weight(&self, pattern: u64) -> f64 {
        self.fields
            .iter()
            .enumerate()
            .map(|(f, p)| p.weight(unpack(pattern, f)))
            .sum()
    }

    pub fn prior(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Explains a pair: each field's level and weight.
    pub fn explain(
        &self,
        cmp: &Comparator<'_>,
        tf: &TermFrequencies,
        a: usize,
        b: usize,
    ) -> Explanation {
        let mut buf = vec![0u8; self.fields.len()];
        cmp.levels(a, b, &mut buf);
        let prior = self.prior();
        let mut total = prior;
        let fields = self
            .fields
            .iter()
            .enumerate()
            .map(|(f, p)| {
                let base = p.weight(buf[f]);
                let adj = tf.adjustment(self, cmp, f, buf[f], a, b);
                total += base + adj;
                Contribution {
                    field: p.name.clone(),
                    level: p
                        .levels
                        .get(usize::from(buf[f]))
                        .cloned()
                        .unwrap_or_default(),
                    weight: base + adj,
                    tf_adjustment: adj,
                }
            })
            .collect();
        Explanation {
            prior,
            fields,
            total,
            probability: probability(total),
        }
    }

    /// Writes the model as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), LinkError> {
        let json = serde_json::to_string_pretty(self).map_err(|e| LinkError::Model {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let tmp = path.with_extension("json.tmp");
        std::fs::File::create(&tmp)
            .and_then(|mut f| {
                use std::io::Write;
                f.write_all(json.as_bytes())?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| LinkError::Io {
                path: path.to_path_buf(),
                source: e,
            })
    }

    /// Reads a model saved by [`Model::save`].
    pub fn load(path: &Path) -> Result<Model, LinkError> {
        let text = std::fs::read_to_string(path).map_err(|e| LinkError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let model: Model = serde_json::from_str(&text).map_err(|e| LinkError::Model {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if model.version != Self::VERSION {
            return Err(LinkError::Model {
                path: path.to_path_buf(),
                reason: format!("format version {} is not {}", model.version, Self::VERSION),
            });
        }
        Ok(model)
    }
}

/// log₂ of each value's frequency, per compared field, for term-frequency
/// adjustment.
#[derive(Debug, Clone, Default)]
pub struct TermFrequencies {
    /// Per compared field: log₂ frequency of each value id (empty when the
    /// field is not adjusted).
    log2_freq: Vec<Vec<f64>>,
}

impl TermFrequencies {
    pub fn new(model: &Model, cmp: &Comparator<'_>) -> TermFrequencies {
        let log2_freq = cmp
            .fields
            .iter()
            .zip(&model.fields)
            .map(|(f, p)| {
                if !p.term_frequency {
                    return Vec::new();
                }
                let col = &cmp.data.columns[f.column];
                let present = f64::from(col.present.max(1));
                col.counts
                    .iter()
                    .map(|&c| (f64::from(c) / present).log2())
                    .collect()
            })
            .collect();
        TermFrequencies { log2_freq }
    }

    /// The adjustment (in log₂ units) for field `f` at `level` for records a, b:
    /// at exact agreement, log₂(u_exact) − log₂(frequency of the value), so the
    /// field's weight becomes log₂(m_exact / frequency).
    pub fn adjustment(
        &self,
        model: &Model,
        cmp: &Comparator<'_>,
        f: usize,
        level: u8,
        a: usize,
        b: usize,
    ) -> f64 {
        let freqs = &self.log2_freq[f];
        if freqs.is_empty() || Some(level) != exact_level(model.fields[f].kind) {
            return 0.0;
        }
        // The comparator's rows of ids: one cache line per record, where
        // the column's own ids cost one per field.
        let (ia, ib) = (cmp.value_id(f, a), cmp.value_id(f, b));
        if ia == MISSING || ib == MISSING {
            return 0.0;
        }
        let lf = freqs[ia as usize].max(freqs[ib as usize]);
        let u = model.fields[f].u[usize::from(level)].max(FLOOR);
        u.log2() - lf
    }
}

/// Scales a vector to sum 1; false (and unchanged) when it sums to 0.
fn normalise(v: &mut [f64]) -> bool {
    let s: f64 = v.iter().sum();
    if s <= 0.0 {
        return false;
    }
    for x in v.iter_mut() {
        *x /= s;
    }
    true
}

/// Counts the patterns of candidate pairs.
pub fn count_patterns(patterns: &[u64]) -> PatternCounts {
    // Counted on every thread, then added up: integer counts, so the result
    // does not depend on how the work was split.
    patterns
        .par_chunks(1 << 16)
        .fold(PatternCounts::default, |mut counts, chunk| {
            for &p in chunk {
                *counts.entry(p).or_default() += 1;
            }
            counts
        })
        .reduce(PatternCounts::default, |mut x, mut y| {
            if x.len() < y.len() {
                std::mem::swap(&mut x, &mut y);
            }
            for (p, c) in y {
                *x.entry(p).or_default() += c;
            }
            x
        })
}

/// Scores pairs: each distinct pattern's weight once (`counts` are the
/// patterns' [`count_patterns`], which EM has made already), then
/// probabilities with TF adjustments.
pub fn score_pairs(
    model: &Model,
    cmp: &Comparator<'_>,
    tf: &TermFrequencies,
    pairs: &[(u32, u32)],
    patterns: &[u64],
    counts: &PatternCounts,
) -> Vec<f32> {
    let prior = model.prior();
    let cache: FxHashMap<u64, f64> = counts
        .keys()
        .map(|&p| (p, model.pattern_weight(p)))
        .collect();
    let tf_fields: Vec<usize> = (0..model.fields.len())
        .filter(|&f| model.fields[f].term_frequency)
        .collect();
    let mut out = vec![0f32; pairs.len()];
    out.par_chunks_mut(4096)
        .zip(pairs.par_chunks(4096).zip(patterns.par_chunks(4096)))
        .for_each(|(out, (pairs, patterns))| {
            for (i, ((o, &(a, b)), &p)) in out.iter_mut().zip(pairs).zip(patterns).enumerate() {
                if !tf_fields.is_empty()
                    && let Some(&(x, y)) = pairs.get(i + ROWS_AHEAD)
                {
                    // The rows of ids the adjustments read, a few pairs
                    // ahead (see `Comparator::prefetch_rows`).
                    cmp.prefetch_rows(x as usize, y as usize);
                }
                let mut w = prior + cache.get(&p).copied().unwrap_or(0.0);
                for &f in &tf_fields {
                    w += tf.adjustment(model, cmp, f, unpack(p, f), a as usize, b as usize);
                }
                *o = probability(w) as f32;
            }
        });
    out
}

/// How many pairs ahead of the one compared each stage of prefetching runs
/// (see `Comparator::prefetch_rows`): the rows first, then the values' heads
/// the rows name, then the text the heads point to. On the 1,000,000-record
/// file distances from (4, 2, 1) to (20, 12, 6) all took 4.2-4.5 s, against
/// 6.2 s for reading a batch of 32 pairs ahead with plain loads.
const ROWS_AHEAD: usize = 8;
const HEADS_AHEAD: usize = 4;
const TEXT_AHEAD: usize = 2;

/// Computes the pattern of each pair.
pub fn patterns_of(cmp: &Comparator<'_>, pairs: &[(u32, u32)]) -> Vec<u64> {
    let mut out = vec![0u64; pairs.len()];
    out.par_chunks_mut(4096)
        .zip(pairs.par_chunks(4096))
        .for_each(|(out, pairs)| patterns_into(cmp, pairs, out));
    out
}

/// The pattern of each pair into `out`, on this thread, with the loads of
/// pairs a few ahead asked for early (see the constants above).
fn patterns_into(cmp: &Comparator<'_>, pairs: &[(u32, u32)], out: &mut [u64]) {
    let at = |i: usize| pairs.get(i).map(|&(a, b)| (a as usize, b as usize));
    // Whether pair i's first record differs from the pair before's (when
    // pairs come sorted, a first record's values stay in cache over its run
    // of pairs).
    let fresh = |i: usize| i == 0 || pairs[i].0 != pairs[i - 1].0;
    for (i, o) in out.iter_mut().enumerate() {
        if let Some((a, b)) = at(i + ROWS_AHEAD) {
            cmp.prefetch_rows(a, b);
        }
        if let Some((a, b)) = at(i + HEADS_AHEAD) {
            cmp.prefetch_values(a, b, false, fresh(i + HEADS_AHEAD));
        }
        if let Some((a, b)) = at(i + TEXT_AHEAD) {
            cmp.prefetch_values(a, b, true, fresh(i + TEXT_AHEAD));
        }
        let (a, b) = pairs[i];
        *o = cmp.pattern(a as usize, b as usize);
    }
}

/// Compares a dataset to a model's fields (for reuse of a saved model).
pub fn fields_of(data: &Dataset) -> Vec<(String, FieldKind)> {
    data.compared()
        .map(|(_, c)| (c.name.clone(), c.kind))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::pack;

    fn data() -> Dataset {
        let schema = [
            ("given".to_string(), FieldKind::GivenName),
            ("surname".to_string(), FieldKind::Surname),
            ("dob".to_string(), FieldKind::Date),
        ];
        let mut d = Dataset::new(&schema);
        let given = [
            "Ali", "Zahra", "Mohammad", "Fatemeh", "Reza", "Maryam", "Hossein", "Sara",
        ];
        let surname = [
            "Karimi", "Ahmadi", "Rezaei", "Moradi", "Jafari", "Nouri", "Amini", "Kazemi",
        ];
        for i in 0..200usize {
            let g = given[i % 8];
            let s = surname[(i / 8) % 8];
            let dob = format!("19{:02}0{}1{}", 50 + i % 40, 1 + i % 9, i % 10);
            d.push(0, &[g, s, dob.as_str()]);
        }
        d
    }

    #[test]
    fn u_from_random_pairs_is_deterministic_and_sensible() {
        let d = data();
        let cmp = Comparator::new(&d);
        let mut a = Model::new(&cmp);
        a.estimate_u_random(&cmp, 20_000, 7);
        let mut b = Model::new(&cmp);
        b.estimate_u_random(&cmp, 20_000, 7);
        assert_eq!(a, b);
        // Eight given names evenly spread: about one random pair in eight agrees.
        let exact = a.fields[0].u[1];
        assert!((exact - 0.125).abs() < 0.02, "{exact}");
    }

    #[test]
    fn em_separates_matches_from_non_matches() {
        let d = data();
        let cmp = Comparator::new(&d);
        let mut model = Model::new(&cmp);
        model.estimate_u_random(&cmp, 20_000, 1);
        // 100 pairs agreeing on everything, 900 agreeing on nothing.
        let all = pack(&[1, 1, 1]);
        let none = pack(&[7, 7, 6]);
        let mut counts = PatternCounts::default();
        counts.insert(all, 100);
        counts.insert(none, 900);
        model.em(&counts, EmOptions::default());
        assert!((model.lambda - 0.1).abs() < 0.01, "{}", model.lambda);
        assert!(model.pattern_weight(all) > 10.0);
        assert!(model.pattern_weight(none) < -5.0);
        assert!(model.training.em_converged);
    }

    #[test]
    fn save_and_load_round_trip() -> Result<(), LinkError> {
        let d = data();
        let cmp = Comparator::new(&d);
        let mut model = Model::new(&cmp);
        model.estimate_u_random(&cmp, 1000, 3);
        let dir = tempfile::tempdir().map_err(|e| LinkError::Io {
            path: "tmp".into(),
            source: e,
        })?;
        let path = dir.path().join("model.json");
        model.save(&path)?;
        let back = Model::load(&path)?;
        assert_eq!(back, model);
        back.check_fits(&cmp)?;
        Ok(())
    }

    #[test]
    fn term_frequency_lowers_common_names() {
        let schema = [("given".to_string(), FieldKind::GivenName)];
        let mut d = Dataset::new(&schema);
        for _ in 0..90 {
            d.push(0, &["Mohammad"]);
        }
        for i in 0..10 {
            d.push(0, &[format!("Rare{i}")]);
        }
        d.push(0, &["Rare0"]);
        let cmp = Comparator::new(&d);
        let mut model = Model::new(&cmp);
        model.estimate_u_random(&cmp, 10_000, 5);
        let tf = TermFrequencies::new(&model, &cmp);
        let common = model.explain(&cmp, &tf, 0, 1);
        let rare = model.explain(&cmp, &tf, 90, 100);
        assert!(common.fields[0].tf_adjustment < 0.0, "{common:?}");
        assert!(rare.fields[0].tf_adjustment > 0.0, "{rare:?}");
        assert!(rare.total > common.total);
        assert_eq!(rare.fields[0].level, "exact");
    }

    #[test]
    fn labelled_pairs_set_m() {
        let d = data();
        let cmp = Comparator::new(&d);
        let mut model = Model::new(&cmp);
        // Records 0 and 64 share given name and surname (i % 8, (i/8) % 8).
        model.fit_labelled(&cmp, &[(0, 64, true)], 0.0);
        assert_eq!(model.fields[0].m[1], 1.0);
        assert_eq!(model.training.labelled_pairs, 1);
    }

    #[test]
    fn probability_of_log_odds() {
        assert!((probability(0.0) - 0.5).abs() < 1e-12);
        assert!((probability(1.0) - 2.0 / 3.0).abs() < 1e-12);
    }
}
