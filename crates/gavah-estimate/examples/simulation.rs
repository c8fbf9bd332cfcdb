//! The simulation study: bias and interval coverage of each estimator over many seeds.
//!
//! `cargo run --release -p gavah-estimate --example simulation [REPLICATES]`
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use gavah_estimate::lcmcr::Settings;
use gavah_estimate::sim::{Method, Scenario, study};

fn main() {
    let replicates: usize = std::env::args().nth(1).map_or(100, |s| s.parse().unwrap());
    // Shorter than LCMCR's defaults so a hundred replicates take minutes.
    let settings = Settings {
        burnin: 2_000,
        draws: 2_000,
        thinning: 5,
        chains: 2,
        ..Settings::default()
    };
    let methods = [
        Method::Independence,
        Method::BestBic,
        Method::AicAverage,
        Method::Lcmcr,
    ];
    println!(
        "| scenario | N | method | replicates | failed | rel. bias | rel. RMSE | coverage | median width/N |"
    );
    println!("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for scenario in [Scenario::homogeneous(2000), Scenario::two_groups(2000)] {
        for s in study(&scenario, replicates, 1, &methods, &settings) {
            println!(
                "| {} | {} | {:?} | {} | {} | {:+.1} % | {:.1} % | {:.0} % | {:.2} |",
                scenario.name,
                scenario.size,
                s.method,
                s.replicates,
                s.failed,
                100.0 * s.relative_bias,
                100.0 * s.relative_rmse,
                100.0 * s.coverage,
                s.median_width
            );
        }
    }
}
