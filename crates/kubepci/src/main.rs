//! `kubepci`: the command-line entry point.
//!
//! This crate only parses arguments, installs logging and maps results to exit codes; the
//! work happens in the library crates underneath (see docs/architecture.md).

mod cli;
mod commands;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the scan allocates many small tree nodes from several threads, where glibc's
/// allocator spent a quarter of the run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    telemetry::init(&cli.log, cli.command.default_log_level());
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the whole context chain on one line.
            eprintln!("error: {error:#}");
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}
