//! When the input is a whole cluster, and which object findings about the cluster as a whole
//! (a missing platform control) are reported on.
//!
//! The heuristic (setting `platform.clusterInput: auto`): the input is a whole cluster when it
//! holds at least one Node object (a snapshot, `kubectl get nodes,… -o json`), or a
//! `kube-system` Namespace object together with at least one workload declared in
//! `kube-system` (a dump of every namespace). Rendered application manifests have neither.
//! `always` and `never` override it.

use kubepci_k8s::{Inventory, Object, POD_TEMPLATE_KINDS};

use crate::Settings;
use crate::settings::ClusterInput;

/// The kinds a rule that calls [`cluster_anchor`] must read (besides its own).
pub(crate) const CLUSTER_KINDS: &[&str] = &["Node", "Namespace"];

/// The object findings about the whole cluster are reported on, when the input is a whole
/// cluster: the `kube-system` Namespace object if present, else the first Node, else (with
/// `clusterInput: always`) the first Namespace. `None` when the input is not a whole cluster.
pub(crate) fn cluster_anchor<'a>(
    inventory: &'a Inventory,
    settings: &Settings,
) -> Option<&'a Object> {
    let kube_system = inventory
        .of_kind("Namespace")
        .find(|n| n.name() == "kube-system" && n.api_version() == "v1");
    let first_node = inventory.of_kind("Node").next();
    match settings.platform.cluster_input {
        ClusterInput::Never => None,
        ClusterInput::Always => kube_system
            .or(first_node)
            .or_else(|| inventory.of_kind("Namespace").next()),
        ClusterInput::Auto => {
            if first_node.is_some() {
                return kube_system.or(first_node);
            }
            let system_workloads = POD_TEMPLATE_KINDS.iter().any(|kind| {
                inventory
                    .of_kind(kind)
                    .any(|o| o.namespace() == Some("kube-system") && !o.namespace_assumed)
            });
            kube_system.filter(|_| system_workloads)
        }
    }
}

/// Every Node object of the input.
pub(crate) fn nodes(inventory: &Inventory) -> Vec<&Object> {
    inventory.of_kind("Node").collect()
}
