//! Evidence over time: a report's signed summary, appended to the tamper-evident audit log
//! (`kubepci report --record`), and the sequence of them read back as a compliance timeline
//! (`kubepci report history`).
//!
//! # Summary format (`kubepci.report-summary/v1`)
//!
//! One JSON object: the report's digest (its ID in the log), time, evaluation date, tool and
//! catalogue, the digest of its inputs, the audit checkpoint it was made against, counts by
//! status and every requirement's status; signed like the report (RFC 8785 canonical JSON
//! without `signature`, SHA-256, a C2SP signed note over `kubepci.report-summary/v1\n<digest>\n`)
//! with the report's key. A summary can be checked without the report; with the report, its
//! `reportDigest` matches the report's signature.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use kubepci_auditlog::{IncomingBatch, REPORT_SUMMARY_KIND, Store, StoreConfig};
use kubepci_checkpoint::{NoteSigner, NoteVerifier, SignedCheckpoint};
use serde::{Deserialize, Serialize};

use crate::model::{Report, Signature};
use crate::sign::{self, SignError, VerifyError};

/// The audit checkpoint a report was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointRef {
    /// The log's origin.
    pub origin: String,
    /// Its size.
    pub size: u64,
    /// Its root hash (hex).
    pub root_hash: String,
}

/// The summary of one report as recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    /// Always `kubepci.report-summary/v1`.
    pub kind: String,
    /// The signed report's digest (`sha256:<hex>`).
    pub report_digest: String,
    /// When the report was made.
    pub generated_at: String,
    /// Its evaluation date.
    pub as_of: String,
    /// kubepci's version.
    pub tool_version: String,
    /// The catalogue digest.
    pub catalogue_digest: String,
    /// The inputs' digest.
    pub inputs_digest: String,
    /// The audit checkpoint the report was made against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_checkpoint: Option<CheckpointRef>,
    /// Requirements by status.
    pub by_status: BTreeMap<String, usize>,
    /// Every requirement's status.
    pub statuses: BTreeMap<String, String>,
    /// Open findings.
    pub open_findings: usize,
    /// The summary's signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

