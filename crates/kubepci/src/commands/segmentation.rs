//! `kubepci segmentation`: the reachability matrix and whether the CDE is segmented.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use kubepci_model::Scope;
use kubepci_netpol::{Network, Report, Status};

use super::engine_args::{load_configuration, parse_scope};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SegmentationFormat {
    /// Tables: namespaces, connections, from and to outside the cluster, the verdict
    Table,
    /// The versioned JSON report (docs/segmentation.md)
    Json,
    /// A Graphviz digraph (`| dot -Tsvg > segmentation.svg`)
    Dot,
}

#[derive(Debug, Args)]
pub(crate) struct SegmentationArgs {
    /// Files or directories to analyse (directories recursively: .yaml, .yml, .json); `-`
    /// reads stdin
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = SegmentationFormat::Table)]
    pub(crate) format: SegmentationFormat,

    /// Write the output to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Configuration file (default: ./kubepci.yaml when it exists)
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// PCI scope of a namespace, overriding its label and the configuration (repeatable)
    #[arg(long = "scope", value_name = "NS=SCOPE", value_parser = parse_scope)]
    pub(crate) scopes: Vec<(String, Scope)>,

    /// Namespace assumed for namespaced objects that name none (as with `kubectl apply -n`)
    #[arg(short = 'n', long, value_name = "NS")]
    pub(crate) namespace: Option<String>,
}

/// Exit 0 when the CDE is segmented (or there is none), 1 when a path crosses its boundary
/// or segmentation cannot be proven, 2 on input errors.
pub(crate) fn run(args: SegmentationArgs) -> anyhow::Result<ExitCode> {
    let config = load_configuration(args.config.as_ref(), &args.scopes)?;
    let paths = kubepci_k8s::source::expand(&args.paths)?;
    let loaded = kubepci_engine::load_inventory(
        &paths,
        kubepci_netpol::INPUT_KINDS,
        &config,
        args.namespace.as_deref(),
    );
    let network = Network::build(&loaded.inventory, &config.settings.segmentation.network);
    let report = Report::compute(&network);
    tracing::info!(
        files = loaded.stats.files,
        workloads = report.workloads.len(),
        connections = report.connections.len(),
        breaches = report.breaches.len(),
        verdict = report.verdict.status.as_str(),
        "segmentation analysed"
    );
    let rendered = match args.format {
        SegmentationFormat::Table => report.to_table(),
        SegmentationFormat::Json => report.to_json(),
        SegmentationFormat::Dot => report.to_dot(),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, rendered).with_context(|| format!("writing {}", path.display()))?
        }
        None => super::write_stdout(rendered.as_bytes())?,
    }
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            eprintln!("input error: {e}");
        }
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    Ok(ExitCode::from(match report.verdict.status {
        Status::Segmented | Status::NoCde => EXIT_OK,
        Status::Breached | Status::Unproven => EXIT_FINDINGS,
    }))
}
