//! `kubepci audit serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use kubepci_auditlog::tail::TailConfig;
use kubepci_auditlog::{StoreConfig, WriterConfig};

use super::*;
use crate::commands::args::shutdown_signal;

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
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
    #[command(flatten)]
    rules: super::detect::RuleArgs,
    /// Run no detection (kubepci's built-in rules run unless this is given)
    #[arg(long)]
    no_detection: bool,
    /// Plain-HTTP operations port: Prometheus /metrics, /healthz, /readyz
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
    /// Do not print alerts on stdout
    #[arg(long)]
    no_alerts_stdout: bool,
    /// POST each alert (falcosidekick JSON) to this URL, e.g. http://falcosidekick:2801/
    #[arg(long)]
    alert_url: Option<String>,
    /// CA certificates (PEM) to trust for an https --alert-url
    #[arg(long)]
    alert_ca: Option<PathBuf>,
    /// Alerts each output queues; beyond it they are dropped from forwarding (not from the log)
    #[arg(long, default_value_t = 10_000)]
    alert_queue: usize,
    /// Attempts per alert for --alert-url
    #[arg(long, default_value_t = 5)]
    alert_attempts: u32,
}

pub(super) fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
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
    let rules = if a.no_detection {
        None
    } else {
        Some(std::sync::Arc::new(a.rules.engine()?))
    };
    let http = match &a.alert_url {
        None => None,
        Some(url) => {
            let mut target =
                kubepci_auditlog_server::HttpTarget::parse(url).map_err(anyhow::Error::msg)?;
            target.attempts = a.alert_attempts;
            if target.https {
                let ca = a
                    .alert_ca
                    .as_deref()
                    .context("an https --alert-url needs --alert-ca")?;
                target = target.trust(ca).map_err(anyhow::Error::msg)?;
            }
            Some(target)
        }
    };
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
        rules,
        forward: kubepci_auditlog_server::ForwardConfig {
            stdout: !a.no_alerts_stdout,
            http,
            queue: a.alert_queue,
        },
        metrics_listen: a.metrics_listen,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = runtime
        .block_on(kubepci_auditlog_server::run(
            options,
            |at| {
                let mut line = format!("listening on https://{}\n", at.addr);
                if let Some(m) = at.metrics {
                    line.push_str(&format!("metrics on http://{m}/metrics\n"));
                }
                let _ = write_stdout(line.as_bytes());
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
