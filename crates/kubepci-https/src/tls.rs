//! rustls server configuration: TLS 1.2 and 1.3 with ECDHE key exchange and AEAD suites only
//! (PCI DSS 4.2.1), optional client-certificate authentication, and a server certificate that
//! reloads from disk when its files change (cert-manager rotation) without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;

/// The crypto provider: `ring`, restricted to ECDHE key exchange and AEAD cipher suites (the
/// provider's defaults, listed here so that a change is deliberate).
#[must_use]
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

fn file_error(path: &Path, message: impl Into<String>) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, message.into()),
    }
}

/// Reads a PEM certificate chain.
///
/// # Errors
/// The file cannot be read, is not PEM, or holds no certificate.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    parse_certs(path, &bytes)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::File {
        path: path.display().to_string(),
        source,
    })
}

fn parse_certs(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e.to_string()))?;
    if certs.is_empty() {
        return Err(file_error(path, "no certificate in file"));
    }
    Ok(certs)
}

/// Reads a PEM private key (PKCS#8, PKCS#1 or SEC1).
///
/// # Errors
/// The file cannot be read or holds no private key.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    parse_key(path, &bytes)
}

fn parse_key(path: &Path, pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| file_error(path, e.to_string()))
}

/// Where a server's TLS material lives.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Server certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Server private key (PEM).
    pub key: PathBuf,
    /// When set, every client must present a certificate signed by one of these CAs (PEM).
    pub client_ca: Option<PathBuf>,
}

/// The server certificate and key, reloaded from their files when they change.
///
/// Kubernetes mounts a Secret's files through a symlink that the kubelet swaps atomically, so
/// a rotation changes both files at once; a writer that replaces them one after the other
/// leaves a moment where they do not match, and then the pair is ignored until they do. A pair
/// that does not load keeps the previous certificate in service: a bad rotation never takes
/// the server down.
pub struct ReloadingCertificate {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: ArcSwap<CertifiedKey>,
    /// The bytes of the pair in service, to notice changes without re-parsing.
    loaded: Mutex<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for ReloadingCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingCertificate")
            .field("cert", &self.cert_path)
            .field("key", &self.key_path)
            .finish_non_exhaustive()
    }
}

impl ReloadingCertificate {
    /// Loads the pair.
    ///
    /// # Errors
    /// A file cannot be read or parsed, or the key does not match the certificate.
    pub fn load(cert: &Path, key: &Path, provider: Arc<CryptoProvider>) -> Result<Self, TlsError> {
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        let certified = certified_key(cert, &cert_pem, key, &key_pem, &provider)?;
        Ok(Self {
            cert_path: cert.to_path_buf(),
            key_path: key.to_path_buf(),
            provider,
            current: ArcSwap::from_pointee(certified),
            loaded: Mutex::new((cert_pem, key_pem)),
        })
    }

    /// Re-reads the files; when they changed and load, puts the new pair in service. Returns
    /// whether it did. New handshakes use the new certificate; connections already open keep
    /// theirs.
    ///
    /// # Errors
    /// The files changed but do not load (the previous certificate stays in service).
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let (cert_pem, key_pem) = (read(&self.cert_path)?, read(&self.key_path)?);
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if loaded.0 == cert_pem && loaded.1 == key_pem {
            return Ok(false);
        }
        let certified = certified_key(
            &self.cert_path,
            &cert_pem,
            &self.key_path,
            &key_pem,
            &self.provider,
        )?;
        self.current.store(Arc::new(certified));
        *loaded = (cert_pem, key_pem);
        Ok(true)
    }

    /// The certificate chain in service (leaf first).
    #[must_use]
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.current.load().cert.clone()
    }

    /// The leaf certificate's expiry, in seconds since the Unix epoch.
    #[must_use]
    pub fn not_after(&self) -> Option<i64> {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let current = self.current.load();
        let leaf = current.cert.first()?;
        let (_, parsed) = X509Certificate::from_der(leaf.as_ref()).ok()?;
        Some(parsed.validity().not_after.timestamp())
    }

    /// Checks the files every `interval` until the task is dropped, logging each rotation and
    /// each pair that does not load.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let this = self.clone();
            match tokio::task::spawn_blocking(move || this.reload_if_changed()).await {
                Ok(Ok(true)) => tracing::info!(
                    cert = %self.cert_path.display(),
                    not_after = self.not_after().unwrap_or_default(),
                    "server certificate reloaded"
                ),
                Ok(Ok(false)) => {}
                Ok(Err(error)) => tracing::warn!(
                    %error,
                    "server certificate files changed but do not load; keeping the current one"
                ),
                Err(_) => tracing::error!("certificate reload task failed"),
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

fn certified_key(
    cert_path: &Path,
    cert_pem: &[u8],
    key_path: &Path,
    key_pem: &[u8],
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = parse_certs(cert_path, cert_pem)?;
    let key = parse_key(key_path, key_pem)?;
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| file_error(key_path, e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|_| TlsError::KeyMismatch {
        cert: cert_path.display().to_string(),
        key: key_path.display().to_string(),
    })?;
    Ok(certified)
}

/// A server's TLS: the rustls configuration and the certificate it serves, which
/// [`ReloadingCertificate::watch`] keeps current.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The configuration to accept connections with.
    pub config: Arc<ServerConfig>,
    /// The certificate in service.
    pub certificate: Arc<ReloadingCertificate>,
}

impl ServerTls {
    /// Loads the files. ALPN offers HTTP/2 and HTTP/1.1.
    ///
    /// # Errors
    /// A file cannot be read or parsed, the key does not match the certificate, or the client
    /// CA cannot verify certificates.
    pub fn load(files: &TlsFiles) -> Result<Self, TlsError> {
        let provider = provider();
        let certificate = Arc::new(ReloadingCertificate::load(
            &files.cert,
            &files.key,
            provider.clone(),
        )?);
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(TlsError::Config)?;
        let builder = match &files.client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in load_certs(ca)? {
                    roots.add(cert).map_err(TlsError::Config)?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(TlsError::ClientCa)?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_cert_resolver(certificate.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            certificate,
        })
    }
}

/// A name for a verified client certificate: its subject common name, else its first DNS
/// name, else `sha256:<hex>` of the certificate.
#[must_use]
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
