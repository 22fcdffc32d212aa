//! The TLS accept loop and the `kubepci audit serve` lifecycle.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::{Extension, Router};
use hyper_util::rt::TokioIo;
use kubepci_auditlog::tail::{TailConfig, run_tail};
use kubepci_auditlog::{Store, StoreConfig, WriterConfig, spawn_writer};
use kubepci_checkpoint::NoteSigner;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::error::ServerError;
use crate::routes::{AppState, ClientIdentity, router};
use crate::tls::client_identity;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for open requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` over TLS on `listener` until `shutdown` completes, then stops accepting and
/// waits (up to 30 s) for requests in flight. Each connection's verified client certificate
/// becomes a [`ClientIdentity`] request extension.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(ok) => ok,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let app = app.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::info!(%peer, %error, "tls handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::info!(%peer, "tls handshake timed out");
                            return;
                        }
                    };
                    let identity = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|certs| certs.first())
                        .map(|cert| ClientIdentity(client_identity(cert)));
                    let app = match identity {
                        Some(identity) => app.layer(Extension(identity)),
                        None => app,
                    };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    if let Err(error) = watcher.watch(conn).await {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("requests still open after the drain timeout"),
    }
    Ok(())
}

/// Everything `kubepci audit serve` runs.
pub struct RunOptions {
    /// The store.
    pub store: StoreConfig,
    /// The checkpoint signing key; its name is the log's origin.
    pub signer: NoteSigner,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// TLS configuration (see [`crate::tls::server_config`]).
    pub tls: Arc<rustls::ServerConfig>,
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

    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|source| ServerError::Io {
            op: "bind the listen address",
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Io {
        op: "read the listen address",
        source,
    })?;
    let state = Arc::new(AppState {
        appender,
        data_dir: data_dir.clone(),
        max_body_bytes: opts.max_body_bytes,
        max_concurrent_requests: opts.max_concurrent_requests,
        commit_timeout: opts.commit_timeout,
    });
    tracing::info!(%addr, "listening");
    ready(addr);
    let served = serve(listener, opts.tls, router(state), shutdown).await;

    tracing::info!("shutting down");
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
    served?;
    Ok(RunSummary {
        entries: store.size(),
        checkpoint_size: store.checkpoint_size(),
    })
}
