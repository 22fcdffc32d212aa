use crate::rules::prelude::*;
use crate::support::admission::{Webhook, named_configs};

declare_rule! {
    /// ## What it does
    /// Flags validating webhooks of the admission controllers in `platform.admissionWebhooks`
    /// (kubepci's own by default) that do not see Pod creation in an in-scope namespace of
    /// the input: no rule matches `CREATE` of `pods`, or the `namespaceSelector` (evaluated
    /// against the Namespace objects' labels, `kubernetes.io/metadata.name` included) leaves
    /// the namespace out. Exempt namespaces may be left out. When several webhooks of the
    /// same configuration cover different namespaces, a namespace covered by any of them
    /// passes.
    ///
    /// ## Why is this bad?
    /// A namespace the webhook does not see is a namespace where the configuration standard
    /// is not enforced (PCI DSS 2.2.1): typically an over-broad `NotIn` or a label that new
    /// CDE namespaces lack. Enforcement gaps must be visible (10.7.2).
    ///
    /// ## How to fix
    /// Exclude only the webhook's own namespace and the system namespaces
    /// (`kubernetes.io/metadata.name NotIn [...]`), and include `pods` and `CREATE` in the rules.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: kubepci}
    /// webhooks:
    ///   - name: validate.kubepci.io
    ///     sideEffects: None
    ///     admissionReviewVersions: [v1]
    ///     clientConfig: {service: {namespace: kubepci, name: kubepci-webhook}}
    ///     namespaceSelector:
    ///       matchLabels: {kubepci.io/enforce: "true"}
    ///     rules:
    ///       - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: kubepci}
    /// webhooks:
    ///   - name: validate.kubepci.io
    ///     sideEffects: None
    ///     admissionReviewVersions: [v1]
    ///     clientConfig: {service: {namespace: kubepci, name: kubepci-webhook}}
    ///     namespaceSelector:
    ///       matchExpressions:
    ///         - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kubepci, kube-system]}
    ///     rules:
    ///       - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
    /// ```
    pub(crate) struct AdmissionWebhookExcludesNamespace {
        id: "KP7005",
        name: "admission-webhook-excludes-namespace",
        summary: "Admission webhook does not cover an in-scope namespace",
        severity: High,
        target: Target::Inventory(&["Namespace", "ValidatingWebhookConfiguration"]),
        admission: Namespace,
        pci: ["2.2.1", "10.7.2"],
        tags: [],
    }
}

impl Rule for AdmissionWebhookExcludesNamespace {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let namespaces: Vec<&Object> = inventory
            .of_kind("Namespace")
            .filter(|n| {
                n.api_version() == "v1"
                    && !cx.settings.is_exempt_namespace(n.name())
                    && inventory.scope_of_namespace(n.name()).in_scope()
            })
            .collect();
        for config in named_configs(inventory, &cx.settings.platform.admission_webhooks) {
            if config.kind() != "ValidatingWebhookConfiguration" {
                continue;
            }
            let webhooks: Vec<Webhook<'_>> = Webhook::all(config).collect();
            let Some(first) = webhooks.first() else {
                continue;
            };
            let pod_webhooks: Vec<&Webhook<'_>> = webhooks
                .iter()
                .filter(|w| w.covers_pod_creation())
                .collect();
            if pod_webhooks.is_empty() {
                cx.report_on(
                    config,
                    first.pointer("rules"),
                    "no webhook of this configuration sees Pod creation (rules lack CREATE of pods)",
                );
                continue;
            }
            let missed: Vec<&str> = namespaces
                .iter()
                .filter(|ns| !pod_webhooks.iter().any(|w| w.selects_namespace(ns)))
                .map(|ns| ns.name())
                .collect();
            if !missed.is_empty() {
                let webhook = pod_webhooks[0];
                cx.report_on(
                    config,
                    webhook.pointer("namespaceSelector"),
                    format!(
                        "webhook `{}` does not see Pod creation in in-scope namespace{} {}",
                        webhook.name(),
                        if missed.len() == 1 { "" } else { "s" },
                        missed.join(", ")
                    ),
                );
            }
        }
    }
}
