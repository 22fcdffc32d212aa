use crate::rules::prelude::*;
use crate::support::admission::{PSA_ENFORCE, psa_enforce};

declare_rule! {
    /// ## What it does
    /// Flags Namespace objects of in-scope namespaces (`cde`, `connected` and unscoped;
    /// exempt namespaces excepted) whose Pod Security Admission label
    /// `pod-security.kubernetes.io/enforce` is missing, is `privileged`, or is not a level
    /// Kubernetes knows.
    ///
    /// ## Why is this bad?
    /// Pod Security Admission is the built-in enforcement of the Pod Security Standards, the
    /// hardening baseline for pods: without an enforce level (or with `privileged`), a pod
    /// that runs privileged, on the host network or as root is admitted in a namespace that
    /// handles or reaches card data. PCI DSS 2.2.1 requires configuration standards to be
    /// implemented, 2.2.6 security parameters that prevent misuse.
    ///
    /// ## How to fix
    /// Label the namespace `pod-security.kubernetes.io/enforce: restricted` (and pin
    /// `enforce-version`). Where a workload cannot meet `restricted`, use `baseline` and
    /// record a waiver (KP7002).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels:
    ///     kubepci.io/scope: cde
    ///     pod-security.kubernetes.io/enforce: privileged
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels:
    ///     kubepci.io/scope: cde
    ///     pod-security.kubernetes.io/enforce: restricted
    ///     pod-security.kubernetes.io/enforce-version: v1.33
    /// ```
    pub(crate) struct PsaEnforceMissing {
        id: "KP7001",
        name: "psa-enforce-missing",
        summary: "In-scope namespace enforces no Pod Security level",
        severity: High,
        target: Target::Kinds(&["Namespace"]),
        pci: ["2.2.1", "2.2.6"],
        tags: [],
    }
}

impl Rule for PsaEnforceMissing {
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
        let pointer = JsonPointer::root()
            .key("metadata")
            .key("labels")
            .key(PSA_ENFORCE);
        let scope = cx.inventory.scope_of_namespace(object.name());
        match psa_enforce(object) {
            Some("baseline" | "restricted") => {}
            Some("privileged") => cx.report(
                pointer,
                format!("{scope} namespace enforces the `privileged` Pod Security level: any pod is admitted"),
            ),
            Some(other) => cx.report(
                pointer,
                format!("{scope} namespace sets an unknown Pod Security level `{other}`, which admission rejects"),
            ),
            None => cx.report(
                pointer,
                format!("{scope} namespace has no {PSA_ENFORCE} label: no Pod Security level is enforced"),
            ),
        }
    }
}
