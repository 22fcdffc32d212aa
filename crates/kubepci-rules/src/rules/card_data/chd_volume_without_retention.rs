use super::{RETENTION_ANNOTATION, STORES_CHD_LABEL};
use crate::rules::prelude::*;

fn annotated(metadata: Option<&Node>) -> bool {
    metadata
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(RETENTION_ANNOTATION))
        .and_then(Node::as_str)
        .is_some_and(|v| !v.trim().is_empty())
}

fn marked(metadata: Option<&Node>) -> bool {
    metadata
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get(STORES_CHD_LABEL))
        .and_then(Node::as_str)
        == Some("true")
}

declare_rule! {
    /// ## What it does
    /// An optional rule: flags storage that is marked as holding cardholder data
    /// (`kubepci.io/stores-chd: "true"` on a PersistentVolumeClaim, or on a StatefulSet or its
    /// pod template for its `volumeClaimTemplates`) without a `kubepci.io/retention`
    /// annotation stating how long the data is kept (`P13M`, `400d`, or a pointer to the
    /// retention policy).
    ///
    /// ## Why is this bad?
    /// PCI DSS 3.2.1 requires account data storage to be kept to a minimum through a retention
    /// and disposal policy that names, per store, how long data is kept and how it is deleted.
    /// A CHD volume that does not state its retention is a store nobody has reviewed.
    ///
    /// ## How to fix
    /// Annotate the claim (or the StatefulSet) with `kubepci.io/retention` and run the
    /// disposal job the policy requires.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: vault-data
    ///   namespace: payments
    ///   labels: {kubepci.io/stores-chd: "true"}
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 20Gi}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: vault-data
    ///   namespace: payments
    ///   labels: {kubepci.io/stores-chd: "true"}
    ///   annotations: {kubepci.io/retention: P13M}
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 20Gi}}
    /// ```
    pub(crate) struct ChdVolumeWithoutRetention {
        id: "KP3205",
        name: "chd-volume-without-retention",
        summary: "Cardholder-data volume without a stated retention period",
        severity: Low,
        target: Target::Kinds(&["PersistentVolumeClaim", "StatefulSet"]),
        pci: ["3.2.1"],
        tags: [],
    }
}

impl Rule for ChdVolumeWithoutRetention {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let metadata = object.metadata();
        if object.kind() == "PersistentVolumeClaim" {
            if marked(metadata) && !annotated(metadata) {
                cx.report(
                    JsonPointer::root().key("metadata"),
                    format!("volume claim stores cardholder data but has no `{RETENTION_ANNOTATION}` annotation"),
                );
            }
            return;
        }
        let template_meta = object.root.path(&["spec", "template", "metadata"]);
        if !(marked(metadata) || marked(template_meta)) || annotated(metadata) {
            return;
        }
        let templates = object
            .root
            .path(&["spec", "volumeClaimTemplates"])
            .map(Node::items)
            .unwrap_or_default();
        for (i, template) in templates.iter().enumerate() {
            if !annotated(template.get("metadata")) {
                let name = template
                    .path(&["metadata", "name"])
                    .and_then(Node::as_str)
                    .unwrap_or("?");
                cx.report(
                    JsonPointer::root().key("spec").key("volumeClaimTemplates").index(i),
                    format!("volume claim template `{name}` stores cardholder data but has no `{RETENTION_ANNOTATION}` annotation"),
                );
            }
        }
    }
}
