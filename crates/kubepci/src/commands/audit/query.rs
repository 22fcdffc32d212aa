//! `kubepci audit query` and `prune`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use kubepci_auditlog::QueryFilter;
use kubepci_auditlog::query::EventFields;

use super::*;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum QueryFormat {
    /// One JSON object per line: sequence, times, source, kind and the event as received
    Json,
    /// Columns for people
    Table,
    /// The events' bytes exactly as received, one per line (NDJSON export)
    Raw,
}

#[derive(Debug, Args)]
pub(super) struct QueryArgs {
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
pub(super) struct PruneArgs {
    /// Data directory of the store
    #[arg(long)]
    data: PathBuf,
    /// Keep bodies younger than this (PCI DSS 10.5.1: at least 365d)
    #[arg(long, value_parser = parse_duration)]
    retain: Duration,
}

pub(super) fn query(a: QueryArgs) -> anyhow::Result<ExitCode> {
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

pub(super) fn prune(a: PruneArgs) -> anyhow::Result<ExitCode> {
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
