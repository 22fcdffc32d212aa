//! ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding
//! (admissionregistration.k8s.io/v1): `matchConstraints` and the binding's
//! `matchResources`, parameter resources through `paramKind` / `paramRef`, and
//! `validationActions`.

use std::collections::BTreeMap;
use std::sync::Arc;

use kubepci_k8s::Object;
use kubepci_model::{JsonPointer, Location, Node};

use crate::Violation;
use crate::cel::{Bindings, CelPolicy};
use crate::cluster::Cluster;
use crate::error::{PolicyError, PolicyErrorKind};
use crate::gatekeeper::{compile_cel_source, kubepci_annotations, pointer_of};
use crate::request::{Operation, Request};
use crate::resources::resource_of;
use crate::selector::{LabelSelector, labels_of};
use crate::value::to_cel;

/// A compiled ValidatingAdmissionPolicy.
#[derive(Debug)]
pub struct AdmissionPolicy {
    /// `metadata.name`.
    pub name: String,
    /// `spec.paramKind`: apiVersion and kind of its parameter resources.
    pub param_kind: Option<(String, String)>,
    /// `spec.matchConstraints`.
    pub match_constraints: MatchResources,
    /// The expressions.
    pub cel: CelPolicy,
    /// Where it is written.
    pub location: Location,
    /// Its `kubepci.io/…` annotations.
    pub annotations: BTreeMap<String, String>,
}

impl AdmissionPolicy {
    /// Parses and compiles a ValidatingAdmissionPolicy.
    ///
    /// # Errors
    /// A malformed match block or an expression that does not compile.
    pub fn compile(object: &Object) -> Result<Self, PolicyError> {
        let spec = object.root.get("spec").ok_or_else(|| {
            PolicyError::new(
                object.location(&JsonPointer::default()),
                PolicyErrorKind::Invalid("a ValidatingAdmissionPolicy needs a `spec`".to_owned()),
            )
        })?;
        let param_kind = spec.get("paramKind").filter(|p| !p.is_null()).map(|p| {
            let text = |k: &str| {
                p.get(k)
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (text("apiVersion"), text("kind"))
        });
        let match_constraints = match spec.get("matchConstraints") {
            Some(node) => MatchResources::parse(object, "/spec/matchConstraints", node)?,
            None => {
                return Err(PolicyError::new(
                    object.location(&pointer_of("/spec")),
                    PolicyErrorKind::Invalid(
                        "a ValidatingAdmissionPolicy needs spec.matchConstraints".to_owned(),
                    ),
                ));
            }
        };
        Ok(Self {
            name: object.name().to_owned(),
            param_kind,
            match_constraints,
            cel: compile_cel_source(object, "/spec", spec)?,
            location: object.location(&JsonPointer::default()),
            annotations: kubepci_annotations(object),
        })
    }
}

/// What a binding does with a failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ValidationAction {
    /// Reject the request.
    Deny,
    /// Admit with a warning.
    Warn,
    /// Record in the audit log.
    Audit,
}

/// How a binding finds its parameter resources.
#[derive(Debug, Clone, Default)]
pub struct ParamRef {
    name: Option<String>,
    namespace: Option<String>,
    selector: Option<LabelSelector>,
    deny_when_missing: bool,
}

