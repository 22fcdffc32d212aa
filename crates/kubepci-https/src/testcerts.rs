//! Certificates for tests and benchmarks: a CA, a server certificate for `localhost` and
//! 127.0.0.1 (and fresh ones, for rotation tests), and client certificates.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A generated CA with a server certificate.
pub struct TestPki {
    ca_cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    /// Server certificate (PEM).
    pub server_cert_pem: String,
    /// Server key (PEM).
    pub server_key_pem: String,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

/// Paths of the files written by [`TestPki::write`].
#[derive(Debug, Clone)]
pub struct PkiFiles {
    /// CA certificate.
    pub ca: PathBuf,
    /// Server certificate.
    pub server_cert: PathBuf,
    /// Server key.
    pub server_key: PathBuf,
    /// Client certificate (CN `apiserver-1`).
    pub client_cert: PathBuf,
    /// Client key.
    pub client_key: PathBuf,
}

impl TestPki {
    /// Generates a CA and a server certificate.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "kubepci test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, ca_key);
        let (server_cert_pem, server_key_pem) = server_pair(&issuer)?;
        Ok(Self {
            ca_cert_pem: ca_cert.pem(),
            issuer,
            server_cert_pem,
            server_key_pem,
        })
    }

    /// A fresh server certificate and key (PEM) for `localhost` and 127.0.0.1, signed by the
    /// same CA: what a rotation installs.
    pub fn server(&self) -> Result<(String, String), rcgen::Error> {
        server_pair(&self.issuer)
    }

    /// The CA certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    /// A client certificate and key (PEM) with common name `name`.
    pub fn client(&self, name: &str) -> Result<(String, String), rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Writes the CA, server and an `apiserver-1` client certificate into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<PkiFiles> {
        let files = PkiFiles {
            ca: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
        };
        let (client_cert, client_key) =
            self.client("apiserver-1").map_err(std::io::Error::other)?;
        std::fs::write(&files.ca, &self.ca_cert_pem)?;
        std::fs::write(&files.server_cert, &self.server_cert_pem)?;
        std::fs::write(&files.server_key, &self.server_key_pem)?;
        std::fs::write(&files.client_cert, client_cert)?;
        std::fs::write(&files.client_key, client_key)?;
        Ok(files)
    }
}

fn server_pair(issuer: &Issuer<'static, KeyPair>) -> Result<(String, String), rcgen::Error> {
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, issuer)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// A client TLS configuration trusting `ca_pem`, with an optional client certificate.
pub fn client_config(ca_pem: &str, client: Option<(&str, &str)>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()).flatten() {
        let _ = roots.add(cert);
    }
    let builder = ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .with_root_certificates(roots);
    let config = match client {
        Some((cert, key)) => {
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .flatten()
                    .collect();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                .expect("generated client keys are valid PEM");
            builder
                .with_client_auth_cert(certs, key)
                .expect("generated client certificates are valid")
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(config)
}
