use crate::rules::prelude::*;

/// SELinux types the baseline level allows.
const ALLOWED_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

declare_rule! {
    /// ## What it does
    /// Flags `seLinuxOptions` (on the pod or a container) that set a `type` other than
    /// `container_t`, `container_init_t`, `container_kvm_t` or `container_engine_t`, or that
    /// set a custom `user` or `role`.
    ///
    /// ## Why is this bad?
    /// A custom SELinux type, user or role can lift the confinement the node's policy applies
    /// to containers (`spc_t`, for instance, is unconfined), which PCI DSS 2.2.6 relies on.
    ///
    /// ## How to fix
    /// Remove `type`, `user` and `role` from `seLinuxOptions`; set only `level` when you need
    /// MCS separation.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     seLinuxOptions: {type: spc_t}
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
    ///     seLinuxOptions: {level: "s0:c123,c456"}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: SELinux
    pub(crate) struct SeLinuxOptions {
        id: "KP1010",
        name: "selinux-override",
        summary: "SELinux type, user or role overridden",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6"],
        tags: [PssBaseline],
    }
}

impl Rule for SeLinuxOptions {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if let Some(options) = pod
            .security_context()
            .and_then(|sc| sc.get("seLinuxOptions"))
        {
            check(
                options,
                &pod.pointer(&["securityContext", "seLinuxOptions"]),
                "pod",
                cx,
            );
        }
        for c in pod.containers() {
            if let Some((options, pointer)) = c.security_context().own("seLinuxOptions") {
                check(options, &pointer, &c.describe(), cx);
            }
        }
    }
}

fn check(options: &Node, pointer: &JsonPointer, who: &str, cx: &mut Context<'_>) {
    if let Some(kind) = options.get("type").and_then(Node::as_str)
        && !kind.is_empty()
        && !ALLOWED_TYPES.contains(&kind)
    {
        cx.report(
            pointer.key("type"),
            format!("{who} sets SELinux type `{kind}`"),
        );
    }
    for field in ["user", "role"] {
        if let Some(value) = options
            .get(field)
            .and_then(Node::as_str)
            .filter(|v| !v.is_empty())
        {
            cx.report(
                pointer.key(field),
                format!("{who} sets SELinux {field} `{value}`"),
            );
        }
    }
}
