use super::{allowed_verbs, report_grants};
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that allow `delete` or `deletecollection` on
    /// Events (core and `events.k8s.io`) or on `pods/log`. Rules with `*` in `resources` or
    /// `apiGroups` are reported by KP6002.
    ///
    /// ## Why is this bad?
    /// Events are the cluster's record of what happened to workloads (scheduling, image
    /// pulls, kills, probe failures); deleting them erases the trail an investigation
    /// starts from. PCI DSS 10.3.2 requires audit records to be protected from
    /// modification, and 7.2.5 keeps destructive permissions away from application accounts.
    ///
    /// ## How to fix
    /// Let events expire on their own (the API server's `--event-ttl`); grant `create` and
    /// `patch` on events, which is what controllers need to record them.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: cleanup}
    /// rules:
    ///   - apiGroups: ["", events.k8s.io]
    ///     resources: [events]
    ///     verbs: [list, delete, deletecollection]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: cleanup}
    /// rules:
    ///   - apiGroups: ["", events.k8s.io]
    ///     resources: [events]
    ///     verbs: [create, patch]
    /// ```
    pub(crate) struct RbacDeleteEvidence {
        id: "KP6010",
        name: "rbac-delete-evidence",
        summary: "Role can delete events or pod logs",
        severity: Medium,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["10.3.2", "7.2.5"],
        tags: [],
    }
}

impl Rule for RbacDeleteEvidence {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        const DELETE: &[&str] = &["delete", "deletecollection"];
        report_grants(cx, true, |grant| {
            let mut found: Vec<String> = Vec::new();
            for (group, resource, name) in [
                ("", "events", "events"),
                ("events.k8s.io", "events", "events.k8s.io events"),
                ("", "pods/log", "pods/log"),
            ] {
                let verbs = allowed_verbs(grant, DELETE, group, resource);
                if !verbs.is_empty() {
                    found.push(format!("{} {name}", verbs.join("/")));
                }
            }
            (!found.is_empty()).then(|| format!("allows {}", found.join(", ")))
        });
    }
}
