//! The review API, for users with the reviewer role (`gavah user add`):
//! `GET /api/v1/review` lists the uncertain pairs of reports, most
//! consequential first, with both reports' compared fields and the weight each
//! field gave; `POST /api/v1/review/decisions` records link decisions (same
//! person or not) under the user's name and re-links the store once.
//!
//! Served only with `gavah serve --review`. Every request carries
//! `Authorization: Bearer TOKEN`; a missing or unknown token gets 401, a role
//! that may not review 403. Protected fields (witness, contact, notes) are in
//! no pair: the queue shows what linkage compares and where each report came
//! from.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gavah_app::{App, NoProgress, ReviewPair, User};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

pub const QUEUE: &str = "/api/v1/review";
pub const DECISIONS: &str = "/api/v1/review/decisions";
/// Most pairs one request may ask for.
const MAX_LIMIT: usize = 500;
/// Most decisions one request may record.
const MAX_DECISIONS: usize = 1_000;

/// A store handle that writes, for the review routes.
pub struct ReviewDesk {
    app: Mutex<App>,
}

impl ReviewDesk {
    pub fn new(app: App) -> ReviewDesk {
        ReviewDesk {
            app: Mutex::new(app),
        }
    }
}

fn unauthorized(message: &str) -> Response {
    let mut r = ApiError {
        status: StatusCode::UNAUTHORIZED,
        code: "unauthorized",
        message: message.into(),
    }
    .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer realm=\"gavah\""),
    );
    r
}

/// The reviewer a request comes from, or the response refusing it.
fn reviewer(app: &App, headers: &HeaderMap) -> Result<User, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "this needs a reviewer's token: send Authorization: Bearer TOKEN \
             (a documenter makes one with `gavah user add NAME`)",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return Err(unauthorized(
            "the Authorization header must be: Bearer TOKEN",
        ));
    };
    let user = app
        .authenticate(token)
        .map_err(|e| ApiError::internal(e.to_string()).into_response())?;
    let Some(user) = user else {
        return Err(unauthorized(
            "this token is not valid here (mistyped, or its user was removed)",
        ));
    };
    if !user.role.may_review() {
        return Err(ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: format!("the role {} may not review pairs", user.role.as_str()),
        }
        .into_response());
    }
    Ok(user)
}

fn desk(state: &AppState) -> Result<std::sync::Arc<ReviewDesk>, Response> {
    state.0.review.clone().ok_or_else(|| {
        ApiError::not_found(
            "this server does not take reviews; its documenter can start it with `gavah serve --review`",
        )
        .into_response()
    })
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    /// Pairs to return (default 20, at most 500).
    limit: Option<usize>,
}

#[derive(Serialize)]
struct Queue {
    reviewer: String,
    pairs: Vec<ReviewPair>,
}

/// `GET /api/v1/review`.
pub async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<QueueQuery>,
) -> Response {
    let desk = match desk(&state) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let limit = q.limit.unwrap_or(20).clamp(1, MAX_LIMIT);
    let answered = tokio::task::spawn_blocking(move || {
        let app = desk
            .app
            .lock()
            .map_err(|_| ApiError::poisoned().into_response())?;
        let user = reviewer(&app, &headers)?;
        let pairs = app
            .review_queue(limit, &NoProgress)
            .map_err(|e| app_error(&e))?;
        Ok::<_, Response>(Queue {
            reviewer: user.name,
            pairs,
        })
    })
    .await;
    reply(answered)
}

/// The JSON answer of a review task, or its refusal.
fn reply<T: Serialize>(answered: Result<Result<T, Response>, tokio::task::JoinError>) -> Response {
    match answered {
        Ok(Ok(body)) => Json(body).into_response(),
        Ok(Err(r)) => r,
        Err(e) => ApiError::internal(format!("the review task failed: {e}")).into_response(),
    }
}

/// One decision in a `POST /api/v1/review/decisions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Report ids as the queue gives them (32 hexadecimal digits).
    a: String,
    b: String,
    /// "same" or "different".
    decision: String,
    /// Why (kept internal, never published).
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decisions {
    decisions: Vec<Decision>,
}

#[derive(Serialize)]
struct Recorded {
    reviewer: String,
    /// The ids of the decision entries, in the order given.
    recorded: Vec<String>,
    /// Distinct people after the store was re-linked.
    people: u64,
}

/// `POST /api/v1/review/decisions`: every decision is checked before any is
/// recorded; then they are recorded and the store re-linked once.
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let desk = match desk(&state) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let answered = tokio::task::spawn_blocking(move || {
        let mut app = desk.app.lock().map_err(|_| ApiError::poisoned().into_response())?;
        let user = reviewer(&app, &headers)?;
        let d: Decisions = serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body must be {{\"decisions\": [{{\"a\": REPORT_ID, \"b\": REPORT_ID, \
                 \"decision\": \"same\"|\"different\", \"note\": TEXT}}]}}: {e}"
            ))
            .into_response()
        })?;
        if d.decisions.is_empty() || d.decisions.len() > MAX_DECISIONS {
            return Err(ApiError::bad_request(format!(
                "give 1 to {MAX_DECISIONS} decisions, not {}",
                d.decisions.len()
            ))
            .into_response());
        }
        let mut checked = Vec::with_capacity(d.decisions.len());
        for (i, one) in d.decisions.into_iter().enumerate() {
            let same = match one.decision.as_str() {
                "same" => true,
                "different" => false,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "decision {}: 'decision' must be \"same\" or \"different\", not \"{other}\"",
                        i + 1
                    ))
                    .into_response());
                }
            };
            checked.push((one.a, one.b, same, one.note));
        }
        let recorded: Vec<String> = app
            .decide_as(&user, &checked)
            .map_err(|e| app_error(&e))?
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        app.relink(&NoProgress).map_err(|e| app_error(&e))?;
        let people = app.figures().map_err(|e| app_error(&e))?.people;
        Ok::<_, Response>(Recorded {
            reviewer: user.name,
            recorded,
            people,
        })
    })
    .await;
    reply(answered)
}

fn app_error(e: &gavah_app::AppError) -> Response {
    match e {
        gavah_app::AppError::Invalid(m) => ApiError::bad_request(m.clone()).into_response(),
        other => ApiError::internal(other.to_string()).into_response(),
    }
}
