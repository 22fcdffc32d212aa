use crate::rules::prelude::*;
use crate::support::cluster::{anchor_pointer, cluster_anchor};
use crate::support::component::find_components;

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster that holds cert-manager `Certificate` objects
    /// (`cert-manager.io`), flags the cluster when no cert-manager controller runs: no
    /// Deployment named `cert-manager` (or `cert-manager-…`, or with a `cert-manager-…`
    /// image).
    ///
    /// ## Why is this bad?
    /// A Certificate object is only a request: without the controller nothing issues or
    /// renews it, and the TLS certificates the CDE's ingress and mesh rely on expire. PCI DSS
    /// 4.2.1 requires valid certificates for PAN in transit, and 4.2.1.1 an inventory of
    /// trusted keys and certificates that someone maintains.
    ///
    /// ## How to fix
    /// Install cert-manager (and its webhook and cainjector) or remove the Certificates
    /// another tool now manages.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: checkout-tls, namespace: payments}
    /// spec:
    ///   secretName: checkout-tls
    ///   dnsNames: [checkout.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: checkout-tls, namespace: payments}
    /// spec:
    ///   secretName: checkout-tls
    ///   dnsNames: [checkout.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: cert-manager, namespace: cert-manager}
    /// spec:
    ///   selector: {matchLabels: {app: cert-manager}}
    ///   template:
    ///     metadata: {labels: {app: cert-manager}}
    ///     spec:
    ///       containers:
    ///         - {name: controller, image: quay.io/jetstack/cert-manager-controller:v1.16.2}
    /// ```
    pub(crate) struct CertManagerMissing {
        id: "KP7009",
        name: "cert-manager-missing",
        summary: "Certificates without a cert-manager controller",
        severity: Medium,
        target: Target::Inventory(&[
            "Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob", "Certificate",
        ]),
        admission: ScanOnly,
        pci: ["4.2.1", "4.2.1.1"],
        tags: [],
    }
}

impl Rule for CertManagerMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let Some(anchor) = cluster_anchor(cx.inventory, cx.settings) else {
            return;
        };
        let certificates = cx
            .inventory
            .of_kind("Certificate")
            .filter(|c| c.group() == "cert-manager.io")
            .count();
        if certificates == 0 {
            return;
        }
        let names = ["cert-manager".to_owned()];
        if find_components(cx.inventory, &["Deployment"], &names).is_empty() {
            cx.report_on(
                anchor,
                anchor_pointer(),
                format!(
                    "{certificates} cert-manager Certificate{} but no cert-manager controller: nothing issues or renews them",
                    if certificates == 1 { "" } else { "s" }
                ),
            );
        }
    }
}
