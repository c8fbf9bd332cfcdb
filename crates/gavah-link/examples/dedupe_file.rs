//! Dedupes one CSV file with a truth column and prints the report:
//! `cargo run --release -p gavah-link --example dedupe_file -- FILE.csv [TRUTH_COLUMN]`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use gavah_link::dedupe::{DedupeOptions, run};
use gavah_link::{Phase, Progress};
use std::time::Instant;

/// Prints each phase as it starts, with the time since the run began.
struct Log(Instant);
impl Progress for Log {
    fn start(&self, phase: Phase, total: u64) {
        eprintln!("{:8.2}s {phase} ({total})", self.0.elapsed().as_secs_f64());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let input = args.get(1).ok_or("give a CSV file")?;
    let out = std::env::temp_dir().join("dedupe_file_out.csv");
    let mut o = DedupeOptions::new(input, &out);
    o.truth_column = Some(args.get(2).cloned().unwrap_or_else(|| "entity_id".into()));
    let r = run(&o, &Log(Instant::now()))?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}
