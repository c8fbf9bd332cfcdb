//! Bootstrap intervals for N: parametric percentile intervals for a log-linear model, and SparseMSE's BCa interval for the stepwise model.
//!
//! - [`parametric`]: the observed total n is redrawn from a multinomial with
//!   the model's fitted cell probabilities, the same model is refitted to each
//!   resample, and the interval is the percentile interval of the refitted N̂
//!   (Buckland and Garthwaite 1991). It carries the sampling error of the
//!   counts under the model, not the uncertainty of choosing the model.
//! - [`bca_stepwise`]: SparseMSE's `estimatepopulation` (Chan, Silverman and
//!   Vincent 2021, §3.3): n is redrawn from the observed proportions, the whole
//!   stepwise search is rerun on each resample (so model choice is part of the
//!   interval), and the percentiles are corrected for bias and acceleration
//!   (BCa, DiCiccio and Efron 1996) with a jackknife over individuals.
//!
//! Both are seeded (ChaCha8) and reproducible. A resample whose fit fails is
//! counted, never silently dropped; too many failures is an error.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::diagnostics::{quantile, quantile_type8};
use crate::lcmcr::binomial;
use crate::loglinear::{self, FitFailure, Model};
use crate::special::{pnorm, qnorm};
use crate::stepwise::{StepwiseError, stepwise};
use crate::table::CaptureTable;

/// How many resamples, from which seed, for which coverage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    /// Number of bootstrap resamples (SparseMSE's default is 1,000).
    pub replicates: usize,
    /// Seed of the random stream; the same seed gives the same interval.
    pub seed: u64,
    /// Coverage of the interval, e.g. 0.95.
    pub level: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            replicates: 1000,
            seed: 1234,
            level: 0.95,
        }
    }
}

/// Which bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Parametric (multinomial from the fitted model), percentile interval.
    ParametricPercentile,
    /// Non-parametric (multinomial from the observed counts) with the stepwise
    /// search rerun, bias-corrected and accelerated (BCa).
    StepwiseBca,
}

/// A bootstrap interval for N.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapInterval {
    /// How it was computed.
    pub kind: Kind,
    /// The estimate from the data (not from the resamples).
    pub estimate: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Median of the resampled estimates.
    pub median: f64,
    /// Resamples asked for.
    pub replicates: usize,
    /// Resamples whose refit failed (left out of the interval).
    pub failed: usize,
    /// The seed used.
    pub seed: u64,
    /// BCa only: the bias correction z₀ = Φ⁻¹(share of resamples below N̂).
    pub bias_correction: Option<f64>,
    /// BCa only: the acceleration, from the jackknife.
    pub acceleration: Option<f64>,
}

impl BootstrapInterval {
    /// A warning to show with the interval, if some refits failed.
    pub fn warning(&self) -> Option<String> {
        (self.failed > 0).then(|| {
            format!(
                "{} of {} bootstrap refits failed and were left out; the interval \
                 describes the resamples the model could fit",
                self.failed, self.replicates
            )
        })
    }
}

/// Why a bootstrap interval could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BootstrapError {
    /// At least one resample is needed.
    #[error("the bootstrap needs at least 1 resample (asked for 0)")]
    NoReplicates,
    /// The level must be strictly between 0 and 1.
    #[error("the interval level must be strictly between 0 and 1, not {0}")]
    Level(f64),
    /// The model could not be fitted to the data themselves.
    #[error("the model could not be fitted to the data: {0}")]
    Fit(#[from] FitFailure),
    /// The stepwise model could not be fitted to the data themselves.
    #[error(transparent)]
    Stepwise(#[from] StepwiseError),
    /// More than half of the refits failed: no interval is honest.
    #[error(
        "{failed} of {replicates} bootstrap refits failed; too many for an interval \
         (the table is too sparse for this model)"
    )]
    TooManyFailures {
        /// Failed refits.
        failed: usize,
        /// Resamples drawn.
        replicates: usize,
    },
    /// Every resample fell on one side of the estimate, so the BCa bias
    /// correction is infinite.
    #[error(
        "every bootstrap estimate is on one side of the estimate from the data; \
         the BCa interval is undefined"
    )]
    Degenerate,
    /// Leaving one person out made the stepwise fit fail, so the acceleration
    /// cannot be estimated.
    #[error("the jackknife refit without one person of pattern {pattern} failed: {source}")]
    Jackknife {
        /// The capture pattern (bit mask) of the person left out.
        pattern: usize,
        /// What went wrong.
        source: StepwiseError,
    },
}

fn check(settings: &Settings) -> Result<(), BootstrapError> {
    if settings.replicates == 0 {
        return Err(BootstrapError::NoReplicates);
    }
    if !(settings.level > 0.0 && settings.level < 1.0) {
        return Err(BootstrapError::Level(settings.level));
    }
    Ok(())
}

