//! Container image signature verification against OCI registries.
//!
//! Given the image-signing policy of `kubepci.yaml` (`images.signatures`, see
//! [`kubepci_rules::settings::SignaturePolicy`]) and an image reference as a pod spec writes
//! it, a [`Verifier`]:
//!
//! 1. resolves the reference to a manifest digest through the OCI distribution API
//!    (anonymous, basic or bearer-token auth with `.dockerconfigjson` credentials);
//! 2. fetches the signature artifacts of that digest: cosign's `sha256-<hex>.sig` tag, and
//!    the digest's referrers (the OCI 1.1 referrers API, or its tag-schema fallback):
//!    Sigstore bundles and Notary Project signatures;
//! 3. verifies each against the policy's signers: the signature itself, its binding to the
//!    digest, and for keyless signatures the Fulcio certificate chain, the OIDC identity and
//!    the Rekor transparency-log entry (signed entry timestamp, inclusion proof and signed
//!    checkpoint), all against keys supplied as files;
//! 4. remembers the result by digest, for a bounded time and number of digests.
//!
//! The result says which digest was verified and by whom, or exactly why not. HTTP is
//! `oci-client`; signatures and certificate paths are `ring` and `rustls-webpki`; the formats
//! are in [docs/image-signatures.md](../../docs/image-signatures.md), with what is not
//! verified and why.
//!
//! The crate is async (tokio) for the admission webhook; [`verify_blocking`] runs it from
//! synchronous code such as the CLI.

mod bundle;
mod cache;
mod cosign;
mod credentials;
mod crypto;
mod error;
mod identity;
mod notation;
mod registry;
mod rekor;
mod scan;
#[cfg(feature = "test-support")]
pub mod testing;
mod trust;
mod verifier;

pub use credentials::Credentials;
pub use error::{PolicyError, RegistryError};
pub use registry::{Registry, RegistryOptions};
pub use scan::{covered_images, images_to_verify, pinned, verify_blocking};
pub use trust::TrustPolicy;
pub use verifier::{Verdict, Verifier};

/// Runs every parser of untrusted registry content over `data`: simple-signing payloads,
/// Rekor bundle annotations, Sigstore bundles, Notary Project envelopes, keys, certificates,
/// `.dockerconfigjson`. For the fuzz target (`fuzz/fuzz_targets/image_signature.rs`); none
/// may panic.
#[doc(hidden)]
pub fn fuzz_signature_artifacts(data: &[u8]) {
    let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let _ = cosign::signed_digest(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cosign::parse_bundle(text);
        let _ = identity::TrustedIdentity::parse(text);
    }
    let _ = bundle::check(data, digest, data, &[]);
    let _ = notation::check(
        data,
        digest,
        "application/vnd.oci.image.manifest.v1+json",
        data.len(),
        &[],
        std::time::SystemTime::now(),
    );
    let _ = crypto::PublicKey::from_pem(data);
    let _ = crypto::PublicKey::from_spki(data);
    let _ = crypto::certificates_from_pem(data).map(crypto::CertificatePool::from_certificates);
    let _ = Credentials::parse("fuzz", data);
}

/// Media types of the signature artifacts this crate reads.
pub mod media_types {
    /// A cosign simple-signing payload (a layer of a `.sig` manifest).
    pub const COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
    /// A Sigstore bundle v0.3 (artifact type and layer media type).
    pub const SIGSTORE_BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    /// Earlier Sigstore bundle versions (`;version=0.1`, `;version=0.2`).
    pub const SIGSTORE_BUNDLE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
    /// A Notary Project signature (artifact type).
    pub const NOTARY_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
    /// A JWS envelope (the layer of a Notary Project signature).
    pub const JWS: &str = "application/jose+json";
    /// A COSE envelope (the other Notary Project envelope; not verified).
    pub const COSE: &str = "application/cose";
}
