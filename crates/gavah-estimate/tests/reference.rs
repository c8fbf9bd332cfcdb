//! Reproduces the Rcapture reference estimates stored in `data/mse/` of the shared data.

// A test: a panic is the failure report, and the relative errors are printed
// (`--nocapture`) so a reader can see how close each reference is.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::PathBuf;

use gavah_estimate::CaptureTable;
use gavah_estimate::loglinear::{Bound, Criterion, Model, Search, fit, profile_interval};
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mse")
}

fn load(name: &str) -> (CaptureTable, Value) {
    let dir = data_dir();
    let table = CaptureTable::read_csv(&dir.join(format!("{name}.csv"))).unwrap();
    let text = std::fs::read_to_string(dir.join(format!("{name}.reference.json"))).unwrap();
    (table, serde_json::from_str(&text).unwrap())
}

fn model_of(entry: &Value, lists: &[String]) -> Model {
    let gens: Vec<u32> = entry["generators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            g.as_array().unwrap().iter().fold(0u32, |m, l| {
                m | 1 << lists.iter().position(|x| x == l.as_str().unwrap()).unwrap()
            })
        })
        .collect();
    Model::hierarchical(lists.len(), &gens)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Checks one model entry: point estimate, deviance, AIC and BIC to 1e-8, the
/// standard error to 1e-4 (Ned_5's M0 differs by 5.7e-5, every other by less than
/// 2e-6; glm's variance comes from its last IRLS weights) and the profile
/// interval to 1e-5 (Rcapture's `optimize` finds the maximiser to about 1e-4
/// absolute; the bounds agree to 1e-8).
fn check_entry(table: &CaptureTable, model: &Model, e: &Value, what: &str) -> String {
    let f = fit(table, model).unwrap();
    assert_eq!(
        f.name,
        e["rcapture_name"].as_str().unwrap_or("M0"),
        "{what}"
    );
    let mut report = format!("{what} {}:", f.name);
    for (got, key, tol) in [
        (f.estimate, "estimate", 1e-8),
        (f.se, "se", 1e-4),
        (f.deviance, "deviance", 1e-8),
        (f.aic, "AIC", 1e-8),
        (f.bic, "BIC", 1e-8),
    ] {
        let want = e[key].as_f64().unwrap();
        let r = rel(got, want);
        report += &format!(" {key} {r:.1e}");
        assert!(
            r < tol,
            "{what} {key}: got {got}, want {want}, relative error {r:e}"
        );
    }
    assert_eq!(f.df, e["df"].as_i64().unwrap(), "{what} df");
    // Rcapture's infoFit digit 1: no convergence or |asymptotic bias| > 10 % of N̂.
    let info = e["infoFit"].as_i64().unwrap();
    let rcapture_bias = info.to_string().contains('1');
    let ours = f.warnings.iter().any(|w| {
        matches!(w, gavah_estimate::loglinear::FitWarning::LargeBias { .. })
            || matches!(w, gavah_estimate::loglinear::FitWarning::NotConverged)
    });
    assert_eq!(
        ours, rcapture_bias,
        "{what}: infoFit {info}, our warnings {:?}",
        f.warnings
    );
    let ci = profile_interval(table, model, &f).unwrap();
    let want = &e["ci_profile"];
    for (got, key) in [(ci.estimate, "estimate"), (ci.lower, "lower")] {
        let w = want[key].as_f64().unwrap();
        let r = rel(got, w);
        report += &format!(" ci.{key} {r:.1e}");
        assert!(
            r < 1e-5,
            "{what} ci {key}: got {got}, want {w}, relative error {r:e}"
        );
    }
    match (ci.upper, &want["upper"]) {
        (Bound::At(got), Value::Number(w)) => {
            let r = rel(got, w.as_f64().unwrap());
            report += &format!(" ci.upper {r:.1e}");
            assert!(
                r < 1e-5,
                "{what} ci upper: got {got}, want {w}, relative error {r:e}"
            );
        }
        (Bound::Above(got), Value::String(w)) => {
            assert_eq!(format!(">{got}"), *w, "{what} open upper bound");
            report += &format!(" ci.upper {w}");
        }
        (got, w) => panic!("{what} ci upper: got {got:?}, want {w}"),
    }
    report
}

