use crate::rules::prelude::*;
use crate::support::admission::{Webhook, is_named};

declare_rule! {
    /// ## What it does
    /// Flags webhooks of the admission controllers in `platform.admissionWebhooks` (kubepci's
    /// own by default; add Gatekeeper, Kyverno…) whose failures let requests through:
    /// `failurePolicy: Ignore`, or no `failurePolicy` in the old
    /// `admissionregistration.k8s.io/v1beta1` API, where `Ignore` was the default. A
    /// fail-open webhook that only sees out-of-scope namespaces is not flagged: its
    /// `namespaceSelector` requires the scope label (`kubepci.io/scope`) to be `out-of-scope`
    /// and every rule is `scope: Namespaced` (cluster-scoped objects ignore namespace
    /// selectors).
    ///
    /// ## Why is this bad?
    /// A fail-open webhook is switched off by anything that makes it unreachable: a crash
    /// loop, an expired certificate, a NetworkPolicy, a node drain, or an attacker flooding
    /// it. Requests are then admitted unchecked and silently. PCI DSS 10.7.2 requires that
    /// failures of critical security controls are detected and handled, not turned into
    /// unchecked changes, and 2.2.1 that the configuration standard is enforced.
    ///
    /// ## How to fix
    /// Set `failurePolicy: Fail`, run the webhook highly available (KP7006), and exempt only
    /// the webhook's own and the system namespaces with a `namespaceSelector`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: kubepci}
    /// webhooks:
    ///   - name: validate.kubepci.io
    ///     failurePolicy: Ignore
    ///     sideEffects: None
    ///     admissionReviewVersions: [v1]
    ///     clientConfig: {service: {namespace: kubepci, name: kubepci-webhook}}
    ///     rules:
    ///       - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: kubepci}
    /// webhooks:
    ///   - name: validate.kubepci.io
    ///     failurePolicy: Fail
    ///     sideEffects: None
    ///     admissionReviewVersions: [v1]
    ///     clientConfig: {service: {namespace: kubepci, name: kubepci-webhook}}
    ///     rules:
    ///       - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
    /// ```
    pub(crate) struct AdmissionWebhookFailOpen {
        id: "KP7004",
        name: "admission-webhook-fail-open",
        summary: "Security admission webhook fails open",
        severity: High,
        target: Target::Kinds(&["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]),
        pci: ["10.7.2", "2.2.1"],
        tags: [],
    }
}

impl Rule for AdmissionWebhookFailOpen {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if object.group() != "admissionregistration.k8s.io"
            || !is_named(object, &cx.settings.platform.admission_webhooks)
        {
            return;
        }
        let scope_label = cx.settings.labels.scope.as_str();
        for webhook in Webhook::all(object) {
            if webhook.fails_closed() || only_out_of_scope(&webhook, scope_label) {
                continue;
            }
            let how = if webhook.node.get("failurePolicy").is_some() {
                "failurePolicy: Ignore"
            } else {
                "no failurePolicy in admissionregistration.k8s.io/v1beta1 (defaults to Ignore)"
            };
            cx.report(
                webhook.pointer("failurePolicy"),
                format!(
                    "webhook `{}` has {how}: when it is unreachable, requests are admitted unchecked",
                    webhook.name()
                ),
            );
        }
    }
}

/// Whether the webhook can only see namespaced objects of out-of-scope namespaces.
fn only_out_of_scope(webhook: &Webhook<'_>, scope_label: &str) -> bool {
    let Some(selector) = webhook.node.get("namespaceSelector") else {
        return false;
    };
    let by_label = selector
        .path(&["matchLabels", scope_label])
        .and_then(Node::as_str)
        == Some("out-of-scope");
    let by_expression = selector
        .get("matchExpressions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|e| {
            let values: Vec<&str> = e
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            e.get("key").and_then(Node::as_str) == Some(scope_label)
                && e.get("operator").and_then(Node::as_str) == Some("In")
                && values == ["out-of-scope"]
        });
    let rules = webhook
        .node
        .get("rules")
        .map(Node::items)
        .unwrap_or_default();
    let namespaced_only = !rules.is_empty()
        && rules
            .iter()
            .all(|r| r.get("scope").and_then(Node::as_str) == Some("Namespaced"));
    (by_label || by_expression) && namespaced_only
}
