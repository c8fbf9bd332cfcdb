//! What the speed examples share: the table `bench gibbs` times.

use gavah_estimate::CaptureTable;
use std::path::Path;

/// The lesbian table (in `dir`) scaled to 10,001 observed people: 4 lists,
/// the shape of LCMCR's speed comparison.
pub fn gibbs_table(dir: &Path) -> CaptureTable {
    let lesbian = CaptureTable::read_csv(&dir.join("lesbian.csv")).unwrap();
    let scale = 10_000.0 / lesbian.observed() as f64;
    let patterns: Vec<(Vec<bool>, u64)> = lesbian
        .observed_patterns()
        .map(|(p, c)| {
            (
                (0..4).map(|j| p & (1 << j) != 0).collect(),
                (c as f64 * scale).round() as u64,
            )
        })
        .collect();
    CaptureTable::from_patterns(lesbian.lists().to_vec(), patterns).unwrap()
}
