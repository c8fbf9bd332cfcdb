//! Sweeps of the latent-class sampler over many seeds, for instruction
//! counts that do not hang on one random path through the posterior (the cost
//! of a sweep depends on the state, and `bench gibbs` runs only 3 seeds):
//! `valgrind --tool=callgrind target/release/examples/gibbs_cost 1 12 10000`
//! (seeds 1 to 12, 10,000 sweeps each after the 500 of warm-up).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Instant;

use gavah_estimate::lcmcr::{Settings, time_sweeps};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (first, last, sweeps) = match args[..] {
        [a, b, s] => (a, b, s as usize),
        _ => (1, 12, 10_000),
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mse");
    // The table of `bench gibbs`: lesbian scaled to 10,001 people.
    let t = common::gibbs_table(&dir);
    let start = Instant::now();
    let mut n0 = 0;
    for seed in first..=last {
        n0 += time_sweeps(
            &t,
            &Settings {
                seed,
                ..Settings::default()
            },
            sweeps,
        );
    }
    let secs = start.elapsed().as_secs_f64();
    let total = (last - first + 1) as f64 * (sweeps + 500) as f64;
    println!(
        "{} seeds × {} sweeps (+500 warm-up): {:.0} sweeps/s, sum of last n0 {n0}",
        last - first + 1,
        sweeps,
        total / secs
    );
}
