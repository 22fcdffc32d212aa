use super::{allowed_verbs, report_grants};
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that allow `escalate` or `bind` on roles or
    /// cluster roles, or `impersonate` on users, groups, service accounts, user extras or UIDs
    /// (rules with `*` in `resources` or `apiGroups` are reported by KP6002).
    ///
    /// ## Why is this bad?
    /// Kubernetes stops a subject from granting permissions it does not hold, unless it has
    /// `escalate` (edit roles beyond its own rights) or `bind` (bind any role). With
    /// `impersonate` it acts as another user or group, `system:masters` included. Each is a
    /// path to cluster-admin, defeating least privilege (PCI DSS 7.2.2, 7.2.5).
    ///
    /// ## How to fix
    /// Remove these verbs; where a controller must create bindings, limit `bind` to the named
    /// roles it hands out (`resourceNames`), and record the exception.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: team-lead}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [users, groups]
    ///     verbs: [impersonate]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: team-lead}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [pods, services]
    ///     verbs: [get, list]
    /// ```
    pub(crate) struct RbacEscalationVerbs {
        id: "KP6004",
        name: "rbac-escalation-verbs",
        summary: "Role grants escalate, bind or impersonate",
        severity: High,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.2", "7.2.5"],
        tags: [],
    }
}

/// `(verb, API group, resource)` triples that lead to privilege escalation.
const ESCALATION: &[(&str, &str, &str)] = &[
    ("escalate", "rbac.authorization.k8s.io", "roles"),
    ("escalate", "rbac.authorization.k8s.io", "clusterroles"),
    ("bind", "rbac.authorization.k8s.io", "roles"),
    ("bind", "rbac.authorization.k8s.io", "clusterroles"),
    ("impersonate", "", "users"),
    ("impersonate", "", "groups"),
    ("impersonate", "", "serviceaccounts"),
    ("impersonate", "authentication.k8s.io", "userextras"),
    ("impersonate", "authentication.k8s.io", "uids"),
];

impl Rule for RbacEscalationVerbs {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        report_grants(cx, true, |grant| {
            let found: Vec<String> = ESCALATION
                .iter()
                .filter(|(verb, group, resource)| {
                    !allowed_verbs(grant, &[verb], group, resource).is_empty()
                })
                .map(|(verb, _, resource)| format!("{verb} {resource}"))
                .collect();
            (!found.is_empty()).then(|| format!("allows {}", found.join(", ")))
        });
    }
}
