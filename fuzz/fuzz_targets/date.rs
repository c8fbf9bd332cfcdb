//! Fuzz target: any text through the date parser, under every calendar hint;
//! `gavah_core::fuzz::check_date` says what must hold.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    gavah_core::fuzz::check_date(text);
});
