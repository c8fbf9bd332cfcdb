//! Errors of the linkage engine, with the file, row and column they concern.

use std::path::PathBuf;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}, row {row}: {reason}", path.display())]
    Csv {
        path: PathBuf,
        /// Row as a spreadsheet numbers it (the header is row 1).
        row: u64,
        reason: String,
    },
    #[error("{}: the file is empty; expected a header row and at least one record", path.display())]
    Empty { path: PathBuf },
    #[error(
        "{}, row {row}: expected {expected} columns as in the header, found {found}; check for unquoted commas or a missing value",
        path.display()
    )]
    Ragged {
        path: PathBuf,
        row: u64,
        expected: usize,
        found: usize,
    },
    #[error(
        "{}: no column named {column:?} for --id; the columns are: {}",
        path.display(),
        available.join(", ")
    )]
    MissingIdColumn {
        path: PathBuf,
        column: String,
        available: Vec<String>,
    },
    #[error(
        "{}: no column named {column:?} (given in --field); the columns are: {}",
        path.display(),
        available.join(", ")
    )]
    UnknownColumn {
        path: PathBuf,
        column: String,
        available: Vec<String>,
    },
    #[error(
        "field {spec:?}: unknown field kind {kind:?}; expected one of {}",
        crate::data::FieldKind::expected()
    )]
    UnknownFieldKind { spec: String, kind: String },
    #[error("field {spec:?}: expected COLUMN:KIND, e.g. surname:surname or dob:date")]
    BadFieldSpec { spec: String },
    #[error(
        "{}: the columns differ from the first file's; link mode needs the same header in both (first: {}; this: {})",
        path.display(),
        first.join(","),
        this.join(",")
    )]
    HeaderMismatch {
        path: PathBuf,
        first: Vec<String>,
        this: Vec<String>,
    },
    #[error("no column to compare: give at least one with --field COLUMN:KIND")]
    NoFields,
    #[error("{0} fields to compare; at most 16 are supported: mark the others COLUMN:ignore")]
    TooManyFields(usize),
    #[error("threshold {0} is not a probability; give a number between 0 and 1")]
    BadThreshold(f64),
    #[error("{}: not a usable model: {reason}", path.display())]
    Model { path: PathBuf, reason: String },
    #[error(
        "the model was trained on fields {expected:?} but this data has {found:?}; retrain or map the same columns"
    )]
    ModelMismatch {
        expected: Vec<String>,
        found: Vec<String>,
    },
    #[error(
        "records {a} and {b} are both must-linked and cannot-linked (through other records); remove one of the decisions"
    )]
    ConflictingConstraints { a: String, b: String },
}
