//! Blackout sync: how entries leave one node and reach another over whatever
//! link exists: signed entries and node keys, encrypted bundles padded to size
//! buckets, fountain-coded chunks for tiny lossy channels, and set reconciliation
//! for live links.
//!
//! Architecture invariant: this crate never speaks SQL. It works on entries as
//! opaque canonical bytes and on sets of entry ids; `gavah-app` joins it to the
//! store.

pub mod bundle;
pub mod chunk;
pub mod live;
pub mod lock;
pub mod reconcile;
