//! `kubepci audit`: the tamper-evident audit log (serve, verify, prove, verify-proof, query,
//! prune). Thin: parses arguments and calls `kubepci-auditlog`, `kubepci-auditlog-server` and
//! `kubepci-checkpoint`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use kubepci_auditlog::leaf::LeafRecord;
use kubepci_auditlog::query::EventFields;
use kubepci_auditlog::reader::StoreReader;
use kubepci_auditlog::tail::TailConfig;
use kubepci_auditlog::{QueryFilter, StoreConfig, VerifyReport, WriterConfig};
use kubepci_checkpoint::{
    Checkpoint, ConsistencyProof, InclusionProof, NoteSigner, NoteVerifier, SignedCheckpoint,
    TLOG_PROOF_HEADER, open_checkpoint,
};

use super::args::{parse_duration, parse_size, shutdown_signal};
use super::{EXIT_FINDINGS, EXIT_OK, write_stdout};

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Receive audit events over HTTPS (apiserver webhook, Falco) and from log files
    Serve(ServeArgs),
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
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Data directory of the store (created if missing)
    #[arg(long)]
    data: PathBuf,
    /// Private checkpoint signing key (from `kubepci keys generate`)
    #[arg(long)]
    key: PathBuf,
    /// Address to listen on
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// Server certificate chain (PEM)
    #[arg(long)]
    tls_cert: PathBuf,
    /// Server private key (PEM)
    #[arg(long)]
    tls_key: PathBuf,
    /// CA that signs client certificates; when given, clients must present one and its
    /// common name is recorded as the events' source
    #[arg(long)]
    client_ca: Option<PathBuf>,
    /// Follow an apiserver log-backend file (JSON lines), across rotation; repeatable
    #[arg(long)]
    tail: Vec<PathBuf>,
    /// Source recorded for tailed events (default `file:<path>`)
    #[arg(long)]
    tail_source: Option<String>,
    /// Prune bodies older than this (e.g. 365d); checked at start and hourly
    #[arg(long, value_parser = parse_duration)]
    retain: Option<Duration>,
    /// Sign a checkpoint at least this often while events arrive
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    checkpoint_interval: Duration,
    /// Sign a checkpoint once this many entries are unsigned
    #[arg(long, default_value_t = 100_000)]
    checkpoint_entries: u64,
    /// Largest request body
    #[arg(long, default_value = "12MiB", value_parser = parse_size)]
    max_body: usize,
    /// Most requests handled at once (bounds memory at this many bodies)
    #[arg(long, default_value_t = 64)]
    max_concurrent_requests: usize,
    /// Start a new segment file after this size
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    segment_size: usize,
    /// Exact dedupe window on (source, auditID, stage)
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    dedupe_window: Duration,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// Human-readable text
    Table,
    /// The report as JSON
    Json,
}

#[derive(Debug, Args)]
struct VerifyArgs {
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
struct ProveArgs {
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
struct VerifyProofArgs {
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum QueryFormat {
    /// One JSON object per line: sequence, times, source, kind and the event as received
    Json,
    /// Columns for people
    Table,
    /// The events' bytes exactly as received, one per line (NDJSON export)
    Raw,
}

#[derive(Debug, Args)]
struct QueryArgs {
    /// Data directory of the store
    #[arg(long)]
    data: PathBuf,
    /// Events at or after this time (RFC 3339, or a duration ago such as 24h)
    #[arg(long)]
    since: Option<String>,
    /// Events before this time (RFC 3339, or a duration ago)
    #[arg(long)]
    until: Option<String>,
    /// user.username
    #[arg(long)]
    user: Option<String>,
    /// verb
    #[arg(long)]
    verb: Option<String>,
    /// objectRef.resource
    #[arg(long)]
    resource: Option<String>,
    /// objectRef.namespace
    #[arg(long)]
    namespace: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = QueryFormat::Json)]
    format: QueryFormat,
}

#[derive(Debug, Args)]
struct PruneArgs {
    /// Data directory of the store
    #[arg(long)]
    data: PathBuf,
    /// Keep bodies younger than this (PCI DSS 10.5.1: at least 365d)
    #[arg(long, value_parser = parse_duration)]
    retain: Duration,
}

impl AuditArgs {
    /// Whether the command is the long-running server.
    pub(crate) fn is_server(&self) -> bool {
        matches!(self.command, AuditCommand::Serve(_))
    }
}

pub(crate) fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Serve(a) => serve(a),
        AuditCommand::Verify(a) => verify(a),
        AuditCommand::Prove(a) => prove(a),
        AuditCommand::VerifyProof(a) => verify_proof(a),
        AuditCommand::Query(a) => query(a),
        AuditCommand::Prune(a) => prune(a),
    }
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {what} {}", path.display()))
}

fn load_verifier(path: &Path) -> anyhow::Result<NoteVerifier> {
    NoteVerifier::parse(read_text(path, "public key")?.trim())
        .with_context(|| format!("parsing public key {}", path.display()))
}

fn load_signer(path: &Path) -> anyhow::Result<NoteSigner> {
    NoteSigner::parse(read_text(path, "private key")?.trim())
        .with_context(|| format!("parsing private key {}", path.display()))
}

fn now_ns() -> i64 {
    kubepci_auditlog::store::now_ns()
}

fn rfc3339(ns: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ns.to_string())
}

fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let signer = load_signer(&a.key)?;
    let tls = kubepci_https::tls::ServerTls::load(&kubepci_https::tls::TlsFiles {
        cert: a.tls_cert.clone(),
        key: a.tls_key.clone(),
        client_ca: a.client_ca.clone(),
    })
    .context("configuring TLS")?;
    let mut store = StoreConfig::new(&a.data);
    store.segment_bytes = a.segment_size as u64;
    store.dedupe_window = a.dedupe_window;
    let tails = a
        .tail
        .iter()
        .map(|path| {
            let mut cfg = TailConfig::new(path, &a.data);
            if let Some(source) = &a.tail_source {
                cfg.source.clone_from(source);
            }
            cfg
        })
        .collect();
    let options = kubepci_auditlog_server::RunOptions {
        store,
        signer,
        listen: a.listen,
        tls,
        writer: WriterConfig {
            checkpoint_interval: a.checkpoint_interval,
            checkpoint_entries: a.checkpoint_entries,
            ..WriterConfig::default()
        },
        tails,
        retain: a.retain,
        max_body_bytes: a.max_body,
        max_concurrent_requests: a.max_concurrent_requests,
        commit_timeout: Duration::from_secs(25),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = runtime
        .block_on(kubepci_auditlog_server::run(
            options,
            |addr| {
                let _ = write_stdout(format!("listening on https://{addr}\n").as_bytes());
            },
            shutdown_signal(),
        ))
        .with_context(|| format!("serving the audit store in {}", a.data.display()))?;
    eprintln!(
        "stopped: {} entries, final checkpoint at {}",
        summary.entries,
        summary
            .checkpoint_size
            .map_or_else(|| "none".into(), |s| s.to_string())
    );
    Ok(ExitCode::from(EXIT_OK))
}

fn print_report(report: &VerifyReport) -> String {
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

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
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

fn prove(a: ProveArgs) -> anyhow::Result<ExitCode> {
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

fn verify_proof(a: VerifyProofArgs) -> anyhow::Result<ExitCode> {
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

fn parse_time(text: &str) -> anyhow::Result<i64> {
    if let Some(ns) = kubepci_auditlog::event::parse_rfc3339_ns(text) {
        return Ok(ns);
    }
    let ago = parse_duration(text)
        .map_err(|e| anyhow::anyhow!("{text:?} is neither an RFC 3339 time nor a duration: {e}"))?;
    Ok(now_ns().saturating_sub(i64::try_from(ago.as_nanos()).unwrap_or(i64::MAX)))
}

fn query(a: QueryArgs) -> anyhow::Result<ExitCode> {
    let filter = QueryFilter {
        since_ns: a.since.as_deref().map(parse_time).transpose()?,
        until_ns: a.until.as_deref().map(parse_time).transpose()?,
        user: a.user,
        verb: a.verb,
        resource: a.resource,
        namespace: a.namespace,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut failed: Option<std::io::Error> = None;
    if matches!(a.format, QueryFormat::Table) {
        let _ = writeln!(
            out,
            "{:<8} {:<30} {:<24} {:<8} {:<20} {:<16} SOURCE",
            "SEQ", "TIME", "USER", "VERB", "RESOURCE", "NAMESPACE"
        );
    }
    kubepci_auditlog::query(&a.data, &filter, |leaf, body| {
        let written = match a.format {
            QueryFormat::Raw => out.write_all(body).and_then(|()| out.write_all(b"\n")),
            QueryFormat::Json => {
                let head = serde_json::json!({
                    "seq": leaf.seq,
                    "receivedAt": rfc3339(leaf.received_at_ns),
                    "eventTime": rfc3339(leaf.event_time_ns),
                    "source": leaf.source.display(),
                    "kind": leaf.kind.name(),
                })
                .to_string();
                // The event is embedded exactly as received.
                out.write_all(&head.as_bytes()[..head.len() - 1])
                    .and_then(|()| out.write_all(b",\"event\":"))
                    .and_then(|()| out.write_all(body))
                    .and_then(|()| out.write_all(b"}\n"))
            }
            QueryFormat::Table => {
                let f = EventFields::of(leaf.kind, body);
                let col = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                writeln!(
                    out,
                    "{:<8} {:<30} {:<24} {:<8} {:<20} {:<16} {}",
                    leaf.seq,
                    rfc3339(leaf.event_time_ns),
                    col(f.user),
                    col(f.verb),
                    col(f.resource),
                    col(f.namespace),
                    leaf.source.display()
                )
            }
        };
        match written {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })
    .with_context(|| format!("querying {}", a.data.display()))?;
    let flushed = out.flush();
    match failed.map_or(flushed, Err) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing the query output")?,
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn prune(a: PruneArgs) -> anyhow::Result<ExitCode> {
    let cutoff = now_ns().saturating_sub(i64::try_from(a.retain.as_nanos()).unwrap_or(i64::MAX));
    let pruned = kubepci_auditlog::prune(&a.data, cutoff, &rfc3339(now_ns()))
        .with_context(|| format!("pruning {}", a.data.display()))?;
    let mut text = String::new();
    for p in &pruned {
        text.push_str(&format!(
            "pruned segment {} (entries {}..{})\n",
            p.segment, p.first_seq, p.end_seq
        ));
    }
    text.push_str(&format!("{} segment(s) pruned\n", pruned.len()));
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(EXIT_OK))
}
