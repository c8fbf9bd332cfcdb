//! What the commands print: tables for people, JSON and CSV for programs.

use crate::cli::{ByArg, FormatArg};
use crate::config::Config;
use gavah_app::{App, FiguresReport, ImportReport, SourcesReport};
use gavah_core::Outcome;
use std::io::Write;

type Out<'a> = &'a mut dyn Write;

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn outcome_word(n: u64, o: &str) -> String {
    format!("{n} {o}")
}

/// The headline and the requested breakdown.
pub fn figures(
    out: Out<'_>,
    r: &FiguresReport,
    by: Option<ByArg>,
    format: FormatArg,
) -> std::io::Result<()> {
    match format {
        FormatArg::Json => {
            serde_json::to_writer_pretty(&mut *out, r).map_err(std::io::Error::other)?;
            writeln!(out)
        }
        FormatArg::Csv => {
            writeln!(out, "dimension,key,name,outcome,count")?;
            let rows = breakdown(r, by.unwrap_or(ByArg::Outcome));
            for (key, name, outcome, n) in rows {
                writeln!(
                    out,
                    "{},{},{},{},{n}",
                    dim_name(by),
                    csv_field(&key),
                    csv_field(&name),
                    outcome
                )?;
            }
            Ok(())
        }
        FormatArg::Table => {
            let get = |o: Outcome| r.by_outcome.get(o.as_str()).copied().unwrap_or(0);
            let killed_cat = r.by_category.get("killed");
            let cat = |c: &str| killed_cat.and_then(|m| m.get(c)).copied().unwrap_or(0);
            writeln!(
                out,
                "Documented: at least {} killed ({} protesters, {} bystanders, {} security forces, {} unknown), \
                 {} wounded, {} detained, {} disappeared, {} executed, in {} cities of {} provinces.",
                get(Outcome::Killed),
                cat("protester"),
                cat("bystander"),
                cat("security-forces"),
                cat("unknown"),
                get(Outcome::Wounded),
                get(Outcome::Detained),
                get(Outcome::Disappeared),
                get(Outcome::Executed),
                r.cities,
                r.provinces
            )?;
            writeln!(
                out,
                "{} distinct people from {} reports ({}).",
                r.people,
                r.reports,
                if r.linked {
                    "linked: reports of one person joined by `gavah link` and human decisions"
                } else {
                    "not linked yet: distinct = same normalised name, place and date; run `gavah link`"
                }
            )?;
            let by = by.unwrap_or(ByArg::Outcome);
            let rows = breakdown(r, by);
            writeln!(out)?;
            // The label goes last: Persian names do not pad to a column width.
            if by == ByArg::Outcome {
                writeln!(out, "{:<12} {:>8}", "outcome", "people")?;
            } else {
                writeln!(
                    out,
                    "{:<12} {:>8}  {}",
                    "outcome",
                    "people",
                    dim_name(Some(by))
                )?;
            }
            for (key, name, outcome, n) in rows {
                if by == ByArg::Outcome {
                    writeln!(out, "{outcome:<12} {n:>8}")?;
                } else {
                    let label = if name.is_empty() { key } else { name };
                    writeln!(out, "{outcome:<12} {n:>8}  {label}")?;
                }
            }
            if matches!(by, ByArg::Province | ByArg::City) {
                writeln!(out, "\n{}", r.attribution)?;
            }
            Ok(())
        }
    }
}

fn dim_name(by: Option<ByArg>) -> &'static str {
    match by {
        Some(ByArg::Category) => "category",
        Some(ByArg::Province) => "province",
        Some(ByArg::City) => "city",
        Some(ByArg::Day) => "day",
        Some(ByArg::Outcome) | None => "outcome",
    }
}

