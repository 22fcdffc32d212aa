//! Test support (feature `test-support`): a real registry on loopback and a signing pipeline.
//!
//! [`TestRegistry`] runs Debian's `docker-registry` (the CNCF distribution registry) on
//! 127.0.0.1 with TLS from a CA generated for the run, optionally behind htpasswd basic
//! auth. [`Pusher`] pushes small OCI images built in memory and signature artifacts;
//! [`CosignKey`], [`Fulcio`], [`Rekor`] and [`NotaryCa`] produce signatures the way cosign
//! and notation lay them out, with keys generated for the test. Nothing here is used by
//! kubepci itself.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PublicKeyData as _,
    SanType, SigningKey as _,
};
use serde_json::json;

use crate::credentials::Credentials;
use crate::crypto::{hex, sha256_digest};
use crate::registry::RegistryOptions;

/// The environment variable that makes a missing `docker-registry` a failure (CI sets it).
pub const REQUIRE_REGISTRY: &str = "KUBEPCI_REQUIRE_REGISTRY";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A `docker-registry` process on 127.0.0.1 with TLS, killed on drop.
pub struct TestRegistry {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The CA the registry's certificate chains to (PEM).
    pub ca_pem: String,
    /// The user and password the registry (or its token service) accepts, when it
    /// requires credentials.
    pub basic_auth: Option<(String, String)>,
    token_service: Option<TokenService>,
}

/// How the test registry authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anonymous access.
    None,
    /// htpasswd basic auth.
    Basic,
    /// Bearer tokens from a token service (on 127.0.0.1 too) that takes the basic-auth
    /// credentials, as Docker Hub, GHCR or Harbor do.
    Token,
}

