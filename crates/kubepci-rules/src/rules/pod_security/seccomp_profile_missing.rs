use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Linux containers whose effective seccomp profile (their own, or the pod's) is not
    /// explicitly `RuntimeDefault` or `Localhost`. Pods with `spec.os.name: windows` are exempt,
    /// as in the restricted Pod Security level.
    ///
    /// ## Why is this bad?
    /// Without an explicit profile, many runtimes run containers unconfined. PCI DSS 2.2.6
    /// asks for security parameters that are set, not left to defaults that vary by node.
    ///
    /// ## How to fix
    /// Set `securityContext.seccompProfile: {type: RuntimeDefault}` at pod level (inherited by
    /// every container) or on each container.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
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
    /// - Kubernetes Pod Security Standards, restricted: Seccomp
    pub(crate) struct SeccompProfileMissing {
        id: "KP1014",
        name: "seccomp-profile-missing",
        summary: "No RuntimeDefault or Localhost seccomp profile",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6"],
        tags: [PssRestricted],
    }
}

impl Rule for SeccompProfileMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            let sc = c.security_context();
            match sc.profile_type("seccompProfile") {
                Some(("RuntimeDefault" | "Localhost", _)) => {}
                // Unconfined is the baseline rule's finding.
                Some(("Unconfined", _)) => {}
                Some((other, pointer)) => {
                    cx.report(
                        pointer,
                        format!("{} has seccomp profile type `{other}`", c.describe()),
                    );
                }
                None => cx.report(
                    sc.container_pointer("seccompProfile"),
                    format!(
                        "{} sets no seccomp profile (RuntimeDefault or Localhost)",
                        c.describe()
                    ),
                ),
            }
        }
    }
}
