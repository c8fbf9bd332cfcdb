//! One error type for every route, with stable snake_case codes.
//!
//! A 4xx explains what was wrong with the request. A 5xx tells the client its
//! code and a request id only; the cause goes to the log, because a store error
//! can quote a row, and a row can hold a witness's name.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// Shown to the client for 4xx; logged, never shown, for 5xx.
    pub message: String,
}

/// The JSON body of an error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: not_found, bad_request, internal.
    pub error: &'static str,
    pub message: String,
    /// For a 5xx, the id under which the cause was logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<u64>,
}

impl ApiError {
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: what.into(),
        }
    }

    pub fn bad_request(what: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: what.into(),
        }
    }

    pub fn internal(cause: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: cause.into(),
        }
    }

    pub fn poisoned() -> ApiError {
        ApiError::internal("a lock was poisoned by a panic")
    }

    /// What the client may see, logging the cause of a server error.
    pub fn body(&self) -> ErrorBody {
        if self.status.is_server_error() {
            static NEXT: AtomicU64 = AtomicU64::new(1);
            let id = NEXT.fetch_add(1, Ordering::Relaxed);
            tracing::error!(request_id = id, code = self.code, cause = %self.message, "request failed");
            ErrorBody {
                error: self.code,
                message: "the server could not answer; the cause is in its log".into(),
                request_id: Some(id),
            }
        } else {
            ErrorBody {
                error: self.code,
                message: self.message.clone(),
                request_id: None,
            }
        }
    }
}

impl From<gavah_app::AppError> for ApiError {
    fn from(e: gavah_app::AppError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
