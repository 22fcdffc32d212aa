use super::{allowed_verbs, report_grants};
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that allow `get` or `create` on `nodes/proxy`
    /// (rules with `*` in `resources` or `apiGroups` are reported by KP6002).
    ///
    /// ## Why is this bad?
    /// `nodes/proxy` reaches the kubelet API of every node through the API server: it lists
    /// every pod and runs commands in any container of the node (`/exec`, `/run`), bypassing
    /// the `pods/exec` permission, admission control and most of the audit trail. It is a
    /// cluster-takeover permission that application accounts never need (PCI DSS 7.2.5).
    ///
    /// ## How to fix
    /// Scrape kubelet metrics through `nodes/metrics` and `nodes/stats` instead, and remove
    /// `nodes/proxy`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: monitoring}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [nodes, nodes/proxy]
    ///     verbs: [get, list, watch]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: monitoring}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [nodes, nodes/metrics, nodes/stats]
    ///     verbs: [get, list, watch]
    /// ```
    pub(crate) struct RbacNodeProxy {
        id: "KP6007",
        name: "rbac-node-proxy",
        summary: "Role allows the kubelet API through nodes/proxy",
        severity: High,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.5"],
        tags: [],
    }
}

impl Rule for RbacNodeProxy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        report_grants(cx, true, |grant| {
            let verbs = allowed_verbs(grant, &["get", "create"], "", "nodes/proxy");
            (!verbs.is_empty()).then(|| format!("allows {} on nodes/proxy", verbs.join("/")))
        });
    }
}
