//! Tests of the bundle module.
