//! Shared server state: a pool of read-only store connections, and a snapshot
//! of everything the busiest pages show, rebuilt when the store changes.
//!
//! The overview and `/api/v1/figures` are answered from the snapshot's
//! pre-rendered bytes, so they cost no query at all; other pages query the
//! store through the pool on the blocking thread pool.

use crate::error::ApiError;
use crate::i18n::Lang;
use gavah_app::public::{DailyCount, PublicClaim, Reader, TimelineItem};
use gavah_app::{FiguresReport, SourcesReport};
use std::collections::BTreeMap;
use std::path::PathBuf;
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
        format!("\"{}-{:x}\"", what, self.version)
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
}

/// The state handlers share.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    /// Opens the store for reading and builds the first snapshot.
    pub fn open(db: PathBuf) -> Result<AppState, ApiError> {
        let reader = Reader::open(&db)?;
        let (events, _) = broadcast::channel(256);
        let inner = Inner {
            db,
            readers: Mutex::new(Vec::new()),
            snapshot: RwLock::new(Arc::new(empty_snapshot())),
            events,
            batch_cache: Mutex::new(BTreeMap::new()),
        };
        let state = AppState(Arc::new(inner));
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
        let mut snap = Snapshot {
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
    }
}
