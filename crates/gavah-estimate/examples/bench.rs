//! Benchmarks for docs/BENCHMARKS.md: the 1,024 two-way log-linear models of a
//! five-list table, and Gibbs sweeps per second on four lists with 10,000 observed.
//!
//! `cargo run --release -p gavah-estimate --example bench`
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Instant;

use gavah_estimate::CaptureTable;
use gavah_estimate::lcmcr::{Settings, time_sweeps};
use gavah_estimate::loglinear::{Criterion, Search};

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mse");
    let only_gibbs = std::env::args().nth(1).as_deref() == Some("gibbs");
    if std::env::args().nth(1).as_deref() == Some("bootstrap") {
        bootstrap_timing(&dir);
        return;
    }
    for name in ["NewOrl_5", "Ned_5"] {
        if only_gibbs {
            break;
        }
        let t = CaptureTable::read_csv(&dir.join(format!("{name}.csv"))).unwrap();
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let start = Instant::now();
            let s = Search::run(&t, 2);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            assert_eq!(s.fits.len(), 1024);
            std::hint::black_box(s.best(Criterion::Bic));
            best = best.min(ms);
        }
        println!("log-linear, {name}: 1,024 two-way models in {best:.1} ms (best of 5)");
        let start = Instant::now();
        let s = Search::run(&t, 4);
        println!(
            "log-linear, {name}: all {} hierarchical models (up to four-way) in {:.0} ms",
            s.fits.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    // 4 lists, 10,000 observed: the lesbian table's shape scaled up.
    let t = common::gibbs_table(&dir);
    let sweeps = 10_000;
    let mut best = 0.0f64;
    for seed in 1..=3 {
        let start = Instant::now();
        std::hint::black_box(time_sweeps(
            &t,
            &Settings {
                seed,
                ..Settings::default()
            },
            sweeps,
        ));
        best = best.max(sweeps as f64 / start.elapsed().as_secs_f64());
    }
    println!(
        "latent class, 4 lists, {} observed, K = 10: {best:.0} sweeps/s (best of 3 runs of {sweeps})",
        t.observed()
    );
}

/// SparseMSE-style stepwise fits and 1,000-resample bootstraps, timed:
/// `cargo run --release -p gavah-estimate --example bench bootstrap`.
fn bootstrap_timing(dir: &std::path::Path) {
    use gavah_estimate::bootstrap::{Settings, bca_stepwise, parametric};
    use gavah_estimate::loglinear::Model;
    use gavah_estimate::stepwise::stepwise;
    println!("| table | lists | stepwise fit | BCa, 1,000 | parametric (independence), 1,000 |");
    for name in ["lesbian", "HIV", "NewOrl_5", "Ned_5"] {
        let table = CaptureTable::read_csv(&dir.join(format!("{name}.csv"))).unwrap();
        let t0 = Instant::now();
        for _ in 0..100 {
            std::hint::black_box(stepwise(&table, 0.02).unwrap());
        }
        let step = t0.elapsed().as_secs_f64() / 100.0;
        let t0 = Instant::now();
        std::hint::black_box(bca_stepwise(&table, 0.02, &Settings::default()).unwrap());
        let bca = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        std::hint::black_box(
            parametric(
                &table,
                &Model::independence(table.k()),
                &Settings::default(),
            )
            .unwrap(),
        );
        let par = t0.elapsed().as_secs_f64();
        println!(
            "| {name} | {} | {:.2} ms | {bca:.2} s | {par:.3} s |",
            table.k(),
            step * 1e3
        );
    }
}
