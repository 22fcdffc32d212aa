//! Signing and verifying the JSON report with the audit log's Ed25519 note keys.
//!
//! # Format
//!
//! 1. The report's JSON without its `signature` member is canonicalised with the JSON
//!    Canonicalization Scheme (RFC 8785) and hashed with SHA-256: the digest,
//!    `sha256:<hex>`.
//! 2. The note text `kubepci.report/v1\n<digest>\n` is signed as a C2SP signed note
//!    (c2sp.org/signed-note, Ed25519) with a key from `kubepci keys generate`.
//! 3. `signature` holds the digest, the key's name and ID, and the signed note.
//!
//! Verifying needs only the report and the public key: recompute the digest from the
//! document as received, check that the note's text names it, and check the note's
//! signature with the trusted key. Changing any value, adding or removing a member, or
//! swapping the signature for another report's fails; reordering members or whitespace does
//! not matter (canonical form).

use kubepci_checkpoint::{CheckpointError, NoteSigner, NoteVerifier, open_note, sign_note};
use sha2::{Digest as _, Sha256};

use crate::assess::hex;
use crate::model::{Report, SCHEMA, Signature};

/// Why a report does not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The file is not a JSON object.
    #[error("the report is not a JSON object")]
    NotJson(#[source] serde_json::Error),
    /// The report is not a `kubepci.report/v1` document.
    #[error("the document is not a kubepci.report/v1 report")]
    NotAReport,
    /// The report carries no signature.
    #[error("the report is not signed")]
    Unsigned,
    /// The signature member is malformed.
    #[error("the signature is malformed: {0}")]
    MalformedSignature(&'static str),
    /// The note does not verify with the trusted key.
    #[error("the signature does not verify with key {key}")]
    BadSignature {
        /// The trusted key's name.
        key: String,
        /// Why.
        #[source]
        source: CheckpointError,
    },
    /// The signed note names another digest than the document's.
    #[error(
        "the report was changed after signing: its digest is {actual}, the signature is over {signed}"
    )]
    Modified {
        /// The digest of the document as received.
        actual: String,
        /// The digest the signature is over.
        signed: String,
    },
}

/// Why a report cannot be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// Serialising the report failed.
    #[error("serialising the report")]
    Json(#[source] serde_json::Error),
    /// Signing the note failed.
    #[error("signing the report")]
    Note(#[source] CheckpointError),
}

/// `sha256:<hex>` of the canonical JSON of a report value without `signature`.
fn digest_of_value(mut value: serde_json::Value) -> Result<String, serde_json::Error> {
    if let Some(map) = value.as_object_mut() {
        map.remove("signature");
    }
    let canonical = serde_jcs::to_vec(&value)?;
    Ok(format!("sha256:{}", hex(&Sha256::digest(&canonical))))
}

/// The digest of a report (its signature excluded).
///
/// # Errors
/// When the report cannot be serialised.
pub fn digest(report: &Report) -> Result<String, serde_json::Error> {
    digest_of_value(serde_json::to_value(report)?)
}

/// Signs a JSON document of schema `schema` (its `signature` member excluded).
pub(crate) fn sign_value(
    value: serde_json::Value,
    schema: &str,
    signer: &NoteSigner,
) -> Result<Signature, SignError> {
    let digest = digest_of_value(value).map_err(SignError::Json)?;
    let note = sign_note(&format!("{schema}\n{digest}\n"), &[signer]).map_err(SignError::Note)?;
    Ok(Signature {
        algorithm: "ed25519".into(),
        key_name: signer.name().to_owned(),
        key_id: format!("{:08x}", signer.id()),
        digest,
        note,
    })
}

/// Signs a report in place (replacing any signature).
///
/// # Errors
/// When serialising or signing fails.
pub fn sign(report: &mut Report, signer: &NoteSigner) -> Result<(), SignError> {
    report.signature = None;
    let value = serde_json::to_value(&*report).map_err(SignError::Json)?;
    report.signature = Some(sign_value(value, SCHEMA, signer)?);
    Ok(())
}

/// What a verified report says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The digest it was signed over.
    pub digest: String,
    /// The key that signed it.
    pub key_name: String,
    /// When it was made.
    pub generated_at: String,
}

/// Verifies a report's bytes (as received) with a trusted public key.
///
/// # Errors
/// See [`VerifyError`].
pub fn verify(bytes: &[u8], key: &NoteVerifier) -> Result<Verified, VerifyError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(VerifyError::NotJson)?;
    if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
        return Err(VerifyError::NotAReport);
    }
    verify_value(value, SCHEMA, key)
}

/// Verifies a JSON document of schema `schema` signed by [`sign_value`].
pub(crate) fn verify_value(
    value: serde_json::Value,
    schema: &str,
    key: &NoteVerifier,
) -> Result<Verified, VerifyError> {
    let signature = value.get("signature").ok_or(VerifyError::Unsigned)?;
    let note = signature
        .get("note")
        .and_then(|n| n.as_str())
        .ok_or(VerifyError::MalformedSignature("no note"))?;
    let opened = open_note(note.as_bytes(), std::slice::from_ref(key)).map_err(|source| {
        VerifyError::BadSignature {
            key: key.name().to_owned(),
            source,
        }
    })?;
    let signed = opened
        .text
        .strip_prefix(&format!("{schema}\n"))
        .and_then(|rest| rest.strip_suffix('\n'))
        .filter(|d| d.starts_with("sha256:") && !d.contains('\n'))
        .ok_or(VerifyError::MalformedSignature(
            "the note is not a kubepci report signature",
        ))?
        .to_owned();
    let generated_at = value
        .get("generatedAt")
        .and_then(|g| g.as_str())
        .unwrap_or_default()
        .to_owned();
    let actual = digest_of_value(value).map_err(VerifyError::NotJson)?;
    if actual != signed {
        return Err(VerifyError::Modified { actual, signed });
    }
    Ok(Verified {
        digest: signed,
        key_name: key.name().to_owned(),
        generated_at,
    })
}
