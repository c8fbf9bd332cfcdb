//! `gavah dedupe`: standalone dedupe or two-file link of CSV files through
//! `gavah-link`, with a progress bar per phase. No store is opened.

use anyhow::Context;
use gavah_link::dedupe::{DedupeOptions, DedupeReport};
use gavah_link::{Phase, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

pub const DEDUPE_HELP: &str = "\
Writes every input row with an added cluster_id column: rows with the same
cluster_id are judged to be the same person. A cluster's id is the id of its
first row. With --link, rows of both files are written, with a source_file
column, and only pairs across the two files are compared.

Field kinds: given_name, surname, full_name, date, age, place, number, text,
ignore. Columns not named with --field are guessed from their headers (and
values); columns named like entity_id, cluster_id or truth are never compared.

Exit status: 0 on success, 1 on any error (nothing is written then).";

#[derive(Debug, clap::Args)]
pub struct DedupeArgs {
    /// The CSV file to dedupe (UTF-8, header row).
    #[arg(value_name = "INPUT.csv")]
    pub input: PathBuf,
    /// A second CSV file with the same columns: link the two files.
    #[arg(long, value_name = "OTHER.csv")]
    pub link: Option<PathBuf>,
    /// Where to write the rows with their cluster_id.
    #[arg(long, value_name = "OUT.csv")]
    pub out: PathBuf,
    /// The column holding each row's id (default: id, rec_id or record_id if present, else the row number).
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// How to compare a column, as COLUMN:KIND (repeatable), e.g. --field dob:date.
    #[arg(long = "field", value_name = "COLUMN:KIND")]
    pub fields: Vec<String>,
    /// Least match probability for two rows to be put together.
    #[arg(long, default_value_t = 0.5, value_name = "P")]
    pub threshold: f64,
    /// A column of true entity labels: not compared, used to print precision, recall and F1.
    #[arg(long, value_name = "COLUMN")]
    pub truth: Option<String>,
    /// Save the trained model (JSON) here.
    #[arg(long, value_name = "FILE")]
    pub save_model: Option<PathBuf>,
    /// Use a saved model instead of training one.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Write the review queue here: uncertain pairs, most consequential first, with each field's weight.
    #[arg(long, value_name = "REVIEW.csv")]
    pub review: Option<PathBuf>,
    /// Seed for the random pairs that estimate u (results are reproducible for a seed).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Progress bars, one per phase, on standard error.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Progress for Bars {
    fn start(&self, phase: Phase, total: u64) {
        if !self.enabled {
            return;
        }
        let bar = if total == 0 {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::new(total)
        };
        let template = if total == 0 {
            "{msg:>12} {spinner} {elapsed}"
        } else {
            "{msg:>12} [{bar:30}] {pos}/{len} ({per_sec}, {eta})"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(phase.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }

    fn set(&self, done: u64) {
        if let Ok(b) = self.bar.lock()
            && let Some(bar) = b.as_ref()
        {
            bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some(bar) = b.take()
        {
            bar.finish_and_clear();
        }
    }
}

pub fn run(a: DedupeArgs, show_progress: bool, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut opts = DedupeOptions::new(&a.input, &a.out);
    opts.link = a.link;
    opts.id_column = a.id;
    opts.fields = a.fields;
    opts.truth_column = a.truth;
    opts.save_model = a.save_model;
    opts.load_model = a.model;
    opts.review = a.review;
    opts.link_options.threshold = a.threshold;
    opts.link_options.seed = a.seed;
    let bars = Bars {
        bar: Mutex::new(None),
        enabled: show_progress,
    };
    let report = gavah_link::dedupe::run(&opts, &bars).context("dedupe failed")?;
    print_report(out, &report, &a.out)?;
    Ok(ExitCode::SUCCESS)
}

fn print_report(
    out: &mut impl Write,
    r: &DedupeReport,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} records in {} clusters, written to {}",
        r.records,
        r.clusters,
        path.display()
    )?;
    let fields: Vec<String> = r
        .fields
        .iter()
        .map(|f| {
            format!(
                "{}:{}{}",
                f.column,
                f.kind,
                if f.guessed { "?" } else { "" }
            )
        })
        .collect();
    writeln!(out, "fields (? = guessed): {}", fields.join(" "))?;
    writeln!(
        out,
        "candidate pairs: {}; at or above the threshold: {}",
        r.candidate_pairs, r.pairs_above_threshold
    )?;
    for rule in &r.blocking.rules {
        match rule.skipped_over_budget {
            Some(cost) => writeln!(
                out,
                "  rule {:<44} skipped: would yield {cost} pairs",
                rule.rule
            )?,
            None => writeln!(
                out,
                "  rule {:<44} {:>10} pairs, {:>10} new{}",
                rule.rule,
                rule.pairs,
                rule.new_pairs,
                if rule.oversized_blocks > 0 {
                    format!(", {} oversized blocks sub-blocked", rule.oversized_blocks)
                } else {
                    String::new()
                }
            )?,
        }
    }
    if let Some(c) = r.blocking.recall_ceiling {
        writeln!(out, "blocking recall ceiling: {c:.4}")?;
    }
    let times: Vec<String> = r
        .timings
        .iter()
        .map(|t| format!("{} {:.2}s", t.phase, t.seconds))
        .collect();
    writeln!(out, "time: {}", times.join(", "))?;
    if let Some(a) = &r.accuracy {
        writeln!(
            out,
            "pairwise precision {:.4} recall {:.4} F1 {:.4} (true positives {}, false positives {}, false negatives {})",
            a.precision, a.recall, a.f1, a.true_positives, a.false_positives, a.false_negatives
        )?;
    }
    Ok(())
}
