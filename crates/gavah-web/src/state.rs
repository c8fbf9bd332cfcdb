//! Shared server state: a pool of read-only store connections, and a snapshot
//! of everything the busiest pages show, rebuilt when the store changes.
//!
//! The overview and `/api/v1/figures` are answered from the snapshot's
//! pre-rendered bytes, so they cost no query at all; other pages query the
//! store through the pool on the blocking thread pool.

use crate::error::ApiError;
use crate::i18n::Lang;
use gavah_app::public::{DailyCount, PublicClaim, Reader, TimelineItem};
use gavah_app::{EstimateSummary, FiguresReport, SourcesReport};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::broadcast;

/// Everything computed once per store version.
pub struct Snapshot {
    /// The store's version this was built from.
    pub version: u64,
    /// When the newest entry was recorded (ms since 1970), for Last-Modified.
    pub modified_ms: u64,
    pub figures: FiguresReport,
    pub sources: SourcesReport,
    pub claims: Vec<PublicClaim>,
    pub daily: Vec<DailyCount>,
    pub timeline: Vec<TimelineItem>,
    /// Pre-rendered responses, plain and gzip-compressed (compressed once here
    /// rather than on every request: compressing the overview per request was
    /// most of its cost under load).
    pub overview: [Body; 2],
    pub figures_json: Body,
    /// The latest estimate computed, and the store version it was computed
    /// at (it lags the snapshot by the seconds an estimate takes).
    pub estimate: Option<Arc<EstimateSummary>>,
    pub estimate_version: u64,
}

/// A response body in plain and gzip form.
#[derive(Clone)]
pub struct Body {
    pub plain: Arc<[u8]>,
    pub gzip: Option<Arc<[u8]>>,
}

impl Body {
    pub fn new(plain: Vec<u8>) -> Body {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let gzip = enc
            .write_all(&plain)
            .and_then(|()| enc.finish())
            .ok()
            .map(Arc::from);
        Body {
            plain: plain.into(),
            gzip,
        }
    }

    pub fn plain(bytes: Vec<u8>) -> Body {
        Body {
            plain: bytes.into(),
            gzip: None,
        }
    }
}

impl Snapshot {
    pub fn overview(&self, lang: Lang) -> Body {
        self.overview[usize::from(lang == Lang::Fa)].clone()
    }

    /// A strong validator for everything derived from this version.
    pub fn etag(&self, what: &str) -> String {
        format!(
            "\"{}-{:x}-{:x}\"",
            what, self.version, self.estimate_version
        )
    }
}

pub struct Inner {
    pub db: PathBuf,
    readers: Mutex<Vec<Reader>>,
    pub snapshot: RwLock<Arc<Snapshot>>,
    /// Timeline items as they appear, for server-sent events.
    pub events: broadcast::Sender<TimelineItem>,
    /// People per outcome of each imported list (lists never change).
    batch_cache: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    /// The latest estimate: the store version it was made at, and the result.
    estimate: Mutex<Option<(u64, Option<Arc<EstimateSummary>>)>>,
    /// An estimate is being computed.
    estimating: AtomicBool,
    /// Live sync with trusted peers, when served (`gavah serve --sync`).
    pub live: Option<Arc<crate::live::LiveNode>>,
    /// The review API for reviewers, when served (`gavah serve --review`).
    pub review: Option<Arc<crate::review::ReviewDesk>>,
}

/// Seed of the dashboard's latent-class sampler: the same store gives the
/// same published numbers.
const ESTIMATE_SEED: u64 = 1;

