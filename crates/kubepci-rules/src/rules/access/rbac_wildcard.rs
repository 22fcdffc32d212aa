use super::report_grants;
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that use `*` in `verbs`, `resources` or
    /// `apiGroups` (Kubernetes' own bootstrap roles excepted). A rule with `*` in all three
    /// is reported as equivalent to `cluster-admin`.
    ///
    /// ## Why is this bad?
    /// A wildcard grants what exists today and everything added later: new verbs,
    /// subresources such as `pods/exec`, Secrets, and the resources of every CRD installed
    /// afterwards. Nobody can review such a role against job functions (PCI DSS 7.2.2), and
    /// application accounts end up with far more than they use (7.2.5).
    ///
    /// ## How to fix
    /// List the API groups, resources and verbs the subject needs; `kubectl auth can-i
    /// --list` and the audit log show what it uses.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: app, namespace: shop}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["*"]
    ///     verbs: [get, list]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: app, namespace: shop}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [configmaps]
    ///     verbs: [get, list]
    /// ```
    pub(crate) struct RbacWildcard {
        id: "KP6002",
        name: "rbac-wildcard",
        summary: "Role grants wildcard verbs, resources or API groups",
        severity: Medium,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.2", "7.2.5"],
        tags: [],
    }
}

impl Rule for RbacWildcard {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        report_grants(cx, false, |grant| {
            if grant.is_everything() {
                return Some(
                    "grants every verb on every resource of every API group (cluster-admin equivalent)"
                        .to_owned(),
                );
            }
            if grant.resources.is_empty() {
                return None; // nonResourceURLs only
            }
            let star = |v: &[String]| v.iter().any(|s| s == "*");
            let fields: Vec<&str> = [
                ("verbs", star(&grant.verbs)),
                ("resources", star(&grant.resources)),
                ("apiGroups", star(&grant.api_groups)),
            ]
            .into_iter()
            .filter_map(|(name, wild)| wild.then_some(name))
            .collect();
            (!fields.is_empty()).then(|| format!("uses `*` in {}", fields.join(" and ")))
        });
    }
}