/// A multinomial draw of `n` over cells with weights `w` (not necessarily
/// normalised), by successive conditional binomials.
fn multinomial(rng: &mut ChaCha8Rng, n: u64, w: &[f64]) -> Vec<u64> {
    let mut out = vec![0u64; w.len()];
    let mut left = n;
    let mut mass: f64 = w.iter().sum();
    let last = w.iter().rposition(|&v| v > 0.0);
    for (i, &wi) in w.iter().enumerate() {
        if left == 0 || wi <= 0.0 {
            continue;
        }
        let x = if Some(i) == last {
            left
        } else {
            binomial(rng, left, (wi / mass).min(1.0))
        };
        out[i] = x;
        left -= x;
        mass -= wi;
    }
    out
}

/// Draws `replicates` resamples from `weights` and estimates N on each;
/// returns the sorted successful estimates and the number that failed.
fn resample(
    table: &CaptureTable,
    weights: &[f64],
    settings: &Settings,
    mut estimate: impl FnMut(&CaptureTable) -> Option<f64>,
) -> Result<(Vec<f64>, usize), BootstrapError> {
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let n = table.observed();
    let mut reps = Vec::with_capacity(settings.replicates);
    let mut failed = 0;
    for _ in 0..settings.replicates {
        let counts = multinomial(&mut rng, n, weights);
        match table
            .with_counts(counts)
            .and_then(|t| estimate(&t))
            .filter(|e| e.is_finite())
        {
            Some(e) => reps.push(e),
            None => failed += 1,
        }
    }
    if failed * 2 > settings.replicates {
        return Err(BootstrapError::TooManyFailures {
            failed,
            replicates: settings.replicates,
        });
    }
    reps.sort_by(f64::total_cmp);
    Ok((reps, failed))
}

/// Parametric bootstrap percentile interval for N under `model`: resamples
/// of the observed total from the fitted cell probabilities, the model refitted
/// to each.
pub fn parametric(
    table: &CaptureTable,
    model: &Model,
    settings: &Settings,
) -> Result<BootstrapInterval, BootstrapError> {
    check(settings)?;
    let fitted = loglinear::fit_cells(table, model)?;
    let estimate = table.observed() as f64 + fitted.beta0.exp();
    let (reps, failed) = resample(table, &fitted.mu, settings, |t| {
        loglinear::fit(t, model).ok().map(|f| f.estimate)
    })?;
    let tail = (1.0 - settings.level) / 2.0;
    Ok(BootstrapInterval {
        kind: Kind::ParametricPercentile,
        estimate,
        level: settings.level,
        lower: quantile(&reps, tail),
        upper: quantile(&reps, 1.0 - tail),
        median: quantile(&reps, 0.5),
        replicates: settings.replicates,
        failed,
        seed: settings.seed,
        bias_correction: None,
        acceleration: None,
    })
}

