use super::flag_pod_bool;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags pods (and workload templates) that set `hostPID: true`.
    ///
    /// ## Why is this bad?
    /// The pod shares the host's process IDs: the container can see, signal and ptrace every process of the node, including other tenants' and the kubelet's. Node-level isolation is what keeps a CDE workload apart from
    /// everything else on the node (PCI DSS 2.2.6, 2.2.3).
    ///
    /// ## How to fix
    /// Remove `hostPID` or set it to `false`. Debugging and monitoring agents that need the
    /// processes of the node belong outside the CDE, under a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       hostPID: true
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Host Namespaces
    pub(crate) struct HostPid {
        id: "KP1002",
        name: "host-pid",
        summary: "Pod shares the host's process namespace",
        severity: High,
        target: Target::PodTemplates,
        pci: ["2.2.6", "2.2.3"],
        tags: [PssBaseline],
    }
}

impl Rule for HostPid {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        flag_pod_bool(pod, cx, "hostPID", "pod sets hostPID: true");
    }
}
