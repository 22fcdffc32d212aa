use std::collections::HashMap;

use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags workloads in in-scope namespaces (`cde`, `connected`, unscoped) that mount a
    /// service-account API token only because nobody said otherwise: neither the pod
    /// (`automountServiceAccountToken`) nor its ServiceAccount (when it is in the input)
    /// decides. Setting the field to `true` on the pod records that the workload calls the
    /// API and passes.
    ///
    /// ## Why is this bad?
    /// A mounted token is an API credential inside every container of the pod: a compromised
    /// process can use it with whatever the account is granted, and most workloads never call
    /// the API. PCI DSS 7.2.5 requires application accounts to hold the least privilege they
    /// need and 8.6.3 that their credentials be protected against misuse.
    ///
    /// ## How to fix
    /// Set `automountServiceAccountToken: false` on the pod spec or on the ServiceAccount;
    /// set it to `true` explicitly on the workloads that do call the API.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       serviceAccountName: api
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: api, namespace: payments}
    /// automountServiceAccountToken: false
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       serviceAccountName: api
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.0.1}
    /// ```
    pub(crate) struct ServiceAccountTokenAutomount {
        id: "KP3011",
        name: "service-account-token-automount",
        summary: "Service-account token mounted by default",
        severity: Low,
        target: Target::Inventory(&[
            "Pod",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ReplicationController",
            "Job",
            "CronJob",
            "ServiceAccount",
        ]),
        admission: Namespace,
        pci: ["7.2.5", "8.6.3"],
        tags: [],
    }
}

impl Rule for ServiceAccountTokenAutomount {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        // (namespace, name) → the ServiceAccount's automount setting.
        let accounts: HashMap<(&str, &str), Option<bool>> = inventory
            .of_kind("ServiceAccount")
            .map(|sa| {
                (
                    (sa.namespace().unwrap_or_default(), sa.name()),
                    sa.root
                        .get("automountServiceAccountToken")
                        .and_then(Node::as_bool),
                )
            })
            .collect();
        for kind in kubepci_k8s::POD_TEMPLATE_KINDS {
            for object in inventory.of_kind(kind) {
                if !inventory.scope_of(object).in_scope() {
                    continue;
                }
                let Some(pod) = PodTemplate::of(object) else {
                    continue;
                };
                if pod
                    .get(&["automountServiceAccountToken"])
                    .and_then(Node::as_bool)
                    .is_some()
                {
                    continue;
                }
                let account = ["serviceAccountName", "serviceAccount"]
                    .iter()
                    .find_map(|f| {
                        pod.get(&[f])
                            .and_then(Node::as_str)
                            .filter(|n| !n.is_empty())
                    })
                    .unwrap_or("default");
                let ns = object.namespace().unwrap_or_default();
                if accounts.get(&(ns, account)).copied().flatten() == Some(false) {
                    continue;
                }
                cx.report_on(
                    object,
                    pod.spec_pointer.clone(),
                    format!("pod mounts the API token of service account `{account}` without deciding to; set automountServiceAccountToken"),
                );
            }
        }
    }
}
