use std::collections::HashMap;

use kubepci_k8s::ContainerKind;

use crate::rules::prelude::*;
use crate::support::workloads::Workloads;

declare_rule! {
    /// ## What it does
    /// Flags containers and init containers of in-scope workloads (exempt namespaces
    /// excepted) that set no CPU request, memory request or memory limit, unless a LimitRange
    /// of the namespace in the input supplies a default (`defaultRequest` or `default` for
    /// type `Container`). A request defaults to the limit when only the limit is set. CPU
    /// limits are not required: they throttle without protecting neighbours.
    ///
    /// ## Why is this bad?
    /// Without requests the scheduler packs pods blindly; without a memory limit one
    /// container can exhaust a node's memory and get its neighbours, CDE workloads included,
    /// evicted or killed. PCI DSS A1.1.3 requires that each tenant can only use the
    /// resources allocated to it, and 2.2.6 that system parameters prevent misuse.
    ///
    /// ## How to fix
    /// Set `resources.requests.cpu`, `resources.requests.memory` and
    /// `resources.limits.memory` on every container, or give the namespace a LimitRange with
    /// defaults.
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
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:2.4.1
    ///           resources:
    ///             requests: {cpu: 100m}
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
    ///         - name: api
    ///           image: registry.example.com/api:2.4.1
    ///           resources:
    ///             requests: {cpu: 100m, memory: 256Mi}
    ///             limits: {memory: 256Mi}
    /// ```
    pub(crate) struct ResourcesMissing {
        id: "KP1202",
        name: "resources-missing",
        summary: "Container without CPU and memory requests or a memory limit",
        severity: Low,
        target: Target::Inventory(&[
            "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob", "LimitRange",
        ]),
        admission: Namespace,
        pci: ["A1.1.3", "2.2.6"],
        tags: [],
    }
}

/// The defaults the LimitRanges of each namespace give containers: namespace →
/// `(section, resource)` pairs.
fn limit_range_defaults(
    inventory: &kubepci_k8s::Inventory,
) -> HashMap<&str, Vec<(&'static str, &str)>> {
    let mut defaults: HashMap<&str, Vec<(&'static str, &str)>> = HashMap::new();
    for range in inventory.of_kind("LimitRange") {
        let Some(namespace) = range.namespace() else {
            continue;
        };
        for limit in range
            .root
            .path(&["spec", "limits"])
            .map(Node::items)
            .unwrap_or_default()
        {
            if limit.get("type").and_then(Node::as_str) != Some("Container") {
                continue;
            }
            for section in ["default", "defaultRequest"] {
                for entry in limit.get(section).map(Node::entries).unwrap_or_default() {
                    defaults
                        .entry(namespace)
                        .or_default()
                        .push((section, &*entry.key));
                }
            }
        }
    }
    defaults
}

impl Rule for ResourcesMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let workloads = Workloads::of(inventory);
        let all_defaults = limit_range_defaults(inventory);
        for &i in &workloads.top {
            let object = &inventory.objects()[i];
            let Some(ns) = object.namespace() else {
                continue;
            };
            if cx.settings.is_exempt_namespace(ns) || !inventory.scope_of(object).in_scope() {
                continue;
            }
            let Some(pod) = PodTemplate::of(object) else {
                continue;
            };
            let defaults = all_defaults.get(ns).map(Vec::as_slice).unwrap_or_default();
            let has_default = |section: &str, resource: &str| {
                defaults
                    .iter()
                    .any(|(s, r)| *s == section && *r == resource)
            };
            for container in pod
                .containers()
                .filter(|c| c.kind != ContainerKind::Ephemeral)
            {
                let set = |section: &str, resource: &str| {
                    container
                        .get(&["resources", section, resource])
                        .is_some_and(|v| !v.is_null())
                };
                let request = |resource: &str| {
                    set("requests", resource)
                        || set("limits", resource)
                        || has_default("defaultRequest", resource)
                        || has_default("default", resource)
                };
                let mut missing = Vec::new();
                if !request("cpu") {
                    missing.push("requests.cpu");
                }
                if !request("memory") {
                    missing.push("requests.memory");
                }
                if !set("limits", "memory") && !has_default("default", "memory") {
                    missing.push("limits.memory");
                }
                if !missing.is_empty() {
                    cx.report_on(
                        object,
                        container.pointer_to(&["resources"]),
                        format!("{} sets no {}", container.describe(), missing.join(", ")),
                    );
                }
            }
        }
    }
}
