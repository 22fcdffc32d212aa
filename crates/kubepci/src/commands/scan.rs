//! `kubepci scan`: check manifests against the catalogue.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use kubepci_model::Severity;
use kubepci_report::{Format, RenderOptions, Summary};

use super::engine_args::{EngineArgs, today_utc};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Readable findings grouped by file, and a summary by PCI DSS requirement
    Table,
    /// The versioned `kubepci.scan/v1` JSON document (docs/output.md)
    Json,
    /// SARIF 2.1.0 for code-scanning UIs
    Sarif,
    /// JUnit XML: one test case per rule × object
    Junit,
    /// The certificate inventory (PCI DSS 4.2.1.1): hosts, Secrets, issuers, keys, expiry
    Certs,
    /// The certificate inventory as the `kubepci.certs/v1` JSON document
    CertsJson,
    /// `wgpolicyk8s.io/v1alpha2` PolicyReports (per namespace) and a ClusterPolicyReport, as
    /// one List for `kubectl apply -f` (Kyverno, Policy Reporter)
    Policyreport,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when stdout is a terminal
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan (directories recursively: .yaml, .yml, .json); `-` reads
    /// stdin (e.g. `helm template … | kubepci scan -`)
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) format: OutputFormat,

    /// Write the output to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Exit 1 when an open (not waived) finding is at or above this severity
    #[arg(long, value_enum, default_value_t = SeverityArg::Low)]
    pub(crate) fail_on: SeverityArg,

    #[command(flatten)]
    pub(crate) engine: EngineArgs,

    /// Namespace assumed for namespaced objects that name none (as with `kubectl apply -n`)
    #[arg(short = 'n', long, value_name = "NS")]
    pub(crate) namespace: Option<String>,

    /// Evaluate waivers and certificate expiry as of this date (YYYY-MM-DD; default: today, UTC)
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,

    /// When to colour the table output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    /// Verify, in their registries, the signatures of the images `images.signatures.policies`
    /// covers (needs network access to the registries): failures are KP5009 findings, and
    /// the verified digests are listed in the output
    #[arg(long)]
    pub(crate) verify_images: bool,
}

/// `--verify-images`: a step between loading and the rules that verifies the images the
/// signing policy covers and hands the results to the rules (KP5009) and the report.
fn image_verification(
    config: &kubepci_engine::Config,
) -> anyhow::Result<impl FnMut(&kubepci_k8s::Inventory, &mut kubepci_rules::Settings) + use<>> {
    let policy = &config.settings.images.signatures;
    if !policy.is_active() {
        bail!("--verify-images needs a signing policy: images.signatures.policies in kubepci.yaml");
    }
    let verifier = kubepci_imagesig::Verifier::from_settings(policy)
        .context("loading the image-signing policy")?;
    Ok(
        move |inventory: &kubepci_k8s::Inventory, settings: &mut kubepci_rules::Settings| {
            let images = kubepci_imagesig::images_to_verify(inventory, settings);
            tracing::info!(images = images.len(), "verifying image signatures");
            match kubepci_imagesig::verify_blocking(&verifier, &images) {
                Ok(found) => settings.image_verifications = found,
                Err(error) => tracing::error!(%error, "the verification runtime did not start"),
            }
        },
    )
}

pub(crate) fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let as_of = match &args.as_of {
        Some(text) => kubepci_engine::parse_date(text)
            .with_context(|| format!("--as-of `{text}` is not a date YYYY-MM-DD"))?,
        None => today_utc(),
    };
    let options = args.engine.options(args.namespace.clone(), as_of)?;
    let paths = kubepci_k8s::source::expand(&args.paths)?;
    let mut verification = args
        .verify_images
        .then(|| image_verification(&options.config))
        .transpose()?;
    let report = match verification.as_mut() {
        Some(step) => kubepci_engine::scan_with(&paths, &options, step),
        None => kubepci_engine::scan(&paths, &options),
    };
    let fail_on: Severity = args.fail_on.into();
    let summary = Summary::of(&report, fail_on);
    tracing::info!(
        files = report.stats.files,
        documents = report.stats.documents,
        findings = summary.total,
        open = summary.open,
        input_errors = summary.input_errors,
        elapsed_ms = u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        "scan finished"
    );
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
        OutputFormat::Certs => Format::Certs,
        OutputFormat::CertsJson => Format::CertsJson,
        OutputFormat::Policyreport => Format::PolicyReport,
    };
    let options = RenderOptions {
        fail_on,
        color,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let rendered = kubepci_report::render(&report, format, &options);
    match &args.output {
        Some(path) => {
            std::fs::write(path, rendered).with_context(|| format!("writing {}", path.display()))?
        }
        None => super::write_stdout(rendered.as_bytes())?,
    }
    if summary.input_errors > 0 {
        if !matches!(format, Format::Table) {
            for e in &report.errors {
                eprintln!("input error: {e}");
            }
        }
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    Ok(ExitCode::from(if summary.failed() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }))
}
