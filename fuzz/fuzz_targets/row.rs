//! Fuzz target: any bytes as a CSV people list, through the real reader and row
//! parser; `gavah_import::fuzz::check_rows` says what must hold.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    gavah_import::fuzz::check_rows(bytes);
});