/// (key, display name, outcome, count) rows of one breakdown.
fn breakdown(r: &FiguresReport, by: ByArg) -> Vec<(String, String, String, u64)> {
    let order = |o: &str| {
        Outcome::ALL
            .iter()
            .position(|x| x.as_str() == o)
            .unwrap_or(99)
    };
    let mut rows: Vec<(String, String, String, u64)> = match by {
        ByArg::Outcome => r
            .by_outcome
            .iter()
            .map(|(o, n)| (o.clone(), String::new(), o.clone(), *n))
            .collect(),
        ByArg::Category => r
            .by_category
            .iter()
            .flat_map(|(o, m)| {
                m.iter()
                    .map(move |(c, n)| (c.clone(), String::new(), o.clone(), *n))
            })
            .collect(),
        ByArg::Province | ByArg::City => {
            let list = if by == ByArg::Province {
                &r.by_province
            } else {
                &r.by_city
            };
            list.iter()
                .map(|p| {
                    let name = if p.name_fa.is_empty() {
                        p.name_en.clone()
                    } else {
                        format!("{} / {}", p.name_en, p.name_fa)
                    };
                    (p.code.clone(), name, p.outcome.clone(), p.count)
                })
                .collect()
        }
        ByArg::Day => r
            .by_day
            .iter()
            .map(|d| (d.day.clone(), String::new(), d.outcome.clone(), d.count))
            .collect(),
    };
    if by != ByArg::Day {
        rows.sort_by(|a, b| {
            (order(&a.2), std::cmp::Reverse(a.3), &a.0).cmp(&(
                order(&b.2),
                std::cmp::Reverse(b.3),
                &b.0,
            ))
        });
    } else {
        rows.sort_by(|a, b| (order(&a.2), &a.0).cmp(&(order(&b.2), &b.0)));
    }
    rows
}

/// Every source's published figures side by side.
pub fn sources(out: Out<'_>, r: &SourcesReport, format: FormatArg) -> std::io::Result<()> {
    match format {
        FormatArg::Json => {
            serde_json::to_writer_pretty(&mut *out, r).map_err(std::io::Error::other)?;
            writeln!(out)
        }
        FormatArg::Csv => {
            writeln!(
                out,
                "metric,as_of,source,source_type,qualifier,value,province,category,citation"
            )?;
            for f in &r.figures {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{}",
                    f.metric,
                    f.as_of,
                    csv_field(&f.source),
                    f.source_type,
                    f.qualifier,
                    f.value,
                    f.province.as_deref().unwrap_or(""),
                    f.category.as_deref().unwrap_or(""),
                    csv_field(f.citation.as_deref().unwrap_or(""))
                )?;
            }
            Ok(())
        }
        FormatArg::Table => {
            if r.figures.is_empty() {
                return writeln!(
                    out,
                    "No published figures recorded; add them with `gavah figure add` or `gavah import --kind figures`."
                );
            }
            writeln!(
                out,
                "Published figures by source (protected sources are named by their type):"
            )?;
            writeln!(
                out,
                "{:<10} {:<10} {:<34} {:>20}  scope",
                "metric", "as of", "source", "figure"
            )?;
            let mut last_metric = "";
            for f in &r.figures {
                if f.metric != last_metric && !last_metric.is_empty() {
                    writeln!(out)?;
                }
                last_metric = &f.metric;
                let scope = [f.province.as_deref(), f.category.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                let figure = format!("{} {}", f.qualifier, f.value);
                writeln!(
                    out,
                    "{:<10} {:<10} {:<34} {:>20}  {}",
                    f.metric,
                    f.as_of,
                    f.source.chars().take(34).collect::<String>(),
                    figure,
                    if scope.is_empty() { "country" } else { &scope }
                )?;
            }
            writeln!(out)?;
            let documented: Vec<String> = r
                .documented
                .iter()
                .map(|(o, n)| outcome_word(*n, o))
                .collect();
            writeln!(
                out,
                "Documented here (distinct people): {}",
                documented.join(", ")
            )
        }
    }
}

pub fn claims(
    out: Out<'_>,
    claims: &[gavah_store::ClaimRow],
    format: FormatArg,
) -> std::io::Result<()> {
    if format == FormatArg::Json {
        let v: Vec<serde_json::Value> = claims
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id.to_string(), "by": c.by, "date": c.date, "text": c.text, "citation": c.citation,
                    "status": c.status(),
                    "history": c.history.iter().map(|s| serde_json::json!({
                        "status": s.status, "by": s.by, "date": s.date, "note": s.note })).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
        return writeln!(out);
    }
    if claims.is_empty() {
        return writeln!(out, "No claims recorded; add one with `gavah claim add`.");
    }
    for c in claims {
        writeln!(
            out,
            "{}  {}  {}: \"{}\"  [{}]",
            c.id.short(),
            c.date,
            c.by,
            c.text,
            c.status()
        )?;
        if let Some(cite) = &c.citation {
            writeln!(out, "          {cite}")?;
        }
        for s in &c.history {
            let note = s
                .note
                .as_deref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default();
            writeln!(out, "          {} {} by {}{note}", s.date, s.status, s.by)?;
        }
    }
    Ok(())
}

