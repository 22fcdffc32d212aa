use crate::certmanager::{is_certificate, requested_key};
use crate::rules::prelude::*;
use crate::x509::secret_certificates;

declare_rule! {
    /// ## What it does
    /// Flags TLS certificates with keys below strong cryptography (RSA under 2048 bits, ECDSA
    /// under 256 bits, DSA): cert-manager `Certificate`s whose `spec.privateKey` (or legacy
    /// `keyAlgorithm`/`keySize`) requests such a key, and certificates in
    /// `kubernetes.io/tls` Secrets (the leaf of `tls.crt`, parsed) that carry one.
    ///
    /// ## Why is this bad?
    /// A short key can be factored or brute-forced: whoever does it can impersonate the
    /// service and read the sessions it protects. PCI DSS 4.2.1 requires strong cryptography
    /// (NIST: at least 112 bits of security, i.e. RSA 2048 or ECDSA P-256).
    ///
    /// ## How to fix
    /// Request `privateKey: {algorithm: ECDSA, size: 256}` or `{algorithm: RSA, size: 2048}`
    /// (or larger) and let cert-manager reissue; replace manually issued certificates.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    ///   privateKey: {algorithm: RSA, size: 1024}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    ///   privateKey: {algorithm: ECDSA, size: 256}
    /// ```
    pub(crate) struct CertificateWeakKey {
        id: "KP4006",
        name: "certificate-weak-key",
        summary: "TLS certificate with a weak key",
        severity: High,
        target: Target::Kinds(&["Certificate", "Secret"]),
        pci: ["4.2.1"],
        tags: [],
    }
}

impl Rule for CertificateWeakKey {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if is_certificate(object) {
            let (key, pointer) = requested_key(object);
            if key.is_weak() {
                cx.report(
                    pointer,
                    format!(
                        "Certificate requests {}; use RSA 2048+ or ECDSA 256+",
                        key.as_phrase()
                    ),
                );
            }
            return;
        }
        if object.kind() != "Secret" {
            return;
        }
        let (certs, pointer) = secret_certificates(object);
        if let Some(leaf) = certs.first()
            && leaf.key.is_weak()
        {
            cx.report(
                pointer,
                format!(
                    "certificate `{}` has {}; use RSA 2048+ or ECDSA 256+",
                    leaf.subject,
                    leaf.key.as_phrase()
                ),
            );
        }
    }
}
