use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags containers that do not set `securityContext.readOnlyRootFilesystem: true`.
    ///
    /// ## Why is this bad?
    /// PCI DSS 11.5.2 asks for change detection on critical files; the strongest form is
    /// change *avoidance*: with a read-only root filesystem an attacker cannot drop tools,
    /// replace binaries or persist in the container, and any write attempt is an error the
    /// runtime detector can alert on. It also supports 2.2.6 (secure parameters).
    ///
    /// ## How to fix
    /// Set `readOnlyRootFilesystem: true` and mount an `emptyDir` at the paths the process
    /// must write (`/tmp`, caches).
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
    ///       securityContext: {readOnlyRootFilesystem: true}
    ///       volumeMounts: [{name: tmp, mountPath: /tmp}]
    ///   volumes:
    ///     - {name: tmp, emptyDir: {}}
    /// ```
    pub(crate) struct WritableRootFilesystem {
        id: "KP1101",
        name: "writable-root-filesystem",
        summary: "Root filesystem is writable",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["11.5.2", "2.2.6"],
        tags: [],
    }
}

impl Rule for WritableRootFilesystem {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for c in pod.containers() {
            let sc = c.security_context();
            if sc.bool("readOnlyRootFilesystem").map(|(b, _)| b) != Some(true) {
                cx.report(
                    sc.container_pointer("readOnlyRootFilesystem"),
                    format!("{} has a writable root filesystem", c.describe()),
                );
            }
        }
    }
}
