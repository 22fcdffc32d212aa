use std::collections::HashMap;

use crate::certmanager::{is_certificate, requested_names, secret_name};
use crate::rules::prelude::*;
use crate::x509::{host_matches, secret_certificates};

declare_rule! {
    /// ## What it does
    /// Flags Ingress `tls` hosts that the certificate in the named Secret does not cover. The
    /// certificate is read from the `kubernetes.io/tls` Secret when the input holds it (its
    /// subject alternative names, with wildcards), else from the cert-manager `Certificate`
    /// that writes that Secret (`dnsNames`, `commonName`). Secrets the input does not show are
    /// not judged.
    ///
    /// ## Why is this bad?
    /// Clients reject a certificate that does not name the host, so the host either fails or
    /// is served with a certificate users learn to click through: an open door for a
    /// man-in-the-middle. PCI DSS 4.2.1 requires certificates used for PAN transmission to be
    /// valid for what they protect.
    ///
    /// ## How to fix
    /// Add the host to the Certificate's `dnsNames` (or reissue the certificate with it), or
    /// point the `tls` entry at the Secret of a certificate that covers it.
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
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com, checkout.example.com], secretName: pay-tls}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com, checkout.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com, checkout.example.com], secretName: pay-tls}
    /// ```
    pub(crate) struct CertificateHostMismatch {
        id: "KP4009",
        name: "certificate-host-mismatch",
        summary: "Ingress TLS host not covered by its certificate",
        severity: Medium,
        target: Target::Inventory(&["Ingress", "Secret", "Certificate"]),
        admission: Namespace,
        pci: ["4.2.1"],
        tags: [],
    }
}

/// What names a Secret's certificate is valid for, and where that knowledge comes from.
struct Names {
    names: Vec<String>,
    from: String,
    /// Use the subject CN when there is no SAN.
    cn_fallback: Option<crate::x509::CertificateInfo>,
}

impl Rule for CertificateHostMismatch {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        if inventory.of_kind("Ingress").next().is_none() {
            return;
        }
        let mut known: HashMap<(&str, &str), Names> = HashMap::new();
        for cert in inventory
            .of_kind("Certificate")
            .filter(|c| is_certificate(c))
        {
            if let Some(secret) = secret_name(cert) {
                known.insert(
                    (cert.namespace().unwrap_or_default(), secret),
                    Names {
                        names: requested_names(cert),
                        from: format!("Certificate `{}`", cert.name()),
                        cn_fallback: None,
                    },
                );
            }
        }
        for secret in inventory.of_kind("Secret") {
            let (certs, _) = secret_certificates(secret);
            if let Some(leaf) = certs.into_iter().next() {
                known.insert(
                    (secret.namespace().unwrap_or_default(), secret.name()),
                    Names {
                        names: leaf.sans.clone(),
                        from: format!("the certificate in Secret `{}`", secret.name()),
                        cn_fallback: leaf.sans.is_empty().then_some(leaf),
                    },
                );
            }
        }
        for ingress in inventory.of_kind("Ingress") {
            let ns = ingress.namespace().unwrap_or_default();
            let tls = ingress
                .root
                .path(&["spec", "tls"])
                .map(Node::items)
                .unwrap_or_default();
            for (i, entry) in tls.iter().enumerate() {
                let Some(secret) = entry.get("secretName").and_then(Node::as_str) else {
                    continue;
                };
                let Some(names) = known.get(&(ns, secret)) else {
                    continue;
                };
                let hosts = entry.get("hosts").map(Node::items).unwrap_or_default();
                for (j, host) in hosts.iter().enumerate() {
                    let Some(host) = host.as_str() else { continue };
                    let covered = match &names.cn_fallback {
                        Some(leaf) => leaf.covers(host),
                        None => names
                            .names
                            .iter()
                            .any(|n| n == host || host_matches(n, host)),
                    };
                    if !covered {
                        cx.report_on(
                            ingress,
                            JsonPointer::root()
                                .key("spec")
                                .key("tls")
                                .index(i)
                                .key("hosts")
                                .index(j),
                            format!("host `{host}` is not covered by {}", names.from),
                        );
                    }
                }
            }
        }
    }
}