/// SparseMSE's BCa bootstrap of the stepwise estimate with threshold
/// `pthresh`: resamples from the observed proportions, the stepwise search
/// rerun on each, a jackknife (one person left out per observed pattern) for
/// the acceleration, and BCa limits by R's type-8 quantiles. It cannot repeat
/// R's random numbers, so its limits agree with SparseMSE's only to Monte
/// Carlo error.
pub fn bca_stepwise(
    table: &CaptureTable,
    pthresh: f64,
    settings: &Settings,
) -> Result<BootstrapInterval, BootstrapError> {
    check(settings)?;
    let estimate = stepwise(table, pthresh)?.estimate;
    let weights: Vec<f64> = table.counts().iter().map(|&c| c as f64).collect();
    let (reps, failed) = resample(table, &weights, settings, |t| {
        stepwise(t, pthresh).ok().map(|f| f.estimate)
    })?;
    // Jackknife over people: leaving out any one person of a pattern gives
    // the same table, so each pattern is refitted once and weighted by its count.
    let mut jack: Vec<(f64, f64)> = Vec::new();
    for (pattern, count) in table.observed_patterns() {
        let mut counts = table.counts().to_vec();
        counts[pattern] -= 1;
        let Some(t) = table.with_counts(counts) else {
            continue;
        };
        let e = stepwise(&t, pthresh)
            .map_err(|source| BootstrapError::Jackknife { pattern, source })?
            .estimate;
        jack.push((count as f64, e));
    }
    let n: f64 = jack.iter().map(|(w, _)| w).sum();
    let mean = jack.iter().map(|(w, e)| w * e).sum::<f64>() / n;
    let (s2, s3) = jack.iter().fold((0.0, 0.0), |(s2, s3), (w, e)| {
        let d = mean - e;
        (s2 + w * d * d, s3 + w * d * d * d)
    });
    let acceleration = if s2 > 0.0 {
        s3 / (6.0 * s2.powf(1.5))
    } else {
        0.0
    };
    let below = reps.iter().filter(|&&r| r < estimate).count() as f64 / reps.len() as f64;
    let z0 = qnorm(below);
    if !z0.is_finite() {
        return Err(BootstrapError::Degenerate);
    }
    let limit = |alpha: f64| {
        let za = qnorm(alpha) + z0;
        quantile_type8(&reps, pnorm(z0 + za / (1.0 - acceleration * za)))
    };
    let tail = (1.0 - settings.level) / 2.0;
    Ok(BootstrapInterval {
        kind: Kind::StepwiseBca,
        estimate,
        level: settings.level,
        lower: limit(tail),
        upper: limit(1.0 - tail),
        median: quantile(&reps, 0.5),
        replicates: settings.replicates,
        failed,
        seed: settings.seed,
        bias_correction: Some(z0),
        acceleration: Some(acceleration),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lincoln_petersen() -> CaptureTable {
        CaptureTable::from_patterns(
            vec!["a".into(), "b".into(), "c".into()],
            [
                ([true, false, false], 60),
                ([false, true, false], 30),
                ([true, true, false], 20),
                ([false, false, true], 25),
                ([true, false, true], 15),
                ([false, true, true], 8),
                ([true, true, true], 5),
            ],
        )
        .unwrap()
    }

    #[test]
    fn multinomial_keeps_the_total() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let w = [0.0, 3.0, 0.0, 1.0, 6.0];
        let mut sums = [0u64; 5];
        for _ in 0..2000 {
            let x = multinomial(&mut rng, 100, &w);
            assert_eq!(x.iter().sum::<u64>(), 100);
            assert_eq!((x[0], x[2]), (0, 0));
            for (s, v) in sums.iter_mut().zip(&x) {
                *s += v;
            }
        }
        // Means 30, 10, 60 per draw, to Monte Carlo error (sd of a mean < 0.11).
        for (s, want) in [(sums[1], 30.0), (sums[3], 10.0), (sums[4], 60.0)] {
            assert!((s as f64 / 2000.0 - want).abs() < 0.5, "{s}");
        }
    }

    #[test]
    fn parametric_is_seeded_and_brackets_the_estimate() {
        let t = lincoln_petersen();
        let m = Model::independence(3);
        let s = Settings {
            replicates: 300,
            ..Settings::default()
        };
        let a = parametric(&t, &m, &s).unwrap();
        assert_eq!(a, parametric(&t, &m, &s).unwrap());
        let b = parametric(&t, &m, &Settings { seed: 99, ..s }).unwrap();
        assert_ne!(a.lower, b.lower);
        assert!(a.lower < a.estimate && a.estimate < a.upper, "{a:?}");
        assert_eq!(a.failed, 0);
        // Close to the normal interval N̂ ± 1.96 se for this well-filled table.
        let f = loglinear::fit(&t, &m).unwrap();
        assert!(
            (a.upper - a.lower) / (2.0 * 1.96 * f.se) > 0.8,
            "{a:?} {}",
            f.se
        );
        assert!(
            (a.upper - a.lower) / (2.0 * 1.96 * f.se) < 1.25,
            "{a:?} {}",
            f.se
        );
    }

    #[test]
    fn failed_refits_are_counted() {
        // All three pairs on three lists: 7 parameters for 7 cells, and the
        // ABC cell holds 1 person, so many resamples leave it empty and the
        // saturated fit has no finite MLE there.
        let t = CaptureTable::from_patterns(
            vec!["a".into(), "b".into(), "c".into()],
            [
                ([true, false, false], 40),
                ([false, true, false], 30),
                ([true, true, false], 6),
                ([false, false, true], 25),
                ([true, false, true], 5),
                ([false, true, true], 4),
                ([true, true, true], 1),
            ],
        )
        .unwrap();
        let m = Model::hierarchical(3, &[0b011, 0b101, 0b110]);
        let s = Settings {
            replicates: 200,
            ..Settings::default()
        };
        // With seed 1234, 64 of the 200 refits fail: counted, not hidden.
        let b = parametric(&t, &m, &s).unwrap();
        assert_eq!(b.failed, 64, "{b:?}");
        assert!(b.warning().is_some_and(|w| w.contains("64 of 200")));
        assert!(b.lower.is_finite() && b.upper.is_finite() && b.lower < b.upper);
        // Half failing is too many to call the rest an interval.
        let few = Settings {
            replicates: 2,
            seed: 5,
            level: 0.95,
        };
        if let Err(e) = parametric(&t, &m, &few) {
            assert!(matches!(e, BootstrapError::TooManyFailures { .. }), "{e}");
        }
    }

    #[test]
    fn bad_settings() {
        let t = lincoln_petersen();
        let m = Model::independence(3);
        let zero = Settings {
            replicates: 0,
            ..Settings::default()
        };
        assert_eq!(parametric(&t, &m, &zero), Err(BootstrapError::NoReplicates));
        let level = Settings {
            level: 1.5,
            ..Settings::default()
        };
        assert_eq!(
            bca_stepwise(&t, 0.02, &level),
            Err(BootstrapError::Level(1.5))
        );
    }
}
