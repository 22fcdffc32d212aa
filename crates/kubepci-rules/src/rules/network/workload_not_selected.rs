use kubepci_netpol::Direction;

use super::network;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags workloads in in-scope namespaces whose pods no NetworkPolicy (or equivalent
    /// Cilium/Calico default-deny) selects, in either direction. The label selectors are
    /// evaluated against the pod template's labels. Namespaces where CNI-specific policies
    /// kubepci does not evaluate may select pods are left alone; host-network pods are
    /// flagged by `host-network` instead.
    ///
    /// ## Why is this bad?
    /// An unselected pod is not isolated: it accepts connections from every pod in the
    /// cluster and may open connections anywhere. Every in-scope system component must sit
    /// behind the network security controls of PCI DSS 1.3.1 and 1.3.2.
    ///
    /// ## How to fix
    /// Add a default-deny policy to the namespace (`podSelector: {}`) or a policy whose
    /// `podSelector` matches the workload's pod labels.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: web, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    pub(crate) struct WorkloadNotSelected {
        id: "KP2003",
        name: "workload-not-selected-by-network-policy",
        summary: "No NetworkPolicy selects the workload's pods",
        severity: Medium,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: Namespace,
        pci: ["1.3.1", "1.3.2", "1.2.5"],
        tags: [],
    }
}

impl Rule for WorkloadNotSelected {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let net = network(cx);
        for (w, workload) in net.workloads.iter().enumerate() {
            let ns = &net.namespaces[workload.namespace];
            if !ns.scope.in_scope() || ns.other_policies_may_select || workload.host_network {
                continue;
            }
            if Direction::BOTH
                .iter()
                .any(|d| !net.selecting(w, *d).is_empty())
            {
                continue;
            }
            cx.report_on(
                workload.object,
                workload.template.metadata_pointer.key("labels"),
                format!(
                    "no NetworkPolicy in namespace `{}` selects the pods of {} `{}`: they accept and open any connection",
                    ns.name,
                    workload.object.kind(),
                    workload.object.name()
                ),
            );
        }
    }
}