fn check_dataset(name: &str) {
    let (table, r) = load(name);
    let lists = table.lists().to_vec();
    assert_eq!(table.observed(), r["n_observed"].as_u64().unwrap());
    let rc = &r["rcapture"];
    let mut report = vec![check_entry(&table, &Model::m0(table.k()), &rc["M0"], "M0")];
    for search_key in ["search", "search_two_way"] {
        let s = &rc[search_key];
        if s.is_null() {
            continue;
        }
        let maxorder = s["maxorder"].as_u64().unwrap() as usize;
        let search = Search::run(&table, maxorder);
        assert_eq!(search.fits.len() as u64, s["n_models"].as_u64().unwrap());
        // Rcapture "fits" every model; here a model whose parameters the
        // non-empty cells cannot identify is reported as failed instead. None of
        // the two-way models is such a model.
        let failed = search.fits.iter().filter(|(_, f)| f.is_err()).count();
        if maxorder == 2 {
            assert_eq!(failed, 0, "{name}: every two-way model fits");
        }
        report.push(format!(
            "{search_key}: {} models, {failed} not identifiable",
            search.fits.len()
        ));
        for key in [
            "independence",
            "best_bic",
            "best_aic",
            "best_bic_infoFit0",
            "best_aic_infoFit0",
        ] {
            let e = &s[key];
            if e.is_null() {
                continue;
            }
            let model = model_of(e, &lists);
            report.push(check_entry(
                &table,
                &model,
                e,
                &format!("{search_key}.{key}"),
            ));
        }
        for (key, c) in [("best_aic", Criterion::Aic), ("best_bic", Criterion::Bic)] {
            let best = search.best(c).unwrap();
            assert_eq!(
                best.name,
                s[key]["rcapture_name"].as_str().unwrap(),
                "{search_key} {key}"
            );
        }
    }
    eprintln!("{name}:\n  {}", report.join("\n  "));
}

#[test]
fn lesbian() {
    check_dataset("lesbian");
}

#[test]
fn hiv() {
    check_dataset("HIV");
}

#[test]
fn new_orleans() {
    check_dataset("NewOrl_5");
}

#[test]
fn netherlands() {
    check_dataset("Ned_5");
}

/// Our posterior median against LCMCR's three runs (seeds 1–3). The tolerance
/// is Monte Carlo error, not a fudge: three times the combined standard error
/// of our median (from our effective sample size) and of one LCMCR run's median
/// (the spread of its three seeds).
fn check_lcmcr(name: &str) -> gavah_estimate::lcmcr::Posterior {
    use gavah_estimate::lcmcr::{Settings, estimate};
    let (table, r) = load(name);
    // Shorter than LCMCR's 200,000 sweeps so the test runs in seconds unoptimised.
    let settings = Settings {
        burnin: 5_000,
        draws: 8_000,
        thinning: 5,
        chains: 3,
        ..Settings::default()
    };
    let post = estimate(&table, &settings).unwrap();
    let refs: Vec<f64> = r["lcmcr"]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["median"].as_f64().unwrap())
        .collect();
    let ref_mean = refs.iter().sum::<f64>() / refs.len() as f64;
    let ref_sd =
        (refs.iter().map(|m| (m - ref_mean).powi(2)).sum::<f64>() / (refs.len() - 1) as f64).sqrt();
    // Standard error of a median: sqrt(π/2) σ / sqrt(ESS), σ from the 95 % interval.
    let sigma = (post.q975 - post.q025) / 3.92;
    let mcse = (std::f64::consts::PI / 2.0).sqrt() * sigma / post.ess.max(1.0).sqrt();
    let tol = 3.0 * (mcse * mcse + ref_sd * ref_sd).sqrt();
    eprintln!(
        "{name}: median {} [{}, {}] R-hat {:.3} ESS {:.0}; LCMCR {refs:?}; |diff| {:.1} tol {tol:.1}",
        post.median,
        post.q025,
        post.q975,
        post.rhat,
        post.ess,
        (post.median - ref_mean).abs()
    );
    if post.rhat <= 1.1 {
        assert!(
            (post.median - ref_mean).abs() <= tol,
            "{name}: median {} vs LCMCR {refs:?}",
            post.median
        );
    }
    post
}

/// Lesbian and HIV mix slowly (LCMCR's own seeds spread over 5,336–5,520 for
/// lesbian; HIV's upper tail is visited rarely, so a chain's median moves by
/// 2 %). These runs, five times shorter than LCMCR's, may have fewer than 400
/// effective draws and then say so; the comparison above allows for that
/// through the Monte Carlo error of our median.
#[test]
fn lcmcr_lesbian() {
    let post = check_lcmcr("lesbian");
    assert!(post.rhat <= 1.1, "{:?}", post.warnings);
}

