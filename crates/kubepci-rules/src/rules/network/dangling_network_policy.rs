use super::{network, network_policies};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags NetworkPolicies whose `podSelector` matches none of the workloads the input has
    /// in their namespace (policies selecting every pod, and namespaces without workloads in
    /// the input, are left alone).
    ///
    /// ## Why is this bad?
    /// A policy that selects nothing protects nothing, while reviewers believe the workload
    /// it was written for is isolated. Usually the workload's labels changed. PCI DSS 1.2.7
    /// expects network security control configurations to be reviewed and still effective;
    /// 1.2.8 expects them consistent with what runs.
    ///
    /// ## How to fix
    /// Fix the selector to match the workload's pod labels, or delete the stale policy.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app.kubernetes.io/name: api}}
    /// ```
    pub(crate) struct DanglingNetworkPolicy {
        id: "KP2007",
        name: "dangling-network-policy",
        summary: "NetworkPolicy selects no workload",
        severity: Low,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: ScanOnly,
        pci: ["1.2.7", "1.2.8"],
        tags: [],
    }
}

impl Rule for DanglingNetworkPolicy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let net = network(cx);
        let mut found = Vec::new();
        for policy in network_policies(&net, |_| true) {
            let workloads = net.workloads_in(policy.namespace);
            if policy.pod_selector.is_empty() || workloads.is_empty() {
                continue;
            }
            if workloads
                .iter()
                .any(|&w| policy.pod_selector.matches(&net.workloads[w].labels))
            {
                continue;
            }
            found.push((
                policy.object,
                format!(
                    "podSelector matches none of the {} workload(s) in namespace `{}`: the policy isolates nothing",
                    workloads.len(),
                    net.namespaces[policy.namespace].name
                ),
            ));
        }
        for (object, message) in found {
            cx.report_on(
                object,
                JsonPointer::root().key("spec").key("podSelector"),
                message,
            );
        }
    }
}