/// Why recording or reading the history failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// Only signed reports are recorded.
    #[error("only a signed report can be recorded (use --sign)")]
    Unsigned,
    /// Signing the summary failed.
    #[error("signing the summary")]
    Sign(#[from] SignError),
    /// The audit store failed.
    #[error("the audit store")]
    Store(#[from] kubepci_auditlog::StoreError),
    /// A recorded entry is not a summary.
    #[error("entry {seq} is not a report summary")]
    Decode {
        /// Its position.
        seq: u64,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// The signed summary of a signed report.
///
/// # Errors
/// When the report is unsigned or signing fails.
pub fn summarise(report: &Report, signer: &NoteSigner) -> Result<ReportSummary, HistoryError> {
    let digest = report
        .signature
        .as_ref()
        .map(|s| s.digest.clone())
        .ok_or(HistoryError::Unsigned)?;
    let mut summary = ReportSummary {
        kind: REPORT_SUMMARY_KIND.to_owned(),
        report_digest: digest,
        generated_at: report.generated_at.clone(),
        as_of: report.as_of.clone(),
        tool_version: report.tool.version.clone(),
        catalogue_digest: report.scope.catalogue.digest.clone(),
        inputs_digest: report.scope.inputs_digest.clone(),
        audit_checkpoint: report.audit_log.as_ref().map(|l| CheckpointRef {
            origin: l.origin.clone(),
            size: l.size,
            root_hash: l.root_hash.clone(),
        }),
        by_status: report.summary.by_status.clone(),
        statuses: report
            .requirements
            .iter()
            .map(|r| (r.id.clone(), r.status.as_str().to_owned()))
            .collect(),
        open_findings: report.summary.open_findings,
        signature: None,
    };
    let value = serde_json::to_value(&summary).map_err(SignError::Json)?;
    summary.signature = Some(sign::sign_value(value, REPORT_SUMMARY_KIND, signer)?);
    Ok(summary)
}

/// The summary's bytes as recorded: compact JSON and a newline.
#[must_use]
pub fn to_bytes(summary: &ReportSummary) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(summary).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// What recording did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The entry's position in the log (`None` when the same report was recorded before).
    pub seq: Option<u64>,
    /// The checkpoint signed after it, when a log key was given.
    pub checkpoint: Option<SignedCheckpoint>,
}

/// Appends a summary to a local store (which must not be open in another process: use the
/// server's `/v1/report` route then), durably, and signs a checkpoint when `log_key` is given.
///
/// # Errors
/// When the store cannot be opened (or is locked) or the write fails.
pub fn record_local(
    dir: &Path,
    summary: &ReportSummary,
    source: &str,
    log_key: Option<&NoteSigner>,
) -> Result<Recorded, HistoryError> {
    let body = to_bytes(summary);
    let event = kubepci_auditlog::decode_report_summary(&body).map_err(|e| {
        HistoryError::Store(kubepci_auditlog::StoreError::Damaged(format!(
            "the summary does not decode: {e}"
        )))
    })?;
    let (mut store, _) = Store::open(StoreConfig::new(dir))?;
    let before = store.size();
    let outcome = store.append_group(&[IncomingBatch::new(
        source.to_owned(),
        Arc::new(body),
        vec![event],
    )])?;
    let seq = outcome.first().filter(|o| o.accepted == 1).map(|_| before);
    let checkpoint = match log_key {
        Some(key) => store.checkpoint(key)?,
        None => None,
    };
    Ok(Recorded { seq, checkpoint })
}

/// One recorded report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Its position in the log.
    pub seq: u64,
    /// When it was received (RFC 3339).
    pub recorded_at: String,
    /// Who sent it.
    pub source: String,
    /// The summary.
    pub summary: ReportSummary,
    /// `verified`, `unsigned`, `bad-signature: …`, or `unchecked` (no key given).
    pub signature: String,
    /// Requirements whose status changed since the previous entry: (ID, before, after).
    pub changes: Vec<(String, String, String)>,
}

/// Reads every recorded summary of a store, in log order, checking each signature with
/// `report_key` when given and computing status changes between consecutive reports.
///
/// # Errors
/// When the store cannot be read or an entry does not decode.
pub fn read_history(
    dir: &Path,
    report_key: Option<&NoteVerifier>,
) -> Result<Vec<HistoryEntry>, HistoryError> {
    let reader = kubepci_auditlog::StoreReader::open(dir)?;
    let mut entries: Vec<HistoryEntry> = Vec::new();
    for seq in 0..reader.size() {
        let leaf = reader.leaf(seq)?;
        if leaf.kind != kubepci_auditlog::EventKind::ReportSummary {
            continue;
        }
        let body = reader.body(&leaf)?;
        let summary: ReportSummary =
            serde_json::from_slice(&body).map_err(|source| HistoryError::Decode { seq, source })?;
        let signature = match report_key {
            None => "unchecked".to_owned(),
            Some(_) if summary.signature.is_none() => "unsigned".to_owned(),
            Some(key) => match serde_json::from_slice::<serde_json::Value>(&body)
                .map_err(VerifyError::NotJson)
                .and_then(|v| sign::verify_value(v, REPORT_SUMMARY_KIND, key))
            {
                Ok(_) => "verified".to_owned(),
                Err(e) => format!("bad-signature: {e}"),
            },
        };
        let changes = entries
            .last()
            .map(|prev| changes(&prev.summary, &summary))
            .unwrap_or_default();
        entries.push(HistoryEntry {
            seq,
            recorded_at: crate::date::format_time(
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(leaf.received_at_ns))
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            ),
            source: leaf.source.display(),
            summary,
            signature,
            changes,
        });
    }
    Ok(entries)
}

fn changes(before: &ReportSummary, after: &ReportSummary) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (id, status) in &after.statuses {
        let old = before.statuses.get(id).map_or("absent", String::as_str);
        if old != status {
            out.push((id.clone(), old.to_owned(), status.clone()));
        }
    }
    for (id, status) in &before.statuses {
        if !after.statuses.contains_key(id) {
            out.push((id.clone(), status.clone(), "absent".to_owned()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The history as a table for people.
#[must_use]
pub fn history_table(entries: &[HistoryEntry]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<6} {:<21} {:<11} {:>9} {:>9} {:>9} {:>9}  {:<10} REPORT",
        "SEQ", "GENERATED", "AS OF", "IN PLACE", "NOT", "ATTESTED", "TO DO", "SIGNATURE"
    );
    for e in entries {
        let n = |k: &str| e.summary.by_status.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{:<6} {:<21} {:<11} {:>9} {:>9} {:>9} {:>9}  {:<10} {}",
            e.seq,
            e.summary.generated_at,
            e.summary.as_of,
            n("in-place") + n("in-place-with-waivers"),
            n("not-in-place"),
            n("attested"),
            n("not-tested") + n("not-attested") + n("attestation-overdue"),
            e.signature.split(':').next().unwrap_or_default(),
            e.summary.report_digest
        );
        for (id, before, after) in &e.changes {
            let _ = writeln!(out, "       {id}: {before} -> {after}");
        }
    }
    if entries.is_empty() {
        out.push_str("no report has been recorded in this store\n");
    }
    out
}
