//! `gavah serve` and `gavah export`: the public face over a store.

use crate::config::Config;
use anyhow::Context;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Where to listen. Port 0 picks a free port; the address is printed.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Also answer live sync (`gavah sync`) from trusted peers at
    /// /api/sync/v1. Needs this node's key (`gavah node init`).
    #[arg(long)]
    pub sync: bool,
    /// Also take reviews: the queue of uncertain pairs at /api/v1/review and
    /// link decisions at /api/v1/review/decisions, for users with the
    /// reviewer role and their token (`gavah user add`).
    #[arg(long)]
    pub review: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// People as CSV with an HXL hashtag row (one row per person and outcome).
    Csv,
    /// People as Parquet (the CSV's columns, snappy-compressed).
    Parquet,
    /// Incidents as GeoJSON points at their city.
    Geojson,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write here instead of to standard output (written whole, then renamed
    /// into place, so a failed export leaves no partial file).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn serve(a: &ServeArgs, config: &Config, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let live = if a.sync {
        let keys = crate::sync::load_keys(config)?;
        let app = crate::cli::open(config)?;
        Some(gavah_web::live::LiveNode::new(app, keys.secret, keys.ring))
    } else {
        None
    };
    let review = if a.review {
        let app = crate::cli::open(config)?;
        if app.users()?.is_empty() {
            writeln!(
                out,
                "note: no users yet, so no one can review; `gavah user add NAME` makes one"
            )?;
        }
        Some(gavah_web::review::ReviewDesk::new(app))
    } else {
        None
    };
    serve_store(&config.db, a.addr, live, review, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Serves a store until interrupted, printing its address once listening.
pub fn serve_store(
    db: &Path,
    addr: SocketAddr,
    live: Option<gavah_web::live::LiveNode>,
    review: Option<gavah_web::review::ReviewDesk>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let syncing = live.is_some();
    let reviewing = review.is_some();
    // Opening for writing once applies pending migrations before the
    // read-only connections start.
    drop(
        gavah_app::App::open(db, "serve")
            .with_context(|| format!("cannot serve {}", db.display()))?,
    );
    let mut printed = Ok(());
    let result = gavah_web::serve_with(db.to_path_buf(), addr, live, review, |bound| {
        printed = writeln!(
            out,
            "serving the dashboard at http://{bound}/{} (Ctrl-C to stop)",
            [
                syncing.then(|| format!(
                    ", live sync for trusted peers at http://{bound}{}",
                    gavah_web::live::PATH
                )),
                reviewing
                    .then(|| format!(", reviews at http://{bound}{}", gavah_web::review::QUEUE)),
            ]
            .into_iter()
            .flatten()
            .collect::<String>()
        )
        .and_then(|()| out.flush());
    });
    printed?;
    result.map_err(|e| anyhow::anyhow!("{}", e.message))
}

pub fn export(a: &ExportArgs, config: &Config, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    drop(
        gavah_app::App::open(&config.db, "export")
            .with_context(|| format!("cannot export {}", config.db.display()))?,
    );
    let reader = gavah_app::public::Reader::open(&config.db)?;
    let bytes = match a.format {
        ExportFormat::Csv => gavah_web::export_people_csv(&reader),
        ExportFormat::Parquet => gavah_web::export_people_parquet(&reader),
        ExportFormat::Geojson => gavah_web::export_incidents_geojson(&reader),
    }
    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match &a.out {
        None => out.write_all(&bytes)?,
        Some(path) => crate::files::write_whole(path, &bytes, false)?,
    }
    Ok(ExitCode::SUCCESS)
}
