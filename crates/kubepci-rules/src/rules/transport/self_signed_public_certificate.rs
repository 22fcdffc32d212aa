use std::collections::HashSet;

use super::is_internal_host;
use crate::certmanager::{is_certificate, is_issuer, issuer_ref, requested_names};
use crate::rules::prelude::*;
use crate::x509::secret_certificates;

declare_rule! {
    /// ## What it does
    /// Flags self-signed certificates for public host names: cert-manager `Certificate`s (not
    /// CAs) issued by a `selfSigned` Issuer or ClusterIssuer, and leaf certificates in
    /// `kubernetes.io/tls` Secrets whose issuer is their own subject, when any of their names
    /// is public (not cluster DNS, not a private address, not `.local`, `.internal`, `.test`
    /// and similar).
    ///
    /// ## Why is this bad?
    /// No client can verify a self-signed certificate: they either fail or are configured to
    /// skip verification, which removes the protection TLS gives against a man-in-the-middle.
    /// PCI DSS 4.2.1 requires the certificates used for PAN transmission over public networks
    /// to be trusted.
    ///
    /// ## How to fix
    /// Issue public certificates from a public CA (ACME, e.g. Let's Encrypt) and internal ones
    /// from an internal CA whose root the clients trust; keep `selfSigned` issuers for
    /// bootstrapping a CA (`isCA: true`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: ClusterIssuer
    /// metadata: {name: selfsigned}
    /// spec: {selfSigned: {}}
    /// ---
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: selfsigned, kind: ClusterIssuer}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: ClusterIssuer
    /// metadata: {name: letsencrypt}
    /// spec:
    ///   acme:
    ///     server: https://acme-v02.api.letsencrypt.org/directory
    ///     privateKeySecretRef: {name: letsencrypt-account}
    ///     solvers: [{http01: {ingress: {ingressClassName: nginx}}}]
    /// ---
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    /// ```
    pub(crate) struct SelfSignedPublicCertificate {
        id: "KP4010",
        name: "self-signed-public-certificate",
        summary: "Self-signed certificate for a public host name",
        severity: Medium,
        target: Target::Inventory(&["Certificate", "Issuer", "ClusterIssuer", "Secret"]),
        admission: Namespace,
        pci: ["4.2.1"],
        tags: [],
    }
}

impl Rule for SelfSignedPublicCertificate {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        // (kind, namespace or "", name) of self-signed issuers.
        let self_signed: HashSet<(&str, &str, &str)> = ["Issuer", "ClusterIssuer"]
            .iter()
            .flat_map(|k| inventory.of_kind(k))
            .filter(|i| is_issuer(i) && i.root.path(&["spec", "selfSigned"]).is_some())
            .map(|i| (i.kind(), i.namespace().unwrap_or_default(), i.name()))
            .collect();
        for cert in inventory
            .of_kind("Certificate")
            .filter(|c| is_certificate(c))
        {
            if cert.root.path(&["spec", "isCA"]).and_then(Node::as_bool) == Some(true) {
                continue;
            }
            let Some((kind, name)) = issuer_ref(cert) else {
                continue;
            };
            let ns = if kind == "ClusterIssuer" {
                ""
            } else {
                cert.namespace().unwrap_or_default()
            };
            if !self_signed.contains(&(kind.as_str(), ns, name.as_str())) {
                continue;
            }
            let public: Vec<String> = requested_names(cert)
                .into_iter()
                .filter(|n| !is_internal_host(n))
                .collect();
            if !public.is_empty() {
                cx.report_on(
                    cert,
                    JsonPointer::root().key("spec").key("issuerRef"),
                    format!(
                        "Certificate for public name(s) {} is issued by self-signed {kind} `{name}`",
                        public.join(", ")
                    ),
                );
            }
        }
        for secret in inventory.of_kind("Secret") {
            let (certs, pointer) = secret_certificates(secret);
            let Some(leaf) = certs.first() else { continue };
            if leaf.is_ca || !leaf.is_self_issued() {
                continue;
            }
            let public: Vec<&str> = leaf
                .sans
                .iter()
                .map(String::as_str)
                .filter(|n| !is_internal_host(n))
                .collect();
            if !public.is_empty() {
                cx.report_on(
                    secret,
                    pointer,
                    format!(
                        "certificate `{}` for public name(s) {} is self-signed",
                        leaf.subject,
                        public.join(", ")
                    ),
                );
            }
        }
    }
}
