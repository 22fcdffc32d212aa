//! `kubepci report`: the auditor's report, requirement by requirement; `report verify` and
//! `report history`. Thin: gathers the inputs, calls `kubepci-compliance` and writes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use kubepci_checkpoint::{NoteSigner, NoteVerifier};
use kubepci_compliance::evidence;
use kubepci_compliance::{Evidence, ScanSource};

use super::engine_args::{EngineArgs, today_utc};
use super::{EXIT_FINDINGS, EXIT_OK, write_stdout};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// One self-contained, printable HTML file
    Html,
    /// The versioned `kubepci.report/v1` JSON document (docs/report.md)
    Json,
    /// Markdown for pull-request comments
    Markdown,
}

impl ReportFormat {
    fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "md",
        }
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ReportArgs {
    #[command(subcommand)]
    command: Option<ReportCommand>,

    #[command(flatten)]
    make: MakeArgs,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Check a signed JSON report with the signer's public key (exit 1 when it does not verify)
    Verify(VerifyArgs),
    /// List the reports recorded in an audit store, with status changes between them
    History(HistoryArgs),
}

#[derive(Debug, Args)]
struct MakeArgs {
    /// Manifests to scan (files or directories, `-` for stdin), as for `kubepci scan`
    #[arg(value_name = "PATH", required_unless_present = "scan_result")]
    paths: Vec<PathBuf>,

    /// Report on a saved `kubepci scan --format json` result instead of scanning
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    scan_result: Option<PathBuf>,

    /// With --scan-result: the saved `kubepci segmentation --format json` of the same input
    #[arg(long, value_name = "FILE", requires = "scan_result")]
    segmentation: Option<PathBuf>,

    /// Output format (one of html, json, markdown)
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Html)]
    format: ReportFormat,

    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    output: Option<PathBuf>,

    /// Write report.html, report.json and report.md (one assessment, one digest) into DIR
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,

    /// Attestation register for manual and supported requirements (YAML, docs/report.md)
    #[arg(short, long, value_name = "FILE")]
    attestations: Option<PathBuf>,

    #[command(flatten)]
    engine: EngineArgs,

    /// Namespace assumed for namespaced objects that name none
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,

    /// Evaluate waivers, certificates and attestations as of this date (YYYY-MM-DD; default
    /// today, UTC; with --scan-result, the scan's date)
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,

    /// Audit store: with --audit-key the report is anchored to its latest checkpoint (and says
    /// whether the store verifies); with --record the report's summary is appended to it
    #[arg(long, value_name = "DIR")]
    audit_data: Option<PathBuf>,

    /// Public key of the audit log (from `kubepci keys generate`)
    #[arg(long, value_name = "PUB", requires = "audit_data")]
    audit_key: Option<PathBuf>,

    /// Sign the report with this private key (Ed25519, `kubepci keys generate`)
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,

    /// Append the report's signed summary to the audit log: the store of --audit-data, or the
    /// server of --audit-url
    #[arg(long, requires = "sign")]
    record: bool,

    /// With --record: the log's private key, to sign a checkpoint of the local store after
    /// appending (otherwise the next checkpoint of `kubepci audit serve` covers it)
    #[arg(long, value_name = "KEY", requires = "record")]
    checkpoint_key: Option<PathBuf>,

    /// With --record: post the summary to a running `kubepci audit serve` instead
    /// (https://HOST:PORT/v1/report)
    #[arg(long, value_name = "URL", requires_all = ["record", "audit_ca"], conflicts_with_all = ["checkpoint_key"])]
    audit_url: Option<String>,

    /// With --audit-url: CA certificate (PEM) that signs the audit server's certificate
    #[arg(long, value_name = "FILE", requires = "audit_url")]
    audit_ca: Option<PathBuf>,

    /// With --audit-url: client certificate (PEM), when the server asks for one
    #[arg(long, value_name = "FILE", requires_all = ["audit_url", "audit_client_key"])]
    audit_client_cert: Option<PathBuf>,

    /// With --audit-url: the client certificate's private key (PEM)
    #[arg(long, value_name = "FILE", requires = "audit_client_cert")]
    audit_client_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The signer's public key (`<name>+<id>+<key>`)
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// The JSON report
    report: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HistoryFormat {
    /// Columns for people, with status changes under each report
    Table,
    /// JSON
    Json,
}

