//! Checks for fuzzing and property tests of the chunk parsers: each takes
//! arbitrary input and panics when a promised law fails. The target
//! `fuzz/fuzz_targets/chunk.rs` calls [`check`]; nothing here runs in production.

use super::{Channel, Chunk, Joiner, Pushed, parse_file, split};

/// Runs arbitrary bytes through every chunk parser and checks:
///
/// - [`parse_file`] and [`Chunk::from_bytes`] never panic;
/// - a chunk that parses writes back to the same bytes, and each of its text
///   and binary file forms parses back to the same chunk;
/// - a joiner fed the bytes never panics;
/// - small inputs taken as a bundle split and join back to themselves.
pub fn check(data: &[u8]) {
    if let Ok(parsed) = parse_file(data) {
        for chunk in &parsed.chunks {
            check_chunk(chunk);
        }
    }
    if let Ok(chunk) = Chunk::from_bytes(data) {
        assert_eq!(chunk.as_bytes(), data, "a parsed chunk must keep its bytes");
        check_chunk(&chunk);
    }
    let mut joiner = Joiner::new();
    let _ = joiner.push_bytes(data);
    let _ = joiner.pending();

    if !data.is_empty() && data.len() <= 2_048 {
        check_round_trip(data);
    }
}

fn check_chunk(chunk: &Chunk) {
    let again = Chunk::from_bytes(chunk.as_bytes());
    assert_eq!(
        again.ok().as_ref(),
        Some(chunk),
        "a chunk must re-parse to itself"
    );
    for channel in [Channel::Sms, Channel::Email, Channel::Udp] {
        if chunk.as_bytes().len() > channel.max_chunk_bytes() {
            continue;
        }
        let Ok(file) = chunk.to_file_bytes(channel) else {
            panic!("{channel} form of a valid chunk failed");
        };
        let parsed = parse_file(&file).map(|parsed| parsed.chunks);
        assert_eq!(
            parsed.ok().as_deref(),
            Some(std::slice::from_ref(chunk)),
            "the {channel} form must read back as the same chunk"
        );
    }
}

/// Splits `bundle` into small UDP chunks (size from its first byte), drops
/// every fourth chunk and joins the rest back.
fn check_round_trip(bundle: &[u8]) {
    let chunk_bytes = 32 + usize::from(bundle[0]);
    let Ok(chunks) = split(bundle, Channel::Udp, Some(chunk_bytes), 50) else {
        panic!(
            "split of {} bytes in {chunk_bytes}-byte chunks failed",
            bundle.len()
        );
    };
    let mut joiner = Joiner::new();
    let mut joined = None;
    for (n, chunk) in chunks.into_iter().enumerate() {
        if n % 4 == 1 {
            continue;
        }
        if let Pushed::Joined(bundle) = joiner.push(chunk) {
            joined = Some(bundle.bytes);
            break;
        }
    }
    // A quarter of 1.5 K chunks lost leaves 1.125 K: rebuilding can only fail
    // with RaptorQ's small decoding failure chance, so report it only if the
    // bytes come out wrong.
    if let Some(bytes) = joined {
        assert_eq!(bytes, bundle, "a joined bundle must equal the split one");
    }
}
