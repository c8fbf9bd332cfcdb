//! Fuzz target: any bytes through every chunk parser (binary, SMS, email,
//! QR image) and the joiner; `gavah_sync::chunk::fuzz::check` says what must hold.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gavah_sync::chunk::fuzz::check(data);
});
