use std::collections::HashMap;

use super::{Encryption, is_default_class, storage_class_encryption};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags PersistentVolumeClaims and StatefulSet `volumeClaimTemplates` in `cde`
    /// namespaces whose StorageClass (named, or the cluster default when none is named) is not
    /// shown to encrypt: a class of a known provisioner without its encryption parameters
    /// (see KP3201), or — when `encryptedStorageClasses` is configured — any class not on
    /// that list. Claims of classes that are not in the input are judged only against the
    /// configured list; `storageClassName: ""` (a pre-provisioned volume) is not judged.
    ///
    /// ## Why is this bad?
    /// A CDE volume holds cardholder data or the keys protecting it; PCI DSS 3.5.1 requires
    /// stored PAN to be unreadable wherever it is stored, including disks and their snapshots.
    ///
    /// ## How to fix
    /// Use an encrypted StorageClass for every CDE claim (set `storageClassName`), and list
    /// the approved classes under `encryptedStorageClasses` in `kubepci.yaml`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata: {name: gp3}
    /// provisioner: ebs.csi.aws.com
    /// parameters: {type: gp3}
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata: {name: ledger, namespace: payments}
    /// spec:
    ///   storageClassName: gp3
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 20Gi}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata: {name: gp3-encrypted}
    /// provisioner: ebs.csi.aws.com
    /// parameters: {type: gp3, encrypted: "true"}
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata: {name: ledger, namespace: payments}
    /// spec:
    ///   storageClassName: gp3-encrypted
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 20Gi}}
    /// ```
    pub(crate) struct CdeVolumeWithoutEncryption {
        id: "KP3202",
        name: "cde-volume-without-encryption",
        summary: "CDE volume claim on a StorageClass not shown to encrypt",
        severity: High,
        target: Target::Inventory(&["PersistentVolumeClaim", "StatefulSet", "StorageClass"]),
        admission: Namespace,
        pci: ["3.5.1"],
        tags: [],
    }
}

impl Rule for CdeVolumeWithoutEncryption {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let allowlist = &cx.settings.encrypted_storage_classes;
        let classes: HashMap<&str, &Object> = inventory
            .of_kind("StorageClass")
            .map(|c| (c.name(), c))
            .collect();
        let default_class = inventory
            .of_kind("StorageClass")
            .find(|c| is_default_class(c))
            .map(Object::name);
        // The verdict on one claim spec: a message when it is not shown to encrypt.
        let judge = |spec: Option<&Node>| -> Option<String> {
            let named = spec
                .and_then(|s| s.get("storageClassName"))
                .and_then(Node::as_str);
            let (class, how) = match named {
                Some("") => return None,
                Some(name) => (name, "StorageClass"),
                None => (default_class?, "default StorageClass"),
            };
            if allowlist.iter().any(|a| a == class) {
                return None;
            }
            match classes.get(class).map(|c| storage_class_encryption(c)) {
                Some(Encryption::Missing(what)) => {
                    Some(format!("{how} `{class}` does not set {what}"))
                }
                _ if !allowlist.is_empty() => {
                    Some(format!("{how} `{class}` is not in encryptedStorageClasses"))
                }
                _ => None,
            }
        };
        for claim in inventory.of_kind("PersistentVolumeClaim") {
            if !inventory.scope_of(claim).is_cde() {
                continue;
            }
            if let Some(why) = judge(claim.root.get("spec")) {
                let pointer = if claim.root.path(&["spec", "storageClassName"]).is_some() {
                    JsonPointer::root().key("spec").key("storageClassName")
                } else {
                    JsonPointer::root().key("spec")
                };
                cx.report_on(claim, pointer, format!("CDE volume claim: {why}"));
            }
        }
        for set in inventory.of_kind("StatefulSet") {
            if !inventory.scope_of(set).is_cde() {
                continue;
            }
            let templates = set
                .root
                .path(&["spec", "volumeClaimTemplates"])
                .map(Node::items)
                .unwrap_or_default();
            for (i, template) in templates.iter().enumerate() {
                if let Some(why) = judge(template.get("spec")) {
                    let name = template
                        .path(&["metadata", "name"])
                        .and_then(Node::as_str)
                        .unwrap_or("?");
                    let base = JsonPointer::root()
                        .key("spec")
                        .key("volumeClaimTemplates")
                        .index(i);
                    let pointer = if template.path(&["spec", "storageClassName"]).is_some() {
                        base.key("spec").key("storageClassName")
                    } else {
                        base
                    };
                    cx.report_on(
                        set,
                        pointer,
                        format!("CDE volume claim template `{name}`: {why}"),
                    );
                }
            }
        }
    }
}
