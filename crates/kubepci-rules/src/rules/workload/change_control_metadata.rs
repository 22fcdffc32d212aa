use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags workloads in `cde` namespaces that lack a label listed in
    /// `changeControl.requiredLabels` or an annotation listed in
    /// `changeControl.requiredAnnotations` (on the workload's own metadata). The rule does not
    /// run while both lists are empty.
    ///
    /// ## Why is this bad?
    /// PCI DSS 6.5.1 requires every change to production to be documented, approved and
    /// traceable, and 6.5.2 that PCI requirements are confirmed after significant changes.
    /// A change reference and an owner on every CDE workload link what runs to the ticket that
    /// approved it and to the team accountable for it.
    ///
    /// ## How to fix
    /// Have the deployment pipeline stamp the labels and annotations (e.g. the change ticket
    /// and the owning team) on every CDE workload.
    ///
    /// ## Configuration
    /// ```yaml
    /// changeControl:
    ///   requiredLabels: [app.kubernetes.io/owner]
    ///   requiredAnnotations: [kubepci.io/change-ref]
    /// ```
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   namespace: payments
    ///   labels: {app.kubernetes.io/owner: payments-team}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.4.1}
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
    /// metadata:
    ///   name: api
    ///   namespace: payments
    ///   labels: {app.kubernetes.io/owner: payments-team}
    ///   annotations: {kubepci.io/change-ref: CHG-2041}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.4.1}
    /// ```
    pub(crate) struct ChangeControlMetadata {
        id: "KP1206",
        name: "change-control-metadata-missing",
        summary: "CDE workload without change-control labels or annotations",
        severity: Low,
        target: Target::PodTemplates,
        pci: ["6.5.1", "6.5.2"],
        tags: [],
    }
}

impl Rule for ChangeControlMetadata {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let required = &cx.settings.change_control;
        if (required.required_labels.is_empty() && required.required_annotations.is_empty())
            || !cx.scope().is_cde()
        {
            return;
        }
        let object = pod.object;
        // Pods a controller created carry their owner's change reference on the owner.
        if object.kind() == "Pod" && crate::support::workloads::controller_of(object).is_some() {
            return;
        }
        let mut missing: Vec<String> = required
            .required_labels
            .iter()
            .filter(|l| object.label(l).is_none_or(str::is_empty))
            .map(|l| format!("label {l}"))
            .collect();
        missing.extend(
            required
                .required_annotations
                .iter()
                .filter(|a| object.annotation(a).is_none_or(str::is_empty))
                .map(|a| format!("annotation {a}")),
        );
        if !missing.is_empty() {
            cx.report(
                JsonPointer::root().key("metadata"),
                format!(
                    "CDE {} lacks change-control metadata: {}",
                    object.kind(),
                    missing.join(", ")
                ),
            );
        }
    }
}
