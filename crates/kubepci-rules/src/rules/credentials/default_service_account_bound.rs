use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags RoleBindings and ClusterRoleBindings that grant a role to a namespace's
    /// `default` service account.
    ///
    /// ## Why is this bad?
    /// Every pod in the namespace that names no service account runs as `default`: a
    /// permission granted to it is granted to all of them, including pods added later by
    /// someone else. PCI DSS 8.2.2 allows shared or generic accounts only by exception, and
    /// 7.2.5 requires application accounts to hold the least privilege they need.
    ///
    /// ## How to fix
    /// Create a dedicated service account for the workload that needs the permission, bind
    /// the role to it and set `serviceAccountName` on that workload.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: read-config, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    /// subjects:
    ///   - {kind: ServiceAccount, name: default, namespace: payments}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: read-config, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    /// subjects:
    ///   - {kind: ServiceAccount, name: api, namespace: payments}
    /// ```
    pub(crate) struct DefaultServiceAccountBound {
        id: "KP3010",
        name: "default-service-account-bound",
        summary: "Role granted to a default service account",
        severity: Medium,
        target: Target::Kinds(&["RoleBinding", "ClusterRoleBinding"]),
        pci: ["8.2.2", "7.2.5"],
        tags: [],
    }
}

impl Rule for DefaultServiceAccountBound {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let role = object
            .root
            .path(&["roleRef", "name"])
            .and_then(Node::as_str)
            .unwrap_or("?");
        let subjects = object
            .root
            .get("subjects")
            .map(Node::items)
            .unwrap_or_default();
        for (i, subject) in subjects.iter().enumerate() {
            let is_sa = subject.get("kind").and_then(Node::as_str) == Some("ServiceAccount");
            let name = subject.get("name").and_then(Node::as_str);
            if is_sa && name == Some("default") {
                let ns = subject
                    .get("namespace")
                    .and_then(Node::as_str)
                    .or(object.namespace())
                    .unwrap_or("?");
                cx.report(
                    JsonPointer::root().key("subjects").index(i),
                    format!("grants `{role}` to the shared `default` service account of namespace `{ns}`"),
                );
            }
        }
    }
}
