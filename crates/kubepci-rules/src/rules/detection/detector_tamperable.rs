use crate::rules::prelude::*;
use crate::support::cluster::is_cluster;
use crate::support::component::find_components;
use crate::support::rbac::{RBAC_KINDS, Rbac, subject_pointer};

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster, flags RBAC bindings that let a subject outside
    /// `rbac.clusterAdminSubjects` modify or
    /// delete the DaemonSet of a runtime detector (`platform.runtimeDetectors`): `update`,
    /// `patch` or `delete` on `daemonsets` in its namespace (or cluster-wide), or `delete` on
    /// its Namespace. Kubernetes' own bootstrap bindings and roles that grant everything
    /// (reported by KP6001) are not repeated here.
    ///
    /// ## Why is this bad?
    /// Whoever can edit the detector can switch it off, change its rules or point its output
    /// elsewhere, and then act unseen. PCI DSS 5.3.5 requires that anti-malware mechanisms
    /// cannot be disabled or altered by users unless specifically authorised, case by case.
    ///
    /// ## How to fix
    /// Keep write access to the detector's namespace with the platform administrators (the
    /// allowlisted subjects) and the GitOps controller; give other teams read access only. A
    /// ValidatingAdmissionPolicy that denies changes to the detector is a compensating control
    /// (record it in a waiver).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       containers:
    ///         - {name: falco, image: docker.io/falcosecurity/falco:0.41.0}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: workload-manager}
    /// rules:
    ///   - apiGroups: [apps]
    ///     resources: [deployments, daemonsets]
    ///     verbs: [get, list, update, patch, delete]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: developers-manage-workloads}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: workload-manager}
    /// subjects:
    ///   - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: developers}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       containers:
    ///         - {name: falco, image: docker.io/falcosecurity/falco:0.41.0}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: workload-manager}
    /// rules:
    ///   - apiGroups: [apps]
    ///     resources: [deployments, daemonsets]
    ///     verbs: [get, list, update, patch, delete]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: developers-manage-workloads, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: workload-manager}
    /// subjects:
    ///   - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: developers}
    /// ```
    pub(crate) struct DetectorTamperable {
        id: "KP5106",
        name: "detector-tamperable",
        summary: "Subjects can modify or delete the runtime detector",
        severity: High,
        target: Target::Inventory(&[
            "Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob", "Role", "ClusterRole", "RoleBinding",
            "ClusterRoleBinding",
        ]),
        admission: ScanOnly,
        pci: ["5.3.5"],
        tags: [],
    }
}

impl Rule for DetectorTamperable {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        debug_assert!(
            RBAC_KINDS
                .iter()
                .all(|k| Self::META.target.kinds().contains(k))
        );
        if !is_cluster(cx.inventory, cx.settings) {
            return;
        }
        let detectors = find_components(
            cx.inventory,
            &["DaemonSet"],
            &cx.settings.platform.runtime_detectors,
        );
        if detectors.is_empty() {
            return;
        }
        let rbac = Rbac::of(cx.inventory);
        for binding in rbac.bindings.iter().filter(|b| !b.system) {
            let Some(role) = rbac.role_of(binding) else {
                continue;
            };
            if rbac.role_is_everything(role) {
                continue;
            }
            let mut powers = Vec::new();
            for (detector, _) in &detectors {
                let Some(ns) = detector.namespace() else {
                    continue;
                };
                if binding.namespace.as_deref().is_some_and(|b| b != ns) {
                    continue;
                }
                let verbs: Vec<&str> = ["update", "patch", "delete"]
                    .into_iter()
                    .filter(|v| rbac.role_allows_on(role, v, "apps", "daemonsets", detector.name()))
                    .collect();
                if !verbs.is_empty() {
                    powers.push(format!(
                        "{} DaemonSet {ns}/{}",
                        verbs.join("/"),
                        detector.name()
                    ));
                }
                if binding.is_cluster_wide()
                    && rbac.role_allows_on(role, "delete", "", "namespaces", ns)
                {
                    powers.push(format!("delete Namespace {ns}"));
                }
            }
            if powers.is_empty() {
                continue;
            }
            let object = &cx.inventory.objects()[binding.object];
            for (index, subject) in &binding.subjects {
                if subject.matches_any(&cx.settings.rbac.cluster_admin_subjects) {
                    continue;
                }
                cx.report_on(
                    object,
                    subject_pointer(*index),
                    format!(
                        "{subject} can {} (through {})",
                        powers.join(", "),
                        role.describe()
                    ),
                );
            }
        }
    }
}
