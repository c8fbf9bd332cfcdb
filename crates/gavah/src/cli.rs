//! Command-line interface: flags, subcommands and what each one runs.

use crate::config::Config;
use crate::output;
use crate::progress::Bar;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use gavah_app::{App, ClaimInput, FigureInput, ImportKind, ImportRequest};
use gavah_core::date::{CalendarHint, parse_date};
use gavah_core::vocab::{self, Recognised};
use gavah_core::{ClaimStatus, Date, Metric, Qualifier, SourceType};
use gavah_import::{Format, Mapping, ReadOptions};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Gavah documents, verifies and counts the people killed, wounded and detained
/// in a crackdown, from the lists that rights groups, hospitals, families and
/// field teams send.
#[derive(Debug, Parser)]
#[command(name = "gavah", version, about, max_term_width = 100)]
pub struct Args {
    /// The store (an SQLite file). Default: gavah.db in the user's data directory.
    #[arg(long, global = true, env = "GAVAH_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Who is making the changes, recorded in every entry. Default: $USER.
    #[arg(long, global = true, env = "GAVAH_AUTHOR", value_name = "NAME")]
    pub author: Option<String>,
    /// A config file (TOML with db, author, log). Default: gavah.toml in the data directory.
    #[arg(long, global = true, env = "GAVAH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show no progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new store with a fresh node id and team key (or the team's key
    /// from --team-key-file, to join a team).
    Init(crate::sync::InitArgs),
    /// Import a list of people (or, with --kind figures, of published figures).
    #[command(after_long_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Print the documented figures: distinct people by outcome, category, place and day.
    Figures(FiguresArgs),
    /// Record a source's published figure by hand.
    #[command(subcommand)]
    Figure(FigureCommand),
    /// Record statements and their status.
    #[command(subcommand)]
    Claim(ClaimCommand),
    /// Drop the projections and rebuild them from the entry log.
    Rebuild,
    /// Show what the store holds: node, entries, sources, batches.
    Status,
    /// Build the demonstration data set (a seeded synthetic crisis) and print its figures.
    Demo(DemoArgs),
    /// Serve the public dashboard, JSON API, feed and open data over the store.
    Serve(crate::serve::ServeArgs),
    /// Write an open-data export (public fields only) to a file or stdout.
    Export(crate::serve::ExportArgs),
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Measure import and figures speed on generated data (see docs/BENCHMARKS.md).
    Bench(crate::bench::BenchArgs),
    /// Find the rows of a CSV file (or two) that name the same person; no store needed.
    #[command(after_long_help = crate::dedupe::DEDUPE_HELP)]
    Dedupe(crate::dedupe::DedupeArgs),
    /// Estimate how many people no list recorded: from the store's linked people
    /// (per stratum with --by) or from a capture-history table.
    Estimate(crate::estimate::EstimateArgs),
    /// Link the store: decide which reports name the same person, so the figures
    /// count distinct people.
    #[command(after_long_help = crate::link::LINK_HELP)]
    Link(crate::link::LinkArgs),
    /// Decide uncertain pairs of reports: the same person, or not.
    #[command(after_long_help = crate::link::REVIEW_HELP)]
    Review(crate::link::ReviewArgs),
    /// This node's keys and its peers (trust, revoke), for signed and encrypted
    /// exchange with other nodes.
    #[command(subcommand)]
    Node(crate::sync::NodeCommand),
    /// Who may use the authenticated API (`gavah serve --review`): add, list
    /// and remove users and their roles.
    #[command(subcommand)]
    User(crate::users::UserCommand),
    /// Bundles for couriers: export and import encrypted, signed bundles of
    /// entries; cut them into chunks for QR codes, SMS, email or UDP and join them back.
    #[command(subcommand)]
    Bundle(crate::sync::BundleCommand),
    /// Sync with a trusted peer over a live link: find the difference in a few
    /// round trips, then send what it lacks and fetch what this node lacks.
    #[command(after_long_help = crate::sync::SYNC_HELP)]
    Sync(crate::sync::SyncArgs),
}

const IMPORT_HELP: &str = "\
Columns are mapped from their headers (English, Persian or HXL hashtags such as
#affected+killed, #adm1+name). A --mapping TOML file overrides them:

  [columns]
  \"نام کامل\" = \"name\"
  \"Col 7\" = \"witness\"
  [values.status]
  \"martyred\" = \"killed\"
  [options]
  calendar = \"jalali\"   # auto | jalali | gregorian
  outcome = \"killed\"    # for lists with no status column

Fields: name, given_name, surname, father_name, sex, age, birth_year, birth_date,
occupation, home_province, home_city, category, status, date, province, city,
district, place, latitude, longitude, description, witness, contact, notes,
confidence, url, killed, wounded, detained, disappeared, executed, released,
sentenced, ignore. Witness, contact and notes are protected: stored, never shown
in public output.

