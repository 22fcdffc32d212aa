use std::collections::HashMap;

use kubepci_model::Scope;

use crate::rules::prelude::*;

const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects an object with these
/// labels. An empty selector selects everything.
fn selects(selector: &Node, labels: &dyn Fn(&str) -> Option<String>) -> bool {
    let match_labels = selector
        .get("matchLabels")
        .map(Node::entries)
        .unwrap_or_default();
    let labels_ok = match_labels
        .iter()
        .all(|e| labels(&e.key).as_deref() == e.value.as_str());
    let expressions = selector
        .get("matchExpressions")
        .map(Node::items)
        .unwrap_or_default();
    labels_ok
        && expressions.iter().all(|x| {
            let key = x.get("key").and_then(Node::as_str).unwrap_or_default();
            let values: Vec<&str> = x
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let have = labels(key);
            match x.get("operator").and_then(Node::as_str) {
                Some("In") => have.is_some_and(|v| values.contains(&v.as_str())),
                Some("NotIn") => have.is_none_or(|v| !values.contains(&v.as_str())),
                Some("Exists") => have.is_some(),
                Some("DoesNotExist") => have.is_none(),
                _ => false,
            }
        })
}

/// Whether every rule of a route only redirects to HTTPS (the usual job of a port-80 listener).
fn redirects_to_https_only(route: &Object) -> bool {
    let rules = route
        .root
        .path(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or_default();
    !rules.is_empty()
        && rules.iter().all(|rule| {
            rule.get("backendRefs").is_none_or(|b| b.items().is_empty())
                && rule
                    .get("filters")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .any(|f| {
                        f.get("type").and_then(Node::as_str) == Some("RequestRedirect")
                            && f.path(&["requestRedirect", "scheme"])
                                .and_then(Node::as_str)
                                == Some("https")
                    })
        })
}

/// Whether a route lives in, or sends traffic to, a CDE namespace.
fn is_cde_route(route: &Object, scope_of: &dyn Fn(&str) -> Scope) -> bool {
    let ns = route.namespace().unwrap_or_default();
    scope_of(ns).is_cde()
        || route
            .root
            .path(&["spec", "rules"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .flat_map(|r| r.get("backendRefs").map(Node::items).unwrap_or_default())
            .any(|b| scope_of(b.get("namespace").and_then(Node::as_str).unwrap_or(ns)).is_cde())
}

declare_rule! {
    /// ## What it does
    /// Flags Gateway API `Gateway` listeners that carry routes into the CDE without TLS: a
    /// listener with `protocol: HTTP`, or `HTTPS` without `tls.certificateRefs`, to which an
    /// `HTTPRoute` or `GRPCRoute` attaches (by `parentRefs` name, `sectionName` and `port`,
    /// within the listener's `allowedRoutes` namespaces) whose namespace is `cde` or whose
    /// backends are in a `cde` namespace. Routes that only redirect to HTTPS are fine on a
    /// plain listener.
    ///
    /// ## Why is this bad?
    /// Requests to a CDE service through a plain listener cross the network in clear, with
    /// whatever card data and credentials they carry. PCI DSS 4.2.1 requires strong
    /// cryptography for PAN in transit.
    ///
    /// ## How to fix
    /// Attach CDE routes to an HTTPS listener with `tls.mode: Terminate` and a
    /// `certificateRefs` Secret; keep the HTTP listener for a redirect route only.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata: {name: edge, namespace: payments}
    /// spec:
    ///   gatewayClassName: envoy
    ///   listeners:
    ///     - {name: http, protocol: HTTP, port: 80}
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   parentRefs: [{name: edge}]
    ///   rules:
    ///     - backendRefs: [{name: checkout, port: 8080}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata: {name: edge, namespace: payments}
    /// spec:
    ///   gatewayClassName: envoy
    ///   listeners:
    ///     - name: https
    ///       protocol: HTTPS
    ///       port: 443
    ///       tls:
    ///         mode: Terminate
    ///         certificateRefs: [{name: pay-tls}]
    /// ---
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   parentRefs: [{name: edge, sectionName: https}]
    ///   rules:
    ///     - backendRefs: [{name: checkout, port: 8080}]
    /// ```
    pub(crate) struct GatewayHttpListenerCde {
        id: "KP4012",
        name: "gateway-http-listener-cde",
        summary: "Gateway listener carries CDE routes without TLS",
        severity: High,
        target: Target::Inventory(&["Gateway", "HTTPRoute", "GRPCRoute", "Namespace"]),
        admission: ScanOnly,
        pci: ["4.2.1"],
        tags: [],
    }
}

impl Rule for GatewayHttpListenerCde {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let gateways: Vec<&Object> = inventory
            .of_kind("Gateway")
            .filter(|g| g.group() == GATEWAY_GROUP)
            .collect();
        if gateways.is_empty() {
            return;
        }
        let namespaces: HashMap<&str, &Object> = inventory
            .of_kind("Namespace")
            .map(|n| (n.name(), n))
            .collect();
        let scope_of = |ns: &str| inventory.scope_of_namespace(ns);
        // (gateway namespace, gateway name) → (route, parentRef) pairs.
        let mut attached: HashMap<(&str, &str), Vec<(&Object, &Node)>> = HashMap::new();
        for kind in ["HTTPRoute", "GRPCRoute"] {
            for route in inventory
                .of_kind(kind)
                .filter(|r| r.group() == GATEWAY_GROUP)
            {
                let ns = route.namespace().unwrap_or_default();
                for parent in route
                    .root
                    .path(&["spec", "parentRefs"])
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    let group = parent
                        .get("group")
                        .and_then(Node::as_str)
                        .unwrap_or(GATEWAY_GROUP);
                    let pkind = parent
                        .get("kind")
                        .and_then(Node::as_str)
                        .unwrap_or("Gateway");
                    let Some(name) = parent.get("name").and_then(Node::as_str) else {
                        continue;
                    };
                    if group == GATEWAY_GROUP && pkind == "Gateway" {
                        let pns = parent.get("namespace").and_then(Node::as_str).unwrap_or(ns);
                        attached
                            .entry((pns, name))
                            .or_default()
                            .push((route, parent));
                    }
                }
            }
        }
        for gateway in gateways {
            let gns = gateway.namespace().unwrap_or_default();
            let Some(routes) = attached.get(&(gns, gateway.name())) else {
                continue;
            };
            let listeners = gateway
                .root
                .path(&["spec", "listeners"])
                .map(Node::items)
                .unwrap_or_default();
            for (li, listener) in listeners.iter().enumerate() {
                let protocol = listener
                    .get("protocol")
                    .and_then(Node::as_str)
                    .unwrap_or_default();
                let lname = listener
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or_default();
                let port = listener.get("port").and_then(Node::as_i64);
                let passthrough =
                    listener.path(&["tls", "mode"]).and_then(Node::as_str) == Some("Passthrough");
                let has_certs = listener
                    .path(&["tls", "certificateRefs"])
                    .is_some_and(|c| !c.items().is_empty());
                let problem = match protocol {
                    "HTTP" => "plain HTTP",
                    "HTTPS" if !passthrough && !has_certs => "HTTPS without certificateRefs",
                    _ => continue,
                };
                let allowed = |route_ns: &str| -> bool {
                    let from = listener
                        .path(&["allowedRoutes", "namespaces", "from"])
                        .and_then(Node::as_str)
                        .unwrap_or("Same");
                    match from {
                        "All" => true,
                        "Selector" => {
                            let Some(selector) =
                                listener.path(&["allowedRoutes", "namespaces", "selector"])
                            else {
                                return false;
                            };
                            let labels = |k: &str| -> Option<String> {
                                if k == "kubernetes.io/metadata.name" {
                                    return Some(route_ns.to_owned());
                                }
                                namespaces
                                    .get(route_ns)
                                    .and_then(|n| n.label(k))
                                    .map(str::to_owned)
                            };
                            selects(selector, &labels)
                        }
                        _ => route_ns == gns,
                    }
                };
                let mut offending: Vec<String> = Vec::new();
                for (route, parent) in routes {
                    let section_ok = parent
                        .get("sectionName")
                        .and_then(Node::as_str)
                        .is_none_or(|s| s == lname);
                    let port_ok = parent
                        .get("port")
                        .and_then(Node::as_i64)
                        .is_none_or(|p| Some(p) == port);
                    let route_ns = route.namespace().unwrap_or_default();
                    if !(section_ok && port_ok && allowed(route_ns)) {
                        continue;
                    }
                    if !is_cde_route(route, &scope_of) {
                        continue;
                    }
                    if protocol == "HTTP" && redirects_to_https_only(route) {
                        continue;
                    }
                    let id = format!("{}", route.id);
                    if !offending.contains(&id) {
                        offending.push(id);
                    }
                }
                if !offending.is_empty() {
                    cx.report_on(
                        gateway,
                        JsonPointer::root()
                            .key("spec")
                            .key("listeners")
                            .index(li)
                            .key("protocol"),
                        format!(
                            "listener `{lname}` carries CDE traffic over {problem}: {}",
                            offending.join(", ")
                        ),
                    );
                }
            }
        }
    }
}
