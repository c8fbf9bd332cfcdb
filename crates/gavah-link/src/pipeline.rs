//! The whole linkage run over a prepared data set: blocking, comparisons, EM,
//! scoring, clustering, with progress reported per phase.

use crate::blocking::{
    BlockingOptions, BlockingReport, BlockingRule, Pair, candidate_pairs, default_rules,
};
use crate::cluster::{ClusterOptions, Clustering, Constraints, cluster};
use crate::compare::Comparator;
use crate::data::Dataset;
use crate::error::LinkError;
use crate::model::{EmOptions, Model, TermFrequencies, count_patterns, patterns_of, score_pairs};
use serde::Serialize;
use std::fmt;
use std::time::Instant;

/// A phase of a run, for progress bars and timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Reading,
    Blocking,
    Comparisons,
    Em,
    Scoring,
    Clustering,
    Writing,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Reading => "reading",
            Phase::Blocking => "blocking",
            Phase::Comparisons => "comparisons",
            Phase::Em => "EM",
            Phase::Scoring => "scoring",
            Phase::Clustering => "clustering",
            Phase::Writing => "writing",
        })
    }
}

/// Receives progress. Calls come from the thread running the pipeline.
pub trait Progress: Sync {
    /// A phase starts; `total` is its number of steps (0 when unknown).
    fn start(&self, _phase: Phase, _total: u64) {}
    /// Steps done so far in the current phase.
    fn set(&self, _done: u64) {}
    /// The current phase is over.
    fn finish(&self) {}
}

/// Logs at debug level, at each named stage of a phase, the seconds since
/// the clock was made (`GAVAH_LOG=gavah_link=debug`).
pub(crate) fn stage_clock(phase: &'static str) -> impl Fn(&str) {
    let clock = Instant::now();
    move |stage| {
        tracing::debug!(
            phase,
            stage,
            seconds = clock.elapsed().as_secs_f64(),
            "stage"
        )
    }
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Candidate pairs below which EM keeps u as sampled from random pairs.
pub const MIN_PAIRS_FOR_U_BY_EM: usize = 10_000;

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Pairs at or above this probability may join clusters.
    pub threshold: f64,
    pub min_support: f64,
    pub blocking: BlockingOptions,
    /// Blocking rules; `None` derives them from the field kinds.
    pub rules: Option<Vec<BlockingRule>>,
    /// Random pairs for estimating u.
    pub u_pairs: u64,
    pub seed: u64,
    pub em: EmOptions,
    /// A saved model to use instead of training.
    pub model: Option<Model>,
    /// Candidate pairs below which EM keeps u as sampled from random pairs
    /// ([`MIN_PAIRS_FOR_U_BY_EM`] by default).
    pub min_pairs_for_u_by_em: usize,
    /// Term-frequency adjustment of exact agreement (on by default). Turn it
    /// off when u is estimated among candidates blocked on the adjusted field
    /// itself: its frequency correction assumes u of random pairs.
    pub term_frequency: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            threshold: 0.5,
            min_support: ClusterOptions::default().min_support,
            blocking: BlockingOptions::default(),
            rules: None,
            u_pairs: 500_000,
            seed: 42,
            em: EmOptions::default(),
            model: None,
            min_pairs_for_u_by_em: MIN_PAIRS_FOR_U_BY_EM,
            term_frequency: true,
        }
    }
}

/// Seconds spent in a phase.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    pub phase: Phase,
    pub seconds: f64,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct LinkOutput {
    pub pairs: Vec<Pair>,
    pub probabilities: Vec<f32>,
    pub clustering: Clustering,
    pub model: Model,
    pub blocking: BlockingReport,
    pub rules: Vec<BlockingRule>,
    pub timings: Vec<PhaseTime>,
}

/// Scored candidate pairs: everything a run makes before clustering.
#[derive(Debug, Clone)]
pub struct Scored {
    pub pairs: Vec<Pair>,
    pub probabilities: Vec<f32>,
    pub model: Model,
    pub blocking: BlockingReport,
    pub rules: Vec<BlockingRule>,
    pub timings: Vec<PhaseTime>,
}

/// Links a data set: the whole pipeline. `truth` (an entity per record) only
/// feeds the blocking report's recall ceiling.
pub fn link(
    data: &Dataset,
    opts: &LinkOptions,
    constraints: &Constraints,
    progress: &dyn Progress,
    truth: Option<&[u32]>,
) -> Result<LinkOutput, LinkError> {
    let scored = score(data, opts, progress, truth)?;
    let clock = Instant::now();
    progress.start(Phase::Clustering, 0);
    let clustering = cluster(
        data.len(),
        &scored.pairs,
        &scored.probabilities,
        constraints,
        ClusterOptions {
            threshold: opts.threshold,
            min_support: opts.min_support,
            new_from: None,
        },
    )?;
    progress.finish();
    let mut timings = scored.timings;
    timings.push(PhaseTime {
        phase: Phase::Clustering,
        seconds: clock.elapsed().as_secs_f64(),
    });
    Ok(LinkOutput {
        pairs: scored.pairs,
        probabilities: scored.probabilities,
        clustering,
        model: scored.model,
        blocking: scored.blocking,
        rules: scored.rules,
        timings,
    })
}

