//! Live sync over HTTP: the endpoint `POST /api/sync/v1` that `gavah serve
//! --sync` adds, and the client `gavah sync` uses.
//!
//! Request and reply bodies are sealed bundles (see `gavah_app::live`):
//! encrypted end to end and signed by the node keys, so the link needs no TLS
//! for secrecy or authentication (an observer sees sizes and timing; put the
//! server behind a TLS proxy to hide those too). Only trusted peers are
//! served; nothing public is read or written here.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gavah_app::{App, LiveRefusal, LiveSessions};
use gavah_sync::bundle::{NodeSecret, PrekeyRing};
use std::sync::Mutex;

/// The path of the endpoint.
pub const PATH: &str = "/api/sync/v1";
/// Largest request or reply body: a batch of entries, sealed.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// What a serving node needs to answer live sync: its keys and a store
/// handle that writes.
pub struct LiveNode {
    app: Mutex<App>,
    secret: NodeSecret,
    ring: PrekeyRing,
    sessions: Mutex<LiveSessions>,
}

impl LiveNode {
    pub fn new(app: App, secret: NodeSecret, ring: PrekeyRing) -> LiveNode {
        LiveNode {
            app: Mutex::new(app),
            secret,
            ring,
            sessions: Mutex::new(LiveSessions::default()),
        }
    }

    fn answer(&self, body: &[u8]) -> Result<Vec<u8>, ApiError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut app = self.app.lock().map_err(|_| ApiError::poisoned())?;
        let mut sessions = self.sessions.lock().map_err(|_| ApiError::poisoned())?;
        app.live_answer(&self.secret, &self.ring, &mut sessions, body, now)
            .map_err(|e| match e {
                LiveRefusal::Unreadable(m) => ApiError::bad_request(m),
                LiveRefusal::Untrusted(_) => ApiError {
                    status: StatusCode::FORBIDDEN,
                    code: "forbidden",
                    message: e.to_string(),
                },
                LiveRefusal::App(e) => ApiError::internal(e.to_string()),
            })
    }
}

/// `POST /api/sync/v1`.
pub async fn endpoint(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(live) = state.0.live.clone() else {
        return ApiError::not_found(
            "this server does not sync; its documenter can start it with `gavah serve --sync`",
        )
        .into_response();
    };
    let answered = tokio::task::spawn_blocking(move || live.answer(&body)).await;
    match answered {
        Ok(Ok(bytes)) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::internal(format!("the sync task failed: {e}")).into_response(),
    }
}

/// A blocking HTTP client for `gavah sync`: posts sealed bodies to a peer.
pub struct Client {
    rt: tokio::runtime::Runtime,
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        axum::body::Body,
    >,
    uri: axum::http::Uri,
}

impl Client {
    /// A client for the peer at `base` (`http://host:port`, with or without
    /// the endpoint's path).
    ///
    /// # Errors
    /// A message when the address cannot be used.
    pub fn new(base: &str) -> Result<Client, String> {
        let base = base.trim().trim_end_matches('/');
        if base.starts_with("https://") {
            return Err(
                "https:// is not supported by this client: sync messages are encrypted and signed end to end, so use http:// (a TLS proxy in front of the server may terminate https for other clients)"
                    .into(),
            );
        }
        if !base.starts_with("http://") {
            return Err(format!(
                "'{base}' is not an http:// address of a Gavah server"
            ));
        }
        let full = if base.ends_with(PATH) {
            base.to_string()
        } else {
            format!("{base}{PATH}")
        };
        let uri = full
            .parse()
            .map_err(|e| format!("'{base}' is not a usable address: {e}"))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the client runtime: {e}"))?;
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        Ok(Client { rt, client, uri })
    }

    /// Posts one body and returns the reply body.
    ///
    /// # Errors
    /// A message saying whether the link failed or the server refused, and why.
    pub fn post(&self, body: Vec<u8>) -> Result<Vec<u8>, String> {
        self.rt.block_on(async {
            let request = axum::http::Request::post(self.uri.clone())
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(axum::body::Body::from(body))
                .map_err(|e| e.to_string())?;
            let response = tokio::time::timeout(
                std::time::Duration::from_secs(300),
                self.client.request(request),
            )
            .await
            .map_err(|_| "no answer within 5 minutes".to_string())?
            .map_err(|e| format!("cannot reach {}: {e}", self.uri))?;
            let status = response.status();
            let bytes = axum::body::to_bytes(axum::body::Body::new(response.into_body()), MAX_BODY)
                .await
                .map_err(|e| format!("the answer was cut off: {e}"))?;
            if !status.is_success() {
                let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_string))
                    .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
                return Err(format!("the server answered {status}: {message}"));
            }
            Ok(bytes.to_vec())
        })
    }
}
