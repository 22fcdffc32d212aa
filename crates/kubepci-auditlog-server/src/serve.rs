//! The TLS accept loop and the `kubepci audit serve` lifecycle.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kubepci_auditlog::tail::{TailConfig, run_tail};
use kubepci_auditlog::{Store, StoreConfig, WriterConfig, spawn_writer};
use kubepci_checkpoint::NoteSigner;
use kubepci_https::ServeOptions;
use kubepci_https::tls::ServerTls;

use crate::error::ServerError;
use crate::routes::{AppState, router};

/// How often the server certificate's files are checked for a rotation.
const CERTIFICATE_RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// Everything `kubepci audit serve` runs.
pub struct RunOptions {
    /// The store.
    pub store: StoreConfig,
    /// The checkpoint signing key; its name is the log's origin.
    pub signer: NoteSigner,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// TLS configuration; its certificate reloads when its files change.
    pub tls: ServerTls,
    /// Group commit and checkpoint cadence.
    pub writer: WriterConfig,
    /// Log files to follow.
    pub tails: Vec<TailConfig>,
    /// Prune bodies older than this (checked at start and hourly).
    pub retain: Option<Duration>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Most requests in flight.
    pub max_concurrent_requests: usize,
    /// How long a request waits to become durable.
    pub commit_timeout: Duration,
}

/// What the server left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Entries in the store.
    pub entries: u64,
    /// Size of the final checkpoint.
    pub checkpoint_size: Option<u64>,
}

fn prune_once(dir: PathBuf, retain: Duration) {
    let now = kubepci_auditlog::store::now_ns();
    let cutoff = now.saturating_sub(i64::try_from(retain.as_nanos()).unwrap_or(i64::MAX));
    let stamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    match kubepci_auditlog::prune(&dir, cutoff, &stamp) {
        Ok(pruned) if !pruned.is_empty() => {
            tracing::info!(segments = pruned.len(), "retention pruned old bodies");
        }
        Ok(_) => {}
        Err(error) => tracing::error!(%error, "retention failed"),
    }
}

/// Opens (and recovers) the store, starts the writer, the log followers and retention, serves
/// until `shutdown`, then drains requests, stops the followers and signs a final checkpoint.
/// `ready` is called with the bound address once the server accepts connections.
pub async fn run(
    opts: RunOptions,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, ServerError> {
    let data_dir = opts.store.dir.clone();
    let store_cfg = opts.store;
    let (store, _recovery) = tokio::task::spawn_blocking(move || Store::open(store_cfg))
        .await
        .map_err(|_| ServerError::Store(kubepci_auditlog::StoreError::WriterGone))?
        .map_err(ServerError::Store)?;
    if let Some(origin) = store.origin()
        && origin != opts.signer.name()
    {
        return Err(ServerError::Store(
            kubepci_auditlog::StoreError::Checkpoint(
                kubepci_checkpoint::CheckpointError::OriginMismatch {
                    expected: origin.to_owned(),
                    found: opts.signer.name().to_owned(),
                },
            ),
        ));
    }
    tracing::info!(dir = %data_dir.display(), entries = store.size(), "store opened");
    let (appender, writer) =
        spawn_writer(store, opts.signer, opts.writer).map_err(ServerError::Store)?;

    let stop = Arc::new(AtomicBool::new(false));
    let mut followers = Vec::new();
    for tail in opts.tails {
        let (stop, appender) = (stop.clone(), appender.clone());
        followers.push(std::thread::spawn(move || {
            if let Err(error) = run_tail(&tail, &appender, &stop) {
                tracing::error!(path = %tail.path.display(), %error, "log follower stopped");
            }
        }));
    }
    let retention = opts.retain.map(|retain| {
        let dir = data_dir.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                let dir = dir.clone();
                let _ = tokio::task::spawn_blocking(move || prune_once(dir, retain)).await;
            }
        })
    });

    let (listener, addr) = kubepci_https::bind(opts.listen)
        .await
        .map_err(ServerError::Serve)?;
    let reload = tokio::spawn(
        opts.tls
            .certificate
            .clone()
            .watch(CERTIFICATE_RELOAD_INTERVAL),
    );
    let state = Arc::new(AppState {
        appender,
        data_dir: data_dir.clone(),
        max_body_bytes: opts.max_body_bytes,
        max_concurrent_requests: opts.max_concurrent_requests,
        commit_timeout: opts.commit_timeout,
    });
    tracing::info!(%addr, "listening");
    ready(addr);
    kubepci_https::serve(
        listener,
        opts.tls.config,
        router(state),
        ServeOptions::default(),
        shutdown,
    )
    .await;

    tracing::info!("shutting down");
    reload.abort();
    if let Some(task) = retention {
        task.abort();
    }
    stop.store(true, Ordering::SeqCst);
    let store = tokio::task::spawn_blocking(move || {
        for follower in followers {
            let _ = follower.join();
        }
        writer.shutdown()
    })
    .await
    .map_err(|_| ServerError::Store(kubepci_auditlog::StoreError::WriterGone))?
    .map_err(ServerError::Store)?;
    Ok(RunSummary {
        entries: store.size(),
        checkpoint_size: store.checkpoint_size(),
    })
}
