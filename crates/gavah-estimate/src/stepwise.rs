//! SparseMSE's stepwise log-linear model (Chan, Silverman and Vincent 2021), with its normal interval.
//!
//! The search starts from the main-effects model and adds two-list
//! interactions one at a time. For every pair of lists not yet in the model
//! the statistic is the number of people on both lists; under the current fit
//! it is Poisson with mean the sum of the fitted counts of the patterns holding
//! both lists, and its p-value is the smaller of the two one-sided tails. The
//! pair with the smallest p-value is added if that p-value is below the
//! threshold (0.02 by default) and the enlarged model passes both tests of
//! Fienberg and Rinaldo (2012): the maximum likelihood estimate exists (a
//! linear program finds a strictly positive table with the same sufficient
//! statistics) and is identifiable (the design has full column rank). A pair
//! that fails either test is passed over. Ties go to the pair that comes first
//! in the order (1,2), (1,3), …, (k−1,k).
//!
//! A pair of lists that no person shares has its interaction at minus
//! infinity. As in SparseMSE, when such a pair enters the model the patterns
//! holding both lists are fixed at 0 and left out of the fit, and the pair has
//! no coefficient; it still counts as an interaction of the model.
//!
//! The estimate is `N̂ = n + exp(β̂₀)` and the normal interval is
//! `n + exp(β̂₀ ± z·se(β̂₀))`, as SparseMSE's `estimatepopulation.0` computes.
//! Chan, L., Silverman, B. W. and Vincent, K. (2021), "Multiple systems
//! estimation for sparse capture data: inferential challenges when there are
//! nonoverlapping lists", *JASA* 116, 1297–1306.

use serde::Serialize;

use crate::loglinear::{self, FitFailure, FitWarning, Model};
use crate::special::{ppois_at_least, ppois_lower, qnorm};
use crate::table::CaptureTable;

/// SparseMSE's default p-value threshold for adding an interaction.
pub const DEFAULT_PTHRESH: f64 = 0.02;

/// Why the stepwise model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepwiseError {
    /// The threshold must be a probability below 1.
    #[error("the p-value threshold must be at least 0 and below 1, not {0}")]
    Threshold(f64),
    /// The model at some step could not be fitted.
    #[error("the stepwise model could not be fitted after adding [{added}]: {source}")]
    Fit {
        /// The interactions in the model that failed, e.g. `A:B, C:D`.
        added: String,
        /// What went wrong.
        source: FitFailure,
    },
    /// The interval level must be strictly between 0 and 1.
    #[error("the interval level must be strictly between 0 and 1, not {0}")]
    Level(f64),
}

/// One interaction added by the search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The two lists (0-based positions, the smaller first).
    pub pair: (usize, usize),
    /// Their names.
    pub lists: [String; 2],
    /// The p-value that chose it (Poisson, the smaller one-sided tail).
    pub p_value: f64,
    /// Nobody is on both lists: the interaction is fixed at minus infinity.
    pub empty_overlap: bool,
}

/// A normal interval for N on the log scale of the dark figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NormalInterval {
    /// Coverage, e.g. 0.95.
    pub level: f64,
    /// `n + exp(β̂₀ − z·se)`.
    pub lower: f64,
    /// `n + exp(β̂₀ + z·se)`.
    pub upper: f64,
}

/// The model the stepwise search chose, its estimate and normal interval.
#[derive(Debug, Clone, Serialize)]
pub struct StepwiseFit {
    /// The log-linear model (all main effects and the chosen pairs).
    #[serde(skip)]
    pub model: Model,
    /// The threshold used.
    pub pthresh: f64,
    /// SparseMSE's notation: the fitted pairs in the order added, then the
    /// empty-overlap pairs, then lists in no pair, e.g. `[A:D, C:D, B]`.
    pub formula: String,
    /// The interactions in the order the search added them.
    pub steps: Vec<Step>,
    /// Observed people.
    pub observed: u64,
    /// N̂ = n + exp(β̂₀).
    pub estimate: f64,
    /// exp(β̂₀), the estimated number on no list.
    pub dark_figure: f64,
    /// se(β̂₀), from the inverse information of the fitted cells.
    pub log_dark_se: f64,
    /// The 95 % normal interval (see [`StepwiseFit::normal_interval`]).
    pub interval_normal: NormalInterval,
    /// Boundary terms, non-convergence, large asymptotic bias.
    pub warnings: Vec<FitWarning>,
}

