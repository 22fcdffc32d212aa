//! Gatekeeper ConstraintTemplates (templates.gatekeeper.sh/v1) and their Constraints
//! (constraints.gatekeeper.sh): parsing, the `match` block and evaluation through the
//! template's Rego or K8sNativeValidation (CEL) code.

use std::collections::BTreeMap;
use std::sync::Arc;

use kubepci_k8s::Object;
use kubepci_model::{JsonPointer, Location, Node};

use crate::cel::{Bindings, CelPolicy, Expression, FailurePolicy, Validation};
use crate::cluster::Cluster;
use crate::error::{PolicyError, PolicyErrorKind};
use crate::rego::{RegoModule, RegoProgram};
use crate::request::Request;
use crate::selector::{LabelSelector, labels_of, wildcard_matches};
use crate::source::Sources;
use crate::value::{to_cel, to_rego};
use crate::{Engine, Violation};

/// The only target Gatekeeper's Kubernetes templates are written for.
pub const ADMISSION_TARGET: &str = "admission.k8s.gatekeeper.sh";

/// A compiled ConstraintTemplate.
#[derive(Debug)]
pub struct Template {
    /// `metadata.name` (the kind in lower case).
    pub name: String,
    /// The constraint kind it defines (`spec.crd.spec.names.kind`).
    pub kind: String,
    /// `metadata.gatekeeper.sh/title`, else the kind.
    pub title: String,
    /// The `description` annotation.
    pub description: Option<String>,
    /// Where it is written.
    pub location: Location,
    /// The code that runs.
    pub code: TemplateCode,
    /// Its `kubepci.io/…` annotations.
    pub annotations: BTreeMap<String, String>,
}

/// The engine a template runs on.
#[derive(Debug)]
pub enum TemplateCode {
    /// Rego (`violation` rule).
    Rego(Box<RegoProgram>),
    /// K8sNativeValidation.
    Cel(CelPolicy),
}

impl Template {
    /// Which engine runs the template.
    #[must_use]
    pub fn engine(&self) -> Engine {
        match self.code {
            TemplateCode::Rego(_) => Engine::Rego,
            TemplateCode::Cel(_) => Engine::Cel,
        }
    }

    /// Whether the template reads `data.inventory`.
    #[must_use]
    pub fn reads_inventory(&self) -> bool {
        matches!(&self.code, TemplateCode::Rego(p) if p.reads_inventory())
    }

    /// Parses and compiles a ConstraintTemplate. `prefer` picks the engine when the template
    /// has code for both (Gatekeeper prefers K8sNativeValidation).
    ///
    /// # Errors
    /// A missing kind or target, code for no supported engine, or code that does not compile.
    pub fn compile(
        object: &Object,
        sources: &Sources,
        prefer: Engine,
    ) -> Result<Self, PolicyError> {
        let at = |pointer: &str| object.location(&pointer_of(pointer));
        let invalid = |pointer: &str, message: String| {
            PolicyError::new(at(pointer), PolicyErrorKind::Invalid(message))
        };
        let kind = object
            .root
            .path(&["spec", "crd", "spec", "names", "kind"])
            .and_then(Node::as_str)
            .ok_or_else(|| {
                invalid(
                    "/spec",
                    "a ConstraintTemplate needs spec.crd.spec.names.kind".to_owned(),
                )
            })?
            .to_owned();
        let targets = object
            .root
            .path(&["spec", "targets"])
            .map(Node::items)
            .unwrap_or_default();
        let Some((index, target)) = targets
            .iter()
            .enumerate()
            .find(|(_, t)| t.get("target").and_then(Node::as_str) == Some(ADMISSION_TARGET))
        else {
            return Err(invalid(
                "/spec/targets",
                format!("the template has no target `{ADMISSION_TARGET}`"),
            ));
        };
        let base = format!("/spec/targets/{index}");
        let mut rego = None;
        let mut cel = None;
        if let Some(text) = target.get("rego").filter(|n| !n.is_null()) {
            rego = Some((format!("{base}/rego"), text, target.get("libs"), false));
        }
        for (i, code) in target
            .get("code")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let source = code.get("source");
            match code.get("engine").and_then(Node::as_str) {
                Some("Rego") => {
                    let Some(source) = source else { continue };
                    if let Some(text) = source.get("rego") {
                        let v1 = source.get("version").and_then(Node::as_str) == Some("v1");
                        rego = Some((
                            format!("{base}/code/{i}/source/rego"),
                            text,
                            source.get("libs"),
                            v1,
                        ));
                    }
                }
                Some("K8sNativeValidation") => {
                    if let Some(source) = source {
                        cel = Some((format!("{base}/code/{i}/source"), source));
                    }
                }
                _ => {}
            }
        }
        let use_cel = match (prefer, &rego, &cel) {
            (_, None, Some(_)) | (Engine::Cel, Some(_), Some(_)) => true,
            (_, Some(_), _) => false,
            (_, None, None) => {
                return Err(invalid(
                    &base,
                    "the template has no Rego and no K8sNativeValidation code".to_owned(),
                ));
            }
        };
        let code = if use_cel {
            let (pointer, source) = cel.expect("checked above");
            TemplateCode::Cel(compile_cel_source(object, &pointer, source)?)
        } else {
            let (pointer, text, libs, v1) = rego.expect("checked above");
            TemplateCode::Rego(Box::new(compile_rego(
                object, sources, &pointer, text, libs, v1,
            )?))
        };
        let annotation = |key: &str| object.annotation(key).map(str::to_owned);
        Ok(Self {
            name: object.name().to_owned(),
            title: annotation("metadata.gatekeeper.sh/title").unwrap_or_else(|| kind.clone()),
            description: annotation("description"),
            kind,
            location: object.location(&JsonPointer::default()),
            code,
            annotations: kubepci_annotations(object),
        })
    }
}

