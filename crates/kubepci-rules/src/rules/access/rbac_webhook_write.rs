use super::{allowed_verbs, report_grants};
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

/// `(API group, resource)` of the objects that configure admission control, and kubepci's own.
const ADMISSION: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
    ),
];

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that allow `create`, `update`, `patch`, `delete`
    /// or `deletecollection` on webhook configurations, ValidatingAdmissionPolicies and
    /// MutatingAdmissionPolicies (and their bindings), or on kubepci's own resources
    /// (`kubepci.io`). Rules limited to named objects (`resourceNames`, as webhook CA
    /// injectors use) and rules with `*` in `resources` or `apiGroups` (KP6002) are not flagged.
    ///
    /// ## Why is this bad?
    /// Admission control is how the configuration standard is enforced. Whoever can edit it
    /// can switch enforcement off for a namespace (`failurePolicy: Ignore`, a
    /// `namespaceSelector`), redirect requests to their own webhook or see every object
    /// submitted. PCI DSS 7.2.5 limits such access, and 10.7.2 expects failures of security
    /// controls to be detected, not introduced silently.
    ///
    /// ## How to fix
    /// Keep admission configuration with the platform administrators and the GitOps
    /// controller; limit CA injectors to the named configurations they manage.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: operator}
    /// rules:
    ///   - apiGroups: [admissionregistration.k8s.io]
    ///     resources: [validatingwebhookconfigurations]
    ///     verbs: [get, list, update, patch]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: operator}
    /// rules:
    ///   - apiGroups: [admissionregistration.k8s.io]
    ///     resources: [validatingwebhookconfigurations]
    ///     verbs: [get, list]
    ///   - apiGroups: [admissionregistration.k8s.io]
    ///     resources: [validatingwebhookconfigurations]
    ///     resourceNames: [operator-webhook]
    ///     verbs: [update, patch]
    /// ```
    pub(crate) struct RbacWebhookWrite {
        id: "KP6008",
        name: "rbac-admission-config-write",
        summary: "Role can change admission control configuration",
        severity: Medium,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.5", "10.7.2"],
        tags: [],
    }
}

impl Rule for RbacWebhookWrite {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
        report_grants(cx, true, |grant| {
            let mut found: Vec<String> = ADMISSION
                .iter()
                .filter_map(|(group, resource)| {
                    let verbs = allowed_verbs(grant, WRITE, group, resource);
                    (!verbs.is_empty()).then(|| format!("{} {resource}", verbs.join("/")))
                })
                .collect();
            let own: Vec<&str> = WRITE
                .iter()
                .copied()
                .filter(|v| grant.allows_any_resource(v, "kubepci.io"))
                .collect();
            if !own.is_empty() {
                found.push(format!("{} on kubepci.io resources", own.join("/")));
            }
            (!found.is_empty()).then(|| format!("allows {}", found.join(", ")))
        });
    }
}