impl StepwiseFit {
    /// The interactions as SparseMSE reports its model: pairs with a
    /// coefficient in the order added, then the empty-overlap pairs.
    pub fn interactions(&self) -> Vec<[String; 2]> {
        let fitted = self.steps.iter().filter(|s| !s.empty_overlap);
        let empty = self.steps.iter().filter(|s| s.empty_overlap);
        fitted.chain(empty).map(|s| s.lists.clone()).collect()
    }

    /// The pairs in the model that nobody shares.
    pub fn empty_overlaps(&self) -> Vec<[String; 2]> {
        self.steps
            .iter()
            .filter(|s| s.empty_overlap)
            .map(|s| s.lists.clone())
            .collect()
    }

    /// `n + exp(β̂₀ ± z·se(β̂₀))` with `z` the normal quantile for `level`.
    pub fn normal_interval(&self, level: f64) -> Result<NormalInterval, StepwiseError> {
        normal_interval(
            self.observed,
            self.dark_figure.ln(),
            self.log_dark_se,
            level,
        )
    }
}

fn normal_interval(
    observed: u64,
    beta0: f64,
    se: f64,
    level: f64,
) -> Result<NormalInterval, StepwiseError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(StepwiseError::Level(level));
    }
    let z = qnorm(0.5 + level / 2.0);
    let n = observed as f64;
    Ok(NormalInterval {
        level,
        lower: n + (beta0 - z * se).exp(),
        upper: n + (beta0 + z * se).exp(),
    })
}

/// All pairs of `k` lists in SparseMSE's order: (0,1), (0,2), …, (k−2,k−1).
fn all_pairs(k: usize) -> Vec<(usize, usize)> {
    (0..k)
        .flat_map(|a| (a + 1..k).map(move |b| (a, b)))
        .collect()
}

fn pair_mask((a, b): (usize, usize)) -> usize {
    (1 << a) | (1 << b)
}

/// People on both lists of the pair, whatever other lists they are on.
fn overlap(table: &CaptureTable, pair: (usize, usize)) -> u64 {
    let m = pair_mask(pair);
    table
        .counts()
        .iter()
        .enumerate()
        .filter(|&(p, _)| p & m == m)
        .map(|(_, &c)| c)
        .sum()
}

