use super::check_default_deny;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags in-scope namespaces (`cde`, `connected`, or unscoped with workloads) where no
    /// policy isolates every pod for egress: no NetworkPolicy with `podSelector: {}` and
    /// `Egress` in its `policyTypes`, and no equivalent Cilium or Calico policy.
    ///
    /// ## Why is this bad?
    /// A pod no egress policy selects may open connections to anything: other namespaces,
    /// cloud metadata endpoints, the internet. A compromised CDE workload can then exfiltrate
    /// card data or move laterally. PCI DSS 1.3.2 requires outbound traffic from the CDE to be
    /// restricted to what is necessary and everything else denied.
    ///
    /// ## How to fix
    /// Add a default-deny egress policy (together with ingress, usually), then allow DNS and
    /// the destinations each workload needs.
    ///
    /// ## Example
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
    /// - Kubernetes documentation, Network Policies: default deny all egress traffic
    pub(crate) struct DefaultDenyEgress {
        id: "KP2002",
        name: "namespace-without-default-deny-egress",
        summary: "Namespace has no default-deny egress policy",
        severity: High,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: ScanOnly,
        pci: ["1.3.2", "1.4.1"],
        tags: [],
    }
}

impl Rule for DefaultDenyEgress {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        check_default_deny(cx, kubepci_netpol::Direction::Egress);
    }
}
