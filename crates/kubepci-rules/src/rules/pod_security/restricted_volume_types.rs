use crate::rules::prelude::*;

/// Volume sources the restricted level allows.
const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

declare_rule! {
    /// ## What it does
    /// Flags pod volumes whose source is not one of `configMap`, `csi`, `downwardAPI`,
    /// `emptyDir`, `ephemeral`, `persistentVolumeClaim`, `projected` or `secret`: host paths,
    /// in-tree network and cloud disks (`nfs`, `iscsi`, `rbd`, `awsElasticBlockStore`…),
    /// `gitRepo` and `flexVolume`. A volume with only a name is an `emptyDir`, as the API
    /// server defaults it.
    ///
    /// ## Why is this bad?
    /// These sources bypass the persistent-volume model the platform team controls (storage
    /// classes, encryption, access modes): a pod can mount arbitrary network storage or run
    /// code on the node (`gitRepo`, `flexVolume`). PCI DSS 2.2.6 and 3.5.1 (stored data
    /// under control) both suffer.
    ///
    /// ## How to fix
    /// Use a `persistentVolumeClaim` against an approved StorageClass, or one of the allowed
    /// ephemeral sources.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    ///   volumes:
    ///     - name: share
    ///       nfs: {server: 10.0.0.5, path: /exports}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app, namespace: shop}
    /// spec:
    ///   containers:
    ///     - {name: app, image: registry.example.com/app:1.0.0}
    ///   volumes:
    ///     - name: share
    ///       persistentVolumeClaim: {claimName: share}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Volume Types
    pub(crate) struct RestrictedVolumeTypes {
        id: "KP1016",
        name: "restricted-volume-type",
        summary: "Volume type outside the restricted set",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["2.2.6", "3.5.1"],
        tags: [PssRestricted],
    }
}

impl Rule for RestrictedVolumeTypes {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for (i, volume) in pod.volumes().iter().enumerate() {
            let name = volume
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or_default();
            for entry in volume.entries() {
                if &*entry.key == "name" || entry.value.is_null() || ALLOWED.contains(&&*entry.key)
                {
                    continue;
                }
                cx.report(
                    pod.pointer(&["volumes"]).index(i).key(&entry.key),
                    format!(
                        "volume `{name}` uses restricted volume type `{}`",
                        entry.key
                    ),
                );
            }
        }
    }
}
