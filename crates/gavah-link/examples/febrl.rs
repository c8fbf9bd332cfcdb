//! Scores the linker on the FEBRL files: `cargo run --release -p gavah-link
//! --example febrl [-- --drop soc_sec_id] [--threshold P]`.
#![allow(clippy::print_stdout)]

use gavah_link::NoProgress;
use gavah_link::dedupe::{DedupeOptions, run};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let drop_ssn = args.iter().any(|a| a == "soc_sec_id");
    let threshold: f64 = args
        .iter()
        .position(|a| a == "--threshold")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.5);
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/febrl");
    let out_dir = std::env::temp_dir();
    for set in ["1", "2", "3", "4"] {
        let (input, link) = if set == "4" {
            (data.join("febrl4a.csv"), Some(data.join("febrl4b.csv")))
        } else {
            (data.join(format!("febrl{set}.csv")), None)
        };
        let mut o = DedupeOptions::new(input, out_dir.join(format!("febrl{set}_out.csv")));
        o.link = link;
        o.truth_column = Some("entity_id".into());
        o.link_options.threshold = threshold;
        if drop_ssn {
            o.fields.push("soc_sec_id:ignore".into());
        }
        let r = run(&o, &NoProgress)?;
        let a = r.accuracy.ok_or("no accuracy")?;
        if args.iter().any(|a| a == "--report") {
            println!("{}", serde_json::to_string_pretty(&r.blocking)?);
            println!("{}", serde_json::to_string_pretty(&r.model)?);
        }
        let secs: f64 = r.timings.iter().map(|t| t.seconds).sum();
        println!(
            "febrl{set}: P {:.4} R {:.4} F1 {:.4} (tp {} fp {} fn {}) pairs {} recall ceiling {:.4} lambda {:.4} em iters {} {:.2}s",
            a.precision,
            a.recall,
            a.f1,
            a.true_positives,
            a.false_positives,
            a.false_negatives,
            r.candidate_pairs,
            r.blocking.recall_ceiling.unwrap_or(0.0),
            r.model.lambda,
            r.model.training.em_iterations,
            secs
        );
    }
    Ok(())
}
