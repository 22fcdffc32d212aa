//! `kubepci audit verify`, `prove` and `verify-proof`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use kubepci_auditlog::VerifyReport;
use kubepci_auditlog::leaf::LeafRecord;
use kubepci_auditlog::reader::StoreReader;
use kubepci_checkpoint::{
    Checkpoint, ConsistencyProof, InclusionProof, SignedCheckpoint, TLOG_PROOF_HEADER,
    open_checkpoint,
};

use super::*;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum ReportFormat {
    /// Human-readable text
    Table,
    /// The report as JSON
    Json,
}

#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// Data directory of the store
    #[arg(long)]
    data: PathBuf,
    /// Public key of the log (`<name>+<id>+<key>`, from `kubepci keys generate`)
    #[arg(long)]
    key: PathBuf,
    /// A checkpoint kept elsewhere (by an auditor or a witness) that the store must extend
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["index", "consistency"])))]
pub(super) struct ProveArgs {
    /// Data directory of the store
    #[arg(long)]
    data: PathBuf,
    /// Public key of the log
    #[arg(long)]
    key: PathBuf,
    /// Prove that entry N is in the checkpoint
    #[arg(long)]
    index: Option<u64>,
    /// Prove that the tree of OLD entries is a prefix of the stored checkpoint of NEW entries
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    consistency: Option<Vec<u64>>,
    /// For --index: the checkpoint to prove against (default: the store's latest)
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// For --index: also write the event's bytes to this file
    #[arg(long)]
    event_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct VerifyProofArgs {
    /// Public key of the log
    #[arg(long)]
    key: PathBuf,
    /// The proof file (`.tlog-proof`, or a consistency proof from `audit prove --consistency`)
    #[arg(long)]
    proof: PathBuf,
    /// For an inclusion proof: the event's bytes, checked against the leaf
    #[arg(long)]
    event: Option<PathBuf>,
    /// For a consistency proof: the older checkpoint, trusted earlier
    #[arg(long)]
    old_checkpoint: Option<PathBuf>,
}

pub(super) fn print_report(report: &VerifyReport) -> String {
    let mut out = String::new();
    let status = if report.is_ok() { "OK" } else { "FAILED" };
    out.push_str(&format!("verification: {status}\n"));
    out.push_str(&format!("entries: {}\n", report.entries));
    out.push_str(&format!(
        "checkpoints verified: {} (latest covers {} entries; {} entries after it)\n",
        report.checkpoints_verified,
        report.latest_checkpoint_size.unwrap_or(0),
        report.unsigned_entries
    ));
    out.push_str(&format!(
        "event bytes hashed: {}\n",
        report.body_bytes_verified
    ));
    if let Some(ext) = &report.external_checkpoint {
        out.push_str(&format!("external checkpoint: {ext}\n"));
    }
    for p in &report.pruned {
        out.push_str(&format!(
            "pruned: entries {}..{} (segment {}, pruned at {})\n",
            p.first_seq, p.end_seq, p.segment, p.pruned_at
        ));
    }
    for p in &report.problems {
        let at = p.position.map_or_else(|| "-".to_owned(), |x| x.to_string());
        let kind = serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.push_str(&format!(
            "PROBLEM {kind} at {at} (x{}): {}\n",
            p.count, p.detail
        ));
    }
    out
}

pub(super) fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = load_verifier(&a.key)?;
    let external = a
        .checkpoint
        .as_ref()
        .map(|p| std::fs::read(p).with_context(|| format!("reading checkpoint {}", p.display())))
        .transpose()?;
    let report = kubepci_auditlog::verify_store(&a.data, &key, external.as_deref())
        .with_context(|| format!("verifying the store in {}", a.data.display()))?;
    let text = match a.format {
        ReportFormat::Table => print_report(&report),
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
    };
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(if report.is_ok() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}

pub(super) fn prove(a: ProveArgs) -> anyhow::Result<ExitCode> {
    let key = load_verifier(&a.key)?;
    let reader =
        StoreReader::open(&a.data).with_context(|| format!("opening {}", a.data.display()))?;
    let text = if let Some(index) = a.index {
        let checkpoint: SignedCheckpoint = match &a.checkpoint {
            Some(path) => open_checkpoint(&std::fs::read(path)?, &key)
                .with_context(|| format!("checking checkpoint {}", path.display()))?,
            None => reader
                .latest_checkpoint(&key)
                .context("finding the latest checkpoint")?,
        };
        if index >= checkpoint.checkpoint.size {
            bail!(
                "entry {index} is not covered by the checkpoint ({} entries); wait for the next checkpoint",
                checkpoint.checkpoint.size
            );
        }
        let proof = reader
            .prove_inclusion(index, &checkpoint)
            .context("building the proof")?;
        if let Some(out) = &a.event_out {
            let leaf = reader.leaf(index)?;
            let body = reader.body(&leaf).context("reading the event")?;
            std::fs::write(out, body).with_context(|| format!("writing {}", out.display()))?;
        }
        proof.to_text()
    } else {
        let sizes = a.consistency.unwrap_or_default();
        let [old, new] = sizes[..] else {
            bail!("--consistency takes two sizes: OLD NEW");
        };
        let new_cp = reader
            .checkpoint_of_size(new, &key)
            .context("finding the newer checkpoint")?;
        if old > new {
            bail!("OLD ({old}) must not be larger than NEW ({new})");
        }
        reader
            .prove_consistency(old, &new_cp)
            .context("building the proof")?
            .to_text()
    };
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(EXIT_OK))
}

