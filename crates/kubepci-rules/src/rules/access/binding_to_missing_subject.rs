use std::collections::HashSet;

use crate::rules::prelude::*;
use crate::support::cluster::is_cluster;
use crate::support::rbac::{Rbac, subject_pointer};
use crate::support::subject::SubjectKind;

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster, flags RoleBindings and ClusterRoleBindings that
    /// reference a Role or ClusterRole that does not exist, or a ServiceAccount that does not
    /// exist (every namespace has its `default` account). Kubernetes' own bootstrap bindings
    /// are not checked; users and groups live in the identity provider and cannot be checked
    /// here.
    ///
    /// ## Why is this bad?
    /// A dangling binding is access waiting for its subject: recreate a deleted service
    /// account (or a namespace) with the same name, or a role with that name, and it silently
    /// inherits the permissions. Access reviews (PCI DSS 7.2.4) should find and remove such
    /// leftovers, as access of removed identities must be revoked (8.2.5).
    ///
    /// ## How to fix
    /// Delete the binding, or the subject that no longer exists from its `subjects`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ---
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: api, namespace: shop}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: old-deployer, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    ///   - {kind: ServiceAccount, name: deployer, namespace: shop}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ---
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: api, namespace: shop}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: api, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    ///   - {kind: ServiceAccount, name: api, namespace: shop}
    /// ```
    pub(crate) struct BindingToMissingSubject {
        id: "KP6013",
        name: "binding-to-missing-subject",
        summary: "Binding references a role or service account that does not exist",
        severity: Medium,
        target: Target::Inventory(&[
            "Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob", "ServiceAccount", "Role", "ClusterRole",
            "RoleBinding", "ClusterRoleBinding",
        ]),
        admission: ScanOnly,
        pci: ["7.2.4", "8.2.5"],
        tags: [],
    }
}

impl Rule for BindingToMissingSubject {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        if !is_cluster(inventory, cx.settings) {
            return;
        }
        let rbac = Rbac::of(inventory);
        let accounts: HashSet<(&str, &str)> = inventory
            .of_kind("ServiceAccount")
            .filter_map(|a| Some((a.namespace()?, a.name())))
            .collect();
        let namespaces: HashSet<&str> = inventory.of_kind("Namespace").map(Object::name).collect();
        let has_cluster_roles = inventory.of_kind("ClusterRole").next().is_some();
        for binding in rbac.bindings.iter().filter(|b| !b.system) {
            let object = &inventory.objects()[binding.object];
            if rbac.role_of(binding).is_none() {
                let missing = match binding.role_kind.as_str() {
                    "Role" => true,
                    "ClusterRole" => has_cluster_roles && !binding.role_name.starts_with("system:"),
                    _ => false,
                };
                if missing {
                    cx.report_on(
                        object,
                        JsonPointer::root().key("roleRef").key("name"),
                        format!(
                            "{} references {} {}, which does not exist",
                            binding.describe(),
                            binding.role_kind,
                            binding.role_name
                        ),
                    );
                }
            }
            if accounts.is_empty() {
                continue;
            }
            for (index, subject) in &binding.subjects {
                if subject.kind != SubjectKind::ServiceAccount {
                    continue;
                }
                let ns = subject.namespace.as_deref().unwrap_or_default();
                let exists = accounts.contains(&(ns, subject.name.as_str()))
                    || (subject.name == "default" && namespaces.contains(ns));
                if !exists {
                    let why = if namespaces.contains(ns) {
                        String::new()
                    } else {
                        format!(" (namespace {ns} does not exist either)")
                    };
                    cx.report_on(
                        object,
                        subject_pointer(*index),
                        format!("{subject} does not exist{why}: {} grants its role to nobody, until someone recreates it", binding.describe()),
                    );
                }
            }
        }
    }
}
