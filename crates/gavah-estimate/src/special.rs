//! Distribution functions for the stepwise model and the bootstrap: Poisson tails, the normal CDF and quantile.
//!
//! The Poisson tails are regularised incomplete gamma functions, computed in log
//! space by the series (x < a + 1) or Lentz's continued fraction (otherwise),
//! as in Press et al., *Numerical Recipes* (3rd ed., 2007), §6.2. The normal
//! quantile starts from Acklam's rational approximation and is polished by
//! Newton steps on the CDF, so it is as accurate as the CDF (about 1e-15).

use crate::linalg::ln_factorial;

/// `ln P(a, x)` and `ln Q(a, x)`, the regularised lower and upper incomplete
/// gamma functions, for `a > 0`, `x ≥ 0`.
fn ln_gamma_pq(a: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (f64::NEG_INFINITY, 0.0);
    }
    // ln(x^a e^-x / Γ(a)).
    let prefix = a * x.ln() - x - ln_factorial(a - 1.0);
    if x < a + 1.0 {
        // P by its series Σ x^n / (a (a+1) … (a+n)).
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..100_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        let ln_p = sum.ln() + prefix;
        (ln_p, (-ln_p.exp()).ln_1p())
    } else {
        // Q by its continued fraction (modified Lentz).
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        let ln_q = h.ln() + prefix;
        ((-ln_q.exp()).ln_1p(), ln_q)
    }
}

/// `P(X ≤ k)` for `X ~ Poisson(mean)` (R's `ppois(k, mean)`).
pub(crate) fn ppois_lower(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 1.0;
    }
    ln_gamma_pq(k as f64 + 1.0, mean).1.exp()
}

/// `P(X ≥ k)` for `X ~ Poisson(mean)` (R's `ppois(k - 1, mean, lower.tail = FALSE)`).
pub(crate) fn ppois_at_least(k: u64, mean: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    ln_gamma_pq(k as f64, mean).0.exp()
}

/// The standard normal CDF Φ(x), accurate in both tails.
pub(crate) fn pnorm(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return 1.0;
    }
    if x == f64::NEG_INFINITY {
        return 0.0;
    }
    // Φ(x) = ½ erfc(−x/√2), and erfc(z) = Q(½, z²) for z ≥ 0.
    let (ln_p, ln_q) = ln_gamma_pq(0.5, 0.5 * x * x);
    if x < 0.0 {
        0.5 * ln_q.exp()
    } else {
        0.5 + 0.5 * ln_p.exp()
    }
}

/// The standard normal quantile Φ⁻¹(p); ±∞ at 0 and 1, NaN outside [0, 1].
pub(crate) fn qnorm(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || p.is_nan() {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // Acklam's approximation (relative error below 1.2e-9).
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let mut x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // Newton steps on Φ(x) = p, working on the smaller tail for accuracy.
    for _ in 0..3 {
        let density = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        if density <= 0.0 {
            break;
        }
        let err = if x <= 0.0 {
            pnorm(x) - p
        } else {
            (1.0 - p) - pnorm(-x)
        };
        x -= err / density;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal() {
        // Values from mpmath at 40 digits.
        assert!((qnorm(0.975) - 1.959_963_984_540_054).abs() < 1e-13);
        assert!((qnorm(0.025) + 1.959_963_984_540_054).abs() < 1e-13);
        assert!((pnorm(-3.0) / 1.349_898_031_630_094_5e-3 - 1.0).abs() < 1e-13);
        assert!((pnorm(-10.0) / 7.619_853_024_160_526e-24 - 1.0).abs() < 1e-12);
        assert!((qnorm(1e-10) + 6.361_340_902_404_056).abs() < 1e-12);
        assert_eq!(qnorm(0.5), 0.0);
        for p in [1e-300, 1e-6, 0.01, 0.3, 0.7, 0.99, 1.0 - 1e-9] {
            let x = qnorm(p);
            assert!((pnorm(x) / p - 1.0).abs() < 1e-12, "{p}: {x}");
        }
    }

    #[test]
    fn poisson_tails() {
        // Values from mpmath at 40 digits (regularised incomplete gamma).
        // The large-mean cases lose digits in ln Γ of a large argument.
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-10;
        assert!(close(ppois_lower(3, 10.0), 1.033_605_067_592_571_8e-2));
        assert!(close(ppois_at_least(20, 10.0), 3.454_341_975_856_807_7e-3));
        assert!(close(
            ppois_lower(7000, 8000.0),
            1.688_923_190_229_251_4e-30
        ));
        assert!(close(
            ppois_at_least(9000, 8000.0),
            3.136_194_229_857_359e-28
        ));
        assert!(close(ppois_lower(0, 2.5), (-2.5f64).exp()));
        assert_eq!(ppois_at_least(0, 2.5), 1.0);
        assert_eq!(ppois_at_least(3, 0.0), 0.0);
        // Sum of the two tails is 1 + P(X = k).
        for (k, m) in [(5u64, 4.2), (50, 61.0), (7000, 8000.0), (9000, 8000.0)] {
            let pk = (k as f64 * f64::ln(m) - m - ln_factorial(k as f64)).exp();
            let s = ppois_lower(k, m) + ppois_at_least(k, m);
            assert!((s - 1.0 - pk).abs() < 1e-12, "{k} {m}: {s}");
        }
    }
}
