use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags container ports that set a non-zero `hostPort`.
    ///
    /// ## Why is this bad?
    /// A host port opens a listening port on the node's own address, outside any Service and
    /// outside the NetworkPolicy model: an exposure nobody reviewed. PCI DSS 1.2.5 requires
    /// every allowed port to be identified, approved and justified; 1.4.2 restricts inbound
    /// traffic from untrusted networks.
    ///
    /// ## How to fix
    /// Remove `hostPort` and expose the port through a ClusterIP Service (or an Ingress when
    /// it must be reachable from outside).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: registry.example.com/web:1.2.0
    ///       ports:
    ///         - {containerPort: 8443, hostPort: 443}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: registry.example.com/web:1.2.0
    ///       ports:
    ///         - {containerPort: 8443}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Host Ports
    pub(crate) struct HostPort {
        id: "KP1006",
        name: "host-port",
        summary: "Container binds a host port",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["1.2.5", "1.4.2", "2.2.6"],
        tags: [PssBaseline],
    }
}

impl Rule for HostPort {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for c in pod.containers() {
            let ports = c.get(&["ports"]).map(Node::items).unwrap_or_default();
            for (i, port) in ports.iter().enumerate() {
                if let Some(host_port) = port
                    .get("hostPort")
                    .and_then(Node::as_i64)
                    .filter(|p| *p != 0)
                {
                    cx.report(
                        c.pointer_to(&["ports"]).index(i).key("hostPort"),
                        format!("{} binds host port {host_port}", c.describe()),
                    );
                }
            }
        }
    }
}
