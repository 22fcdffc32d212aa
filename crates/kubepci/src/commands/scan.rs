//! `kubepci scan`.

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan (`-` reads stdin)
    pub(crate) paths: Vec<std::path::PathBuf>,
}

pub(crate) fn run(_args: ScanArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("scan is being built (issue 2)")
}
