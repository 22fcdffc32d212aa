//! Admission control as the input declares it: webhook configurations (which requests they
//! see, whether they fail closed), Pod Security Admission labels and
//! ValidatingAdmissionPolicy bindings.

use kubepci_k8s::{Inventory, Object};
use kubepci_model::{JsonPointer, Node};

use super::selector::{Labels, label_selector_matches};

/// The Pod Security Admission enforce label.
pub(crate) const PSA_ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// A namespace's labels plus the `kubernetes.io/metadata.name` label the API server sets on
/// every namespace.
pub(crate) struct NamespaceLabels<'a> {
    labels: Option<&'a Node>,
    name: &'a str,
}

impl<'a> NamespaceLabels<'a> {
    pub(crate) fn of(namespace: &'a Object) -> Self {
        Self {
            labels: namespace.metadata().and_then(|m| m.get("labels")),
            name: namespace.name(),
        }
    }
}

impl Labels for NamespaceLabels<'_> {
    fn get_label(&self, key: &str) -> Option<&str> {
        if key == "kubernetes.io/metadata.name" {
            return Some(self.name);
        }
        self.labels.get_label(key)
    }
}

/// One webhook of a Validating/MutatingWebhookConfiguration.
pub(crate) struct Webhook<'a> {
    pub(crate) config: &'a Object,
    pub(crate) index: usize,
    pub(crate) node: &'a Node,
}

impl<'a> Webhook<'a> {
    /// Every webhook of a configuration object.
    pub(crate) fn all(config: &'a Object) -> impl Iterator<Item = Webhook<'a>> + 'a {
        config
            .root
            .get("webhooks")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(move |(index, node)| Webhook {
                config,
                index,
                node,
            })
    }

    /// Pointer to a field of this webhook.
    pub(crate) fn pointer(&self, key: &str) -> JsonPointer {
        JsonPointer::root()
            .key("webhooks")
            .index(self.index)
            .key(key)
    }

    /// `name`.
    pub(crate) fn name(&self) -> &'a str {
        self.node
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
    }

    /// Whether failed calls reject the request: `failurePolicy: Fail`, the default of
    /// `admissionregistration.k8s.io/v1` (`v1beta1` defaulted to `Ignore`).
    pub(crate) fn fails_closed(&self) -> bool {
        match self.node.get("failurePolicy").and_then(Node::as_str) {
            Some(policy) => policy == "Fail",
            None => self.config.api_version() != "admissionregistration.k8s.io/v1beta1",
        }
    }

    /// Whether one of its rules sends Pod CREATE requests to it.
    pub(crate) fn covers_pod_creation(&self) -> bool {
        self.node
            .get("rules")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|rule| {
                let has = |key: &str, wanted: &[&str]| {
                    rule.get(key)
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Node::as_str)
                        .any(|v| wanted.contains(&v))
                };
                has("apiGroups", &["", "*"])
                    && has("resources", &["pods", "*", "*/*"])
                    && has("operations", &["CREATE", "*"])
                    && rule.get("scope").and_then(Node::as_str) != Some("Cluster")
            })
    }

    /// Whether its `namespaceSelector` selects the namespace (no selector: every namespace).
    pub(crate) fn selects_namespace(&self, namespace: &Object) -> bool {
        self.node
            .get("namespaceSelector")
            .is_none_or(|s| label_selector_matches(s, &NamespaceLabels::of(namespace)))
    }

    /// The Service it calls (`clientConfig.service`): `(namespace, name)`.
    pub(crate) fn service(&self) -> Option<(&'a str, &'a str)> {
        let service = self.node.path(&["clientConfig", "service"])?;
        Some((
            service.get("namespace")?.as_str()?,
            service.get("name")?.as_str()?,
        ))
    }
}

/// Whether a webhook configuration belongs to one of the named admission controllers: its
/// name equals a name or starts with `name-`, or a webhook's dotted name has the name as a
/// label (`validate.kubepci.io`).
pub(crate) fn is_named(config: &Object, names: &[String]) -> bool {
    names.iter().any(|n| {
        let name = config.name();
        name == n
            || name
                .strip_prefix(n.as_str())
                .is_some_and(|r| r.starts_with('-'))
            || Webhook::all(config).any(|w| w.name().split('.').any(|label| label == n))
    })
}

/// Webhook configurations (validating and mutating) of the named admission controllers.
pub(crate) fn named_configs<'a>(inventory: &'a Inventory, names: &'a [String]) -> Vec<&'a Object> {
    [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ]
    .iter()
    .flat_map(|k| inventory.of_kind(k))
    .filter(|c| c.group() == "admissionregistration.k8s.io" && is_named(c, names))
    .collect()
}

/// The PSA enforce level of a namespace, if labelled.
pub(crate) fn psa_enforce(namespace: &Object) -> Option<&str> {
    namespace.label(PSA_ENFORCE)
}

/// Whether some admission mechanism of the input enforces a policy on Pod creation in the
/// namespace: PSA enforce `baseline`/`restricted`, a fail-closed validating webhook that
/// sees Pod creation there, or a ValidatingAdmissionPolicyBinding with `Deny` whose policy
/// matches Pod creation and whose `matchResources` select the namespace.
pub(crate) fn enforced_in(inventory: &Inventory, namespace: &Object) -> bool {
    if matches!(psa_enforce(namespace), Some("baseline" | "restricted")) {
        return true;
    }
    let webhook = inventory
        .of_kind("ValidatingWebhookConfiguration")
        .flat_map(Webhook::all)
        .any(|w| w.fails_closed() && w.covers_pod_creation() && w.selects_namespace(namespace));
    webhook || policy_binding_enforces(inventory, namespace)
}

fn policy_binding_enforces(inventory: &Inventory, namespace: &Object) -> bool {
    inventory
        .of_kind("ValidatingAdmissionPolicyBinding")
        .any(|binding| {
            let spec = binding.root.get("spec");
            let denies = spec
                .and_then(|s| s.get("validationActions"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|a| a.as_str() == Some("Deny"));
            let selects = spec
                .and_then(|s| s.path(&["matchResources", "namespaceSelector"]))
                .is_none_or(|s| label_selector_matches(s, &NamespaceLabels::of(namespace)));
            let policy_name = spec
                .and_then(|s| s.get("policyName"))
                .and_then(Node::as_str);
            let policy_covers_pods = inventory
                .of_kind("ValidatingAdmissionPolicy")
                .filter(|p| Some(p.name()) == policy_name)
                .any(|p| {
                    p.root
                        .path(&["spec", "matchConstraints", "resourceRules"])
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .any(|rule| {
                            let has = |key: &str, wanted: &[&str]| {
                                rule.get(key)
                                    .map(Node::items)
                                    .unwrap_or_default()
                                    .iter()
                                    .filter_map(Node::as_str)
                                    .any(|v| wanted.contains(&v))
                            };
                            has("apiGroups", &["", "*"])
                                && has("resources", &["pods", "*"])
                                && has("operations", &["CREATE", "*"])
                        })
                });
            denies && selects && policy_covers_pods
        })
}
