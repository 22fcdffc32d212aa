use super::{allowed_verbs, report_grants};
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that allow `create` on `pods/exec`, `pods/attach`
    /// or `pods/portforward` (since Kubernetes 1.31 WebSocket connections need `create` too,
    /// so `get` alone is not flagged) (rules with `*` in `resources` or `apiGroups` are reported by KP6002).
    ///
    /// ## Why is this bad?
    /// Exec and attach give an interactive shell in a running container, with its mounted
    /// Secrets, its service-account token and whatever card data it handles; port-forward
    /// opens a tunnel past NetworkPolicy. PCI DSS 7.2.2 limits such access to those who need
    /// it, and 10.2.1.2 requires administrative actions to be logged (exec sessions are not
    /// recorded command by command).
    ///
    /// ## How to fix
    /// Keep these permissions for break-glass roles bound just in time, outside the
    /// application roles; use logs, metrics and `kubectl debug` with an audited workflow for
    /// troubleshooting.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: developer, namespace: shop}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [pods, pods/log, pods/exec]
    ///     verbs: [get, list, create]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: developer, namespace: shop}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [pods, pods/log]
    ///     verbs: [get, list]
    /// ```
    pub(crate) struct RbacPodExec {
        id: "KP6005",
        name: "rbac-pod-exec",
        summary: "Role allows exec, attach or port-forward into pods",
        severity: Medium,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.2", "10.2.1.2"],
        tags: [],
    }
}

impl Rule for RbacPodExec {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        report_grants(cx, true, |grant| {
            let found: Vec<String> = ["pods/exec", "pods/attach", "pods/portforward"]
                .into_iter()
                .filter_map(|resource| {
                    let verbs = allowed_verbs(grant, &["create"], "", resource);
                    (!verbs.is_empty()).then(|| format!("create {resource}"))
                })
                .collect();
            (!found.is_empty()).then(|| format!("allows {}", found.join(", ")))
        });
    }
}
