use crate::rules::prelude::*;

/// Annotations that keep plain HTTP open, and the value that does it.
const ANNOTATIONS: &[(&str, &str, &str)] = &[
    (
        "nginx.ingress.kubernetes.io/ssl-redirect",
        "false",
        "turns ingress-nginx's HTTP-to-HTTPS redirect off",
    ),
    (
        "ingress.kubernetes.io/ssl-redirect",
        "false",
        "turns the HTTP-to-HTTPS redirect off",
    ),
    (
        "kubernetes.io/ingress.allow-http",
        "true",
        "keeps the load balancer's plain HTTP listener open",
    ),
];

declare_rule! {
    /// ## What it does
    /// Flags Ingresses in in-scope namespaces (`cde`, `connected`, unscoped) whose
    /// annotations keep plain HTTP open next to HTTPS:
    /// `nginx.ingress.kubernetes.io/ssl-redirect: "false"` (ingress-nginx),
    /// `ingress.kubernetes.io/ssl-redirect: "false"` (NGINX Inc.) and
    /// `kubernetes.io/ingress.allow-http: "true"` (GCE). The controller-wide `ssl-redirect`
    /// setting is KP4003's.
    ///
    /// ## Why is this bad?
    /// Without the redirect, clients that type the address or follow an old link talk HTTP:
    /// the first request, its cookies and whatever it posts travel in clear. PCI DSS 4.2.1
    /// requires strong cryptography for PAN in transit, and 1.2.6 that insecure services and
    /// protocols be secured or removed.
    ///
    /// ## How to fix
    /// Remove the annotation (ingress-nginx redirects by default when TLS is configured), or
    /// set `kubernetes.io/ingress.allow-http: "false"` on GCE; add HSTS.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "false"}
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
    ///   annotations: {nginx.ingress.kubernetes.io/force-ssl-redirect: "true"}
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com], secretName: pay-tls}
    ///   rules:
    ///     - host: pay.example.com
    /// ```
    pub(crate) struct IngressHttpsRedirectDisabled {
        id: "KP4002",
        name: "ingress-https-redirect-disabled",
        summary: "Ingress keeps plain HTTP open",
        severity: Medium,
        target: Target::Kinds(&["Ingress"]),
        pci: ["4.2.1", "1.2.6"],
        tags: [],
    }
}

impl Rule for IngressHttpsRedirectDisabled {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        for (key, bad, what) in ANNOTATIONS {
            if object
                .annotation(key)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(bad))
            {
                cx.report(
                    JsonPointer::root()
                        .key("metadata")
                        .key("annotations")
                        .key(key),
                    format!("annotation `{key}: \"{bad}\"` {what}"),
                );
            }
        }
    }
}