A figures list (--kind figures) has the columns
source,source_type,metric,value,qualifier,as_of,province,category,citation.

The whole file is imported in one transaction, or nothing is: any error leaves
the store as it was. Re-importing the same rows adds nothing.
Exit status: 0 when imported (warnings allowed), 1 on any error.";

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    People,
    Figures,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CalendarArg {
    Auto,
    Jalali,
    Gregorian,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file: .csv, .tsv, .xlsx, .ods or .jsonl.
    pub file: PathBuf,
    /// Who sent the list (required for people lists).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// What kind of source it is (for a new source).
    #[arg(long, value_name = "TYPE", value_parser = parse_source_type)]
    pub source_type: Option<SourceType>,
    /// The source is protected: its name and its reports' witness and contact
    /// fields never appear in public output.
    #[arg(long)]
    pub protected: bool,
    /// A TOML file mapping columns and values.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Check everything and report problems, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// What the file lists.
    #[arg(long, value_enum, default_value = "people")]
    pub kind: KindArg,
    /// The file's format, when its name does not say (csv, tsv, xlsx, ods, jsonl).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<Format>,
    /// The text encoding (utf-8, utf-16le, utf-16be, windows-1256); sniffed when not given.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// The CSV delimiter (',', ';', 'tab', '|'); guessed when not given.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// The spreadsheet sheet to read; default the first with data.
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// The calendar of dates whose year does not reveal it.
    #[arg(long, value_enum)]
    pub calendar: Option<CalendarArg>,
    /// The outcome of every row, for lists with no status column (e.g. killed).
    #[arg(long, value_name = "OUTCOME", value_parser = parse_outcome)]
    pub outcome: Option<gavah_core::Outcome>,
    /// Print every warning, not only the first 20.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ByArg {
    Category,
    Outcome,
    Province,
    City,
    Day,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct FiguresArgs {
    /// Break the counts down by this.
    #[arg(long, value_enum)]
    pub by: Option<ByArg>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,
    /// Show every source's published figures side by side instead.
    #[arg(long)]
    pub sources: bool,
}

#[derive(Debug, Subcommand)]
pub enum FigureCommand {
    /// Record a figure: gavah figure add --source S --metric killed --value 544 --qualifier at-least --as-of 2026-01-11
    Add {
        #[arg(long, value_name = "NAME")]
        source: String,
        #[arg(long, value_name = "TYPE", value_parser = parse_source_type)]
        source_type: Option<SourceType>,
        /// What it counts: killed, wounded, detained, disappeared, executed, released, sentenced, cities, provinces, incidents.
        #[arg(long, value_parser = parse_metric)]
        metric: Metric,
        #[arg(long)]
        value: u64,
        /// at-least, about, exactly or at-most.
        #[arg(long, value_parser = parse_qualifier, default_value = "exactly")]
        qualifier: Qualifier,
        /// The date the figure is as of (Gregorian or Jalali).
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        as_of: Date,
        /// country (default), a province (IR-11, Tehran), a category (protester), or province=…,category=…
        #[arg(long)]
        scope: Option<String>,
        #[arg(long, value_name = "URL")]
        citation: Option<String>,
    },
    /// List every source's published figures (same as `gavah figures --sources`).
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: FormatArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClaimCommand {
    /// Record a statement: who said what, when.
    Add {
        #[arg(long, value_name = "WHO")]
        by: String,
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        date: Date,
        #[arg(long)]
        text: String,
        #[arg(long, value_name = "URL")]
        citation: Option<String>,
    },
    /// Set a claim's status: confirmed, denied, unconfirmed, disputed (or claimed).
    Status {
        /// The claim's id (or its first 6+ hex digits).
        id: String,
        #[arg(value_parser = parse_claim_status)]
        status: ClaimStatus,
        /// Who set this status.
        #[arg(long, value_name = "WHO")]
        by: String,
        /// The date of the status (default today).
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        date: Option<Date>,
        #[arg(long)]
        note: Option<String>,
    },
    /// List claims with their status history.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: FormatArg,
    },
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many people the synthetic crisis has.
    #[arg(long, default_value_t = 3000)]
    pub people: usize,
    /// The random seed: the same seed builds the same data.
    #[arg(long, default_value_t = 1404)]
    pub seed: u64,
    /// Also keep each source's list (and truth.csv) in this folder.
    #[arg(long, value_name = "DIR")]
    pub write_lists: Option<PathBuf>,
    /// Build and print only; do not serve the dashboard.
    #[arg(long)]
    pub no_serve: bool,
    /// Where the dashboard listens (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration.
    Show,
}

fn recognised<T>(what: &str, expected: String, r: Option<Recognised<T>>) -> Result<T, String> {
    match r {
        Some(Recognised::Value(v)) => Ok(v),
        _ => Err(format!("not a {what}; expected one of: {expected}")),
    }
}

fn parse_source_type(s: &str) -> Result<SourceType, String> {
    recognised("source type", SourceType::expected(), vocab::source_type(s))
}
fn parse_metric(s: &str) -> Result<Metric, String> {
    recognised("metric", Metric::expected(), vocab::metric(s))
}
fn parse_qualifier(s: &str) -> Result<Qualifier, String> {
    recognised("qualifier", Qualifier::expected(), vocab::qualifier(s))
}
fn parse_claim_status(s: &str) -> Result<ClaimStatus, String> {
    recognised(
        "claim status",
        ClaimStatus::expected(),
        vocab::claim_status(s),
    )
}
fn parse_outcome(s: &str) -> Result<gavah_core::Outcome, String> {
    recognised(
        "outcome",
        gavah_core::Outcome::expected(),
        vocab::outcome(s),
    )
}
fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| "expected csv, tsv, xlsx, ods or jsonl".to_string())
}
pub(crate) fn parse_day(s: &str) -> Result<Date, String> {
    let d = parse_date(s, CalendarHint::Auto).map_err(|e| e.reason)?;
    match d.value.date {
        Some(date) if d.value.precision == gavah_core::DatePrecision::Day => Ok(date),
        _ => Err("expected a full date with day, month and year".into()),
    }
}

