use super::check_default_deny;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags in-scope namespaces (`cde`, `connected`, or unscoped with workloads) where no
    /// policy isolates every pod for ingress: no NetworkPolicy with `podSelector: {}` and
    /// `Ingress` in its `policyTypes`, and no equivalent CiliumNetworkPolicy,
    /// CiliumClusterwideNetworkPolicy or Calico (Global)NetworkPolicy.
    ///
    /// ## Why is this bad?
    /// Kubernetes allows every connection to a pod that no NetworkPolicy selects. Without a
    /// namespace-wide default-deny, any new workload (or one whose labels drift from its
    /// policy) is open to the whole cluster. PCI DSS 1.3.1 requires inbound traffic to the CDE
    /// to be restricted to what is necessary and everything else denied.
    ///
    /// ## How to fix
    /// Add a default-deny policy to the namespace, then allow the flows each workload needs
    /// with further policies.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
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
    /// metadata: {name: default-deny, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## References
    /// - Kubernetes documentation, Network Policies: default policies
    pub(crate) struct DefaultDenyIngress {
        id: "KP2001",
        name: "namespace-without-default-deny-ingress",
        summary: "Namespace has no default-deny ingress policy",
        severity: High,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: ScanOnly,
        pci: ["1.3.1", "1.2.1", "1.4.1"],
        tags: [],
    }
}

impl Rule for DefaultDenyIngress {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        check_default_deny(cx, kubepci_netpol::Direction::Ingress);
    }
}
