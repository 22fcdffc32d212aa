//! cosign's signatures on the `sha256-<hex>.sig` tag: an OCI manifest whose layers are
//! simple-signing payloads naming the signed digest, each with its signature (and, for
//! keyless signing, the Fulcio certificate, its chain and the Rekor bundle) in the layer's
//! annotations.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use oci_client::Reference;
use oci_client::manifest::OciDescriptor;
use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Deserialize;

use crate::crypto::{Encoding, PublicKey, certificates_from_pem, hex};
use crate::error::RegistryError;
use crate::media_types::COSIGN_SIMPLE_SIGNING;
use crate::registry::Registry;
use crate::rekor::{Expected, LogEntry, sha256};
use crate::trust::TrustedSigner;
use crate::verifier::Attempt;

const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
const ANNOTATION_CHAIN: &str = "dev.sigstore.cosign/chain";
const ANNOTATION_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// Simple-signing payloads are a few hundred bytes.
const MAX_PAYLOAD_BYTES: usize = 64 << 10;
/// A `.sig` manifest holds one layer per signature; more than this is not a signature set.
const MAX_LAYERS: usize = 64;

/// One cosign signature as found on the `.sig` tag.
#[derive(Debug, Clone)]
pub(crate) struct CosignSignature {
    /// The simple-signing payload, as signed.
    pub(crate) payload: Vec<u8>,
    /// The signature over the payload, or why it could not be read.
    pub(crate) signature: Result<Vec<u8>, String>,
    /// The keyless signing certificate (DER).
    pub(crate) certificate: Option<Result<Vec<u8>, String>>,
    /// Intermediates shipped with it.
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// The Rekor entry (legacy bundle annotation: SET and entry, no inclusion proof).
    pub(crate) log_entry: Option<Result<LogEntry, String>>,
}

/// The `.sig` tag of a digest: `sha256:abc…` → `sha256-abc….sig`.
pub(crate) fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

#[derive(Deserialize)]
struct SigManifest {
    #[serde(default)]
    layers: Vec<OciDescriptor>,
}

/// Fetches the signatures of `digest` in `image`'s repository. `Ok(empty)` when the tag
/// does not exist.
pub(crate) async fn fetch(
    registry: &Registry,
    image: &Reference,
    digest: &str,
) -> Result<Vec<CosignSignature>, RegistryError> {
    let tag = Reference::with_tag(
        image.registry().to_owned(),
        image.repository().to_owned(),
        signature_tag(digest),
    );
    let Some(manifest) = registry.optional_manifest(&tag).await? else {
        return Ok(Vec::new());
    };
    let parsed: SigManifest =
        serde_json::from_slice(&manifest.bytes).map_err(|e| RegistryError::Protocol {
            registry: image.registry().to_owned(),
            message: format!("{} is not an image manifest: {e}", signature_tag(digest)),
        })?;
    let layers: Vec<&OciDescriptor> = parsed
        .layers
        .iter()
        .filter(|l| l.media_type == COSIGN_SIMPLE_SIGNING)
        .take(MAX_LAYERS)
        .collect();
    let payloads = futures_util::future::join_all(
        layers
            .iter()
            .map(|layer| registry.blob(image, layer, MAX_PAYLOAD_BYTES)),
    )
    .await;
    let mut out = Vec::new();
    for (layer, payload) in layers.into_iter().zip(payloads) {
        let payload = payload?;
        let empty = BTreeMap::new();
        let annotations = layer.annotations.as_ref().unwrap_or(&empty);
        out.push(CosignSignature {
            payload,
            signature: annotations
                .get(ANNOTATION_SIGNATURE)
                .ok_or_else(|| "the layer has no signature annotation".to_owned())
                .and_then(|s| {
                    B64.decode(s.trim())
                        .map_err(|_| "the signature annotation is not base64".to_owned())
                }),
            certificate: annotations
                .get(ANNOTATION_CERTIFICATE)
                .map(|pem| certificates_from_pem(pem.as_bytes()).map(|c| c[0].to_vec())),
            chain: annotations
                .get(ANNOTATION_CHAIN)
                .and_then(|pem| certificates_from_pem(pem.as_bytes()).ok())
                .unwrap_or_default(),
            log_entry: annotations.get(ANNOTATION_BUNDLE).map(|b| parse_bundle(b)),
        });
    }
    Ok(out)
}

