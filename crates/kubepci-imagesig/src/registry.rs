//! The OCI distribution API, through `oci-client`: manifests by tag or digest, blobs, and a
//! digest's referrers (the referrers API with the tag-schema fallback). Every answer is
//! checked against the digest it was asked by, and sizes are bounded.

use std::time::Duration;

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, ImageIndexEntry,
    OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE, OciDescriptor,
};
use oci_client::{Client, Reference};

use crate::credentials::Credentials;
use crate::crypto::sha256_digest;
use crate::error::{PolicyError, RegistryError};

/// Manifests larger than this are refused (real ones are a few KiB).
pub(crate) const MAX_MANIFEST_BYTES: usize = 4 << 20;

const MANIFEST_TYPES: &[&str] = &[
    OCI_IMAGE_MEDIA_TYPE,
    OCI_IMAGE_INDEX_MEDIA_TYPE,
    IMAGE_MANIFEST_MEDIA_TYPE,
    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Credentials by registry.
    pub credentials: Credentials,
    /// PEM roots registries' TLS certificates must chain to; empty: the system's roots.
    pub ca_pem: Vec<Vec<u8>>,
    /// Connect and read time-out of one request.
    pub timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            credentials: Credentials::default(),
            ca_pem: Vec::new(),
            timeout: Duration::from_secs(5),
        }
    }
}

/// A registry client.
pub struct Registry {
    client: Client,
    credentials: Credentials,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// A manifest as the registry served it, with the digest of its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub(crate) digest: String,
    pub(crate) media_type: String,
    pub(crate) bytes: Vec<u8>,
}

impl Registry {
    /// A client with the given credentials, roots and time-out. Installs `ring` as the
    /// process's rustls crypto provider when none is installed yet.
    ///
    /// # Errors
    /// A CA file that holds no certificate.
    pub fn new(options: RegistryOptions) -> Result<Self, PolicyError> {
        // The HTTP stack asks rustls for the process default; kubepci uses ring throughout.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls_certs_only = options
            .ca_pem
            .iter()
            .map(|pem| Certificate {
                encoding: CertificateEncoding::Pem,
                data: pem.clone(),
            })
            .collect();
        let config = ClientConfig {
            protocol: ClientProtocol::Https,
            tls_certs_only,
            read_timeout: Some(options.timeout),
            connect_timeout: Some(options.timeout),
            platform_resolver: None,
            user_agent: concat!("kubepci/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).map_err(|e| PolicyError::Invalid {
            path: "images.signatures.registry".into(),
            message: format!("cannot build the registry client: {e}"),
        })?;
        Ok(Self {
            client,
            credentials: options.credentials,
        })
    }

    /// Parses an image reference as the container runtime does.
    pub(crate) fn reference(image: &str) -> Result<Reference, RegistryError> {
        Reference::try_from(image).map_err(|e| RegistryError::Reference {
            reference: image.to_owned(),
            message: e.to_string(),
        })
    }

    async fn authenticate(&self, reference: &Reference) {
        let registry = reference.resolve_registry();
        self.client
            .store_auth_if_needed(registry, &self.credentials.auth_for(reference.registry()))
            .await;
    }

