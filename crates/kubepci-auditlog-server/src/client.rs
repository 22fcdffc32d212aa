//! A small HTTPS client for the ingest API (tests, the crash test and the benchmark). Posts to
//! loopback addresses only in this project's tests and benchmarks.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
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

/// One keep-alive HTTPS connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `addr`, checking the server certificate for `server_name`.
    pub async fn connect(
        addr: SocketAddr,
        tls: Arc<ClientConfig>,
        server_name: &str,
    ) -> Result<Self, ClientError> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(ClientError::Connect)?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from(server_name.to_owned()).map_err(|e| {
            ClientError::Connect(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
        })?;
        let stream = TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(ClientError::Connect)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(ClientError::Http)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
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
        self.sender.ready().await.map_err(ClientError::Http)?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(body))
            .map_err(ClientError::Request)?;
        let response = self
            .sender
            .send_request(request)
            .await
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