pub(crate) fn open(config: &Config) -> anyhow::Result<App> {
    App::open(&config.db, &config.author).map_err(Into::into)
}

/// Runs a parsed command.
pub fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let mut out = std::io::stdout().lock();
    match args.command {
        Command::Init(a) => {
            let key = crate::sync::read_team_key(a.team_key_file.as_deref())?;
            let r = App::init_with_team_key(&config.db, "records", key)?;
            writeln!(out, "created a Gavah store at {}", config.db.display())?;
            writeln!(out, "node id: {}", r.node)?;
        }
        Command::Import(a) => return import(a, config, show_progress, &mut out),
        Command::Figures(a) => {
            let app = open(config)?;
            if a.sources {
                output::sources(&mut out, &app.source_figures()?, a.format)?;
            } else {
                output::figures(&mut out, &app.figures()?, a.by, a.format)?;
            }
        }
        Command::Figure(FigureCommand::Add {
            source,
            source_type,
            metric,
            value,
            qualifier,
            as_of,
            scope,
            citation,
        }) => {
            let (province, category) = match scope.as_deref() {
                Some(s) => {
                    gavah_app::parse_scope(s).map_err(|e| anyhow::anyhow!("--scope: {e}"))?
                }
                None => (None, None),
            };
            let mut app = open(config)?;
            let id = app.add_figure(&FigureInput {
                source,
                source_type,
                metric,
                value,
                qualifier,
                as_of,
                province,
                category,
                citation,
            })?;
            writeln!(out, "recorded figure {id}")?;
        }
        Command::Figure(FigureCommand::List { format }) => {
            output::sources(&mut out, &open(config)?.source_figures()?, format)?;
        }
        Command::Claim(ClaimCommand::Add {
            by,
            date,
            text,
            citation,
        }) => {
            let id = open(config)?.add_claim(&ClaimInput {
                by,
                date,
                text,
                citation,
            })?;
            writeln!(out, "recorded claim {id}")?;
        }
        Command::Claim(ClaimCommand::Status {
            id,
            status,
            by,
            date,
            note,
        }) => {
            let mut app = open(config)?;
            let claim = app.find_claim(&id)?;
            app.set_claim_status(
                claim,
                status,
                &by,
                date.unwrap_or_else(gavah_app::today),
                note,
            )?;
            writeln!(out, "claim {} is now {status}", claim.short())?;
        }
        Command::Claim(ClaimCommand::List { format }) => {
            output::claims(&mut out, &open(config)?.claims()?, format)?
        }
        Command::Rebuild => {
            let mut app = open(config)?;
            let (n, before, after) = app.rebuild(&Bar::new(show_progress))?;
            writeln!(out, "rebuilt the projections from {n} entries")?;
            if before == after {
                writeln!(out, "state digest {after} (unchanged)")?;
            } else {
                writeln!(
                    out,
                    "state digest {before} → {after}: the projections had drifted from the log and are now repaired"
                )?;
            }
        }
        Command::Status => {
            let app = open(config)?;
            output::status(&mut out, &app, config)?;
        }
        Command::Demo(a) => return demo(&a, config, show_progress, &mut out),
        Command::Serve(a) => return crate::serve::serve(&a, config, &mut out),
        Command::Export(a) => return crate::serve::export(&a, config, &mut out),
        Command::Config(ConfigCommand::Show) => write!(out, "{}", config.show())?,
        Command::Bench(a) => crate::bench::run(&a, config, &mut out)?,
        Command::Dedupe(a) => return crate::dedupe::run(a, show_progress, &mut out),
        Command::Estimate(a) => crate::estimate::run(&a, config, &mut out)?,
        Command::Link(a) => return crate::link::link(&a, config, show_progress, &mut out),
        Command::Review(a) => return crate::link::review(&a, config, show_progress, &mut out),
        Command::Node(c) => return crate::sync::node(&c, config, &mut out),
        Command::User(c) => return crate::users::user(&c, config, &mut out),
        Command::Bundle(c) => return crate::sync::bundle(&c, config, show_progress, &mut out),
        Command::Sync(a) => return crate::sync::live_sync(&a, config, show_progress, &mut out),
    }
    Ok(ExitCode::SUCCESS)
}

