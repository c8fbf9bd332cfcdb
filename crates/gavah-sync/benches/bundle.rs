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
    sign_all, verify_all,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const ENTRIES: usize = 100_000;
const RUNS: usize = 5;

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// A table row from sorted run times: best and median.
fn row(what: &str, sorted: &[Duration], entries: usize, bytes: usize) {
    let best = sorted.first().map_or(f64::NAN, Duration::as_secs_f64);
    let median = sorted
        .get(sorted.len() / 2)
        .map_or(f64::NAN, Duration::as_secs_f64);
    println!(
        "| {what} | {best:.3} / {median:.3} | {:.0} / {:.0} | {:.1} |",
        entries as f64 / best,
        entries as f64 / median,
        bytes as f64 / best / 1e6
    );
}

/// ed25519-dalek's `verify_batch` over the same batches of 512 on all cores,
/// with the same message digests: the peer of `verify_all`.
fn dalek_batches(entries: &[SignedEntry]) -> bool {
    use rayon::prelude::*;
    let key = match entries.first() {
        Some(e) => ed25519_dalek::VerifyingKey::from_bytes(&e.signer().0),
        None => return true,
    };
    let Ok(key) = key else { return false };
    entries.par_chunks(512).all(|chunk| {
        let digests: Vec<[u8; 32]> = chunk
            .iter()
            .map(|e| {
                *blake3::Hasher::new_derive_key("gavah 2026 signed entry v1")
                    .update(e.bytes())
                    .finalize()
                    .as_bytes()
            })
            .collect();
        let messages: Vec<&[u8]> = digests.iter().map(|d| d.as_slice()).collect();
        let signatures: Vec<ed25519_dalek::Signature> = chunk
            .iter()
            .map(|e| ed25519_dalek::Signature::from_bytes(e.signature()))
            .collect();
        let keys = vec![key; chunk.len()];
        ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
    })
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
    let one_thread: Vec<SignedEntry> = texts[..ENTRIES / 10]
        .iter()
        .map(|t| SignedEntry::sign(&sender, t.clone()))
        .collect();
    let sign_one = start.elapsed() * 10;
    let start = Instant::now();
    let entries = sign_all(&sender, texts);
    let sign = start.elapsed();
    assert_eq!(one_thread[..], entries[..ENTRIES / 10]);

    let recipients = [*a.public(), *b.public()];
    let request = SealRequest {
        sender: &sender,
        ring: &ring,
        recipients: &recipients,
        entries: &entries,
        ack: &[0u8; 64],
        now: 0,
    };
    let sealed = match seal_with_rng(&request, &mut rng) {
        Ok(s) => s,
        Err(e) => panic!("seal failed: {e}"),
    };

    // The steps take turns within each run, so that the load other processes
    // put on the machine falls on all of them alike.
    let mut times: [Vec<Duration>; 4] = Default::default();
    for _ in 0..RUNS {
        times[0].push(timed(|| assert!(verify_all(&entries).is_ok())));
        times[1].push(timed(|| assert!(dalek_batches(&entries))));
        times[2].push(timed(|| assert!(seal_with_rng(&request, &mut rng).is_ok())));
        times[3].push(timed(|| match open(&b, &ring, &sealed.bytes) {
            Ok(o) => assert_eq!(o.entries.len(), ENTRIES),
            Err(e) => panic!("open failed: {e}"),
        }));
    }
    for t in &mut times {
        t.sort();
    }
    let [verify, peer, seal, open_time] = times;

    let payload: usize = entries.iter().map(SignedEntry::encoded_len).sum::<usize>() + 64 + 64;
    let file = sealed.bytes.len();
    println!(
        "{ENTRIES} entries, {entry_bytes} bytes of canonical bytes (mean {:.0}), rayon threads {}",
        entry_bytes as f64 / ENTRIES as f64,
        rayon::current_num_threads()
    );
    println!("{RUNS} runs, best / median (signing: one run)\n");
    println!("| step | seconds | entries/s | MB/s of entries (best) |");
    println!("|---|---|---|---|");
    row(
        "sign, one thread (10,000 entries, scaled)",
        &[sign_one],
        ENTRIES,
        entry_bytes,
    );
    row("sign_all (all cores)", &[sign], ENTRIES, entry_bytes);
    row(
        "verify_all (batch, all cores)",
        &verify,
        ENTRIES,
        entry_bytes,
    );
    row(
        "peer: ed25519-dalek verify_batch (same batches)",
        &peer,
        ENTRIES,
        entry_bytes,
    );
    row("seal (2 recipients)", &seal, ENTRIES, entry_bytes);
    row(
        "open (decrypt + verify all)",
        &open_time,
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
