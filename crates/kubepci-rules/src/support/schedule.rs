//! Scheduling: whether a pod template tolerates a node's taints and selects the node, and
//! which nodes a DaemonSet cannot run on.

use kubepci_k8s::{Object, PodTemplate};
use kubepci_model::Node;

use super::selector::node_matches;

/// Tolerations the DaemonSet controller adds to every DaemonSet pod (`key`, `effect`), so
/// that node conditions never evict node agents.
const DAEMONSET_TOLERATIONS: &[(&str, &str)] = &[
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ("node.kubernetes.io/network-unavailable", "NoSchedule"),
];

/// A node taint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Taint<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: &'a str,
    pub(crate) effect: &'a str,
}

impl std::fmt::Display for Taint<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect)
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect)
        }
    }
}

/// The taints of a Node object that keep pods off it (`NoSchedule`, `NoExecute`).
pub(crate) fn blocking_taints(node: &Object) -> Vec<Taint<'_>> {
    node.root
        .path(&["spec", "taints"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| {
            let effect = t.get("effect").and_then(Node::as_str)?;
            if effect != "NoSchedule" && effect != "NoExecute" {
                return None;
            }
            Some(Taint {
                key: t.get("key").and_then(Node::as_str).unwrap_or_default(),
                value: t.get("value").and_then(Node::as_str).unwrap_or_default(),
                effect,
            })
        })
        .collect()
}

/// Whether one toleration tolerates a taint (Kubernetes semantics: an empty key with
/// `Exists` tolerates everything; an empty effect matches every effect).
pub(crate) fn toleration_matches(toleration: &Node, taint: &Taint<'_>) -> bool {
    let key = toleration
        .get("key")
        .and_then(Node::as_str)
        .unwrap_or_default();
    let effect = toleration
        .get("effect")
        .and_then(Node::as_str)
        .unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    match toleration
        .get("operator")
        .and_then(Node::as_str)
        .unwrap_or("Equal")
    {
        "Exists" => key.is_empty() || key == taint.key,
        "Equal" => {
            let value = toleration
                .get("value")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            !key.is_empty() && key == taint.key && value == taint.value
        }
        _ => false,
    }
}

/// Whether a pod template tolerates a taint; `daemonset` adds the DaemonSet controller's
/// automatic tolerations.
pub(crate) fn tolerates(pod: &PodTemplate<'_>, taint: &Taint<'_>, daemonset: bool) -> bool {
    if daemonset
        && DAEMONSET_TOLERATIONS
            .iter()
            .any(|(k, e)| *k == taint.key && *e == taint.effect)
    {
        return true;
    }
    pod.get(&["tolerations"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|t| toleration_matches(t, taint))
}

/// Whether a node runs Linux pods a node agent must cover: not a Windows node, not a
/// serverless virtual node (virtual-kubelet, EKS Fargate) where DaemonSets never run.
pub(crate) fn is_agent_node(node: &Object) -> bool {
    let os = node
        .label("kubernetes.io/os")
        .or_else(|| node.label("beta.kubernetes.io/os"));
    if os.is_some_and(|os| os != "linux") {
        return false;
    }
    node.label("type") != Some("virtual-kubelet")
        && node.label("eks.amazonaws.com/compute-type") != Some("fargate")
        && node
            .label("kubernetes.azure.com/managed-virtual-node")
            .is_none()
}

/// Why a DaemonSet does not run on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gap<'a> {
    /// The node's name and the first taint the template does not tolerate.
    Taint(&'a str, Taint<'a>),
    /// The node's name: its labels do not satisfy the template's node selector or affinity.
    Selector(&'a str),
}

/// The agent nodes (see [`is_agent_node`]) a DaemonSet's pod template cannot run on.
pub(crate) fn daemonset_gaps<'a>(pod: &PodTemplate<'_>, nodes: &[&'a Object]) -> Vec<Gap<'a>> {
    let mut gaps = Vec::new();
    for node in nodes.iter().copied().filter(|n| is_agent_node(n)) {
        let labels = node.metadata().and_then(|m| m.get("labels"));
        if !node_matches(pod.spec, node.name(), &labels) {
            gaps.push(Gap::Selector(node.name()));
            continue;
        }
        if let Some(taint) = blocking_taints(node)
            .into_iter()
            .find(|t| !tolerates(pod, t, true))
        {
            gaps.push(Gap::Taint(node.name(), taint));
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_k8s::{KindFilter, load};

    fn objects(text: &str) -> Vec<Object> {
        load("t.yaml", text.as_bytes(), &KindFilter::All, None).objects
    }

    #[test]
    fn toleration_semantics() {
        let objs = objects(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  tolerations:\n  - {key: a, operator: Exists}\n  - {key: b, value: x, effect: NoSchedule}\n  containers: []\n",
        );
        let pod = PodTemplate::of(&objs[0]).expect("pod");
        let t = |key, value, effect| Taint { key, value, effect };
        assert!(tolerates(&pod, &t("a", "anything", "NoExecute"), false));
        assert!(tolerates(&pod, &t("b", "x", "NoSchedule"), false));
        assert!(!tolerates(&pod, &t("b", "y", "NoSchedule"), false));
        assert!(!tolerates(&pod, &t("b", "x", "NoExecute"), false));
        assert!(!tolerates(
            &pod,
            &t("node.kubernetes.io/unschedulable", "", "NoSchedule"),
            false
        ));
        assert!(tolerates(
            &pod,
            &t("node.kubernetes.io/unschedulable", "", "NoSchedule"),
            true
        ));
        let all = objects(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  tolerations: [{operator: Exists}]\n",
        );
        let pod = PodTemplate::of(&all[0]).expect("pod");
        assert!(tolerates(&pod, &t("anything", "", "NoSchedule"), false));
    }

    #[test]
    fn daemonset_gaps_skip_windows_and_virtual_nodes() {
        let objs = objects(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  template:\n    spec:\n      nodeSelector: {kubernetes.io/os: linux}\n      containers: []\n---\napiVersion: v1\nkind: Node\nmetadata: {name: cp, labels: {kubernetes.io/os: linux}}\nspec:\n  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}, {key: soft, effect: PreferNoSchedule}]\n---\napiVersion: v1\nkind: Node\nmetadata: {name: win, labels: {kubernetes.io/os: windows}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: fargate, labels: {eks.amazonaws.com/compute-type: fargate}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: w1}\n",
        );
        let pod = PodTemplate::of(&objs[0]).expect("ds");
        let nodes: Vec<&Object> = objs[1..].iter().collect();
        let gaps = daemonset_gaps(&pod, &nodes);
        assert_eq!(gaps.len(), 2, "{gaps:?}");
        assert!(matches!(gaps[0], Gap::Taint("cp", _)));
        assert_eq!(gaps[1], Gap::Selector("w1"), "no os label: selector unmet");
    }
}
