//! `kubepci audit`: the tamper-evident audit log (serve, verify, prove, verify-proof, query,
//! prune, detect, review). Thin: one file per subcommand; each parses its arguments, calls
//! `kubepci-auditlog`, `kubepci-auditlog-server`, `kubepci-checkpoint` or `kubepci-detect` and
//! prints.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use kubepci_checkpoint::{NoteSigner, NoteVerifier};

pub(super) use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, write_stdout};

pub(crate) mod detect;
mod query;
mod review;
mod serve;
mod verify;

use query::{PruneArgs, QueryArgs, prune, query};
use serve::{ServeArgs, serve};
use verify::{ProveArgs, VerifyArgs, VerifyProofArgs, prove, verify, verify_proof};

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Receive audit events over HTTPS (apiserver webhook, Falco) and from log files
    Serve(Box<ServeArgs>),
    /// Recompute every hash of a store and check every checkpoint (exit 1 on any problem)
    Verify(VerifyArgs),
    /// Print an inclusion proof (tlog-proof) or a consistency proof (tlog-witness body)
    Prove(ProveArgs),
    /// Check a proof with only the proof, the public key (and an old checkpoint or the event)
    VerifyProof(VerifyProofArgs),
    /// Stream matching events without loading the store into memory
    Query(QueryArgs),
    /// Remove bodies older than the retention period (proofs stay valid)
    Prune(PruneArgs),
    /// Run Falco rules (k8s_audit) and kubepci's PCI rules over audit events from files
    Detect(detect::DetectArgs),
    /// The daily log review (PCI DSS 10.4.1): alerts, failures, privileged actions, changes to
    /// controls, CDE Secret access, ingest gaps, clock skew, the checkpoint
    Review(review::ReviewArgs),
}

pub(super) use super::args::{parse_duration, parse_size};

impl AuditArgs {
    /// Whether the command is the long-running server.
    pub(crate) fn is_server(&self) -> bool {
        matches!(self.command, AuditCommand::Serve(_))
    }
}

pub(crate) fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Serve(a) => serve(*a),
        AuditCommand::Verify(a) => verify(a),
        AuditCommand::Prove(a) => prove(a),
        AuditCommand::VerifyProof(a) => verify_proof(a),
        AuditCommand::Query(a) => query(a),
        AuditCommand::Prune(a) => prune(a),
        AuditCommand::Detect(a) => detect::run(a),
        AuditCommand::Review(a) => review::run(a),
    }
}

pub(super) fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {what} {}", path.display()))
}

pub(super) fn load_verifier(path: &Path) -> anyhow::Result<NoteVerifier> {
    NoteVerifier::parse(read_text(path, "public key")?.trim())
        .with_context(|| format!("parsing public key {}", path.display()))
}

pub(super) fn load_signer(path: &Path) -> anyhow::Result<NoteSigner> {
    NoteSigner::parse(read_text(path, "private key")?.trim())
        .with_context(|| format!("parsing private key {}", path.display()))
}

pub(super) fn now_ns() -> i64 {
    kubepci_auditlog::store::now_ns()
}

pub(super) fn rfc3339(ns: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ns.to_string())
}

pub(super) fn parse_time(text: &str) -> anyhow::Result<i64> {
    if let Some(ns) = kubepci_auditlog::event::parse_rfc3339_ns(text) {
        return Ok(ns);
    }
    let ago = parse_duration(text)
        .map_err(|e| anyhow::anyhow!("{text:?} is neither an RFC 3339 time nor a duration: {e}"))?;
    Ok(now_ns().saturating_sub(i64::try_from(ago.as_nanos()).unwrap_or(i64::MAX)))
}
