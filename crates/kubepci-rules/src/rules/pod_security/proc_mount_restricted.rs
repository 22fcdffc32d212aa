use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags containers with any `procMount` other than `Default`, even in pods with their own
    /// user namespace (the restricted Pod Security level).
    ///
    /// ## Why is this bad?
    /// An unmasked `/proc` exposes kernel interfaces that the application never needs; in the
    /// CDE even a user-namespaced pod should keep them masked (PCI DSS 2.2.6).
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: builder, namespace: ci}
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///     - name: build
    ///       image: registry.example.com/builder:1.0.0
    ///       securityContext: {procMount: Unmasked}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: builder, namespace: ci}
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///     - name: build
    ///       image: registry.example.com/builder:1.0.0
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: /proc Mount Type
    pub(crate) struct ProcMountRestricted {
        id: "KP1012",
        name: "proc-mount-not-default",
        summary: "/proc mount type is not Default",
        severity: Low,
        target: Target::PodTemplates,
        pci: ["2.2.6"],
        tags: [PssRestricted],
    }
}

impl Rule for ProcMountRestricted {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for c in pod.containers() {
            if let Some((node, pointer)) = c.security_context().own("procMount") {
                let value = node.scalar_text().unwrap_or_default();
                if value != "Default" {
                    cx.report(
                        pointer,
                        format!("{} sets procMount `{value}`", c.describe()),
                    );
                }
            }
        }
    }
}
