use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags `windowsOptions.hostProcess: true` on the pod or on any container.
    ///
    /// ## Why is this bad?
    /// A Windows HostProcess container runs directly on the Windows node with the node's
    /// privileges: it is the Windows equivalent of a privileged container with the host's
    /// namespaces (PCI DSS 2.2.6, 7.2.5).
    ///
    /// ## How to fix
    /// Remove `hostProcess` or set it to `false`; node agents that need it run outside the
    /// CDE under a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: agent, namespace: shop}
    /// spec:
    ///   os: {name: windows}
    ///   securityContext:
    ///     windowsOptions: {hostProcess: true}
    ///   hostNetwork: true
    ///   containers:
    ///     - {name: agent, image: registry.example.com/agent:1.0.0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: agent, namespace: shop}
    /// spec:
    ///   os: {name: windows}
    ///   containers:
    ///     - {name: agent, image: registry.example.com/agent:1.0.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: HostProcess
    pub(crate) struct WindowsHostProcess {
        id: "KP1020",
        name: "windows-host-process",
        summary: "Windows HostProcess container",
        severity: Critical,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.5"],
        tags: [PssBaseline],
    }
}

impl Rule for WindowsHostProcess {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let path = ["securityContext", "windowsOptions", "hostProcess"];
        if pod.get(&path).and_then(Node::as_bool) == Some(true) {
            cx.report(
                pod.pointer(&path),
                "pod sets windowsOptions.hostProcess: true",
            );
        }
        for c in pod.containers() {
            if let Some((node, pointer)) = c.security_context().own("windowsOptions")
                && node.get("hostProcess").and_then(Node::as_bool) == Some(true)
            {
                cx.report(
                    pointer.key("hostProcess"),
                    format!("{} sets windowsOptions.hostProcess: true", c.describe()),
                );
            }
        }
    }
}
