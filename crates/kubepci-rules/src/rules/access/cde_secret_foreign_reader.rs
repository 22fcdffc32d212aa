use std::collections::BTreeSet;

use crate::rules::prelude::*;
use crate::support::rbac::{RBAC_KINDS, Rbac, subject_pointer};
use crate::support::subject::SubjectKind;

declare_rule! {
    /// ## What it does
    /// For every `cde` namespace, flags binding subjects from elsewhere that can read its
    /// Secrets (`get`, `list` or `watch`, including on named Secrets): service accounts of
    /// another namespace bound in the CDE namespace or cluster-wide, and users or groups
    /// bound cluster-wide. Subjects in `rbac.secretReaders` or `rbac.clusterAdminSubjects`
    /// and Kubernetes' own bootstrap bindings are not flagged.
    ///
    /// ## Why is this bad?
    /// CDE Secrets hold the keys to cardholder data: database credentials, tokenisation keys,
    /// payment-processor API keys. Every reader from outside the CDE namespace widens the set
    /// of accounts, workloads and people that can reach them, and each of them falls into
    /// PCI scope. PCI DSS 7.2.5 and 3.6.1.3 keep access to keys with the fewest custodians.
    ///
    /// ## How to fix
    /// Grant Secret access inside the CDE namespace to its own service accounts only; for
    /// shared controllers (an external-secrets operator), list them in `rbac.secretReaders`
    /// after review.
    ///
    /// ## Configuration
    /// ```yaml
    /// rbac:
    ///   secretReaders: ["ServiceAccount:external-secrets/external-secrets"]
    /// ```
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: secret-reader, namespace: payments}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [secrets]
    ///     verbs: [get]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: reporting-reads-secrets, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
    /// subjects:
    ///   - {kind: ServiceAccount, name: reporter, namespace: analytics}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: secret-reader, namespace: payments}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [secrets]
    ///     verbs: [get]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: sync, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
    /// subjects:
    ///   - {kind: ServiceAccount, name: external-secrets, namespace: external-secrets}
    ///   - {kind: ServiceAccount, name: api, namespace: payments}
    /// ```
    pub(crate) struct CdeSecretForeignReader {
        id: "KP6014",
        name: "cde-secret-foreign-reader",
        summary: "CDE Secrets readable from outside the CDE namespace",
        severity: High,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.5", "3.6.1.3"],
        tags: [],
    }
}

impl Rule for CdeSecretForeignReader {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let cde: BTreeSet<&str> = cx
            .inventory
            .namespaces()
            .filter(|n| n.scope.is_cde())
            .map(|n| n.name.as_str())
            .collect();
        if cde.is_empty() {
            return;
        }
        let rbac = Rbac::of(cx.inventory);
        let allowed = |s: &crate::support::subject::Subject| {
            s.matches_any(&cx.settings.rbac.secret_readers)
                || s.matches_any(&cx.settings.rbac.cluster_admin_subjects)
        };
        for binding in rbac.bindings.iter().filter(|b| !b.system) {
            let reached: Vec<&str> = match &binding.namespace {
                Some(ns) if cde.contains(ns.as_str()) => vec![ns.as_str()],
                Some(_) => continue,
                None => cde.iter().copied().collect(),
            };
            let Some(role) = rbac.role_of(binding) else {
                continue;
            };
            let reads = rbac.grants(role).any(|(_, g)| {
                ["get", "list", "watch"]
                    .iter()
                    .any(|v| g.allows_some(v, "", "secrets"))
            });
            if !reads {
                continue;
            }
            let object = &cx.inventory.objects()[binding.object];
            for (index, subject) in &binding.subjects {
                if allowed(subject) {
                    continue;
                }
                let foreign: Vec<&str> = reached
                    .iter()
                    .copied()
                    .filter(|ns| match subject.kind {
                        SubjectKind::ServiceAccount => subject.namespace.as_deref() != Some(*ns),
                        // People are foreign to a namespace only through cluster-wide grants.
                        SubjectKind::User | SubjectKind::Group => binding.is_cluster_wide(),
                    })
                    .collect();
                if foreign.is_empty() {
                    continue;
                }
                cx.report_on(
                    object,
                    subject_pointer(*index),
                    format!(
                        "{subject} can read Secrets of CDE namespace{} {} through {} ({})",
                        if foreign.len() == 1 { "" } else { "s" },
                        foreign.join(", "),
                        binding.describe(),
                        role.describe()
                    ),
                );
            }
        }
    }
}
