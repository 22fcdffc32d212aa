//! Notary Project signatures (notation) attached as OCI referrers: a manifest of artifact
//! type `application/vnd.cncf.notary.signature` whose layer is a JWS envelope (flattened
//! JSON serialisation) over a payload naming the target manifest's descriptor, signed with
//! the key of an X.509 code-signing certificate whose chain is in the envelope (`x5c`).

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Deserialize;

use crate::crypto::{Encoding, HashAlg, KeyKind, PublicKey};
use crate::trust::TrustedSigner;
use crate::verifier::Attempt;

/// Envelopes carry a few certificates; more than this is not a signature.
pub(crate) const MAX_ENVELOPE_BYTES: usize = 256 << 10;
const PAYLOAD_TYPE: &str = "application/vnd.cncf.notary.payload.v1+json";
const SIGNING_SCHEME: &str = "io.cncf.notary.signingScheme";
const SIGNING_TIME: &str = "io.cncf.notary.signingTime";
const AUTHENTIC_SIGNING_TIME: &str = "io.cncf.notary.authenticSigningTime";
const EXPIRY: &str = "io.cncf.notary.expiry";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Jws {
    payload: String,
    protected: String,
    header: Unprotected,
    signature: String,
}

#[derive(Deserialize)]
struct Unprotected {
    #[serde(default)]
    x5c: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    target_artifact: Target,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    media_type: String,
    digest: String,
    size: i64,
}

fn parse_time(value: Option<&serde_json::Value>, name: &str) -> Result<Option<SystemTime>, String> {
    value
        .map(|v| {
            let text = v
                .as_str()
                .ok_or_else(|| format!("{name} is not a string"))?;
            let t =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| format!("{name} `{text}` is not an RFC 3339 time"))?;
            Ok(SystemTime::from(t))
        })
        .transpose()
}

/// What one JWS envelope proves for the image `digest` whose manifest is `manifest`
/// (`media_type`, its bytes), at time `now`.
pub(crate) fn check(
    envelope: &[u8],
    digest: &str,
    media_type: &str,
    manifest_len: usize,
    signers: &[TrustedSigner],
    now: SystemTime,
) -> Vec<Attempt> {
    let format = "Notary Project signature";
    let notation_signers: Vec<_> = signers
        .iter()
        .enumerate()
        .filter_map(|(index, signer)| match signer {
            TrustedSigner::Notation {
                label,
                roots,
                identities,
            } => Some((index, label, roots, identities)),
            _ => None,
        })
        .collect();
    let envelope = match Envelope::open(envelope, digest, media_type, manifest_len, now) {
        Ok(e) => e,
        Err(reason) => return vec![Attempt::failed(format, None, reason)],
    };
    notation_signers
        .into_iter()
        .map(|(index, label, roots, identities)| {
            let result = (|| {
                roots.verify(
                    envelope.chain[0].as_ref(),
                    &envelope.chain[1..],
                    envelope.verification_time,
                    false,
                )?;
                let (_, leaf) = x509_parser::parse_x509_certificate(envelope.chain[0].as_ref())
                    .map_err(|e| format!("the signing certificate is malformed: {e}"))?;
                if identities.iter().any(|i| i.matches(&leaf)) {
                    Ok(())
                } else {
                    Err(format!(
                        "its certificate's subject `{}` is not a trusted identity of {}",
                        leaf.subject(),
                        label
                    ))
                }
            })();
            Attempt::new(format, index, result)
        })
        .collect()
}

/// An envelope whose signature, payload binding and headers were checked; the certificate
/// chain and identity are left to the signer.
struct Envelope {
    chain: Vec<CertificateDer<'static>>,
    verification_time: UnixTime,
}

