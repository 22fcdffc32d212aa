use super::{Tolerates, pod_level, tolerates};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags pods in `cde` namespaces that declare a security level but do not tolerate the
    /// taint its nodes carry (`kubepci.io/security-level=<level>:NoSchedule`, key
    /// configurable as `segmentation.securityLevelTaint`).
    ///
    /// ## Why is this bad?
    /// Dedicated nodes keep other workloads away with a taint; a CDE pod pinned to them but
    /// not tolerating it cannot be scheduled, which pushes operators to remove the taint or
    /// the pinning, and with them the isolation PCI DSS 2.2.3 asks for.
    ///
    /// ## How to fix
    /// Add the toleration `{key: kubepci.io/security-level, operator: Equal, value: <level>,
    /// effect: NoSchedule}`.
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
    ///     spec:
    ///       nodeSelector: {kubepci.io/security-level: cde-high}
    ///       containers: [{name: api, image: registry.example.com/api:2.0.1}]
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
    ///       nodeSelector: {kubepci.io/security-level: cde-high}
    ///       tolerations:
    ///         - {key: kubepci.io/security-level, operator: Equal, value: cde-high, effect: NoSchedule}
    ///       containers: [{name: api, image: registry.example.com/api:2.0.1}]
    /// ```
    pub(crate) struct LevelNotTolerated {
        id: "KP2103",
        name: "cde-pod-does-not-tolerate-security-level",
        summary: "CDE pod does not tolerate its security level's taint",
        severity: Low,
        target: Target::PodTemplates,
        pci: ["2.2.3"],
        tags: [],
    }
}

impl Rule for LevelNotTolerated {
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
        let key = cx.settings.segmentation.security_level_taint.clone();
        let tolerated = pod
            .get(&["tolerations"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|t| match tolerates(t, &key) {
                Tolerates::Level(l) => l == level,
                Tolerates::EveryLevel | Tolerates::Everything => true,
                Tolerates::Nothing => false,
            });
        if !tolerated {
            cx.report(
                pod.pointer(&["tolerations"]),
                format!("CDE pod of security level `{level}` does not tolerate the taint `{key}={level}:NoSchedule` of its nodes"),
            );
        }
    }
}
