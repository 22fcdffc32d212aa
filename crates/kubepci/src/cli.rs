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
    /// Signing keys for audit-log checkpoints and reports
    Keys(commands::keys::KeysArgs),
    /// The auditor's report: every PCI DSS requirement with its status and evidence
    Report(commands::report::ReportArgs),
    /// Write a compliant baseline: CDE namespace, default-deny policies, audit and encryption
    /// configuration
    Init(commands::init::InitArgs),
    /// Gatekeeper templates and ValidatingAdmissionPolicies: run their test suites
    Policy(commands::policy::PolicyArgs),
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