/// Blocking, comparisons, EM (unless a model is given) and scoring: the
/// candidate pairs with their match probabilities, not yet clustered, so a
/// caller can combine runs with different blocking before clustering once.
pub fn score(
    data: &Dataset,
    opts: &LinkOptions,
    progress: &dyn Progress,
    truth: Option<&[u32]>,
) -> Result<Scored, LinkError> {
    if !(0.0..=1.0).contains(&opts.threshold) {
        return Err(LinkError::BadThreshold(opts.threshold));
    }
    let cmp = Comparator::new(data);
    if cmp.fields.is_empty() {
        return Err(LinkError::NoFields);
    }
    if cmp.fields.len() > 16 {
        return Err(LinkError::TooManyFields(cmp.fields.len()));
    }
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |phase: Phase, timings: &mut Vec<PhaseTime>| {
        timings.push(PhaseTime {
            phase,
            seconds: clock.elapsed().as_secs_f64(),
        });
        clock = Instant::now();
    };

    let rules = opts.rules.clone().unwrap_or_else(|| default_rules(data));
    progress.start(Phase::Blocking, rules.len() as u64);
    let (pairs, blocking) = candidate_pairs(data, &rules, opts.blocking, truth);
    progress.set(rules.len() as u64);
    progress.finish();
    tracing::info!(pairs = pairs.len(), "blocking done");
    lap(Phase::Blocking, &mut timings);

    progress.start(Phase::Comparisons, pairs.len() as u64);
    let mut patterns = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(1 << 18) {
        patterns.extend(patterns_of(&cmp, chunk));
        progress.set(patterns.len() as u64);
    }
    progress.finish();
    lap(Phase::Comparisons, &mut timings);

    // Distinct patterns and their counts: EM's input, and the weights scoring
    // computes once per pattern.
    let counts = count_patterns(&patterns);
    let mut model = match &opts.model {
        Some(m) => {
            m.check_fits(&cmp)?;
            m.clone()
        }
        None => {
            progress.start(Phase::Em, opts.em.max_iterations.into());
            let mut m = Model::new(&cmp);
            m.estimate_u_random(&cmp, opts.u_pairs, opts.seed);
            // Re-estimating u needs many pairs; on a small list the sampled u
            // is the better estimate.
            let em = EmOptions {
                estimate_u: opts.em.estimate_u && patterns.len() >= opts.min_pairs_for_u_by_em,
                ..opts.em
            };
            m.em(&counts, em);
            progress.set(m.training.em_iterations.into());
            progress.finish();
            m
        }
    };
    if !opts.term_frequency {
        for f in &mut model.fields {
            f.term_frequency = false;
        }
    }
    lap(Phase::Em, &mut timings);

    progress.start(Phase::Scoring, pairs.len() as u64);
    let tf = TermFrequencies::new(&model, &cmp);
    let probabilities = score_pairs(&model, &cmp, &tf, &pairs, &patterns, &counts);
    drop(patterns);
    drop(counts);
    progress.set(pairs.len() as u64);
    progress.finish();
    lap(Phase::Scoring, &mut timings);

    Ok(Scored {
        pairs,
        probabilities,
        model,
        blocking,
        rules,
        timings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::FieldKind;
    use proptest::prelude::*;

    fn dataset(rows: &[(String, String, String)]) -> Dataset {
        let schema = [
            ("given".to_string(), FieldKind::GivenName),
            ("surname".to_string(), FieldKind::Surname),
            ("dob".to_string(), FieldKind::Date),
        ];
        let mut d = Dataset::new(&schema);
        for (g, s, b) in rows {
            d.push(0, &[g.as_str(), s.as_str(), b.as_str()]);
        }
        d.finish();
        d
    }

    fn row() -> impl Strategy<Value = (String, String, String)> {
        let given = prop::sample::select(vec![
            "Ali", "Aly", "علی", "Zahra", "Mohammad", "Mohammed", "Reza",
        ]);
        let surname =
            prop::sample::select(vec!["Rezaei", "Rezaie", "رضایی", "Karimi", "Ahmadi", ""]);
        let dob = prop::sample::select(vec!["1990-01-01", "1990-01-10", "1985-05-05", ""]);
        (given, surname, dob).prop_map(|(g, s, b)| (g.to_string(), s.to_string(), b.to_string()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn the_whole_run_is_deterministic_for_a_seed(rows in prop::collection::vec(row(), 2..40)) {
            let d = dataset(&rows);
            let opts = LinkOptions { u_pairs: 2000, ..LinkOptions::default() };
            let c = Constraints::default();
            let a = link(&d, &opts, &c, &NoProgress, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b = link(&d, &opts, &c, &NoProgress, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&a.pairs, &b.pairs);
            prop_assert_eq!(&a.probabilities, &b.probabilities);
            prop_assert_eq!(&a.clustering, &b.clustering);
            prop_assert_eq!(&a.model, &b.model);
        }

        #[test]
        fn decisions_hold_after_relinking(rows in prop::collection::vec(row(), 4..30), x in 0u32..4, y in 0u32..3) {
            let d = dataset(&rows);
            let opts = LinkOptions { u_pairs: 2000, ..LinkOptions::default() };
            let (x, y) = (x, (y + 1 + x) % 4);
            let must = Constraints { must_link: vec![(x, y)], cannot_link: vec![] };
            let out = link(&d, &opts, &must, &NoProgress, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(out.clustering.cluster_of[x as usize], out.clustering.cluster_of[y as usize]);
            let cannot = Constraints { must_link: vec![], cannot_link: vec![(x, y)] };
            let out = link(&d, &opts, &cannot, &NoProgress, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_ne!(out.clustering.cluster_of[x as usize], out.clustering.cluster_of[y as usize]);
        }
    }

    #[test]
    fn a_bad_threshold_is_refused() {
        let d = dataset(&[("Ali".into(), "Karimi".into(), String::new())]);
        let opts = LinkOptions {
            threshold: 1.5,
            ..LinkOptions::default()
        };
        let err = link(&d, &opts, &Constraints::default(), &NoProgress, None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("threshold 1.5 is not a probability; give a number between 0 and 1")
        );
    }
}
