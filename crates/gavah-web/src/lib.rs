//! The public face of Gavah: the dashboard pages, the JSON API and its OpenAPI
//! document, the Atom feed and the open-data exports, served by axum over the
//! same store the CLI writes.
//!
//! Architecture invariant: this is the only crate that knows HTTP. It reads the
//! store through `gavah_app::public::Reader`, whose types hold public fields
//! only, so no handler can reach a protected value.

pub mod api;
mod charts;
pub mod error;
mod export;
pub mod i18n;
pub mod live;
mod map;
pub mod pages;
pub mod review;
pub mod state;

use crate::error::ApiError;
use crate::i18n::{L, Lang};
use crate::state::{AppState, Body, Snapshot};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const STYLE_CSS: &str = include_str!("../assets/style.css");
const APP_JS: &str = include_str!("../assets/app.js");
/// Vazirmatn, subset to Persian, Arabic and Latin (SIL OFL 1.1, see assets/fonts/OFL.txt).
const FONT: &[u8] = include_bytes!("../assets/fonts/Vazirmatn-subset.woff2");

pub use export::{
    incidents_geojson_bytes as export_incidents_geojson, people_csv_bytes as export_people_csv,
    people_parquet_bytes as export_people_parquet,
};

impl From<Vec<u8>> for Body {
    fn from(plain: Vec<u8>) -> Body {
        Body::new(plain)
    }
}

impl From<Arc<[u8]>> for Body {
    fn from(plain: Arc<[u8]>) -> Body {
        Body { plain, gzip: None }
    }
}

/// Builds the router over a state. Tests drive it in-process.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/figures", get(api::figures))
        .route("/api/v1/estimate", get(api::estimate))
        .route("/api/v1/sources", get(api::sources))
        .route("/api/v1/daily", get(api::daily))
        .route("/api/v1/people", get(api::people))
        .route("/api/v1/people/{id}", get(api::person))
        .route("/api/v1/incidents", get(api::incidents))
        .route("/api/v1/incidents/{id}", get(api::incident))
        .route("/api/v1/claims", get(api::claims))
        .route("/api/v1/timeline", get(api::timeline))
        .route("/api/v1/events", get(api::events))
        .route(
            live::PATH,
            axum::routing::post(live::endpoint)
                .layer(axum::extract::DefaultBodyLimit::max(live::MAX_BODY)),
        )
        .route(review::QUEUE, get(review::queue))
        .route(review::DECISIONS, axum::routing::post(review::decide))
        .route("/feed.atom", get(export::atom))
        .route("/data/people.csv", get(export::people_csv))
        .route("/data/incidents.geojson", get(export::incidents_geojson))
        .route("/data/people.parquet", get(export::people_parquet))
        .route(
            "/assets/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS.as_bytes()) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS.as_bytes()) }),
        )
        .route(
            "/assets/vazirmatn.woff2",
            get(|| async { asset("font/woff2", FONT) }),
        )
        .route("/{lang}", get(lang_root))
        .route("/{lang}/", get(overview))
        .route("/{lang}/sources", get(sources))
        .route("/{lang}/charts", get(charts))
        .route("/{lang}/map", get(map_page))
        .route("/{lang}/people", get(people))
        .route("/{lang}/people/{id}", get(person))
        .route("/{lang}/incidents", get(incidents))
        .route("/{lang}/incidents/{id}", get(incident))
        .route("/{lang}/timeline", get(timeline))
        .route("/{lang}/claims", get(claims))
        .route("/{lang}/about", get(about))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Headers every answer carries: no third-party anything, no referrer leaking
/// which victim's page a reader came from.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// An HTTP date (RFC 9110 IMF-fixdate) from milliseconds since 1970.
pub fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
}

/// Answers with bytes derived from a snapshot, with ETag and Last-Modified,
/// or 304 when the client already holds them.
pub(crate) fn cached(
    headers: &HeaderMap,
    snap: &Snapshot,
    what: &str,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let body: Body = body.into();
    let etag = snap.etag(what);
    let modified = http_date(snap.modified_ms);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.trim().split(';').next() == Some("gzip"))
        });
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if let (true, Some(gz)) = (gzip_ok, body.gzip) {
        (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            axum::body::Bytes::from_owner(gz),
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, content_type)],
            axum::body::Bytes::from_owner(body.plain),
        )
            .into_response()
    };
    let h = res.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    res
}

/// Splits a query string into values, refusing a repeated parameter or text
/// that does not decode.
pub(crate) fn query_map(raw: Option<&str>) -> Result<BTreeMap<String, String>, ApiError> {
    let mut m = BTreeMap::new();
    let Some(raw) = raw else {
        return Ok(m);
    };
    if raw.len() > 2048 {
        return Err(ApiError::bad_request(
            "the query string is longer than 2048 bytes",
        ));
    }
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode(k)?;
        let v = decode(v)?;
        if m.insert(k.clone(), v).is_some() {
            return Err(ApiError::bad_request(format!(
                "query parameter '{k}' is given twice"
            )));
        }
    }
    Ok(m)
}

/// Percent-decodes one query component. By hand rather than with
/// `form_urlencoded::parse`, which passes a malformed `%ZZ` or invalid UTF-8
/// through silently: a bad request must be answered with a 400 that says so.
fn decode(s: &str) -> Result<String, ApiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "a % in the query is not followed by two hexadecimal digits",
                        )
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::bad_request("the query is not valid UTF-8"))
}

