//! cert-manager `Certificate` fields, with cert-manager's defaults, for the transport rules and
//! the certificate inventory.

use kubepci_k8s::Object;
use kubepci_model::{JsonPointer, Node};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::x509::KeyInfo;

/// cert-manager's default certificate lifetime (90 days).
pub(crate) const DEFAULT_DURATION_SECS: i64 = 90 * 24 * 3600;

/// Whether an object is a cert-manager `Certificate` (current or legacy API group).
pub(crate) fn is_certificate(object: &Object) -> bool {
    object.kind() == "Certificate"
        && matches!(object.group(), "cert-manager.io" | "certmanager.k8s.io")
}

/// Whether an object is a cert-manager `Issuer` or `ClusterIssuer`.
pub(crate) fn is_issuer(object: &Object) -> bool {
    matches!(object.kind(), "Issuer" | "ClusterIssuer")
        && matches!(object.group(), "cert-manager.io" | "certmanager.k8s.io")
}

/// The private key a Certificate requests, and the pointer to the field that decides it
/// (`spec.privateKey` in v1, `spec.keyAlgorithm`/`keySize` in older APIs). cert-manager's
/// defaults: RSA 2048; ECDSA 256.
pub(crate) fn requested_key(cert: &Object) -> (KeyInfo, JsonPointer) {
    let spec = cert.root.get("spec");
    let private_key = spec.and_then(|s| s.get("privateKey"));
    let (algorithm, size, pointer) = match private_key {
        Some(pk) => (
            pk.get("algorithm").and_then(Node::as_str),
            pk.get("size").and_then(Node::as_i64),
            JsonPointer::root().key("spec").key("privateKey"),
        ),
        None => (
            spec.and_then(|s| s.get("keyAlgorithm"))
                .and_then(Node::as_str),
            spec.and_then(|s| s.get("keySize")).and_then(Node::as_i64),
            JsonPointer::root().key("spec"),
        ),
    };
    let pointer = if private_key.and_then(|pk| pk.get("size")).is_some() {
        pointer.key("size")
    } else if spec.and_then(|s| s.get("keySize")).is_some() {
        JsonPointer::root().key("spec").key("keySize")
    } else {
        pointer
    };
    let algorithm = match algorithm.map(str::to_ascii_lowercase).as_deref() {
        Some("ecdsa") => "ECDSA",
        Some("ed25519") => "Ed25519",
        _ => "RSA",
    };
    let bits = match (algorithm, size) {
        ("Ed25519", _) => None,
        (_, Some(size)) if size > 0 => u32::try_from(size).ok(),
        ("ECDSA", _) => Some(256),
        _ => Some(2048),
    };
    (
        KeyInfo {
            algorithm: algorithm.to_owned(),
            bits,
        },
        pointer,
    )
}

/// `spec.dnsNames`, `spec.commonName` and `spec.ipAddresses` of a Certificate.
pub(crate) fn requested_names(cert: &Object) -> Vec<String> {
    let spec = cert.root.get("spec");
    let mut names: Vec<String> = Vec::new();
    if let Some(cn) = spec
        .and_then(|s| s.get("commonName"))
        .and_then(Node::as_str)
    {
        names.push(cn.to_owned());
    }
    for field in ["dnsNames", "ipAddresses"] {
        for n in spec
            .and_then(|s| s.get(field))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
        {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_owned());
            }
        }
    }
    names
}

/// `spec.secretName`.
pub(crate) fn secret_name(cert: &Object) -> Option<&str> {
    cert.root
        .path(&["spec", "secretName"])
        .and_then(Node::as_str)
}

/// `Issuer/name` or `ClusterIssuer/name` from `spec.issuerRef` (kind defaults to Issuer).
pub(crate) fn issuer_ref(cert: &Object) -> Option<(String, String)> {
    let r = cert.root.path(&["spec", "issuerRef"])?;
    let name = r.get("name").and_then(Node::as_str)?;
    let kind = r.get("kind").and_then(Node::as_str).unwrap_or("Issuer");
    Some((kind.to_owned(), name.to_owned()))
}

/// A timestamp of `status` (`notAfter`, `notBefore`, `renewalTime`).
pub(crate) fn status_time(cert: &Object, field: &str) -> Option<OffsetDateTime> {
    let text = cert.root.path(&["status", field]).and_then(Node::as_str)?;
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Formats a timestamp as RFC 3339 (`2026-06-15T00:00:00Z`).
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// The kind of an Issuer (`ACME`, `CA`, `SelfSigned`, `Vault`, `Venafi`) and, for ACME, the
/// server; for CA, the Secret holding the CA key pair.
pub(crate) fn issuer_type(issuer: &Object) -> (String, Option<String>) {
    let spec = issuer.root.get("spec");
    for (field, label) in [
        ("acme", "ACME"),
        ("ca", "CA"),
        ("selfSigned", "SelfSigned"),
        ("vault", "Vault"),
        ("venafi", "Venafi"),
    ] {
        if let Some(node) = spec.and_then(|s| s.get(field)) {
            let detail = match field {
                "acme" => node.get("server").and_then(Node::as_str),
                "ca" => node.get("secretName").and_then(Node::as_str),
                "vault" => node.get("server").and_then(Node::as_str),
                _ => None,
            };
            return (label.to_owned(), detail.map(str::to_owned));
        }
    }
    ("external".to_owned(), None)
}
