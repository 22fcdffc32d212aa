//! One module per subcommand; `run` dispatches and returns the process exit code.

pub(crate) mod args;
pub(crate) mod audit;
pub(crate) mod engine_args;
pub(crate) mod keys;
pub(crate) mod rules;
pub(crate) mod scan;
pub(crate) mod segmentation;
pub(crate) mod webhook;

use std::process::ExitCode;

use crate::cli::Command;

/// Nothing at or above the failure threshold.
pub(crate) const EXIT_OK: u8 = 0;
/// Findings at or above the failure threshold.
pub(crate) const EXIT_FINDINGS: u8 = 1;
/// Usage or input error.
pub(crate) const EXIT_ERROR: u8 = 2;

/// Writes to stdout; a closed pipe (`kubepci … | head`) is not an error.
pub(crate) fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Scan(args) => scan::run(args),
        Command::Webhook(args) => webhook::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Segmentation(args) => segmentation::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Keys(args) => keys::run(args),
    }
}
