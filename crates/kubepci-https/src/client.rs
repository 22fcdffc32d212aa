//! A small HTTPS client for tests and benchmarks (HTTP/1.1 keep-alive or HTTP/2). Used against
//! loopback addresses only in this project's tests and benchmarks.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Why a request failed before an HTTP answer arrived.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// TCP or TLS failed.
    #[error("failed to connect")]
    Connect(#[source] std::io::Error),
    /// HTTP failed (connection closed, protocol error).
    #[error("http request failed")]
    Http(#[source] hyper::Error),
    /// The request could not be built.
    #[error("invalid request")]
    Request(#[source] hyper::http::Error),
}

/// The HTTP version of a [`Connection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1 with keep-alive (ALPN `http/1.1`).
    Http1,
    /// HTTP/2 (ALPN `h2`), as the Kubernetes apiserver calls webhooks.
    Http2,
}

enum Sender {
    Http1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

/// One keep-alive HTTPS connection.
pub struct Connection {
    sender: Sender,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `addr` over HTTP/1.1, checking the server certificate for `server_name`.
    pub async fn connect(
        addr: SocketAddr,
        tls: Arc<ClientConfig>,
        server_name: &str,
    ) -> Result<Self, ClientError> {
        Self::connect_with(addr, tls, server_name, Protocol::Http1).await
    }

    /// Connects to `addr` with the given protocol.
    pub async fn connect_with(
        addr: SocketAddr,
        tls: Arc<ClientConfig>,
        server_name: &str,
        protocol: Protocol,
    ) -> Result<Self, ClientError> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(ClientError::Connect)?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from(server_name.to_owned()).map_err(|e| {
            ClientError::Connect(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
        })?;
        let mut config = (*tls).clone();
        config.alpn_protocols = vec![match protocol {
            Protocol::Http1 => b"http/1.1".to_vec(),
            Protocol::Http2 => b"h2".to_vec(),
        }];
        let stream = TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(ClientError::Connect)?;
        let io = TokioIo::new(stream);
        let sender = match protocol {
            Protocol::Http1 => {
                let (sender, conn) = hyper::client::conn::http1::handshake(io)
                    .await
                    .map_err(ClientError::Http)?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Sender::Http1(sender)
            }
            Protocol::Http2 => {
                let (sender, conn) =
                    hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                        .await
                        .map_err(ClientError::Http)?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Sender::Http2(sender)
            }
        };
        Ok(Self { sender })
    }

    /// POSTs a JSON body and returns the status and the answer body.
    pub async fn post(
        &mut self,
        path: &str,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        self.request("POST", path, body).await
    }

    /// GETs a path.
    pub async fn get(&mut self, path: &str) -> Result<(StatusCode, Bytes), ClientError> {
        self.request("GET", path, Bytes::new()).await
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let uri = match self.sender {
            Sender::Http1(_) => path.to_owned(),
            Sender::Http2(_) => format!("https://localhost{path}"),
        };
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        let request = match self.sender {
            Sender::Http1(_) => request.header("host", "localhost"),
            Sender::Http2(_) => request,
        }
        .body(Full::new(body))
        .map_err(ClientError::Request)?;
        let response = match &mut self.sender {
            Sender::Http1(sender) => {
                sender.ready().await.map_err(ClientError::Http)?;
                sender.send_request(request).await
            }
            Sender::Http2(sender) => {
                sender.ready().await.map_err(ClientError::Http)?;
                sender.send_request(request).await
            }
        }
        .map_err(ClientError::Http)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(ClientError::Http)?
            .to_bytes();
        Ok((status, body))
    }
}
