use crate::rules::prelude::*;
use crate::support::admission::{PSA_ENFORCE, psa_enforce};

declare_rule! {
    /// ## What it does
    /// Flags Namespace objects of in-scope namespaces (exempt namespaces excepted) that
    /// enforce the `baseline` Pod Security level instead of `restricted`. The finding is
    /// meant to be waived, with the reason, where a workload cannot run restricted.
    ///
    /// ## Why is this bad?
    /// `baseline` stops known privilege escalations but still admits pods that run as root,
    /// keep all capabilities and use no seccomp profile. The kubepci configuration standard
    /// (PCI DSS 2.2.1) is `restricted` for namespaces in scope; a weaker level is an exception
    /// that must be justified and reviewed (2.2.6, 12.3.1).
    ///
    /// ## How to fix
    /// Fix the workloads (non-root user, `drop: [ALL]`, `RuntimeDefault` seccomp, no
    /// privilege escalation) and label the namespace `restricted`, or record a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: storefront
    ///   labels:
    ///     kubepci.io/scope: connected
    ///     pod-security.kubernetes.io/enforce: baseline
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: storefront
    ///   labels:
    ///     kubepci.io/scope: connected
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ```
    pub(crate) struct PsaEnforceBaseline {
        id: "KP7002",
        name: "psa-enforce-baseline",
        summary: "In-scope namespace enforces baseline, not restricted",
        severity: Medium,
        target: Target::Kinds(&["Namespace"]),
        pci: ["2.2.1", "2.2.6"],
        tags: [],
    }
}

impl Rule for PsaEnforceBaseline {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if object.api_version() != "v1"
            || cx.settings.is_exempt_namespace(object.name())
            || !cx.inventory.scope_of_namespace(object.name()).in_scope()
        {
            return;
        }
        if psa_enforce(object) == Some("baseline") {
            let scope = cx.inventory.scope_of_namespace(object.name());
            cx.report(
                JsonPointer::root()
                    .key("metadata")
                    .key("labels")
                    .key(PSA_ENFORCE),
                format!("{scope} namespace enforces Pod Security `baseline`, not `restricted`: record the exception"),
            );
        }
    }
}
