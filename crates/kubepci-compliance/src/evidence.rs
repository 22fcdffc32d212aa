//! Gathering the evidence a report is made from: the inputs and their digests, the scan, the
//! segmentation verdict and the audit-log checkpoint. This is the only module that reads
//! files (through the engine, the loader and the audit store).

use std::path::Path;

use kubepci_checkpoint::NoteVerifier;
use kubepci_engine::{Config, Input, ScanOptions};
use kubepci_k8s::source::InputPath;
use kubepci_model::Severity;
use kubepci_report::json::ScanDocument;
use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use crate::assess::hex;
use crate::model::{AuditLogRecord, InputDigest, SegmentationRecord};

/// Why evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// An input could not be read.
    #[error("reading {file}")]
    Read {
        /// The input.
        file: String,
        /// Why.
        #[source]
        source: kubepci_k8s::InputError,
    },
    /// A saved scan result is not a `kubepci.scan/v1` document.
    #[error("{file} is not a kubepci scan result (kubepci scan --format json)")]
    NotAScanResult {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A saved scan result of another schema.
    #[error("{file} has schema `{schema}`, expected kubepci.scan/v1")]
    UnknownSchema {
        /// The file.
        file: String,
        /// Its schema.
        schema: String,
    },
    /// The audit store could not be read.
    #[error("reading the audit store in {}", dir.display())]
    AuditStore {
        /// The data directory.
        dir: std::path::PathBuf,
        /// Why.
        #[source]
        source: kubepci_auditlog::StoreError,
    },
}

/// The digest of one input already read.
#[must_use]
pub fn digest(name: &str, bytes: &[u8]) -> InputDigest {
    InputDigest {
        name: name.to_owned(),
        bytes: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
    }
}

/// Reads every input into memory and digests it (in parallel, in input order).
///
/// # Errors
/// When an input cannot be read.
pub fn read_inputs(paths: &[InputPath]) -> Result<(Vec<Input>, Vec<InputDigest>), EvidenceError> {
    let read: Vec<(Input, InputDigest)> = paths
        .par_iter()
        .map(|path| {
            let name = path.display_name();
            let bytes = path.read().map_err(|source| EvidenceError::Read {
                file: name.clone(),
                source,
            })?;
            let digest = digest(&name, &bytes);
            Ok((Input { name, bytes }, digest))
        })
        .collect::<Result<_, EvidenceError>>()?;
    Ok(read.into_iter().unzip())
}

/// Scans inputs already in memory and returns the scan as its JSON document (the form a saved
/// result has, so both sources are assessed by one code path).
#[must_use]
pub fn scan(inputs: &[Input], options: &ScanOptions, tool_version: &'static str) -> ScanDocument {
    let report = kubepci_engine::scan_inputs(inputs, options);
    kubepci_report::json::document(
        &report,
        &kubepci_report::RenderOptions {
            fail_on: Severity::Low,
            color: false,
            tool_version,
        },
    )
}

/// Parses a saved `kubepci scan --format json` document.
///
/// # Errors
/// When it is not one.
pub fn parse_scan_result(file: &str, bytes: &[u8]) -> Result<ScanDocument, EvidenceError> {
    let doc: ScanDocument =
        serde_json::from_slice(bytes).map_err(|source| EvidenceError::NotAScanResult {
            file: file.to_owned(),
            source,
        })?;
    if doc.schema != kubepci_report::json::SCHEMA {
        return Err(EvidenceError::UnknownSchema {
            file: file.to_owned(),
            schema: doc.schema,
        });
    }
    Ok(doc)
}

/// The verdict of `kubepci segmentation` on the same inputs.
#[must_use]
pub fn segmentation(
    inputs: &[Input],
    config: &Config,
    default_namespace: Option<&str>,
) -> SegmentationRecord {
    let loaded = kubepci_engine::load_inventory_inputs(
        inputs,
        kubepci_netpol::INPUT_KINDS,
        config,
        default_namespace,
    );
    let network =
        kubepci_netpol::Network::build(&loaded.inventory, &config.settings.segmentation.network);
    let report = kubepci_netpol::Report::compute(&network);
    SegmentationRecord {
        status: report.verdict.status.as_str().to_owned(),
        summary: report.verdict.summary,
    }
}

/// Reads a saved `kubepci segmentation --format json` report's verdict.
///
/// # Errors
/// When the bytes are not such a report.
pub fn parse_segmentation(bytes: &[u8]) -> Result<SegmentationRecord, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Saved {
        verdict: SegmentationRecord,
    }
    serde_json::from_slice::<Saved>(bytes).map(|s| s.verdict)
}

/// Verifies the audit store in `dir` (every hash recomputed, every checkpoint checked) and
/// returns its latest checkpoint.
///
/// # Errors
/// When the store cannot be read or has no checkpoint signed by `key`.
pub fn audit_log(dir: &Path, key: &NoteVerifier) -> Result<AuditLogRecord, EvidenceError> {
    let failed = |source| EvidenceError::AuditStore {
        dir: dir.to_owned(),
        source,
    };
    let verification = kubepci_auditlog::verify_store(dir, key, None).map_err(failed)?;
    let reader = kubepci_auditlog::StoreReader::open(dir).map_err(failed)?;
    let latest = reader.latest_checkpoint(key).map_err(failed)?;
    Ok(AuditLogRecord {
        origin: latest.checkpoint.origin.clone(),
        key: key.to_string(),
        size: latest.checkpoint.size,
        root_hash: latest.checkpoint.root.to_hex(),
        checkpoint: latest.note,
        verified: verification.is_ok(),
        entries: verification.entries,
        unsigned_entries: verification.unsigned_entries,
        problems: verification
            .problems
            .iter()
            .map(|p| match p.position {
                Some(at) => format!("{} (at entry {at})", p.detail),
                None => p.detail.clone(),
            })
            .collect(),
    })
}
