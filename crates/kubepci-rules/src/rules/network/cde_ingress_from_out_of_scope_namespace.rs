use kubepci_model::Scope;
use kubepci_netpol::{Direction, Peer};

use super::{network, network_policies};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags ingress peers of NetworkPolicies in `cde` namespaces whose `namespaceSelector`
    /// matches an `out-of-scope` namespace of the input (DMZ zones excepted), or matches
    /// namespaces that carry none of its labels (a selector made only of `NotIn` and
    /// `DoesNotExist`, or an empty one combined with a pod selector): those also match
    /// namespaces the input does not show.
    ///
    /// ## Why is this bad?
    /// Traffic into the CDE may only come from `cde` and `connected` namespaces or a declared
    /// DMZ. A selector that reaches out-of-scope namespaces connects them to the CDE, which
    /// brings them into PCI scope and breaks the segmentation the assessment relies on (PCI
    /// DSS 1.3.1, 1.2.5).
    ///
    /// ## How to fix
    /// Select the allowed namespaces by name (`kubernetes.io/metadata.name`) or by
    /// `kubepci.io/scope`, and the allowed pods with a `podSelector` in the same peer.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop, labels: {kubepci.io/scope: out-of-scope, team: web}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector: {matchLabels: {team: web}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: edge}}
    ///           podSelector: {matchLabels: {app: gateway}}
    /// ```
    pub(crate) struct CdeIngressFromOutOfScopeNamespace {
        id: "KP2006",
        name: "cde-ingress-from-out-of-scope-namespace",
        summary: "CDE NetworkPolicy admits pods from out-of-scope namespaces",
        severity: High,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: Namespace,
        pci: ["1.3.1", "1.2.5"],
        tags: [],
    }
}

impl Rule for CdeIngressFromOutOfScopeNamespace {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let net = network(cx);
        let options = &cx.settings.segmentation.network;
        let mut found = Vec::new();
        for policy in network_policies(&net, |ns| ns.scope.is_cde()) {
            for rule in policy.rules(Direction::Ingress).unwrap_or_default() {
                for peer in rule.peers.as_deref().unwrap_or_default() {
                    let Peer::Selector {
                        pods,
                        namespaces: Some(selector),
                        pointer,
                    } = peer
                    else {
                        continue;
                    };
                    let pods_unrestricted = pods.as_ref().is_none_or(|p| p.is_empty());
                    if selector.is_empty() && pods_unrestricted {
                        continue; // every pod of every namespace: network-policy-allows-all-ingress
                    }
                    let out_of_scope: Vec<&str> = net
                        .namespaces
                        .iter()
                        .filter(|ns| {
                            ns.scope == Scope::OutOfScope
                                && !ns.is_dmz(options)
                                && selector.matches(&ns.labels)
                        })
                        .map(|ns| ns.name.as_str())
                        .collect();
                    let message = if !out_of_scope.is_empty() {
                        format!(
                            "namespaceSelector admits pods from out-of-scope namespace(s) {}",
                            out_of_scope
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    } else if !selector.requires_a_label() {
                        "namespaceSelector requires no label, so it also admits namespaces outside the input and any namespace created later".to_owned()
                    } else {
                        continue;
                    };
                    found.push((policy.object, pointer.key("namespaceSelector"), message));
                }
            }
        }
        for (object, pointer, message) in found {
            cx.report_on(object, pointer, message);
        }
    }
}
