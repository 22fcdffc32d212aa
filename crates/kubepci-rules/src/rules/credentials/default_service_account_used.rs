use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags workloads in in-scope namespaces (`cde`, `connected`, unscoped) that run as the
    /// namespace's `default` service account (no `serviceAccountName`, or `default`) and
    /// still mount its API token. Pods that set `automountServiceAccountToken: false` hold no
    /// credential of the account and pass.
    ///
    /// ## Why is this bad?
    /// The `default` account is shared by every pod that names no other: whatever it is
    /// granted, all of them get, and the audit log cannot tell them apart. PCI DSS 8.2.2
    /// allows shared or generic accounts only by exception, and 7.2.5 requires application
    /// accounts to hold the least privilege they need.
    ///
    /// ## How to fix
    /// Create a service account per workload, grant it exactly what it needs, and set
    /// `serviceAccountName`; or set `automountServiceAccountToken: false` when the workload
    /// does not call the API.
    ///
    /// ## Example
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
    ///       serviceAccountName: api
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    pub(crate) struct DefaultServiceAccountUsed {
        id: "KP3009",
        name: "default-service-account-used",
        summary: "Workload runs as the default service account",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["8.2.2", "7.2.5"],
        tags: [],
    }
}

impl Rule for DefaultServiceAccountUsed {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if !cx.scope().in_scope()
            || pod
                .get(&["automountServiceAccountToken"])
                .and_then(Node::as_bool)
                == Some(false)
        {
            return;
        }
        let (field, name) = ["serviceAccountName", "serviceAccount"]
            .iter()
            .find_map(|f| {
                pod.get(&[f])
                    .and_then(Node::as_str)
                    .filter(|n| !n.is_empty())
                    .map(|n| (*f, n))
            })
            .unwrap_or(("serviceAccountName", "default"));
        if name == "default" {
            let pointer = if pod.get(&[field]).is_some() {
                pod.pointer(&[field])
            } else {
                pod.spec_pointer.clone()
            };
            cx.report(
                pointer,
                "pod runs as the shared `default` service account and mounts its token",
            );
        }
    }
}
