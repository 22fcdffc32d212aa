use super::{Encryption, storage_class_encryption};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags StorageClasses of provisioners whose parameters control encryption at rest when
    /// they do not request it: AWS EBS (`encrypted: "true"`), Ceph RBD (`encrypted: "true"`),
    /// GCE Persistent Disk (`disk-encryption-kms-key`) and Azure Disk (`diskEncryptionSetID`).
    /// GCE and Azure encrypt every disk with provider-managed keys; the finding asks for a
    /// customer-managed key, whose access is managed apart from the cloud account (3.5.1.3).
    /// StorageClasses of other provisioners are not judged.
    ///
    /// ## Why is this bad?
    /// Volumes provisioned from the class hold whatever the workload writes, cardholder data
    /// included; PCI DSS 3.5.1 requires stored PAN to be unreadable, and an unencrypted disk
    /// snapshot is readable by anyone who can copy it.
    ///
    /// ## How to fix
    /// Set the provisioner's encryption parameters (and a KMS key you manage), and migrate
    /// the volumes of existing claims.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata: {name: gp3}
    /// provisioner: ebs.csi.aws.com
    /// parameters: {type: gp3}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata: {name: gp3-encrypted}
    /// provisioner: ebs.csi.aws.com
    /// parameters:
    ///   type: gp3
    ///   encrypted: "true"
    ///   kmsKeyId: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
    /// ```
    pub(crate) struct StorageClassUnencrypted {
        id: "KP3201",
        name: "storage-class-unencrypted",
        summary: "StorageClass does not request encryption at rest",
        severity: Medium,
        target: Target::Kinds(&["StorageClass"]),
        pci: ["3.5.1", "3.5.1.3"],
        tags: [],
    }
}

impl Rule for StorageClassUnencrypted {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if let Encryption::Missing(what) = storage_class_encryption(object) {
            let provisioner = object
                .root
                .get("provisioner")
                .and_then(Node::as_str)
                .unwrap_or_default();
            let pointer = if object.root.get("parameters").is_some() {
                JsonPointer::root().key("parameters")
            } else {
                JsonPointer::root().key("provisioner")
            };
            cx.report(
                pointer,
                format!("StorageClass for `{provisioner}` does not set {what}"),
            );
        }
    }
}
