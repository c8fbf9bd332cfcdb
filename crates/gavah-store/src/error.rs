//! Store errors, each saying what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("no Gavah store at {0}; run `gavah init` to create one, or pass --db")]
    NotFound(PathBuf),
    #[error("{0} already exists; choose another path or remove it first")]
    Exists(PathBuf),
    #[error("{0} is not a Gavah store: {1}")]
    NotAStore(PathBuf, String),
    #[error(
        "{0} is busy: another gavah process is writing a large import, bundle or rebuild \
         to it; try again when that has finished"
    )]
    Busy(PathBuf),
    #[error("cannot migrate the store's schema: {0}")]
    Migration(String),
    #[error("the store is damaged ({0}); restore it from a backup or run `gavah rebuild`")]
    Corrupt(String),
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(transparent)]
    Body(#[from] gavah_entry::BodyError),
}
