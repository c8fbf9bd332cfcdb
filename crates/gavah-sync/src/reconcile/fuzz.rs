//! Checks for fuzzing: arbitrary bytes through the sync-message parser and
//! into both state machines, which must never panic.
//!
//! `fuzz/fuzz_targets/sync_message.rs` calls [`check`]; the integration tests
//! call it too, on random and mutated frames. Nothing here runs in
//! production; a panic is the report.

use super::{Config, Initiator, Message, Responder, decode_flight, encode_flight};
use gavah_core::EntryId;

/// Decodes `data` as a frame and as a flight, and checks:
///
/// - decoding never panics;
/// - an accepted frame re-encodes to exactly `data` (the encoding is strict
///   and canonical), and its stated length is its real length;
/// - an accepted flight re-encodes to exactly `data`;
/// - a responder and an initiator fed the frames return a value or an error,
///   never panic, and the initiator's next flight stays within the frame limit.
pub fn check(data: &[u8]) {
    crate::live::fuzz_check(data);
    let config = Config {
        max_cells: 4096,
        ..Config::default()
    };
    let mut frames = Vec::new();
    if let Ok(msg) = Message::decode(data, config.max_frame) {
        assert_eq!(
            msg.encode(),
            data,
            "a decoded frame must re-encode to its input"
        );
        assert_eq!(msg.encoded_len(), data.len());
        frames.push(msg);
    }
    if let Ok(flight) = decode_flight(data, config.max_frame, 64) {
        assert_eq!(
            encode_flight(&flight),
            data,
            "a decoded flight must re-encode to its input"
        );
        frames.extend(flight);
    }
    let ids: Vec<EntryId> = (0u8..20).map(|i| EntryId([i; 16])).collect();
    if let Ok(mut responder) = Responder::new(&ids[..], config.clone()) {
        let _ = responder.receive(&frames);
    }
    if let Ok(mut initiator) = Initiator::with_salt(&ids[..], config.clone(), [9; 16]) {
        let _ = initiator.flight();
        // The fuzzer cannot guess the session, so also replay the frames as if
        // they were of the initiator's own session.
        let own: Vec<Message> = frames
            .iter()
            .map(|m| with_session(m, initiator.session()))
            .collect();
        let _ = initiator.receive(&frames);
        let _ = initiator.receive(&own);
        for frame in initiator.flight() {
            assert!(frame.encoded_len() <= config.max_frame);
        }
    }
}

fn with_session(m: &Message, s: super::SessionId) -> Message {
    let mut m = m.clone();
    match &mut m {
        Message::Cells { session, .. }
        | Message::More { session, .. }
        | Message::Done { session, .. }
        | Message::Reject { session, .. } => *session = s,
    }
    m
}
