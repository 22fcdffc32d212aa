use crate::rules::prelude::*;
use crate::support::rbac::{RBAC_KINDS, Rbac, subject_pointer};

declare_rule! {
    /// ## What it does
    /// Flags subjects of RoleBindings and ClusterRoleBindings that grant `cluster-admin`, or
    /// a role equivalent to it (a rule with `*` verbs on `*` resources of `*` API groups),
    /// unless the subject is listed in `rbac.clusterAdminSubjects` (default: the groups
    /// `system:masters` and `kubeadm:cluster-admins`). A RoleBinding to such a role is
    /// flagged too: it makes the subject administrator of the namespace, Secrets included.
    ///
    /// ## Why is this bad?
    /// `cluster-admin` can read every Secret, run anything on any node and rewrite the
    /// audit and admission configuration. PCI DSS 7.2.1 and 7.2.2 require access based on job
    /// function and least privilege: full control belongs to a short, named list of
    /// administrators, not to service accounts of tools or to broad groups.
    ///
    /// ## How to fix
    /// Bind a role that grants what the subject needs (the built-in `admin`/`edit`/`view` in
    /// one namespace, or a dedicated ClusterRole). If the subject really administers the
    /// cluster, add it to `rbac.clusterAdminSubjects`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    ///   - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: ci-deployer, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    ///   - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    pub(crate) struct ClusterAdminBinding {
        id: "KP6001",
        name: "cluster-admin-binding",
        summary: "cluster-admin granted beyond the administrator allowlist",
        severity: High,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.2", "7.2.1"],
        tags: [],
    }
}

impl Rule for ClusterAdminBinding {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let rbac = Rbac::of(cx.inventory);
        for binding in &rbac.bindings {
            let Some(role) = rbac.role_of(binding) else {
                continue;
            };
            if !rbac.role_is_everything(role) {
                continue;
            }
            let reach = match &binding.namespace {
                Some(ns) => format!("every permission in namespace {ns}"),
                None => "every permission in the cluster".to_owned(),
            };
            let object = &cx.inventory.objects()[binding.object];
            for (index, subject) in &binding.subjects {
                if subject.matches_any(&cx.settings.rbac.cluster_admin_subjects) {
                    continue;
                }
                cx.report_on(
                    object,
                    subject_pointer(*index),
                    format!("{subject} holds {} ({reach})", role.describe()),
                );
            }
        }
    }
}
