//! The accept loops: HTTPS for the API, plain HTTP for the operations port.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::{Extension, Router};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::error::ServeError;
use crate::tls::client_identity;

/// The name of a connection's verified client certificate (mutual TLS), computed once per
/// connection by [`client_identity`] and given to every request as an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity(pub Arc<str>);

/// Limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// How long a client may take to send a request's headers (HTTP/1.1).
    pub header_read_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// Most connections open at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Most concurrent streams on one HTTP/2 connection.
    pub max_concurrent_streams: u32,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_concurrent_streams: 256,
        }
    }
}

/// Binds a listener.
///
/// # Errors
/// The address cannot be bound.
pub async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServeError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Io {
            op: "bind the listen address",
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Io {
        op: "read the listen address",
        source,
    })?;
    Ok((listener, local))
}

/// Serves `app` over TLS on `listener` until `shutdown` completes, then stops accepting and
/// waits (up to the drain timeout) for requests in flight. Each connection's verified client
/// certificate's name becomes a [`ClientIdentity`] request extension.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    accept_loop(listener, app, options, shutdown, move |tcp, app, peer| {
        let acceptor = acceptor.clone();
        async move {
            let stream =
                match tokio::time::timeout(options.handshake_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(error)) => {
                        tracing::info!(%peer, %error, "tls handshake failed");
                        return None;
                    }
                    Err(_) => {
                        tracing::info!(%peer, "tls handshake timed out");
                        return None;
                    }
                };
            let identity = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|cert| ClientIdentity(Arc::from(client_identity(cert))));
            let app = match identity {
                Some(identity) => app.layer(Extension(identity)),
                None => app,
            };
            Some((stream, app))
        }
    })
    .await;
}

/// Serves `app` over plain HTTP (the operations port: metrics and probes) until `shutdown`.
pub async fn serve_plain(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    accept_loop(
        listener,
        app,
        options,
        shutdown,
        |tcp, app, _peer| async move { Some((tcp, app)) },
    )
    .await;
}

async fn accept_loop<S, F, Fut>(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
    upgrade: F,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Fn(tokio::net::TcpStream, Router, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<(S, Router)>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(ok) => ok,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let connection = upgrade(tcp, app.clone(), peer);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let Some((stream, app)) = connection.await else {
                return;
            };
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(options.header_read_timeout)
                .keep_alive(true);
            builder
                .http2()
                .timer(TokioTimer::new())
                .max_concurrent_streams(options.max_concurrent_streams)
                .keep_alive_interval(Duration::from_secs(30));
            let service = TowerToHyperService::new(app);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            if let Err(error) = watcher.watch(conn).await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(options.drain_timeout) => {
            tracing::warn!("requests still open after the drain timeout");
        }
    }
}
