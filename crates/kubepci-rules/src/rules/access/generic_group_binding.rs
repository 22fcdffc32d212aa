use crate::rules::prelude::*;
use crate::support::rbac::{RBAC_KINDS, Rbac, subject_pointer};
use crate::support::subject::SubjectKind;

declare_rule! {
    /// ## What it does
    /// Flags binding subjects that are groups with a generic name from `rbac.genericGroups`
    /// (`admins`, `devs`, `ops`, `users`, `everyone`, … by default), compared without case
    /// and also after an identity-provider prefix (`oidc:admins`, `acme/devs`).
    ///
    /// ## Why is this bad?
    /// A binding to a generic group says nothing about who holds the access: membership
    /// lives in the identity provider and changes without review. PCI DSS 8.2.2 allows
    /// shared or generic accounts only by exception, with every use attributable to a person;
    /// the exception needs evidence of who the members are.
    ///
    /// ## How to fix
    /// Bind groups named after a job function and reviewed in the identity provider
    /// (`payments-oncall`), or record a waiver listing the group's members and its review.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: editors, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    ///   - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "oidc:devs"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: editors, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    ///   - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "oidc:payments-developers"}
    /// ```
    pub(crate) struct GenericGroupBinding {
        id: "KP6017",
        name: "generic-group-binding",
        summary: "Role bound to a generic group",
        severity: Low,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["8.2.2"],
        tags: [],
    }
}

impl Rule for GenericGroupBinding {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let rbac = Rbac::of(cx.inventory);
        let generic = &cx.settings.rbac.generic_groups;
        for binding in rbac.bindings.iter().filter(|b| !b.system) {
            let object = &cx.inventory.objects()[binding.object];
            for (index, subject) in &binding.subjects {
                if subject.kind != SubjectKind::Group {
                    continue;
                }
                let short = subject
                    .name
                    .rsplit([':', '/'])
                    .next()
                    .unwrap_or(&subject.name);
                if generic
                    .iter()
                    .any(|g| g.eq_ignore_ascii_case(&subject.name) || g.eq_ignore_ascii_case(short))
                {
                    cx.report_on(
                        object,
                        subject_pointer(*index),
                        format!(
                            "{} grants {} {} to the generic group `{}`: record who its members are",
                            binding.describe(),
                            binding.role_kind,
                            binding.role_name,
                            subject.name
                        ),
                    );
                }
            }
        }
    }
}
