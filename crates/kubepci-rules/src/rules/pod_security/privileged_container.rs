use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags containers (regular, init and ephemeral) whose `securityContext.privileged` is
    /// `true`.
    ///
    /// ## Why is this bad?
    /// A privileged container holds every Linux capability and sees the host's devices: a
    /// compromise of the container is a compromise of the node and of every workload on it,
    /// which pulls the whole node into the cardholder-data environment. PCI DSS 2.2.6 asks
    /// for system security parameters that prevent misuse; 7.2.5 for least privilege of
    /// system accounts.
    ///
    /// ## How to fix
    /// Remove `privileged: true` (or set it to `false`). If the workload needs one specific
    /// privilege, grant that capability alone; node agents that truly need privilege belong
    /// in a dedicated, out-of-CDE namespace with a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: registry.example.com/app:1.4.2
    ///       securityContext: {privileged: true}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: registry.example.com/app:1.4.2
    ///       securityContext: {privileged: false}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Privileged Containers
    pub(crate) struct PrivilegedContainer {
        id: "KP1001",
        name: "privileged-container",
        summary: "Container runs privileged",
        severity: Critical,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.5"],
        tags: [PssBaseline],
    }
}

impl Rule for PrivilegedContainer {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for c in pod.containers() {
            if let Some((true, pointer)) = c.security_context().bool("privileged") {
                cx.report(pointer, format!("{} runs privileged", c.describe()));
            }
        }
    }
}
