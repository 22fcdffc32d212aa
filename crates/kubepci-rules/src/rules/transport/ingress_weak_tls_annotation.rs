use super::weak_ciphers;
use crate::rules::prelude::*;

/// Whether an AWS load balancer security policy allows only TLS 1.2 and later.
fn strong_elb_policy(policy: &str) -> bool {
    ["TLS-1-2", "TLS13", "FS-1-2"]
        .iter()
        .any(|p| policy.contains(p))
}

declare_rule! {
    /// ## What it does
    /// Flags Ingresses in in-scope namespaces (`cde`, `connected`, unscoped) whose annotations
    /// weaken TLS for their hosts: `nginx.ingress.kubernetes.io/ssl-ciphers` or
    /// `nginx.org/ssl-ciphers` enabling RC4, DES/3DES, MD5, NULL, export or anonymous
    /// ciphers, and an AWS load balancer `alb.ingress.kubernetes.io/ssl-policy` that still
    /// allows TLS 1.0 or 1.1 (any policy other than the `TLS-1-2`, `FS-1-2` and `TLS13`
    /// families).
    ///
    /// ## Why is this bad?
    /// Those ciphers and protocol versions are broken or deprecated; a client can be made to
    /// negotiate them, and the traffic is then readable. PCI DSS 4.2.1 requires strong
    /// cryptography for PAN in transit and 12.3.3 a reviewed inventory of cipher suites.
    ///
    /// ## How to fix
    /// Drop the cipher annotation (the controller's default is strong) or list only ECDHE
    /// suites with AES-GCM or ChaCha20; use `ELBSecurityPolicy-TLS13-1-2-2021-06` or newer.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations:
    ///     alb.ingress.kubernetes.io/ssl-policy: ELBSecurityPolicy-2016-08
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com]}
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
    ///     alb.ingress.kubernetes.io/ssl-policy: ELBSecurityPolicy-TLS13-1-2-2021-06
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com]}
    ///   rules:
    ///     - host: pay.example.com
    /// ```
    pub(crate) struct IngressWeakTlsAnnotation {
        id: "KP4004",
        name: "ingress-weak-tls-annotation",
        summary: "Ingress annotation enables weak ciphers or old TLS versions",
        severity: High,
        target: Target::Kinds(&["Ingress"]),
        pci: ["4.2.1", "12.3.3"],
        tags: [],
    }
}

impl Rule for IngressWeakTlsAnnotation {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        let at = |key: &str| {
            JsonPointer::root()
                .key("metadata")
                .key("annotations")
                .key(key)
        };
        for key in [
            "nginx.ingress.kubernetes.io/ssl-ciphers",
            "nginx.org/ssl-ciphers",
        ] {
            if let Some(ciphers) = object.annotation(key) {
                let weak = weak_ciphers(ciphers);
                if !weak.is_empty() {
                    cx.report(
                        at(key),
                        format!("`{key}` enables weak ciphers: {}", weak.join(", ")),
                    );
                }
            }
        }
        let key = "alb.ingress.kubernetes.io/ssl-policy";
        if let Some(policy) = object.annotation(key)
            && !strong_elb_policy(policy)
        {
            cx.report(
                at(key),
                format!("load balancer security policy `{policy}` allows TLS versions before 1.2"),
            );
        }
    }
}
