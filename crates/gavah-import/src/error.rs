//! Import problems: each names the file, the row, the column, the value and
//! what was expected, in the shape of ripgrep's `globset::Error` (the input
//! plus a `#[non_exhaustive]` kind).

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: an error stops the import, a warning is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem with an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// The file's path as given.
    pub file: PathBuf,
    /// The row as a spreadsheet shows it (header is row 1), when the problem is in one.
    pub row: Option<u64>,
    /// The column's header, when the problem is in one.
    pub column: Option<String>,
    /// The offending value. Never set for protected columns (witness, contact,
    /// notes): a terminal or a log is not a safe place for them.
    pub value: Option<String>,
    pub kind: ProblemKind,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file does not exist or cannot be read.
    Io(String),
    /// The bytes are not text in an encoding we read.
    Encoding(String),
    /// The file's structure is broken (CSV quoting, a damaged XLSX, bad JSON).
    Malformed(String),
    /// The file has no header or no rows.
    Empty(String),
    /// No column could be used as a name or a status.
    NoUsableColumns { headers: Vec<String> },
    /// A row has a different number of fields from the header.
    Ragged { expected: usize, found: usize },
    /// A field is too long to be a value of its column.
    TooLong { len: usize, max: usize },
    /// A value of a known kind that we do not recognise.
    UnknownValue { expected: String },
    /// A date that does not parse.
    BadDate(String),
    /// A number that does not parse or is out of range.
    BadNumber { expected: String },
    /// A place not found in the gazetteer: kept as written.
    UnresolvedPlace,
    /// A column the importer does not know: kept in the raw row.
    UnknownColumn,
    /// The mapping file is wrong.
    Mapping(String),
    /// Anything else worth saying about the file.
    Note(String),
}

impl Problem {
    pub fn error(file: &Path, kind: ProblemKind) -> Problem {
        Problem {
            severity: Severity::Error,
            file: file.to_path_buf(),
            row: None,
            column: None,
            value: None,
            kind,
        }
    }

    pub fn warning(file: &Path, kind: ProblemKind) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, kind)
        }
    }

    pub fn at_row(mut self, row: u64) -> Problem {
        self.row = Some(row);
        self
    }

    pub fn in_column(mut self, column: &str) -> Problem {
        self.column = Some(column.to_string());
        self
    }

    pub fn with_value(mut self, value: &str) -> Problem {
        // Long values are cut so one bad cell cannot flood the terminal.
        let shown: String = value.chars().take(80).collect();
        self.value = Some(if shown.len() < value.len() {
            format!("{shown}…")
        } else {
            shown
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Io(m)
            | ProblemKind::Encoding(m)
            | ProblemKind::Malformed(m)
            | ProblemKind::Empty(m) => f.write_str(m),
            ProblemKind::NoUsableColumns { headers } => write!(
                f,
                "no column holds a name or a status (headers: {}); expected a header such as 'name', \
                 'نام و نام خانوادگی', 'status', 'وضعیت' or an HXL tag such as '#affected+name', \
                 or a --mapping file naming the columns",
                headers
                    .iter()
                    .map(|h| format!("'{h}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ProblemKind::Ragged { expected, found } => {
                write!(
                    f,
                    "the row has {found} fields; expected {expected}, as in the header"
                )
            }
            ProblemKind::TooLong { len, max } => {
                write!(
                    f,
                    "the value is {len} bytes long; expected at most {max} in one field"
                )
            }
            ProblemKind::UnknownValue { expected } => {
                write!(
                    f,
                    "unknown value; expected one of: {expected} (or add it under [values] in a --mapping file)"
                )
            }
            ProblemKind::BadDate(reason) => f.write_str(reason),
            ProblemKind::BadNumber { expected } => write!(f, "expected {expected}"),
            ProblemKind::UnresolvedPlace => f.write_str(
                "place not found in the gazetteer of Iran's provinces and cities; kept as written",
            ),
            ProblemKind::UnknownColumn => {
                f.write_str("unknown column; kept in the raw row, not parsed")
            }
            ProblemKind::Mapping(m) => write!(f, "mapping: {m}"),
            ProblemKind::Note(m) => f.write_str(m),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: {}", self.file.display())?;
        if let Some(row) = self.row {
            write!(f, ": row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": column '{column}'")?;
        }
        if let Some(value) = &self.value {
            write!(f, ": value '{value}'")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for Problem {}
