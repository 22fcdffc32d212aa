//! Public keys, signatures and certificate paths: `ring` verifies signatures, `rustls-webpki`
//! validates certificate chains, `x509-parser` reads key and certificate structures. Nothing
//! here implements a cryptographic primitive.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, SubjectPublicKeyInfoDer, UnixTime};
use sha2::{Digest as _, Sha256};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_ED25519: &str = "1.3.101.112";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// The extended key usage `id-kp-codeSigning` (1.3.6.1.5.5.7.3.3), as DER OID content.
pub(crate) const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// The family of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa,
}

/// A public key: its kind, the raw key ring takes, and the SPKI DER it came from.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub(crate) kind: KeyKind,
    raw: Vec<u8>,
    spki: Vec<u8>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey({:?}, {})",
            self.kind,
            hex(&self.key_id()[..8])
        )
    }
}

/// How a signature is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// ECDSA as DER `SEQUENCE { r, s }` (cosign, X.509, Rekor); RSA PKCS#1 v1.5.
    Der,
    /// ECDSA as `r || s` (JWS `ES256`).
    Fixed,
    /// RSASSA-PSS (JWS `PS256`…).
    Pss,
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (SPKI) block.
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let spki = SubjectPublicKeyInfoDer::from_pem_slice(pem)
            .map_err(|e| format!("no PEM public key: {e}"))?;
        Self::from_spki(spki.as_ref())
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub(crate) fn from_spki(der: &[u8]) -> Result<Self, String> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| format!("malformed public key: {e}"))?;
        if !rest.is_empty() {
            return Err("trailing bytes after the public key".into());
        }
        let algorithm = spki.algorithm.algorithm.to_id_string();
        let kind = match algorithm.as_str() {
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string());
                match curve.as_deref() {
                    Some(OID_P256) => KeyKind::EcdsaP256,
                    Some(OID_P384) => KeyKind::EcdsaP384,
                    Some(other) => return Err(format!("unsupported elliptic curve {other}")),
                    None => return Err("elliptic-curve key without a named curve".into()),
                }
            }
            OID_ED25519 => KeyKind::Ed25519,
            OID_RSA => KeyKind::Rsa,
            other => return Err(format!("unsupported public key algorithm {other}")),
        };
        Ok(Self {
            kind,
            raw: spki.subject_public_key.data.to_vec(),
            spki: der.to_vec(),
        })
    }

    /// SHA-256 of the SPKI DER: Rekor's log ID and key hint.
    pub(crate) fn key_id(&self) -> [u8; 32] {
        Sha256::digest(&self.spki).into()
    }

    /// Verifies `signature` over `message`. The hash is the one the key's scheme implies
    /// (SHA-256 for P-256 and RSA, SHA-384 for P-384); `pss_hash` picks the RSA-PSS hash.
    pub(crate) fn verify(
        &self,
        encoding: Encoding,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        self.verify_with_hash(encoding, HashAlg::Sha256, message, signature)
    }

    /// [`PublicKey::verify`] with an explicit hash for the schemes that name one (RSA, and
    /// JWS algorithms).
    pub(crate) fn verify_with_hash(
        &self,
        encoding: Encoding,
        hash: HashAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        let algorithm: &'static dyn VerificationAlgorithm = match (self.kind, encoding, hash) {
            (KeyKind::EcdsaP256, Encoding::Der, HashAlg::Sha256) => {
                &signature::ECDSA_P256_SHA256_ASN1
            }
            (KeyKind::EcdsaP256, Encoding::Fixed, HashAlg::Sha256) => {
                &signature::ECDSA_P256_SHA256_FIXED
            }
            (KeyKind::EcdsaP384, Encoding::Der, _) => &signature::ECDSA_P384_SHA384_ASN1,
            (KeyKind::EcdsaP384, Encoding::Fixed, HashAlg::Sha384) => {
                &signature::ECDSA_P384_SHA384_FIXED
            }
            (KeyKind::Ed25519, Encoding::Der | Encoding::Fixed, _) => &signature::ED25519,
            (KeyKind::Rsa, Encoding::Der, HashAlg::Sha256) => {
                &signature::RSA_PKCS1_2048_8192_SHA256
            }
            (KeyKind::Rsa, Encoding::Der, HashAlg::Sha384) => {
                &signature::RSA_PKCS1_2048_8192_SHA384
            }
            (KeyKind::Rsa, Encoding::Der, HashAlg::Sha512) => {
                &signature::RSA_PKCS1_2048_8192_SHA512
            }
            (KeyKind::Rsa, Encoding::Pss, HashAlg::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
            (KeyKind::Rsa, Encoding::Pss, HashAlg::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
            (KeyKind::Rsa, Encoding::Pss, HashAlg::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
            (kind, encoding, hash) => {
                return Err(format!(
                    "a {kind:?} key cannot verify a {encoding:?} signature with {hash:?}"
                ));
            }
        };
        UnparsedPublicKey::new(algorithm, &self.raw)
            .verify(message, signature)
            .map_err(|_| "the signature does not verify with this key".to_owned())
    }
}

/// A hash named by a signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// `sha256:<hex>` of some bytes.
pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Every certificate of a PEM file, in order.
pub(crate) fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("malformed PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate".into());
    }
    Ok(certs)
}