/// The legacy Rekor bundle annotation.
pub(crate) fn parse_bundle(json: &str) -> Result<LogEntry, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Bundle {
        signed_entry_timestamp: String,
        payload: Payload,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        body: String,
        integrated_time: i64,
        log_index: i64,
        #[serde(rename = "logID")]
        log_id: String,
    }
    let bundle: Bundle = serde_json::from_str(json)
        .map_err(|e| format!("the Rekor bundle annotation is malformed: {e}"))?;
    Ok(LogEntry {
        body: B64
            .decode(&bundle.payload.body)
            .map_err(|_| "the Rekor entry body is not base64")?,
        integrated_time: bundle.payload.integrated_time,
        log_index: bundle.payload.log_index,
        log_id: data_encoding::HEXLOWER_PERMISSIVE
            .decode(bundle.payload.log_id.as_bytes())
            .map_err(|_| "the Rekor log ID is not hex")?,
        set: Some(
            B64.decode(&bundle.signed_entry_timestamp)
                .map_err(|_| "the signed entry timestamp is not base64")?,
        ),
        proof: None,
    })
}

/// The digest a simple-signing payload signs (`critical.image.docker-manifest-digest`,
/// whose key cosign reads without regard to case), after checking its type.
pub(crate) fn signed_digest(payload: &[u8]) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the signed payload is not JSON: {e}"))?;
    let get = |v: &serde_json::Value, key: &str| -> Option<serde_json::Value> {
        v.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let critical = get(&value, "critical").ok_or("the signed payload has no `critical` section")?;
    let kind = get(&critical, "type");
    if kind.as_ref().and_then(|k| k.as_str()) != Some("cosign container image signature") {
        return Err("the signed payload is not a cosign container image signature".into());
    }
    get(&critical, "image")
        .and_then(|i| get(&i, "docker-manifest-digest"))
        .and_then(|d| d.as_str().map(str::to_owned))
        .ok_or_else(|| "the signed payload names no image digest".into())
}

/// What one signature proves for `digest`, signer by signer.
pub(crate) fn check(
    sig: &CosignSignature,
    digest: &str,
    signers: &[TrustedSigner],
) -> Vec<Attempt> {
    let format = "cosign signature";
    let signed = match signed_digest(&sig.payload) {
        Ok(d) => d,
        Err(reason) => return vec![Attempt::failed(format, None, reason)],
    };
    if signed != digest {
        return vec![Attempt::failed(
            format,
            None,
            format!("it signs {signed}, not {digest}"),
        )];
    }
    let signature = match &sig.signature {
        Ok(s) => s.as_slice(),
        Err(reason) => return vec![Attempt::failed(format, None, reason.clone())],
    };
    let mut out = Vec::new();
    for (index, signer) in signers.iter().enumerate() {
        let result = match signer {
            TrustedSigner::Key { key, .. } => key
                .verify(Encoding::Der, &sig.payload, signature)
                .map_err(|_| format!("it does not verify with {}", signer.label())),
            TrustedSigner::Keyless {
                issuer,
                subject,
                fulcio,
                rekor,
                ..
            } => keyless(sig, signature, issuer, subject, fulcio, rekor),
            TrustedSigner::Notation { .. } => continue,
        };
        out.push(Attempt::new(format, index, result));
    }
    out
}