/// HIV's posterior has a rarely visited upper region (around 12,000): most
/// chains stay at 10,900–10,950 like all of LCMCR's, but now and then one
/// wanders up and stays for a long while. Then the chains must disagree
/// loudly (R-hat), and the middle chain must still agree with LCMCR.
#[test]
fn lcmcr_hiv() {
    let post = check_lcmcr("HIV");
    let converged = post.rhat <= 1.1;
    let warned = post
        .warnings
        .iter()
        .any(|w| matches!(w, gavah_estimate::lcmcr::LcmcrWarning::NotConverged { .. }));
    assert!(converged || warned, "{:?}", post.warnings);
    let mut medians = post.chain_medians.clone();
    medians.sort_by(f64::total_cmp);
    let middle = medians[medians.len() / 2];
    assert!((middle - 10_920.5).abs() < 0.01 * 10_920.5, "{medians:?}");
}

#[test]
fn lcmcr_new_orleans() {
    assert!(check_lcmcr("NewOrl_5").warnings.is_empty());
}

/// LCMCR itself lands in different modes with different seeds here (48,600 and
/// 49,400 against 141,400); our chains must say they disagree, not print a number.
#[test]
fn lcmcr_netherlands_warns() {
    let post = check_lcmcr("Ned_5");
    assert!(
        post.warnings
            .iter()
            .any(|w| matches!(w, gavah_estimate::lcmcr::LcmcrWarning::NotConverged { .. })),
        "{:?}",
        post.warnings
    );
}

/// SparseMSE's stepwise model (`estimatepopulation(X, method = "stepwise")`):
/// the same interactions in the same order (pairs with a coefficient in the
/// order added, then pairs nobody shares), the same estimate and normal
/// interval. These are deterministic in R, so they must agree to 1e-6.
fn check_stepwise(name: &str) -> gavah_estimate::stepwise::StepwiseFit {
    use gavah_estimate::stepwise::{DEFAULT_PTHRESH, stepwise};
    let (table, r) = load(name);
    let s = &r["sparsemse"];
    let f = stepwise(&table, DEFAULT_PTHRESH).unwrap();
    let pairs = |v: &Value| -> Vec<[String; 2]> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                [
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                ]
            })
            .collect()
    };
    assert_eq!(f.interactions(), pairs(&s["interactions"]), "{name}");
    assert_eq!(
        f.empty_overlaps(),
        pairs(&s["empty_overlaps_in_model"]),
        "{name}"
    );
    assert_eq!(f.formula, s["model"].as_str().unwrap(), "{name}");
    let norm = &s["interval_normal"];
    let mut report = format!("{name} stepwise {}:", f.formula);
    for (got, want, key) in [
        (f.estimate, s["estimate"].as_f64().unwrap(), "estimate"),
        (
            f.estimate,
            norm["estimate"].as_f64().unwrap(),
            "normal.estimate",
        ),
        (
            f.interval_normal.lower,
            norm["lower"].as_f64().unwrap(),
            "normal.lower",
        ),
        (
            f.interval_normal.upper,
            norm["upper"].as_f64().unwrap(),
            "normal.upper",
        ),
    ] {
        let r = rel(got, want);
        report += &format!(" {key} {r:.1e}");
        assert!(
            r < 1e-6,
            "{name} {key}: got {got}, want {want}, relative error {r:e}"
        );
    }
    let steps: Vec<String> = f
        .steps
        .iter()
        .map(|s| format!("{} p={:.3e}", s.lists.join(":"), s.p_value))
        .collect();
    eprintln!("{report}\n  steps: {steps:?}");
    f
}

#[test]
fn stepwise_lesbian() {
    check_stepwise("lesbian");
}

#[test]
fn stepwise_hiv() {
    check_stepwise("HIV");
}

#[test]
fn stepwise_new_orleans() {
    check_stepwise("NewOrl_5");
}

/// K and R share nobody; the search still adds K:R (its overlap of 0 is very
/// unlikely under the model without it) and fixes its cells at 0.
#[test]
fn stepwise_netherlands() {
    let f = check_stepwise("Ned_5");
    assert!(f.warnings.iter().any(|w| matches!(
        w,
        gavah_estimate::loglinear::FitWarning::Boundary { terms } if terms == &["K:R".to_owned()]
    )));
}