fn import(
    a: ImportArgs,
    config: &Config,
    show_progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut mapping = match &a.mapping {
        Some(p) => Mapping::load(p).map_err(|p| anyhow::anyhow!("{p}"))?,
        None => Mapping::default(),
    };
    if let Some(c) = a.calendar {
        mapping.calendar = match c {
            CalendarArg::Auto => CalendarHint::Auto,
            CalendarArg::Jalali => CalendarHint::Jalali,
            CalendarArg::Gregorian => CalendarHint::Gregorian,
        };
    }
    if a.outcome.is_some() {
        mapping.default_outcome = a.outcome;
    }
    let delimiter = match &a.delimiter {
        Some(d) => Some(
            gavah_import::mapping::parse_delimiter(d)
                .map_err(|e| anyhow::anyhow!("--delimiter: {e}"))?,
        ),
        None => None,
    };
    let req = ImportRequest {
        file: a.file.clone(),
        kind: match a.kind {
            KindArg::People => ImportKind::People,
            KindArg::Figures => ImportKind::Figures,
        },
        source: a.source.clone(),
        source_type: a.source_type,
        protected: a.protected,
        mapping,
        read: ReadOptions {
            format: a.format,
            encoding: a.encoding.clone(),
            delimiter,
            sheet: a.sheet.clone(),
        },
        dry_run: a.dry_run,
    };
    let mut app = open(config).with_context(|| format!("cannot import {}", a.file.display()))?;
    let report = app.import(&req, &Bar::new(show_progress))?;
    output::import_report(out, &report, a.verbose, a.dry_run)?;
    Ok(if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn demo(
    a: &DemoArgs,
    config: &Config,
    show_progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let store = if config.db_chosen {
        config.db.clone()
    } else {
        config.data_dir.join("demo.db")
    };
    let (lists_dir, temporary) = match &a.write_lists {
        Some(d) => (d.clone(), false),
        None => (
            config
                .data_dir
                .join(format!("demo-lists-{}", std::process::id())),
            true,
        ),
    };
    let cfg = gavah_demo::DemoConfig {
        people: a.people,
        seed: a.seed,
    };
    if a.people == 0 {
        bail!("--people must be at least 1");
    }
    let started = std::time::Instant::now();
    let result = gavah_app::build_demo(
        &store,
        &lists_dir,
        &cfg,
        &config.author,
        &Bar::new(show_progress),
    );
    if temporary {
        let _ = std::fs::remove_dir_all(&lists_dir);
    }
    let report = result?;
    writeln!(
        out,
        "built the demo store at {} in {:.1} s: {} people in {} lists ({} after linkage), {} published figures, {} claims",
        store.display(),
        started.elapsed().as_secs_f64(),
        report.people,
        report.lists.len(),
        report.people_linked,
        report.figures,
        report.claims
    )?;
    for (source, file, added) in &report.lists {
        writeln!(out, "  {file:<32} {added:>6} reports  ({source})")?;
    }
    if let Some(d) = &a.write_lists {
        writeln!(out, "lists and truth.csv written to {}", d.display())?;
    }
    writeln!(out)?;
    let app = App::open(&store, &config.author)?;
    output::figures(out, &app.figures()?, None, crate::cli::FormatArg::Table)?;
    writeln!(out)?;
    output::sources(out, &app.source_figures()?, crate::cli::FormatArg::Table)?;
    drop(app);
    if !a.no_serve {
        writeln!(out)?;
        crate::serve::serve_store(&store, a.addr, None, None, out)?;
    }
    Ok(ExitCode::SUCCESS)
}
