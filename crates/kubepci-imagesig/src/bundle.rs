//! Sigstore bundles attached to an image as OCI 1.1 referrers (cosign's bundle
//! specification): a manifest with the bundle media type as artifact type and the bundle
//! JSON as its one layer. The bundle holds a DSSE envelope around an in-toto statement whose
//! subject is the image digest, or a message signature over the image manifest, with the
//! verification material (a public-key hint, or a Fulcio certificate with Rekor entries).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rustls_pki_types::CertificateDer;
use serde::Deserialize;

use crate::cosign::verify_keyless;
use crate::crypto::{Encoding, hex};
use crate::rekor::{Expected, InclusionProof, LogEntry, sha256};
use crate::trust::TrustedSigner;
use crate::verifier::Attempt;

/// Bundles are a few KiB; with long certificate chains still far below this.
pub(crate) const MAX_BUNDLE_BYTES: usize = 1 << 20;
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// A protobuf-JSON int64: a string, or a number from lenient writers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Int {
    Text(String),
    Number(i64),
}

impl Int {
    fn value(&self) -> Option<i64> {
        match self {
            Int::Text(t) => t.parse().ok(),
            Int::Number(n) => Some(*n),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    media_type: String,
    verification_material: Material,
    #[serde(default)]
    dsse_envelope: Option<Envelope>,
    #[serde(default)]
    message_signature: Option<MessageSignature>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Material {
    #[serde(default)]
    certificate: Option<RawBytes>,
    #[serde(default)]
    x509_certificate_chain: Option<Chain>,
    #[serde(default)]
    tlog_entries: Vec<TlogEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct Chain {
    certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TlogEntry {
    log_index: Int,
    log_id: LogId,
    integrated_time: Int,
    #[serde(default)]
    inclusion_promise: Option<Promise>,
    #[serde(default)]
    inclusion_proof: Option<Proof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Promise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proof {
    log_index: Int,
    root_hash: String,
    tree_size: Int,
    #[serde(default)]
    hashes: Vec<String>,
    #[serde(default)]
    checkpoint: Option<CheckpointNote>,
}

#[derive(Deserialize)]
struct CheckpointNote {
    envelope: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload: String,
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    sig: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignature {
    message_digest: MessageDigest,
    signature: String,
}

#[derive(Deserialize)]
struct MessageDigest {
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    kind: String,
    #[serde(default)]
    subject: Vec<Subject>,
    #[serde(default, rename = "predicateType")]
    predicate_type: String,
}

#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

fn b64(text: &str, what: &str) -> Result<Vec<u8>, String> {
    B64.decode(text.trim())
        .map_err(|_| format!("the bundle's {what} is not base64"))
}

/// DSSE pre-authentication encoding: what a DSSE signature signs.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn log_entry(entry: &TlogEntry) -> Result<LogEntry, String> {
    let int = |i: &Int, what: &str| {
        i.value()
            .ok_or_else(|| format!("the bundle's {what} is not an integer"))
    };
    let proof = match &entry.inclusion_proof {
        None => None,
        Some(p) => Some(InclusionProof {
            log_index: u64::try_from(int(&p.log_index, "proof index")?)
                .map_err(|_| "negative proof index")?,
            tree_size: u64::try_from(int(&p.tree_size, "tree size")?)
                .map_err(|_| "negative tree size")?,
            root_hash: b64(&p.root_hash, "root hash")?,
            hashes: p
                .hashes
                .iter()
                .map(|h| b64(h, "proof hash"))
                .collect::<Result<_, _>>()?,
            checkpoint: p.checkpoint.as_ref().map(|c| c.envelope.clone()),
        }),
    };
    Ok(LogEntry {
        body: b64(&entry.canonicalized_body, "log entry body")?,
        integrated_time: int(&entry.integrated_time, "integration time")?,
        log_index: int(&entry.log_index, "log index")?,
        log_id: b64(&entry.log_id.key_id, "log ID")?,
        set: entry
            .inclusion_promise
            .as_ref()
            .map(|p| b64(&p.signed_entry_timestamp, "signed entry timestamp"))
            .transpose()?,
        proof,
    })
}

/// What one bundle proves for the image `digest` whose manifest is `manifest`.
pub(crate) fn check(
    json: &[u8],
    digest: &str,
    manifest: &[u8],
    signers: &[TrustedSigner],
) -> Vec<Attempt> {
    let format = "Sigstore bundle";
    match check_inner(json, digest, manifest, signers) {
        Ok(attempts) => attempts,
        Err(reason) => vec![Attempt::failed(format, None, reason)],
    }
}

fn check_inner(
    json: &[u8],
    digest: &str,
    manifest: &[u8],
    signers: &[TrustedSigner],
) -> Result<Vec<Attempt>, String> {
    let format = "Sigstore bundle";
    let bundle: Bundle =
        serde_json::from_slice(json).map_err(|e| format!("the bundle is malformed: {e}"))?;
    if !bundle
        .media_type
        .starts_with(crate::media_types::SIGSTORE_BUNDLE_PREFIX)
    {
        return Err(format!("unknown bundle media type {}", bundle.media_type));
    }
    let wanted_hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    // What was signed, how, and what a log entry must record for it.
    let (message, signature, payload_digest, dsse) =
        match (&bundle.dsse_envelope, &bundle.message_signature) {
            (Some(envelope), None) => {
                if envelope.payload_type != IN_TOTO {
                    return Err(format!(
                        "its envelope holds {}, not an in-toto statement",
                        envelope.payload_type
                    ));
                }
                let payload = b64(&envelope.payload, "payload")?;
                let statement: Statement = serde_json::from_slice(&payload)
                    .map_err(|e| format!("its in-toto statement is malformed: {e}"))?;
                if !statement.kind.starts_with("https://in-toto.io/Statement/") {
                    return Err(format!(
                        "its payload is a {}, not an in-toto statement",
                        statement.kind
                    ));
                }
                let subjects: Vec<&str> = statement
                    .subject
                    .iter()
                    .filter_map(|s| s.digest.get("sha256").map(String::as_str))
                    .collect();
                if !subjects.contains(&wanted_hex) {
                    return Err(format!(
                        "its statement ({}) is about {}, not {digest}",
                        statement.predicate_type,
                        if subjects.is_empty() {
                            "no sha256 digest".to_owned()
                        } else {
                            subjects
                                .iter()
                                .map(|s| format!("sha256:{s}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ));
                }
                let [only] = envelope.signatures.as_slice() else {
                    return Err(format!(
                        "its envelope has {} signatures, not one",
                        envelope.signatures.len()
                    ));
                };
                let signature = b64(&only.sig, "signature")?;
                let digest_of_payload = sha256(&payload);
                (
                    pae(&envelope.payload_type, &payload),
                    signature,
                    digest_of_payload,
                    true,
                )
            }
            (None, Some(message)) => {
                if message.message_digest.algorithm != "SHA2_256" {
                    return Err(format!(
                        "its message digest is {}, not SHA2_256",
                        message.message_digest.algorithm
                    ));
                }
                let signed = b64(&message.message_digest.digest, "message digest")?;
                if hex(&signed) != wanted_hex {
                    return Err(format!("it signs sha256:{}, not {digest}", hex(&signed)));
                }
                (
                    manifest.to_vec(),
                    b64(&message.signature, "signature")?,
                    sha256(manifest),
                    false,
                )
            }
            _ => {
                return Err(
                    "it holds neither exactly one DSSE envelope nor one message signature".into(),
                );
            }
        };
    let certificate = match (
        &bundle.verification_material.certificate,
        &bundle.verification_material.x509_certificate_chain,
    ) {
        (Some(c), _) => Some(b64(&c.raw_bytes, "certificate")?),
        (None, Some(chain)) => chain
            .certificates
            .first()
            .map(|c| b64(&c.raw_bytes, "certificate"))
            .transpose()?,
        (None, None) => None,
    };
    let chain: Vec<CertificateDer<'static>> = bundle
        .verification_material
        .x509_certificate_chain
        .iter()
        .flat_map(|c| c.certificates.iter().skip(1))
        .filter_map(|c| B64.decode(&c.raw_bytes).ok().map(CertificateDer::from))
        .collect();
    let mut attempts = Vec::new();
    for (index, signer) in signers.iter().enumerate() {
        let result = match signer {
            TrustedSigner::Key { key, .. } => key
                .verify(Encoding::Der, &message, &signature)
                .map_err(|_| format!("it does not verify with {}", signer.label())),
            TrustedSigner::Keyless {
                issuer,
                subject,
                fulcio,
                rekor,
                ..
            } => (|| {
                let certificate = certificate
                    .as_deref()
                    .ok_or("it carries no signing certificate (a key signature)")?;
                let [entry] = bundle.verification_material.tlog_entries.as_slice() else {
                    return Err(format!(
                        "it carries {} transparency-log entries, not one",
                        bundle.verification_material.tlog_entries.len()
                    ));
                };
                let entry = log_entry(entry)?;
                if entry.proof.is_none() && !bundle.media_type.ends_with("version=0.1") {
                    return Err("its transparency-log entry has no inclusion proof".into());
                }
                let expected = if dsse {
                    Expected::Dsse {
                        payload_digest: &payload_digest,
                        signature: &signature,
                        certificate,
                    }
                } else {
                    Expected::HashedRekord {
                        digest: &payload_digest,
                        signature: &signature,
                        certificate,
                    }
                };
                verify_keyless(
                    certificate,
                    &chain,
                    &entry,
                    &expected,
                    (&message, &signature, Encoding::Der),
                    issuer,
                    subject,
                    fulcio,
                    rekor,
                )
            })(),
            TrustedSigner::Notation { .. } => continue,
        };
        attempts.push(Attempt::new(format, index, result));
    }
    Ok(attempts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_follows_the_dsse_specification() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn bundles_about_other_digests_or_malformed_are_rejected_with_the_reason() {
        let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"r/x","digest":{"sha256":"aa"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1"}"#;
        let bundle = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
            "dsseEnvelope": {"payload": B64.encode(statement), "payloadType": IN_TOTO, "signatures": [{"sig": "AA=="}]}
        });
        let json = serde_json::to_vec(&bundle).expect("json");
        let attempts = check(&json, "sha256:bb", b"{}", &[]);
        assert_eq!(attempts.len(), 1);
        let reason = attempts[0].reason().unwrap_or_default();
        assert!(
            reason.contains("about sha256:aa, not sha256:bb"),
            "{reason}"
        );
        let malformed = check(b"{", "sha256:bb", b"{}", &[]);
        let reason = malformed[0].reason().unwrap_or_default();
        assert!(reason.contains("malformed"), "{reason}");
    }
}
