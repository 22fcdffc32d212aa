use std::collections::HashMap;

use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// In a cluster snapshot (Pods with `spec.nodeName` and the Node objects), flags pods
    /// that run on a node of another security level than their own: a pod of level A on a
    /// node labelled B, a pod without a level on a node with one, or a pod with a level on a
    /// node without one. Pods of DaemonSets and static (mirror) pods are node agents and are
    /// not checked.
    ///
    /// ## Why is this bad?
    /// PCI DSS 2.2.3 requires functions of different security levels to be isolated; sharing
    /// a kernel is the opposite. This checks the outcome of pinning and taints on the nodes
    /// as they are.
    ///
    /// ## How to fix
    /// Fix the pinning or tolerations of the pod (see the other security-level rules) and
    /// reschedule it; taint the node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: node-cde-1, labels: {kubepci.io/security-level: cde-high}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: batch-x7k2p, namespace: reporting}
    /// spec:
    ///   nodeName: node-cde-1
    ///   containers: [{name: batch, image: registry.example.com/batch:1.0.0}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: node-cde-1, labels: {kubepci.io/security-level: cde-high}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api-5c8d9-q2w7x
    ///   namespace: payments
    ///   labels: {kubepci.io/security-level: cde-high}
    /// spec:
    ///   nodeName: node-cde-1
    ///   containers: [{name: api, image: registry.example.com/api:2.0.1}]
    /// ```
    pub(crate) struct LevelsShareNode {
        id: "KP2106",
        name: "security-levels-share-node",
        summary: "Pods of different security levels share a node",
        severity: High,
        target: Target::Inventory(&["Node", "Pod"]),
        admission: ScanOnly,
        pci: ["2.2.3"],
        tags: [],
    }
}

impl Rule for LevelsShareNode {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let label = cx.settings.segmentation.security_level_label.as_str();
        let nodes: HashMap<&str, Option<&str>> = cx
            .inventory
            .of_kind("Node")
            .map(|n| (n.name(), n.label(label).filter(|l| !l.is_empty())))
            .collect();
        let mut found = Vec::new();
        for pod in cx.inventory.of_kind("Pod") {
            let Some(node) = pod.root.path(&["spec", "nodeName"]).and_then(Node::as_str) else {
                continue;
            };
            let Some(node_level) = nodes.get(node).copied() else {
                continue;
            };
            let agent = pod.annotation("kubernetes.io/config.mirror").is_some()
                || pod
                    .metadata()
                    .and_then(|m| m.get("ownerReferences"))
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .any(|r| r.get("kind").and_then(Node::as_str) == Some("DaemonSet"));
            if agent {
                continue;
            }
            let pod_level = pod.label(label).filter(|l| !l.is_empty());
            if pod_level == node_level {
                continue;
            }
            let describe = |l: Option<&str>| {
                l.map_or_else(
                    || "no security level".to_owned(),
                    |l| format!("security level `{l}`"),
                )
            };
            found.push((
                pod,
                format!(
                    "pod of {} runs on node `{node}` of {}",
                    describe(pod_level),
                    describe(node_level)
                ),
            ));
        }
        for (pod, message) in found {
            cx.report_on(
                pod,
                JsonPointer::root().key("spec").key("nodeName"),
                message,
            );
        }
    }
}
