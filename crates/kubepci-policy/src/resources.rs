//! Kind → resource name (`Deployment` → `deployments`), which ValidatingAdmissionPolicy
//! rules match on. A scan has no discovery API to ask, so the built-in kinds are listed and
//! other kinds follow the apiserver's default pluralisation (that of CRDs without an
//! explicit plural).

/// Kinds whose resource name the default rule gets wrong.
const IRREGULAR: &[(&str, &str)] = &[
    ("Endpoints", "endpoints"),
    ("Ingress", "ingresses"),
    ("IngressClass", "ingressclasses"),
    ("NetworkPolicy", "networkpolicies"),
    ("PodSecurityPolicy", "podsecuritypolicies"),
    ("PriorityClass", "priorityclasses"),
    ("RuntimeClass", "runtimeclasses"),
    ("StorageClass", "storageclasses"),
    ("ValidatingAdmissionPolicy", "validatingadmissionpolicies"),
    ("MutatingAdmissionPolicy", "mutatingadmissionpolicies"),
];

/// The resource (plural, lowercase) of `kind`.
#[must_use]
pub fn resource_of(kind: &str) -> String {
    if let Some((_, resource)) = IRREGULAR.iter().find(|(k, _)| *k == kind) {
        return (*resource).to_owned();
    }
    let lower = kind.to_ascii_lowercase();
    if lower.is_empty() {
        return lower;
    }
    // The apiserver's UnsafeGuessKindToResource.
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
        || lower.ends_with('x')
        || lower.ends_with('z')
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

#[cfg(test)]
mod tests {
    use super::resource_of;

    #[test]
    fn built_in_kinds_map_to_their_resources() {
        for (kind, resource) in [
            ("Pod", "pods"),
            ("Deployment", "deployments"),
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Endpoints", "endpoints"),
            ("ConfigMap", "configmaps"),
            ("Gateway", "gateways"),
            ("StorageClass", "storageclasses"),
            ("PodDisruptionBudget", "poddisruptionbudgets"),
        ] {
            assert_eq!(resource_of(kind), resource, "{kind}");
        }
    }
}
