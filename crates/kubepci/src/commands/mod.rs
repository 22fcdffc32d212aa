//! One module per subcommand; `run` dispatches and returns the process exit code.

pub(crate) mod rules;
pub(crate) mod scan;

use std::process::ExitCode;

use crate::cli::Command;

/// Nothing at or above the failure threshold.
pub(crate) const EXIT_OK: u8 = 0;
/// Findings at or above the failure threshold.
pub(crate) const EXIT_FINDINGS: u8 = 1;
/// Usage or input error.
pub(crate) const EXIT_ERROR: u8 = 2;

pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Scan(args) => scan::run(args),
        Command::Rules(args) => rules::run(args),
    }
}
