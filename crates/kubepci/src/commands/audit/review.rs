//! `kubepci audit review`: the daily log review of PCI DSS 10.4.1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use kubepci_auditlog::{EventKind, QueryFilter};
use kubepci_detect::review::{Record, Review, ReviewOptions, render_html, render_table};

use super::{EXIT_OK, load_verifier, now_ns, parse_duration, parse_time, write_stdout};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ReviewFormat {
    /// Text for a terminal
    Table,
    /// The report as JSON (kubepci.review/v1)
    Json,
    /// One self-contained, printable HTML page
    Html,
}

#[derive(Debug, Args)]
pub(crate) struct ReviewArgs {
    /// Data directory of the store
    #[arg(long)]
    data: PathBuf,
    /// Start of the window (RFC 3339, or a duration ago such as 24h)
    #[arg(long, default_value = "24h")]
    since: String,
    /// End of the window (RFC 3339, or a duration ago; default now)
    #[arg(long)]
    until: Option<String>,
    /// Public key of the log: the checkpoint's signature is then verified
    #[arg(long)]
    key: Option<PathBuf>,
    /// A namespace of the CDE (for Secret access by identity); repeatable
    #[arg(long = "cde-namespace", value_name = "NAMESPACE")]
    cde_namespaces: Vec<String>,
    /// A source silent for longer than this is a gap in ingest (PCI DSS 10.7)
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    gap: Duration,
    /// A difference between event and receive time beyond this is clock skew (PCI DSS 10.6)
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    max_skew: Duration,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReviewFormat::Table)]
    format: ReviewFormat,
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// The store's latest checkpoint: (origin, size, root hex, verified).
fn checkpoint(a: &ReviewArgs) -> anyhow::Result<Option<(String, u64, String, bool)>> {
    let path = a.data.join("checkpoint");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let (cp, verified) = match &a.key {
        Some(key) => {
            let key = load_verifier(key)?;
            let signed = kubepci_checkpoint::open_checkpoint(&bytes, &key).with_context(|| {
                format!(
                    "the checkpoint in {} does not verify with the key",
                    path.display()
                )
            })?;
            (signed.checkpoint, true)
        }
        None => {
            let note = kubepci_checkpoint::parse_note(&bytes).context("parsing the checkpoint")?;
            (
                kubepci_checkpoint::Checkpoint::parse_body(&note.text)
                    .context("parsing the checkpoint")?,
                false,
            )
        }
    };
    Ok(Some((cp.origin, cp.size, cp.root.to_hex(), verified)))
}

pub(crate) fn run(a: ReviewArgs) -> anyhow::Result<ExitCode> {
    let since_ns = parse_time(&a.since)?;
    let until_ns = a
        .until
        .as_deref()
        .map(parse_time)
        .transpose()?
        .unwrap_or_else(now_ns);
    let mut review = Review::new(ReviewOptions {
        since_ns,
        until_ns,
        cde_namespaces: a.cde_namespaces.clone(),
        gap_ns: nanos(a.gap),
        max_skew_ns: nanos(a.max_skew),
    });
    let filter = QueryFilter {
        since_ns: Some(since_ns),
        until_ns: Some(until_ns),
        ..QueryFilter::default()
    };
    kubepci_auditlog::query(&a.data, &filter, |leaf, body| {
        let source = leaf.source.display();
        review.add(&Record {
            seq: leaf.seq,
            alert: leaf.kind == EventKind::FalcoAlert,
            source: &source,
            received_ns: leaf.received_at_ns,
            event_ns: leaf.event_time_ns,
            body,
        });
        true
    })
    .with_context(|| format!("reading {}", a.data.display()))?;
    // Read after the records: a checkpoint signed meanwhile only covers more.
    let report = review.finish(checkpoint(&a)?);
    let text = match a.format {
        ReviewFormat::Table => render_table(&report),
        ReviewFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        ReviewFormat::Html => render_html(&report),
    };
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(EXIT_OK))
}
