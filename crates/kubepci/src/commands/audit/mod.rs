//! `kubepci audit`: the tamper-evident audit log (serve, verify, prove, verify-proof, query,
//! prune, detect, review). Thin: one file per subcommand; each parses its arguments, calls
//! `kubepci-auditlog`, `kubepci-auditlog-server`, `kubepci-checkpoint` or `kubepci-detect` and
//! prints.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

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

/// Parses `365d`, `24h`, `90m`, `30s`, `250ms`.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} needs a unit (ms, s, m, h, d)"))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("unknown unit {unit:?} (use ms, s, m, h or d)")),
    };
    Ok(Duration::from_secs(secs))
}

/// Parses a size such as `12MiB`, `64MiB`, `4096`.
pub(super) fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (number, mult) = if let Some(n) = text.strip_suffix("GiB") {
        (n, 1 << 30)
    } else if let Some(n) = text.strip_suffix("MiB") {
        (n, 1 << 20)
    } else if let Some(n) = text.strip_suffix("KiB") {
        (n, 1 << 10)
    } else {
        (text, 1)
    };
    number
        .trim()
        .parse::<usize>()
        .map(|n| n * mult)
        .map_err(|_| format!("{text:?} is not a size (e.g. 12MiB)"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(
            parse_duration("365d"),
            Ok(Duration::from_secs(365 * 86_400))
        );
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5y").is_err());
        assert_eq!(parse_size("12MiB"), Ok(12 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
    }
}