pub(super) fn verify_proof(a: VerifyProofArgs) -> anyhow::Result<ExitCode> {
    let key = load_verifier(&a.key)?;
    let bytes =
        std::fs::read(&a.proof).with_context(|| format!("reading {}", a.proof.display()))?;
    let outcome: Result<String, String> = if bytes.starts_with(TLOG_PROOF_HEADER.as_bytes()) {
        let proof = InclusionProof::parse(&bytes).context("parsing the tlog-proof")?;
        let leaf = proof
            .extra
            .clone()
            .context("the proof carries no leaf record (extra line)")?;
        let leaf_array: [u8; kubepci_auditlog::leaf::LEAF_SIZE] =
            leaf.as_slice()
                .try_into()
                .ok()
                .context("the extra data is not a 256-byte leaf record")?;
        let record =
            LeafRecord::decode(&leaf_array).map_err(|e| anyhow::anyhow!("leaf record: {e}"))?;
        match proof.verify(&key, &kubepci_tlog::leaf_hash(&leaf)) {
            Err(e) => Err(format!("inclusion proof does not verify: {e:#}")),
            Ok(cp) => {
                let event_ok = match &a.event {
                    None => Ok(()),
                    Some(path) => {
                        use sha2::Digest as _;
                        let body = std::fs::read(path)
                            .with_context(|| format!("reading {}", path.display()))?;
                        let digest: [u8; 32] = sha2::Sha256::digest(&body).into();
                        if digest == record.event_sha256 {
                            Ok(())
                        } else {
                            Err(format!(
                                "{} is not the event of entry {}",
                                path.display(),
                                proof.index
                            ))
                        }
                    }
                };
                event_ok.map(|()| {
                    format!(
                        "OK: entry {} ({} {} from {}, received {}) is in checkpoint {} of {} entries{}\n",
                        proof.index,
                        record.audit_id.display(),
                        record.stage.name(),
                        record.source.display(),
                        rfc3339(record.received_at_ns),
                        cp.checkpoint.origin,
                        cp.checkpoint.size,
                        if a.event.is_some() { "; the event's bytes match" } else { "" }
                    )
                })
            }
        }
    } else {
        let proof = ConsistencyProof::parse(&bytes).context("parsing the consistency proof")?;
        let old_path = a
            .old_checkpoint
            .as_ref()
            .context("a consistency proof needs --old-checkpoint")?;
        let old: Checkpoint = open_checkpoint(&std::fs::read(old_path)?, &key)
            .with_context(|| format!("checking {}", old_path.display()))?
            .checkpoint;
        match proof.verify(&key, &old) {
            Ok(new) => Ok(format!(
                "OK: the log of {} entries extends the checkpoint of {} entries\n",
                new.checkpoint.size, old.size
            )),
            Err(e) => Err(format!("consistency proof does not verify: {e:#}")),
        }
    };
    match outcome {
        Ok(text) => {
            write_stdout(text.as_bytes())?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Err(text) => {
            write_stdout(format!("FAILED: {text}\n").as_bytes())?;
            Ok(ExitCode::from(EXIT_FINDINGS))
        }
    }
}
