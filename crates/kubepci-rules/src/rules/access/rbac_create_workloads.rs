use super::{allowed_verbs, report_grants};
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

/// `(API group, resource)` of every kind that creates pods.
const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that allow `create` on Pods or on any workload
    /// kind that creates pods (Deployments, StatefulSets, DaemonSets, ReplicaSets,
    /// ReplicationControllers, Jobs, CronJobs). Rules with `*` in `resources` or `apiGroups` are
    /// reported by KP6002.
    ///
    /// ## Why is this bad?
    /// Creating a pod is running arbitrary code with any service account and any Secret of
    /// the namespace mounted (and, without admission control, on the host). The permission
    /// is effectively the union of everything the namespace can do, so PCI DSS 7.2.5 asks that
    /// it be kept to the accounts whose function is deploying: the CD pipeline or GitOps
    /// controller and the operators that own workloads.
    ///
    /// ## How to fix
    /// Let the deployment pipeline create workloads and give people read access; record the
    /// operators that need it in a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: support, namespace: payments}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [pods]
    ///     verbs: [get, list, create, delete]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: support, namespace: payments}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [pods]
    ///     verbs: [get, list, delete]
    /// ```
    pub(crate) struct RbacCreateWorkloads {
        id: "KP6006",
        name: "rbac-create-workloads",
        summary: "Role allows creating pods or workloads",
        severity: Low,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.5"],
        tags: [],
    }
}

impl Rule for RbacCreateWorkloads {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        report_grants(cx, true, |grant| {
            let found: Vec<&str> = WORKLOADS
                .iter()
                .filter(|(group, resource)| {
                    !allowed_verbs(grant, &["create"], group, resource).is_empty()
                })
                .map(|(_, resource)| *resource)
                .collect();
            (!found.is_empty()).then(|| format!("allows create on {}", found.join(", ")))
        });
    }
}
