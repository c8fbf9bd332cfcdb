//! `gavah link` and `gavah review`: linkage of the store and the human decisions
//! that it must respect.

use crate::config::Config;
use crate::progress::Bar;
use gavah_app::{LinkReport, LinkRequest, ReviewPair};
use std::io::{BufRead, Write};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LinkFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct LinkArgs {
    /// Estimate a new model (EM) even when the store already has one.
    #[arg(long)]
    pub retrain: bool,
    /// Match probability at or above which reports may be joined (0–1). Default:
    /// the stored model's, or 0.5.
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Seed of the random pairs that estimate how often non-matches agree.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "table")]
    pub format: LinkFormat,
    /// Score the result against a ground truth CSV (file,row,person_id, as the
    /// demo writes it) and print pairwise precision, recall and F1.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<std::path::PathBuf>,
}

pub const LINK_HELP: &str = "\
Linkage decides which reports name the same person, so that the figures count
distinct people. The first run estimates a Fellegi–Sunter model from the store's
own reports (no labelled data needed) and records it as an entry; later runs,
and every import into a linked store, reuse it, so the same reports always give
the same people. Unnamed reports are never joined by the machine.

Every human decision recorded with `gavah review` holds in every later run.
A person's public id is that of their earliest report, so it does not change
when later reports join them.";

#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// Pairs to show, most consequential first.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print the queue and exit instead of asking.
    #[arg(long, conflicts_with = "decide")]
    pub list: bool,
    /// Record one decision without asking: two report ids and `same` or `different`.
    #[arg(long, num_args = 3, value_names = ["REPORT_A", "REPORT_B", "same|different"])]
    pub decide: Option<Vec<String>>,
    /// Why (kept internal, never published).
    #[arg(long, requires = "decide")]
    pub note: Option<String>,
    /// For --list: table or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: LinkFormat,
}

pub const REVIEW_HELP: &str = "\
Shows the uncertain pairs (match probability between 0.1 and 0.9) that a human
should decide, the pairs whose decision would change the most people first, each
with both reports side by side and the weight each field gave. Answer
s (same person), d (different people), k (skip) or q (quit). Each answer is
recorded as an entry at once; the store is re-linked when you finish.";

