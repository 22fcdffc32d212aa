use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags `seccompProfile.type: Unconfined` on the pod or on any container.
    ///
    /// ## Why is this bad?
    /// Seccomp filters the system calls a container may make; `Unconfined` gives a
    /// compromised process the kernel's whole attack surface, including calls used in
    /// container escapes (PCI DSS 2.2.6).
    ///
    /// ## How to fix
    /// Set `seccompProfile: {type: RuntimeDefault}` (or a `Localhost` profile) instead.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     seccompProfile: {type: Unconfined}
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
    ///   securityContext:
    ///     seccompProfile: {type: RuntimeDefault}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Seccomp
    pub(crate) struct SeccompUnconfined {
        id: "KP1013",
        name: "seccomp-unconfined",
        summary: "Seccomp profile set to Unconfined",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6"],
        tags: [PssBaseline],
    }
}

impl Rule for SeccompUnconfined {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let pod_type = pod
            .get(&["securityContext", "seccompProfile", "type"])
            .and_then(Node::as_str);
        if pod_type == Some("Unconfined") {
            cx.report(
                pod.pointer(&["securityContext", "seccompProfile", "type"]),
                "pod sets seccomp profile Unconfined",
            );
        }
        for c in pod.containers() {
            if let Some((node, pointer)) = c.security_context().own("seccompProfile")
                && node.get("type").and_then(Node::as_str) == Some("Unconfined")
            {
                cx.report(
                    pointer.key("type"),
                    format!("{} sets seccomp profile Unconfined", c.describe()),
                );
            }
        }
    }
}
