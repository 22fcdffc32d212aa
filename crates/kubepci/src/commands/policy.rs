//! `kubepci policy verify`: Gatekeeper test suites, as `gator verify` runs them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use kubepci_policy::suite::{is_suite, run_suite};
use kubepci_policy::{Engine, LoadOptions};

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Run Gatekeeper test suites (test.gatekeeper.sh/v1alpha1 Suite files) as `gator verify`
    /// does: print every case, exit 1 on any failure
    Verify(VerifyArgs),
}

/// The engine for templates that carry both Rego and K8sNativeValidation code.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum EngineArg {
    /// K8sNativeValidation (CEL) where the template has it, as Gatekeeper prefers
    Cel,
    /// Rego
    Rego,
}

impl From<EngineArg> for Engine {
    fn from(engine: EngineArg) -> Self {
        match engine {
            EngineArg::Cel => Engine::Cel,
            EngineArg::Rego => Engine::Rego,
        }
    }
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// Suite files, or directories searched recursively for them
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Engine for templates with both Rego and CEL code
    #[arg(long, value_enum, default_value_t = EngineArg::Cel)]
    engine: EngineArg,
}

pub(crate) fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PolicyCommand::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let mut suites = Vec::new();
    for input in kubepci_k8s::source::expand(&args.paths)? {
        let kubepci_k8s::source::InputPath::File(path) = input else {
            bail!("`-` is not supported: give suite files or directories");
        };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        if is_suite(&bytes) {
            suites.push(path);
        }
    }
    if suites.is_empty() {
        eprintln!("no Suite (test.gatekeeper.sh/v1alpha1) found in the paths given");
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    let read = |p: &Path| std::fs::read(p);
    let options = LoadOptions {
        prefer: args.engine.into(),
    };
    let (mut passed, mut failed) = (0, 0);
    let mut out = String::new();
    for path in &suites {
        let result = run_suite(path, &read, options);
        let (_, p, f) = result.counts();
        passed += p;
        failed += f;
        out.push_str(&result.render());
    }
    out.push_str(&format!(
        "{} suite(s), cases: {passed} passed, {failed} failed\n",
        suites.len()
    ));
    super::write_stdout(out.as_bytes())?;
    Ok(ExitCode::from(if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }))
}