impl Envelope {
    fn open(
        bytes: &[u8],
        digest: &str,
        media_type: &str,
        manifest_len: usize,
        now: SystemTime,
    ) -> Result<Self, String> {
        let jws: Jws = serde_json::from_slice(bytes)
            .map_err(|e| format!("the JWS envelope is malformed: {e}"))?;
        let protected_bytes = B64URL
            .decode(jws.protected.as_bytes())
            .map_err(|_| "the protected header is not base64url")?;
        let protected: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&protected_bytes)
                .map_err(|e| format!("the protected header is malformed: {e}"))?;
        if protected.get("cty").and_then(|c| c.as_str()) != Some(PAYLOAD_TYPE) {
            return Err("its content type is not a Notary Project payload".into());
        }
        let scheme = protected.get(SIGNING_SCHEME).and_then(|s| s.as_str());
        let crit: Vec<&str> = protected
            .get("crit")
            .and_then(|c| c.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if !crit.contains(&SIGNING_SCHEME) {
            return Err("its critical headers do not include the signing scheme".into());
        }
        if let Some(unknown) = crit
            .iter()
            .find(|c| ![SIGNING_SCHEME, AUTHENTIC_SIGNING_TIME, EXPIRY].contains(c))
        {
            return Err(format!(
                "it needs the critical header `{unknown}`, which kubepci does not process (a verification plug-in)"
            ));
        }
        let verification_time = match scheme {
            // Without a trusted timestamp the certificate must be valid now.
            Some("notary.x509") => {
                parse_time(protected.get(SIGNING_TIME), SIGNING_TIME)?;
                now
            }
            // The signing authority vouches for the signing time.
            Some("notary.x509.signingAuthority") => parse_time(
                protected.get(AUTHENTIC_SIGNING_TIME),
                AUTHENTIC_SIGNING_TIME,
            )?
            .ok_or("the signing-authority scheme needs an authentic signing time")?,
            other => {
                return Err(format!(
                    "unknown signing scheme {}",
                    other.unwrap_or("(none)")
                ));
            }
        };
        if let Some(expiry) = parse_time(protected.get(EXPIRY), EXPIRY)?
            && expiry <= now
        {
            return Err("the signature has expired".into());
        }
        let chain: Vec<CertificateDer<'static>> = jws
            .header
            .x5c
            .iter()
            .map(|c| B64.decode(c).map(CertificateDer::from))
            .collect::<Result<_, _>>()
            .map_err(|_| "a certificate of `x5c` is not base64")?;
        let leaf = chain.first().ok_or("the envelope carries no certificate")?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
            .map_err(|e| format!("the signing certificate is malformed: {e}"))?;
        let key = PublicKey::from_spki(cert.public_key().raw)?;
        let alg = protected
            .get("alg")
            .and_then(|a| a.as_str())
            .unwrap_or_default();
        // The algorithm must be the one the certificate's key implies (no substitution).
        let (encoding, hash) = match (alg, key.kind) {
            ("ES256", KeyKind::EcdsaP256) => (Encoding::Fixed, HashAlg::Sha256),
            ("ES384", KeyKind::EcdsaP384) => (Encoding::Fixed, HashAlg::Sha384),
            ("PS256", KeyKind::Rsa) => (Encoding::Pss, HashAlg::Sha256),
            ("PS384", KeyKind::Rsa) => (Encoding::Pss, HashAlg::Sha384),
            ("PS512", KeyKind::Rsa) => (Encoding::Pss, HashAlg::Sha512),
            (alg, kind) => {
                return Err(format!(
                    "algorithm `{alg}` with a {kind:?} certificate key is not a Notary Project algorithm kubepci verifies"
                ));
            }
        };
        let signature = B64URL
            .decode(jws.signature.as_bytes())
            .map_err(|_| "the signature is not base64url")?;
        let signing_input = format!("{}.{}", jws.protected, jws.payload);
        key.verify_with_hash(encoding, hash, signing_input.as_bytes(), &signature)
            .map_err(|_| "it does not verify with its certificate's key".to_owned())?;
        let payload: Payload = B64URL
            .decode(jws.payload.as_bytes())
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or("its payload is not a Notary Project payload")?;
        let target = payload.target_artifact;
        if target.digest != digest {
            return Err(format!("it signs {}, not {digest}", target.digest));
        }
        if usize::try_from(target.size).ok() != Some(manifest_len)
            || (!media_type.is_empty() && target.media_type != media_type)
        {
            return Err(
                "its target descriptor's size or media type differs from the manifest's".into(),
            );
        }
        let since_epoch = verification_time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| "the verification time is before 1970")?;
        Ok(Self {
            chain,
            verification_time: UnixTime::since_unix_epoch(since_epoch),
        })
    }
}