/// A set of trusted roots plus the intermediates that may complete a path to them.
#[derive(Debug, Clone, Default)]
pub(crate) struct CertificatePool {
    roots: Vec<CertificateDer<'static>>,
    intermediates: Vec<CertificateDer<'static>>,
}

impl CertificatePool {
    /// Self-signed certificates become roots, the others intermediates.
    pub(crate) fn from_certificates(certs: Vec<CertificateDer<'static>>) -> Result<Self, String> {
        let mut pool = Self::default();
        for cert in certs {
            let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
                .map_err(|e| format!("malformed certificate: {e}"))?;
            if parsed.subject().as_raw() == parsed.issuer().as_raw() {
                pool.roots.push(cert);
            } else {
                pool.intermediates.push(cert);
            }
        }
        if pool.roots.is_empty() {
            return Err("no self-signed root certificate".into());
        }
        Ok(pool)
    }

    /// Validates a path from `leaf` (with the `extra` intermediates a signature carries) to
    /// a root, at `time`, for code signing. `eku_required`: the leaf must list the code
    /// signing EKU (Fulcio); otherwise only an EKU list without it fails (Notary Project).
    pub(crate) fn verify(
        &self,
        leaf: &[u8],
        extra: &[CertificateDer<'static>],
        time: UnixTime,
        eku_required: bool,
    ) -> Result<(), String> {
        let anchors = self
            .roots
            .iter()
            .map(|c| webpki::anchor_from_trusted_cert(c).map_err(|e| format!("root: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let leaf = CertificateDer::from(leaf);
        let end_entity = webpki::EndEntityCert::try_from(&leaf)
            .map_err(|e| format!("malformed signing certificate: {e}"))?;
        let mut intermediates = self.intermediates.clone();
        intermediates.extend(extra.iter().cloned());
        let usage = if eku_required {
            webpki::KeyUsage::required(CODE_SIGNING)
        } else {
            webpki::KeyUsage::required_if_present(CODE_SIGNING)
        };
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &anchors,
                &intermediates,
                time,
                usage,
                None,
                None,
            )
            .map(|_| ())
            .map_err(|e| describe_webpki_error(&e))
    }
}

fn describe_webpki_error(error: &webpki::Error) -> String {
    match error {
        webpki::Error::UnknownIssuer => {
            "the signing certificate does not chain to a trusted root".into()
        }
        webpki::Error::InvalidSignatureForPublicKey => {
            "the signing certificate does not chain to a trusted root (an issuer of that name signed it with another key)".into()
        }
        webpki::Error::CertExpired { .. } => {
            "the signing certificate had expired at the signing time".into()
        }
        webpki::Error::CertNotValidYet { .. } => {
            "the signing certificate was not yet valid at the signing time".into()
        }
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            "the signing certificate is not for code signing".into()
        }
        other => format!("the signing certificate is not valid: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PublicKeyData as _, SigningKey as _,
    };

    #[test]
    fn p256_and_ed25519_keys_verify_their_signatures_only() {
        for alg in [&PKCS_ECDSA_P256_SHA256, &PKCS_ED25519] {
            let pair = KeyPair::generate_for(alg).expect("key");
            let key = PublicKey::from_pem(pair.public_key_pem().as_bytes()).expect("pem");
            let sig = pair.sign(b"payload").expect("sign");
            key.verify(Encoding::Der, b"payload", &sig)
                .expect("verifies");
            assert!(key.verify(Encoding::Der, b"other", &sig).is_err());
            let other = KeyPair::generate_for(alg).expect("key");
            let other = PublicKey::from_spki(&other.subject_public_key_info()).expect("spki");
            assert!(other.verify(Encoding::Der, b"payload", &sig).is_err());
            assert_ne!(other.key_id(), key.key_id());
        }
    }

    #[test]
    fn garbage_is_rejected_with_a_reason() {
        assert!(PublicKey::from_pem(b"not pem").is_err());
        assert!(PublicKey::from_spki(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
        assert!(certificates_from_pem(b"").is_err());
    }
}
