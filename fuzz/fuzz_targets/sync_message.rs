//! Fuzz target: any bytes as a live-sync request and reply, a reconciliation
//! frame and flight, then into both state machines;
//! `gavah_sync::reconcile::fuzz::check` says what must hold.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gavah_sync::reconcile::fuzz::check(data);
});
