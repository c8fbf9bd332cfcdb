//! Gavah's domain: people, incidents, sources, reports, figures and claims as plain
//! types, plus the text and date handling every other crate shares (Persian script
//! normalisation, Jalali dates, the gazetteer of Iran's places).
//!
//! Architecture invariant: this crate does no IO and has no async. It never reads
//! the environment, the clock or the file system; everything it knows is passed in
//! or embedded at compile time (the gazetteer).

pub mod date;
pub mod fuzz;
pub mod gazetteer;
pub mod ids;
pub mod jalali;
pub mod model;
pub mod normalize;
pub mod protected;
pub mod vocab;

pub use date::{Calendar, Date, DatePrecision, PartialDate};
pub use ids::{EntryId, NodeId};
pub use model::*;
pub use protected::{Clearance, Protected};
