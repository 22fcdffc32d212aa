use crate::rules::prelude::*;
use crate::x509::host_matches;

declare_rule! {
    /// ## What it does
    /// Flags Ingresses in in-scope namespaces (`cde`, `connected`, unscoped) that serve a host
    /// without TLS: a `rules[].host` that no `spec.tls[].hosts` entry covers (exactly or by a
    /// one-label wildcard), or rules without a host (and a default backend) when the Ingress
    /// has no `tls` section at all. A `tls` entry without `hosts` covers every host.
    ///
    /// ## Why is this bad?
    /// A host without a certificate is served over plain HTTP: credentials, session cookies
    /// and card data cross the network readable by anyone on the path. PCI DSS 4.2.1 requires
    /// strong cryptography whenever PAN travels over open, public networks, and the ingress is
    /// where it arrives from them.
    ///
    /// ## How to fix
    /// Add the host to a `tls` entry with a certificate (cert-manager issues one from the
    /// `cert-manager.io/cluster-issuer` annotation).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   tls:
    ///     - {hosts: [pay.example.com], secretName: pay-tls}
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    pub(crate) struct IngressHostWithoutTls {
        id: "KP4001",
        name: "ingress-host-without-tls",
        summary: "Ingress serves a host without TLS",
        severity: High,
        target: Target::Kinds(&["Ingress"]),
        pci: ["4.2.1"],
        tags: [],
    }
}

impl Rule for IngressHostWithoutTls {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        let spec = object.root.get("spec");
        let tls = spec
            .and_then(|s| s.get("tls"))
            .map(Node::items)
            .unwrap_or_default();
        let covers_all = tls
            .iter()
            .any(|t| t.get("hosts").is_none_or(|h| h.items().is_empty()));
        let tls_hosts: Vec<&str> = tls
            .iter()
            .flat_map(|t| t.get("hosts").map(Node::items).unwrap_or_default())
            .filter_map(Node::as_str)
            .collect();
        let rules = spec
            .and_then(|s| s.get("rules"))
            .map(Node::items)
            .unwrap_or_default();
        let rules_ptr = JsonPointer::root().key("spec").key("rules");
        for (i, rule) in rules.iter().enumerate() {
            match rule
                .get("host")
                .and_then(Node::as_str)
                .filter(|h| !h.is_empty())
            {
                Some(host) => {
                    let covered = covers_all
                        || tls_hosts
                            .iter()
                            .any(|t| *t == host || host_matches(t, host));
                    if !covered {
                        cx.report(
                            rules_ptr.index(i).key("host"),
                            format!(
                                "host `{host}` is served without TLS: no spec.tls entry covers it"
                            ),
                        );
                    }
                }
                None if tls.is_empty() => cx.report(
                    rules_ptr.index(i),
                    "rule for any host is served without TLS: the Ingress has no spec.tls",
                ),
                None => {}
            }
        }
        if rules.is_empty()
            && tls.is_empty()
            && let Some(_) = spec.and_then(|s| s.get("defaultBackend").or_else(|| s.get("backend")))
        {
            let field = if spec.and_then(|s| s.get("defaultBackend")).is_some() {
                "defaultBackend"
            } else {
                "backend"
            };
            cx.report(
                JsonPointer::root().key("spec").key(field),
                "default backend is served without TLS: the Ingress has no spec.tls",
            );
        }
    }
}
