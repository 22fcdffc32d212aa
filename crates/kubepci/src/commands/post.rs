//! One HTTPS POST of a JSON body to a `kubepci audit serve` endpoint (`report --record
//! --audit-url`): server certificate checked against a given CA, optional client certificate
//! (the server records its identity as the entry's source), TLS through the same rustls
//! provider as kubepci's servers (TLS 1.2+, ECDHE, AEAD).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::ServerName;
use tokio_rustls::TlsConnector;

/// Longest answer read back (the server answers with a few counters).
const MAX_ANSWER: usize = 64 * 1024;
/// Connecting and the whole exchange must finish within this.
const TIMEOUT: Duration = Duration::from_secs(30);

/// An `https://host[:port]/path` URL, split.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> anyhow::Result<Target> {
    let rest = url
        .strip_prefix("https://")
        .with_context(|| format!("{url} is not an https:// URL"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h,
            p.parse()
                .with_context(|| format!("{url}: `{p}` is not a port"))?,
        ),
        _ => (authority, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        bail!("{url} names no host");
    }
    Ok(Target {
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

fn tls_config(ca: &Path, client: Option<(&Path, &Path)>) -> anyhow::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in kubepci_https::tls::load_certs(ca)? {
        roots
            .add(cert)
            .with_context(|| format!("{} holds an unusable CA certificate", ca.display()))?;
    }
    let builder = ClientConfig::builder_with_provider(kubepci_https::tls::provider())
        .with_safe_default_protocol_versions()
        .context("configuring TLS")?
        .with_root_certificates(roots);
    let mut config = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                kubepci_https::tls::load_certs(cert)?,
                kubepci_https::tls::load_key(key)?,
            )
            .context("the client certificate and key do not match")?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// POSTs `body` to `url` and returns the answer's body; any status but 2xx is an error.
pub(crate) fn post_json(
    url: &str,
    body: Vec<u8>,
    ca: &Path,
    client: Option<(&Path, &Path)>,
) -> anyhow::Result<String> {
    let target = parse_url(url)?;
    let tls = tls_config(ca, client)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        tokio::time::timeout(TIMEOUT, exchange(&target, tls, body))
            .await
            .with_context(|| format!("{url} did not answer within {TIMEOUT:?}"))?
            .with_context(|| format!("posting to {url}"))
    })
}

async fn exchange(
    target: &Target,
    tls: Arc<ClientConfig>,
    body: Vec<u8>,
) -> anyhow::Result<String> {
    let tcp = tokio::net::TcpStream::connect((target.host.as_str(), target.port))
        .await
        .context("connecting")?;
    let name = ServerName::try_from(target.host.clone()).context("the host is not a valid name")?;
    let stream = TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .context("TLS handshake")?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = Request::post(&target.path)
        .header(
            hyper::header::HOST,
            format!("{}:{}", target.host, target.port),
        )
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .context("building the request")?;
    let response = sender.send_request(request).await.context("sending")?;
    let status = response.status();
    let answer = Limited::new(response.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("reading the answer: {e}"))?
        .to_bytes();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    if !status.is_success() {
        bail!("the server answered {status}: {}", answer.trim());
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("https://audit.example.com:8443/v1/report").expect("valid"),
            Target {
                host: "audit.example.com".into(),
                port: 8443,
                path: "/v1/report".into()
            }
        );
        assert_eq!(parse_url("https://a.example").expect("valid").port, 443);
        assert_eq!(parse_url("https://a.example").expect("valid").path, "/");
        assert_eq!(parse_url("https://[::1]:9/x").expect("valid").host, "::1");
        assert!(parse_url("http://a.example/v1/report").is_err());
        assert!(parse_url("https://:8443/x").is_err());
        assert!(parse_url("https://a:port/x").is_err());
    }
}
