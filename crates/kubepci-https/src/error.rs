//! Errors of setting up TLS and of serving.

/// TLS material that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A certificate, key or CA file could not be read or parsed.
    #[error("failed to load TLS material from {path}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The private key is not the certificate's.
    #[error("the private key {key} does not match the certificate {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
    },
    /// The TLS configuration was rejected.
    #[error("invalid TLS configuration")]
    Config(#[source] rustls::Error),
    /// The client CA cannot verify client certificates.
    #[error("invalid client CA")]
    ClientCa(#[source] rustls::server::VerifierBuilderError),
}

/// Why a server could not listen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Binding or reading the listen address failed.
    #[error("failed to {op}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
