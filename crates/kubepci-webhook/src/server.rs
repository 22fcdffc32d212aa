//! The `kubepci webhook serve` lifecycle: the HTTPS API and the operations port, readiness
//! gated on the context, certificate reload, and a graceful stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kubepci_engine::admission::Admitter;
use kubepci_https::ops::{Readiness, Refresh};
use kubepci_https::tls::ServerTls;
use kubepci_https::{ServeError, ServeOptions};
use prometheus_client::registry::Registry;
use tokio::sync::Semaphore;

use crate::context::SharedContext;
use crate::handler::{WebhookState, router, today_utc};
use crate::metrics::Metrics;

/// Everything `kubepci webhook serve` runs.
pub struct RunOptions {
    /// The engine's admission side (rules, configuration, waivers).
    pub admitter: Admitter,
    /// The cluster context; the server is ready once it is synced.
    pub context: Arc<SharedContext>,
    /// The HTTPS API address.
    pub listen: SocketAddr,
    /// The plain-HTTP operations address (`/metrics`, `/healthz`, `/readyz`).
    pub ops_listen: SocketAddr,
    /// TLS; the certificate reloads when its files change.
    pub tls: ServerTls,
    /// How often the certificate files are checked.
    pub reload_interval: Duration,
    /// The webhook's own namespace (always exempt).
    pub own_namespace: Option<String>,
    /// Time a request may take (below the webhook configuration's `timeoutSeconds`).
    pub deadline: Duration,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Most requests evaluated at once.
    pub max_concurrent: usize,
    /// After the stop signal: how long to keep serving while not ready, so that the Service
    /// stops sending before the listener closes.
    pub shutdown_delay: Duration,
    /// Verifies image signatures (KP5009) when a signing policy is configured.
    pub verifier: Option<Arc<kubepci_imagesig::Verifier>>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("listen", &self.listen)
            .field("ops_listen", &self.ops_listen)
            .finish_non_exhaustive()
    }
}

/// The addresses the server listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// HTTPS API.
    pub api: SocketAddr,
    /// Operations port.
    pub ops: SocketAddr,
}

/// Serves until `shutdown`, then reports not ready, waits the shutdown delay, stops accepting
/// and drains requests in flight. `ready` is called with the bound addresses once both
/// listeners accept connections.
///
/// # Errors
/// A listener cannot be bound.
pub async fn run(
    opts: RunOptions,
    ready: impl FnOnce(Bound),
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let mut registry = Registry::default();
    let metrics = Metrics::register(&mut registry);
    let readiness = Readiness::waiting("waiting for the cluster context");
    let state = Arc::new(WebhookState {
        admitter: opts.admitter,
        context: opts.context.clone(),
        own_namespace: opts.own_namespace,
        deadline: opts.deadline,
        slots: Arc::new(Semaphore::new(opts.max_concurrent.max(1))),
        metrics: metrics.clone(),
        today: today_utc,
        verifier: opts.verifier,
    });
    let refresh: Refresh = {
        let (context, certificate, metrics) = (
            opts.context.clone(),
            opts.tls.certificate.clone(),
            metrics.clone(),
        );
        Arc::new(move || {
            metrics
                .context_objects
                .set(i64::try_from(context.len()).unwrap_or(i64::MAX));
            metrics
                .context_age
                .set(context.age_seconds().unwrap_or(f64::NAN));
            metrics.context_synced.set(i64::from(context.is_synced()));
            metrics
                .certificate_expiry
                .set(certificate.not_after().unwrap_or_default());
        })
    };
    let (api_listener, api) = kubepci_https::bind(opts.listen).await?;
    let (ops_listener, ops) = kubepci_https::bind(opts.ops_listen).await?;
    let reload = tokio::spawn(opts.tls.certificate.clone().watch(opts.reload_interval));
    let gate = tokio::spawn({
        let (context, readiness) = (opts.context.clone(), readiness.clone());
        async move {
            while !context.is_synced() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            tracing::info!(objects = context.len(), "cluster context loaded; ready");
            readiness.set_ready();
        }
    });

    let (stop_api, api_stopped) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let serve_options = ServeOptions::default();
    let api_task = tokio::spawn(kubepci_https::serve(
        api_listener,
        opts.tls.config.clone(),
        router(state.clone(), readiness.clone(), opts.max_body_bytes),
        serve_options,
        stopped(api_stopped.clone()),
    ));
    let ops_task = tokio::spawn(kubepci_https::serve_plain(
        ops_listener,
        kubepci_https::ops::router(Arc::new(registry), readiness.clone(), refresh),
        serve_options,
        stopped(api_stopped),
    ));
    tracing::info!(%api, %ops, rules = state.admitter.rule_ids().count(), "webhook listening");
    ready(Bound { api, ops });

    shutdown.await;
    tracing::info!(
        delay_ms = u64::try_from(opts.shutdown_delay.as_millis()).unwrap_or(u64::MAX),
        "stopping: not ready any more"
    );
    readiness.set_waiting("shutting down");
    tokio::time::sleep(opts.shutdown_delay).await;
    let _ = stop_api.send(true);
    let _ = api_task.await;
    let _ = ops_task.await;
    reload.abort();
    gate.abort();
    tracing::info!("webhook stopped");
    Ok(())
}
