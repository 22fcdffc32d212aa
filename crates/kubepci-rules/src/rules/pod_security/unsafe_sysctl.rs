use crate::rules::prelude::*;

/// Sysctls the baseline level allows: namespaced and isolated from other pods (Pod Security
/// Admission v1.37).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

declare_rule! {
    /// ## What it does
    /// Flags `spec.securityContext.sysctls` entries outside the safe set (namespaced sysctls
    /// isolated from other pods, such as `net.ipv4.ip_local_port_range`).
    ///
    /// ## Why is this bad?
    /// Other sysctls change kernel behaviour for the whole node or disable protections,
    /// affecting every workload sharing it (PCI DSS 2.2.6).
    ///
    /// ## How to fix
    /// Remove the sysctl, or set it on dedicated nodes through the node's configuration
    /// rather than from a pod.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     sysctls:
    ///       - {name: kernel.msgmax, value: "65536"}
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
    ///     sysctls:
    ///       - {name: net.ipv4.ip_local_port_range, value: "32768 60999"}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Sysctls
    pub(crate) struct UnsafeSysctl {
        id: "KP1015",
        name: "unsafe-sysctl",
        summary: "Pod sets an unsafe sysctl",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6"],
        tags: [PssBaseline],
    }
}

impl Rule for UnsafeSysctl {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let sysctls = pod
            .get(&["securityContext", "sysctls"])
            .map(Node::items)
            .unwrap_or_default();
        for (i, sysctl) in sysctls.iter().enumerate() {
            let name = sysctl
                .get("name")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            if !SAFE_SYSCTLS.contains(&name.as_ref()) {
                cx.report(
                    pod.pointer(&["securityContext", "sysctls"])
                        .index(i)
                        .key("name"),
                    format!("pod sets unsafe sysctl `{name}`"),
                );
            }
        }
    }
}
