//! rustls server configuration: TLS 1.2 and 1.3 with AEAD suites only (ring provider), optional
//! client-certificate authentication, and the client identity taken from the certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::ServerError;

/// The crypto provider: `ring`, restricted to ECDHE key exchange and AEAD cipher suites (the
/// provider's defaults, listed here so that a change is deliberate).
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::cipher_suite as cs;
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    Arc::new(provider)
}

fn tls_file_error(path: &Path, message: String) -> ServerError {
    ServerError::TlsFile {
        path: path.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    }
}

/// Reads a PEM certificate chain.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_file_error(path, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_file_error(path, e.to_string()))?;
    if certs.is_empty() {
        return Err(tls_file_error(path, "no certificate in file".into()));
    }
    Ok(certs)
}

/// Reads a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, ServerError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| tls_file_error(path, e.to_string()))
}

/// The server's TLS configuration. With `client_ca`, every client must present a certificate
/// signed by it (mutual TLS, as the apiserver's webhook kubeconfig does).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<ServerConfig, ServerError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(ServerError::Tls)?;
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in load_certs(ca)? {
                roots.add(cert).map_err(ServerError::Tls)?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(ServerError::ClientCa)?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(ServerError::Tls)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The source name for a verified client certificate: its subject common name, else its first
/// DNS name, else `sha256:<hex>` of the certificate.
pub fn client_identity(cert: &CertificateDer<'_>) -> String {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    if let Ok((_, parsed)) = X509Certificate::from_der(cert.as_ref()) {
        if let Some(cn) = parsed
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .filter(|cn| !cn.is_empty())
        {
            return cn.to_owned();
        }
        if let Ok(Some(san)) = parsed.subject_alternative_name() {
            for name in &san.value.general_names {
                if let GeneralName::DNSName(dns) = name {
                    return (*dns).to_owned();
                }
            }
        }
    }
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(cert.as_ref());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
