//! Fuzz target: any bytes as a bundle file, a bundle payload, a signed entry, a
//! node public key line and a prekey ring; `gavah_sync::bundle::fuzz::check`
//! says what must hold.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    gavah_sync::bundle::fuzz::check(bytes);
});
