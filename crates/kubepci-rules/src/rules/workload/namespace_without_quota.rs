use crate::rules::prelude::*;
use crate::support::cluster::is_cluster;

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster, flags in-scope Namespace objects (exempt
    /// namespaces excepted) that have no ResourceQuota or no LimitRange.
    ///
    /// ## Why is this bad?
    /// A ResourceQuota caps what a namespace can consume (CPU, memory, object counts), a
    /// LimitRange gives its containers defaults and bounds. Without them one tenant, or one
    /// runaway deployment, can starve the nodes the CDE shares. PCI DSS A1.1.3 requires each
    /// tenant to be limited to the resources allocated to it.
    ///
    /// ## How to fix
    /// Create a ResourceQuota and a LimitRange in every namespace, e.g. from the namespace
    /// template of your platform.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ---
    /// apiVersion: v1
    /// kind: ResourceQuota
    /// metadata: {name: quota, namespace: shop}
    /// spec:
    ///   hard: {requests.cpu: "8", requests.memory: 16Gi, limits.memory: 16Gi, pods: "50"}
    /// ---
    /// apiVersion: v1
    /// kind: LimitRange
    /// metadata: {name: defaults, namespace: shop}
    /// spec:
    ///   limits:
    ///     - type: Container
    ///       default: {memory: 256Mi}
    ///       defaultRequest: {cpu: 100m, memory: 256Mi}
    /// ```
    pub(crate) struct NamespaceWithoutQuota {
        id: "KP1203",
        name: "namespace-without-quota",
        summary: "Namespace without a ResourceQuota or LimitRange",
        severity: Low,
        target: Target::Inventory(&[
            "Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob", "ResourceQuota", "LimitRange",
        ]),
        admission: ScanOnly,
        pci: ["A1.1.3"],
        tags: [],
    }
}

impl Rule for NamespaceWithoutQuota {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        if !is_cluster(inventory, cx.settings) {
            return;
        }
        for namespace in inventory.of_kind("Namespace") {
            let name = namespace.name();
            if namespace.api_version() != "v1"
                || cx.settings.is_exempt_namespace(name)
                || !inventory.scope_of_namespace(name).in_scope()
            {
                continue;
            }
            let has = |kind: &str| inventory.of_kind(kind).any(|o| o.namespace() == Some(name));
            let missing: Vec<&str> = ["ResourceQuota", "LimitRange"]
                .into_iter()
                .filter(|k| !has(k))
                .collect();
            if !missing.is_empty() {
                cx.report_on(
                    namespace,
                    JsonPointer::root().key("metadata"),
                    format!("namespace has no {}", missing.join(" and no ")),
                );
            }
        }
    }
}