/// A ValidatingAdmissionPolicyBinding bound to its policy.
#[derive(Debug)]
pub struct Binding {
    /// `metadata.name`.
    pub name: String,
    /// The policy it binds.
    pub policy: Arc<AdmissionPolicy>,
    /// `spec.matchResources` (further restricting the policy's).
    pub match_resources: Option<MatchResources>,
    /// `spec.paramRef`.
    param_ref: Option<ParamRef>,
    /// `spec.validationActions`.
    pub actions: Vec<ValidationAction>,
    /// Parameter objects loaded with the policies, of the policy's `paramKind`.
    params: Vec<Node>,
    /// Where it is written.
    pub location: Location,
    /// Its `kubepci.io/…` annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Binding {
    /// Parses a binding of `policy`; `params` are the loaded objects of its `paramKind`.
    ///
    /// # Errors
    /// No or unknown validation actions, a malformed match block or selector.
    pub fn new(
        object: &Object,
        policy: Arc<AdmissionPolicy>,
        params: Vec<Node>,
    ) -> Result<Self, PolicyError> {
        let invalid = |pointer: &str, message: String| {
            PolicyError::new(
                object.location(&pointer_of(pointer)),
                PolicyErrorKind::Invalid(message),
            )
        };
        let spec = object.root.get("spec");
        let mut actions = Vec::new();
        for action in spec
            .and_then(|s| s.get("validationActions"))
            .map(Node::items)
            .unwrap_or_default()
        {
            actions.push(match action.as_str() {
                Some("Deny") => ValidationAction::Deny,
                Some("Warn") => ValidationAction::Warn,
                Some("Audit") => ValidationAction::Audit,
                other => {
                    return Err(invalid(
                        "/spec/validationActions",
                        format!("unknown validation action {other:?} (Deny, Warn or Audit)"),
                    ));
                }
            });
        }
        if actions.is_empty() {
            return Err(invalid(
                "/spec",
                "a ValidatingAdmissionPolicyBinding needs spec.validationActions".to_owned(),
            ));
        }
        actions.sort();
        actions.dedup();
        let match_resources = spec
            .and_then(|s| s.get("matchResources"))
            .filter(|m| !m.is_null())
            .map(|m| MatchResources::parse(object, "/spec/matchResources", m))
            .transpose()?;
        let param_ref = match spec
            .and_then(|s| s.get("paramRef"))
            .filter(|p| !p.is_null())
        {
            Some(p) => {
                let selector = p
                    .get("selector")
                    .filter(|s| !s.is_null())
                    .map(|s| {
                        LabelSelector::parse(s).map_err(|m| invalid("/spec/paramRef/selector", m))
                    })
                    .transpose()?;
                let text = |k: &str| {
                    p.get(k)
                        .and_then(Node::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                };
                Some(ParamRef {
                    name: text("name"),
                    namespace: text("namespace"),
                    selector,
                    deny_when_missing: text("parameterNotFoundAction").as_deref() != Some("Allow"),
                })
            }
            None => None,
        };
        if policy.param_kind.is_some() && param_ref.is_none() {
            return Err(invalid(
                "/spec",
                format!(
                    "policy `{}` has a paramKind, so the binding needs spec.paramRef",
                    policy.name
                ),
            ));
        }
        Ok(Self {
            name: object.name().to_owned(),
            policy,
            match_resources,
            param_ref,
            actions,
            params,
            location: object.location(&JsonPointer::default()),
            annotations: kubepci_annotations(object),
        })
    }

    /// Whether the binding applies to `request`: the policy's constraints and the binding's.
    #[must_use]
    pub fn matches(&self, request: &Request<'_>, cluster: &dyn Cluster) -> bool {
        self.policy.match_constraints.matches(request, cluster)
            && self
                .match_resources
                .as_ref()
                .is_none_or(|m| m.matches(request, cluster))
    }

    /// Evaluates the policy through this binding on a request it matches.
    #[must_use]
    pub fn evaluate(
        &self,
        request: &Request<'_>,
        cluster: &dyn Cluster,
        object_cel: Option<cel::Value>,
    ) -> Vec<Violation> {
        let namespace = request
            .namespace
            .as_deref()
            .and_then(|ns| cluster.namespace(ns));
        let params: Vec<cel::Value> = match (&self.policy.param_kind, &self.param_ref) {
            (Some((api_version, kind)), Some(param_ref)) => {
                let found = self.find_params(api_version, kind, param_ref, request, cluster);
                if found.is_empty() {
                    return if param_ref.deny_when_missing {
                        vec![Violation {
                            message: format!(
                                "no params found for policy binding with `Deny` parameterNotFoundAction ({kind} {})",
                                param_ref.name.as_deref().unwrap_or("matching the selector")
                            ),
                            field: None,
                            error: true,
                        }]
                    } else {
                        Vec::new()
                    };
                }
                found
            }
            _ => vec![cel::Value::Null],
        };
        let mut out = Vec::new();
        for param in params {
            let bindings = Bindings::new(request, object_cel.clone(), param, namespace);
            if let Some(violations) = self.policy.cel.evaluate(&bindings) {
                out.extend(violations.into_iter().map(|v| Violation {
                    message: v.message,
                    field: v.field,
                    error: false,
                }));
            }
        }
        out
    }

    fn find_params(
        &self,
        api_version: &str,
        kind: &str,
        param_ref: &ParamRef,
        request: &Request<'_>,
        cluster: &dyn Cluster,
    ) -> Vec<cel::Value> {
        // A namespaced parameter without a namespace is looked up in the request's.
        let namespace =
            param_ref
                .namespace
                .as_deref()
                .or(if kubepci_k8s::is_cluster_scoped(kind) {
                    None
                } else {
                    request.namespace.as_deref()
                });
        let from_cluster = cluster.objects(api_version, kind);
        self.params
            .iter()
            .chain(from_cluster)
            .filter(|p| {
                let metadata = p.get("metadata");
                let field = |k: &str| metadata.and_then(|m| m.get(k)).and_then(Node::as_str);
                namespace.is_none_or(|ns| field("namespace").unwrap_or("default") == ns)
                    && param_ref
                        .name
                        .as_deref()
                        .is_none_or(|n| field("name") == Some(n))
                    && param_ref
                        .selector
                        .as_ref()
                        .is_none_or(|s| s.matches(&labels_of(p)))
            })
            .map(to_cel)
            .collect()
    }
}

/// `matchConstraints` / `matchResources`.
#[derive(Debug, Clone, Default)]
pub struct MatchResources {
    namespace_selector: Option<LabelSelector>,
    object_selector: Option<LabelSelector>,
    resource_rules: Vec<ResourceRule>,
    exclude_resource_rules: Vec<ResourceRule>,
}

#[derive(Debug, Clone, Default)]
struct ResourceRule {
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
    scope: String,
    names: Vec<String>,
}

impl ResourceRule {
    fn parse(node: &Node) -> Self {
        let strings = |k: &str| -> Vec<String> {
            node.get(k)
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        };
        Self {
            groups: strings("apiGroups"),
            versions: strings("apiVersions"),
            resources: strings("resources"),
            operations: strings("operations"),
            scope: node
                .get("scope")
                .and_then(Node::as_str)
                .unwrap_or("*")
                .to_owned(),
            names: strings("resourceNames"),
        }
    }