/// What an import did, its problems, and what to do about them.
pub fn import_report(
    out: Out<'_>,
    r: &ImportReport,
    verbose: bool,
    dry_run: bool,
) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    let errors: Vec<_> = r.problems.iter().filter(|p| p.is_error()).collect();
    let warnings: Vec<_> = r.problems.iter().filter(|p| !p.is_error()).collect();
    for p in errors.iter().take(if verbose { usize::MAX } else { 200 }) {
        writeln!(err, "{p}")?;
    }
    if errors.len() > 200 && !verbose {
        writeln!(
            err,
            "… and {} more errors (pass --verbose to see all)",
            errors.len() - 200
        )?;
    }
    if verbose {
        for (header, field) in &r.columns {
            writeln!(
                err,
                "column '{header}' → {}",
                field.as_deref().unwrap_or("(not parsed)")
            )?;
        }
    }
    for p in warnings.iter().take(if verbose { usize::MAX } else { 20 }) {
        writeln!(err, "{p}")?;
    }
    if warnings.len() > 20 && !verbose {
        writeln!(
            err,
            "… and {} more warnings (pass --verbose to see all)",
            warnings.len() - 20
        )?;
    }
    if r.problems_dropped > 0 {
        writeln!(err, "… and {} more problems not kept", r.problems_dropped)?;
    }
    let file = r.file.display();
    if r.has_errors() {
        writeln!(
            err,
            "{file}: {} in {} rows; nothing was imported (the store is unchanged). Fix the file or add a --mapping, then import again",
            plural(
                errors.len() + usize::try_from(r.problems_dropped).unwrap_or(0),
                "error"
            ),
            r.rows
        )?;
        return Ok(());
    }
    let source = r
        .source
        .as_ref()
        .map(|(_, name, p)| format!(" from '{name}'{}", if *p { " (protected)" } else { "" }))
        .unwrap_or_default();
    if dry_run {
        writeln!(
            out,
            "{file}: dry run — {} rows read{source} ({}, {}); {} would be new, {} already in the store; {} warnings. Nothing written",
            r.rows,
            r.format,
            r.encoding,
            r.added,
            r.already_present,
            warnings.len()
        )
    } else {
        writeln!(
            out,
            "{file}: imported {} rows{source} ({}, {}): {} new, {} already in the store{}; {} warnings",
            r.rows,
            r.format,
            r.encoding,
            r.added,
            r.already_present,
            if r.repeated_rows > 0 {
                format!(
                    ", {} repeated rows kept as separate people",
                    r.repeated_rows
                )
            } else {
                String::new()
            },
            warnings.len()
        )
    }
}

pub fn status(out: Out<'_>, app: &App, config: &Config) -> anyhow::Result<()> {
    let s = app.store();
    let t = s.totals()?;
    writeln!(out, "store:   {}", config.db.display())?;
    writeln!(out, "node:    {}", s.node())?;
    writeln!(out, "purpose: {}", s.meta("purpose")?.unwrap_or_default())?;
    writeln!(
        out,
        "entries: {} ({} reports, {} sources, {} imported files, {} figures, {} claims)",
        t.entries, t.reports, t.sources, t.batches, t.figures, t.claims
    )?;
    for src in s.source_stats()? {
        writeln!(
            out,
            "  source {:<40} {:<16} {:>7} reports {:>4} figures{}",
            src.name,
            src.source_type,
            src.reports,
            src.figures,
            if src.protected { "  [protected]" } else { "" }
        )?;
    }
    writeln!(
        out,
        "exchange: {}",
        crate::sync::exchange_status(app, config)?
    )?;
    writeln!(out, "integrity: {}", s.integrity_check()?)?;
    Ok(())
}