/// Where the registry binary is.
fn registry_binary() -> Option<PathBuf> {
    [
        "/usr/bin/docker-registry",
        "/usr/local/bin/docker-registry",
        "/usr/bin/registry",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl TestRegistry {
    /// Starts a registry (with basic auth when `basic_auth`), or `None` after printing why
    /// when `docker-registry` is not installed and [`REQUIRE_REGISTRY`] is not `1`.
    ///
    /// # Panics
    /// When the registry is required but missing, or does not come up within 20 s.
    #[must_use]
    pub fn start(basic_auth: bool) -> Option<Self> {
        Self::start_with(if basic_auth { Auth::Basic } else { Auth::None })
    }

    /// [`TestRegistry::start`] with any [`Auth`].
    ///
    /// # Panics
    /// As [`TestRegistry::start`].
    #[must_use]
    pub fn start_with(auth: Auth) -> Option<Self> {
        let Some(binary) = registry_binary() else {
            let required = std::env::var(REQUIRE_REGISTRY).is_ok_and(|v| v == "1");
            assert!(
                !required,
                "docker-registry is not installed and {REQUIRE_REGISTRY}=1 (apt-get install docker-registry)"
            );
            eprintln!(
                "skipping: docker-registry is not installed (apt-get install docker-registry)"
            );
            return None;
        };
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::try_start(&binary, auth) {
                Ok(registry) => return Some(registry),
                Err(e) => last_error = e.to_string(),
            }
        }
        panic!("docker-registry did not start: {last_error}");
    }

    fn try_start(binary: &Path, mode: Auth) -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        let (ca_pem, cert_pem, key_pem) = server_certificates()?;
        std::fs::write(dir.path().join("cert.pem"), &cert_pem)?;
        std::fs::write(dir.path().join("key.pem"), &key_pem)?;
        let port = free_port()?;
        let mut token_service = None;
        let auth = if mode == Auth::Token {
            let service = TokenService::start(&cert_pem, &key_pem)?;
            std::fs::write(dir.path().join("token-ca.pem"), &service.signing_cert_pem)?;
            let auth = format!(
                "auth:\n  token:\n    realm: https://{}/token\n    service: kubepci-test-registry\n    issuer: kubepci-test-tokens\n    rootcertbundle: {}\n",
                service.addr,
                dir.path().join("token-ca.pem").display()
            );
            token_service = Some(service);
            auth
        } else if mode == Auth::Basic {
            let hash = bcrypt::hash_with_result("s3cret-pass", 4)?
                .format_for_version(bcrypt::Version::TwoA);
            std::fs::write(dir.path().join("htpasswd"), format!("kubepci:{hash}\n"))?;
            format!(
                "auth:\n  htpasswd:\n    realm: kubepci-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            )
        } else {
            String::new()
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: kubepci-test-secret\n  tls:\n    certificate: {cert}\n    key: {key}\n{auth}",
            data = dir.path().join("data").display(),
            cert = dir.path().join("cert.pem").display(),
            key = dir.path().join("key.pem").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config)?;
        let log = std::fs::File::create(dir.path().join("registry.log"))?;
        let mut child = Command::new(binary)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait()? {
                let log =
                    std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
                return Err(format!("docker-registry exited with {status}: {log}").into());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("docker-registry did not listen within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            child: Some(child),
            dir,
            host: format!("127.0.0.1:{port}"),
            ca_pem,
            basic_auth: (mode != Auth::None)
                .then(|| ("kubepci".to_owned(), "s3cret-pass".to_owned())),
            token_service,
        })
    }

    /// Stops the registry (a registry outage); its port then refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.token_service.take();
    }

    /// How many tokens the token service issued (0 without one).
    #[must_use]
    pub fn tokens_issued(&self) -> usize {
        self.token_service
            .as_ref()
            .map_or(0, |s| s.issued.load(Ordering::Relaxed))
    }

    /// A `.dockerconfigjson` document with this registry's credentials.
    #[must_use]
    pub fn dockerconfigjson(&self) -> String {
        let (user, pass) = self.basic_auth.clone().unwrap_or_default();
        json!({"auths": {&self.host: {"auth": B64.encode(format!("{user}:{pass}"))}}}).to_string()
    }

    /// A scratch directory that lives as long as the registry (for key files).
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` to a file in [`TestRegistry::dir`] and returns its path.
    ///
    /// # Panics
    /// When the file cannot be written.
    #[must_use]
    pub fn write_file(&self, name: &str, content: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write test file");
        path.display().to_string()
    }

    /// Registry options for a verifier: this CA, these credentials.
    ///
    /// # Panics
    /// Never for the document [`TestRegistry::dockerconfigjson`] builds.
    #[must_use]
    pub fn options(&self, timeout: Duration) -> RegistryOptions {
        let credentials = if self.basic_auth.is_some() {
            Credentials::parse("test", self.dockerconfigjson().as_bytes()).expect("credentials")
        } else {
            Credentials::default()
        };
        RegistryOptions {
            credentials,
            ca_pem: vec![self.ca_pem.clone().into_bytes()],
            timeout,
        }
    }

    /// A client that pushes to this registry.
    ///
    /// # Panics
    /// When the client cannot be built.
    #[must_use]
    pub fn pusher(&self) -> Pusher {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::try_from(ClientConfig {
            protocol: ClientProtocol::Https,
            tls_certs_only: vec![Certificate {
                encoding: CertificateEncoding::Pem,
                data: self.ca_pem.clone().into_bytes(),
            }],
            use_monolithic_push: true,
            ..ClientConfig::default()
        })
        .expect("push client");
        let auth = match &self.basic_auth {
            Some((u, p)) => RegistryAuth::Basic(u.clone(), p.clone()),
            None => RegistryAuth::Anonymous,
        };
        Pusher {
            client,
            auth,
            host: self.host.clone(),
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A registry token service on 127.0.0.1 (the distribution "token" auth scheme): it checks
/// the basic-auth credentials and issues an ES256 JWT, with its signing certificate in
/// `x5c`, granting the scopes asked for. Stops when dropped.
struct TokenService {
    addr: SocketAddr,
    signing_cert_pem: String,
    issued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for TokenService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Signer {
    key: ring::signature::EcdsaKeyPair,
    cert_der: Vec<u8>,
    issued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl TokenService {
    fn start(tls_cert_pem: &str, tls_key_pem: &str) -> Result<Self, Error> {
        use rustls_pki_types::pem::PemObject as _;
        let signing = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "kubepci test token signer");
        let cert = params.self_signed(&signing)?;
        let key = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &signing.serialize_der(),
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|e| format!("token key: {e}"))?;
        let issued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let signer = std::sync::Arc::new(Signer {
            key,
            cert_der: cert.der().to_vec(),
            issued: issued.clone(),
        });
        let certs = rustls_pki_types::CertificateDer::pem_slice_iter(tls_cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()?;
        let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(tls_key_pem.as_bytes())?;
        let tls = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = axum::Router::new()
                    .route("/token", axum::routing::get(issue_token))
                    .with_state(signer);
                kubepci_https::serve(
                    listener,
                    std::sync::Arc::new(tls),
                    app,
                    kubepci_https::ServeOptions::default(),
                    async move {
                        let _ = stopped.await;
                    },
                )
                .await;
            });
        });
        Ok(Self {
            addr,
            signing_cert_pem: cert.pem(),
            issued,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

async fn issue_token(
    axum::extract::State(signer): axum::extract::State<std::sync::Arc<Signer>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let expected = format!("Basic {}", B64.encode("kubepci:s3cret-pass"));
    let authorised = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if !authorised {
        return (http::StatusCode::UNAUTHORIZED, "bad credentials").into_response();
    }
    let query = request.uri().query().unwrap_or_default();
    let mut access = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != "scope" {
            continue;
        }
        // `repository:payments/api:pull,push`
        let mut parts = value.splitn(3, ':');
        if let (Some(kind), Some(name), Some(actions)) = (parts.next(), parts.next(), parts.next())
        {
            access.push(json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}));
        }
    }
    let now = unix_now();
    let header = json!({"typ": "JWT", "alg": "ES256", "x5c": [B64.encode(&signer.cert_der)]});
    let claims = json!({
        "iss": "kubepci-test-tokens",
        "sub": "kubepci",
        "aud": "kubepci-test-registry",
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("t-{}", signer.issued.fetch_add(1, Ordering::Relaxed)),
        "access": access
    });
    let signing_input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let Ok(signature) = signer
        .key
        .sign(&ring::rand::SystemRandom::new(), signing_input.as_bytes())
    else {
        return (http::StatusCode::INTERNAL_SERVER_ERROR, "signing failed").into_response();
    };
    let token = format!("{signing_input}.{}", B64URL.encode(signature.as_ref()));
    axum::Json(json!({"token": token, "access_token": token, "expires_in": 300})).into_response()
}

/// A CA and a server certificate for 127.0.0.1 signed by it: (CA PEM, cert PEM, key PEM).
fn server_certificates() -> Result<(String, String, String), Error> {
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "kubepci test registry CA");
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse()?));
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&key, &issuer)?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

/// A pushed manifest.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// `sha256:…`.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: usize,
}

/// Pushes images and artifacts.
pub struct Pusher {
    client: Client,
    auth: RegistryAuth,
    host: String,
}

impl Pusher {
    fn reference(&self, repository: &str, tag: &str) -> Reference {
        Reference::with_tag(self.host.clone(), repository.to_owned(), tag.to_owned())
    }

    /// `host/repository:tag`.
    #[must_use]
    pub fn image(&self, repository: &str, tag: &str) -> String {
        format!("{}/{repository}:{tag}", self.host)
    }

    /// `host/repository@digest`.
    #[must_use]
    pub fn pinned(&self, repository: &str, digest: &str) -> String {
        format!("{}/{repository}@{digest}", self.host)
    }

    async fn login(&self, reference: &Reference) -> Result<(), Error> {
        self.client
            .auth(reference, &self.auth, RegistryOperation::Push)
            .await?;
        Ok(())
    }

    /// Uploads a blob; returns its digest.
    ///
    /// # Errors
    /// The registry refuses it.
    pub async fn blob(&self, repository: &str, bytes: &[u8]) -> Result<String, Error> {
        let reference = self.reference(repository, "latest");
        self.login(&reference).await?;
        let digest = sha256_digest(bytes);
        self.client
            .push_blob(&reference, bytes.to_vec(), &digest)
            .await?;
        Ok(digest)
    }

    /// Uploads a manifest under a tag (or, with `tag = None`, by its digest only).
    ///
    /// # Errors
    /// The registry refuses it.
    pub async fn manifest(
        &self,
        repository: &str,
        tag: Option<&str>,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Pushed, Error> {
        let digest = sha256_digest(bytes);
        let reference = match tag {
            Some(tag) => self.reference(repository, tag),
            None => {
                Reference::with_digest(self.host.clone(), repository.to_owned(), digest.clone())
            }
        };
        self.login(&reference).await?;
        self.client
            .push_manifest_raw(
                &reference,
                bytes.to_vec(),
                http::HeaderValue::from_str(media_type)?,
            )
            .await?;
        Ok(Pushed {
            digest,
            media_type: media_type.to_owned(),
            size: bytes.len(),
        })
    }

    /// Builds a small OCI image (one tar layer holding `/etc/build-id` with `seed`, and
    /// its config), pushes it under `tag`, and returns its manifest.
    ///
    /// # Errors
    /// The registry refuses a part.
    pub async fn image_with(
        &self,
        repository: &str,
        tag: &str,
        seed: &str,
    ) -> Result<Pushed, Error> {
        let mut layer = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(seed.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        layer.append_data(&mut header, "etc/build-id", seed.as_bytes())?;
        let layer = layer.into_inner()?;
        let layer_digest = self.blob(repository, &layer).await?;
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Entrypoint": ["/bin/app"]},
            "rootfs": {"type": "layers", "diff_ids": [&layer_digest]}
        }))?;
        let config_digest = self.blob(repository, &config).await?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}]
        }))?;
        self.manifest(repository, Some(tag), &manifest, OCI_MANIFEST)
            .await
    }

    /// Attaches an artifact to `subject` as an OCI 1.1 referrer: the manifest (with
    /// `artifactType` and `subject`) by digest, and, because the distribution registry has
    /// no referrers API, the `sha256-<hex>` index of the referrers tag schema, updated.
    ///
    /// # Errors
    /// The registry refuses a part.
    pub async fn attach(
        &self,
        repository: &str,
        subject: &Pushed,
        artifact_type: &str,
        layer_media_type: &str,
        layer: &[u8],
    ) -> Result<Pushed, Error> {
        let empty = b"{}";
        let empty_digest = self.blob(repository, empty).await?;
        let layer_digest = self.blob(repository, layer).await?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": EMPTY_CONFIG, "digest": empty_digest, "size": 2},
            "layers": [{"mediaType": layer_media_type, "digest": layer_digest, "size": layer.len()}],
            "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size}
        }))?;
        let pushed = self
            .manifest(repository, None, &manifest, OCI_MANIFEST)
            .await?;
        let tag = subject.digest.replace(':', "-");
        let mut entries = self.referrers_index(repository, &tag).await;
        entries.push(json!({
            "mediaType": OCI_MANIFEST,
            "digest": pushed.digest,
            "size": pushed.size,
            "artifactType": artifact_type
        }));
        let index = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}),
        )?;
        self.manifest(repository, Some(&tag), &index, OCI_INDEX)
            .await?;
        Ok(pushed)
    }

    async fn referrers_index(&self, repository: &str, tag: &str) -> Vec<serde_json::Value> {
        let reference = self.reference(repository, tag);
        let Ok((bytes, _)) = self
            .client
            .pull_manifest_raw(&reference, &self.auth, &[OCI_INDEX])
            .await
        else {
            return Vec::new();
        };
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("manifests").and_then(|m| m.as_array()).cloned())
            .unwrap_or_default()
    }

    /// Pushes cosign's `.sig` manifest for `digest` with these layers (replacing it).
    ///
    /// # Errors
    /// The registry refuses a part.
    pub async fn cosign_signatures(
        &self,
        repository: &str,
        digest: &str,
        layers: &[CosignLayer],
    ) -> Result<Pushed, Error> {
        let config = serde_json::to_vec(
            &json!({"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}}),
        )?;
        let config_digest = self.blob(repository, &config).await?;
        let mut descriptors = Vec::new();
        for layer in layers {
            let payload_digest = self.blob(repository, &layer.payload).await?;
            let mut annotations = serde_json::Map::new();
            annotations.insert(
                "dev.cosignproject.cosign/signature".into(),
                B64.encode(&layer.signature).into(),
            );
            if let Some(cert) = &layer.certificate_pem {
                annotations.insert(
                    "dev.sigstore.cosign/certificate".into(),
                    cert.clone().into(),
                );
            }
            if let Some(chain) = &layer.chain_pem {
                annotations.insert("dev.sigstore.cosign/chain".into(), chain.clone().into());
            }
            if let Some(bundle) = &layer.bundle {
                annotations.insert("dev.sigstore.cosign/bundle".into(), bundle.clone().into());
            }
            descriptors.push(json!({
                "mediaType": crate::media_types::COSIGN_SIMPLE_SIGNING,
                "digest": payload_digest,
                "size": layer.payload.len(),
                "annotations": annotations
            }));
        }
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": descriptors
        }))?;
        self.manifest(
            repository,
            Some(&crate::cosign::signature_tag(digest)),
            &manifest,
            OCI_MANIFEST,
        )
        .await
    }
}

/// cosign's simple-signing payload for `image` (`host/repository`) at `digest`.
#[must_use]
pub fn simple_signing(image: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": image},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": null
    }))
    .unwrap_or_default()
}

/// One layer of a `.sig` manifest.
#[derive(Debug, Clone)]
pub struct CosignLayer {
    /// The simple-signing payload.
    pub payload: Vec<u8>,
    /// The signature over it.
    pub signature: Vec<u8>,
    /// The keyless certificate.
    pub certificate_pem: Option<String>,
    /// Its chain.
    pub chain_pem: Option<String>,
    /// The Rekor bundle annotation (JSON).
    pub bundle: Option<String>,
}

/// A cosign key pair (ECDSA P-256 or Ed25519).
pub struct CosignKey {
    pair: KeyPair,
}

impl CosignKey {
    /// A new ECDSA P-256 key (cosign's default).
    ///
    /// # Panics
    /// When the platform's RNG fails.
    #[must_use]
    pub fn p256() -> Self {
        Self {
            pair: KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key"),
        }
    }

    /// A new Ed25519 key.
    ///
    /// # Panics
    /// When the platform's RNG fails.
    #[must_use]
    pub fn ed25519() -> Self {
        Self {
            pair: KeyPair::generate_for(&PKCS_ED25519).expect("key"),
        }
    }

    /// `cosign.pub`.
    #[must_use]
    pub fn public_pem(&self) -> String {
        self.pair.public_key_pem()
    }

    /// Signs bytes.
    ///
    /// # Panics
    /// When signing fails (it does not with a valid key).
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).expect("sign")
    }

    /// A `.sig` layer signing `image` at `digest`.
    #[must_use]
    pub fn layer(&self, image: &str, digest: &str) -> CosignLayer {
        let payload = simple_signing(image, digest);
        CosignLayer {
            signature: self.sign(&payload),
            payload,
            certificate_pem: None,
            chain_pem: None,
            bundle: None,
        }
    }
}

/// A test Rekor: a log key, and entries it signs.
pub struct Rekor {
    key: KeyPair,
    next_index: AtomicI64,
}

/// A log entry the test Rekor made, with its evidence.
#[derive(Debug, Clone)]
pub struct Logged {
    /// The canonical body.
    pub body: Vec<u8>,
    /// Integration time (Unix seconds).
    pub integrated_time: i64,
    /// Index in the log.
    pub log_index: i64,
    /// The signed entry timestamp.
    pub set: Vec<u8>,
    /// SHA-256 of the log key.
    pub log_id: Vec<u8>,
    /// An RFC 6962 inclusion proof in a one-leaf tree and its signed checkpoint.
    pub checkpoint: String,
}

impl Default for Rekor {
    fn default() -> Self {
        Self::new()
    }
}

impl Rekor {
    /// A new log with a P-256 key.
    ///
    /// # Panics
    /// When the platform's RNG fails.
    #[must_use]
    pub fn new() -> Self {
        Self {
            key: KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key"),
            next_index: AtomicI64::new(1000),
        }
    }

    /// The log's public key (PEM).
    #[must_use]
    pub fn public_pem(&self) -> String {
        self.key.public_key_pem()
    }

    fn log_id(&self) -> Vec<u8> {
        ring::digest::digest(&ring::digest::SHA256, &self.key.subject_public_key_info())
            .as_ref()
            .to_vec()
    }

    /// Logs `body` now: SET over it, and a checkpoint of the one-leaf tree holding it.
    ///
    /// # Panics
    /// When signing fails.
    #[must_use]
    pub fn log(&self, body: Vec<u8>, integrated_time: i64) -> Logged {
        let log_index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let log_id = self.log_id();
        let payload = serde_json::to_vec(&json!({
            "body": B64.encode(&body),
            "integratedTime": integrated_time,
            "logID": hex(&log_id),
            "logIndex": log_index,
        }))
        .expect("json");
        // serde_json with preserve_order keeps insertion order, which is the sorted order.
        let set = self.key.sign(&payload).expect("sign");
        let root = kubepci_tlog::leaf_hash(&body);
        let text = format!("rekor.test - 42\n1\n{}\n", B64.encode(root.as_bytes()));
        let mut sig = log_id[..4].to_vec();
        sig.extend(self.key.sign(text.as_bytes()).expect("sign"));
        let checkpoint = format!("{text}\n\u{2014} rekor.test {}\n", B64.encode(sig));
        Logged {
            body,
            integrated_time,
            log_index,
            set,
            log_id,
            checkpoint,
        }
    }

    /// The legacy cosign bundle annotation for an entry.
    #[must_use]
    pub fn annotation(logged: &Logged) -> String {
        json!({
            "SignedEntryTimestamp": B64.encode(&logged.set),
            "Payload": {
                "body": B64.encode(&logged.body),
                "integratedTime": logged.integrated_time,
                "logIndex": logged.log_index,
                "logID": hex(&logged.log_id),
            }
        })
        .to_string()
    }

    /// A bundle v0.3 `tlogEntries` item for an entry (SET and inclusion proof).
    #[must_use]
    pub fn tlog_entry(logged: &Logged, kind: &str) -> serde_json::Value {
        json!({
            "logIndex": logged.log_index.to_string(),
            "logId": {"keyId": B64.encode(&logged.log_id)},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": logged.integrated_time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": B64.encode(&logged.set)},
            "inclusionProof": {
                "logIndex": "0",
                "rootHash": B64.encode(kubepci_tlog::leaf_hash(&logged.body).as_bytes()),
                "treeSize": "1",
                "hashes": [],
                "checkpoint": {"envelope": logged.checkpoint}
            },
            "canonicalizedBody": B64.encode(&logged.body)
        })
    }
}

/// Unix seconds now.
#[must_use]
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A test Fulcio: a root CA issuing short-lived code-signing certificates to OIDC identities.
pub struct Fulcio {
    issuer: Issuer<'static, KeyPair>,
    root_pem: String,
}

/// A certificate Fulcio issued, with its key.
pub struct Issued {
    /// The signing key.
    pub key: KeyPair,
    /// The certificate (PEM).
    pub pem: String,
    /// The certificate (DER).
    pub der: Vec<u8>,
}

impl Issued {
    /// Signs bytes with the certificate's key.
    ///
    /// # Panics
    /// When signing fails.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).expect("sign")
    }
}

impl Default for Fulcio {
    fn default() -> Self {
        Self::new("kubepci test Fulcio")
    }
}

impl Fulcio {
    /// A new root.
    ///
    /// # Panics
    /// When key generation or signing fails.
    #[must_use]
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params
            .distinguished_name
            .push(DnType::OrganizationName, "sigstore.test");
        params.distinguished_name.push(DnType::CommonName, name);
        let root_pem = params.self_signed(&key).expect("root").pem();
        Self {
            issuer: Issuer::new(params, key),
            root_pem,
        }
    }

    /// The root (PEM), what `fulcioRoots` names.
    #[must_use]
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// Issues a ten-minute certificate from `not_before` for `subject` (a URI or an
    /// e-mail address) and OIDC `issuer`, as Fulcio does.
    ///
    /// # Panics
    /// When key generation or signing fails.
    #[must_use]
    pub fn issue(&self, subject: &str, oidc_issuer: &str, not_before: i64) -> Issued {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        let san = rcgen::string::Ia5String::try_from(subject.to_owned()).expect("ascii subject");
        params.subject_alt_names = vec![if subject.contains("://") {
            SanType::URI(san)
        } else {
            SanType::Rfc822Name(san)
        }];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.not_before = time::OffsetDateTime::from_unix_timestamp(not_before).expect("time");
        params.not_after = params.not_before + time::Duration::minutes(10);
        // 1.3.6.1.4.1.57264.1.8: the OIDC issuer, as a DER UTF8String.
        let mut value = vec![0x0c, u8::try_from(oidc_issuer.len()).expect("short issuer")];
        value.extend_from_slice(oidc_issuer.as_bytes());
        params.custom_extensions = vec![CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
            value,
        )];
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        Issued {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            key,
        }
    }

    /// A keyless `.sig` layer: the signature by a certificate issued now, logged in `rekor`.
    #[must_use]
    pub fn cosign_layer(
        &self,
        rekor: &Rekor,
        subject: &str,
        issuer: &str,
        image: &str,
        digest: &str,
    ) -> CosignLayer {
        let now = unix_now();
        let issued = self.issue(subject, issuer, now - 60);
        let payload = simple_signing(image, digest);
        let signature = issued.sign(&payload);
        let body = hashedrekord(&payload, &signature, &issued.pem);
        let logged = rekor.log(body, now);
        CosignLayer {
            payload,
            signature,
            certificate_pem: Some(issued.pem),
            chain_pem: None,
            bundle: Some(Rekor::annotation(&logged)),
        }
    }

    /// A Sigstore bundle v0.3 with a DSSE in-toto statement about `digest`, signed by a
    /// certificate issued now and logged in `rekor` (SET, inclusion proof, checkpoint).
    #[must_use]
    pub fn dsse_bundle(
        &self,
        rekor: &Rekor,
        subject: &str,
        issuer: &str,
        image: &str,
        digest: &str,
    ) -> Vec<u8> {
        let now = unix_now();
        let issued = self.issue(subject, issuer, now - 60);
        let statement = in_toto_statement(image, digest);
        let pae = crate::bundle::pae("application/vnd.in-toto+json", &statement);
        let signature = issued.sign(&pae);
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": hex(&crate::rekor::sha256(b"envelope"))},
                "payloadHash": {"algorithm": "sha256", "value": hex(&crate::rekor::sha256(&statement))},
                "signatures": [{"signature": B64.encode(&signature), "verifier": B64.encode(&issued.pem)}]
            }
        }))
        .expect("json");
        let logged = rekor.log(body, now);
        serde_json::to_vec(&json!({
            "mediaType": crate::media_types::SIGSTORE_BUNDLE_V03,
            "verificationMaterial": {
                "certificate": {"rawBytes": B64.encode(&issued.der)},
                "tlogEntries": [Rekor::tlog_entry(&logged, "dsse")]
            },
            "dsseEnvelope": {
                "payload": B64.encode(&statement),
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [{"sig": B64.encode(&signature), "keyid": ""}]
            }
        }))
        .expect("json")
    }
}

/// A hashedrekord 0.0.1 entry body for a signature over `content` by the certificate.
#[must_use]
pub fn hashedrekord(content: &[u8], signature: &[u8], cert_pem: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(&crate::rekor::sha256(content))}},
            "signature": {"content": B64.encode(signature), "publicKey": {"content": B64.encode(cert_pem)}}
        }
    }))
    .unwrap_or_default()
}

/// cosign's in-toto statement for an image signature.
#[must_use]
pub fn in_toto_statement(image: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": image, "digest": {"sha256": digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {}
    }))
    .unwrap_or_default()
}

/// A Sigstore bundle v0.3 signed with a cosign key (no certificate, no log entry).
#[must_use]
pub fn key_bundle(key: &CosignKey, image: &str, digest: &str) -> Vec<u8> {
    let statement = in_toto_statement(image, digest);
    let signature = key.sign(&crate::bundle::pae(
        "application/vnd.in-toto+json",
        &statement,
    ));
    serde_json::to_vec(&json!({
        "mediaType": crate::media_types::SIGSTORE_BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": B64.encode(&statement),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": B64.encode(&signature), "keyid": ""}]
        }
    }))
    .unwrap_or_default()
}

/// A test Notary Project CA with a code-signing leaf.
pub struct NotaryCa {
    root_pem: String,
    root_der: Vec<u8>,
    leaf_der: Vec<u8>,
    leaf_key: ring::signature::EcdsaKeyPair,
}

impl NotaryCa {
    /// A root and a leaf for `O=<organization>, CN=<name>`.
    ///
    /// # Panics
    /// When key generation or signing fails.
    #[must_use]
    pub fn new(organization: &str, name: &str) -> Self {
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut root = CertificateParams::new(Vec::<String>::new()).expect("params");
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        root.distinguished_name
            .push(DnType::OrganizationName, organization);
        root.distinguished_name
            .push(DnType::CommonName, format!("{organization} root"));
        let root_cert = root.self_signed(&root_key).expect("root");
        let issuer = Issuer::new(root, root_key);
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut leaf = CertificateParams::new(Vec::<String>::new()).expect("params");
        leaf.distinguished_name = rcgen::DistinguishedName::new();
        leaf.distinguished_name.push(DnType::CountryName, "US");
        leaf.distinguished_name
            .push(DnType::OrganizationName, organization);
        leaf.distinguished_name.push(DnType::CommonName, name);
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf");
        let pkcs8 = leaf_key.serialize_der();
        let signing = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &ring::rand::SystemRandom::new(),
        )
        .expect("pkcs8");
        Self {
            root_pem: root_cert.pem(),
            root_der: root_cert.der().to_vec(),
            leaf_der: leaf_cert.der().to_vec(),
            leaf_key: signing,
        }
    }

    /// The trust store file's content.
    #[must_use]
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// A JWS envelope signing the manifest `target` (ES256, scheme `notary.x509`).
    ///
    /// # Panics
    /// When signing fails.
    #[must_use]
    pub fn envelope(&self, target: &Pushed) -> Vec<u8> {
        let protected = serde_json::to_vec(&json!({
            "alg": "ES256",
            "cty": "application/vnd.cncf.notary.payload.v1+json",
            "crit": ["io.cncf.notary.signingScheme"],
            "io.cncf.notary.signingScheme": "notary.x509",
            "io.cncf.notary.signingTime": time::OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .expect("time")
                .format(&time::format_description::well_known::Rfc3339)
                .expect("time")
        }))
        .expect("json");
        let payload = serde_json::to_vec(&json!({
            "targetArtifact": {"mediaType": target.media_type, "digest": target.digest, "size": target.size}
        }))
        .expect("json");
        let (protected, payload) = (B64URL.encode(protected), B64URL.encode(payload));
        let signature = self
            .leaf_key
            .sign(
                &ring::rand::SystemRandom::new(),
                format!("{protected}.{payload}").as_bytes(),
            )
            .expect("sign");
        let mut out = Vec::new();
        let _ = write!(
            out,
            "{}",
            json!({
                "payload": payload,
                "protected": protected,
                "header": {
                    "x5c": [B64.encode(&self.leaf_der), B64.encode(&self.root_der)],
                    "io.cncf.notary.signingAgent": "kubepci-test/1.0"
                },
                "signature": B64URL.encode(signature.as_ref())
            })
        );
        out
    }
}
