//! Times the comparison phase alone, repeatedly, on a CSV file: blocking runs
//! once, then every candidate pair is compared `REPEAT` times. The field kinds
//! are guessed as `gavah dedupe` guesses them; the first two columns (record
//! and entity ids in the synthetic benchmark file) are not compared.
//!
//! `cargo run --release -p gavah-link --example compare_bench -- FILE.csv [REPEAT]`
#![allow(clippy::print_stdout, clippy::unwrap_used)]
use gavah_link::blocking::{BlockingOptions, candidate_pairs, default_rules};
use gavah_link::compare::Comparator;
use gavah_link::data::{Dataset, FieldKind};
use gavah_link::dedupe::guess_kind;
use gavah_link::model::patterns_of;
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: compare_bench FILE.csv [REPEAT]");
    let repeat: usize = std::env::args().nth(2).map_or(3, |s| s.parse().unwrap());
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let headers = csv::Reader::from_path(&path)
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let schema: Vec<(String, FieldKind)> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let kind = if i < 2 {
                FieldKind::Ignore
            } else {
                guess_kind(h, rows.iter().take(1000).map(|r| &r[i]))
            };
            (h.to_string(), kind)
        })
        .collect();
    let mut data = Dataset::new(&schema);
    for r in &rows {
        data.push(0, &r.iter().collect::<Vec<_>>());
    }
    data.finish();
    let (pairs, _) = candidate_pairs(
        &data,
        &default_rules(&data),
        BlockingOptions::default(),
        None,
    );
    let cmp = Comparator::new(&data);
    println!("{} records, {} candidate pairs", data.len(), pairs.len());
    for _ in 0..repeat {
        let clock = Instant::now();
        let patterns = patterns_of(&cmp, &pairs);
        let digest = patterns
            .iter()
            .fold(0u64, |d, &p| d.wrapping_mul(31).wrapping_add(p));
        println!(
            "comparisons {:.3} s (patterns digest {digest:016x})",
            clock.elapsed().as_secs_f64()
        );
    }
}
