use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags containers with `procMount` other than `Default` in pods that share the host's
    /// user namespace (`hostUsers` unset or `true`). Pods in their own user namespace
    /// (`hostUsers: false`) may unmask `/proc`, as in the baseline Pod Security level.
    ///
    /// ## Why is this bad?
    /// The default proc mount masks kernel interfaces under `/proc` (`/proc/kcore`,
    /// `/proc/sys`…). Unmasking them in the host user namespace exposes the node's kernel to
    /// the container (PCI DSS 2.2.6).
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`; nested container builds that need an
    /// unmasked `/proc` must run with `hostUsers: false`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: builder, namespace: ci}
    /// spec:
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
    ///       securityContext: {procMount: Unmasked}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: /proc Mount Type
    pub(crate) struct ProcMountUnmasked {
        id: "KP1011",
        name: "proc-mount-unmasked",
        summary: "Unmasked /proc in the host user namespace",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6"],
        tags: [PssBaseline],
    }
}

impl Rule for ProcMountUnmasked {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if pod.host_users() == Some(false) {
            return;
        }
        for c in pod.containers() {
            if let Some((node, pointer)) = c.security_context().own("procMount") {
                let value = node.scalar_text().unwrap_or_default();
                if value != "Default" {
                    cx.report(
                        pointer,
                        format!(
                            "{} sets procMount `{value}` in the host user namespace",
                            c.describe()
                        ),
                    );
                }
            }
        }
    }
}
