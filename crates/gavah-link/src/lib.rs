//! Gavah's record-linkage engine: decides which records name the same person.
//!
//! Pure and deterministic: it reads no database, file system state or clock
//! except where a caller hands it a path (`dedupe::run`). The pipeline is
//! [`data::Dataset`] (columns of prepared values) → [`blocking`] (candidate
//! pairs) → [`compare`] (comparison levels) → [`model`] (Fellegi–Sunter, EM) →
//! [`cluster`] (clusters, constraints, review queue).

pub mod blocking;
pub mod compare;
pub mod data;
pub mod error;
pub mod model;
mod packed;
pub mod translit;

pub use error::LinkError;
pub mod cluster;
pub mod dedupe;
pub mod metrics;
pub mod pipeline;

pub use pipeline::{LinkOptions, LinkOutput, NoProgress, Phase, Progress, Scored, link, score};
