use super::flag_pod_bool;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags pods (and workload templates) that set `hostIPC: true`.
    ///
    /// ## Why is this bad?
    /// The pod shares the host's System V IPC and POSIX shared memory: the container can read and tamper with shared-memory segments of every process on the node. Node-level isolation is what keeps a CDE workload apart from
    /// everything else on the node (PCI DSS 2.2.6, 2.2.3).
    ///
    /// ## How to fix
    /// Remove `hostIPC` or set it to `false`. Debugging and monitoring agents that need the
    /// shared memory of the node belong outside the CDE, under a waiver.
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
    ///       hostIPC: true
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
    pub(crate) struct HostIpc {
        id: "KP1003",
        name: "host-ipc",
        summary: "Pod shares the host's IPC namespace",
        severity: High,
        target: Target::PodTemplates,
        pci: ["2.2.6", "2.2.3"],
        tags: [PssBaseline],
    }
}

impl Rule for HostIpc {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        flag_pod_bool(pod, cx, "hostIPC", "pod sets hostIPC: true");
    }
}
