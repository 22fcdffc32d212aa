//! What the certificates in `kubernetes.io/tls` Secrets say: subject, issuer, subject
//! alternative names, validity and public-key strength. Parsing uses `x509-parser`; nothing
//! here touches private keys.

use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::public_key::PublicKey;

/// A certificate's public key: its algorithm and size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// `RSA`, `ECDSA`, `Ed25519`, `DSA` or `unknown`.
    pub algorithm: String,
    /// Key size in bits (RSA modulus, EC field size), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
}

impl KeyInfo {
    /// Whether the key is weaker than PCI DSS strong cryptography (RSA < 2048, ECDSA < 256,
    /// DSA at any size).
    #[must_use]
    pub fn is_weak(&self) -> bool {
        match (self.algorithm.as_str(), self.bits) {
            ("RSA", Some(bits)) => bits < 2048,
            ("ECDSA", Some(bits)) => bits < 256,
            ("DSA", _) => true,
            _ => false,
        }
    }

    /// `an RSA 1024 key`, `a DSA key`: the key for a sentence.
    #[must_use]
    pub fn as_phrase(&self) -> String {
        let article = if self.algorithm.starts_with(['R', 'E', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {} key", self.describe())
    }

    /// `RSA 2048`, `ECDSA 256`, `Ed25519`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self.bits {
            Some(bits) => format!("{} {bits}", self.algorithm),
            None => self.algorithm.clone(),
        }
    }
}

/// One parsed certificate.
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    /// Subject distinguished name (`CN=pay.example.com`).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses of the subject alternative name extension.
    pub sans: Vec<String>,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The public key.
    pub key: KeyInfo,
    /// Whether the certificate is a CA (`basicConstraints CA:true`).
    pub is_ca: bool,
}

impl CertificateInfo {
    /// Whether issuer and subject are the same name (self-issued, typically self-signed).
    #[must_use]
    pub fn is_self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// Whether the certificate is valid for `host` (its SANs, or its common name when it has
    /// no SAN), with one-label wildcards.
    #[must_use]
    pub fn covers(&self, host: &str) -> bool {
        if self.sans.is_empty() {
            return self
                .subject
                .split(", ")
                .filter_map(|part| part.strip_prefix("CN="))
                .any(|cn| host_matches(cn, host));
        }
        self.sans.iter().any(|san| host_matches(san, host))
    }
}

/// Whether a certificate or TLS name (possibly `*.example.com`) matches a host.
#[must_use]
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix)),
        None => false,
    }
}

fn key_info(key: Result<PublicKey<'_>, x509_parser::error::X509Error>, oid: &str) -> KeyInfo {
    let bits = |n: usize| u32::try_from(n).ok().filter(|b| *b > 0);
    match key {
        Ok(PublicKey::RSA(rsa)) => KeyInfo {
            algorithm: "RSA".into(),
            bits: bits(rsa.key_size()),
        },
        Ok(PublicKey::EC(ec)) => KeyInfo {
            algorithm: "ECDSA".into(),
            bits: bits(ec.key_size()),
        },
        Ok(PublicKey::DSA(_)) => KeyInfo {
            algorithm: "DSA".into(),
            bits: None,
        },
        _ => KeyInfo {
            algorithm: match oid {
                "1.3.101.112" => "Ed25519",
                "1.3.101.113" => "Ed448",
                _ => "unknown",
            }
            .into(),
            bits: None,
        },
    }
}

/// Every certificate of a PEM bundle (`tls.crt`: leaf first, then the chain). Blocks that are
/// not certificates, or do not parse, are skipped.
#[must_use]
pub fn parse_pem_certificates(text: &[u8]) -> Vec<CertificateInfo> {
    let mut out = Vec::new();
    // Quick reject: most values are not PEM.
    if !text.windows(11).any(|w| w == b"-----BEGIN ") {
        return out;
    }
    for pem in Pem::iter_from_buffer(text) {
        let Ok(pem) = pem else { break };
        if pem.label != "CERTIFICATE" {
            continue;
        }
        let Ok(cert) = pem.parse_x509() else {
            continue;
        };
        let sans = match cert.subject_alternative_name() {
            Ok(Some(ext)) => ext
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    GeneralName::IPAddress(bytes) => ip_text(bytes),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let spki = cert.public_key();
        out.push(CertificateInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            sans,
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            key: key_info(spki.parsed(), &spki.algorithm.algorithm.to_id_string()),
            is_ca: cert.is_ca(),
        });
    }
    out
}

/// The certificates of a Secret's `tls.crt` (`data` decoded, or `stringData`) and the pointer
/// to that field; empty when the Secret carries none.
#[must_use]
pub fn secret_certificates(
    secret: &kubepci_k8s::Object,
) -> (Vec<CertificateInfo>, kubepci_model::JsonPointer) {
    use kubepci_model::{JsonPointer, Node};
    for (field, encoded) in [("data", true), ("stringData", false)] {
        let Some(value) = secret
            .root
            .get(field)
            .and_then(|d| d.get("tls.crt"))
            .and_then(Node::as_str)
        else {
            continue;
        };
        let bytes = if encoded {
            crate::content::decode_base64(value).unwrap_or_default()
        } else {
            value.as_bytes().to_vec()
        };
        return (
            parse_pem_certificates(&bytes),
            JsonPointer::root().key(field).key("tls.crt"),
        );
    }
    (Vec::new(), kubepci_model::JsonPointer::root())
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => {
            let a: [u8; 4] = bytes.try_into().ok()?;
            Some(std::net::Ipv4Addr::from(a).to_string())
        }
        16 => {
            let a: [u8; 16] = bytes.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn cert_file(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/certs")
            .join(name);
        std::fs::read(&path).expect("test certificate")
    }

    #[test]
    fn parses_the_test_certificates() {
        let good = parse_pem_certificates(&cert_file("good-ecdsa.pem"));
        assert_eq!(good.len(), 1);
        let c = &good[0];
        assert_eq!(c.subject, "CN=pay.example.com");
        assert_eq!(c.issuer, "CN=Example Internal CA");
        assert_eq!(
            c.sans,
            ["pay.example.com", "www.pay.example.com", "10.0.0.10"]
        );
        assert_eq!(c.key.describe(), "ECDSA 256");
        assert!(!c.key.is_weak());
        assert_eq!(c.not_after.year(), 2030);
        assert!(c.covers("www.pay.example.com") && !c.covers("shop.example.com"));

        let old = parse_pem_certificates(&cert_file("expired-rsa1024.pem"));
        assert_eq!(old[0].key.describe(), "RSA 1024");
        assert!(old[0].key.is_weak());
        assert!(old[0].is_self_issued());

        let chain = [
            cert_file("expiring-rsa2048.pem"),
            cert_file("good-ecdsa.pem"),
        ]
        .concat();
        let both = parse_pem_certificates(&chain);
        assert_eq!(both.len(), 2);
        assert_eq!(both[0].key.describe(), "RSA 2048");
    }

    #[test]
    fn garbage_is_no_certificate() {
        assert!(parse_pem_certificates(b"").is_empty());
        assert!(parse_pem_certificates(b"-----BEGIN CERTIFICATE-----\nnot base64\n").is_empty());
        assert!(
            parse_pem_certificates(
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(host_matches("*.example.com", "pay.example.com"));
        assert!(!host_matches("*.example.com", "a.pay.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(host_matches("Pay.Example.com", "pay.example.com."));
    }
}
