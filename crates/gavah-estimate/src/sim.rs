//! Synthetic populations of known size with heterogeneous capture, and a study of each estimator's bias and coverage.
//!
//! A population is a mixture of groups; in each group every list records a
//! person independently with its own probability. Heterogeneity between
//! groups is what makes the independence model biased and what the
//! latent-class model is built for. Interactions between lists (one list
//! copying another) are out of scope here.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::lcmcr::{self, Settings};
use crate::loglinear::{Bound, Criterion, Search, profile_interval};
use crate::table::{CaptureTable, TableError};

/// A group of people sharing capture probabilities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Share of the population in this group (shares are normalised).
    pub share: f64,
    /// Probability that each list records a member.
    pub capture: Vec<f64>,
}

/// A population to simulate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub size: u64,
    pub groups: Vec<Group>,
}

impl Scenario {
    /// Four lists, one group: every assumption of the independence model holds.
    pub fn homogeneous(size: u64) -> Scenario {
        Scenario {
            name: "homogeneous".into(),
            size,
            groups: vec![Group {
                share: 1.0,
                capture: vec![0.3, 0.25, 0.2, 0.35],
            }],
        }
    }

    /// Four lists, a hard-to-reach majority and an easy-to-reach minority:
    /// lists are independent within groups but positively dependent overall.
    pub fn two_groups(size: u64) -> Scenario {
        Scenario {
            name: "two groups".into(),
            size,
            groups: vec![
                Group {
                    share: 0.7,
                    capture: vec![0.12, 0.1, 0.15, 0.08],
                },
                Group {
                    share: 0.3,
                    capture: vec![0.5, 0.45, 0.6, 0.4],
                },
            ],
        }
    }

    /// Number of lists.
    pub fn k(&self) -> usize {
        self.groups.first().map_or(0, |g| g.capture.len())
    }

    /// Draws one capture-history table: who each list recorded.
    pub fn draw(&self, seed: u64) -> Result<CaptureTable, TableError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let k = self.k();
        let total: f64 = self.groups.iter().map(|g| g.share).sum();
        let mut counts = vec![0u64; 1 << k];
        for _ in 0..self.size {
            let mut u = rng.random::<f64>() * total;
            let mut group = &self.groups[self.groups.len() - 1];
            for g in &self.groups {
                if u < g.share {
                    group = g;
                    break;
                }
                u -= g.share;
            }
            let mut pattern = 0usize;
            for (j, &p) in group.capture.iter().enumerate() {
                if rng.random::<f64>() < p {
                    pattern |= 1 << j;
                }
            }
            counts[pattern] += 1;
        }
        let lists = (0..k).map(|j| format!("L{}", j + 1)).collect();
        let patterns = (1..1usize << k).map(|p| {
            (
                (0..k).map(|j| p & (1 << j) != 0).collect::<Vec<bool>>(),
                counts[p],
            )
        });
        CaptureTable::from_patterns(lists, patterns)
    }
}

/// An estimator compared in the study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The independence model Mt with its profile interval.
    Independence,
    /// The two-way log-linear model with the smallest BIC, its profile interval.
    BestBic,
    /// The AIC-weighted average of all two-way models, ± 1.96 Buckland SE.
    AicAverage,
    /// The latent-class posterior median and 95 % credible interval.
    Lcmcr,
}

/// One estimate and interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub estimate: f64,
    pub lower: f64,
    /// `None` when the interval is open above.
    pub upper: Option<f64>,
}

/// How a method did over the replicates of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodSummary {
    pub method: Method,
    pub replicates: usize,
    /// Replicates where the method gave no estimate.
    pub failed: usize,
    /// Mean of (N̂ − N) / N.
    pub relative_bias: f64,
    /// Root mean square of (N̂ − N) / N.
    pub relative_rmse: f64,
    /// Share of intervals containing N (an open upper bound counts as containing it above).
    pub coverage: f64,
    /// Median interval width relative to N (open intervals excluded).
    pub median_width: f64,
}

