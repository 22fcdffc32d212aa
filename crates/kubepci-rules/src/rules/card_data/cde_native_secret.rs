use std::collections::HashSet;

use crate::rules::prelude::*;

/// Owner kinds of operators that materialise Secrets from an external store.
const EXTERNAL_OWNERS: &[&str] = &[
    "ExternalSecret",
    "SealedSecret",
    "SecretProviderClassPodStatus",
    "VaultStaticSecret",
    "VaultDynamicSecret",
    "OnePasswordItem",
    "InfisicalSecret",
    "DopplerSecret",
];

/// Label and annotation prefixes those operators put on the Secrets they manage.
const EXTERNAL_MARKS: &[&str] = &[
    "reconcile.external-secrets.io/",
    "external-secrets.io/",
    "secrets-store.csi.k8s.io/",
    "sealedsecrets.bitnami.com/",
    "secrets.hashicorp.com/",
];

/// Secret types that hold application secrets (others are filled by controllers).
const APPLICATION_TYPES: &[&str] = &[
    "Opaque",
    "kubernetes.io/basic-auth",
    "kubernetes.io/ssh-auth",
];

declare_rule! {
    /// ## What it does
    /// An advisory rule: flags application Secrets (`Opaque`, `basic-auth`, `ssh-auth`) in
    /// `cde` namespaces that no external secret store manages. A Secret is managed when an
    /// `ExternalSecret`, `SealedSecret` or `SecretProviderClass` in the input produces it, or
    /// when it carries the owner reference, label or annotation such an operator sets
    /// (External Secrets, Sealed Secrets, the Secrets Store CSI driver, Vault Secrets
    /// Operator).
    ///
    /// ## Why is this bad?
    /// A native Secret is as safe as etcd encryption and the RBAC around it, and is rotated by
    /// hand. PCI DSS 3.6.1 requires documented key-management procedures and 3.6.1.4 that keys
    /// be stored in the fewest possible locations: a secret store is the one place, the
    /// cluster holds a synced copy.
    ///
    /// ## How to fix
    /// Keep the secret in a store (Vault, a cloud secret manager) and let External Secrets or
    /// the CSI driver materialise it; or waive the rule with the key-management procedure that
    /// covers the native Secret.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: psp-api-key, namespace: payments}
    /// type: Opaque
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: external-secrets.io/v1
    /// kind: ExternalSecret
    /// metadata: {name: psp-api-key, namespace: payments}
    /// spec:
    ///   secretStoreRef: {name: vault, kind: ClusterSecretStore}
    ///   target: {name: psp-api-key}
    ///   dataFrom:
    ///     - extract: {key: payments/psp}
    /// ---
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: psp-api-key
    ///   namespace: payments
    ///   labels: {reconcile.external-secrets.io/managed: "true"}
    /// type: Opaque
    /// ```
    pub(crate) struct CdeNativeSecret {
        id: "KP3204",
        name: "cde-native-secret",
        summary: "CDE Secret not sourced from an external secret store",
        severity: Info,
        target: Target::Inventory(&["Secret", "ExternalSecret", "SealedSecret", "SecretProviderClass"]),
        admission: Namespace,
        pci: ["3.6.1", "3.6.1.4"],
        tags: [],
    }
}

impl Rule for CdeNativeSecret {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        // (namespace, name) of Secrets an external-store object in the input produces.
        let mut produced: HashSet<(&str, &str)> = HashSet::new();
        for es in inventory.of_kind("ExternalSecret") {
            let target = es
                .root
                .path(&["spec", "target", "name"])
                .and_then(Node::as_str)
                .unwrap_or(es.name());
            produced.insert((es.namespace().unwrap_or_default(), target));
        }
        for ss in inventory.of_kind("SealedSecret") {
            let target = ss
                .root
                .path(&["spec", "template", "metadata", "name"])
                .and_then(Node::as_str)
                .unwrap_or(ss.name());
            produced.insert((ss.namespace().unwrap_or_default(), target));
        }
        for spc in inventory.of_kind("SecretProviderClass") {
            let objects = spc
                .root
                .path(&["spec", "secretObjects"])
                .map(Node::items)
                .unwrap_or_default();
            for o in objects {
                if let Some(name) = o.get("secretName").and_then(Node::as_str) {
                    produced.insert((spc.namespace().unwrap_or_default(), name));
                }
            }
        }
        for secret in inventory.of_kind("Secret") {
            if !inventory.scope_of(secret).is_cde() {
                continue;
            }
            let kind = secret
                .root
                .get("type")
                .and_then(Node::as_str)
                .unwrap_or("Opaque");
            if !APPLICATION_TYPES.contains(&kind) {
                continue;
            }
            let ns = secret.namespace().unwrap_or_default();
            let owned = secret
                .metadata()
                .and_then(|m| m.get("ownerReferences"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|o| {
                    o.get("kind")
                        .and_then(Node::as_str)
                        .is_some_and(|k| EXTERNAL_OWNERS.contains(&k))
                });
            let marked = secret
                .labels()
                .map(|(k, _)| k)
                .chain(
                    secret
                        .metadata()
                        .and_then(|m| m.get("annotations"))
                        .map(Node::entries)
                        .unwrap_or_default()
                        .iter()
                        .map(|e| &*e.key),
                )
                .any(|k| EXTERNAL_MARKS.iter().any(|p| k.starts_with(p)));
            if owned || marked || produced.contains(&(ns, secret.name())) {
                continue;
            }
            cx.report_on(
                secret,
                JsonPointer::root().key("metadata"),
                format!("CDE Secret of type {kind} is not managed by an external secret store"),
            );
        }
    }
}
