//! `kubepci rules`.

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {}

pub(crate) fn run(_args: RulesArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the rule catalogue is being built (issue 2)")
}
