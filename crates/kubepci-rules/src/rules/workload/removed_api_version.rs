use crate::rules::prelude::*;

/// `(apiVersion, kind, removed in, replacement)`; `kind` `*` means every kind of that version.
const REMOVED: &[(&str, &str, &str, &str)] = &[
    (
        "extensions/v1beta1",
        "Ingress",
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "NetworkPolicy",
        "1.16",
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "1.16",
        "Pod Security Admission",
    ),
    ("extensions/v1beta1", "*", "1.16", "apps/v1"),
    ("apps/v1beta1", "*", "1.16", "apps/v1"),
    ("apps/v1beta2", "*", "1.16", "apps/v1"),
    (
        "networking.k8s.io/v1beta1",
        "*",
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        "*",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "*",
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "*",
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        "*",
        "1.22",
        "apiregistration.k8s.io/v1",
    ),
    (
        "certificates.k8s.io/v1beta1",
        "*",
        "1.22",
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        "*",
        "1.22",
        "coordination.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        "*",
        "1.22",
        "scheduling.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1alpha1",
        "*",
        "1.22",
        "scheduling.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.27",
        "storage.k8s.io/v1",
    ),
    ("storage.k8s.io/v1beta1", "*", "1.22", "storage.k8s.io/v1"),
    ("batch/v1beta1", "*", "1.25", "batch/v1"),
    ("batch/v2alpha1", "*", "1.21", "batch/v1"),
    (
        "discovery.k8s.io/v1beta1",
        "*",
        "1.25",
        "discovery.k8s.io/v1",
    ),
    ("events.k8s.io/v1beta1", "*", "1.25", "events.k8s.io/v1"),
    ("autoscaling/v2beta1", "*", "1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "*", "1.26", "autoscaling/v2"),
    (
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.25",
        "Pod Security Admission",
    ),
    ("policy/v1beta1", "*", "1.25", "policy/v1"),
    ("node.k8s.io/v1beta1", "*", "1.25", "node.k8s.io/v1"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

declare_rule! {
    /// ## What it does
    /// Flags objects written in an API version that Kubernetes has removed
    /// (`extensions/v1beta1`, `apps/v1beta2`, `networking.k8s.io/v1beta1`, `batch/v1beta1`,
    /// `policy/v1beta1`, `autoscaling/v2beta2`, …), with the version that removed it and its
    /// replacement. PodSecurityPolicy is flagged whatever its version: it no longer exists.
    /// Only kinds people write in manifests are read: objects the API server generates
    /// (Events, Leases, EndpointSlices, ControllerRevisions…) come back in current versions,
    /// and CustomResourceDefinitions, most of the bytes of a typical input, stay unparsed
    /// (`kubectl apply` rejects a `v1beta1` CRD on any supported cluster).
    ///
    /// ## Why is this bad?
    /// Manifests in removed versions no longer apply: the change fails at deploy time, or,
    /// worse, the last applied copy keeps running unmanaged while the repository drifts. They
    /// also show components that have not followed upstream for years, which the annual
    /// technology review must catch (PCI DSS 12.3.4) along with their missed security fixes
    /// (6.3.3).
    ///
    /// ## How to fix
    /// Migrate to the replacement version (`kubectl convert`, or the field changes listed in
    /// the Kubernetes deprecation guide); replace PodSecurityPolicies with Pod Security
    /// Admission labels.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: extensions/v1beta1
    /// kind: Ingress
    /// metadata: {name: shop, namespace: shop}
    /// spec:
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, backend: {serviceName: shop, servicePort: 80}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: shop, namespace: shop}
    /// spec:
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
    /// ```
    pub(crate) struct RemovedApiVersion {
        id: "KP1204",
        name: "removed-api-version",
        summary: "Object uses an API version Kubernetes has removed",
        severity: Low,
        target: Target::Kinds(&[
            "Deployment", "DaemonSet", "ReplicaSet", "StatefulSet", "Ingress", "IngressClass",
            "NetworkPolicy", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
            "ClusterRoleBinding", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
            "APIService", "PriorityClass", "StorageClass", "CSIDriver", "CSIStorageCapacity",
            "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget", "RuntimeClass",
            "FlowSchema", "PriorityLevelConfiguration",
        ]),
        pci: ["6.3.3", "12.3.4"],
        tags: [],
    }
}

impl Rule for RemovedApiVersion {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let (version, kind) = (object.api_version(), object.kind());
        let pointer = JsonPointer::root().key("apiVersion");
        if let Some((_, _, removed, replacement)) = REMOVED
            .iter()
            .find(|(v, k, _, _)| *v == version && (*k == kind || *k == "*"))
        {
            cx.report(
                pointer,
                format!("{version} {kind} was removed in Kubernetes {removed}: use {replacement}"),
            );
        } else if kind == "PodSecurityPolicy" && object.group() == "policy" {
            cx.report(
                pointer,
                "PodSecurityPolicy was removed in Kubernetes 1.25: use Pod Security Admission",
            );
        }
    }
}
