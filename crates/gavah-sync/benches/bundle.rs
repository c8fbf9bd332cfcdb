//! Benchmark of the bundle module: prints its figures (run with `cargo bench -p gavah-sync --bench bundle`).
//!
//! Signs 100,000 entries of about 400 bytes, seals them to two recipients,
//! opens the bundle (decrypting and checking every signature) and prints
//! entries/s, MB/s and the size overhead of the bucket padding. Target: open
//! ≥ 50,000 entries/s.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use gavah_sync::bundle::{
    self, NodeSecret, PrekeyPolicy, PrekeyRing, SealRequest, SignedEntry, open, seal_with_rng,
    verify_all,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const ENTRIES: usize = 100_000;
const RUNS: usize = 3;

fn best<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        out = Some(value);
    }
    match out {
        Some(v) => (best, v),
        None => unreachable!("RUNS > 0"),
    }
}

fn row(what: &str, d: Duration, entries: usize, bytes: usize) {
    let s = d.as_secs_f64();
    println!(
        "| {what} | {:.3} | {:.0} | {:.1} |",
        s,
        entries as f64 / s,
        bytes as f64 / s / 1e6
    );
}

fn main() {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let sender = NodeSecret::generate_with(&mut rng);
    let a = NodeSecret::generate_with(&mut rng);
    let b = NodeSecret::generate_with(&mut rng);
    let ring = PrekeyRing::new(PrekeyPolicy::default());

    // Entries of 350 to 450 bytes, text-like.
    let texts: Vec<Vec<u8>> = (0..ENTRIES)
        .map(|i| {
            let len = rng.random_range(350..=450);
            let mut t = format!("{{\"report\":{i},\"text\":\"").into_bytes();
            while t.len() < len {
                t.push(b'a' + rng.random_range(0..26u8));
            }
            t
        })
        .collect();
    let entry_bytes: usize = texts.iter().map(Vec::len).sum();

    let start = Instant::now();
    let entries: Vec<SignedEntry> = texts
        .into_iter()
        .map(|t| SignedEntry::sign(&sender, t))
        .collect();
    let sign = start.elapsed();

    let (verify, ok) = best(|| verify_all(&entries));
    assert!(ok.is_ok());

    let recipients = [*a.public(), *b.public()];
    let request = SealRequest {
        sender: &sender,
        ring: &ring,
        recipients: &recipients,
        entries: &entries,
        ack: &[0u8; 64],
        now: 0,
    };
    let (seal, sealed) = best(|| seal_with_rng(&request, &mut rng));
    let sealed = match sealed {
        Ok(s) => s,
        Err(e) => panic!("seal failed: {e}"),
    };
    let (open_time, opened) = best(|| open(&b, &ring, &sealed.bytes));
    match opened {
        Ok(o) => assert_eq!(o.entries.len(), ENTRIES),
        Err(e) => panic!("open failed: {e}"),
    }

    let payload: usize = entries.iter().map(SignedEntry::encoded_len).sum::<usize>() + 64 + 64;
    let file = sealed.bytes.len();
    println!(
        "{ENTRIES} entries, {entry_bytes} bytes of canonical bytes (mean {:.0}), rayon threads {}",
        entry_bytes as f64 / ENTRIES as f64,
        rayon::current_num_threads()
    );
    println!("best of {RUNS} runs (signing: one run)\n");
    println!("| step | seconds | entries/s | MB/s of entries |");
    println!("|---|---|---|---|");
    row("sign (one thread)", sign, ENTRIES, entry_bytes);
    row(
        "verify_all (batch, all cores)",
        verify,
        ENTRIES,
        entry_bytes,
    );
    row("seal (2 recipients)", seal, ENTRIES, entry_bytes);
    row(
        "open (decrypt + verify all)",
        open_time,
        ENTRIES,
        entry_bytes,
    );
    println!();
    println!(
        "file {file} bytes; signed entries {payload} bytes; bucket padding {} bytes ({:.2} %)",
        file - payload.min(file),
        (file - payload.min(file)) as f64 * 100.0 / file as f64
    );

    // Padding overhead over many content sizes: the mean and worst share of a
    // file that is padding, per size range.
    println!("\n| content bytes | mean padding | worst padding |");
    println!("|---|---|---|");
    for (lo, hi) in [
        (1u64, 4_000u64),
        (4_000, 64_000),
        (64_000, 1_000_000),
        (1_000_000, 100_000_000),
    ] {
        let (mut sum, mut worst, n) = (0.0f64, 0.0f64, 20_000);
        for _ in 0..n {
            let len = rng.random_range(lo..hi);
            let Some(bucket) = bundle::bucket_size(len) else {
                continue;
            };
            let share = (bucket - len) as f64 / bucket as f64;
            sum += share;
            worst = worst.max(share);
        }
        println!(
            "| {lo}–{hi} | {:.2} % | {:.2} % |",
            sum * 100.0 / f64::from(n),
            worst * 100.0
        );
    }
}
