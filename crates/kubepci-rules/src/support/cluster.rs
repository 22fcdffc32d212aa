//! When the input is a whole cluster, and which object findings about the cluster as a whole
//! (a missing platform control) are reported on.
//!
//! The heuristic (setting `platform.clusterInput: auto`): the input is a whole cluster when it
//! holds objects as the API server returns them, with their `status`: a Node with a `status`
//! (a snapshot, `kubectl get nodes,… -o yaml`), or the `kube-system` Namespace with a
//! `status` together with at least one workload declared in `kube-system` (a dump of every
//! namespace). Rendered manifests have no status (test data with a bare `kind: Node` does not
//! make a cluster). `always` and `never` override it.

use kubepci_k8s::{Inventory, Object, POD_TEMPLATE_KINDS};

use crate::Settings;
use crate::settings::ClusterInput;

/// The kinds [`cluster_anchor`] reads: a rule that calls it lists them all among its kinds.
pub(crate) const CLUSTER_KINDS: &[&str] = &[
    "Node",
    "Namespace",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// [`CLUSTER_KINDS`] and the webhook configurations.
pub(crate) const CLUSTER_KINDS_WITH_WEBHOOKS: &[&str] = &[
    "Node",
    "Namespace",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// Whether an object carries a `status` mapping (it came from the API server).
fn has_status(object: &Object) -> bool {
    object.root.get("status").is_some_and(|s| s.is_map())
}

/// The object findings about the whole cluster are reported on, when the input is a whole
/// cluster: the first Node (a cluster-scoped object), else the `kube-system` Namespace, else
/// (with `clusterInput: always`) the first Namespace. `None` when the input is not a whole
/// cluster.
pub(crate) fn cluster_anchor<'a>(
    inventory: &'a Inventory,
    settings: &Settings,
) -> Option<&'a Object> {
    let kube_system = inventory
        .of_kind("Namespace")
        .find(|n| n.name() == "kube-system" && n.api_version() == "v1");
    match settings.platform.cluster_input {
        ClusterInput::Never => None,
        ClusterInput::Always => inventory
            .of_kind("Node")
            .next()
            .or(kube_system)
            .or_else(|| inventory.of_kind("Namespace").next()),
        ClusterInput::Auto => {
            if let Some(node) = inventory.of_kind("Node").find(|n| has_status(n)) {
                return Some(node);
            }
            let system_workloads = POD_TEMPLATE_KINDS.iter().any(|kind| {
                inventory
                    .of_kind(kind)
                    .any(|o| o.namespace() == Some("kube-system") && !o.namespace_assumed)
            });
            kube_system.filter(|ns| has_status(ns) && system_workloads)
        }
    }
}

/// Whether the input is a whole cluster.
pub(crate) fn is_cluster(inventory: &Inventory, settings: &Settings) -> bool {
    cluster_anchor(inventory, settings).is_some()
}

/// Pointer findings on the anchor use.
pub(crate) fn anchor_pointer() -> kubepci_model::JsonPointer {
    kubepci_model::JsonPointer::root().key("metadata")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_k8s::{KindFilter, load};
    use std::collections::BTreeMap;

    fn anchor(text: &str, input: ClusterInput) -> Option<String> {
        let objects = load("t.yaml", text.as_bytes(), &KindFilter::All, None).objects;
        let inventory = Inventory::new(objects, &BTreeMap::new());
        let mut settings = Settings::default();
        settings.platform.cluster_input = input;
        cluster_anchor(&inventory, &settings).map(|o| o.id.to_string())
    }

    const NODE: &str = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {nodeInfo: {kubeletVersion: v1.33.1}}\n";
    const BARE_NODE: &str = "apiVersion: v1\nkind: Node\nmetadata: {name: test-node}\n";
    const KUBE_SYSTEM: &str =
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\nstatus: {phase: Active}\n";
    const PROXY: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kube-proxy, namespace: kube-system}\nspec: {template: {spec: {containers: []}}}\n";

    #[test]
    fn whole_cluster_heuristic() {
        assert_eq!(anchor(NODE, ClusterInput::Auto).as_deref(), Some("Node n1"));
        let with_ns = format!("{KUBE_SYSTEM}---\n{NODE}");
        assert_eq!(
            anchor(&with_ns, ClusterInput::Auto).as_deref(),
            Some("Node n1")
        );
        // A kube-system workload alone (a chart installing into kube-system) is not a cluster.
        assert_eq!(anchor(PROXY, ClusterInput::Auto), None);
        let dump = format!("{KUBE_SYSTEM}---\n{PROXY}");
        assert_eq!(
            anchor(&dump, ClusterInput::Auto).as_deref(),
            Some("Namespace kube-system")
        );
        assert_eq!(anchor(NODE, ClusterInput::Never), None);
        assert_eq!(
            anchor(BARE_NODE, ClusterInput::Auto),
            None,
            "test data, not a cluster"
        );
        let declared = format!(
            "{}---\n{PROXY}",
            KUBE_SYSTEM.replace("status: {phase: Active}\n", "")
        );
        assert_eq!(
            anchor(&declared, ClusterInput::Auto),
            None,
            "a manifest declaring kube-system"
        );
        assert_eq!(anchor(KUBE_SYSTEM, ClusterInput::Auto), None);
        assert_eq!(
            anchor(KUBE_SYSTEM, ClusterInput::Always).as_deref(),
            Some("Namespace kube-system")
        );
    }
}
