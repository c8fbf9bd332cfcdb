//! Runs the latent-class sampler on the data/mse tables and prints the posterior of N beside LCMCR's.
#![allow(clippy::print_stdout, clippy::unwrap_used)]
use gavah_estimate::CaptureTable;
use gavah_estimate::lcmcr::{Settings, estimate};
use std::path::PathBuf;
fn main() {
    let b: f64 = std::env::args().nth(1).map_or(0.25, |s| s.parse().unwrap());
    let classes: usize = std::env::args().nth(2).map_or(10, |s| s.parse().unwrap());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mse");
    let only = std::env::args().nth(3);
    let seed: u64 = std::env::args().nth(4).map_or(1, |s| s.parse().unwrap());
    for name in ["lesbian", "HIV", "NewOrl_5", "Ned_5"] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let t = CaptureTable::read_csv(&dir.join(format!("{name}.csv"))).unwrap();
        let r: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.reference.json"))).unwrap(),
        )
        .unwrap();
        let start = std::time::Instant::now();
        let p = estimate(
            &t,
            &Settings {
                seed,
                b_alpha: b,
                classes,
                ..Settings::default()
            },
        )
        .unwrap();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name}: median {} [{}, {}] rhat {:.3} ess {:.0} chains {:?} warn {:?} ({secs:.1}s)",
            p.median,
            p.q025,
            p.q975,
            p.rhat,
            p.ess,
            p.chain_medians,
            p.warnings.len()
        );
        for run in r["lcmcr"]["runs"].as_array().unwrap() {
            println!(
                "   LCMCR seed {}: median {} [{}, {}]",
                run["seed"], run["median"], run["q025"], run["q975"]
            );
        }
    }
}
