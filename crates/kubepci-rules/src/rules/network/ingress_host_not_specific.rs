use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags rules of Ingresses in in-scope namespaces that name no `host` (or an empty one),
    /// or a wildcard host (`*.example.com`).
    ///
    /// ## Why is this bad?
    /// A rule without a host answers for every name that reaches the ingress controller, and
    /// a wildcard for every subdomain: the service is exposed under names nobody approved,
    /// and another team's Ingress can shadow or be shadowed by it. PCI DSS 1.2.5 requires each
    /// exposed service to be identified and approved; 1.4.2 limits inbound traffic to
    /// authorised public services.
    ///
    /// ## How to fix
    /// Name the exact host of each rule.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: shop, namespace: edge}
    /// spec:
    ///   rules:
    ///     - http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: shop, namespace: edge}
    /// spec:
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
    /// ```
    pub(crate) struct IngressHostNotSpecific {
        id: "KP2014",
        name: "ingress-host-not-specific",
        summary: "Ingress rule has no host or a wildcard host",
        severity: Medium,
        target: Target::Kinds(&["Ingress"]),
        pci: ["1.2.5", "1.4.2"],
        tags: [],
    }
}

impl Rule for IngressHostNotSpecific {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        let rules_ptr = JsonPointer::root().key("spec").key("rules");
        let rules = object
            .root
            .pointer(&rules_ptr)
            .map(Node::items)
            .unwrap_or_default();
        for (i, rule) in rules.iter().enumerate() {
            match rule.get("host").and_then(Node::as_str).map(str::trim) {
                None | Some("") => cx.report(
                    rules_ptr.index(i),
                    "Ingress rule names no host: it answers for every host name",
                ),
                Some(host) if host.starts_with('*') => cx.report(
                    rules_ptr.index(i).key("host"),
                    format!(
                        "Ingress rule host `{host}` is a wildcard: it answers for every subdomain"
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}