/// The annotations kubepci reads (`kubepci.io/pci`, `kubepci.io/severity`).
pub(crate) fn kubepci_annotations(object: &Object) -> BTreeMap<String, String> {
    object
        .metadata()
        .and_then(|m| m.get("annotations"))
        .map(|a| {
            a.entries()
                .iter()
                .filter(|e| e.key.starts_with("kubepci.io/"))
                .filter_map(|e| e.value.as_str().map(|v| (e.key.to_string(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn pointer_of(text: &str) -> JsonPointer {
    JsonPointer::parse(text).unwrap_or_default()
}

fn compile_rego(
    object: &Object,
    sources: &Sources,
    pointer: &str,
    text: &Node,
    libs: Option<&Node>,
    v1: bool,
) -> Result<RegoProgram, PolicyError> {
    let location = object.location(&pointer_of(pointer));
    let rego_error =
        |message: String| PolicyError::new(location.clone(), PolicyErrorKind::Rego(message));
    let Some(body) = text.as_str() else {
        return Err(rego_error("the Rego code must be a string".to_owned()));
    };
    let file = object.file.to_string();
    let module = RegoModule {
        file: &file,
        first_line: sources.content_line(&object.file, text),
        text: body,
    };
    let mut lib_modules = Vec::new();
    for lib in libs.map(Node::items).unwrap_or_default() {
        let Some(lib_text) = lib.as_str() else {
            return Err(rego_error(
                "every entry of `libs` must be a string".to_owned(),
            ));
        };
        lib_modules.push(RegoModule {
            file: &file,
            first_line: sources.content_line(&object.file, lib),
            text: lib_text,
        });
    }
    RegoProgram::compile(&module, &lib_modules, v1).map_err(rego_error)
}

/// Compiles the `source` of a K8sNativeValidation code block (or of a
/// ValidatingAdmissionPolicy's `spec`): `variables`, `matchConditions`, `validations`,
/// `failurePolicy`.
pub(crate) fn compile_cel_source(
    object: &Object,
    pointer: &str,
    source: &Node,
) -> Result<CelPolicy, PolicyError> {
    let expression = |node: &Node, at: String| -> Result<Expression, PolicyError> {
        let location = object.location(&pointer_of(&at));
        let text = node.as_str().ok_or_else(|| {
            PolicyError::new(
                location.clone(),
                PolicyErrorKind::Invalid("an expression must be a string".to_owned()),
            )
        })?;
        Expression::compile(text, location)
    };
    let mut policy = CelPolicy {
        gatekeeper_variables: pointer.starts_with("/spec/targets"),
        ..CelPolicy::default()
    };
    for (i, variable) in source
        .get("variables")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let name = variable
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(expr) = variable.get("expression") else {
            continue;
        };
        policy.variables.push((
            name,
            expression(expr, format!("{pointer}/variables/{i}/expression"))?,
        ));
    }
    for (i, condition) in source
        .get("matchConditions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let name = condition
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(expr) = condition.get("expression") else {
            continue;
        };
        policy.match_conditions.push((
            name,
            expression(expr, format!("{pointer}/matchConditions/{i}/expression"))?,
        ));
    }
    for (i, validation) in source
        .get("validations")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = format!("{pointer}/validations/{i}");
        let Some(expr) = validation.get("expression") else {
            return Err(PolicyError::new(
                object.location(&pointer_of(&at)),
                PolicyErrorKind::Invalid("a validation needs an `expression`".to_owned()),
            ));
        };
        policy.validations.push(Validation {
            expression: expression(expr, format!("{at}/expression"))?,
            message: validation
                .get("message")
                .and_then(Node::as_str)
                .map(str::to_owned),
            message_expression: validation
                .get("messageExpression")
                .map(|m| expression(m, format!("{at}/messageExpression")))
                .transpose()?,
            field: validation
                .get("fieldPath")
                .and_then(Node::as_str)
                .and_then(crate::vap::field_path_pointer),
        });
    }
    if let Some(policy_name) = source.get("failurePolicy").and_then(Node::as_str) {
        policy.failure_policy = FailurePolicy::parse(policy_name).ok_or_else(|| {
            PolicyError::new(
                object.location(&pointer_of(&format!("{pointer}/failurePolicy"))),
                PolicyErrorKind::Invalid(format!(
                    "unknown failurePolicy `{policy_name}` (Fail or Ignore)"
                )),
            )
        })?;
    }
    Ok(policy)
}

/// Which objects a constraint applies to (`spec.match`).
#[derive(Debug, Clone, Default)]
pub struct ConstraintMatch {
    kinds: Vec<(Vec<String>, Vec<String>)>,
    scope: MatchScope,
    namespaces: Vec<String>,
    excluded_namespaces: Vec<String>,
    label_selector: Option<LabelSelector>,
    namespace_selector: Option<LabelSelector>,
    name: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum MatchScope {
    #[default]
    Any,
    Cluster,
    Namespaced,
}

impl ConstraintMatch {
    /// Parses `spec.match`.
    ///
    /// # Errors
    /// A malformed selector.
    pub fn parse(object: &Object) -> Result<Self, PolicyError> {
        let Some(node) = object.root.path(&["spec", "match"]) else {
            return Ok(Self::default());
        };
        let strings = |n: Option<&Node>| -> Vec<String> {
            n.map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        };
        let selector = |key: &str| -> Result<Option<LabelSelector>, PolicyError> {
            node.get(key)
                .filter(|n| !n.is_null())
                .map(|n| {
                    LabelSelector::parse(n).map_err(|m| {
                        PolicyError::new(
                            object.location(&pointer_of(&format!("/spec/match/{key}"))),
                            PolicyErrorKind::Invalid(m),
                        )
                    })
                })
                .transpose()
        };
        Ok(Self {
            kinds: node
                .get("kinds")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(|k| (strings(k.get("apiGroups")), strings(k.get("kinds"))))
                .collect(),
            scope: match node.get("scope").and_then(Node::as_str) {
                Some("Cluster") => MatchScope::Cluster,
                Some("Namespaced") => MatchScope::Namespaced,
                _ => MatchScope::Any,
            },
            namespaces: strings(node.get("namespaces")),
            excluded_namespaces: strings(node.get("excludedNamespaces")),
            label_selector: selector("labelSelector")?,
            namespace_selector: selector("namespaceSelector")?,
            name: node
                .get("name")
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
        })
    }

    /// The kinds the constraint can match, `None` when any kind can.
    #[must_use]
    pub fn kinds(&self) -> Option<Vec<String>> {
        if self.kinds.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for (_, kinds) in &self.kinds {
            if kinds.is_empty() || kinds.iter().any(|k| k == "*") {
                return None;
            }
            out.extend(kinds.iter().cloned());
        }
        out.sort();
        out.dedup();
        Some(out)
    }

    /// Whether the constraint applies to `request` (Gatekeeper's match semantics).
    #[must_use]
    pub fn matches(&self, request: &Request<'_>, cluster: &dyn Cluster) -> bool {
        let gvk = &request.kind;
        let any = |set: &[String], value: &str| {
            set.is_empty() || set.iter().any(|s| s == "*" || s == value)
        };
        if !self.kinds.is_empty()
            && !self
                .kinds
                .iter()
                .any(|(groups, kinds)| any(kinds, &gvk.kind) && any(groups, &gvk.group))
        {
            return false;
        }
        let is_namespace = request.is_namespace();
        let has_namespace = request.namespace.is_some();
        match self.scope {
            MatchScope::Cluster if !is_namespace && has_namespace => return false,
            MatchScope::Namespaced if is_namespace || !has_namespace => return false,
            _ => {}
        }
        let namespace = request.namespace_name();
        if !self.namespaces.is_empty()
            && let Some(ns) = namespace
            && !self.namespaces.iter().any(|p| wildcard_matches(p, ns))
        {
            return false;
        }
        if let Some(ns) = namespace
            && self
                .excluded_namespaces
                .iter()
                .any(|p| wildcard_matches(p, ns))
        {
            return false;
        }
        if let Some(selector) = &self.label_selector
            && !selector.matches(&request.labels())
        {
            return false;
        }
        if let Some(selector) = &self.namespace_selector {
            let labels = if is_namespace {
                request.labels()
            } else if let Some(ns) = namespace {
                cluster.namespace(ns).map(labels_of).unwrap_or_default()
            } else {
                // Cluster-scoped objects other than Namespaces always match.
                return self.name_matches(request);
            };
            if !selector.matches(&labels) {
                return false;
            }
        }
        self.name_matches(request)
    }

    fn name_matches(&self, request: &Request<'_>) -> bool {
        let Some(pattern) = &self.name else {
            return true;
        };
        if wildcard_matches(pattern, &request.name) {
            return true;
        }
        // An object with only a generateName matches a prefix glob on it.
        let generate_name = request
            .any_object()
            .and_then(|o| o.path(&["metadata", "generateName"]))
            .and_then(Node::as_str)
            .unwrap_or_default();
        !generate_name.is_empty()
            && pattern.ends_with('*')
            && wildcard_matches(pattern, generate_name)
    }
}

/// A Constraint bound to its template.
#[derive(Debug)]
pub struct Constraint {
    /// `metadata.name`.
    pub name: String,
    /// Its kind (the template's).
    pub kind: String,
    /// The compiled template.
    pub template: Arc<Template>,
    /// `spec.match`.
    pub matcher: ConstraintMatch,
    /// `spec.parameters` as Rego sees it (`{}` when absent).
    parameters_rego: regorus::Value,
    /// The whole constraint as CEL's `params`.
    constraint_cel: cel::Value,
    /// `spec.enforcementAction` (`deny` by default).
    pub enforcement_action: String,
    /// Where it is written.
    pub location: Location,
    /// Its `kubepci.io/…` annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Constraint {
    /// Binds a Constraint to its template.
    ///
    /// # Errors
    /// A malformed `match`.
    pub fn new(object: &Object, template: Arc<Template>) -> Result<Self, PolicyError> {
        let parameters = object
            .root
            .path(&["spec", "parameters"])
            .filter(|p| !p.is_null());
        Ok(Self {
            name: object.name().to_owned(),
            kind: object.kind().to_owned(),
            matcher: ConstraintMatch::parse(object)?,
            parameters_rego: parameters.map_or_else(regorus::Value::new_object, to_rego),
            constraint_cel: to_cel(&object.root),
            enforcement_action: object
                .root
                .path(&["spec", "enforcementAction"])
                .and_then(Node::as_str)
                .unwrap_or("deny")
                .to_owned(),
            location: object.location(&JsonPointer::default()),
            annotations: kubepci_annotations(object),
            template,
        })
    }

    /// Evaluates the constraint on a request it matches. `object_rego` / `object_cel` are the
    /// object already converted, when the caller caches conversions.
    #[must_use]
    pub fn evaluate(
        &self,
        request: &Request<'_>,
        cluster: &dyn Cluster,
        object_rego: Option<regorus::Value>,
        object_cel: Option<cel::Value>,
    ) -> Vec<Violation> {
        match &self.template.code {
            TemplateCode::Rego(program) => {
                let review = request.to_rego_review(object_rego);
                match program.evaluate(review, &self.parameters_rego, cluster) {
                    Ok(found) => found
                        .into_iter()
                        .map(|v| Violation {
                            message: v.message,
                            field: None,
                            error: false,
                        })
                        .collect(),
                    // Gatekeeper reports an evaluation error as a violation carrying it.
                    Err(error) => vec![Violation {
                        message: error,
                        field: None,
                        error: true,
                    }],
                }
            }
            TemplateCode::Cel(policy) => {
                let namespace = request
                    .namespace
                    .as_deref()
                    .and_then(|ns| cluster.namespace(ns));
                let bindings =
                    Bindings::new(request, object_cel, self.constraint_cel.clone(), namespace);
                policy
                    .evaluate(&bindings)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| Violation {
                        message: v.message,
                        field: v.field,
                        error: false,
                    })
                    .collect()
            }
        }
    }
}
