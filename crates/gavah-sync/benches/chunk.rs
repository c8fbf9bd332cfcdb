//! Benchmark of the chunk module: prints its figures (run with `cargo bench -p gavah-sync --bench chunk`).
//!
//! For chunks of 110, 800 and 1,200 bytes and bundles of 4 KB, 64 KB and 1 MB:
//! how many distinct chunks a joiner needed to rebuild the bundle when chunks
//! arrive in random order from a random subset (random loss), over many
//! trials; the framing overhead per chunk; and split and join throughput.
//! `CHUNK_BENCH_TRIALS` overrides the trial counts (a number per cell, or
//! three numbers for the 4 KB, 64 KB and 1 MB columns).

// A benchmark's job is to print its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use gavah_sync::chunk::{Channel, Chunk, HEADER_BYTES, Joiner, Pushed, split};
use rand::seq::SliceRandom;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const CHUNK_SIZES: [usize; 3] = [110, 800, 1_200];
const BUNDLE_SIZES: [(usize, &str); 3] = [
    (4 * 1024, "4 KB"),
    (64 * 1024, "64 KB"),
    (1024 * 1024, "1 MB"),
];
/// Trials per cell for each bundle size (more for the cheap small ones).
const DEFAULT_TRIALS: [usize; 3] = [100_000, 20_000, 1_000];
/// Overheads (chunks beyond K) counted separately; more are lumped together.
const TRACKED: usize = 4;

struct Cell {
    chunk_bytes: usize,
    bundle: &'static str,
    k: usize,
    available: usize,
    trials: usize,
    /// counts[o] = trials that needed K + o chunks (the last entry: K + TRACKED or more).
    counts: [usize; TRACKED + 1],
    failures: usize,
    split_time: Duration,
    join_time: Duration,
}

fn main() {
    let trials = trial_counts();
    let mut cells = Vec::new();
    for chunk_bytes in CHUNK_SIZES {
        for (column, (bundle_len, label)) in BUNDLE_SIZES.into_iter().enumerate() {
            cells.push(run_cell(chunk_bytes, bundle_len, label, trials[column]));
        }
    }
    print_table(&cells);
}

fn trial_counts() -> [usize; 3] {
    let Ok(text) = std::env::var("CHUNK_BENCH_TRIALS") else {
        return DEFAULT_TRIALS;
    };
    let numbers: Vec<usize> = text
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    match numbers[..] {
        [n] => [n; 3],
        [a, b, c] => [a, b, c],
        _ => DEFAULT_TRIALS,
    }
}

fn run_cell(chunk_bytes: usize, bundle_len: usize, label: &'static str, trials: usize) -> Cell {
    let mut bundle = vec![0; bundle_len];
    ChaCha8Rng::seed_from_u64(bundle_len as u64).fill_bytes(&mut bundle);
    let k = bundle_len.div_ceil(chunk_bytes - HEADER_BYTES);
    // Enough repair chunks that K + a few are always there after a random 20% loss.
    let extra = ((16 * 100 / k) as u32).max(25);
    // The best of several splits: the machine is shared, so the fastest run is
    // the one least disturbed by other work.
    let mut split_time = Duration::MAX;
    let mut chunks = Vec::new();
    for _ in 0..(8 * 1024 * 1024 / bundle_len).clamp(3, 50) {
        let started = Instant::now();
        chunks = split(&bundle, Channel::Udp, Some(chunk_bytes), extra).expect("split");
        split_time = split_time.min(started.elapsed());
    }
    assert!(chunks.iter().all(|c| c.as_bytes().len() == chunk_bytes));
    let framing: usize = chunks
        .iter()
        .map(|c| c.as_bytes().len() - c.payload().len())
        .sum();
    assert_eq!(framing, chunks.len() * HEADER_BYTES);

    let outcomes: Vec<(Option<usize>, Duration)> = (0..trials)
        .into_par_iter()
        .map(|trial| one_trial(&chunks, &bundle, trial as u64))
        .collect();
    let mut times: Vec<Duration> = outcomes.iter().map(|(_, time)| *time).collect();
    times.sort();
    let join_time = times[times.len() / 2];
    let mut counts = [0; TRACKED + 1];
    let mut failures = 0;
    for (used, _) in outcomes {
        match used {
            Some(used) => counts[(used - k).min(TRACKED)] += 1,
            None => failures += 1,
        }
    }
    let cell = Cell {
        chunk_bytes,
        bundle: label,
        k,
        available: chunks.len(),
        trials,
        counts,
        failures,
        split_time,
        join_time,
    };
    eprintln!("done {} B chunks, {label}: {:?}", chunk_bytes, cell.counts);
    cell
}

/// Feeds the chunks in a random order (the first ones to arrive from a lossy
/// channel) until the bundle rebuilds; returns how many distinct chunks it
/// took, and the time spent in the joiner.
fn one_trial(chunks: &[Chunk], bundle: &[u8], seed: u64) -> (Option<usize>, Duration) {
    let mut order: Vec<Chunk> = chunks.to_vec();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let started = Instant::now();
    let mut joiner = Joiner::new();
    for (n, chunk) in order.into_iter().enumerate() {
        if let Pushed::Joined(joined) = joiner.push(chunk) {
            let time = started.elapsed();
            assert_eq!(joined.bytes, bundle, "rebuilt bundle differs");
            return (Some(n + 1), time);
        }
    }
    (None, started.elapsed())
}

fn print_table(cells: &[Cell]) {
    println!(
        "Fountain chunks: distinct chunks needed to rebuild, random order from all chunks (random loss)"
    );
    println!();
    println!(
        "| chunk | bundle | K | chunks made | trials | K | K+1 | K+2 | K+3 | ≥K+4 | failed | ≤ K+2 | framing/chunk |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for cell in cells {
        let within = cell.counts[..=2].iter().sum::<usize>();
        println!(
            "| {} B | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.4}% | {} B |",
            cell.chunk_bytes,
            cell.bundle,
            cell.k,
            cell.available,
            cell.trials,
            cell.counts[0],
            cell.counts[1],
            cell.counts[2],
            cell.counts[3],
            cell.counts[4],
            cell.failures,
            100.0 * within as f64 / cell.trials as f64,
            HEADER_BYTES,
        );
    }
    println!();
    println!(
        "Throughput (split: best of several runs; join: median trial, from the first chunk pushed to the bundle handed over)"
    );
    println!();
    println!("| chunk | bundle | split MB/s | join MB/s | join ms per bundle |");
    println!("|---|---|---|---|---|");
    for cell in cells {
        let mb = bundle_mb(cell.bundle);
        println!(
            "| {} B | {} | {:.1} | {:.1} | {:.2} |",
            cell.chunk_bytes,
            cell.bundle,
            mb / cell.split_time.as_secs_f64(),
            mb / cell.join_time.as_secs_f64(),
            cell.join_time.as_secs_f64() * 1_000.0,
        );
    }
}

fn bundle_mb(label: &str) -> f64 {
    let bytes = BUNDLE_SIZES
        .iter()
        .find(|(_, name)| *name == label)
        .map_or(0, |(len, _)| *len);
    bytes as f64 / 1e6
}
