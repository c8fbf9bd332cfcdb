//! `gavah estimate`: multiple systems estimation on the store's linked people
//! (capture histories by list, optionally per stratum) or on a capture-history
//! table.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use gavah_estimate::CaptureTable;
use gavah_estimate::bootstrap::{self, BootstrapInterval};
use gavah_estimate::lcmcr::{self, Posterior, Settings};
use gavah_estimate::loglinear::{
    Averaged, Bound, Criterion, Model, ModelFit, ModelSensitivity, ProfileInterval, Search, fit,
    profile_interval,
};
use gavah_estimate::stepwise::{DEFAULT_PTHRESH, StepwiseFit, stepwise};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct EstimateArgs {
    /// A capture-history CSV: one 0/1 column per list and a `count` column,
    /// one row per observed pattern. Without it, the store's linked people.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["lists", "by", "outcome"])]
    pub table: Option<PathBuf>,
    /// The lists, comma-separated; each a source name or source type, or
    /// several joined by `+` when they are not independent of one another
    /// (e.g. `hospital-morgue,rights-group+media,family`). Default: one list
    /// per source type.
    #[arg(long, value_name = "LIST,…", value_delimiter = ',')]
    pub lists: Vec<String>,
    /// Estimate per stratum and add the strata up.
    #[arg(long, value_enum)]
    pub by: Option<ByArg>,
    /// The outcome to estimate.
    #[arg(long, default_value = "killed", value_parser = parse_outcome)]
    pub outcome: Option<gavah_core::Outcome>,
    #[arg(long, value_enum, default_value = "both")]
    pub method: MethodArg,
    #[arg(long, value_enum, default_value = "table")]
    pub format: EstimateFormat,
    /// Seed of the latent-class sampler and of the bootstrap; the same seed
    /// gives the same numbers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bootstrap resamples for intervals of the best log-linear models by BIC
    /// and AIC (parametric, percentile) and of the stepwise model (SparseMSE's
    /// BCa); 0 leaves the bootstrap out. 1000 is usual.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub bootstrap: usize,
    /// Draws kept per chain by the latent-class sampler (thinned by 10).
    #[arg(long, default_value_t = 20_000)]
    pub draws: usize,
    /// Sweeps discarded at the start of each chain.
    #[arg(long, default_value_t = 10_000)]
    pub burnin: usize,
}

