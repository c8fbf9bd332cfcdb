//! Errors of the use cases, each saying what to do next.

use gavah_import::Problem;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] gavah_store::StoreError),
    /// The input file could not be read at all (missing, wrong format, no usable columns).
    #[error("{0}")]
    Input(Box<Problem>),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Other(String),
}

impl From<Problem> for AppError {
    fn from(p: Problem) -> Self {
        AppError::Input(Box::new(p))
    }
}
