//! Multiple systems estimation: how many people no list recorded.
//!
//! An engine with no database and no IO beyond reading a capture-history CSV
//! ([`table`]). [`loglinear`] fits the Rcapture family of log-linear models;
//! [`stepwise`] is SparseMSE's stepwise model; [`bootstrap`] gives bootstrap
//! intervals; [`lcmcr`] samples the Bayesian latent-class model of Manrique-Vallier
//! (2016); [`sim`] makes synthetic populations to check both.

pub mod bootstrap;
pub mod diagnostics;
pub mod lcmcr;
mod linalg;
pub mod loglinear;
pub mod sim;
mod special;
pub mod stepwise;
pub mod table;

pub use table::{CaptureTable, Problem, ProblemKind, TableError, TableWarning};
