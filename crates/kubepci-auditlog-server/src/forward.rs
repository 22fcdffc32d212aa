//! Forwarding alerts, once they are durable, to stdout and to an HTTP endpoint (falcosidekick's
//! input, or any webhook taking one JSON alert per POST).
//!
//! Each output has its own thread and a bounded queue. Handing an alert over never waits: when
//! a queue is full (a slow or dead receiver), the alert is dropped for that output and counted;
//! it stays in the log, where `kubepci audit query` finds it. So a slow receiver never slows
//! ingest and never costs an acknowledged event. The HTTP output retries each alert with
//! exponential backoff before giving up on it.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;

use crate::metrics::AuditMetrics;

/// Where an HTTP output posts.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    /// `http` or `https`.
    pub https: bool,
    /// Host name (or address) and port.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Path and query (`/` for falcosidekick).
    pub path: String,
    /// TLS client configuration for `https`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Attempts per alert.
    pub attempts: u32,
    /// Timeout of one attempt.
    pub timeout: Duration,
}

impl HttpTarget {
    /// Parses `http://host:port/path` or `https://…`.
    ///
    /// # Errors
    /// A message naming what is wrong with the URL.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!(
                "{url:?}: the URL must start with http:// or https://"
            ));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse::<u16>().map_err(|_| format!("{url:?}: bad port"))?,
            ),
            _ => (authority, if https { 443 } else { 80 }),
        };
        if host.is_empty() {
            return Err(format!("{url:?}: no host"));
        }
        Ok(Self {
            https,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
            tls: None,
            attempts: 5,
            timeout: Duration::from_secs(10),
        })
    }
}

