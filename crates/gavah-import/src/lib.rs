//! Reading casualty lists: CSV and TSV (UTF-8, UTF-16, Windows-1256), XLSX and
//! ODS spreadsheets and JSON Lines, with column mapping from English and Persian
//! headers and HXL hashtags, and row parsing into `gavah-core` types.
//!
//! Architecture invariant: this crate never touches the store. It reads a file
//! and hands back values and problems; `gavah-app` decides what to commit.
//! Architecture invariant: a problem never carries the value of a protected
//! column (witness, contact, notes).

pub mod error;
pub mod fuzz;
pub mod mapping;
pub mod parse;
pub mod reader;

pub use error::{Problem, ProblemKind, Severity};
pub use mapping::{Field, Mapping};
pub use parse::{FigureParser, FigureRow, PeopleParser};
pub use reader::{Format, RawRow, ReadOptions, Table};
