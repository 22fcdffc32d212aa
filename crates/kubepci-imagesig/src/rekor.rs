//! Rekor transparency-log evidence, verified offline against the log's public key: the
//! signed entry timestamp (SET, the log's signed promise to include the entry), the RFC 6962
//! inclusion proof with the log's signed checkpoint, and the entry body's consistency with
//! the signature it is supposed to log (so that a valid entry for something else is refused).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kubepci_tlog::{Hash, leaf_hash, verify_inclusion};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::crypto::{Encoding, PublicKey, hex};

/// The SET payload, serialised as RFC 8785 canonical JSON: keys in order, no spaces.
#[derive(Serialize)]
struct SetPayload<'a> {
    body: &'a str,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: &'a str,
    #[serde(rename = "logIndex")]
    log_index: i64,
}

/// One log entry as a signature carries it.
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    /// The canonicalised entry body (JSON), decoded.
    pub(crate) body: Vec<u8>,
    /// When the log integrated it (Unix seconds): the signing time for certificate validity.
    pub(crate) integrated_time: i64,
    pub(crate) log_index: i64,
    /// SHA-256 of the log's public key.
    pub(crate) log_id: Vec<u8>,
    /// The signed entry timestamp, if carried.
    pub(crate) set: Option<Vec<u8>>,
    /// The inclusion proof, if carried.
    pub(crate) proof: Option<InclusionProof>,
}

/// An inclusion proof with the checkpoint it leads to.
#[derive(Debug, Clone)]
pub(crate) struct InclusionProof {
    pub(crate) log_index: u64,
    pub(crate) tree_size: u64,
    pub(crate) root_hash: Vec<u8>,
    pub(crate) hashes: Vec<Vec<u8>>,
    /// The signed note of the checkpoint.
    pub(crate) checkpoint: Option<String>,
}

/// What the entry must record.
pub(crate) enum Expected<'a> {
    /// A `hashedrekord`: the SHA-256 of the signed bytes, the signature, the certificate.
    HashedRekord {
        digest: &'a [u8],
        signature: &'a [u8],
        certificate: &'a [u8],
    },
    /// A `dsse` entry: the SHA-256 of the envelope's payload, the signature, the certificate.
    Dsse {
        payload_digest: &'a [u8],
        signature: &'a [u8],
        certificate: &'a [u8],
    },
}

impl LogEntry {
    /// Verifies the entry against the log's key: it was logged by this log (its ID), the
    /// SET verifies when present, the inclusion proof and its checkpoint verify when present,
    /// at least one of the two is present, and the body records what `expected` says.
    pub(crate) fn verify(
        &self,
        log_key: &PublicKey,
        expected: &Expected<'_>,
    ) -> Result<(), String> {
        if self.log_id != log_key.key_id() {
            return Err(format!(
                "the transparency-log entry is from log {}, not the configured Rekor key",
                hex(&self.log_id)
            ));
        }
        if self.set.is_none() && self.proof.is_none() {
            return Err("the transparency-log entry carries neither a signed entry timestamp nor an inclusion proof".into());
        }
        if let Some(set) = &self.set {
            let body = B64.encode(&self.body);
            let payload = serde_json::to_vec(&SetPayload {
                body: &body,
                integrated_time: self.integrated_time,
                log_id: &hex(&self.log_id),
                log_index: self.log_index,
            })
            .map_err(|e| format!("signed entry timestamp payload: {e}"))?;
            log_key.verify(Encoding::Der, &payload, set).map_err(|_| {
                "the signed entry timestamp does not verify with the Rekor key".to_owned()
            })?;
        }
        if let Some(proof) = &self.proof {
            proof.verify(&self.body, log_key)?;
        }
        check_body(&self.body, expected)
    }
}

impl InclusionProof {
    fn verify(&self, body: &[u8], log_key: &PublicKey) -> Result<(), String> {
        let root = Hash::from_slice(&self.root_hash)
            .ok_or("the inclusion proof's root is not 32 bytes")?;
        let hashes = self
            .hashes
            .iter()
            .map(|h| Hash::from_slice(h).ok_or("an inclusion proof hash is not 32 bytes"))
            .collect::<Result<Vec<_>, _>>()?;
        verify_inclusion(
            self.log_index,
            self.tree_size,
            &leaf_hash(body),
            &hashes,
            &root,
        )
        .map_err(|e| format!("the inclusion proof does not lead to the checkpoint's root: {e}"))?;
        let note = self
            .checkpoint
            .as_deref()
            .ok_or("the inclusion proof has no signed checkpoint")?;
        verify_checkpoint(note, log_key, self.tree_size, &root)
    }
}

