use super::ingress_nginx_configmaps;
use crate::rules::prelude::*;

/// Annotations that inject raw configuration into the controller.
const SNIPPETS: &[&str] = &[
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
    "nginx.ingress.kubernetes.io/stream-snippet",
    "nginx.org/location-snippets",
    "nginx.org/server-snippets",
];

declare_rule! {
    /// ## What it does
    /// Flags configuration injection into ingress-nginx: Ingresses carrying snippet
    /// annotations (`configuration-snippet`, `server-snippet`, `auth-snippet`,
    /// `stream-snippet`, and NGINX Inc.'s `location-snippets`/`server-snippets`), and the
    /// controller ConfigMap setting `allow-snippet-annotations: "true"`.
    /// (`modsecurity-snippet`, which configures the web application firewall, is not
    /// flagged.)
    ///
    /// ## Why is this bad?
    /// A snippet is raw NGINX configuration written by whoever may edit an Ingress, run inside
    /// the controller, which holds every TLS key and a token that reads every Secret in the
    /// cluster (CVE-2021-25742, CVE-2023-5043, CVE-2025-1974). It also bypasses the TLS and
    /// header settings the platform enforces. PCI DSS 6.4.1 requires public-facing web
    /// applications to be protected against known attacks, and 2.2.6 system security
    /// parameters configured to prevent misuse.
    ///
    /// ## How to fix
    /// Replace snippets with the dedicated annotations or controller settings, keep
    /// `allow-snippet-annotations: "false"` (the default since ingress-nginx 1.9) and set
    /// `annotations-risk-level: Critical` only for a reviewed exception.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/configuration-snippet: |
    ///       more_set_headers "X-Frame-Options: DENY";
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com], secretName: pay-tls}
    ///   rules:
    ///     - host: pay.example.com
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/custom-headers: payments/security-headers
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com], secretName: pay-tls}
    ///   rules:
    ///     - host: pay.example.com
    /// ```
    pub(crate) struct IngressNginxSnippet {
        id: "KP4011",
        name: "ingress-nginx-snippet",
        summary: "Raw NGINX configuration injected through annotations",
        severity: High,
        target: Target::Inventory(&["Ingress", "ConfigMap", "Deployment", "DaemonSet", "StatefulSet", "Pod"]),
        admission: Namespace,
        pci: ["6.4.1", "2.2.6"],
        tags: [],
    }
}

impl Rule for IngressNginxSnippet {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        for ingress in inventory.of_kind("Ingress") {
            for key in SNIPPETS {
                if ingress
                    .annotation(key)
                    .is_some_and(|v| !v.trim().is_empty())
                {
                    cx.report_on(
                        ingress,
                        JsonPointer::root().key("metadata").key("annotations").key(key),
                        format!("annotation `{key}` injects raw NGINX configuration into the ingress controller"),
                    );
                }
            }
        }
        for cm in ingress_nginx_configmaps(inventory) {
            let allowed = cm
                .root
                .path(&["data", "allow-snippet-annotations"])
                .and_then(Node::scalar_text)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            if allowed {
                cx.report_on(
                    cm,
                    JsonPointer::root()
                        .key("data")
                        .key("allow-snippet-annotations"),
                    "ingress-nginx accepts snippet annotations from every Ingress author",
                );
            }
        }
    }
}
