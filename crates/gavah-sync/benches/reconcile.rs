//! Benchmark of the reconcile module: prints its figures (run with `cargo bench -p gavah-sync --bench reconcile`).
//!
//! Two sets of about N = 1,000,000 random 16-byte ids (N - d/2 shared) differ
//! by d ids, half on each side. For each d we run our rateless-IBLT exchange and Negentropy
//! (rust-nostr `negentropy` 0.5.3) on the same sets in the same run, and print
//! bytes in both directions, bytes per difference, round trips and time, with
//! the ratio. Seeded: every run builds the same sets and salts.

// A benchmark reports by printing.
#![allow(clippy::print_stdout)]

use gavah_sync::reconcile::{Config, EntryId, Initiator, Responder, decode_flight, encode_flight};
use negentropy::{Id, Negentropy, NegentropyStorageVector};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use std::time::{Duration, Instant};

const N: usize = 1_000_000;
/// Negentropy's frame-size limits: 0 means unlimited (its fewest round
/// trips); 65,536 matches our default frame limit.
const NEGENTROPY_FRAME_LIMITS: [u64; 2] = [0, 65_536];

/// CPU time of this process (user + system), from /proc; Linux only, 10 ms steps.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Peak resident memory of this process so far, from /proc; Linux only.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

struct Sets {
    a: Vec<EntryId>,
    b: Vec<EntryId>,
}

fn sets(seed: u64, d: usize) -> Sets {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut id = || {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        EntryId(b)
    };
    // About N per side: N - d/2 shared, then each side's own ids.
    let a_only = d / 2;
    let b_only = d - a_only;
    let shared: Vec<EntryId> = (0..N - b_only).map(|_| id()).collect();
    let mut a = shared.clone();
    let mut b = shared;
    a.extend((0..a_only).map(|_| id()));
    b.extend((0..b_only).map(|_| id()));
    Sets { a, b }
}

struct Figures {
    bytes_out: usize,
    bytes_back: usize,
    round_trips: u32,
    wall: Duration,
    cpu: Duration,
    found: usize,
}

/// Our exchange, and where its wall time went: initiator setup (hash, sort,
/// cursors), initiator cell production, responder (hash, sort, decode).
fn ours(s: &Sets) -> (Figures, [Duration; 3]) {
    let config = Config::default();
    let wall = Instant::now();
    let cpu = cpu_time();
    let mut init = Initiator::with_salt(&s.a[..], config.clone(), [42; 16]).expect("initiator");
    let setup = wall.elapsed();
    let mut resp = Responder::new(&s.b[..], config.clone()).expect("responder");
    let (mut bytes_out, mut bytes_back, mut round_trips) = (0, 0, 0);
    let (mut encoding, mut responding) = (Duration::ZERO, Duration::ZERO);
    loop {
        round_trips += 1;
        let t = Instant::now();
        let frames = init.flight();
        encoding += t.elapsed();
        let body = encode_flight(&frames);
        bytes_out += body.len();
        let flight = decode_flight(&body, config.max_frame, 1 << 20).expect("own flight");
        let t = Instant::now();
        let reply = resp.receive(&flight).expect("responder");
        responding += t.elapsed();
        let reply = encode_flight(&reply);
        bytes_back += reply.len();
        let reply = decode_flight(&reply, config.max_frame, 1 << 20).expect("own reply");
        if init.receive(&reply).expect("initiator") {
            break;
        }
    }
    let wall = wall.elapsed();
    let cpu = cpu_time().saturating_sub(cpu);
    let io = init.outcome().expect("done");
    let ro = resp.outcome().expect("done");
    let found = io.have_not_they.len() + io.they_have_i_lack.len();
    assert_eq!(ro.have_not_they.len(), io.they_have_i_lack.len());
    assert_eq!(ro.they_have_i_lack.len(), io.have_not_they.len());
    let b: HashSet<&EntryId> = s.b.iter().collect();
    assert!(io.have_not_they.iter().all(|id| !b.contains(id)));
    (
        Figures {
            bytes_out,
            bytes_back,
            round_trips,
            wall,
            cpu,
            found,
        },
        [setup, encoding, responding],
    )
}

fn storage(ids: &[EntryId]) -> NegentropyStorageVector {
    let mut st = NegentropyStorageVector::with_capacity(ids.len());
    for id in ids {
        // Negentropy ids are 32 bytes: ours, zero-padded.
        let mut b = [0u8; 32];
        b[..16].copy_from_slice(&id.0);
        st.insert(0, Id::from_byte_array(b)).expect("insert");
    }
    st.seal().expect("seal");
    st
}

fn negentropy(s: &Sets, frame_limit: u64) -> Figures {
    let wall = Instant::now();
    let cpu = cpu_time();
    let client_store = storage(&s.a);
    let server_store = storage(&s.b);
    let mut client = Negentropy::borrowed(&client_store, frame_limit).expect("client");
    let mut server = Negentropy::borrowed(&server_store, frame_limit).expect("server");
    let mut msg = client.initiate().expect("initiate");
    let (mut bytes_out, mut bytes_back, mut round_trips) = (0, 0, 0);
    let (mut have, mut need) = (Vec::new(), Vec::new());
    loop {
        round_trips += 1;
        bytes_out += msg.len();
        let reply = server.reconcile(&msg).expect("server");
        bytes_back += reply.len();
        match client
            .reconcile_with_ids(&reply, &mut have, &mut need)
            .expect("client")
        {
            Some(next) => msg = next,
            None => break,
        }
    }
    Figures {
        bytes_out,
        bytes_back,
        round_trips,
        wall: wall.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        found: have.len() + need.len(),
    }
}

fn main() {
    println!("reconcile: N = {N} ids per side, d random differences split between the sides");
    println!(
        "{:>6}  {:<11} {:>10} {:>10} {:>10} {:>9} {:>6} {:>9} {:>9}",
        "d", "protocol", "bytes out", "bytes back", "total", "B/diff", "RTs", "wall ms", "CPU ms"
    );
    for (k, d) in [1usize, 100, 1_000, 10_000].into_iter().enumerate() {
        let s = sets(1000 + k as u64, d);
        let (o, setup) = ours(&s);
        if k == 0 {
            println!(
                "peak RSS after the first gavah run, both 1M-id sets included: {} MiB",
                peak_rss_mib()
            );
        }
        let n = negentropy(&s, NEGENTROPY_FRAME_LIMITS[0]);
        let n64 = negentropy(&s, NEGENTROPY_FRAME_LIMITS[1]);
        assert_eq!(o.found, d);
        assert_eq!(n.found, d);
        assert_eq!(n64.found, d);
        for (name, f) in [("gavah", &o), ("negentropy", &n), ("neg. 64K", &n64)] {
            let total = f.bytes_out + f.bytes_back;
            println!(
                "{:>6}  {:<11} {:>10} {:>10} {:>10} {:>9.1} {:>6} {:>9} {:>9}",
                d,
                name,
                f.bytes_out,
                f.bytes_back,
                total,
                total as f64 / d as f64,
                f.round_trips,
                f.wall.as_millis(),
                f.cpu.as_millis()
            );
        }
        let ot = (o.bytes_out + o.bytes_back) as f64;
        let nt = (n.bytes_out + n.bytes_back) as f64;
        println!(
            "{:>6}  negentropy (unlimited frames)/gavah bytes: {:.1}x; gavah wall ms: initiator setup (hash + sort, 1M ids) {}, cells {}, responder (hash + sort + decode) {}",
            d,
            nt / ot,
            setup[0].as_millis(),
            setup[1].as_millis(),
            setup[2].as_millis()
        );
    }
}
