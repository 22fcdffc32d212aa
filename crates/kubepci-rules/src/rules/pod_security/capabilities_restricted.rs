use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Linux containers that do not drop `ALL` capabilities, or that add back any
    /// capability other than `NET_BIND_SERVICE`. Pods with `spec.os.name: windows` are exempt,
    /// as in the restricted Pod Security level.
    ///
    /// ## Why is this bad?
    /// Even the runtime's default capabilities (`CHOWN`, `DAC_OVERRIDE`, `SETUID`, `NET_RAW`
    /// on older runtimes…) let a compromised process do more than the application needs.
    /// Dropping everything is the least-privilege default PCI DSS 7.2.5 and 2.2.6 ask for.
    ///
    /// ## How to fix
    /// Set `securityContext.capabilities.drop: [ALL]` on every container, and add back only
    /// `NET_BIND_SERVICE` if the process binds a port below 1024.
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
    ///         capabilities: {drop: [NET_RAW]}
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
    ///         capabilities: {drop: [ALL]}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Capabilities
    pub(crate) struct CapabilitiesRestricted {
        id: "KP1008",
        name: "capabilities-not-dropped",
        summary: "Container does not drop all capabilities",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.5"],
        tags: [PssRestricted],
    }
}

impl Rule for CapabilitiesRestricted {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            let sc = c.security_context();
            let caps = sc.get("capabilities");
            let drops_all = caps
                .as_ref()
                .and_then(|(n, _)| n.get("drop"))
                .is_some_and(|d| d.items().iter().any(|c| c.as_str() == Some("ALL")));
            if !drops_all {
                cx.report(
                    sc.container_pointer("capabilities").key("drop"),
                    format!("{} does not drop ALL capabilities", c.describe()),
                );
            }
            if let Some((caps, pointer)) = caps {
                let added = caps.get("add").map(Node::items).unwrap_or_default();
                for (i, cap) in added.iter().enumerate() {
                    let name = cap.scalar_text().unwrap_or_default();
                    if name != "NET_BIND_SERVICE" {
                        cx.report(
                            pointer.key("add").index(i),
                            format!(
                                "{} adds capability {name} (only NET_BIND_SERVICE may be added)",
                                c.describe()
                            ),
                        );
                    }
                }
            }
        }
    }
}