/// A page request's language, or 404.
fn lang_of(code: &str) -> Result<Lang, PageError> {
    Lang::from_code(code).ok_or(PageError(
        Lang::En,
        ApiError::not_found(format!(
            "no page at /{}",
            code.chars().take(40).collect::<String>()
        )),
    ))
}

/// An error on an HTML page: the same status and message, as a page.
pub struct PageError(Lang, ApiError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(lang, e) = self;
        let title = if e.status == StatusCode::NOT_FOUND {
            L::NotFound
        } else {
            L::BadRequest
        };
        let body = e.body();
        let message = match &body.request_id {
            Some(id) => format!("{} ({id})", body.message),
            None => body.message,
        };
        (
            e.status,
            Html(pages::error(lang, title, &message).into_string()),
        )
            .into_response()
    }
}

type PageResult = Result<Response, PageError>;

fn html(m: maud::Markup) -> Response {
    Html(m.into_string()).into_response()
}

async fn root(headers: HeaderMap) -> Redirect {
    // A Persian-speaking browser lands on the Persian pages.
    let fa = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| first.trim().to_ascii_lowercase().starts_with("fa"));
    Redirect::to(if fa { "/fa/" } else { "/en/" })
}

async fn lang_root(Path(lang): Path<String>) -> PageResult {
    let lang = lang_of(&lang)?;
    Ok(Redirect::permanent(&format!("/{}/", lang.code())).into_response())
}

async fn not_found() -> PageError {
    PageError(Lang::En, ApiError::not_found("no page at this address"))
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        api::openapi_json(),
    )
        .into_response()
}

async fn overview(
    State(s): State<AppState>,
    Path(lang): Path<String>,
    headers: HeaderMap,
) -> PageResult {
    let lang = lang_of(&lang)?;
    let snap = s.snapshot();
    Ok(cached(
        &headers,
        &snap,
        &format!("overview-{}", lang.code()),
        "text/html; charset=utf-8",
        snap.overview(lang),
    ))
}

macro_rules! snapshot_page {
    ($name:ident, $render:expr) => {
        async fn $name(
            State(s): State<AppState>,
            Path(lang): Path<String>,
            headers: HeaderMap,
        ) -> PageResult {
            let lang = lang_of(&lang)?;
            let snap = s.snapshot();
            let body = ($render)(lang, &*snap).into_string().into_bytes();
            Ok(cached(
                &headers,
                &snap,
                &format!("{}-{}", stringify!($name), lang.code()),
                "text/html; charset=utf-8",
                Body::from(body),
            ))
        }
    };
}

snapshot_page!(sources, pages::sources);
snapshot_page!(charts, pages::charts_page);
snapshot_page!(map_page, pages::map_page);
snapshot_page!(timeline, pages::timeline);
snapshot_page!(claims, pages::claims);
snapshot_page!(about, |lang, _: &Snapshot| pages::about(lang));

async fn people(
    State(s): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let lang = lang_of(&lang)?;
    let req = api::people_request(q).map_err(|e| PageError(lang, e))?;
    let (page, query) = api::people_page(&s, req)
        .await
        .map_err(|e| PageError(lang, e))?;
    Ok(html(pages::people(lang, &page, &query)))
}

async fn person(State(s): State<AppState>, Path((lang, id)): Path<(String, String)>) -> PageResult {
    let lang = lang_of(&lang)?;
    let d = api::load_person(&s, &id)
        .await
        .map_err(|e| PageError(lang, e))?;
    Ok(html(pages::person(lang, &d)))
}

async fn incidents(
    State(s): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let lang = lang_of(&lang)?;
    let page = api::incidents_page(&s, q)
        .await
        .map_err(|e| PageError(lang, e))?;
    Ok(html(pages::incidents(lang, &page)))
}

async fn incident(
    State(s): State<AppState>,
    Path((lang, id)): Path<(String, String)>,
) -> PageResult {
    let lang = lang_of(&lang)?;
    let d = api::load_incident(&s, &id)
        .await
        .map_err(|e| PageError(lang, e))?;
    Ok(html(pages::incident(lang, &d)))
}

/// How often the server looks for new entries in the store.
pub const REFRESH_EVERY: Duration = Duration::from_millis(250);

/// Keeps the snapshot current and feeds the live timeline.
pub fn spawn_refresher(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = state.refresh().await {
                tracing::warn!(code = e.code, cause = %e.message, "could not refresh the dashboard");
            }
        }
    })
}

/// Serves the dashboard until interrupted (Ctrl-C or SIGTERM). `on_ready` is
/// told the address actually bound (port 0 picks a free one).
pub fn serve(
    db: PathBuf,
    addr: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ApiError> {
    serve_with_live(db, addr, None, on_ready)
}

/// [`serve`], answering live sync from trusted peers when `live` is given.
pub fn serve_with_live(
    db: PathBuf,
    addr: SocketAddr,
    live: Option<live::LiveNode>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ApiError> {
    serve_with(db, addr, live, None, on_ready)
}

/// [`serve`] with the optional writing parts: live sync from trusted peers
/// (`live`) and the review API for reviewers (`review`).
pub fn serve_with(
    db: PathBuf,
    addr: SocketAddr,
    live: Option<live::LiveNode>,
    review: Option<review::ReviewDesk>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ApiError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ApiError::internal(format!("cannot start the server runtime: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| ApiError::internal(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let state = AppState::open_with(db, live, review)?;
        let refresher = spawn_refresher(state.clone());
        on_ready(bound);
        let served = axum::serve(listener, app(state))
            .with_graceful_shutdown(shutdown())
            .await;
        refresher.abort();
        served.map_err(|e| ApiError::internal(format!("the server stopped: {e}")))
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
