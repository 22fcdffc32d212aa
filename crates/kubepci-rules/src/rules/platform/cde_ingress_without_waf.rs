use crate::rules::prelude::*;

/// Annotations that put a web application firewall in front of an Ingress.
const WAF_ANNOTATIONS: &[&str] = &[
    "alb.ingress.kubernetes.io/wafv2-acl-arn",
    "alb.ingress.kubernetes.io/waf-acl-id",
    "appgw.ingress.kubernetes.io/waf-policy-for-path",
];

/// Annotations and values that make an Ingress internal (not internet-facing).
const INTERNAL: &[(&str, &str)] = &[
    ("alb.ingress.kubernetes.io/scheme", "internal"),
    ("kubernetes.io/ingress.class", "gce-internal"),
    (
        "networking.gke.io/internal-load-balancer-allow-global-access",
        "true",
    ),
];

declare_rule! {
    /// ## What it does
    /// Flags Ingresses in `cde` namespaces that are not behind a web application firewall:
    /// ingress-nginx ModSecurity with the OWASP Core Rule Set (annotations
    /// `nginx.ingress.kubernetes.io/enable-modsecurity` and `enable-owasp-core-rules`, or
    /// `enable-modsecurity` and `enable-owasp-modsecurity-crs` in an `ingress-nginx` controller
    /// ConfigMap of the input), an AWS WAF ACL (`alb.ingress.kubernetes.io/wafv2-acl-arn`), an
    /// Azure Application Gateway WAF policy, or a GKE BackendConfig with a Cloud Armor
    /// `securityPolicy` referenced by the backend Service. Internal Ingresses (an internal
    /// scheme or class) are not flagged.
    ///
    /// ## Why is this bad?
    /// PCI DSS 6.4.1 and 6.4.2 require public-facing web applications to be protected
    /// against known attacks by an automated solution that detects and prevents web-based
    /// attacks: a WAF in front of the payment pages and APIs.
    ///
    /// ## How to fix
    /// Enable ModSecurity with the OWASP CRS on the Ingress (or globally in the controller's
    /// ConfigMap), or attach the cloud load balancer's WAF policy. A WAF outside the cluster
    /// (a CDN) is a compensating control: record it in a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   ingressClassName: nginx
    ///   tls: [{hosts: [pay.example.com], secretName: pay-tls}]
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8443}}}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/enable-modsecurity: "true"
    ///     nginx.ingress.kubernetes.io/enable-owasp-core-rules: "true"
    /// spec:
    ///   ingressClassName: nginx
    ///   tls: [{hosts: [pay.example.com], secretName: pay-tls}]
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8443}}}}
    /// ```
    pub(crate) struct CdeIngressWithoutWaf {
        id: "KP7014",
        name: "cde-ingress-without-waf",
        summary: "CDE Ingress not behind a web application firewall",
        severity: Medium,
        target: Target::Inventory(&["Namespace", "Ingress", "ConfigMap", "Service", "BackendConfig"]),
        admission: ScanOnly,
        pci: ["6.4.2", "6.4.1"],
        tags: [],
    }
}

fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether an ingress-nginx controller ConfigMap of the input enables ModSecurity with the
/// OWASP CRS for every Ingress.
fn global_modsecurity(cx: &Context<'_>) -> bool {
    cx.inventory.of_kind("ConfigMap").any(|c| {
        let data = |key: &str| c.root.path(&["data", key]).and_then(Node::as_str);
        c.name().contains("ingress-nginx")
            && is_true(data("enable-modsecurity"))
            && is_true(data("enable-owasp-modsecurity-crs"))
    })
}

/// Whether a backend Service of the Ingress references a GKE BackendConfig with a Cloud
/// Armor security policy.
fn cloud_armor(cx: &Context<'_>, ingress: &Object) -> bool {
    let ns = ingress.namespace();
    let backends: Vec<&str> = ingress
        .root
        .path(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .flat_map(|r| {
            r.path(&["http", "paths"])
                .map(Node::items)
                .unwrap_or_default()
        })
        .filter_map(|p| {
            p.path(&["backend", "service", "name"])
                .and_then(Node::as_str)
        })
        .collect();
    cx.inventory
        .of_kind("Service")
        .filter(|s| s.namespace() == ns && backends.contains(&s.name()))
        .filter_map(|s| {
            s.annotation("cloud.google.com/backend-config")
                .or_else(|| s.annotation("beta.cloud.google.com/backend-config"))
        })
        .any(|reference| {
            cx.inventory
                .of_kind("BackendConfig")
                .filter(|b| b.namespace() == ns && reference.contains(&format!("\"{}\"", b.name())))
                .any(|b| b.root.path(&["spec", "securityPolicy", "name"]).is_some())
        })
}

impl Rule for CdeIngressWithoutWaf {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let global = global_modsecurity(cx);
        for ingress in cx.inventory.of_kind("Ingress") {
            if !cx.inventory.scope_of(ingress).is_cde() || global {
                continue;
            }
            if INTERNAL
                .iter()
                .any(|(k, v)| ingress.annotation(k) == Some(v))
                || ingress
                    .root
                    .path(&["spec", "ingressClassName"])
                    .and_then(Node::as_str)
                    .is_some_and(|c| c.contains("internal"))
            {
                continue;
            }
            let nginx = |k: &str| ingress.annotation(&format!("nginx.ingress.kubernetes.io/{k}"));
            let modsecurity = is_true(nginx("enable-modsecurity"))
                && (is_true(nginx("enable-owasp-core-rules"))
                    || nginx("modsecurity-snippet")
                        .is_some_and(|s| s.contains("owasp") || s.contains("crs")));
            let waf = modsecurity
                || WAF_ANNOTATIONS
                    .iter()
                    .any(|a| ingress.annotation(a).is_some())
                || cloud_armor(cx, ingress);
            if !waf {
                cx.report_on(
                    ingress,
                    JsonPointer::root().key("metadata").key("annotations"),
                    "CDE Ingress is not behind a web application firewall (ModSecurity with the OWASP CRS, or a cloud WAF policy)",
                );
            }
        }
    }
}
