use kubepci_netpol::Direction;

use super::check_allow_all;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags NetworkPolicy egress rules in in-scope namespaces that let the selected pods
    /// connect anywhere: a rule without `to` (unless it only opens port 53, DNS), an `ipBlock`
    /// of `0.0.0.0/0` or `::/0` without `except` (unless `segmentation.allowedEgressCidrs`
    /// covers it), or a `namespaceSelector: {}` without a pod selector.
    ///
    /// ## Why is this bad?
    /// An allow-all egress rule turns a compromised pod into a launch point for lateral
    /// movement and data exfiltration. PCI DSS 1.3.2 requires outbound traffic from the CDE to
    /// be restricted to what is necessary.
    ///
    /// ## How to fix
    /// List the destinations: pods and namespaces by selector, external services by CIDR
    /// (configure approved ones such as the payment processor in
    /// `segmentation.allowedEgressCidrs`), or route egress through an egress gateway.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   policyTypes: [Egress]
    ///   egress:
    ///     - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   policyTypes: [Egress]
    ///   egress:
    ///     - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
    ///       ports: [{port: 443}]
    ///     - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    /// ```
    pub(crate) struct AllowAllEgress {
        id: "KP2005",
        name: "network-policy-allows-all-egress",
        summary: "NetworkPolicy lets pods connect anywhere",
        severity: High,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: Namespace,
        pci: ["1.3.2"],
        tags: [],
    }
}

impl Rule for AllowAllEgress {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        check_allow_all(cx, Direction::Egress);
    }
}
