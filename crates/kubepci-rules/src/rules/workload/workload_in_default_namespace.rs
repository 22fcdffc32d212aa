use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags workloads in the `default` namespace, and workloads that name no namespace (they
    /// land in whatever namespace `kubectl` or Helm targets, `default` unless told otherwise).
    /// Scan with `--namespace NS` when the manifests are applied with `-n NS`.
    ///
    /// ## Why is this bad?
    /// The `default` namespace carries no scope label, no NetworkPolicy and no Pod Security
    /// level by design: whatever runs there is unscoped and unsegmented. PCI DSS 2.2.3 asks
    /// that functions of different security levels be separated, and 12.5.1 for an inventory
    /// of in-scope components — both need every workload in a namespace that says what it is.
    ///
    /// ## How to fix
    /// Put the workload in a namespace labelled with its PCI scope (`kubepci.io/scope: cde`,
    /// `connected` or `out-of-scope`) and set `metadata.namespace`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: default}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    pub(crate) struct WorkloadInDefaultNamespace {
        id: "KP1102",
        name: "workload-in-default-namespace",
        summary: "Workload in the default namespace",
        severity: Low,
        target: Target::PodTemplates,
        pci: ["2.2.3", "12.5.1"],
        tags: [],
    }
}

impl Rule for WorkloadInDefaultNamespace {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let object = pod.object;
        let pointer = JsonPointer::root().key("metadata").key("namespace");
        match object.namespace() {
            Some("default") if object.namespace_assumed => cx.report(
                pointer,
                format!(
                    "{} names no namespace and is scanned as `default`",
                    object.kind()
                ),
            ),
            Some("default") => cx.report(
                pointer,
                format!("{} runs in the default namespace", object.kind()),
            ),
            Some(_) => {}
            None => cx.report(
                pointer,
                format!(
                    "{} names no namespace: it lands in `default` unless applied with -n",
                    object.kind()
                ),
            ),
        }
    }
}
