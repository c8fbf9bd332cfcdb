//! `gavah estimate`: multiple systems estimation on a capture-history table.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use gavah_estimate::CaptureTable;
use gavah_estimate::lcmcr::{self, Posterior, Settings};
use gavah_estimate::loglinear::{
    Averaged, Bound, Criterion, Model, ModelFit, ModelSensitivity, ProfileInterval, Search, fit,
    profile_interval,
};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct EstimateArgs {
    /// A capture-history CSV: one 0/1 column per list and a `count` column,
    /// one row per observed pattern.
    #[arg(long, value_name = "FILE")]
    pub table: PathBuf,
    #[arg(long, value_enum, default_value = "both")]
    pub method: MethodArg,
    #[arg(long, value_enum, default_value = "table")]
    pub format: EstimateFormat,
    /// Seed of the latent-class sampler; the same seed gives the same numbers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Draws kept per chain by the latent-class sampler (thinned by 10).
    #[arg(long, default_value_t = 20_000)]
    pub draws: usize,
    /// Sweeps discarded at the start of each chain.
    #[arg(long, default_value_t = 10_000)]
    pub burnin: usize,
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
}

#[derive(Serialize)]
struct LogLinear {
    max_order: usize,
    models: usize,
    failed: usize,
    best_bic: Option<Chosen>,
    best_aic: Option<Chosen>,
    independence: Option<Chosen>,
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

fn chosen(table: &CaptureTable, f: Option<&ModelFit>) -> Option<Chosen> {
    let f = f?.clone();
    let interval = profile_interval(table, &f.model, &f).ok();
    Some(Chosen { fit: f, interval })
}

fn loglinear(table: &CaptureTable) -> anyhow::Result<LogLinear> {
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
    Ok(LogLinear {
        max_order,
        models: search.fits.len(),
        failed,
        best_bic: chosen(table, search.best(Criterion::Bic)),
        best_aic: chosen(table, search.best(Criterion::Aic)),
        independence: chosen(table, independence.as_ref()),
        aic_average: search.average(Criterion::Aic),
        model_sensitivity: [Criterion::Aic, Criterion::Bic]
            .into_iter()
            .filter_map(|c| search.sensitivity(c))
            .collect(),
    })
}

pub fn run(a: &EstimateArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let table = CaptureTable::read_csv(&a.table)?;
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
        MethodArg::Loglinear | MethodArg::Both => Some(loglinear(&table)?),
        MethodArg::Lcmcr => None,
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
            Some(lcmcr::estimate(&table, &settings).context("latent-class model")?)
        }
        MethodArg::Loglinear => None,
    };
    let report = Report {
        file: a.table.display().to_string(),
        lists: table.lists().to_vec(),
        observed: table.observed(),
        table_warnings: table.warnings().iter().map(ToString::to_string).collect(),
        notes,
        loglinear,
        lcmcr,
    };
    match a.format {
        EstimateFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        EstimateFormat::Table => print_table(&report, out)?,
    }
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
            }
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
    writeln!(
        out,
        "\nThese estimates assume a closed population and correctly linked lists; \
         log-linear models assume the chosen interactions capture the dependence between lists."
    )?;
    Ok(())
}
