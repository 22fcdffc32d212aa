use std::collections::BTreeMap;

use crate::rules::prelude::*;
use crate::support::rbac::{Binding, Rbac, Role, subject_pointer};
use crate::support::subject::SubjectKind;
use crate::support::workloads::Workloads;

declare_rule! {
    /// ## What it does
    /// Flags bindings that give a service account used by a workload of the input (its
    /// `serviceAccountName`, `default` when unset) an administrative or cluster-takeover
    /// role: the built-in `admin` or `edit`, or a role that allows `escalate`, `bind` or
    /// `impersonate`, `nodes/proxy` or approving certificate requests. `cluster-admin` and
    /// equivalents are reported by KP6001, cluster-wide Secret readers by KP6003.
    ///
    /// ## Why is this bad?
    /// A workload's token is mounted in its pods: anyone who compromises the application
    /// (an RCE, an SSRF to the token file) inherits the role. PCI DSS 7.2.5 requires
    /// application and system accounts to hold only what they need; administrative roles
    /// turn an application bug into a cluster compromise.
    ///
    /// ## How to fix
    /// Give the workload a dedicated service account and a Role listing the resources and
    /// verbs it uses; disable token automounting where it needs no API access.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       serviceAccountName: api
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.4.1}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: api-edit, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    ///   - {kind: ServiceAccount, name: api, namespace: shop}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       serviceAccountName: api
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.4.1}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: api, namespace: shop}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [configmaps]
    ///     verbs: [get, watch]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: api, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: api}
    /// subjects:
    ///   - {kind: ServiceAccount, name: api, namespace: shop}
    /// ```
    pub(crate) struct ServiceAccountAdminRole {
        id: "KP6012",
        name: "service-account-admin-role",
        summary: "Workload service account holds an administrative role",
        severity: High,
        target: Target::Inventory(&[
            "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Pod", "Deployment",
            "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob",
        ]),
        admission: Namespace,
        pci: ["7.2.5"],
        tags: [],
    }
}

/// Why a role is administrative, if it is.
fn takeover(rbac: &Rbac, binding: &Binding, role: &Role) -> Option<String> {
    if role.namespace.is_none() && matches!(role.name.as_str(), "admin" | "edit") {
        let scope = binding.namespace.as_deref().map_or_else(
            || "every namespace".to_owned(),
            |ns| format!("namespace {ns}"),
        );
        return Some(format!(
            "it can change everything in {scope}, Secrets included"
        ));
    }
    let allows = |verb, group, resource| rbac.role_allows(role, verb, group, resource);
    let mut reasons = Vec::new();
    if ["roles", "clusterroles"].iter().any(|r| {
        allows("escalate", "rbac.authorization.k8s.io", r)
            || allows("bind", "rbac.authorization.k8s.io", r)
    }) {
        reasons.push("escalate or bind roles");
    }
    if ["users", "groups", "serviceaccounts"]
        .iter()
        .any(|r| allows("impersonate", "", r))
    {
        reasons.push("impersonate");
    }
    if allows("get", "", "nodes/proxy") || allows("create", "", "nodes/proxy") {
        reasons.push("reach kubelets through nodes/proxy");
    }
    if allows(
        "update",
        "certificates.k8s.io",
        "certificatesigningrequests/approval",
    ) {
        reasons.push("approve certificate requests");
    }
    (!reasons.is_empty()).then(|| format!("it can {}", reasons.join(", ")))
}

impl Rule for ServiceAccountAdminRole {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        // Service accounts the workloads run as: (namespace, name) → first workload.
        let mut used: BTreeMap<(String, String), &Object> = BTreeMap::new();
        let workloads = Workloads::of(inventory);
        for &i in &workloads.top {
            let object = &inventory.objects()[i];
            let (Some(ns), Some(pod)) = (object.namespace(), PodTemplate::of(object)) else {
                continue;
            };
            let account = pod
                .get(&["serviceAccountName"])
                .or_else(|| pod.get(&["serviceAccount"]))
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or("default");
            used.entry((ns.to_owned(), account.to_owned()))
                .or_insert(object);
        }
        if used.is_empty() {
            return;
        }
        let rbac = Rbac::of(inventory);
        for binding in rbac.bindings.iter().filter(|b| !b.system) {
            let Some(role) = rbac.role_of(binding) else {
                continue;
            };
            if rbac.role_is_everything(role) {
                continue;
            }
            let Some(why) = takeover(&rbac, binding, role) else {
                continue;
            };
            let object = &inventory.objects()[binding.object];
            for (index, subject) in &binding.subjects {
                if subject.kind != SubjectKind::ServiceAccount {
                    continue;
                }
                let key = (
                    subject.namespace.clone().unwrap_or_default(),
                    subject.name.clone(),
                );
                let Some(workload) = used.get(&key) else {
                    continue;
                };
                cx.report_on(
                    object,
                    subject_pointer(*index),
                    format!(
                        "{subject}, used by {} {}, holds {}: {why}",
                        workload.kind(),
                        workload.name(),
                        role.describe()
                    ),
                );
            }
        }
    }
}
