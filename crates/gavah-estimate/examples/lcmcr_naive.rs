//! A deliberately plain latent-class sampler, one class label per person, to cross-check `lcmcr`.
//!
//! It shares only the model with `src/lcmcr.rs`: updates in the order LCMCR
//! documents (labels of the observed, capture probabilities, weights, n₀ with the
//! labels of the unobserved, then α), rand_distr's own Beta and Gamma, weights
//! in logs. If both agree, a difference from LCMCR is not in the aggregation.
//!
//! `cargo run --release -p gavah-estimate --example lcmcr_naive -- HIV 100000 4`
// Index loops mirror the model's subscripts (class k, list l), which is the point here.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::needless_range_loop)]

use gavah_estimate::CaptureTable;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Gamma, Poisson};
use std::path::PathBuf;

fn ln_gamma_variate(rng: &mut ChaCha8Rng, shape: f64) -> f64 {
    if shape >= 1.0 {
        Gamma::new(shape, 1.0).unwrap().sample(rng).ln()
    } else {
        let u: f64 = 1.0 - rng.random::<f64>();
        Gamma::new(shape + 1.0, 1.0).unwrap().sample(rng).ln() + u.ln() / shape
    }
}

fn chain(t: &CaptureTable, sweeps: usize, seed: u64) -> Vec<f64> {
    let kk = 10;
    let j = t.k();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let people: Vec<usize> = t
        .observed_patterns()
        .flat_map(|(p, c)| std::iter::repeat_n(p, c as usize))
        .collect();
    let n = people.len();
    let mut lam = vec![vec![0.0; j]; kk];
    for l in 0..j {
        let r = people.iter().filter(|&&p| p & (1 << l) != 0).count() as f64 / n as f64;
        for row in lam.iter_mut() {
            row[l] = r;
        }
    }
    let mut nu: Vec<f64> = (0..kk)
        .map(|k| if k < 4 { 0.225 } else { 0.1 / 6.0 })
        .collect();
    let mut alpha = 0.03;
    let mut count0 = vec![0u64; kk];
    let mut out = Vec::new();
    let mut w = vec![0.0; kk];
    for s in 0..sweeps {
        // Labels of the observed, one person at a time.
        let mut size = count0.clone();
        let mut caught = vec![vec![0u64; j]; kk];
        for &p in &people {
            let mut tot = 0.0;
            for k in 0..kk {
                let mut q = nu[k];
                for l in 0..j {
                    q *= if p & (1 << l) != 0 {
                        lam[k][l]
                    } else {
                        1.0 - lam[k][l]
                    };
                }
                w[k] = q;
                tot += q;
            }
            let mut u = rng.random::<f64>() * tot;
            let mut z = kk - 1;
            for (k, &wk) in w.iter().enumerate() {
                if u < wk {
                    z = k;
                    break;
                }
                u -= wk;
            }
            size[z] += 1;
            for l in 0..j {
                if p & (1 << l) != 0 {
                    caught[z][l] += 1;
                }
            }
        }
        for k in 0..kk {
            for l in 0..j {
                let a = 1.0 + caught[k][l] as f64;
                let b = 1.0 + (size[k] - caught[k][l]) as f64;
                lam[k][l] = Beta::new(a, b).unwrap().sample(&mut rng);
            }
        }
        let mut acc = 0.0;
        let total: u64 = size.iter().sum();
        let mut before = 0u64;
        for k in 0..kk - 1 {
            before += size[k];
            let g1 = ln_gamma_variate(&mut rng, 1.0 + size[k] as f64);
            let g2 = ln_gamma_variate(&mut rng, alpha + (total - before) as f64);
            let m = g1.max(g2);
            let ls = m + ((g1 - m).exp() + (g2 - m).exp()).ln();
            nu[k] = (g1 - ls + acc).exp();
            acc += g2 - ls;
        }
        nu[kk - 1] = acc.exp();
        let p0: f64 = (0..kk)
            .map(|k| nu[k] * lam[k].iter().map(|l| 1.0 - l).product::<f64>())
            .sum();
        let g = Gamma::new(n as f64, p0 / (1.0 - p0))
            .unwrap()
            .sample(&mut rng);
        let n0 = if g > 0.0 {
            Poisson::new(g).unwrap().sample(&mut rng) as u64
        } else {
            0
        };
        count0 = vec![0; kk];
        for _ in 0..n0 {
            let mut u = rng.random::<f64>() * p0;
            let mut z = kk - 1;
            for k in 0..kk {
                let q = nu[k] * lam[k].iter().map(|l| 1.0 - l).product::<f64>();
                if u < q {
                    z = k;
                    break;
                }
                u -= q;
            }
            count0[z] += 1;
        }
        if s >= 500 {
            alpha = Gamma::new(0.25 + kk as f64 - 1.0, 1.0 / (0.25 - acc))
                .unwrap()
                .sample(&mut rng);
        }
        if s >= sweeps / 5 && s % 10 == 0 {
            out.push((n as u64 + n0) as f64);
        }
    }
    out
}

fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "HIV".into());
    let sweeps: usize = std::env::args()
        .nth(2)
        .map_or(100_000, |s| s.parse().unwrap());
    let chains: u64 = std::env::args().nth(3).map_or(4, |s| s.parse().unwrap());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mse");
    let t = CaptureTable::read_csv(&dir.join(format!("{name}.csv"))).unwrap();
    let results: Vec<Vec<f64>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..chains)
            .map(|c| {
                let t = &t;
                s.spawn(move || chain(t, sweeps, 100 + c))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (c, mut d) in results.into_iter().enumerate() {
        d.sort_by(f64::total_cmp);
        let q = |p: f64| gavah_estimate::diagnostics::quantile(&d, p);
        println!(
            "{name} naive chain {c}: median {} [{}, {}]",
            q(0.5),
            q(0.025),
            q(0.975)
        );
    }
}