fn parse_outcome(s: &str) -> Result<gavah_core::Outcome, String> {
    gavah_core::Outcome::from_code(s).ok_or_else(|| {
        let all: Vec<&str> = gavah_core::Outcome::ALL
            .iter()
            .map(|o| o.as_str())
            .collect();
        format!(
            "'{s}' is not an outcome; expected one of {}",
            all.join(", ")
        )
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    Province,
    /// Calendar month of the outcome.
    Period,
    Category,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodArg {
    Loglinear,
    Lcmcr,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EstimateFormat {
    Table,
    Json,
}

#[derive(Serialize)]
struct Chosen {
    fit: ModelFit,
    interval: Option<ProfileInterval>,
    /// With `--bootstrap N`: the parametric bootstrap percentile interval.
    bootstrap: Option<BootstrapInterval>,
    /// Why the bootstrap interval is missing, when it was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    bootstrap_error: Option<String>,
}

/// SparseMSE's stepwise model (Chan, Silverman and Vincent 2021).
#[derive(Serialize)]
struct Stepwise {
    fit: StepwiseFit,
    /// With `--bootstrap N`: SparseMSE's BCa interval, the search rerun on
    /// every resample.
    bootstrap: Option<BootstrapInterval>,
    /// Why the bootstrap interval is missing, when it was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    bootstrap_error: Option<String>,
}

#[derive(Serialize)]
struct LogLinear {
    max_order: usize,
    models: usize,
    failed: usize,
    best_bic: Option<Chosen>,
    best_aic: Option<Chosen>,
    independence: Option<Chosen>,
    /// SparseMSE's stepwise model, or why it could not be fitted.
    stepwise: Option<Stepwise>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stepwise_error: Option<String>,
    aic_average: Option<Averaged>,
    /// Present when close models disagree: the estimate depends on the model.
    model_sensitivity: Vec<ModelSensitivity>,
}

#[derive(Serialize)]
struct Report {
    file: String,
    lists: Vec<String>,
    observed: u64,
    table_warnings: Vec<String>,
    notes: Vec<String>,
    loglinear: Option<LogLinear>,
    lcmcr: Option<Posterior>,
}

fn bootstrap_settings(a: &EstimateArgs) -> Option<bootstrap::Settings> {
    (a.bootstrap > 0).then_some(bootstrap::Settings {
        replicates: a.bootstrap,
        seed: a.seed,
        level: 0.95,
    })
}

fn chosen(
    table: &CaptureTable,
    f: Option<&ModelFit>,
    boot: Option<&bootstrap::Settings>,
) -> Option<Chosen> {
    let f = f?.clone();
    let interval = profile_interval(table, &f.model, &f).ok();
    let (bootstrap, bootstrap_error) = match boot.map(|s| bootstrap::parametric(table, &f.model, s))
    {
        Some(Ok(b)) => (Some(b), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    Some(Chosen {
        fit: f,
        interval,
        bootstrap,
        bootstrap_error,
    })
}

fn loglinear(table: &CaptureTable, a: &EstimateArgs) -> anyhow::Result<LogLinear> {
    let k = table.k();
    anyhow::ensure!(
        (2..=5).contains(&k),
        "log-linear models here take 2 to 5 lists and the table has {k}; merge related lists \
         or use --method lcmcr"
    );
    // Up to three-way terms for four lists (Rcapture's 113 models); two-way
    // for five (1,024 models), where higher terms rarely have the data.
    let max_order = if k <= 4 { k - 1 } else { 2 };
    let search = Search::run(table, max_order.max(1));
    let failed = search.fits.iter().filter(|(_, f)| f.is_err()).count();
    let independence = fit(table, &Model::independence(k)).ok();
    let boot = bootstrap_settings(a);
    let (stepwise, stepwise_error) = match stepwise(table, DEFAULT_PTHRESH) {
        Ok(fit) => {
            let (bootstrap, bootstrap_error) =
                match boot.map(|s| bootstrap::bca_stepwise(table, DEFAULT_PTHRESH, &s)) {
                    Some(Ok(b)) => (Some(b), None),
                    Some(Err(e)) => (None, Some(e.to_string())),
                    None => (None, None),
                };
            (
                Some(Stepwise {
                    fit,
                    bootstrap,
                    bootstrap_error,
                }),
                None,
            )
        }
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(LogLinear {
        max_order,
        models: search.fits.len(),
        failed,
        best_bic: chosen(table, search.best(Criterion::Bic), boot.as_ref()),
        best_aic: chosen(table, search.best(Criterion::Aic), boot.as_ref()),
        independence: chosen(table, independence.as_ref(), None),
        stepwise,
        stepwise_error,
        aic_average: search.average(Criterion::Aic),
        model_sensitivity: [Criterion::Aic, Criterion::Bic]
            .into_iter()
            .filter_map(|c| search.sensitivity(c))
            .collect(),
    })
}

pub fn run(
    a: &EstimateArgs,
    config: &crate::config::Config,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let Some(path) = &a.table else {
        return run_store(a, config, out);
    };
    let table = CaptureTable::read_csv(path)?;
    let report = estimate_table(&path.display().to_string(), &table, a)?;
    match a.format {
        EstimateFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        EstimateFormat::Table => {
            print_table(&report, out)?;
            print_assumptions(out)?;
        }
    }
    Ok(())
}

fn estimate_table(label: &str, table: &CaptureTable, a: &EstimateArgs) -> anyhow::Result<Report> {
    let k = table.k();
    let mut notes = Vec::new();
    // With `both`, a method that does not apply to this many lists is left out
    // with a note; asked for by name, it is an error.
    let loglinear = match a.method {
        MethodArg::Both if k > 5 => {
            notes.push(format!(
                "log-linear models left out: they take at most 5 lists, not {k}"
            ));
            None
        }
        MethodArg::Loglinear | MethodArg::Both => Some(loglinear(table, a)?),
        MethodArg::Lcmcr => {
            if a.bootstrap > 0 {
                notes.push(
                    "--bootstrap left out: it gives intervals for log-linear models, and the \
                     latent-class model has its own credible interval"
                        .to_owned(),
                );
            }
            None
        }
    };
    let lcmcr = match a.method {
        MethodArg::Both if k < 3 => {
            notes.push(format!(
                "latent-class model left out: it needs at least 3 lists to be identifiable, not {k}"
            ));
            None
        }
        MethodArg::Lcmcr | MethodArg::Both => {
            let settings = Settings {
                seed: a.seed,
                draws: a.draws,
                burnin: a.burnin,
                ..Settings::default()
            };
            Some(lcmcr::estimate(table, &settings).context("latent-class model")?)
        }
        MethodArg::Loglinear => None,
    };
    Ok(Report {
        file: label.to_string(),
        lists: table.lists().to_vec(),
        observed: table.observed(),
        table_warnings: table.warnings().iter().map(ToString::to_string).collect(),
        notes,
        loglinear,
        lcmcr,
    })
}

/// The strata added up.
#[derive(Serialize)]
struct Total {
    documented: u64,
    /// Sum of the strata's best-by-BIC log-linear estimates, with the sums of
    /// their interval bounds (wider than the interval of the sum: conservative).
    loglinear_sum: Option<(f64, f64, f64)>,
    /// Posterior of the sum: the strata's draws added draw by draw.
    lcmcr_sum: Option<(f64, f64, f64)>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct StoreReport {
    outcome: String,
    lists: Vec<String>,
    /// The sources in each list (internal: protected names appear here).
    sources: Vec<Vec<String>>,
    floor: u64,
    left_out: u64,
    by: Option<String>,
    strata: Vec<Report>,
    total: Option<Total>,
}

fn run_store(
    a: &EstimateArgs,
    config: &crate::config::Config,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let app = crate::cli::open(config)?;
    let outcome = a.outcome.unwrap_or(gavah_core::Outcome::Killed);
    let by = a.by.map(|b| match b {
        ByArg::Province => gavah_app::Stratum::Province,
        ByArg::Period => gavah_app::Stratum::Period,
        ByArg::Category => gavah_app::Stratum::Category,
    });
    let tables = gavah_app::capture_tables(
        app.store(),
        &gavah_app::CaptureRequest {
            outcome,
            lists: a.lists.clone(),
            by,
        },
    )?;
    let mut strata = Vec::new();
    for (key, table) in &tables.strata {
        match estimate_table(key, table, a) {
            Ok(r) => strata.push(r),
            Err(e) => strata.push(Report {
                file: key.clone(),
                lists: table.lists().to_vec(),
                observed: table.observed(),
                table_warnings: table.warnings().iter().map(ToString::to_string).collect(),
                notes: vec![format!("no estimate for this stratum: {e:#}")],
                loglinear: None,
                lcmcr: None,
            }),
        }
    }
    let total = by.map(|_| total_of(&strata));
    let report = StoreReport {
        outcome: outcome.as_str().to_string(),
        lists: tables.lists.clone(),
        sources: tables.sources.clone(),
        floor: tables.floor,
        left_out: tables.left_out,
        by: a.by.map(|b| format!("{b:?}").to_lowercase()),
        strata,
        total,
    };
    match a.format {
        EstimateFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        EstimateFormat::Table => print_store(&report, out)?,
    }
    Ok(())
}

fn total_of(strata: &[Report]) -> Total {
    let mut notes = Vec::new();
    let documented = strata.iter().map(|r| r.observed).sum();
    let ll: Option<Vec<(f64, f64, f64)>> = strata
        .iter()
        .map(|r| {
            let c = r.loglinear.as_ref()?.best_bic.as_ref()?;
            let i = c.interval.as_ref()?;
            let upper = match i.upper {
                Bound::At(u) => u,
                Bound::Above(_) => return None,
            };
            Some((c.fit.estimate, i.lower, upper))
        })
        .collect();
    let loglinear_sum = match ll {
        Some(v) => Some(
            v.iter()
                .fold((0.0, 0.0, 0.0), |s, x| (s.0 + x.0, s.1 + x.1, s.2 + x.2)),
        ),
        None => {
            notes.push(
                "no log-linear total: a stratum has no log-linear estimate with a closed interval"
                    .into(),
            );
            None
        }
    };
    let draws: Option<Vec<Vec<f64>>> = strata
        .iter()
        .map(|r| {
            let p = r.lcmcr.as_ref()?;
            Some(p.draws.iter().flatten().copied().collect::<Vec<f64>>())
        })
        .collect();
    let lcmcr_sum = match draws {
        Some(d) if !d.is_empty() && d.iter().all(|x| x.len() == d[0].len() && !x.is_empty()) => {
            let mut sum = vec![0.0; d[0].len()];
            for x in &d {
                for (s, v) in sum.iter_mut().zip(x) {
                    *s += v;
                }
            }
            sum.sort_by(f64::total_cmp);
            let q = |p: f64| gavah_estimate::diagnostics::quantile(&sum, p);
            Some((q(0.5), q(0.025), q(0.975)))
        }
        _ => {
            notes.push("no latent-class total: a stratum has no latent-class estimate".into());
            None
        }
    };
    Total {
        documented,
        loglinear_sum,
        lcmcr_sum,
        notes,
    }
}

fn print_store(r: &StoreReport, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} people {} documented in the store, captured by {} lists:",
        r.floor,
        r.outcome,
        r.lists.len()
    )?;
    for (l, s) in r.lists.iter().zip(&r.sources) {
        writeln!(out, "  {l}: {}", s.join(", "))?;
    }
    if r.left_out > 0 {
        writeln!(
            out,
            "note: {} of them are on no list named here and are left out of the estimate",
            r.left_out
        )?;
    }
    for s in &r.strata {
        writeln!(out)?;
        if r.by.is_some() {
            write!(out, "stratum ")?;
        }
        print_table(s, out)?;
    }
    if let Some(t) = &r.total {
        writeln!(
            out,
            "
total over {} strata: {} documented",
            r.strata.len(),
            t.documented
        )?;
        if let Some((n, lo, hi)) = t.loglinear_sum {
            writeln!(
                out,
                "  log-linear (best by BIC per stratum), summed: N = {n:.0}, {lo:.0} to {hi:.0} (sums of the bounds: conservative)"
            )?;
        }
        if let Some((n, lo, hi)) = t.lcmcr_sum {
            writeln!(
                out,
                "  latent-class, draws summed: posterior median N = {n:.0}, 95% credible interval {lo:.0} to {hi:.0}"
            )?;
        }
        for n in &t.notes {
            writeln!(out, "  note: {n}")?;
        }
    }
    print_assumptions(out)?;
    Ok(())
}

fn interval(i: Option<&ProfileInterval>) -> String {
    match i {
        Some(i) => match i.upper {
            Bound::At(u) => format!("{:.0} to {u:.0}", i.lower),
            Bound::Above(u) => format!("{:.0} to above {u:.0} (open)", i.lower),
        },
        None => "not available".to_owned(),
    }
}

fn print_table(r: &Report, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: {} lists ({}), {} people observed (the documented floor)",
        r.file,
        r.lists.len(),
        r.lists.join(", "),
        r.observed
    )?;
    for w in &r.table_warnings {
        writeln!(out, "warning: {w}")?;
    }
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    if let Some(l) = &r.loglinear {
        writeln!(
            out,
            "\nlog-linear models: {} hierarchical models up to {}-way interactions, {} not identifiable",
            l.models, l.max_order, l.failed
        )?;
        for (label, c) in [
            ("best by BIC", &l.best_bic),
            ("best by AIC", &l.best_aic),
            ("independence", &l.independence),
        ] {
            if let Some(c) = c {
                writeln!(
                    out,
                    "  {label:<13} {:<28} N = {:.0}, 95% profile interval {}; AIC {:.1}, BIC {:.1}",
                    c.fit.formula,
                    c.fit.estimate,
                    interval(c.interval.as_ref()),
                    c.fit.aic,
                    c.fit.bic
                )?;
                for w in &c.fit.warnings {
                    writeln!(out, "      warning: {w}")?;
                }
                print_bootstrap(c.bootstrap.as_ref(), c.bootstrap_error.as_deref(), out)?;
            }
        }
        if let Some(s) = &l.stepwise {
            let i = &s.fit.interval_normal;
            writeln!(
                out,
                "  stepwise      {:<28} N = {:.0}, 95% normal interval {:.0} to {:.0} \
                 (SparseMSE: pairs added while p < {})",
                s.fit.formula, s.fit.estimate, i.lower, i.upper, s.fit.pthresh
            )?;
            for w in &s.fit.warnings {
                writeln!(out, "      warning: {w}")?;
            }
            print_bootstrap(s.bootstrap.as_ref(), s.bootstrap_error.as_deref(), out)?;
        }
        if let Some(e) = &l.stepwise_error {
            writeln!(out, "  stepwise      not available: {e}")?;
        }
        if let Some(a) = &l.aic_average {
            writeln!(
                out,
                "  AIC average   N = {:.0} (SE {:.0}, largest model weight {:.2})",
                a.estimate, a.se, a.max_weight
            )?;
        }
        for s in &l.model_sensitivity {
            writeln!(out, "  warning: {s}")?;
        }
    }
    if let Some(p) = &r.lcmcr {
        writeln!(
            out,
            "\nlatent-class model (LCMCR style, {} classes, {} chains, seed {}):",
            p.settings.classes, p.settings.chains, p.settings.seed
        )?;
        writeln!(
            out,
            "  posterior median N = {:.0}, 95% credible interval {:.0} to {:.0}; R-hat {:.3}, effective draws {:.0}",
            p.median, p.q025, p.q975, p.rhat, p.ess
        )?;
        for w in &p.warnings {
            writeln!(out, "  warning: {w}")?;
        }
    }
    Ok(())
}

fn print_bootstrap(
    b: Option<&BootstrapInterval>,
    error: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if let Some(b) = b {
        let what = match b.kind {
            bootstrap::Kind::ParametricPercentile => "parametric bootstrap, percentile",
            bootstrap::Kind::StepwiseBca => "bootstrap with the search rerun, BCa",
        };
        writeln!(
            out,
            "      {:.0}% {what} interval {:.0} to {:.0} ({} resamples, seed {}, {} refits failed)",
            b.level * 100.0,
            b.lower,
            b.upper,
            b.replicates,
            b.seed,
            b.failed
        )?;
        if let Some(w) = b.warning() {
            writeln!(out, "      warning: {w}")?;
        }
    }
    if let Some(e) = error {
        writeln!(out, "      bootstrap interval not available: {e}")?;
    }
    Ok(())
}

fn print_assumptions(out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "\nThese estimates assume a closed population and correctly linked lists; \
         log-linear models assume the chosen interactions capture the dependence between lists."
    )?;
    Ok(())
}
