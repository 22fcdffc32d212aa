//! Where the API serves each kind kubepci reads: group, version, plural and scope.

/// One kind's API resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// Kind, e.g. `NetworkPolicy`.
    pub kind: &'static str,
    /// API group (`""` for core).
    pub group: &'static str,
    /// The version read.
    pub version: &'static str,
    /// Resource name in URLs.
    pub plural: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
}

impl KindInfo {
    /// `group/version`, or `version` for the core group.
    #[must_use]
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const fn kind(
    kind: &'static str,
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> KindInfo {
    KindInfo {
        kind,
        group,
        version,
        plural,
        namespaced,
    }
}

/// The kinds kubepci knows where to read, sorted by kind. Custom resources whose CRD a
/// cluster does not have are answered 404 and read as empty.
pub const KINDS: &[KindInfo] = &[
    kind(
        "AdminNetworkPolicy",
        "policy.networking.k8s.io",
        "v1alpha1",
        "adminnetworkpolicies",
        false,
    ),
    kind(
        "BaselineAdminNetworkPolicy",
        "policy.networking.k8s.io",
        "v1alpha1",
        "baselineadminnetworkpolicies",
        false,
    ),
    kind("Certificate", "cert-manager.io", "v1", "certificates", true),
    kind(
        "CiliumClusterwideNetworkPolicy",
        "cilium.io",
        "v2",
        "ciliumclusterwidenetworkpolicies",
        false,
    ),
    kind(
        "CiliumNetworkPolicy",
        "cilium.io",
        "v2",
        "ciliumnetworkpolicies",
        true,
    ),
    kind(
        "ClusterIssuer",
        "cert-manager.io",
        "v1",
        "clusterissuers",
        false,
    ),
    kind(
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        false,
    ),
    kind(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        false,
    ),
    kind("ConfigMap", "", "v1", "configmaps", true),
    kind("CronJob", "batch", "v1", "cronjobs", true),
    kind("DaemonSet", "apps", "v1", "daemonsets", true),
    kind("Deployment", "apps", "v1", "deployments", true),
    kind(
        "ExternalSecret",
        "external-secrets.io",
        "v1beta1",
        "externalsecrets",
        true,
    ),
    kind(
        "GRPCRoute",
        "gateway.networking.k8s.io",
        "v1",
        "grpcroutes",
        true,
    ),
    kind(
        "Gateway",
        "gateway.networking.k8s.io",
        "v1",
        "gateways",
        true,
    ),
    kind(
        "GlobalNetworkPolicy",
        "crd.projectcalico.org",
        "v1",
        "globalnetworkpolicies",
        false,
    ),
    kind(
        "HTTPRoute",
        "gateway.networking.k8s.io",
        "v1",
        "httproutes",
        true,
    ),
    kind("Ingress", "networking.k8s.io", "v1", "ingresses", true),
    kind(
        "IngressClass",
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        false,
    ),
    kind("Issuer", "cert-manager.io", "v1", "issuers", true),
    kind("Job", "batch", "v1", "jobs", true),
    kind("LimitRange", "", "v1", "limitranges", true),
    kind(
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        false,
    ),
    kind("Namespace", "", "v1", "namespaces", false),
    kind(
        "NetworkPolicy",
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        true,
    ),
    kind("Node", "", "v1", "nodes", false),
    kind(
        "PeerAuthentication",
        "security.istio.io",
        "v1",
        "peerauthentications",
        true,
    ),
    kind(
        "PersistentVolumeClaim",
        "",
        "v1",
        "persistentvolumeclaims",
        true,
    ),
    kind("Pod", "", "v1", "pods", true),
    kind(
        "PodDisruptionBudget",
        "policy",
        "v1",
        "poddisruptionbudgets",
        true,
    ),
    kind("ReplicaSet", "apps", "v1", "replicasets", true),
    kind(
        "ReplicationController",
        "",
        "v1",
        "replicationcontrollers",
        true,
    ),
    kind("ResourceQuota", "", "v1", "resourcequotas", true),
    kind("Role", "rbac.authorization.k8s.io", "v1", "roles", true),
    kind(
        "RoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        true,
    ),
    kind(
        "SealedSecret",
        "bitnami.com",
        "v1alpha1",
        "sealedsecrets",
        true,
    ),
    kind("Secret", "", "v1", "secrets", true),
    kind(
        "SecretProviderClass",
        "secrets-store.csi.x-k8s.io",
        "v1",
        "secretproviderclasses",
        true,
    ),
    kind("Service", "", "v1", "services", true),
    kind("ServiceAccount", "", "v1", "serviceaccounts", true),
    kind("StatefulSet", "apps", "v1", "statefulsets", true),
    kind(
        "StorageClass",
        "storage.k8s.io",
        "v1",
        "storageclasses",
        false,
    ),
    kind(
        "TCPRoute",
        "gateway.networking.k8s.io",
        "v1alpha2",
        "tcproutes",
        true,
    ),
    kind(
        "TLSRoute",
        "gateway.networking.k8s.io",
        "v1alpha2",
        "tlsroutes",
        true,
    ),
    kind(
        "UDPRoute",
        "gateway.networking.k8s.io",
        "v1alpha2",
        "udproutes",
        true,
    ),
    kind(
        "ValidatingAdmissionPolicy",
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        false,
    ),
    kind(
        "ValidatingAdmissionPolicyBinding",
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        false,
    ),
    kind(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        false,
    ),
    kind(
        "VulnerabilityReport",
        "aquasecurity.github.io",
        "v1alpha1",
        "vulnerabilityreports",
        true,
    ),
];

/// Where `kind` is served, if kubepci knows.
#[must_use]
pub fn lookup(kind: &str) -> Option<&'static KindInfo> {
    KINDS
        .binary_search_by(|k| k.kind.cmp(kind))
        .ok()
        .map(|i| &KINDS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_and_consistent_with_the_scope_list() {
        assert!(
            KINDS.windows(2).all(|w| w[0].kind < w[1].kind),
            "sorted and unique"
        );
        for k in KINDS {
            assert_eq!(
                kubepci_k8s::is_cluster_scoped(k.kind),
                !k.namespaced,
                "{} is namespaced in one list and not the other",
                k.kind
            );
            assert!(
                k.plural.chars().all(|c| c.is_ascii_lowercase()),
                "{}",
                k.plural
            );
        }
        assert_eq!(
            lookup("Pod").map(KindInfo::api_version).as_deref(),
            Some("v1")
        );
        assert_eq!(
            lookup("Deployment").map(KindInfo::api_version).as_deref(),
            Some("apps/v1")
        );
        assert!(lookup("Widget").is_none());
    }
}
