use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags pod volumes of type `hostPath`.
    ///
    /// ## Why is this bad?
    /// A hostPath volume mounts a directory of the node into the container: the container can
    /// read other pods' secrets under `/var/lib/kubelet`, the container runtime socket, or
    /// the node's credentials, and escape to the node. PCI DSS 2.2.6 (security parameters
    /// that prevent misuse) and 7.2.5 (least privilege) are both broken.
    ///
    /// ## How to fix
    /// Use `emptyDir`, a `persistentVolumeClaim`, a `configMap` or a `secret` volume instead.
    /// Node agents that must read the host run outside the CDE under a waiver.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: logs, namespace: shop}
    /// spec:
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    ///   volumes:
    ///     - name: varlog
    ///       hostPath: {path: /var/log}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: logs, namespace: shop}
    /// spec:
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    ///   volumes:
    ///     - name: scratch
    ///       emptyDir: {}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: HostPath Volumes
    pub(crate) struct HostPathVolume {
        id: "KP1005",
        name: "host-path-volume",
        summary: "Pod mounts a hostPath volume",
        severity: High,
        target: Target::PodTemplates,
        pci: ["2.2.6", "7.2.5"],
        tags: [PssBaseline],
    }
}

impl Rule for HostPathVolume {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for (i, volume) in pod.volumes().iter().enumerate() {
            if let Some(host_path) = volume.get("hostPath").filter(|n| !n.is_null()) {
                let path = host_path.get("path").and_then(Node::as_str).unwrap_or("?");
                let name = volume
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or_default();
                cx.report(
                    pod.pointer(&["volumes"]).index(i).key("hostPath"),
                    format!("volume `{name}` mounts host path `{path}`"),
                );
            }
        }
    }
}
