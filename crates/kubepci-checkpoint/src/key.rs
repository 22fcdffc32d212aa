//! Ed25519 note keys in the text encodings of Go's `golang.org/x/mod/sumdb/note`.
//!
//! - signer (private) key: `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte seed)>`;
//! - verifier (public) key: `<name>+<hex key ID>+<base64(0x01 || 32-byte public key)>`;
//! - key ID: the first four bytes, big-endian, of `SHA-256(name || 0x0A || 0x01 || public key)`
//!   (c2sp.org/signed-note, "Ed25519 signatures").

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::CheckpointError;

/// Signature type byte of Ed25519 note signatures.
const ALG_ED25519: u8 = 0x01;

/// The key ID of an Ed25519 note key.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ALG_ED25519]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// c2sp.org/signed-note: key names are non-empty and contain no Unicode space and no `+`.
pub(crate) fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(CheckpointError::InvalidKeyName(name.to_owned()));
    }
    if name.chars().any(char::is_control) {
        return Err(CheckpointError::InvalidKeyName(name.to_owned()));
    }
    Ok(())
}

fn parse_key_parts(text: &str) -> Result<(&str, u32, [u8; 32]), CheckpointError> {
    let text = text.trim_end_matches(['\n', '\r']);
    // The name holds no '+'; the base64 key may.
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CheckpointError::MalformedKey("expected <name>+<id>+<key>"));
    };
    check_key_name(name)?;
    if id.len() != 8 {
        return Err(CheckpointError::MalformedKey("key id is not 8 hex digits"));
    }
    let id = u32::from_str_radix(id, 16)
        .map_err(|_| CheckpointError::MalformedKey("key id is not 8 hex digits"))?;
    let raw = B64
        .decode(key)
        .map_err(|_| CheckpointError::MalformedKey("key is not base64"))?;
    let (&alg, key_bytes) = raw
        .split_first()
        .ok_or(CheckpointError::MalformedKey("key is empty"))?;
    if alg != ALG_ED25519 {
        return Err(CheckpointError::MalformedKey("key is not an Ed25519 key"));
    }
    let key_bytes: [u8; 32] = key_bytes
        .try_into()
        .map_err(|_| CheckpointError::MalformedKey("ed25519 key is not 32 bytes"))?;
    Ok((name, id, key_bytes))
}

/// A private note key: signs checkpoints.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// Generates a new key named `name` (for a log, its origin) from the OS random source.
    pub fn generate(name: &str) -> Result<Self, CheckpointError> {
        check_key_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|_| CheckpointError::Random)?;
        Ok(Self::from_seed(name, seed))
    }

    /// A key from a 32-byte Ed25519 seed (deterministic; for tests and vectors).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Self {
            name: name.to_owned(),
            id,
            key,
        }
    }

    /// Parses `PRIVATE+KEY+<name>+<id>+<key>`; the key ID must match the key.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let rest = text
            .trim_end_matches(['\n', '\r'])
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(CheckpointError::MalformedKey("missing PRIVATE+KEY+ prefix"))?;
        let (name, id, seed) = parse_key_parts(rest)?;
        let signer = Self::from_seed(name, seed);
        if signer.id != id {
            return Err(CheckpointError::MalformedKey(
                "key id does not match the key",
            ));
        }
        Ok(signer)
    }

    /// The `PRIVATE+KEY+…` encoding. Keep it secret.
    pub fn to_private_string(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(raw)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The matching public key.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `message` (the note text).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

/// A public note key: verifies checkpoints. This is all an auditor needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `<name>+<id>+<key>`; the key ID must match the key.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let (name, id, key) = parse_key_parts(text)?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| CheckpointError::MalformedKey("not a valid ed25519 public key"))?;
        if key_id(name, key.as_bytes()) != id {
            return Err(CheckpointError::MalformedKey(
                "key id does not match the key",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The key name (for a log key, the log's origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Checks an Ed25519 signature over `message` (strict RFC 8032 verification).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &signature).is_ok()
    }
}

impl std::fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Go's sumdb/note test key (also in the `signed_note` crate's documentation).
    const SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    #[test]
    fn go_test_keys_round_trip() {
        let signer = NoteSigner::parse(SKEY).expect("vector key parses");
        assert_eq!(signer.to_private_string(), SKEY);
        assert_eq!(signer.verifier().to_string(), VKEY);
        assert_eq!(
            NoteVerifier::parse(VKEY).expect("vector key parses"),
            signer.verifier()
        );
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in [
            "",
            "PeterNeumann+c74f20a3",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+AhpC2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
        ] {
            assert!(
                NoteVerifier::parse(bad).is_err(),
                "{bad:?} must be rejected"
            );
        }
        assert!(NoteSigner::parse(VKEY).is_err());
    }

    #[test]
    fn generated_keys_differ() {
        let a = NoteSigner::generate("example.com/log").expect("os rng works");
        let b = NoteSigner::generate("example.com/log").expect("os rng works");
        assert_ne!(a.to_private_string(), b.to_private_string());
        assert!(format!("{a:?}").contains("example.com/log"));
        assert!(!format!("{a:?}").contains("PRIVATE"));
    }
}