/// A checkpoint is a C2SP signed note: origin, tree size, base64 root hash, optional
/// extension lines; a signature line's key hint is the first four bytes of the SHA-256 of
/// the log's public key.
fn verify_checkpoint(
    note: &str,
    log_key: &PublicKey,
    size: u64,
    root: &Hash,
) -> Result<(), String> {
    let parsed = kubepci_checkpoint::parse_note(note.as_bytes())
        .map_err(|e| format!("the checkpoint is not a signed note: {e}"))?;
    let id = log_key.key_id();
    let hint = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
    let signed = parsed.signatures.iter().filter(|s| s.id == hint).any(|s| {
        log_key
            .verify(Encoding::Der, parsed.text.as_bytes(), &s.signature)
            .is_ok()
    });
    if !signed {
        return Err("the checkpoint is not signed by the configured Rekor key".into());
    }
    let mut lines = parsed.text.lines().skip(1);
    let note_size = lines.next().and_then(|l| l.parse::<u64>().ok());
    let note_root = lines.next().and_then(|l| B64.decode(l).ok());
    if note_size != Some(size) || note_root.as_deref() != Some(root.as_bytes().as_slice()) {
        return Err("the checkpoint does not commit to the inclusion proof's tree".into());
    }
    Ok(())
}

#[derive(Deserialize)]
struct Body {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    spec: serde_json::Value,
}

fn text<'v>(value: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(value, |v, k| v.get(k))?.as_str()
}

fn same_certificate(b64_pem: Option<&str>, der: &[u8]) -> bool {
    b64_pem
        .and_then(|b| B64.decode(b).ok())
        .and_then(|pem| crate::crypto::certificates_from_pem(&pem).ok())
        .is_some_and(|certs| certs.first().is_some_and(|c| c.as_ref() == der))
}

fn check_body(body: &[u8], expected: &Expected<'_>) -> Result<(), String> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| format!("the transparency-log entry body is not a Rekor entry: {e}"))?;
    let mismatch = |what: &str| {
        Err(format!(
            "the transparency-log entry records another {what} than this signature's"
        ))
    };
    match expected {
        Expected::HashedRekord {
            digest,
            signature,
            certificate,
        } => {
            if body.kind != "hashedrekord" || body.api_version != "0.0.1" {
                return Err(format!(
                    "the transparency-log entry is a {} {} entry, not a hashedrekord 0.0.1",
                    body.kind, body.api_version
                ));
            }
            let spec = &body.spec;
            if text(spec, &["data", "hash", "algorithm"]) != Some("sha256")
                || text(spec, &["data", "hash", "value"]) != Some(hex(digest).as_str())
            {
                return mismatch("signed content");
            }
            if text(spec, &["signature", "content"])
                .and_then(|s| B64.decode(s).ok())
                .as_deref()
                != Some(*signature)
            {
                return mismatch("signature");
            }
            if !same_certificate(
                text(spec, &["signature", "publicKey", "content"]),
                certificate,
            ) {
                return mismatch("certificate");
            }
        }
        Expected::Dsse {
            payload_digest,
            signature,
            certificate,
        } => {
            if body.kind != "dsse" || body.api_version != "0.0.1" {
                return Err(format!(
                    "the transparency-log entry is a {} {} entry, not a dsse 0.0.1",
                    body.kind, body.api_version
                ));
            }
            let spec = &body.spec;
            if text(spec, &["payloadHash", "algorithm"]) != Some("sha256")
                || text(spec, &["payloadHash", "value"]) != Some(hex(payload_digest).as_str())
            {
                return mismatch("payload");
            }
            let logged = spec
                .get("signatures")
                .and_then(|s| s.as_array())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let found = logged.iter().any(|s| {
                s.get("signature")
                    .and_then(|v| v.as_str())
                    .and_then(|v| B64.decode(v).ok())
                    .as_deref()
                    == Some(*signature)
                    && same_certificate(s.get("verifier").and_then(|v| v.as_str()), certificate)
            });
            if !found {
                return mismatch("signature or certificate");
            }
        }
    }
    Ok(())
}

/// SHA-256 of some bytes, raw.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
pub(crate) mod testlog {
    //! A tiny log for tests: signs SETs and checkpoints the way Rekor does.

    use super::*;
    use rcgen::{KeyPair, SigningKey as _};

