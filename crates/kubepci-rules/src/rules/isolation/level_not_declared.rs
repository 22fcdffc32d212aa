use super::pod_level;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags pods (and workload templates) in `cde` namespaces whose pod labels do not
    /// declare a security level (`kubepci.io/security-level`, configurable as
    /// `segmentation.securityLevelLabel`).
    ///
    /// ## Why is this bad?
    /// PCI DSS 2.2.3 requires primary functions with different security levels to be isolated
    /// from each other, for example on their own nodes. A CDE pod that does not say which
    /// level it belongs to cannot be placed, or checked, on the nodes of that level.
    ///
    /// ## How to fix
    /// Label the pod template with its level, then pin it to that level's nodes (see
    /// `cde-pod-not-pinned-to-security-level`).
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
    ///     metadata: {labels: {app: api}}
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
    ///     spec: {containers: [{name: api, image: registry.example.com/api:2.0.1}]}
    /// ```
    pub(crate) struct LevelNotDeclared {
        id: "KP2101",
        name: "cde-pod-without-security-level",
        summary: "CDE pod declares no security level",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.3", "2.2.1"],
        tags: [],
    }
}

impl Rule for LevelNotDeclared {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if cx.scope().is_cde() && pod_level(pod, cx).is_none() {
            let label = cx.settings.segmentation.security_level_label.clone();
            cx.report(
                pod.metadata_pointer.key("labels"),
                format!("CDE pod declares no security level (pod label `{label}`)"),
            );
        }
    }
}
