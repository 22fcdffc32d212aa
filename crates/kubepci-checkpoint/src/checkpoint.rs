//! c2sp.org/tlog-checkpoint: `<origin>\n<size>\n<base64 root>\n[extension lines]`, as a signed
//! note.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kubepci_tlog::Hash;

use crate::error::CheckpointError;
use crate::key::{NoteSigner, NoteVerifier};
use crate::note::{open_note, sign_note};

/// A checkpoint body: a log's origin, tree size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (kubepci uses the signing key's name).
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree.
    pub root: Hash,
    /// Optional extension lines (NOT RECOMMENDED by the spec; kubepci writes none).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text.
    pub fn to_body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root.as_bytes())
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Parses a note text as a checkpoint body.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::MalformedCheckpoint(
                "body does not end with a newline",
            ))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(CheckpointError::MalformedCheckpoint("empty origin"))?;
        let size = lines
            .next()
            .ok_or(CheckpointError::MalformedCheckpoint("missing tree size"))?;
        let valid_number = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        if !valid_number {
            return Err(CheckpointError::MalformedCheckpoint(
                "tree size is not a decimal without leading zeros",
            ));
        }
        let size: u64 = size
            .parse()
            .map_err(|_| CheckpointError::MalformedCheckpoint("tree size out of range"))?;
        let root = lines
            .next()
            .ok_or(CheckpointError::MalformedCheckpoint("missing root hash"))?;
        let root = B64
            .decode(root)
            .ok()
            .and_then(|raw| Hash::from_slice(&raw))
            .ok_or(CheckpointError::MalformedCheckpoint(
                "root hash is not 32 base64-encoded bytes",
            ))?;
        let mut extensions = Vec::new();
        for line in lines {
            if line.is_empty() {
                return Err(CheckpointError::MalformedCheckpoint("empty extension line"));
            }
            extensions.push(line.to_owned());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// A verified checkpoint together with its signed note, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed body.
    pub checkpoint: Checkpoint,
    /// The whole signed note as written.
    pub note: String,
}

/// Signs a checkpoint. The signer's name must equal the origin (c2sp.org/tlog-checkpoint:
/// "the key name SHOULD equal the origin"; kubepci makes it a rule so a key cannot vouch for
/// another log).
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    signer: &NoteSigner,
) -> Result<SignedCheckpoint, CheckpointError> {
    if checkpoint.origin != signer.name() {
        return Err(CheckpointError::OriginMismatch {
            expected: signer.name().to_owned(),
            found: checkpoint.origin.clone(),
        });
    }
    let note = sign_note(&checkpoint.to_body(), &[signer])?;
    Ok(SignedCheckpoint {
        checkpoint: checkpoint.clone(),
        note,
    })
}

/// Parses and verifies a signed checkpoint in one step: the note must carry a valid signature by
/// `verifier` and its origin must be the verifier's name.
pub fn open_checkpoint(
    bytes: &[u8],
    verifier: &NoteVerifier,
) -> Result<SignedCheckpoint, CheckpointError> {
    let note = open_note(bytes, std::slice::from_ref(verifier))?;
    let checkpoint = Checkpoint::parse_body(&note.text)?;
    if checkpoint.origin != verifier.name() {
        return Err(CheckpointError::OriginMismatch {
            expected: verifier.name().to_owned(),
            found: checkpoint.origin,
        });
    }
    Ok(SignedCheckpoint {
        checkpoint,
        // `open_note` accepted the bytes as UTF-8.
        note: String::from_utf8_lossy(bytes).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2sp_example_body_parses() {
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse_body(body).expect("spec example parses");
        assert_eq!(cp.size, 20852163);
        assert_eq!(cp.to_body(), body);
        for bad in [
            "",
            "origin\n",
            "origin\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2==\n",
            "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
            "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "origin\n99999999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        ] {
            assert!(Checkpoint::parse_body(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sign_and_open() {
        let signer = NoteSigner::from_seed("audit.example/log", [1; 32]);
        let cp = Checkpoint {
            origin: "audit.example/log".into(),
            size: 3,
            root: kubepci_tlog::leaf_hash(b"x"),
            extensions: vec![],
        };
        let signed = sign_checkpoint(&cp, &signer).expect("origin matches");
        let opened = open_checkpoint(signed.note.as_bytes(), &signer.verifier()).expect("verifies");
        assert_eq!(opened.checkpoint, cp);
        let other = NoteSigner::from_seed("other.example/log", [1; 32]);
        assert!(matches!(
            sign_checkpoint(&cp, &other),
            Err(CheckpointError::OriginMismatch { .. })
        ));
    }
}