/// Fits the stepwise model with p-value threshold `pthresh` (SparseMSE's
/// `estimatepopulation.0(X, method = "stepwise", pthresh)`), reporting the
/// 95 % normal interval.
pub fn stepwise(table: &CaptureTable, pthresh: f64) -> Result<StepwiseFit, StepwiseError> {
    if !(0.0..1.0).contains(&pthresh) {
        return Err(StepwiseError::Threshold(pthresh));
    }
    let k = table.k();
    let lists = table.lists();
    let pairs = all_pairs(k);
    let nstar: Vec<u64> = pairs.iter().map(|&p| overlap(table, p)).collect();
    let name = |p: (usize, usize)| format!("{}:{}", lists[p.0], lists[p.1]);
    let fit_of = |chosen: &[usize]| {
        let masks: Vec<u32> = chosen.iter().map(|&j| pair_mask(pairs[j]) as u32).collect();
        let model = Model::hierarchical(k, &masks);
        loglinear::fit_cells(table, &model)
            .map(|f| (model, f))
            .map_err(|source| StepwiseError::Fit {
                added: chosen
                    .iter()
                    .map(|&j| name(pairs[j]))
                    .collect::<Vec<_>>()
                    .join(", "),
                source,
            })
    };
    let mut chosen: Vec<usize> = Vec::new();
    let mut p_values: Vec<f64> = Vec::new();
    let (mut model, mut cf) = fit_of(&chosen)?;
    while chosen.len() < pairs.len() {
        // Candidates below the threshold, best p-value first, ties by order.
        let mut cands: Vec<(f64, usize)> = (0..pairs.len())
            .filter(|j| !chosen.contains(j))
            .map(|j| {
                let m = pair_mask(pairs[j]);
                let mean: f64 = cf
                    .mu
                    .iter()
                    .enumerate()
                    .filter(|&(p, _)| p & m == m)
                    .map(|(_, &v)| v)
                    .sum();
                let p = ppois_lower(nstar[j], mean).min(ppois_at_least(nstar[j], mean));
                (p, j)
            })
            .filter(|&(p, _)| p < pthresh)
            .collect();
        cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let pick = cands.into_iter().find(|&(_, j)| {
            let mut trial = chosen.clone();
            trial.push(j);
            estimable(table, &pairs, &nstar, &trial)
        });
        let Some((p, j)) = pick else { break };
        chosen.push(j);
        p_values.push(p);
        (model, cf) = fit_of(&chosen)?;
    }
    let observed = table.observed();
    let diverged = || StepwiseError::Fit {
        added: chosen
            .iter()
            .map(|&j| name(pairs[j]))
            .collect::<Vec<_>>()
            .join(", "),
        source: FitFailure::Diverged,
    };
    let n = observed as f64;
    let dark_figure = cf.beta0.exp();
    let log_dark_se = cf.var0.sqrt();
    let estimate = n + dark_figure;
    if !estimate.is_finite() || !log_dark_se.is_finite() {
        return Err(diverged());
    }
    let steps: Vec<Step> = chosen
        .iter()
        .zip(&p_values)
        .map(|(&j, &p_value)| Step {
            pair: pairs[j],
            lists: [lists[pairs[j].0].clone(), lists[pairs[j].1].clone()],
            p_value,
            empty_overlap: nstar[j] == 0,
        })
        .collect();
    let mut warnings = Vec::new();
    let empty: Vec<String> = steps
        .iter()
        .filter(|s| s.empty_overlap)
        .map(|s| s.lists.join(":"))
        .collect();
    if !empty.is_empty() {
        warnings.push(FitWarning::Boundary { terms: empty });
    }
    if !cf.converged {
        warnings.push(FitWarning::NotConverged);
    }
    let bias = 0.5 * dark_figure * cf.var0;
    if bias > 0.1 * estimate {
        warnings.push(FitWarning::LargeBias { bias });
    }
    let interval_normal = normal_interval(observed, cf.beta0, log_dark_se, 0.95)?;
    if !interval_normal.upper.is_finite() {
        // exp(β̂₀ + 1.96 se) beyond f64: the model says nothing useful about N.
        return Err(diverged());
    }
    let mut fit = StepwiseFit {
        model,
        pthresh,
        formula: String::new(),
        steps,
        observed,
        estimate,
        dark_figure,
        log_dark_se,
        interval_normal,
        warnings,
    };
    let mut parts: Vec<String> = fit.interactions().iter().map(|p| p.join(":")).collect();
    for (j, l) in lists.iter().enumerate() {
        if !fit.steps.iter().any(|s| s.pair.0 == j || s.pair.1 == j) {
            parts.push(l.clone());
        }
    }
    fit.formula = format!("[{}]", parts.join(", "));
    Ok(fit)
}

/// SparseMSE's `checkident`: whether the model with main effects and the
/// pairs `chosen` (indices into `pairs`) has a finite, identifiable MLE.
/// Patterns holding both lists of an empty-overlap pair are left out, with
/// that pair's parameter.
fn estimable(
    table: &CaptureTable,
    pairs: &[(usize, usize)],
    nstar: &[u64],
    chosen: &[usize],
) -> bool {
    let k = table.k();
    let empty: Vec<usize> = chosen
        .iter()
        .filter(|&&j| nstar[j] == 0)
        .map(|&j| pair_mask(pairs[j]))
        .collect();
    let cells: Vec<usize> = (1..1usize << k)
        .filter(|&c| empty.iter().all(|&m| c & m != m))
        .collect();
    let mut cols: Vec<usize> = vec![0];
    cols.extend((0..k).map(|j| 1 << j));
    cols.extend(
        chosen
            .iter()
            .filter(|&&j| nstar[j] > 0)
            .map(|&j| pair_mask(pairs[j])),
    );
    let p = cols.len();
    // Design: cells × columns, 1 where the pattern holds every list of the term.
    let x: Vec<Vec<f64>> = cells
        .iter()
        .map(|&c| {
            cols.iter()
                .map(|&m| if c & m == m { 1.0 } else { 0.0 })
                .collect()
        })
        .collect();
    if rank(&x, p) < p {
        return false;
    }
    // Fienberg and Rinaldo's linear program: the largest s such that some
    // table x ≥ s (cellwise) has the observed sufficient statistics t = Xᵀy.
    // With x = u + s·1 and u ≥ 0: maximise s subject to Xᵀu + s·Xᵀ1 = t.
    let y: Vec<f64> = cells.iter().map(|&c| table.counts()[c] as f64).collect();
    let a: Vec<Vec<f64>> = (0..p)
        .map(|r| {
            let mut row: Vec<f64> = x.iter().map(|xi| xi[r]).collect();
            row.push(row.iter().sum());
            row
        })
        .collect();
    let t: Vec<f64> = (0..p)
        .map(|r| x.iter().zip(&y).map(|(xi, yi)| xi[r] * yi).sum())
        .collect();
    let mut c = vec![0.0; cells.len() + 1];
    c[cells.len()] = 1.0;
    // A positive optimum is a ratio of integers over a 0/1 determinant of order
    // at most 16 (below 5e5), so it is far above this threshold.
    matches!(simplex_max(&a, &t, &c), Some(s) if s > 1e-7)
}