    fn matches(&self, request: &Request<'_>) -> bool {
        let has = |set: &[String], value: &str| set.iter().any(|s| s == "*" || s == value);
        let resource = resource_of(&request.kind.kind);
        // A scan has no operation: the object is seen as being created.
        let operation = request.operation.unwrap_or(Operation::Create).as_str();
        let scope_ok = match self.scope.as_str() {
            "Cluster" => request.namespace.is_none(),
            "Namespaced" => request.namespace.is_some(),
            _ => true,
        };
        has(&self.groups, &request.kind.group)
            && has(&self.versions, &request.kind.version)
            && (has(&self.resources, &resource) || self.resources.iter().any(|r| r == "*/*"))
            && has(&self.operations, operation)
            && scope_ok
            && (self.names.is_empty() || self.names.contains(&request.name))
    }
}

impl MatchResources {
    fn parse(object: &Object, pointer: &str, node: &Node) -> Result<Self, PolicyError> {
        let selector = |key: &str| -> Result<Option<LabelSelector>, PolicyError> {
            node.get(key)
                .filter(|n| !n.is_null())
                .map(|n| {
                    LabelSelector::parse(n).map_err(|m| {
                        PolicyError::new(
                            object.location(&pointer_of(&format!("{pointer}/{key}"))),
                            PolicyErrorKind::Invalid(m),
                        )
                    })
                })
                .transpose()
        };
        let rules = |key: &str| -> Vec<ResourceRule> {
            node.get(key)
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(ResourceRule::parse)
                .collect()
        };
        Ok(Self {
            namespace_selector: selector("namespaceSelector")?,
            object_selector: selector("objectSelector")?,
            resource_rules: rules("resourceRules"),
            exclude_resource_rules: rules("excludeResourceRules"),
        })
    }

    /// The kinds whose resources the rules can name, `None` when any kind can.
    #[must_use]
    pub fn resources(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for rule in &self.resource_rules {
            if rule.resources.iter().any(|r| r == "*" || r == "*/*") {
                return None;
            }
            out.extend(rule.resources.iter().cloned());
        }
        Some(out)
    }

    fn matches(&self, request: &Request<'_>, cluster: &dyn Cluster) -> bool {
        if !self.resource_rules.is_empty()
            && !self.resource_rules.iter().any(|r| r.matches(request))
        {
            return false;
        }
        if self
            .exclude_resource_rules
            .iter()
            .any(|r| r.matches(request))
        {
            return false;
        }
        if let Some(selector) = &self.object_selector
            && !selector.matches(&request.labels())
        {
            return false;
        }
        if let Some(selector) = &self.namespace_selector {
            if request.is_namespace() {
                return selector.matches(&request.labels());
            }
            if let Some(ns) = &request.namespace {
                let labels = cluster.namespace(ns).map(labels_of).unwrap_or_default();
                return selector.matches(&labels);
            }
        }
        true
    }
}

/// A validation's `fieldPath` (`spec.containers[0].image`, `metadata.labels['app']`) as a
/// JSON pointer; `None` when it does not parse.
#[must_use]
pub fn field_path_pointer(path: &str) -> Option<JsonPointer> {
    let path = path.trim();
    let owned;
    let mut rest = if path.starts_with(['.', '[']) {
        path
    } else {
        owned = format!(".{path}");
        owned.as_str()
    };
    let mut pointer = JsonPointer::default();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            pointer = pointer.key(&after[..end]);
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = after[..end].trim();
            if let Some(quoted) = inside
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
            {
                pointer = pointer.key(quoted);
            } else {
                pointer = pointer.index(inside.parse().ok()?);
            }
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(pointer)
}

#[cfg(test)]
mod tests {
    use super::field_path_pointer;

    #[test]
    fn field_paths_become_pointers() {
        let p = |s: &str| field_path_pointer(s).map(|p| p.as_str().to_owned());
        assert_eq!(p("spec.replicas").as_deref(), Some("/spec/replicas"));
        assert_eq!(
            p("spec.containers[0].image").as_deref(),
            Some("/spec/containers/0/image")
        );
        assert_eq!(
            p("metadata.labels['app.kubernetes.io/name']").as_deref(),
            Some("/metadata/labels/app.kubernetes.io~1name")
        );
        assert_eq!(p("spec..x"), None);
    }
}
