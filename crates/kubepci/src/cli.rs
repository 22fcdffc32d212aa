//! Command-line definition (clap derive). Each subcommand's arguments live beside its code in
//! `commands/`.

use clap::{Parser, Subcommand};

use crate::commands;
use crate::telemetry::LogArgs;

/// kubepci makes a Kubernetes platform PCI DSS v4.0.1 compliant and proves it.
#[derive(Debug, Parser)]
#[command(name = "kubepci", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) log: LogArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check manifests (files, directories or `-` for stdin) against the PCI DSS rule catalogue
    Scan(commands::scan::ScanArgs),
    /// Admission webhook: enforce the same catalogue before objects reach the cluster
    Webhook(commands::webhook::WebhookArgs),
    /// List the rule catalogue or explain one rule
    Rules(commands::rules::RulesArgs),
    /// Reachability matrix between workloads and from outside; is the CDE segmented?
    Segmentation(commands::segmentation::SegmentationArgs),
    /// Tamper-evident audit log: serve, verify, prove, verify-proof, query, prune
    Audit(commands::audit::AuditArgs),
    /// Signing keys for audit-log checkpoints
    Keys(commands::keys::KeysArgs),
}

impl Command {
    /// The log level when `KUBEPCI_LOG`/`RUST_LOG` are unset: servers log their decisions.
    pub(crate) fn default_log_level(&self) -> &'static str {
        match self {
            Command::Webhook(_) => "info",
            Command::Audit(args) if args.is_server() => "info",
            _ => "warn",
        }
    }
}
