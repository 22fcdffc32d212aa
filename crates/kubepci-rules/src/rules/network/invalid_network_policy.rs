use super::network;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags NetworkPolicies the API server would reject: a peer with no selector, an
    /// `ipBlock` combined with a selector or with an `except` outside its CIDR, an `endPort`
    /// with a named or missing port, an unknown protocol or policy type, a malformed label
    /// selector, a port name that is not a valid IANA service name (`"80"` quoted).
    ///
    /// ## Why is this bad?
    /// A policy that is rejected is never applied: the flows it was meant to restrict stay
    /// open while the repository claims otherwise. PCI DSS 1.2.8 requires network security
    /// control configurations to be consistent with the active configuration; 1.2.1 requires
    /// rulesets to be applied.
    ///
    /// ## How to fix
    /// Correct the field named in the finding (`kubectl apply --dry-run=server` shows the
    /// API server's message).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - ports: [{port: "8443"}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - ports: [{port: 8443}]
    /// ```
    pub(crate) struct InvalidNetworkPolicy {
        id: "KP2012",
        name: "invalid-network-policy",
        summary: "NetworkPolicy would be rejected by the API server",
        severity: Medium,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: Namespace,
        pci: ["1.2.8", "1.2.1"],
        tags: [],
    }
}

impl Rule for InvalidNetworkPolicy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let net = network(cx);
        for invalid in &net.invalid_policies {
            cx.report_on(
                invalid.object,
                invalid.pointer.clone(),
                format!(
                    "the API server would reject this NetworkPolicy, so it has no effect: {}",
                    invalid.reason
                ),
            );
        }
    }
}
