//! Small dense linear algebra and special functions for the log-linear fits.
//!
//! Written by hand on purpose: a log-linear model here has at most 32
//! parameters (intercept, 5 main effects, 10 two-way, 10 three-way, 5 four-way
//! and one spare), so a Cholesky factorisation of a p×p matrix in a flat
//! `Vec<f64>` is all Newton's method needs, and a linear-algebra crate would
//! cost more build time than the 60 lines below.

/// Cholesky factor `L` (lower, row-major, `p*p`) of a symmetric positive
/// definite matrix `a`, or `None` if `a` is not numerically positive definite.
pub(crate) fn cholesky(a: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            if i == j {
                // A pivot this small relative to the diagonal means the design is
                // (numerically) rank deficient for these weights.
                if s <= a[i * p + i] * 1e-13 || !s.is_finite() {
                    return None;
                }
                l[i * p + i] = s.sqrt();
            } else {
                l[i * p + j] = s / l[j * p + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b` in place.
pub(crate) fn cholesky_solve(l: &[f64], p: usize, b: &mut [f64]) {
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
    for i in (0..p).rev() {
        let mut s = b[i];
        for k in i + 1..p {
            s -= l[k * p + i] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
}

/// `ln(x!)` for real `x ≥ 0` (the log-gamma function at `x + 1`), accurate to
/// about 1e-14 relative: exact sums below 15, Stirling's series above.
pub(crate) fn ln_factorial(x: f64) -> f64 {
    if x < 15.0 {
        // Shift up to where the series is accurate: ln Γ(z) = ln Γ(z+m) − ln(z(z+1)…(z+m−1)).
        let mut z = x + 1.0;
        let mut prod = 1.0;
        while z < 15.0 {
            prod *= z;
            z += 1.0;
        }
        return ln_gamma_large(z) - prod.ln();
    }
    ln_gamma_large(x + 1.0)
}

/// Stirling's series for ln Γ(z), z ≥ 15.
fn ln_gamma_large(z: f64) -> f64 {
    let z2 = z * z;
    let series = 1.0 / (12.0 * z) - 1.0 / (360.0 * z * z2) + 1.0 / (1260.0 * z2 * z2 * z)
        - 1.0 / (1680.0 * z2 * z2 * z2 * z);
    (z - 0.5) * z.ln() - z + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factorials() {
        let mut exact = 0.0f64;
        for n in 0..200u32 {
            if n > 0 {
                exact += f64::from(n).ln();
            }
            let got = ln_factorial(f64::from(n));
            assert!(
                (got - exact).abs() <= 1e-12 * exact.max(1.0),
                "{n}: {got} vs {exact}"
            );
        }
        // Γ(1.5) = √π / 2
        let half = ln_factorial(0.5);
        assert!((half - (std::f64::consts::PI.sqrt() / 2.0).ln()).abs() < 1e-13);
    }

    #[test]
    fn solves() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let mut b = [1.0, 2.0, 3.0];
        cholesky_solve(&l, 3, &mut b);
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| a[i * 3 + j] * b[j]).sum();
            assert!((r - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
    }
}