impl HttpTarget {
    /// Trusts the CAs in the PEM file `ca` for an `https` target (TLS 1.2+, the shared strong
    /// suites).
    ///
    /// # Errors
    /// The file cannot be read or holds no certificate.
    pub fn trust(mut self, ca: &std::path::Path) -> Result<Self, String> {
        let certs =
            kubepci_https::tls::load_certs(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", ca.display()))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(kubepci_https::tls::provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        self.tls = Some(Arc::new(config));
        Ok(self)
    }
}

/// Alert outputs.
#[derive(Debug, Clone, Default)]
pub struct ForwardConfig {
    /// Print each alert as a JSON line on stdout.
    pub stdout: bool,
    /// POST each alert to this endpoint.
    pub http: Option<HttpTarget>,
    /// Alerts each output's queue holds.
    pub queue: usize,
}

struct Output {
    name: &'static str,
    tx: SyncSender<Arc<[u8]>>,
}

/// The running outputs.
pub struct Forwarder {
    outputs: Vec<Output>,
    metrics: Arc<AuditMetrics>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field(
                "outputs",
                &self.outputs.iter().map(|o| o.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Forwarder {
    /// Starts the outputs' threads. They end when the forwarder is dropped and their queues
    /// are empty.
    #[must_use]
    pub fn start(cfg: &ForwardConfig, metrics: Arc<AuditMetrics>) -> Self {
        let queue = cfg.queue.max(1);
        let mut outputs = Vec::new();
        if cfg.stdout {
            let (tx, rx) = sync_channel(queue);
            let m = metrics.clone();
            let _ = std::thread::Builder::new()
                .name("alerts-stdout".into())
                .spawn(move || stdout_output(&rx, &m));
            outputs.push(Output { name: "stdout", tx });
        }
        if let Some(target) = cfg.http.clone() {
            let (tx, rx) = sync_channel(queue);
            let m = metrics.clone();
            let _ = std::thread::Builder::new()
                .name("alerts-http".into())
                .spawn(move || http_output(&target, &rx, &m));
            outputs.push(Output { name: "http", tx });
        }
        Self { outputs, metrics }
    }

    /// Hands an alert (its JSON) to every output without waiting.
    pub fn send(&self, alert: &[u8]) {
        if self.outputs.is_empty() {
            return;
        }
        let alert: Arc<[u8]> = Arc::from(alert);
        for o in &self.outputs {
            match o.tx.try_send(alert.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    self.metrics
                        .forward_dropped
                        .get_or_create(&AuditMetrics::output(o.name))
                        .inc();
                }
            }
        }
    }
}

fn stdout_output(rx: &Receiver<Arc<[u8]>>, metrics: &AuditMetrics) {
    let labels = AuditMetrics::output("stdout");
    while let Ok(alert) = rx.recv() {
        let mut out = std::io::stdout().lock();
        let written = out
            .write_all(&alert)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        let counter = match written {
            Ok(()) => &metrics.forwarded,
            Err(_) => &metrics.forward_failed,
        };
        counter.get_or_create(&labels).inc();
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(t: &HttpTarget) -> std::io::Result<Sender> {
    let tcp = TcpStream::connect((t.host.as_str(), t.port)).await?;
    let _ = tcp.set_nodelay(true);
    let handshake = |e: hyper::Error| std::io::Error::other(e);
    if t.https {
        let tls = t
            .tls
            .clone()
            .ok_or_else(|| std::io::Error::other("https output without a TLS configuration"))?;
        let name = ServerName::try_from(t.host.clone())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(handshake)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    } else {
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(handshake)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }
}

/// One POST; `Ok` only for a 2xx answer.
async fn post(t: &HttpTarget, sender: &mut Option<Sender>, body: &Arc<[u8]>) -> Result<(), String> {
    if sender.as_ref().is_none_or(Sender::is_closed) {
        *sender = Some(connect(t).await.map_err(|e| format!("connect: {e}"))?);
    }
    let Some(s) = sender.as_mut() else {
        return Err("no connection".into());
    };
    s.ready().await.map_err(|e| format!("connection: {e}"))?;
    let request = hyper::Request::post(t.path.as_str())
        .header(hyper::header::HOST, format!("{}:{}", t.host, t.port))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| e.to_string())?;
    let response = s.send_request(request).await.map_err(|e| {
        *sender = None;
        format!("request: {e}")
    })?;
    let status = response.status();
    let _ = response.into_body().collect().await;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}

fn http_output(t: &HttpTarget, rx: &Receiver<Arc<[u8]>>, metrics: &AuditMetrics) {
    let labels = AuditMetrics::output("http");
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        tracing::error!("the HTTP alert output could not start its runtime");
        return;
    };
    let mut sender: Option<Sender> = None;
    while let Ok(alert) = rx.recv() {
        let mut delay = Duration::from_millis(200);
        let mut delivered = false;
        for attempt in 1..=t.attempts.max(1) {
            let result = runtime.block_on(async {
                match tokio::time::timeout(t.timeout, post(t, &mut sender, &alert)).await {
                    Ok(r) => r,
                    Err(_) => Err("timed out".into()),
                }
            });
            match result {
                Ok(()) => {
                    delivered = true;
                    break;
                }
                Err(error) => {
                    sender = None;
                    tracing::warn!(host = %t.host, port = t.port, attempt, %error, "alert not delivered; retrying");
                    if attempt < t.attempts {
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(Duration::from_secs(10));
                    }
                }
            }
        }
        if delivered {
            metrics.forwarded.get_or_create(&labels).inc();
        } else {
            metrics.forward_failed.get_or_create(&labels).inc();
            tracing::error!(host = %t.host, port = t.port, "alert given up after its retries; it stays in the log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = HttpTarget::parse("http://127.0.0.1:2801/").expect("url");
        assert_eq!(
            (t.https, t.host.as_str(), t.port, t.path.as_str()),
            (false, "127.0.0.1", 2801, "/")
        );
        let t = HttpTarget::parse("https://sidekick.falco.svc/alerts?x=1").expect("url");
        assert_eq!(
            (t.https, t.port, t.path.as_str()),
            (true, 443, "/alerts?x=1")
        );
        assert!(HttpTarget::parse("ftp://x").is_err());
        assert!(HttpTarget::parse("http://:80").is_err());
        assert!(HttpTarget::parse("http://h:port").is_err());
    }
}
