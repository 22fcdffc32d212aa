use crate::rules::prelude::*;

/// Capabilities the baseline level allows a container to add (the container runtime's
/// default set).
const ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

declare_rule! {
    /// ## What it does
    /// Flags containers that add a Linux capability beyond the runtime's default set
    /// (`AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`,
    /// `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`, `SYS_CHROOT`), such as
    /// `SYS_ADMIN`, `NET_ADMIN`, `NET_RAW`, `SYS_PTRACE` or `SYS_MODULE`.
    ///
    /// ## Why is this bad?
    /// These capabilities give a container powers over the node's kernel, network stack or
    /// other processes (`SYS_ADMIN` is close to root on the node; `NET_RAW` allows spoofing
    /// and sniffing). PCI DSS 2.2.6 requires security parameters that prevent misuse, and
    /// 7.2.5 least privilege for system accounts.
    ///
    /// ## How to fix
    /// Remove the capability from `securityContext.capabilities.add`. Most applications need
    /// none; a web server binding port 443 needs only `NET_BIND_SERVICE`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: registry.example.com/app:1.0.0
    ///       securityContext:
    ///         capabilities: {add: [NET_ADMIN]}
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
    ///       securityContext:
    ///         capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Capabilities
    pub(crate) struct CapabilitiesBaseline {
        id: "KP1007",
        name: "dangerous-capability",
        summary: "Container adds a dangerous Linux capability",
        severity: High,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.5"],
        tags: [PssBaseline],
    }
}

impl Rule for CapabilitiesBaseline {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for c in pod.containers() {
            let Some((caps, pointer)) = c.security_context().get("capabilities") else {
                continue;
            };
            let added = caps.get("add").map(Node::items).unwrap_or_default();
            for (i, cap) in added.iter().enumerate() {
                let name = cap.scalar_text().unwrap_or_default();
                if !ALLOWED.contains(&name.as_ref()) {
                    cx.report(
                        pointer.key("add").index(i),
                        format!("{} adds capability {name}", c.describe()),
                    );
                }
            }
        }
    }
}