    /// The manifest a tag or digest names, checked against the digest when there is one.
    pub(crate) async fn manifest(&self, reference: &Reference) -> Result<Manifest, RegistryError> {
        self.authenticate(reference).await;
        let what = reference
            .digest()
            .or(reference.tag())
            .unwrap_or("latest")
            .to_owned();
        let (bytes, _) = self
            .client
            .pull_manifest_raw(
                reference,
                &self.credentials.auth_for(reference.registry()),
                MANIFEST_TYPES,
            )
            .await
            .map_err(|e| classify(e, reference, &what))?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(protocol(
                reference,
                format!("manifest {what} is larger than 4 MiB"),
            ));
        }
        let digest = sha256_digest(&bytes);
        if let Some(wanted) = reference.digest()
            && wanted != digest
        {
            return Err(protocol(
                reference,
                format!("served content of digest {digest} for {wanted}"),
            ));
        }
        let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
                v.get("mediaType")
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        Ok(Manifest {
            digest,
            media_type,
            bytes: bytes.to_vec(),
        })
    }

    /// A manifest that may not exist (a signature tag): `Ok(None)` on 404.
    pub(crate) async fn optional_manifest(
        &self,
        reference: &Reference,
    ) -> Result<Option<Manifest>, RegistryError> {
        match self.manifest(reference).await {
            Ok(m) => Ok(Some(m)),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A blob, checked against its descriptor's digest and bounded by `limit` bytes.
    pub(crate) async fn blob(
        &self,
        reference: &Reference,
        descriptor: &OciDescriptor,
        limit: usize,
    ) -> Result<Vec<u8>, RegistryError> {
        let size = usize::try_from(descriptor.size).unwrap_or(usize::MAX);
        if size > limit {
            return Err(protocol(
                reference,
                format!(
                    "blob {} is {} bytes, more than the {limit} accepted",
                    descriptor.digest, descriptor.size
                ),
            ));
        }
        self.authenticate(reference).await;
        let mut out = Vec::with_capacity(size);
        self.client
            .pull_blob(reference, descriptor, &mut out)
            .await
            .map_err(|e| classify(e, reference, &descriptor.digest))?;
        if out.len() != size || sha256_digest(&out) != descriptor.digest {
            return Err(protocol(
                reference,
                format!("blob {} does not match its descriptor", descriptor.digest),
            ));
        }
        Ok(out)
    }

    /// The referrers of `reference` (which names a digest): the OCI 1.1 referrers API, or
    /// the `sha256-<hex>` tag of the referrers tag schema on registries without it.
    pub(crate) async fn referrers(
        &self,
        reference: &Reference,
    ) -> Result<Vec<ImageIndexEntry>, RegistryError> {
        self.authenticate(reference).await;
        let what = format!("referrers of {}", reference.digest().unwrap_or_default());
        let index = self
            .client
            .pull_referrers(reference, None)
            .await
            .map_err(|e| classify(e, reference, &what))?;
        Ok(index.manifests)
    }
}

fn protocol(reference: &Reference, message: String) -> RegistryError {
    RegistryError::Protocol {
        registry: reference.registry().to_owned(),
        message,
    }
}

/// Sorts a client error into what the policy needs to know: could the registry be asked?
fn classify(error: OciDistributionError, reference: &Reference, what: &str) -> RegistryError {
    let registry = reference.registry().to_owned();
    let repository = reference.repository().to_owned();
    let not_found = || RegistryError::NotFound {
        registry: registry.clone(),
        repository: repository.clone(),
        what: what.to_owned(),
    };
    let unauthorized = |message: String| RegistryError::Unauthorized {
        registry: registry.clone(),
        repository: repository.clone(),
        message,
    };
    match error {
        OciDistributionError::ImageManifestNotFoundError(_) => not_found(),
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::BlobUnknown
                        | OciErrorCode::NotFound
                )
            }) {
                not_found()
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
            {
                unauthorized(first_message(&envelope))
            } else {
                RegistryError::Protocol {
                    registry,
                    message: format!("asking for {what}: {}", first_message(&envelope)),
                }
            }
        }
        OciDistributionError::UnauthorizedError { .. } => {
            unauthorized("401 Unauthorized".to_owned())
        }
        OciDistributionError::ServerError { code: 404, .. } => not_found(),
        OciDistributionError::ServerError {
            code: 401 | 403, ..
        } => unauthorized("access denied".to_owned()),
        OciDistributionError::ServerError { code, .. } if code >= 500 || code == 429 => {
            RegistryError::Unavailable {
                registry,
                message: format!("HTTP {code} asking for {what}"),
            }
        }
        OciDistributionError::RequestError(e) => RegistryError::Unavailable {
            registry,
            message: if e.is_timeout() {
                format!("no answer in time asking for {what}")
            } else if e.is_connect() {
                format!("cannot connect ({})", innermost(&e))
            } else {
                innermost(&e)
            },
        },
        OciDistributionError::IoError(e) => RegistryError::Unavailable {
            registry,
            message: e.to_string(),
        },
        other => RegistryError::Protocol {
            registry,
            message: format!("asking for {what}: {other}"),
        },
    }
}

fn first_message(envelope: &oci_client::errors::OciEnvelope) -> String {
    envelope
        .errors
        .first()
        .map(|e| format!("{:?}: {}", e.code, e.message))
        .unwrap_or_default()
}

/// The deepest cause of an HTTP error (a TLS or socket message says more than the wrapper).
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