/// The state handlers share.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    /// Opens the store for reading and builds the first snapshot.
    pub fn open(db: PathBuf) -> Result<AppState, ApiError> {
        Self::open_with_live(db, None)
    }

    /// [`AppState::open`] answering live sync too.
    pub fn open_with_live(
        db: PathBuf,
        live: Option<crate::live::LiveNode>,
    ) -> Result<AppState, ApiError> {
        Self::open_with(db, live, None)
    }

    /// [`AppState::open`] with the optional writing parts: live sync and the
    /// review API.
    pub fn open_with(
        db: PathBuf,
        live: Option<crate::live::LiveNode>,
        review: Option<crate::review::ReviewDesk>,
    ) -> Result<AppState, ApiError> {
        let reader = Reader::open(&db)?;
        let (events, _) = broadcast::channel(256);
        let inner = Inner {
            db,
            readers: Mutex::new(Vec::new()),
            snapshot: RwLock::new(Arc::new(empty_snapshot())),
            events,
            batch_cache: Mutex::new(BTreeMap::new()),
            estimate: Mutex::new(None),
            estimating: AtomicBool::new(false),
            live: live.map(Arc::new),
            review: review.map(Arc::new),
        };
        let state = AppState(Arc::new(inner));
        // The first estimate is made before serving, so that the first answers
        // already carry it (later ones are made in the background).
        let version = reader.version()?;
        let estimate = reader.estimate(ESTIMATE_SEED).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the estimate could not be computed");
            None
        });
        *state.0.estimate.lock().map_err(|_| ApiError::poisoned())? =
            Some((version, estimate.map(Arc::new)));
        let snap = state.build_snapshot(&reader)?;
        *state.0.snapshot.write().map_err(|_| ApiError::poisoned())? = Arc::new(snap);
        state.give_back(reader);
        Ok(state)
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.0.snapshot.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn take(&self) -> Result<Reader, ApiError> {
        let pooled = self
            .0
            .readers
            .lock()
            .map_err(|_| ApiError::poisoned())?
            .pop();
        match pooled {
            Some(r) => Ok(r),
            None => Ok(Reader::open(&self.0.db)?),
        }
    }

    fn give_back(&self, reader: Reader) {
        if let Ok(mut pool) = self.0.readers.lock()
            && pool.len() < 16
        {
            pool.push(reader);
        }
    }

    /// Runs a read on a pooled connection, off the async threads.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Reader) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let reader = state.take()?;
            let out = f(&reader);
            state.give_back(reader);
            out
        })
        .await
        .map_err(|e| ApiError::internal(format!("reader task failed: {e}")))?
    }

    fn build_snapshot(&self, r: &Reader) -> Result<Snapshot, ApiError> {
        let version = r.version()?;
        let figures = r.figures()?;
        let sources = r.source_figures_beside(&figures)?;
        let claims = r.claims()?;
        let daily = r.daily()?;
        let timeline = {
            let mut cache = self
                .0
                .batch_cache
                .lock()
                .map_err(|_| ApiError::poisoned())?;
            r.timeline(&mut cache)?
        };
        let modified_ms = timeline.first().map_or(0, |t| t.recorded_ms);
        let figures_json = Body::new(
            serde_json::to_vec_pretty(&figures).map_err(|e| ApiError::internal(e.to_string()))?,
        );
        let (estimate_version, estimate) = match self
            .0
            .estimate
            .lock()
            .map_err(|_| ApiError::poisoned())?
            .as_ref()
        {
            Some((v, e)) => (*v, e.clone()),
            None => (0, None),
        };
        let mut snap = Snapshot {
            estimate,
            estimate_version,
            version,
            modified_ms,
            figures,
            sources,
            claims,
            daily,
            timeline,
            overview: [Body::plain(Vec::new()), Body::plain(Vec::new())],
            figures_json,
        };
        snap.overview = [
            Body::new(
                crate::pages::overview(Lang::En, &snap)
                    .into_string()
                    .into_bytes(),
            ),
            Body::new(
                crate::pages::overview(Lang::Fa, &snap)
                    .into_string()
                    .into_bytes(),
            ),
        ];
        Ok(snap)
    }

    /// Rebuilds the snapshot if the store changed, and announces the timeline
    /// items that are new. Returns whether anything changed.
    pub async fn refresh(&self) -> Result<bool, ApiError> {
        self.start_estimate_if_stale();
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let reader = state.take()?;
            let result = (|| {
                let old = state.snapshot();
                if reader.version()? == old.version {
                    return Ok(false);
                }
                let snap = state.build_snapshot(&reader)?;
                let known: std::collections::HashSet<&str> =
                    old.timeline.iter().map(|t| t.id.as_str()).collect();
                let fresh: Vec<TimelineItem> = snap
                    .timeline
                    .iter()
                    .filter(|t| !known.contains(t.id.as_str()))
                    .cloned()
                    .collect();
                *state.0.snapshot.write().map_err(|_| ApiError::poisoned())? = Arc::new(snap);
                // Oldest first, so a page that prepends shows newest on top.
                for item in fresh.into_iter().rev() {
                    // No subscriber is not an error.
                    let _ = state.0.events.send(item);
                }
                Ok(true)
            })();
            state.give_back(reader);
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("refresh task failed: {e}")))?
    }
}

impl AppState {
    /// Starts computing the estimate in the background when the one held is
    /// for an older store version and none is running. When it is done, the
    /// snapshot is re-rendered with it (if the store has not moved on; if it
    /// has, the next refresh starts another).
    fn start_estimate_if_stale(&self) {
        let snap = self.snapshot();
        let held = self
            .0
            .estimate
            .lock()
            .ok()
            .and_then(|e| e.as_ref().map(|(v, _)| *v));
        if held == Some(snap.version) || self.0.estimating.swap(true, Ordering::SeqCst) {
            return;
        }
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let result = (|| -> Result<(), ApiError> {
                let reader = state.take()?;
                let version = reader.version()?;
                let estimate = reader.estimate(ESTIMATE_SEED);
                let estimate = match estimate {
                    Ok(e) => e.map(Arc::new),
                    Err(e) => {
                        tracing::warn!(error = %e, "the estimate could not be computed");
                        None
                    }
                };
                *state.0.estimate.lock().map_err(|_| ApiError::poisoned())? =
                    Some((version, estimate));
                if state.snapshot().version == version {
                    let snap = state.build_snapshot(&reader)?;
                    let mut current = state.0.snapshot.write().map_err(|_| ApiError::poisoned())?;
                    // Only over the same store version: a newer snapshot that
                    // a refresh swapped in meanwhile stays.
                    if current.version == version && snap.version == version {
                        *current = Arc::new(snap);
                    }
                }
                state.give_back(reader);
                Ok(())
            })();
            if let Err(e) = result {
                tracing::warn!(error = ?e, "estimate task failed");
            }
            state.0.estimating.store(false, Ordering::SeqCst);
        });
    }
}

fn empty_snapshot() -> Snapshot {
    Snapshot {
        version: u64::MAX,
        modified_ms: 0,
        figures: FiguresReport::default(),
        sources: SourcesReport::default(),
        claims: Vec::new(),
        daily: Vec::new(),
        timeline: Vec::new(),
        overview: [Body::plain(Vec::new()), Body::plain(Vec::new())],
        figures_json: Body::plain(b"{}".to_vec()),
        estimate: None,
        estimate_version: 0,
    }
}
