//! `kubepci webhook serve`: the validating admission webhook. Thin: parses arguments, builds
//! the engine's admission side from the same configuration, waivers and rule selection as
//! `kubepci scan`, loads or watches the context, and runs `kubepci-webhook`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use kubepci_engine::admission::Admitter;
use kubepci_https::tls::{ServerTls, TlsFiles};
use kubepci_webhook::{RunOptions, SharedContext};

use super::args::{parse_duration, parse_size, shutdown_signal};
use super::engine_args::{EngineArgs, today_utc};
use super::{EXIT_OK, write_stdout};

#[derive(Debug, Args)]
pub(crate) struct WebhookArgs {
    #[command(subcommand)]
    command: WebhookCommand,
}

#[derive(Debug, Subcommand)]
enum WebhookCommand {
    /// Serve the validating admission webhook (AdmissionReview v1 at POST /validate)
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    engine: EngineArgs,

    /// HTTPS address of the webhook
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// Plain-HTTP address of /metrics, /healthz and /readyz
    #[arg(long, default_value = "0.0.0.0:9090")]
    metrics_listen: SocketAddr,
    /// Server certificate (PEM); reloaded when the file changes
    #[arg(long)]
    tls_cert: PathBuf,
    /// Server private key (PEM); reloaded when the file changes
    #[arg(long)]
    tls_key: PathBuf,
    /// Require client certificates signed by this CA (PEM): the apiserver's, when its
    /// admission configuration gives it one
    #[arg(long)]
    client_ca: Option<PathBuf>,
    /// How often the certificate files are checked for a rotation
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    reload_interval: Duration,

    /// Manifests or a snapshot (`kubectl get … -o json`) that stand for the cluster:
    /// namespaces and their scope, NetworkPolicies, RBAC, … (files, directories, `-`).
    /// Without it, the context is the cluster itself, listed and watched through the pod's
    /// service account (or the kubeconfig), read-only; /readyz waits for the first list
    #[arg(long = "context", value_name = "PATH")]
    context: Vec<PathBuf>,

    /// The webhook's own namespace, never evaluated (in a pod: from the downward API)
    #[arg(long, env = "POD_NAMESPACE")]
    own_namespace: Option<String>,

    /// Longest time a request may take, queueing included; keep it below the webhook
    /// configuration's timeoutSeconds
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    deadline: Duration,
    /// Largest AdmissionReview accepted (larger bodies get 413)
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    max_body: usize,
    /// Most requests evaluated at once; more wait for a slot until the deadline
    #[arg(long, default_value_t = 256)]
    max_concurrent_requests: usize,
    /// After SIGTERM, how long to keep answering while /readyz fails, before closing
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    shutdown_delay: Duration,
}

pub(crate) fn run(args: WebhookArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        WebhookCommand::Serve(a) => serve(a),
    }
}

fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let options = a.engine.options(None, today_utc())?;
    let signatures = &options.config.settings.images.signatures;
    let verifier = signatures
        .is_active()
        .then(|| kubepci_imagesig::Verifier::from_settings(signatures))
        .transpose()
        .context("loading the image-signing policy")?
        .map(Arc::new);
    let admitter = Admitter::new(options);
    let tls = ServerTls::load(&TlsFiles {
        cert: a.tls_cert.clone(),
        key: a.tls_key.clone(),
        client_ca: a.client_ca.clone(),
    })
    .context("configuring TLS")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (context, watches) = if a.context.is_empty() {
        let context = Arc::new(SharedContext::waiting());
        let kinds = kubepci_webhook::watched_kinds(&admitter.context_kinds());
        let watches = runtime.block_on(async {
            let client = kubepci_cluster::client()
                .await
                .context("connecting to the cluster (no --context given)")?;
            let sink: Arc<dyn kubepci_cluster::ContextSink> = context.clone();
            kubepci_cluster::spawn_watches(client, &kinds, sink).context("watching the cluster")
        })?;
        tracing::info!(kinds = kinds.len(), "watching the cluster for the context");
        (context, watches)
    } else {
        let paths = kubepci_k8s::source::expand(&a.context)?;
        let (store, errors) = admitter.load_context(&paths);
        if let Some(error) = errors.first() {
            bail!(
                "the context has {} input error(s), the first: {error}",
                errors.len()
            );
        }
        tracing::info!(objects = store.len(), "context loaded");
        (Arc::new(SharedContext::fixed(store)), Vec::new())
    };
    let run = RunOptions {
        admitter,
        context,
        listen: a.listen,
        ops_listen: a.metrics_listen,
        tls,
        reload_interval: a.reload_interval,
        own_namespace: a.own_namespace,
        deadline: a.deadline,
        max_body_bytes: a.max_body,
        max_concurrent: a.max_concurrent_requests,
        shutdown_delay: a.shutdown_delay,
        verifier,
    };
    runtime
        .block_on(kubepci_webhook::run(
            run,
            |bound| {
                let _ = write_stdout(
                    format!(
                        "listening on https://{} (metrics on http://{})\n",
                        bound.api, bound.ops
                    )
                    .as_bytes(),
                );
            },
            shutdown_signal(),
        ))
        .context("serving the webhook")?;
    for watch in watches {
        watch.abort();
    }
    Ok(ExitCode::from(EXIT_OK))
}
