use std::collections::BTreeSet;

use super::{Tolerates, tolerates};
use crate::rules::prelude::*;

const KINDS: &[&str] = &[
    "Node",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

declare_rule! {
    /// ## What it does
    /// Flags pods (in any namespace) that tolerate the taint of a security level other than
    /// their own (`kubepci.io/security-level=<level>`, configurable): a toleration for
    /// another level's value, `operator: Exists` on the level key, or, when the input
    /// declares security levels (on nodes or pods), a toleration of every taint. Pods
    /// without a level tolerate no level. DaemonSets (node agents that must run on every
    /// node) are not checked.
    ///
    /// ## Why is this bad?
    /// The taint is what keeps lower-level workloads off the CDE's nodes. A pod that tolerates
    /// it can be scheduled next to CDE pods, and a compromise of it is a step to card data
    /// (PCI DSS 2.2.3).
    ///
    /// ## How to fix
    /// Remove the toleration, or narrow a blanket toleration to the taints the pod needs.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: batch, namespace: reporting}
    /// spec:
    ///   template:
    ///     spec:
    ///       tolerations:
    ///         - {key: kubepci.io/security-level, operator: Equal, value: cde-high, effect: NoSchedule}
    ///       containers: [{name: batch, image: registry.example.com/batch:1.0.0}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: batch, namespace: reporting}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers: [{name: batch, image: registry.example.com/batch:1.0.0}]
    /// ```
    pub(crate) struct ToleratesOtherLevel {
        id: "KP2104",
        name: "pod-tolerates-other-security-level",
        summary: "Pod tolerates another security level's taint",
        severity: High,
        target: Target::Inventory(KINDS),
        admission: Namespace,
        pci: ["2.2.3"],
        tags: [],
    }
}

impl Rule for ToleratesOtherLevel {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let label = cx.settings.segmentation.security_level_label.as_str();
        let key = cx.settings.segmentation.security_level_taint.as_str();
        let templates: Vec<PodTemplate<'_>> = KINDS
            .iter()
            .filter(|k| **k != "Node" && **k != "DaemonSet")
            .flat_map(|k| cx.inventory.of_kind(k))
            .filter_map(PodTemplate::of)
            .collect();
        let levels_declared = cx
            .inventory
            .of_kind("Node")
            .any(|n| n.label(label).is_some())
            || templates.iter().any(|p| p.label(label).is_some());
        let mut found = Vec::new();
        for pod in &templates {
            let own = pod.label(label).filter(|l| !l.is_empty());
            let tolerations = pod
                .get(&["tolerations"])
                .map(Node::items)
                .unwrap_or_default();
            let mut reported = BTreeSet::new();
            for (i, t) in tolerations.iter().enumerate() {
                let what = match tolerates(t, key) {
                    Tolerates::Level(level) if Some(level) != own => {
                        format!("the taint of security level `{level}`")
                    }
                    Tolerates::EveryLevel => "the taint of every security level".to_owned(),
                    Tolerates::Everything if levels_declared => {
                        "every taint, security levels included".to_owned()
                    }
                    _ => continue,
                };
                if !reported.insert(what.clone()) {
                    continue;
                }
                let whose = own.map_or_else(
                    || "a pod without a security level".to_owned(),
                    |l| format!("a pod of security level `{l}`"),
                );
                found.push((
                    pod.object,
                    pod.pointer(&["tolerations"]).index(i),
                    format!("{whose} tolerates {what}, so it may be scheduled onto those nodes"),
                ));
            }
        }
        for (object, pointer, message) in found {
            cx.report_on(object, pointer, message);
        }
    }
}