fn keyless(
    sig: &CosignSignature,
    signature: &[u8],
    issuer: &str,
    subject: &crate::identity::Wildcard,
    fulcio: &crate::crypto::CertificatePool,
    rekor: &PublicKey,
) -> Result<(), String> {
    let certificate = match &sig.certificate {
        None => return Err("it carries no signing certificate (a key signature)".into()),
        Some(Err(reason)) => return Err(reason.clone()),
        Some(Ok(der)) => der.as_slice(),
    };
    let entry = match &sig.log_entry {
        None => return Err("it carries no transparency-log entry".into()),
        Some(Err(reason)) => return Err(reason.clone()),
        Some(Ok(entry)) => entry,
    };
    verify_keyless(
        certificate,
        &sig.chain,
        entry,
        &Expected::HashedRekord {
            digest: &sha256(&sig.payload),
            signature,
            certificate,
        },
        (&sig.payload, signature, Encoding::Der),
        issuer,
        subject,
        fulcio,
        rekor,
    )
}

/// The keyless checks shared by `.sig` signatures and Sigstore bundles: the signature with
/// the certificate's key, the log entry (SET, proof, body), the chain to Fulcio at the time
/// the log integrated the entry, and the OIDC identity.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_keyless(
    certificate: &[u8],
    chain: &[CertificateDer<'static>],
    entry: &LogEntry,
    expected: &Expected<'_>,
    (message, signature, encoding): (&[u8], &[u8], Encoding),
    issuer: &str,
    subject: &crate::identity::Wildcard,
    fulcio: &crate::crypto::CertificatePool,
    rekor: &PublicKey,
) -> Result<(), String> {
    let (_, cert) = x509_parser::parse_x509_certificate(certificate)
        .map_err(|e| format!("the signing certificate is malformed: {e}"))?;
    let key = PublicKey::from_spki(cert.public_key().raw)
        .map_err(|e| format!("the signing certificate's key: {e}"))?;
    key.verify(encoding, message, signature)
        .map_err(|_| "it does not verify with its own certificate's key".to_owned())?;
    if entry.set.is_none() {
        return Err("its transparency-log entry has no signed entry timestamp, so the signing time is not proven".into());
    }
    entry.verify(rekor, expected)?;
    let time = u64::try_from(entry.integrated_time)
        .map_err(|_| "the log's integration time is negative")?;
    fulcio.verify(
        certificate,
        chain,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(time)),
        true,
    )?;
    if let Some(reason) = crate::identity::OidcIdentity::of(&cert).mismatch(issuer, subject) {
        return Err(reason);
    }
    tracing::debug!(log_index = entry.log_index, key = %hex(&rekor.key_id()[..4]), "keyless signature verified");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_digest_is_read_like_cosign_reads_it() {
        let payload = br#"{"critical":{"identity":{"docker-reference":"r/x"},"image":{"Docker-manifest-digest":"sha256:ab"},"type":"cosign container image signature"},"optional":null}"#;
        assert_eq!(signed_digest(payload).as_deref(), Ok("sha256:ab"));
        assert!(
            signed_digest(
                br#"{"critical":{"image":{"docker-manifest-digest":"sha256:ab"},"type":"other"}}"#
            )
            .is_err()
        );
        assert!(signed_digest(b"[]").is_err());
        assert!(signed_digest(b"not json").is_err());
        assert_eq!(signature_tag("sha256:ab"), "sha256-ab.sig");
    }

    #[test]
    fn legacy_bundles_parse_and_reject_garbage() {
        let entry = parse_bundle(
            r#"{"SignedEntryTimestamp":"AQID","Payload":{"body":"e30=","integratedTime":5,"logIndex":9,"logID":"0a0b"}}"#,
        )
        .expect("bundle");
        assert_eq!(entry.body, b"{}");
        assert_eq!(entry.log_id, [10, 11]);
        assert_eq!(entry.set.as_deref(), Some(&[1u8, 2, 3][..]));
        assert!(parse_bundle(r#"{"SignedEntryTimestamp":"AQID","Payload":{"body":"e30=","integratedTime":5,"logIndex":9,"logID":"0g"}}"#).is_err());
        assert!(parse_bundle("{}").is_err());
    }
}