/// The column rank of a dense matrix (rows of length `p`), by Gaussian
/// elimination with partial pivoting.
fn rank(rows: &[Vec<f64>], p: usize) -> usize {
    let mut m: Vec<Vec<f64>> = rows.to_vec();
    let scale = m
        .iter()
        .flatten()
        .fold(0.0f64, |s, v| s.max(v.abs()))
        .max(1.0);
    let tol = 1e-9 * scale;
    let mut r = 0;
    for col in 0..p {
        let Some(piv) = (r..m.len()).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
        else {
            break;
        };
        if m[piv][col].abs() <= tol {
            continue;
        }
        m.swap(r, piv);
        let (top, rest) = m.split_at_mut(r + 1);
        let pr = &top[r];
        for row in rest {
            let f = row[col] / pr[col];
            if f != 0.0 {
                for (x, v) in row[col..p].iter_mut().zip(&pr[col..p]) {
                    *x -= f * v;
                }
            }
        }
        r += 1;
    }
    r
}

const EPS: f64 = 1e-9;

/// Maximises `cᵀx` subject to `A x = b`, `x ≥ 0`, with `b ≥ 0`, by the
/// two-phase simplex method with Bland's rule (no cycling on the degenerate
/// problems met here). `None` if infeasible or unbounded.
fn simplex_max(a: &[Vec<f64>], b: &[f64], c: &[f64]) -> Option<f64> {
    let m = a.len();
    let n = c.len();
    let w = n + m + 1;
    let mut t = vec![0.0; m * w];
    for r in 0..m {
        t[r * w..r * w + n].copy_from_slice(&a[r][..n]);
        t[r * w + n + r] = 1.0;
        t[r * w + n + m] = b[r];
    }
    let mut basis: Vec<usize> = (n..n + m).collect();
    let mut cost = vec![0.0; n + m];
    cost[n..].iter_mut().for_each(|v| *v = -1.0);
    run_simplex(&mut t, &mut basis, &cost, n + m, w)?;
    let infeasibility: f64 = (0..m)
        .filter(|&r| basis[r] >= n)
        .map(|r| t[r * w + n + m])
        .sum();
    if infeasibility > EPS * (1.0 + b.iter().sum::<f64>()) {
        return None;
    }
    // Drive artificial variables (at 0) out of the basis; a row with no other
    // non-zero entry is redundant and never limits a ratio test.
    for r in 0..m {
        if basis[r] >= n
            && let Some(j) = (0..n).find(|&j| t[r * w + j].abs() > EPS)
        {
            pivot(&mut t, &mut basis, r, j, w);
        }
    }
    cost.iter_mut().for_each(|v| *v = 0.0);
    cost[..n].copy_from_slice(c);
    run_simplex(&mut t, &mut basis, &cost, n, w)?;
    Some((0..m).map(|r| cost[basis[r]] * t[r * w + w - 1]).sum())
}

fn pivot(t: &mut [f64], basis: &mut [usize], r: usize, j: usize, w: usize) {
    let m = basis.len();
    let pv = t[r * w + j];
    for v in &mut t[r * w..(r + 1) * w] {
        *v /= pv;
    }
    for i in 0..m {
        if i == r {
            continue;
        }
        let f = t[i * w + j];
        if f != 0.0 {
            for col in 0..w {
                t[i * w + col] -= f * t[r * w + col];
            }
            // Keep the basic solution feasible against rounding.
            if t[i * w + w - 1] < 0.0 && t[i * w + w - 1] > -EPS {
                t[i * w + w - 1] = 0.0;
            }
        }
    }
    basis[r] = j;
}

