use crate::rules::prelude::*;

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

declare_rule! {
    /// ## What it does
    /// Flags AppArmor profiles other than the runtime default or a profile loaded on the node:
    /// `appArmorProfile.type` other than `RuntimeDefault`/`Localhost` on the pod or a container,
    /// and the legacy annotations `container.apparmor.security.beta.kubernetes.io/<container>`
    /// with a value other than `runtime/default` or `localhost/<profile>`.
    ///
    /// ## Why is this bad?
    /// `Unconfined` switches off the mandatory access control that limits what a compromised
    /// process may touch on the node (PCI DSS 2.2.6).
    ///
    /// ## How to fix
    /// Remove the override (the runtime default then applies) or set
    /// `appArmorProfile: {type: RuntimeDefault}`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     appArmorProfile: {type: Unconfined}
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
    ///     appArmorProfile: {type: RuntimeDefault}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: AppArmor
    pub(crate) struct AppArmorUnconfined {
        id: "KP1009",
        name: "apparmor-unconfined",
        summary: "AppArmor profile overridden",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6"],
        tags: [PssBaseline],
    }
}

impl Rule for AppArmorUnconfined {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let annotations = pod
            .metadata
            .and_then(|m| m.get("annotations"))
            .map(Node::entries)
            .unwrap_or_default();
        for entry in annotations {
            let Some(container) = entry.key.strip_prefix(ANNOTATION_PREFIX) else {
                continue;
            };
            let value = entry.value.as_str().unwrap_or_default();
            if !(value.is_empty() || value == "runtime/default" || value.starts_with("localhost/"))
            {
                cx.report(
                    pod.metadata_pointer.key("annotations").key(&entry.key),
                    format!("container `{container}` has AppArmor profile `{value}`"),
                );
            }
        }
        let pod_level = pod
            .security_context()
            .and_then(|sc| sc.path(&["appArmorProfile", "type"]))
            .and_then(Node::as_str);
        if let Some(kind) = pod_level.filter(|t| !allowed(t)) {
            cx.report(
                pod.pointer(&["securityContext", "appArmorProfile", "type"]),
                format!("pod has AppArmor profile type `{kind}`"),
            );
        }
        for c in pod.containers() {
            if let Some((node, pointer)) = c.security_context().own("appArmorProfile")
                && let Some(kind) = node
                    .get("type")
                    .and_then(Node::as_str)
                    .filter(|t| !allowed(t))
            {
                cx.report(
                    pointer.key("type"),
                    format!("{} has AppArmor profile type `{kind}`", c.describe()),
                );
            }
        }
    }
}

fn allowed(kind: &str) -> bool {
    matches!(kind, "RuntimeDefault" | "Localhost")
}
