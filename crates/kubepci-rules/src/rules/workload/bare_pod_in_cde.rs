use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Pods in `cde` namespaces that no controller owns (no `ownerReferences` entry with
    /// `controller: true`): pods created directly rather than by a Deployment, StatefulSet,
    /// DaemonSet or Job.
    ///
    /// ## Why is this bad?
    /// A bare pod is not reconciled from a declared template: it escapes the change-control
    /// path (GitOps, review, admission of the template) that PCI DSS 6.5.1 requires for
    /// production changes, is not recreated after a node failure, and often is an ad-hoc
    /// debugging pod left behind in the CDE (2.2.1 configuration standards).
    ///
    /// ## How to fix
    /// Run the workload through a Deployment, StatefulSet, DaemonSet or Job; delete debugging
    /// pods once done.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: debug, namespace: payments}
    /// spec:
    ///   containers:
    ///     - {name: shell, image: registry.example.com/toolbox:1.0.0}
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
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    pub(crate) struct BarePodInCde {
        id: "KP1103",
        name: "bare-pod-in-cde",
        summary: "Pod in the CDE without a controller",
        severity: Medium,
        target: Target::Kinds(&["Pod"]),
        pci: ["6.5.1", "2.2.1"],
        tags: [],
    }
}

impl Rule for BarePodInCde {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().is_cde() {
            return;
        }
        let owned = object
            .metadata()
            .and_then(|m| m.get("ownerReferences"))
            .is_some_and(|refs| {
                refs.items()
                    .iter()
                    .any(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
            });
        if !owned {
            cx.report(
                JsonPointer::root().key("metadata"),
                "pod in a CDE namespace is not owned by a controller",
            );
        }
    }
}
