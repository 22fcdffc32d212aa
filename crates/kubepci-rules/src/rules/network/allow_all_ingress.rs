use kubepci_netpol::Direction;

use super::check_allow_all;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags NetworkPolicy ingress rules in in-scope namespaces (except DMZ zones) that admit
    /// everyone: a rule without `from` (or with `from: []`), an `ipBlock` of `0.0.0.0/0` or
    /// `::/0` without `except`, or a `namespaceSelector: {}` without a pod selector (every pod
    /// of every namespace).
    ///
    /// ## Why is this bad?
    /// Such a rule undoes the default-deny for the pods it selects: any pod of the cluster,
    /// in or out of scope, and any address the network routes can connect. PCI DSS 1.3.1
    /// requires inbound traffic to the CDE to be limited to what is necessary; 1.4.2 limits
    /// inbound traffic from untrusted networks.
    ///
    /// ## How to fix
    /// Name the sources: a `podSelector` for the same namespace, a `namespaceSelector` on
    /// `kubernetes.io/metadata.name` plus a `podSelector` for other namespaces, or the
    /// specific CIDRs of external clients.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: metrics, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - from: [{namespaceSelector: {}}]
    ///       ports: [{port: 9090}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: metrics, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - from:
    ///         - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
    ///           podSelector: {matchLabels: {app: prometheus}}
    ///       ports: [{port: 9090}]
    /// ```
    pub(crate) struct AllowAllIngress {
        id: "KP2004",
        name: "network-policy-allows-all-ingress",
        summary: "NetworkPolicy admits connections from everyone",
        severity: High,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: Namespace,
        pci: ["1.3.1", "1.4.2"],
        tags: [],
    }
}

impl Rule for AllowAllIngress {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        check_allow_all(cx, Direction::Ingress);
    }
}