/// Simplex iterations maximising `cost` over columns `< allowed`.
fn run_simplex(
    t: &mut [f64],
    basis: &mut [usize],
    cost: &[f64],
    allowed: usize,
    w: usize,
) -> Option<()> {
    let m = basis.len();
    for _ in 0..10_000 {
        // Bland's rule: the first column with a positive reduced cost enters.
        let entering = (0..allowed).find(|&j| {
            if basis.contains(&j) {
                return false;
            }
            let d = cost[j] - (0..m).map(|r| cost[basis[r]] * t[r * w + j]).sum::<f64>();
            d > EPS
        });
        let Some(j) = entering else {
            return Some(());
        };
        let mut leave: Option<(f64, usize)> = None;
        for r in 0..m {
            let a = t[r * w + j];
            if a > EPS {
                let ratio = t[r * w + w - 1] / a;
                leave = match leave {
                    Some((best, br))
                        if ratio > best + EPS || (ratio >= best - EPS && basis[br] < basis[r]) =>
                    {
                        Some((best, br))
                    }
                    _ => Some((ratio, r)),
                };
            }
        }
        let (_, r) = leave?;
        pivot(t, basis, r, j, w);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_program() {
        // max x1 + x2 with x1 + 2 x2 + x3 = 4, 3 x1 + x2 + x4 = 6: optimum 2.8 at (1.6, 1.2).
        let a = vec![vec![1.0, 2.0, 1.0, 0.0], vec![3.0, 1.0, 0.0, 1.0]];
        let s = simplex_max(&a, &[4.0, 6.0], &[1.0, 1.0, 0.0, 0.0]);
        assert!(matches!(s, Some(v) if (v - 2.8).abs() < 1e-12), "{s:?}");
        // Infeasible: x1 = 1 and x1 = 2.
        let a = vec![vec![1.0], vec![1.0]];
        assert_eq!(simplex_max(&a, &[1.0, 2.0], &[1.0]), None);
    }

    #[test]
    fn rank_of_dependent_columns() {
        let rows = vec![
            vec![1.0, 1.0, 0.0],
            vec![1.0, 0.0, 1.0],
            vec![0.0, 1.0, 1.0],
        ];
        assert_eq!(rank(&rows, 3), 3);
        let rows = vec![
            vec![1.0, 1.0, 0.0],
            vec![1.0, 0.0, 1.0],
            vec![2.0, 1.0, 1.0],
        ];
        assert_eq!(rank(&rows, 3), 2);
    }

    fn table(k: usize, cells: &[(usize, u64)]) -> CaptureTable {
        let lists: Vec<String> = (0..k)
            .map(|j| ((b'A' + j as u8) as char).to_string())
            .collect();
        let patterns = cells
            .iter()
            .map(|&(p, c)| ((0..k).map(|j| p & (1 << j) != 0).collect::<Vec<bool>>(), c));
        CaptureTable::from_patterns(lists, patterns).unwrap()
    }

    #[test]
    fn existence_test_of_fienberg_and_rinaldo() {
        // Three lists, every pattern but ABC observed.
        let t = table(3, &[(1, 5), (2, 7), (3, 2), (4, 4), (5, 3), (6, 6)]);
        let pairs = all_pairs(3);
        let nstar: Vec<u64> = pairs.iter().map(|&p| overlap(&t, p)).collect();
        // Main effects plus one pair: fine.
        assert!(estimable(&t, &pairs, &nstar, &[0]));
        // All three pairs: 7 parameters on 7 cells fit the table exactly, so
        // the empty ABC cell would need an infinite parameter (full rank, but
        // the linear program finds no positive table with these margins).
        assert!(!estimable(&t, &pairs, &nstar, &[0, 1, 2]));
    }

    #[test]
    fn no_interaction_when_lists_are_independent() {
        // An exactly independent table (expected counts of independent lists
        // with p = 1/2, 1/3, 1/4 on N = 2400): no pair is significant.
        let mut cells = Vec::new();
        for pat in 1..8usize {
            let mut v = 2400.0_f64;
            for (j, p) in [0.5, 1.0 / 3.0, 0.25].iter().enumerate() {
                v *= if pat & (1 << j) != 0 { *p } else { 1.0 - p };
            }
            cells.push((pat, v.round() as u64));
        }
        let t = table(3, &cells);
        let f = stepwise(&t, DEFAULT_PTHRESH).unwrap();
        assert!(f.steps.is_empty());
        assert!((f.estimate - 2400.0).abs() < 1.0, "{}", f.estimate);
        assert!(f.interval_normal.lower < f.estimate && f.estimate < f.interval_normal.upper);
        assert_eq!(f.formula, "[A, B, C]");
        assert!(matches!(
            stepwise(&t, 1.0),
            Err(StepwiseError::Threshold(_))
        ));
        assert!(matches!(
            f.normal_interval(1.0),
            Err(StepwiseError::Level(_))
        ));
    }
}
