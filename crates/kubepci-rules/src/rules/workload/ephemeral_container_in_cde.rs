use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Pods in `cde` namespaces that carry ephemeral containers (added with `kubectl
    /// debug` through the `pods/ephemeralcontainers` subresource).
    ///
    /// ## Why is this bad?
    /// An ephemeral container is an interactive debugging session injected into a running
    /// payment pod: it shares the pod's network and often its process namespace, sees its
    /// memory and mounted Secrets, and is added outside the declared manifests and their
    /// review. PCI DSS 6.5.1 requires production changes to follow change control; 10.2.1.2
    /// that administrators' actions are logged, which interactive sessions defeat.
    ///
    /// ## How to fix
    /// Delete the pod once the session is over (its controller recreates a clean one); block
    /// `pods/ephemeralcontainers` in the CDE with RBAC or admission, and use an audited
    /// break-glass procedure when debugging is unavoidable.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api-5d9c8b7f6d-x1, namespace: payments}
    /// spec:
    ///   containers:
    ///     - {name: api, image: registry.example.com/api:2.4.1}
    ///   ephemeralContainers:
    ///     - {name: debugger-x7k2p, image: docker.io/library/busybox:1.36, targetContainerName: api}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api-5d9c8b7f6d-x1, namespace: payments}
    /// spec:
    ///   containers:
    ///     - {name: api, image: registry.example.com/api:2.4.1}
    /// ```
    pub(crate) struct EphemeralContainerInCde {
        id: "KP1205",
        name: "ephemeral-container-in-cde",
        summary: "Debug container injected into a CDE pod",
        severity: Medium,
        target: Target::Kinds(&["Pod"]),
        pci: ["6.5.1", "10.2.1.2"],
        tags: [],
    }
}

impl Rule for EphemeralContainerInCde {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().is_cde() {
            return;
        }
        let items = object
            .root
            .path(&["spec", "ephemeralContainers"])
            .map(Node::items)
            .unwrap_or_default();
        for (i, container) in items.iter().enumerate() {
            let name = container
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or_default();
            cx.report(
                JsonPointer::root()
                    .key("spec")
                    .key("ephemeralContainers")
                    .index(i),
                format!("ephemeral container `{name}` was injected into a CDE pod (kubectl debug)"),
            );
        }
    }
}
