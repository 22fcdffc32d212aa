use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags group ID 0 (root) as a process group: a container's effective `runAsGroup: 0`
    /// (its own or the pod's), or the pod's `fsGroup: 0` or `supplementalGroups` containing 0.
    ///
    /// ## Why is this bad?
    /// Files and devices owned by group root — on the image and on mounted host paths or
    /// volumes — become writable or readable by the process. Running as a non-root user
    /// (`runAsNonRoot`) does not help when the process still carries the root group (PCI DSS
    /// 2.2.6, least privilege under 7.2.5).
    ///
    /// ## How to fix
    /// Set `runAsGroup` and `fsGroup` to a non-zero group (10001 is common) and drop 0 from
    /// `supplementalGroups`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 0}
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
    ///   securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001}
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    /// ```
    pub(crate) struct RootGroup {
        id: "KP1104",
        name: "root-group",
        summary: "Process runs with the root group",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.5"],
        tags: [],
    }
}

impl Rule for RootGroup {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if pod
            .get(&["securityContext", "runAsGroup"])
            .and_then(Node::as_i64)
            == Some(0)
        {
            cx.report(
                pod.pointer(&["securityContext", "runAsGroup"]),
                "pod sets runAsGroup: 0 (root group)",
            );
        }
        if pod
            .get(&["securityContext", "fsGroup"])
            .and_then(Node::as_i64)
            == Some(0)
        {
            cx.report(
                pod.pointer(&["securityContext", "fsGroup"]),
                "pod sets fsGroup: 0 (root group)",
            );
        }
        let supplemental = pod
            .get(&["securityContext", "supplementalGroups"])
            .map(Node::items)
            .unwrap_or_default();
        for (i, group) in supplemental.iter().enumerate() {
            if group.as_i64() == Some(0) {
                cx.report(
                    pod.pointer(&["securityContext", "supplementalGroups"])
                        .index(i),
                    "pod adds supplemental group 0 (root group)",
                );
            }
        }
        for c in pod.containers() {
            if let Some((node, pointer)) = c.security_context().own("runAsGroup")
                && node.as_i64() == Some(0)
            {
                cx.report(
                    pointer,
                    format!("{} sets runAsGroup: 0 (root group)", c.describe()),
                );
            }
        }
    }
}