    /// A hashedrekord body for a signature over `content` by `cert_pem`.
    pub(crate) fn hashedrekord(content: &[u8], signature: &[u8], cert_pem: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex(&sha256(content))}},
                "signature": {"content": B64.encode(signature), "publicKey": {"content": B64.encode(cert_pem)}}
            }
        }))
        .expect("json")
    }

    /// The SET over an entry.
    pub(crate) fn set(log: &KeyPair, body: &[u8], time: i64, index: i64, log_id: &[u8]) -> Vec<u8> {
        let body = B64.encode(body);
        let payload = serde_json::to_vec(&SetPayload {
            body: &body,
            integrated_time: time,
            log_id: &hex(log_id),
            log_index: index,
        })
        .expect("json");
        log.sign(&payload).expect("sign")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PublicKeyData as _, SigningKey as _};

    fn key(pair: &KeyPair) -> PublicKey {
        PublicKey::from_spki(&pair.subject_public_key_info()).expect("spki")
    }

    #[test]
    fn set_and_inclusion_proof_verify_and_bind_the_body() {
        let log = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let log_key = key(&log);
        let signer = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let cert = rcgen::CertificateParams::new(vec![])
            .expect("params")
            .self_signed(&signer)
            .expect("cert");
        let body = testlog::hashedrekord(b"payload", b"sig", &cert.pem());
        let set = testlog::set(&log, &body, 1_780_000_000, 7, &log_key.key_id());
        let entry = LogEntry {
            body: body.clone(),
            integrated_time: 1_780_000_000,
            log_index: 7,
            log_id: log_key.key_id().to_vec(),
            set: Some(set.clone()),
            proof: None,
        };
        entry
            .verify(
                &log_key,
                &Expected::HashedRekord {
                    digest: &sha256(b"payload"),
                    signature: b"sig",
                    certificate: cert.der(),
                },
            )
            .expect("consistent entry");
        let err = entry
            .verify(
                &log_key,
                &Expected::HashedRekord {
                    digest: &sha256(b"other payload"),
                    signature: b"sig",
                    certificate: cert.der(),
                },
            )
            .expect_err("other content");
        assert!(err.contains("signed content"), "{err}");
        let expected = Expected::HashedRekord {
            digest: &sha256(b"payload"),
            signature: b"sig",
            certificate: b"not this one",
        };
        let err = entry
            .verify(&log_key, &expected)
            .expect_err("certificate differs");
        assert!(err.contains("certificate"), "{err}");
        // A tampered SET or another log key fails before the body is looked at.
        let mut tampered = entry.clone();
        tampered.integrated_time += 1;
        let err = tampered.verify(&log_key, &expected).expect_err("tampered");
        assert!(err.contains("signed entry timestamp"), "{err}");
        let other = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let err = entry
            .verify(&key(&other), &expected)
            .expect_err("other log");
        assert!(err.contains("not the configured Rekor key"), "{err}");

        // An inclusion proof in a two-leaf tree, with a checkpoint signed by the log.
        let sibling = leaf_hash(b"other entry");
        let leaf = leaf_hash(&body);
        let root = kubepci_tlog::node_hash(&leaf, &sibling);
        let text = format!("rekor.example - 1\n2\n{}\n", B64.encode(root.as_bytes()));
        let id = log_key.key_id();
        let mut sig = id[..4].to_vec();
        sig.extend(log.sign(text.as_bytes()).expect("sign"));
        let note = format!("{text}\n\u{2014} rekor.example {}\n", B64.encode(sig));
        let proof = InclusionProof {
            log_index: 0,
            tree_size: 2,
            root_hash: root.as_bytes().to_vec(),
            hashes: vec![sibling.as_bytes().to_vec()],
            checkpoint: Some(note.clone()),
        };
        proof.verify(&body, &log_key).expect("inclusion");
        let wrong_leaf = proof
            .verify(b"another body", &log_key)
            .expect_err("other leaf");
        assert!(wrong_leaf.contains("inclusion proof"), "{wrong_leaf}");
        let unsigned = InclusionProof {
            checkpoint: Some(note.replace("rekor.example - 1\n2\n", "rekor.example - 1\n3\n")),
            ..proof.clone()
        };
        assert!(unsigned.verify(&body, &log_key).is_err());
        let foreign = proof.verify(&body, &key(&other)).expect_err("other key");
        assert!(foreign.contains("not signed"), "{foreign}");
    }
}
