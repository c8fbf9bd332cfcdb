//! Fuzz target: any text through `normalize_text` and `match_key`, which must be
//! idempotent; `gavah_core::fuzz::check_normalize` says what must hold.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    gavah_core::fuzz::check_normalize(text);
});
