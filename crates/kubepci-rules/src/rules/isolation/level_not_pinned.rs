use super::pod_level;
use crate::rules::prelude::*;

/// Whether a required node-affinity term confines the pod to nodes whose `label` is `level`.
fn term_pins(term: &Node, label: &str, level: &str) -> bool {
    term.get("matchExpressions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|e| {
            let values: Vec<&str> = e
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            e.get("key").and_then(Node::as_str) == Some(label)
                && e.get("operator").and_then(Node::as_str) == Some("In")
                && !values.is_empty()
                && values.iter().all(|v| *v == level)
        })
}

declare_rule! {
    /// ## What it does
    /// Flags pods in `cde` namespaces that declare a security level but are not confined to
    /// nodes of that level: neither `nodeSelector` nor every term of the required node
    /// affinity requires the node label `kubepci.io/security-level` (configurable) to equal
    /// the pod's level.
    ///
    /// ## Why is this bad?
    /// Without pinning, the scheduler may place the CDE pod on any node it tolerates, next to
    /// workloads of a lower security level: a container escape there reaches card data (PCI
    /// DSS 2.2.3).
    ///
    /// ## How to fix
    /// Add `nodeSelector: {kubepci.io/security-level: <level>}` (or an equivalent
    /// `requiredDuringSchedulingIgnoredDuringExecution` node affinity) to the pod template.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api, kubepci.io/security-level: cde-high}}
    ///     spec: {containers: [{name: api, image: registry.example.com/api:2.0.1}]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api, kubepci.io/security-level: cde-high}}
    ///     spec:
    ///       affinity:
    ///         nodeAffinity:
    ///           requiredDuringSchedulingIgnoredDuringExecution:
    ///             nodeSelectorTerms:
    ///               - matchExpressions:
    ///                   - {key: kubepci.io/security-level, operator: In, values: [cde-high]}
    ///       containers: [{name: api, image: registry.example.com/api:2.0.1}]
    /// ```
    pub(crate) struct LevelNotPinned {
        id: "KP2102",
        name: "cde-pod-not-pinned-to-security-level",
        summary: "CDE pod is not pinned to nodes of its security level",
        severity: High,
        target: Target::PodTemplates,
        pci: ["2.2.3"],
        tags: [],
    }
}

impl Rule for LevelNotPinned {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if !cx.scope().is_cde() {
            return;
        }
        let Some(level) = pod_level(pod, cx) else {
            return;
        };
        let label = cx.settings.segmentation.security_level_label.clone();
        let selected = pod
            .get(&["nodeSelector", &label])
            .and_then(Node::scalar_text);
        if selected.as_deref() == Some(level) {
            return;
        }
        if let Some(other) = selected {
            cx.report(
                pod.pointer(&["nodeSelector", &label]),
                format!("CDE pod of security level `{level}` selects nodes of level `{other}`"),
            );
            return;
        }
        let terms = pod
            .get(&[
                "affinity",
                "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
                "nodeSelectorTerms",
            ])
            .map(Node::items)
            .unwrap_or_default();
        if !terms.is_empty() && terms.iter().all(|t| term_pins(t, &label, level)) {
            return;
        }
        cx.report(
            pod.pointer(&["nodeSelector"]),
            format!(
                "CDE pod of security level `{level}` is not pinned to nodes of that level (nodeSelector or required node affinity on `{label}`)"
            ),
        );
    }
}
