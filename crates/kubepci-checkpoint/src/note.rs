//! c2sp.org/signed-note: text, a blank line, then `— <key name> base64(key ID || signature)`
//! lines.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::MAX_NOTE_BYTES;
use crate::error::CheckpointError;
use crate::key::{NoteSigner, NoteVerifier, check_key_name};

/// The signature line prefix: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// At least 16 signatures must be accepted (c2sp.org/signed-note); more than this is rejected.
const MAX_SIGNATURES: usize = 100;

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID (first four bytes of the base64 payload).
    pub id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// A parsed (not yet verified) signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), CheckpointError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(CheckpointError::MalformedNote(
            "note contains a control character",
        ));
    }
    Ok(())
}

/// Parses a signed note without verifying any signature.
pub fn parse_note(bytes: &[u8]) -> Result<Note, CheckpointError> {
    if bytes.len() > MAX_NOTE_BYTES {
        return Err(CheckpointError::TooLarge {
            max: MAX_NOTE_BYTES,
        });
    }
    let msg = std::str::from_utf8(bytes)
        .map_err(|_| CheckpointError::MalformedNote("note is not valid utf-8"))?;
    check_text(msg)?;
    if !msg.ends_with('\n') {
        return Err(CheckpointError::MalformedNote(
            "note does not end with a newline",
        ));
    }
    // The text is separated from the signatures by the last empty line.
    let split = msg.rfind("\n\n").ok_or(CheckpointError::MalformedNote(
        "note has no signature block",
    ))?;
    let text = &msg[..split + 1];
    let sig_block = &msg[split + 2..];
    if sig_block.is_empty() {
        return Err(CheckpointError::MalformedNote("note has no signatures"));
    }
    let mut signatures = Vec::new();
    for line in sig_block.split_terminator('\n') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(CheckpointError::MalformedNote(
                "note has too many signatures",
            ));
        }
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(CheckpointError::MalformedNote(
                "signature line does not start with an em dash",
            ))?;
        let (name, payload) = rest.split_once(' ').ok_or(CheckpointError::MalformedNote(
            "signature line has no key name",
        ))?;
        check_key_name(name)
            .map_err(|_| CheckpointError::MalformedNote("signature has an invalid key name"))?;
        let raw = B64
            .decode(payload)
            .map_err(|_| CheckpointError::MalformedNote("signature is not base64"))?;
        if raw.len() < 5 {
            return Err(CheckpointError::MalformedNote("signature is too short"));
        }
        signatures.push(NoteSignature {
            name: name.to_owned(),
            id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            signature: raw[4..].to_vec(),
        });
    }
    Ok(Note {
        text: text.to_owned(),
        signatures,
    })
}

/// Signs `text` (which must end with a newline) with every signer, returning the signed note.
pub fn sign_note(text: &str, signers: &[&NoteSigner]) -> Result<String, CheckpointError> {
    check_text(text)?;
    if !text.ends_with('\n') {
        return Err(CheckpointError::MalformedNote(
            "note text does not end with a newline",
        ));
    }
    if signers.is_empty() {
        return Err(CheckpointError::MalformedNote("no signer given"));
    }
    let mut out = String::with_capacity(text.len() + 1 + signers.len() * 110);
    out.push_str(text);
    out.push('\n');
    for signer in signers {
        let mut raw = signer.id().to_be_bytes().to_vec();
        raw.extend_from_slice(&signer.sign(text.as_bytes()));
        out.push_str(SIG_PREFIX);
        out.push_str(signer.name());
        out.push(' ');
        out.push_str(&B64.encode(raw));
        out.push('\n');
    }
    Ok(out)
}

/// Parses and verifies a signed note against trusted keys (c2sp.org/signed-note rules):
/// signatures by unknown keys are ignored, a signature by a trusted key that fails rejects the
/// whole note, and at least one trusted signature must verify.
pub fn open_note(bytes: &[u8], trusted: &[NoteVerifier]) -> Result<Note, CheckpointError> {
    let note = parse_note(bytes)?;
    let mut verified = 0usize;
    for sig in &note.signatures {
        let Some(key) = trusted
            .iter()
            .find(|k| k.name() == sig.name && k.id() == sig.id)
        else {
            continue;
        };
        if !key.verify(note.text.as_bytes(), &sig.signature) {
            return Err(CheckpointError::BadSignature {
                name: sig.name.clone(),
            });
        }
        verified += 1;
    }
    if verified == 0 {
        return Err(CheckpointError::NoTrustedSignature);
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const SIGNED: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn go_vector_signs_and_verifies() {
        let signer = NoteSigner::parse(SKEY).expect("vector key parses");
        assert_eq!(sign_note(TEXT, &[&signer]).expect("valid text"), SIGNED);
        let note = open_note(SIGNED.as_bytes(), &[signer.verifier()]).expect("vector verifies");
        assert_eq!(note.text, TEXT);
    }

    #[test]
    fn rejects_tampering_and_unknown_keys() {
        let signer = NoteSigner::parse(SKEY).expect("vector key parses");
        let tampered = SIGNED.replace("cryptography", "cryptograph");
        assert!(matches!(
            open_note(tampered.as_bytes(), &[signer.verifier()]),
            Err(CheckpointError::BadSignature { .. })
        ));
        let other = NoteSigner::from_seed("Other", [7; 32]);
        assert!(matches!(
            open_note(SIGNED.as_bytes(), &[other.verifier()]),
            Err(CheckpointError::NoTrustedSignature)
        ));
        for bad in [
            "no signatures\n",
            "text\n\n",
            "text\n\n- PeterNeumann AAAAAAA=\n",
            "text\n\n\u{2014} PeterNeumann AAAA\n",
            "text\u{7}\n\n\u{2014} PeterNeumann AAAAAAA=\n",
            "text\n\n\u{2014} PeterNeumann AAAAAAA=",
        ] {
            assert!(parse_note(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_signatures_are_ignored() {
        let signer = NoteSigner::parse(SKEY).expect("vector key parses");
        let other = NoteSigner::from_seed("Other", [7; 32]);
        let both = sign_note(TEXT, &[&other, &signer]).expect("valid text");
        open_note(both.as_bytes(), &[signer.verifier()]).expect("trusted signature verifies");
    }
}