/// Runs every method in `methods` on one table.
pub fn estimate_all(
    table: &CaptureTable,
    methods: &[Method],
    lcmcr_settings: &Settings,
) -> Vec<(Method, Option<Estimate>)> {
    let search = if methods
        .iter()
        .any(|m| matches!(m, Method::BestBic | Method::AicAverage))
    {
        Some(Search::run(table, 2))
    } else {
        None
    };
    let profile = |model: &crate::loglinear::Model| -> Option<Estimate> {
        let fit = crate::loglinear::fit(table, model).ok()?;
        let ci = profile_interval(table, model, &fit).ok()?;
        Some(Estimate {
            estimate: fit.estimate,
            lower: ci.lower,
            upper: match ci.upper {
                Bound::At(v) => Some(v),
                Bound::Above(_) => None,
            },
        })
    };
    methods
        .iter()
        .map(|&m| {
            let e = match m {
                Method::Independence => profile(&crate::loglinear::Model::independence(table.k())),
                Method::BestBic => search
                    .as_ref()
                    .and_then(|s| s.best(Criterion::Bic))
                    .and_then(|f| profile(&f.model)),
                Method::AicAverage => {
                    search
                        .as_ref()
                        .and_then(|s| s.average(Criterion::Aic))
                        .map(|a| Estimate {
                            estimate: a.estimate,
                            lower: (a.estimate - 1.96 * a.se).max(table.observed() as f64),
                            upper: Some(a.estimate + 1.96 * a.se),
                        })
                }
                Method::Lcmcr => lcmcr::estimate(table, lcmcr_settings)
                    .ok()
                    .map(|p| Estimate {
                        estimate: p.median,
                        lower: p.q025,
                        upper: Some(p.q975),
                    }),
            };
            (m, e)
        })
        .collect()
}

/// Draws `replicates` tables from `scenario` (seeds `seed`, `seed + 1`, …) and
/// summarises each method's bias and coverage.
pub fn study(
    scenario: &Scenario,
    replicates: usize,
    seed: u64,
    methods: &[Method],
    lcmcr_settings: &Settings,
) -> Vec<MethodSummary> {
    let truth = scenario.size as f64;
    let mut per_method: Vec<Vec<Option<Estimate>>> = vec![Vec::new(); methods.len()];
    for r in 0..replicates as u64 {
        let Ok(table) = scenario.draw(seed + r) else {
            per_method.iter_mut().for_each(|v| v.push(None));
            continue;
        };
        let settings = Settings {
            seed: seed + r,
            ..*lcmcr_settings
        };
        for (i, (_, e)) in estimate_all(&table, methods, &settings)
            .into_iter()
            .enumerate()
        {
            per_method[i].push(e);
        }
    }
    methods
        .iter()
        .zip(per_method)
        .map(|(&method, es)| {
            let ok: Vec<Estimate> = es.iter().flatten().copied().collect();
            let n = ok.len().max(1) as f64;
            let rel: Vec<f64> = ok.iter().map(|e| (e.estimate - truth) / truth).collect();
            let covered = ok
                .iter()
                .filter(|e| e.lower <= truth && e.upper.is_none_or(|u| truth <= u))
                .count();
            let mut widths: Vec<f64> = ok
                .iter()
                .filter_map(|e| e.upper.map(|u| (u - e.lower) / truth))
                .collect();
            widths.sort_by(f64::total_cmp);
            MethodSummary {
                method,
                replicates: es.len(),
                failed: es.len() - ok.len(),
                relative_bias: rel.iter().sum::<f64>() / n,
                relative_rmse: (rel.iter().map(|r| r * r).sum::<f64>() / n).sqrt(),
                coverage: covered as f64 / n,
                median_width: crate::diagnostics::quantile(&widths, 0.5),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_sized() {
        let s = Scenario::two_groups(3000);
        let a = s.draw(4).unwrap();
        assert_eq!(a, s.draw(4).unwrap());
        assert!(
            a.observed() < 3000 && a.observed() > 1000,
            "{}",
            a.observed()
        );
    }

    /// A fixed-seed study: with homogeneous capture the independence model is
    /// nearly unbiased and its intervals cover; with two groups it is biased
    /// low (about −30 %) with intervals that miss, and the latent-class model
    /// is less biased (about −18 % here: the hard-to-reach group is barely
    /// seen) with intervals that mostly cover.
    #[test]
    fn bias_and_coverage_are_sane() {
        let quick = Settings {
            burnin: 1_000,
            draws: 1_000,
            thinning: 2,
            chains: 2,
            ..Settings::default()
        };
        let homo = study(
            &Scenario::homogeneous(2000),
            30,
            100,
            &[Method::Independence],
            &quick,
        );
        let ind = &homo[0];
        assert_eq!(ind.failed, 0);
        assert!(ind.relative_bias.abs() < 0.02, "{ind:?}");
        assert!(ind.coverage >= 0.8, "{ind:?}");

        let het = study(
            &Scenario::two_groups(2000),
            6,
            200,
            &[Method::Independence, Method::Lcmcr],
            &quick,
        );
        let (ind, lcm) = (&het[0], &het[1]);
        assert!(
            ind.relative_bias < -0.15,
            "independence should be biased low: {ind:?}"
        );
        assert!(
            lcm.relative_bias.abs() < 0.7 * ind.relative_bias.abs(),
            "{lcm:?} vs {ind:?}"
        );
        assert!(ind.coverage < 0.2, "{ind:?}");
        assert!(lcm.coverage >= 0.5, "{lcm:?}");
    }
}
