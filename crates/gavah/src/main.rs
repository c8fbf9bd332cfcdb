//! The `gavah` binary: command-line parsing, configuration, tracing set-up,
//! output and exit codes. Everything it does goes through `gavah-app`.

// The binary's job is to print; the workspace lint against printing is for libraries.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod cli;
mod config;
mod dedupe;
mod estimate;
mod files;
mod link;
mod output;
mod progress;
mod serve;
mod sync;
mod users;

use clap::Parser;

// A bulk import allocates and frees millions of small strings on two threads;
// glibc's allocator spent about a fifth of an import's time in malloc, free and
// fastbin consolidation (perf, 1,000,000 rows). mimalloc handles that pattern
// well and is a small, maintained C library built by the crate.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let config = match config::Config::load(&args) {
        Ok(c) => c,
        Err(e) => return report_error(&e),
    };
    init_tracing(&config);
    match cli::run(args, &config) {
        Ok(code) => code,
        Err(e) => report_error(&e),
    }
}

fn report_error(e: &anyhow::Error) -> ExitCode {
    // A closed pipe (`gavah figures | head`) is not a failure.
    if e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(std::io::stderr(), "gavah: error: {e:#}");
    ExitCode::FAILURE
}

fn init_tracing(config: &config::Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(config.log.as_deref().unwrap_or("warn"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
