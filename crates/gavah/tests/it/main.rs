//! End-to-end tests of the real `gavah` binary, one test binary with a module
//! per area (like ripgrep's `tests/tests.rs`): each test runs `gavah` in its
//! own temporary folder and store and checks what it prints and what it stores.

mod util;

mod bad_input;
mod browser;
mod cli;
mod crash;
mod dedupe;
mod estimate;
mod figures;
mod import;
mod link;
mod protected;
mod reimport;
mod review;
mod sync;
mod web;