pub fn link(
    a: &LinkArgs,
    config: &Config,
    show_progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut app = crate::cli::open(config)?;
    let report = app.link(
        &LinkRequest {
            retrain: a.retrain,
            threshold: a.threshold,
            seed: a.seed,
        },
        &Bar::new(show_progress),
    )?;
    let scores = match &a.truth {
        Some(t) => Some(app.link_scores(t)?),
        None => None,
    };
    match a.format {
        LinkFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"link": report, "scores": scores}))?
        )?,
        LinkFormat::Table => {
            print_report(out, &report)?;
            if let Some(s) = scores {
                writeln!(
                    out,
                    "against the truth: precision {:.4}, recall {:.4}, F1 {:.4} ({} true, {} false, {} missed pairs)",
                    s.precision,
                    s.recall,
                    s.f1,
                    s.true_positives,
                    s.false_positives,
                    s.false_negatives
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(out: &mut impl Write, r: &LinkReport) -> std::io::Result<()> {
    writeln!(
        out,
        "linked {} reports ({} named, compared in {} candidate pairs)",
        r.reports, r.named, r.pairs
    )?;
    writeln!(
        out,
        "distinct people: {} before, {} now ({} reports changed person)",
        r.people_before, r.people_after, r.changed
    )?;
    if r.trained {
        writeln!(
            out,
            "model: newly estimated, threshold {:.2}, recorded as an entry",
            r.threshold
        )?;
    } else {
        writeln!(out, "model: the stored one, threshold {:.2}", r.threshold)?;
    }
    writeln!(
        out,
        "human decisions honoured: {}; uncertain pairs waiting: {}{}",
        r.decisions,
        r.review_pending,
        if r.review_pending > 0 {
            " (gavah review)"
        } else {
            ""
        }
    )?;
    let times: Vec<String> = r
        .timings
        .iter()
        .map(|(p, s)| format!("{p} {s:.2} s"))
        .collect();
    writeln!(out, "time: {}", times.join(", "))
}

pub fn review(
    a: &ReviewArgs,
    config: &Config,
    show_progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut app = crate::cli::open(config)?;
    if let Some(d) = &a.decide {
        let same = parse_answer(&d[2]).ok_or_else(|| {
            anyhow::anyhow!(
                "--decide: the third value must be 'same' or 'different', not '{}'",
                d[2]
            )
        })?;
        let id = app.decide(&d[0], &d[1], same, a.note.clone())?;
        let r = app.relink(&Bar::new(show_progress))?;
        writeln!(
            out,
            "recorded: {} and {} are {} (decision {})",
            d[0],
            d[1],
            if same {
                "the same person"
            } else {
                "different people"
            },
            id.short()
        )?;
        if let Some(r) = r {
            writeln!(out, "distinct people now: {}", r.people_after)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let queue = app.review_queue(a.limit, &Bar::new(show_progress))?;
    if a.list {
        match a.format {
            LinkFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&queue)?)?,
            LinkFormat::Table => {
                for (i, p) in queue.iter().enumerate() {
                    print_pair(out, i + 1, queue.len(), p)?;
                }
                if queue.is_empty() {
                    writeln!(out, "no uncertain pairs are waiting")?;
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if queue.is_empty() {
        writeln!(out, "no uncertain pairs are waiting")?;
        return Ok(ExitCode::SUCCESS);
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut decided = 0usize;
    'pairs: for (i, p) in queue.iter().enumerate() {
        print_pair(out, i + 1, queue.len(), p)?;
        loop {
            write!(out, "same person? [s]ame, [d]ifferent, s[k]ip, [q]uit: ")?;
            out.flush()?;
            let Some(line) = lines.next() else {
                writeln!(out)?;
                break 'pairs;
            };
            let line = line?;
            match line.trim().to_lowercase().as_str() {
                "q" | "quit" => break 'pairs,
                "k" | "skip" | "" => continue 'pairs,
                answer => match parse_answer(answer) {
                    Some(same) => {
                        app.decide(&p.a.report, &p.b.report, same, None)?;
                        decided += 1;
                        continue 'pairs;
                    }
                    None => writeln!(out, "please answer s, d, k or q")?,
                },
            }
        }
    }
    if decided > 0 {
        let r = app.relink(&Bar::new(show_progress))?;
        writeln!(out, "recorded {decided} decisions")?;
        if let Some(r) = r {
            writeln!(out, "distinct people now: {}", r.people_after)?;
        }
    } else {
        writeln!(out, "no decisions recorded")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_answer(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "s" | "same" | "y" | "yes" => Some(true),
        "d" | "different" | "n" | "no" => Some(false),
        _ => None,
    }
}

fn print_pair(out: &mut impl Write, n: usize, of: usize, p: &ReviewPair) -> std::io::Result<()> {
    writeln!(
        out,
        "\n── pair {n} of {of}: match probability {:.2}, {} now ──",
        p.probability,
        if p.together {
            "counted as one person"
        } else {
            "counted as two people"
        }
    )?;
    let width =
        p.a.fields
            .iter()
            .map(|(_, v)| v.chars().count())
            .chain([p.a.source.chars().count() + 8])
            .max()
            .unwrap_or(10)
            .clamp(10, 40);
    let cell = |s: &str| -> String {
        let n = s.chars().count();
        if n > width {
            let cut: String = s.chars().take(width - 1).collect();
            format!("{cut}…")
        } else {
            format!("{s}{}", " ".repeat(width - n))
        }
    };
    writeln!(
        out,
        "  {:<8} {}  {}",
        "report",
        cell(&p.a.report[..12]),
        &p.b.report[..12]
    )?;
    writeln!(
        out,
        "  {:<8} {}  {}",
        "from",
        cell(&format!("{} row {}", p.a.source, p.a.row)),
        format_args!("{} row {}", p.b.source, p.b.row)
    )?;
    for ((name, va), (_, vb)) in p.a.fields.iter().zip(&p.b.fields) {
        let weight = p
            .explanation
            .fields
            .iter()
            .find(|c| &c.field == name)
            .map(|c| format!("{:+.1} ({})", c.weight, c.level))
            .unwrap_or_default();
        writeln!(out, "  {name:<8} {}  {}  {weight}", cell(va), cell(vb))?;
    }
    writeln!(out, "  ids: {} {}", p.a.report, p.b.report)?;
    Ok(())
}
