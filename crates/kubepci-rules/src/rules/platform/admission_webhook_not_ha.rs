use crate::rules::prelude::*;
use crate::support::admission::{Webhook, named_configs};
use crate::support::selector::label_selector_matches;

declare_rule! {
    /// ## What it does
    /// For the fail-closed webhooks of the admission controllers in
    /// `platform.admissionWebhooks` (kubepci's own by default), follows
    /// `clientConfig.service` to the Service and the Deployments its selector matches, and
    /// flags a Deployment that runs fewer than two replicas (counting a
    /// HorizontalPodAutoscaler's `minReplicas`) or that no PodDisruptionBudget protects.
    /// Webhooks whose Service is not in the input are skipped.
    ///
    /// ## Why is this bad?
    /// With `failurePolicy: Fail`, an unavailable webhook blocks every matching request: a
    /// single replica restarting, or a node drain evicting it, stops deployments and
    /// tempts operators to switch the control off. PCI DSS 10.7.2 and 10.7.3 require
    /// security controls to keep working and failures to be handled; a highly available
    /// webhook is how a fail-closed control stays on.
    ///
    /// ## How to fix
    /// Run at least two replicas spread over nodes, and add a PodDisruptionBudget
    /// (`minAvailable: 1`) selecting the webhook's pods.
    ///
    /// ## Example
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
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: kubepci-webhook, namespace: kubepci}
    /// spec:
    ///   selector: {app: kubepci-webhook}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: kubepci-webhook, namespace: kubepci}
    /// spec:
    ///   replicas: 1
    ///   selector: {matchLabels: {app: kubepci-webhook}}
    ///   template:
    ///     metadata: {labels: {app: kubepci-webhook}}
    ///     spec:
    ///       containers:
    ///         - {name: webhook, image: ghcr.io/kubepci/kubepci:0.1.0}
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
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: kubepci-webhook, namespace: kubepci}
    /// spec:
    ///   selector: {app: kubepci-webhook}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: kubepci-webhook, namespace: kubepci}
    /// spec:
    ///   replicas: 2
    ///   selector: {matchLabels: {app: kubepci-webhook}}
    ///   template:
    ///     metadata: {labels: {app: kubepci-webhook}}
    ///     spec:
    ///       containers:
    ///         - {name: webhook, image: ghcr.io/kubepci/kubepci:0.1.0}
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: kubepci-webhook, namespace: kubepci}
    /// spec:
    ///   minAvailable: 1
    ///   selector: {matchLabels: {app: kubepci-webhook}}
    /// ```
    pub(crate) struct AdmissionWebhookNotHa {
        id: "KP7006",
        name: "admission-webhook-not-highly-available",
        summary: "Fail-closed admission webhook without two replicas and a PDB",
        severity: Medium,
        target: Target::Inventory(&[
            "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "Service",
            "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler",
        ]),
        admission: ScanOnly,
        pci: ["10.7.2", "10.7.3"],
        tags: [],
    }
}

/// Whether a Service's `spec.selector` (a plain label map) selects a pod template's labels.
fn service_selects(service: &Object, labels: Option<&Node>) -> bool {
    let Some(selector) = service
        .root
        .path(&["spec", "selector"])
        .filter(|s| !s.entries().is_empty())
    else {
        return false;
    };
    selector.entries().iter().all(|e| {
        e.value.as_str().is_some()
            && labels.and_then(|l| l.get(&e.key)).and_then(Node::as_str) == e.value.as_str()
    })
}

impl Rule for AdmissionWebhookNotHa {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for config in named_configs(inventory, &cx.settings.platform.admission_webhooks) {
            for webhook in Webhook::all(config).filter(|w| w.fails_closed()) {
                let Some((ns, name)) = webhook.service() else {
                    continue;
                };
                if seen.contains(&(ns, name)) {
                    continue;
                }
                seen.push((ns, name));
                let Some(service) = inventory
                    .of_kind("Service")
                    .find(|s| s.namespace() == Some(ns) && s.name() == name)
                else {
                    continue;
                };
                for deployment in inventory
                    .of_kind("Deployment")
                    .filter(|d| d.namespace() == Some(ns))
                {
                    let labels = deployment
                        .root
                        .path(&["spec", "template", "metadata", "labels"]);
                    if !service_selects(service, labels) {
                        continue;
                    }
                    check_deployment(cx, deployment, labels, webhook.name());
                }
            }
        }
    }
}

fn check_deployment(
    cx: &mut Context<'_>,
    deployment: &Object,
    labels: Option<&Node>,
    webhook: &str,
) {
    let inventory = cx.inventory;
    let ns = deployment.namespace();
    let replicas = deployment
        .root
        .path(&["spec", "replicas"])
        .and_then(Node::as_i64)
        .unwrap_or(1);
    let hpa_min = inventory
        .of_kind("HorizontalPodAutoscaler")
        .filter(|h| h.namespace() == ns)
        .filter(|h| {
            let target = h.root.path(&["spec", "scaleTargetRef"]);
            target.and_then(|t| t.get("kind")).and_then(Node::as_str) == Some("Deployment")
                && target.and_then(|t| t.get("name")).and_then(Node::as_str)
                    == Some(deployment.name())
        })
        .filter_map(|h| {
            h.root
                .path(&["spec", "minReplicas"])
                .map_or(Some(1), Node::as_i64)
        })
        .max();
    let effective = hpa_min.unwrap_or(replicas);
    if effective < 2 {
        cx.report_on(
            deployment,
            JsonPointer::root().key("spec").key("replicas"),
            format!("runs {effective} replica of fail-closed webhook `{webhook}`: one restart blocks every matching request"),
        );
    }
    let protected = inventory
        .of_kind("PodDisruptionBudget")
        .filter(|p| p.namespace() == ns)
        .filter_map(|p| p.root.path(&["spec", "selector"]))
        .any(|s| label_selector_matches(s, &labels));
    if !protected {
        cx.report_on(
            deployment,
            JsonPointer::root().key("metadata").key("name"),
            format!("no PodDisruptionBudget protects the pods of fail-closed webhook `{webhook}`: a node drain can evict them all"),
        );
    }
}
