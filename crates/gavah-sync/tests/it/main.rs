//! Integration tests of gavah-sync, one module per part.

mod bundle;
mod chunk;
mod reconcile;
