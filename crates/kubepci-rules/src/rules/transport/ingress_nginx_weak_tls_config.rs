use super::{ingress_nginx_configmaps, weak_ciphers, weak_protocols};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Reads the ConfigMap of an ingress-nginx controller (the one its `--configmap` argument
    /// names, or `ingress-nginx-controller` / `nginx-configuration`) and flags a TLS policy
    /// below strong cryptography: `ssl-protocols` enabling SSLv3, TLSv1 or TLSv1.1,
    /// `ssl-ciphers` enabling RC4, DES/3DES, MD5, NULL, export or anonymous ciphers, and
    /// `ssl-redirect: "false"`, which keeps plain HTTP open for every Ingress.
    ///
    /// ## Why is this bad?
    /// The controller's settings apply to every host it serves, the CDE's included. TLS 1.0
    /// and 1.1 and those ciphers are not strong cryptography under PCI DSS 4.2.1, and 12.3.3
    /// requires the protocols and cipher suites in use to be documented and reviewed.
    ///
    /// ## How to fix
    /// Set `ssl-protocols: "TLSv1.2 TLSv1.3"`, leave `ssl-ciphers` at the controller's
    /// default (ECDHE with AES-GCM or ChaCha20) and keep `ssl-redirect` on.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
    /// data:
    ///   ssl-protocols: "TLSv1 TLSv1.1 TLSv1.2"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
    /// data:
    ///   ssl-protocols: "TLSv1.2 TLSv1.3"
    ///   hsts: "true"
    /// ```
    pub(crate) struct IngressNginxWeakTlsConfig {
        id: "KP4003",
        name: "ingress-nginx-weak-tls-config",
        summary: "ingress-nginx controller allows weak TLS or plain HTTP",
        severity: High,
        target: Target::Inventory(&["ConfigMap", "Deployment", "DaemonSet", "StatefulSet", "Pod"]),
        admission: Namespace,
        pci: ["4.2.1", "12.3.3"],
        tags: [],
    }
}

impl Rule for IngressNginxWeakTlsConfig {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        for cm in ingress_nginx_configmaps(cx.inventory) {
            let data = |key: &str| {
                cm.root
                    .get("data")
                    .and_then(|d| d.get(key))
                    .and_then(Node::scalar_text)
            };
            let at = |key: &str| JsonPointer::root().key("data").key(key);
            if let Some(protocols) = data("ssl-protocols") {
                let weak = weak_protocols(&protocols);
                if !weak.is_empty() {
                    cx.report_on(
                        cm,
                        at("ssl-protocols"),
                        format!(
                            "ingress-nginx enables {} for every host it serves",
                            weak.join(", ")
                        ),
                    );
                }
            }
            if let Some(ciphers) = data("ssl-ciphers") {
                let weak = weak_ciphers(&ciphers);
                if !weak.is_empty() {
                    cx.report_on(
                        cm,
                        at("ssl-ciphers"),
                        format!("ingress-nginx enables weak ciphers: {}", weak.join(", ")),
                    );
                }
            }
            if data("ssl-redirect").is_some_and(|v| v.trim().eq_ignore_ascii_case("false")) {
                cx.report_on(
                    cm,
                    at("ssl-redirect"),
                    "ingress-nginx does not redirect HTTP to HTTPS for any host",
                );
            }
        }
    }
}
