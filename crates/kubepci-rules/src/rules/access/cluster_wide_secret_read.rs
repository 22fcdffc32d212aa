use super::{allowed_verbs, checked_roles};
use crate::rules::prelude::*;
use crate::support::rbac::{Binding, RBAC_KINDS, Rbac, Role, rule_pointer};

/// Whether a ClusterRole carries an `…aggregate-to-…` label: it is folded into another
/// ClusterRole (the built-in `admin`, `edit`, `view`, or a product's own), whose bindings
/// decide where it applies.
fn object_aggregates_into_builtin(object: &Object) -> bool {
    object
        .labels()
        .any(|(k, v)| k.contains("/aggregate-to-") && v == "true")
}

declare_rule! {
    /// ## What it does
    /// Flags rules of ClusterRoles that allow `get`, `list` or `watch` on all Secrets, when
    /// the ClusterRole is granted cluster-wide: bound by a ClusterRoleBinding (directly or
    /// through a ClusterRole that aggregates it), or not bound at all in the input (its
    /// binding lives elsewhere). A ClusterRole used only through RoleBindings, or labelled to
    /// be aggregated (`…/aggregate-to-…: "true"`) into a role the input does not bind
    /// cluster-wide, grants access in those namespaces only and is not flagged; rules limited
    /// to named Secrets (`resourceNames`) are not flagged; roles granting everything are
    /// reported by KP6002.
    ///
    /// ## Why is this bad?
    /// Secrets hold database passwords, API keys, TLS private keys and service-account
    /// tokens of every namespace, the CDE included: whoever can read them all can act as
    /// any workload. `list` and `watch` return the values too. PCI DSS 7.2.2 and 7.2.5 restrict
    /// such access to those whose function requires it, and 3.6.1.3 access to cleartext keys to
    /// the fewest custodians.
    ///
    /// ## How to fix
    /// Grant Secret access per namespace (a Role and RoleBinding) and, where possible, per
    /// Secret (`resourceNames`). Controllers that need cluster-wide access (an ingress
    /// controller reading TLS Secrets) should be listed in a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: config-reader}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [configmaps, secrets]
    ///     verbs: [get, list, watch]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: config-reader}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: config-reader}
    /// subjects:
    ///   - {kind: ServiceAccount, name: reloader, namespace: tools}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: config-reader}
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [configmaps]
    ///     verbs: [get, list, watch]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: config-reader}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: config-reader}
    /// subjects:
    ///   - {kind: ServiceAccount, name: reloader, namespace: tools}
    /// ```
    pub(crate) struct ClusterWideSecretRead {
        id: "KP6003",
        name: "cluster-wide-secret-read",
        summary: "ClusterRole reads Secrets in every namespace",
        severity: High,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.2", "7.2.5", "3.6.1.3"],
        tags: [],
    }
}

impl Rule for ClusterWideSecretRead {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let rbac = Rbac::of(cx.inventory);
        for role in checked_roles(&rbac, cx) {
            let Some(index) = role.object.filter(|_| role.namespace.is_none()) else {
                continue;
            };
            // Bound directly, or through a ClusterRole that aggregates it.
            let mut bindings: Vec<(&Binding, Option<&Role>)> =
                rbac.bindings_of(role).map(|b| (b, None)).collect();
            for aggregator in rbac.aggregators_of(role) {
                bindings.extend(rbac.bindings_of(aggregator).map(|b| (b, Some(aggregator))));
            }
            let cluster_binding = bindings.iter().find(|(b, _)| b.is_cluster_wide());
            let aggregated = rbac.aggregators_of(role).next().is_some()
                || object_aggregates_into_builtin(&cx.inventory.objects()[index]);
            if cluster_binding.is_none() && (!bindings.is_empty() || aggregated) {
                continue; // used through RoleBindings (or a namespaced aggregate) only
            }
            let how = cluster_binding.map_or_else(
                || "is bound nowhere in the input (assumed cluster-wide)".to_owned(),
                |(b, via)| match via {
                    Some(aggregator) => format!(
                        "is bound cluster-wide by {} through {}, which aggregates it",
                        b.describe(),
                        aggregator.describe()
                    ),
                    None => format!("is bound cluster-wide by {}", b.describe()),
                },
            );
            let object = &cx.inventory.objects()[index];
            for grant in &role.grants {
                if grant.is_everything() {
                    continue;
                }
                let verbs = allowed_verbs(grant, &["get", "list", "watch"], "", "secrets");
                if !verbs.is_empty() {
                    cx.report_on(
                        object,
                        rule_pointer(grant),
                        format!(
                            "{} rule {} allows {} on all Secrets and {how}",
                            role.describe(),
                            grant.index,
                            verbs.join("/")
                        ),
                    );
                }
            }
        }
    }
}
