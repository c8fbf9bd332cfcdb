//! MCMC convergence diagnostics (split R-hat, effective sample size) and sample quantiles.
//!
//! Formulas from Gelman et al., *Bayesian Data Analysis* (3rd ed., 2013), §11.4–11.5.

/// Quantile `p` of sorted `x`, R's default definition (type 7): linear
/// interpolation between order statistics at `(len − 1) p`.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Quantile `p` of sorted `x` by R's type 8 (median-unbiased, Hyndman and Fan
/// 1996), which SparseMSE uses for its BCa limits: order statistic
/// `(len + 1/3) p + 1/3`, interpolated, clamped to the sample's range.
pub fn quantile_type8(sorted: &[f64], p: f64) -> f64 {
    let Some((&first, &last)) = sorted.first().zip(sorted.last()) else {
        return 0.0;
    };
    let n = sorted.len() as f64;
    let h = n * p + (p + 1.0) / 3.0;
    // R's fuzz of 4 ε keeps exact order statistics exact.
    let fuzz = 4.0 * f64::EPSILON;
    let j = (h + fuzz).floor();
    let g = if (h - j).abs() < fuzz { 0.0 } else { h - j };
    if j < 1.0 {
        return first;
    }
    if j >= n {
        return last;
    }
    let j = j as usize;
    (1.0 - g) * sorted[j - 1] + g * sorted[j]
}

/// Each chain cut into halves, so a chain drifting within itself counts as two
/// that disagree.
fn split(chains: &[Vec<f64>]) -> Vec<&[f64]> {
    let mut out = Vec::with_capacity(chains.len() * 2);
    for c in chains {
        let half = c.len() / 2;
        out.push(&c[..half]);
        out.push(&c[c.len() - half..]);
    }
    out
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// (W, var⁺): mean within-chain variance and the pooled variance estimate.
fn variances(chains: &[&[f64]]) -> (f64, f64) {
    let m = chains.len() as f64;
    let n = chains[0].len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let grand = mean(&means);
    let b = n / (m - 1.0) * means.iter().map(|x| (x - grand).powi(2)).sum::<f64>();
    let w = chains
        .iter()
        .zip(&means)
        .map(|(c, mu)| c.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0))
        .sum::<f64>()
        / m;
    (w, (n - 1.0) / n * w + b / n)
}

/// Split R-hat. 1 means the chains agree; above 1.05 they do not. Never NaN:
/// constant chains that agree give 1, constant chains that disagree give 1e6.
pub fn split_rhat(chains: &[Vec<f64>]) -> f64 {
    let parts = split(chains);
    if parts.len() < 2 || parts[0].len() < 2 {
        return 1e6;
    }
    let (w, var_plus) = variances(&parts);
    if w <= 0.0 {
        return if var_plus <= 0.0 { 1.0 } else { 1e6 };
    }
    (var_plus / w).sqrt().min(1e6)
}

/// Effective sample size of the split chains, with Geyer's initial positive
/// sequence truncating the autocorrelations. Never NaN; at most the draw count.
pub fn effective_sample_size(chains: &[Vec<f64>]) -> f64 {
    let parts = split(chains);
    if parts.len() < 2 || parts[0].len() < 4 {
        return 0.0;
    }
    let m = parts.len();
    let n = parts[0].len();
    let total = (m * n) as f64;
    let (w, var_plus) = variances(&parts);
    if w <= 0.0 || var_plus <= 0.0 {
        return if var_plus <= 0.0 { total } else { 0.0 };
    }
    let means: Vec<f64> = parts.iter().map(|c| mean(c)).collect();
    // Mean over chains of the lag-t autocovariance (divided by n, as BDA3 does).
    let acov = |t: usize| -> f64 {
        parts
            .iter()
            .zip(&means)
            .map(|(c, mu)| {
                (0..n - t)
                    .map(|i| (c[i] - mu) * (c[i + t] - mu))
                    .sum::<f64>()
                    / n as f64
            })
            .sum::<f64>()
            / m as f64
    };
    let rho = |t: usize| 1.0 - (w - acov(t)) / var_plus;
    let mut tau = -1.0;
    let mut t = 0;
    let mut prev = f64::INFINITY;
    while t + 1 < n {
        // Pairs of consecutive autocorrelations, kept positive and non-increasing.
        let pair = (rho(t) + rho(t + 1)).min(prev);
        if pair < 0.0 {
            break;
        }
        tau += 2.0 * pair;
        prev = pair;
        t += 2;
    }
    (total / tau.max(1.0 / total.ln().max(1.0))).min(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn type8_quantiles() {
        // R: quantile(1:10, c(0.025, 0.1, 0.5, 0.975), type = 8) gives
        // 1, 1.366667, 5.5, 10.
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile_type8(&x, 0.025), 1.0);
        assert!((quantile_type8(&x, 0.1) - (1.0 + 1.1 / 3.0)).abs() < 1e-12);
        assert!((quantile_type8(&x, 0.5) - 5.5).abs() < 1e-12);
        assert_eq!(quantile_type8(&x, 0.975), 10.0);
    }

    #[test]
    fn type7_quantiles() {
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile(&x, 0.5), 3.0);
        assert!((quantile(&x, 0.975) - 9.4).abs() < 1e-12);
        assert_eq!(quantile(&x, 0.0), 1.0);
    }

    #[test]
    fn independent_draws_are_effective_and_converged() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let chains: Vec<Vec<f64>> = (0..4)
            .map(|_| (0..1000).map(|_| rng.random::<f64>()).collect())
            .collect();
        let r = split_rhat(&chains);
        assert!((r - 1.0).abs() < 0.01, "{r}");
        let ess = effective_sample_size(&chains);
        assert!(ess > 3000.0, "{ess}");
    }

    #[test]
    fn sticky_or_disagreeing_chains_are_flagged() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        // AR(1) with φ = 0.95: ESS ≈ n (1 − φ)/(1 + φ) ≈ 2.6 % of the draws.
        let chains: Vec<Vec<f64>> = (0..4)
            .map(|_| {
                let mut x = 0.0;
                (0..5000)
                    .map(|_| {
                        x = 0.95 * x + rng.random::<f64>() - 0.5;
                        x
                    })
                    .collect()
            })
            .collect();
        let ess = effective_sample_size(&chains);
        assert!(ess > 300.0 && ess < 800.0, "{ess}");
        let shifted: Vec<Vec<f64>> = vec![
            chains[0].clone(),
            chains[1].iter().map(|x| x + 5.0).collect(),
        ];
        assert!(split_rhat(&shifted) > 1.5);
        assert_eq!(split_rhat(&[vec![2.0; 10], vec![2.0; 10]]), 1.0);
    }
}
