use crate::rules::prelude::*;

const ROUTE_KINDS: &[&str] = &["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];

declare_rule! {
    /// ## What it does
    /// Flags Ingresses in `cde` namespaces whose IngressClass is not approved in
    /// `segmentation.cdeIngressClasses` (or that name none and rely on the cluster's default
    /// class), and Gateway API routes in or pointing at `cde` namespaces attached to a Gateway
    /// not listed in `segmentation.cdeGateways`. With no approved class or gateway
    /// configured, every such exposure is reported.
    ///
    /// ## Why is this bad?
    /// The ingress class or gateway decides whether a CDE service is published on the
    /// internet or on an internal network, and which controller terminates its TLS. Exposing
    /// the CDE through an unapproved (often public, shared) controller breaks the separation
    /// between trusted and untrusted networks (PCI DSS 1.4.1) and is an unidentified exposure
    /// (1.2.5).
    ///
    /// ## How to fix
    /// Use the approved internal class or gateway, and list it in `kubepci.yaml`:
    /// `segmentation: {cdeIngressClasses: [internal], cdeGateways: [gateways/internal]}`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   ingressClassName: public
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 443}}}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    pub(crate) struct CdeExposedThroughUnapprovedIngress {
        id: "KP2015",
        name: "cde-exposed-through-unapproved-ingress",
        summary: "CDE service exposed through an unapproved ingress class or gateway",
        severity: Medium,
        target: Target::Inventory(&[
            "Namespace",
            "Ingress",
            "HTTPRoute",
            "GRPCRoute",
            "TLSRoute",
            "TCPRoute",
            "UDPRoute",
        ]),
        admission: Namespace,
        pci: ["1.4.1", "1.2.5"],
        tags: [],
    }
}

impl Rule for CdeExposedThroughUnapprovedIngress {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let settings = &cx.settings.segmentation;
        let mut found = Vec::new();
        for ingress in cx.inventory.of_kind("Ingress") {
            if !cx.inventory.scope_of(ingress).is_cde() {
                continue;
            }
            let spec_ptr = JsonPointer::root().key("spec");
            let annotation = "kubernetes.io/ingress.class";
            let (class, pointer) = match ingress
                .root
                .path(&["spec", "ingressClassName"])
                .and_then(Node::as_str)
            {
                Some(c) => (Some(c), spec_ptr.key("ingressClassName")),
                None => match ingress.annotation(annotation) {
                    Some(c) => (
                        Some(c),
                        JsonPointer::root()
                            .key("metadata")
                            .key("annotations")
                            .key(annotation),
                    ),
                    None => (None, spec_ptr),
                },
            };
            let message = match class {
                None => "Ingress in the CDE names no IngressClass, so the cluster's default controller publishes it".to_owned(),
                Some(c) if settings.cde_ingress_classes.iter().any(|a| a == c) => continue,
                Some(c) => format!(
                    "IngressClass `{c}` is not approved for the CDE (segmentation.cdeIngressClasses)"
                ),
            };
            found.push((ingress, pointer, message));
        }
        for kind in ROUTE_KINDS {
            for route in cx.inventory.of_kind(kind) {
                if route.group() != "gateway.networking.k8s.io" {
                    continue;
                }
                let route_ns = route.namespace().unwrap_or("default");
                let touches_cde = cx.inventory.scope_of(route).is_cde()
                    || route
                        .root
                        .path(&["spec", "rules"])
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .flat_map(|r| r.get("backendRefs").map(Node::items).unwrap_or_default())
                        .filter_map(|b| b.get("namespace").and_then(Node::as_str))
                        .any(|ns| cx.inventory.scope_of_namespace(ns).is_cde());
                if !touches_cde {
                    continue;
                }
                let parents_ptr = JsonPointer::root().key("spec").key("parentRefs");
                let parents = route
                    .root
                    .pointer(&parents_ptr)
                    .map(Node::items)
                    .unwrap_or_default();
                for (i, parent) in parents.iter().enumerate() {
                    let Some(name) = parent.get("name").and_then(Node::as_str) else {
                        continue;
                    };
                    let ns = parent
                        .get("namespace")
                        .and_then(Node::as_str)
                        .unwrap_or(route_ns);
                    let gateway = format!("{ns}/{name}");
                    if settings.cde_gateways.contains(&gateway) {
                        continue;
                    }
                    found.push((
                        route,
                        parents_ptr.index(i),
                        format!(
                            "{kind} routes CDE traffic through Gateway `{gateway}`, which is not approved for the CDE (segmentation.cdeGateways)"
                        ),
                    ));
                }
            }
        }
        for (object, pointer, message) in found {
            cx.report_on(object, pointer, message);
        }
    }
}
