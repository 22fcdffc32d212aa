//! Logging setup: `tracing` with an env filter (`KUBEPCI_LOG`, then `RUST_LOG`) to stderr.

use clap::{Args, ValueEnum};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines
    Plain,
    /// One JSON object per line
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Log line format
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Plain)]
    pub(crate) log_format: LogFormat,
}

/// Installs the global subscriber once. Logs go to stderr so that stdout stays machine-readable.
/// `default` applies when neither variable is set: `info` for servers (their decisions and
/// batches are the log), `warn` for one-shot commands.
pub(crate) fn init(args: &LogArgs, default: &str) {
    let filter = std::env::var("KUBEPCI_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Plain => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
