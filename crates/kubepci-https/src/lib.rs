//! The HTTPS edge shared by kubepci's servers (the admission webhook and the audit store).
//!
//! - [`tls`]: rustls with TLS 1.2 and 1.3, ECDHE and AEAD suites only (PCI DSS 4.2.1), optional
//!   client-certificate authentication, and a server certificate that reloads from disk when
//!   cert-manager rotates it ([`tls::ReloadingCertificate`]), without a restart and without
//!   failing connections in flight.
//! - [`serve`]: the accept loop: bounded TLS handshakes, HTTP/1.1 with keep-alive and HTTP/2
//!   (ALPN), a header read timeout, the client certificate as a request extension, and a
//!   graceful drain on shutdown. [`serve_plain`] serves the plain-HTTP operations port.
//! - [`ops`]: the operations router every server exposes on that port: Prometheus `/metrics`,
//!   `/healthz` and `/readyz`.
//!
//! What it is not: it knows no route of either server.

#[cfg(feature = "test-support")]
pub mod client;
mod error;
pub mod ops;
mod serve;
#[cfg(feature = "test-support")]
pub mod testcerts;
pub mod tls;

pub use error::{ServeError, TlsError};
pub use serve::{ClientIdentity, ServeOptions, bind, serve, serve_plain};
