use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags containers whose effective `runAsNonRoot` is not `true`: neither the container
    /// nor the pod sets it, or the container sets it to `false`.
    ///
    /// ## Why is this bad?
    /// Without `runAsNonRoot: true` the kubelet starts the image's user, which is root for
    /// most images. Root in the container is one kernel bug away from root on the node (PCI
    /// DSS 2.2.6, 7.2.2).
    ///
    /// ## How to fix
    /// Set `securityContext.runAsNonRoot: true` at pod level (and a non-zero `runAsUser` if
    /// the image does not declare a numeric user); do not override it with `false` in a
    /// container.
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
    ///   securityContext: {runAsNonRoot: true, runAsUser: 10001}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Running as Non-root
    pub(crate) struct RunAsNonRootMissing {
        id: "KP1018",
        name: "run-as-non-root-missing",
        summary: "Container may run as root",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.2"],
        tags: [PssRestricted],
    }
}

impl Rule for RunAsNonRootMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for c in pod.containers() {
            let sc = c.security_context();
            match sc.bool("runAsNonRoot") {
                Some((true, _)) => {}
                Some((false, pointer)) => {
                    cx.report(
                        pointer,
                        format!("{} sets runAsNonRoot: false", c.describe()),
                    );
                }
                None => cx.report(
                    sc.container_pointer("runAsNonRoot"),
                    format!(
                        "{} does not set runAsNonRoot: true (neither does the pod)",
                        c.describe()
                    ),
                ),
            }
        }
    }
}
