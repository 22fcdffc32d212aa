use crate::rules::prelude::*;
use crate::support::rbac::{Binding, RBAC_KINDS, Rbac, subject_pointer};
use crate::support::subject::{Subject, SubjectKind};

/// The bindings Kubernetes itself creates for these subjects: `(binding, role, subject)`.
const DEFAULT_BINDINGS: &[(&str, &str, &str)] = &[
    ("cluster-admin", "cluster-admin", "system:masters"),
    (
        "system:basic-user",
        "system:basic-user",
        "system:authenticated",
    ),
    (
        "system:discovery",
        "system:discovery",
        "system:authenticated",
    ),
    (
        "system:public-info-viewer",
        "system:public-info-viewer",
        "system:authenticated",
    ),
    (
        "system:public-info-viewer",
        "system:public-info-viewer",
        "system:unauthenticated",
    ),
];

declare_rule! {
    /// ## What it does
    /// Flags binding subjects that are the user `system:anonymous` or the groups
    /// `system:unauthenticated`, `system:authenticated` or `system:masters`, except in the
    /// bindings Kubernetes creates itself (`cluster-admin` for `system:masters`;
    /// `system:basic-user`, `system:discovery` and `system:public-info-viewer`) and kubeadm's
    /// read access to the `cluster-info` ConfigMap in `kube-public`.
    ///
    /// ## Why is this bad?
    /// `system:anonymous` and `system:unauthenticated` are whoever reaches the API server
    /// without credentials; `system:authenticated` is everyone with any credential (on some
    /// managed clusters, any account of the cloud provider); `system:masters` bypasses RBAC
    /// altogether. Granting them anything breaks deny-by-default (PCI DSS 7.3.3) and unique,
    /// attributable identities (8.2.1, 8.2.2).
    ///
    /// ## How to fix
    /// Bind named users, groups of your identity provider or service accounts instead.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: public-status}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    ///   - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: public-status}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    ///   - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: sre@example.com}
    /// ```
    pub(crate) struct SystemGroupBinding {
        id: "KP6011",
        name: "system-group-binding",
        summary: "Role bound to anonymous, all authenticated users or system:masters",
        severity: High,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.3.3", "8.2.1", "8.2.2"],
        tags: [],
    }
}

/// What the subject stands for, if it is one of the flagged built-in identities.
fn meaning(subject: &Subject) -> Option<&'static str> {
    match (subject.kind, subject.name.as_str()) {
        (SubjectKind::User, "system:anonymous") => Some("every unauthenticated request"),
        (SubjectKind::Group, "system:unauthenticated") => Some("every unauthenticated request"),
        (SubjectKind::Group, "system:authenticated") => Some("every authenticated identity"),
        (SubjectKind::Group, "system:masters") => Some("a group that bypasses RBAC"),
        _ => None,
    }
}

/// Whether Kubernetes or kubeadm creates this binding for this subject.
fn is_default(rbac: &Rbac, binding: &Binding, subject: &Subject) -> bool {
    if binding.is_cluster_wide()
        && DEFAULT_BINDINGS.iter().any(|(name, role, group)| {
            binding.name == *name && binding.role_name == *role && subject.name == *group
        })
    {
        return true;
    }
    // kubeadm: anonymous read of the cluster-info ConfigMap in kube-public.
    binding.namespace.as_deref() == Some("kube-public")
        && rbac.role_of(binding).is_some_and(|role| {
            !role.grants.is_empty()
                && role.grants.iter().all(|g| {
                    g.resource_names == ["cluster-info"]
                        && g.resources == ["configmaps"]
                        && g.verbs.iter().all(|v| v == "get")
                })
        })
}

impl Rule for SystemGroupBinding {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let rbac = Rbac::of(cx.inventory);
        for binding in &rbac.bindings {
            let object = &cx.inventory.objects()[binding.object];
            for (index, subject) in &binding.subjects {
                let Some(meaning) = meaning(subject) else {
                    continue;
                };
                if is_default(&rbac, binding, subject) {
                    continue;
                }
                let role = match binding.role_kind.as_str() {
                    "Role" => format!("Role {}", binding.role_name),
                    _ => format!("ClusterRole {}", binding.role_name),
                };
                cx.report_on(
                    object,
                    subject_pointer(*index),
                    format!(
                        "{} grants {role} to {subject}, {meaning}",
                        binding.describe()
                    ),
                );
            }
        }
    }
}