#[derive(Debug, Args)]
struct HistoryArgs {
    /// Data directory of the audit store
    #[arg(long, value_name = "DIR")]
    audit_data: PathBuf,
    /// Public key of the reports' signer, to check each summary's signature
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = HistoryFormat::Table)]
    format: HistoryFormat,
}

pub(crate) fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(ReportCommand::Verify(a)) => verify(&a),
        Some(ReportCommand::History(a)) => history(&a),
        None => make(args.make),
    }
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {what} {}", path.display()))
}

fn load_verifier(path: &Path) -> anyhow::Result<NoteVerifier> {
    let text =
        String::from_utf8(read(path, "public key")?).context("the public key is not text")?;
    NoteVerifier::parse(text.trim())
        .with_context(|| format!("parsing public key {}", path.display()))
}

fn load_signer(path: &Path) -> anyhow::Result<NoteSigner> {
    let text =
        String::from_utf8(read(path, "private key")?).context("the private key is not text")?;
    NoteSigner::parse(text.trim())
        .with_context(|| format!("parsing private key {}", path.display()))
}

fn make(a: MakeArgs) -> anyhow::Result<ExitCode> {
    let tool_version = env!("CARGO_PKG_VERSION");
    let attestations = a
        .attestations
        .as_ref()
        .map(|path| {
            let text = String::from_utf8(read(path, "attestation register")?)
                .context("the attestation register is not UTF-8")?;
            Ok::<_, anyhow::Error>(kubepci_compliance::parse_attestations(
                &path.display().to_string(),
                &text,
            )?)
        })
        .transpose()?;
    let as_of = match &a.as_of {
        Some(text) => kubepci_engine::parse_date(text)
            .with_context(|| format!("--as-of `{text}` is not a date YYYY-MM-DD"))?,
        None => today_utc(),
    };
    let options = a.engine.options(a.namespace.clone(), as_of)?;
    let waivers = options.waivers.clone();
    let (scan, digests, source, segmentation) = match &a.scan_result {
        Some(path) => {
            let bytes = read(path, "scan result")?;
            let name = path.display().to_string();
            let scan = evidence::parse_scan_result(&name, &bytes)?;
            let digest = evidence::digest(&name, &bytes);
            let segmentation = a
                .segmentation
                .as_ref()
                .map(|p| {
                    evidence::parse_segmentation(&read(p, "segmentation report")?).with_context(
                        || format!("{} is not a kubepci segmentation report", p.display()),
                    )
                })
                .transpose()?;
            (scan, vec![digest], ScanSource::SavedResult, segmentation)
        }
        None => {
            let paths = kubepci_k8s::source::expand(&a.paths)?;
            let (inputs, digests) = evidence::read_inputs(&paths)?;
            let segmentation =
                evidence::segmentation(&inputs, &options.config, a.namespace.as_deref());
            let scan = evidence::scan(&inputs, &options, tool_version);
            (scan, digests, ScanSource::Manifests, Some(segmentation))
        }
    };
    let audit_log = match (&a.audit_data, &a.audit_key) {
        (Some(dir), Some(key)) => Some(
            evidence::audit_log(dir, &load_verifier(key)?)
                .with_context(|| format!("anchoring the report to {}", dir.display()))?,
        ),
        (Some(_), None) if !a.record => {
            bail!("--audit-data needs --audit-key (to anchor the report) or --record")
        }
        _ => None,
    };
    let signer = a.sign.as_deref().map(load_signer).transpose()?;
    let mut report = kubepci_compliance::assess(&Evidence {
        scan: &scan,
        source,
        inputs: &digests,
        waivers: waivers.as_ref(),
        attestations: attestations.as_ref(),
        segmentation: segmentation.as_ref(),
        audit_log: audit_log.as_ref(),
        generated_at: time::OffsetDateTime::now_utc(),
        tool_version,
    });
    if let Some(signer) = &signer {
        kubepci_compliance::sign::sign(&mut report, signer).context("signing the report")?;
    }
    tracing::info!(
        requirements = report.summary.requirements,
        findings = report.summary.findings,
        attention = report.attention.len(),
        signed = report.signature.is_some(),
        "report made"
    );
    let render = |format: ReportFormat| match format {
        ReportFormat::Html => kubepci_compliance::render::html(&report),
        ReportFormat::Json => kubepci_compliance::render::json(&report),
        ReportFormat::Markdown => kubepci_compliance::render::markdown(&report),
    };
    match (&a.out_dir, &a.output) {
        (Some(dir), _) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for format in [
                ReportFormat::Html,
                ReportFormat::Json,
                ReportFormat::Markdown,
            ] {
                let path = dir.join(format!("report.{}", format.extension()));
                std::fs::write(&path, render(format))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        (None, Some(path)) => std::fs::write(path, render(a.format))
            .with_context(|| format!("writing {}", path.display()))?,
        (None, None) => write_stdout(render(a.format).as_bytes())?,
    }
    if a.record {
        let signer = signer.context("--record needs --sign")?;
        record(&a, &report, &signer)?;
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn record(
    a: &MakeArgs,
    report: &kubepci_compliance::Report,
    signer: &NoteSigner,
) -> anyhow::Result<()> {
    let summary =
        kubepci_compliance::history::summarise(report, signer).context("summarising the report")?;
    if let (Some(url), Some(ca)) = (&a.audit_url, &a.audit_ca) {
        let answer = super::post::post_json(
            url,
            kubepci_compliance::history::to_bytes(&summary),
            ca,
            a.audit_client_cert
                .as_deref()
                .zip(a.audit_client_key.as_deref()),
        )?;
        eprintln!(
            "recorded {} at {url}: {}",
            summary.report_digest,
            answer.trim()
        );
        return Ok(());
    }
    let dir = a
        .audit_data
        .as_ref()
        .context("--record needs --audit-data DIR or --audit-url URL")?;
    let log_key = a.checkpoint_key.as_deref().map(load_signer).transpose()?;
    let recorded = kubepci_compliance::history::record_local(
        dir,
        &summary,
        &format!("kubepci-report:{}", signer.name()),
        log_key.as_ref(),
    )
    .with_context(|| format!("recording the report in {}", dir.display()))?;
    let line = match (recorded.seq, &recorded.checkpoint) {
        (None, _) => format!("{} was already recorded\n", summary.report_digest),
        (Some(seq), Some(cp)) => format!(
            "recorded {} as entry {seq}; checkpoint of {} entries signed\n",
            summary.report_digest, cp.checkpoint.size
        ),
        (Some(seq), None) => format!(
            "recorded {} as entry {seq}; the next checkpoint will cover it\n",
            summary.report_digest
        ),
    };
    eprint!("{line}");
    Ok(())
}

fn verify(a: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = load_verifier(&a.key)?;
    let bytes = read(&a.report, "report")?;
    match kubepci_compliance::sign::verify(&bytes, &key) {
        Ok(v) => {
            write_stdout(
                format!(
                    "OK: {} was signed by {} over {} (generated {})\n",
                    a.report.display(),
                    v.key_name,
                    v.digest,
                    v.generated_at
                )
                .as_bytes(),
            )?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Err(e) => {
            write_stdout(format!("FAILED: {}: {e:#}\n", a.report.display()).as_bytes())?;
            Ok(ExitCode::from(EXIT_FINDINGS))
        }
    }
}

fn history(a: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let key = a.key.as_deref().map(load_verifier).transpose()?;
    let entries = kubepci_compliance::history::read_history(&a.audit_data, key.as_ref())
        .with_context(|| format!("reading the reports in {}", a.audit_data.display()))?;
    let text = match a.format {
        HistoryFormat::Table => kubepci_compliance::history::history_table(&entries),
        HistoryFormat::Json => format!("{}\n", serde_json::to_string_pretty(&entries)?),
    };
    write_stdout(text.as_bytes())?;
    let bad = entries
        .iter()
        .any(|e| e.signature != "verified" && e.signature != "unchecked");
    Ok(ExitCode::from(if bad { EXIT_FINDINGS } else { EXIT_OK }))
}
