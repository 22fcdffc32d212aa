use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags `runAsUser: 0` on the pod or on any container.
    ///
    /// ## Why is this bad?
    /// The process runs as root (UID 0) inside the container, whatever the image says; with
    /// `runAsNonRoot: true` the pod would not even start, without it root goes unnoticed
    /// (PCI DSS 2.2.6, 7.2.2).
    ///
    /// ## How to fix
    /// Set `runAsUser` to a non-zero UID the image supports (10001 is a common choice), or
    /// remove it and let the image's non-root user apply.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   securityContext: {runAsUser: 0}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   securityContext: {runAsUser: 10001}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Running as Non-root user
    pub(crate) struct RunAsRootUser {
        id: "KP1019",
        name: "run-as-root-user",
        summary: "Runs as UID 0",
        severity: High,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.2"],
        tags: [PssRestricted],
    }
}

impl Rule for RunAsRootUser {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if pod
            .get(&["securityContext", "runAsUser"])
            .and_then(Node::as_i64)
            == Some(0)
        {
            cx.report(
                pod.pointer(&["securityContext", "runAsUser"]),
                "pod sets runAsUser: 0 (root)",
            );
        }
        for c in pod.containers() {
            if let Some((node, pointer)) = c.security_context().own("runAsUser")
                && node.as_i64() == Some(0)
            {
                cx.report(
                    pointer,
                    format!("{} sets runAsUser: 0 (root)", c.describe()),
                );
            }
        }
    }
}
