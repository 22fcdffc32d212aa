use crate::rules::prelude::*;

/// Handlers that can name a host: probes and lifecycle hooks.
const HANDLERS: &[&[&str]] = &[
    &["livenessProbe"],
    &["readinessProbe"],
    &["startupProbe"],
    &["lifecycle", "postStart"],
    &["lifecycle", "preStop"],
];

declare_rule! {
    /// ## What it does
    /// Flags probes (`livenessProbe`, `readinessProbe`, `startupProbe`) and lifecycle hooks
    /// (`postStart`, `preStop`) whose `httpGet.host` or `tcpSocket.host` is set.
    ///
    /// ## Why is this bad?
    /// The kubelet runs probes and hooks from the node, not from the pod's network namespace:
    /// a `host` field makes the kubelet connect to any address the manifest names, around
    /// NetworkPolicy — a server-side request forgery from the node into other segments (PCI
    /// DSS 1.3.2, 2.2.6).
    ///
    /// ## How to fix
    /// Remove `host`; probes then target the pod's own IP.
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
    ///       livenessProbe:
    ///         httpGet: {host: 169.254.169.254, path: /, port: 80}
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
    ///       livenessProbe:
    ///         httpGet: {path: /healthz, port: 8080}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Probes and Lifecycle Hooks
    pub(crate) struct HostProbesAndLifecycle {
        id: "KP1021",
        name: "probe-host-override",
        summary: "Probe or lifecycle hook targets another host",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6", "1.3.2"],
        tags: [PssBaseline],
    }
}

impl Rule for HostProbesAndLifecycle {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for c in pod.containers() {
            for handler in HANDLERS {
                let Some(node) = c.get(handler) else { continue };
                for action in ["httpGet", "tcpSocket"] {
                    let host = node
                        .path(&[action, "host"])
                        .and_then(Node::scalar_text)
                        .unwrap_or_default();
                    if !host.is_empty() {
                        let mut pointer = c.pointer_to(handler);
                        pointer = pointer.key(action).key("host");
                        cx.report(
                            pointer,
                            format!(
                                "{} {} {action} targets host `{host}`",
                                c.describe(),
                                handler.join(".")
                            ),
                        );
                    }
                }
            }
        }
    }
}
