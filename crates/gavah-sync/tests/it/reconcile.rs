//! Tests of the reconcile module.
