//! No rule panics on malformed objects: proptest builds Kubernetes-shaped objects whose fields
//! (taken from the vocabulary rules read) hold values of random types, and every rule runs
//! over them. The `manifest_load` fuzz target explores the same property from raw bytes.

use std::collections::BTreeMap;

use kubepci_k8s::{Inventory, KindFilter, load};
use kubepci_rules::{RULES, Settings, run_rule};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const KEYS: &[&str] = &[
    "spec",
    "template",
    "jobTemplate",
    "metadata",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "securityContext",
    "privileged",
    "capabilities",
    "add",
    "drop",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostPort",
    "ports",
    "volumes",
    "hostPath",
    "path",
    "name",
    "namespace",
    "labels",
    "annotations",
    "seccompProfile",
    "type",
    "appArmorProfile",
    "seLinuxOptions",
    "user",
    "role",
    "procMount",
    "sysctls",
    "runAsUser",
    "runAsNonRoot",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "windowsOptions",
    "hostProcess",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "postStart",
    "preStop",
    "httpGet",
    "tcpSocket",
    "host",
    "image",
    "env",
    "value",
    "valueFrom",
    "args",
    "command",
    "data",
    "stringData",
    "rules",
    "subjects",
    "roleRef",
    "ingress",
    "egress",
    "from",
    "to",
    "podSelector",
    "namespaceSelector",
    "ipBlock",
    "cidr",
    "except",
    "policyTypes",
    "selector",
    "matchLabels",
    "matchExpressions",
    "key",
    "operator",
    "values",
    "tls",
    "hosts",
    "secretName",
    "os",
    "hostUsers",
    "ownerReferences",
    "controller",
    "nodeSelector",
    "tolerations",
    "affinity",
    "serviceAccountName",
    "automountServiceAccountToken",
    "type",
    "externalIPs",
    "loadBalancerSourceRanges",
    "items",
    "kind",
    "apiVersion",
    "webhooks",
    "failurePolicy",
    // Images, vulnerabilities, detection, RBAC and platform rules (KP5xxx–KP7xxx, KP12xx).
    "report",
    "vulnerabilities",
    "artifact",
    "registry",
    "server",
    "repository",
    "tag",
    "digest",
    "severity",
    "fixedVersion",
    "publishedDate",
    "updateTimestamp",
    "status",
    "nodeInfo",
    "kubeletVersion",
    "taints",
    "effect",
    "numberReady",
    "desiredNumberScheduled",
    "aggregationRule",
    "clusterRoleSelectors",
    "verbs",
    "apiGroups",
    "resources",
    "resourceNames",
    "clientConfig",
    "service",
    "operations",
    "expiration",
    "replicas",
    "scaleTargetRef",
    "minReplicas",
    "limits",
    "requests",
    "default",
    "defaultRequest",
    "imagePullPolicy",
    "validationActions",
    "matchResources",
    "policyName",
    "matchConstraints",
    "resourceRules",
    "kubernetes.io/os",
    "trivy-operator.resource.kind",
    "trivy-operator.resource.name",
    "trivy-operator.container.name",
    "pod-security.kubernetes.io/enforce",
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        Just(json!("ALL")),
        Just(json!("0.0.0.0/0")),
        Just(json!("Unconfined")),
        Just(json!("4111 1111 1111 1111")),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                |entries| {
                    let mut map = Map::new();
                    for (k, v) in entries {
                        map.insert((*k).to_owned(), v);
                    }
                    Value::Object(map)
                }
            ),
        ]
    })
}

const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Namespace",
    "Service",
    "Ingress",
    "NetworkPolicy",
    "ConfigMap",
    "Secret",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ServiceAccount",
    "Node",
    "ValidatingWebhookConfiguration",
    "Gateway",
    "HTTPRoute",
    "Certificate",
    "PeerAuthentication",
    "VulnerabilityReport",
    "StorageClass",
    "LimitRange",
    "ResourceQuota",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "FelixConfiguration",
    "BackendConfig",
];

/// API versions objects are written in: rules that look at API groups (RBAC, admission,
/// Trivy reports) need theirs.
const API_VERSIONS: &[&str] = &[
    "v1",
    "apps/v1",
    "rbac.authorization.k8s.io/v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1beta1",
    "aquasecurity.github.io/v1alpha1",
    "extensions/v1beta1",
    "cert-manager.io/v1",
];

fn object() -> impl Strategy<Value = Value> {
    (
        proptest::sample::select(KINDS),
        proptest::sample::select(API_VERSIONS),
        value(),
        value(),
        proptest::option::of("[a-z]{1,6}"),
    )
        .prop_map(|(kind, api_version, spec, meta, ns)| {
            let mut metadata = match meta {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            if let Some(ns) = ns {
                metadata.insert("namespace".into(), json!(ns));
            }
            json!({
                "apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec,
                "data": spec, "status": spec, "report": spec, "rules": spec, "subjects": spec,
                "roleRef": spec, "webhooks": spec,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn rules_never_panic_on_malformed_objects(objects in proptest::collection::vec(object(), 1..6)) {
        let text = serde_json::to_string(&json!({"apiVersion": "v1", "kind": "List", "items": objects})).expect("json");
        let loaded = load("random.json", text.as_bytes(), &KindFilter::All, Some("default"));
        let inventory = Inventory::new(loaded.objects, &BTreeMap::new());
        let mut findings = Vec::new();
        for rule in RULES {
            run_rule(*rule, &inventory, &Settings::default(), &mut findings);
        }
        for f in &findings {
            prop_assert!(!f.message.contains("4111 1111 1111 1111") && !f.message.contains("4111111111111111"));
        }
    }
}
