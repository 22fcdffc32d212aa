use super::flag_pod_bool;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags pods (and workload templates) that set `hostNetwork: true`.
    ///
    /// ## Why is this bad?
    /// A pod on the host network bypasses NetworkPolicy: it listens on the node's interfaces
    /// and talks from the node's address, so the firewall PCI DSS 1.3.1 and 1.4.1 require
    /// between the CDE and everything else does not see it. It also reaches node-local
    /// services (the kubelet, metadata endpoints) that pods should not.
    ///
    /// ## How to fix
    /// Remove `hostNetwork` or set it to `false`, and expose the workload through a Service.
    /// CNI and node agents that need the host network run outside the CDE under a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: proxy, namespace: shop}
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///     - {name: proxy, image: registry.example.com/proxy:3.1.0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: proxy, namespace: shop}
    /// spec:
    ///   containers:
    ///     - {name: proxy, image: registry.example.com/proxy:3.1.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Host Namespaces
    pub(crate) struct HostNetwork {
        id: "KP1004",
        name: "host-network",
        summary: "Pod uses the host network",
        severity: High,
        target: Target::PodTemplates,
        pci: ["1.3.1", "1.4.1", "2.2.6"],
        tags: [PssBaseline],
    }
}

impl Rule for HostNetwork {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        flag_pod_bool(
            pod,
            cx,
            "hostNetwork",
            "pod sets hostNetwork: true and bypasses NetworkPolicy",
        );
    }
}
