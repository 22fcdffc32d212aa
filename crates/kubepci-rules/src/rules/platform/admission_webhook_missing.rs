use crate::rules::prelude::*;
use crate::support::admission::named_configs;
use crate::support::cluster::{CLUSTER_KINDS_WITH_WEBHOOKS, anchor_pointer, cluster_anchor};
use crate::support::component::list_names;

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster, flags the cluster when no webhook configuration of
    /// the admission controllers in `platform.admissionWebhooks` (kubepci's own by default)
    /// is registered.
    ///
    /// ## Why is this bad?
    /// A scan finds what is wrong after the fact; the admission webhook stops it from being
    /// applied. Without it, the configuration standard (PCI DSS 2.2.1) is a report rather than
    /// a control, and nothing prevents an unreviewed change from reaching the CDE (6.5.1).
    /// 10.7.2 expects the failure of such a control to be detected: its absence is the
    /// plainest failure.
    ///
    /// ## How to fix
    /// Deploy `kubepci webhook serve` with the manifests under `deploy/` (two replicas, a
    /// PodDisruptionBudget, `failurePolicy: Fail` for in-scope namespaces), or list the
    /// admission controller you use in `platform.admissionWebhooks`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: kubepci}
    /// webhooks:
    ///   - name: validate.kubepci.io
    ///     failurePolicy: Fail
    ///     sideEffects: None
    ///     admissionReviewVersions: [v1]
    ///     clientConfig: {service: {namespace: kubepci, name: kubepci-webhook, path: /validate}}
    ///     rules:
    ///       - {apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: ["*"]}
    /// ```
    pub(crate) struct AdmissionWebhookMissing {
        id: "KP7003",
        name: "admission-webhook-missing",
        summary: "No kubepci admission webhook in the cluster",
        severity: High,
        target: Target::Inventory(CLUSTER_KINDS_WITH_WEBHOOKS),
        admission: ScanOnly,
        pci: ["2.2.1", "6.5.1", "10.7.2"],
        tags: [],
    }
}

impl Rule for AdmissionWebhookMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let Some(anchor) = cluster_anchor(cx.inventory, cx.settings) else {
            return;
        };
        let names = &cx.settings.platform.admission_webhooks;
        if named_configs(cx.inventory, names).is_empty() {
            cx.report_on(
                anchor,
                anchor_pointer(),
                format!(
                    "no admission webhook of platform.admissionWebhooks ({}) is registered: the configuration standard is not enforced at admission",
                    list_names(names)
                ),
            );
        }
    }
}
