use crate::content::all_values;
use crate::credentials::private_key_block;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags PEM private keys (`-----BEGIN … PRIVATE KEY-----`) outside Secrets: in ConfigMap
    /// `data` and `binaryData`, container env values, `command` and `args`, and annotations
    /// or labels of workloads and ConfigMaps.
    ///
    /// ## Why is this bad?
    /// PCI DSS 3.6.1.2 allows secret and private keys to be stored only in approved forms
    /// (encrypted, in a secure cryptographic device, or split). A ConfigMap, an env variable
    /// or an annotation is none of these: anyone who can read the object or the pod has the
    /// key, and with it every TLS session or signature it protects.
    ///
    /// ## How to fix
    /// Keep private keys in a `kubernetes.io/tls` Secret (issued by cert-manager) or an
    /// external secret store mounted through the CSI driver, and mount them read-only.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: gateway-tls, namespace: payments}
    /// data:
    ///   tls.key: |
    ///     -----BEGIN RSA PRIVATE KEY-----
    ///     MIIEowIBAAKCAQEA0example
    ///     -----END RSA PRIVATE KEY-----
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: gateway-tls, namespace: payments}
    /// spec:
    ///   secretName: gateway-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: internal-ca, kind: ClusterIssuer}
    /// ```
    pub(crate) struct PrivateKeyInPlainConfig {
        id: "KP3006",
        name: "private-key-in-plain-config",
        summary: "Private key stored outside a Secret",
        severity: Critical,
        target: Target::Kinds(&[
            "Pod",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ReplicationController",
            "Job",
            "CronJob",
            "ConfigMap",
        ]),
        pci: ["3.6.1.2", "3.6.1"],
        tags: [],
    }
}

impl Rule for PrivateKeyInPlainConfig {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        for text in all_values(object) {
            if let Some(kind) = private_key_block(&text.text) {
                cx.report(
                    text.pointer,
                    format!("{} holds {kind}", text.place.describe()),
                );
            }
        }
    }
}
