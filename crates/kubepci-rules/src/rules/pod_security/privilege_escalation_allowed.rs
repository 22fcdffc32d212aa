use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Linux containers that do not set `securityContext.allowPrivilegeEscalation:
    /// false`. Pods with `spec.os.name: windows` are exempt, as in the restricted Pod Security
    /// level.
    ///
    /// ## Why is this bad?
    /// Unless it is switched off, a process can gain more privileges than its parent through
    /// setuid binaries or file capabilities (`no_new_privs` is not set). In the CDE that turns
    /// a foothold into root in the container (PCI DSS 2.2.6, 7.2.5).
    ///
    /// ## How to fix
    /// Set `allowPrivilegeEscalation: false` on every container.
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
    ///   containers:
    ///     - name: app
    ///       image: registry.example.com/app:1.0.0
    ///       securityContext: {allowPrivilegeEscalation: false}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Privilege Escalation
    pub(crate) struct PrivilegeEscalationAllowed {
        id: "KP1017",
        name: "privilege-escalation-allowed",
        summary: "Privilege escalation not disabled",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.5"],
        tags: [PssRestricted],
    }
}

impl Rule for PrivilegeEscalationAllowed {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            let sc = c.security_context();
            match sc.bool("allowPrivilegeEscalation") {
                Some((false, _)) => {}
                Some((true, pointer)) => {
                    cx.report(
                        pointer,
                        format!("{} sets allowPrivilegeEscalation: true", c.describe()),
                    );
                }
                None => cx.report(
                    sc.container_pointer("allowPrivilegeEscalation"),
                    format!(
                        "{} does not set allowPrivilegeEscalation: false",
                        c.describe()
                    ),
                ),
            }
        }
    }
}
