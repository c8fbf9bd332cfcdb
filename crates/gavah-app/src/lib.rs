//! Use cases: create a store, import lists and figures, record claims, compute
//! the documented figures, rebuild projections, build the demo. The façade
//! that the CLI (and later the web server) calls.
//!
//! API boundary: `gavah-app` is what front ends use; they never reach into
//! `gavah-store` or `gavah-import` directly for writes.
//!
//! Architecture invariant: every write use case runs in one store transaction
//! (`Store::writer`), so a failed or interrupted import leaves nothing behind.

mod claims;
mod demo;
mod error;
mod estimate;
mod figures;
mod import;
mod link;
mod live;
mod sync;
mod users;

pub mod public;
pub use claims::{ClaimInput, FigureInput, parse_scope};
pub use demo::{DemoReport, build_demo};
pub use error::AppError;
pub use estimate::{
    CaptureRequest, CaptureTables, EstimateRow, EstimateSummary, Stratum, capture_tables,
    estimate_summary,
};
pub use figures::{DayCount, FiguresReport, PlaceCount, SourceFigure, SourcesReport};
pub use import::{ImportKind, ImportReport, ImportRequest};
pub use link::{LinkReport, LinkRequest, ReviewPair, ReviewSide};
pub use live::{BATCH_ENTRIES, LiveRefusal, LiveReport, LiveSessions};
pub use sync::{
    BundleImportReport, ExportReport, NodeKeys, PeerRow, Since, TrustReport, fingerprint,
};
pub use users::{Role, User, UserListing};

use gavah_core::NodeId;
use gavah_entry::TeamKey;
use gavah_store::Store;
use std::path::Path;

/// Reports progress of long work; the CLI shows it as a progress bar.
pub trait Progress: Sync {
    /// A new phase with a total (bytes, rows or entries), 0 when unknown.
    fn start(&self, phase: &str, total: u64);
    fn set(&self, position: u64);
    fn finish(&self);
}

/// Progress that shows nothing, for tests and scripts.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _phase: &str, _total: u64) {}
    fn set(&self, _position: u64) {}
    fn finish(&self) {}
}

/// An open store and who is working on it.
pub struct App {
    store: Store,
    author: String,
}

/// What `init` made.
#[derive(Debug, Clone)]
pub struct InitReport {
    pub node: NodeId,
}

impl App {
    /// Creates a new store with a fresh node id and team key.
    pub fn init(path: &Path, purpose: &str) -> Result<InitReport, AppError> {
        Self::init_with_team_key(path, purpose, None)
    }

    /// Creates a new store with a fresh node id and the team's key (a fresh
    /// one when `None`): nodes of one team share it, so the same row imported
    /// on two of them is the same entry.
    pub fn init_with_team_key(
        path: &Path,
        purpose: &str,
        key: Option<TeamKey>,
    ) -> Result<InitReport, AppError> {
        let node = NodeId(random16()?);
        let key = match key {
            Some(k) => k,
            None => TeamKey::generate().map_err(|e| AppError::Other(e.to_string()))?,
        };
        Store::create(path, node, key, purpose)?;
        Ok(InitReport { node })
    }

    pub fn open(path: &Path, author: &str) -> Result<App, AppError> {
        let mut app = App {
            store: Store::open(path)?,
            author: author.to_string(),
        };
        // A replay on open (a migration that reshaped the projections) leaves
        // linked stores with pre-linkage person ids: place them again.
        if app.store.meta("relink_needed")?.is_some() {
            app.relink(&NoProgress)?;
        }
        Ok(app)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn author(&self) -> &str {
        &self.author
    }

    /// Drops every projection and replays the log. Returns (entries replayed,
    /// digest before, digest after): equal digests mean the projections were
    /// already what the log says.
    pub fn rebuild(&mut self, progress: &dyn Progress) -> Result<(u64, String, String), AppError> {
        let before = self.store.digest()?;
        let total = self.store.totals()?.entries;
        progress.start("rebuilding", total);
        let mut w = self.store.bulk_writer()?;
        let n = w.rebuild(|done, _| progress.set(done))?;
        progress.finish();
        // Linkage is a function of the entries too: the rebuilt reports carry
        // pre-linkage ids until the stored model places them again.
        link::relink_in(&mut w, progress)?;
        w.commit()?;
        let after = self.store.digest()?;
        Ok((n, before, after))
    }
}

fn random16() -> Result<[u8; 16], AppError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Other(format!("cannot make a random id: {e}")))?;
    Ok(b)
}

/// Milliseconds since the Unix epoch by the system clock.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Today's date by the system clock (UTC).
pub fn today() -> gavah_core::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    gavah_core::Date::from_days(i32::try_from(secs / 86_400).unwrap_or(0))
}