/// SparseMSE's BCa interval (`interval_bca`) comes from R's random numbers,
/// which are not reproduced here; ours uses its own seeded stream, so the two
/// can agree only to Monte Carlo error, within `tol` relative (the values are
/// printed with `--nocapture`). Observed with seed 1234: lesbian +2.0 % and
/// +0.9 %, HIV +0.0 % and −0.2 %, Ned_5 +4.2 % and +0.4 %, NewOrl_5 −9.5 % and
/// −9.5 %.
fn check_bca(name: &str, tol: f64) {
    use gavah_estimate::bootstrap::{Settings, bca_stepwise};
    let (table, r) = load(name);
    let want = &r["sparsemse"]["interval_bca"];
    let b = bca_stepwise(&table, 0.02, &Settings::default()).unwrap();
    let (lo, hi) = (
        want["lower"].as_f64().unwrap(),
        want["upper"].as_f64().unwrap(),
    );
    eprintln!(
        "{name} BCa: ours [{:.1}, {:.1}] (z0 {:.3}, a {:.4}, failed {}), SparseMSE [{lo:.1}, {hi:.1}]; \
         relative differences {:+.3}, {:+.3}",
        b.lower,
        b.upper,
        b.bias_correction.unwrap(),
        b.acceleration.unwrap(),
        b.failed,
        b.lower / lo - 1.0,
        b.upper / hi - 1.0
    );
    assert_eq!(b.failed, 0, "{name}");
    assert!(
        rel(b.lower, lo) < tol,
        "{name} BCa lower {} vs {lo}",
        b.lower
    );
    assert!(
        rel(b.upper, hi) < tol,
        "{name} BCa upper {} vs {hi}",
        b.upper
    );
}

#[test]
fn bca_lesbian() {
    check_bca("lesbian", 0.05);
}

#[test]
fn bca_hiv() {
    check_bca("HIV", 0.05);
}

/// NewOrl_5 (185 people) has a strong bias correction (z₀ ≈ −0.8) and
/// acceleration (−0.055), which push the lower BCa limit to the 0.003 %
/// point of the resamples: the smallest of 1,000. That minimum comes from a
/// rare resample where C:D enters the model (about 1 in 400), so it moves a
/// lot between seeds: over seeds 1–8 ours ranged 388–548 against SparseMSE's
/// 589, and the upper limit 1,483–1,798 against 1,704. Hence 15 % here.
#[test]
fn bca_new_orleans() {
    check_bca("NewOrl_5", 0.15);
}

#[test]
fn bca_netherlands() {
    check_bca("Ned_5", 0.08);
}

/// The parametric bootstrap has no R reference; on each table's best model by
/// BIC (two-way search for five lists) its percentile interval must hold the
/// estimate, fail no refit, and be close to Rcapture's profile interval, the
/// other large-sample answer to the same question (within 8 %: the two differ
/// in the tails of skewed likelihoods, and 500 resamples give about 3 % Monte
/// Carlo error on a 2.5 % quantile). Observed with seed 11: at most 5.1 %
/// (NewOrl_5's lower bound, 699.7 against 665.6).
#[test]
fn parametric_bootstrap_near_profile_interval() {
    use gavah_estimate::bootstrap::{Settings, parametric};
    for name in ["lesbian", "HIV", "NewOrl_5", "Ned_5"] {
        let (table, r) = load(name);
        let key = if table.k() == 5 {
            "search_two_way"
        } else {
            "search"
        };
        let e = &r["rcapture"][key]["best_bic"];
        let model = model_of(e, table.lists());
        let s = Settings {
            replicates: 500,
            seed: 11,
            level: 0.95,
        };
        let b = parametric(&table, &model, &s).unwrap();
        assert_eq!(b, parametric(&table, &model, &s).unwrap(), "{name}: seeded");
        let ci = &e["ci_profile"];
        let lo = ci["lower"].as_f64().unwrap();
        let n = e["estimate"].as_f64().unwrap();
        eprintln!(
            "{name} {}: bootstrap [{:.1}, {:.1}], profile [{lo:.1}, {}], failed {}",
            e["rcapture_name"], b.lower, b.upper, ci["upper"], b.failed
        );
        assert_eq!(b.failed, 0, "{name}");
        assert!((b.estimate / n - 1.0).abs() < 1e-8, "{name}");
        assert!(b.lower < n && n < b.upper, "{name}: {b:?}");
        assert!(rel(b.lower, lo) < 0.08, "{name}: lower {} vs {lo}", b.lower);
        if let Some(hi) = ci["upper"].as_f64() {
            assert!(rel(b.upper, hi) < 0.08, "{name}: upper {} vs {hi}", b.upper);
        }
    }
}
