//! Loaded policies: every Gatekeeper constraint and every ValidatingAdmissionPolicy binding
//! becomes one [`Policy`], with its rule ID, severity and PCI DSS requirements.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kubepci_k8s::{KindFilter, Object, load as load_documents};
use kubepci_model::{JsonPointer, Location, Severity};

use crate::cluster::Cluster;
use crate::error::{PolicyError, PolicyErrorKind};
use crate::gatekeeper::{Constraint, Template};
use crate::request::Request;
use crate::source::{PolicySource, Sources};
use crate::vap::{AdmissionPolicy, Binding, ValidationAction};

/// The annotation naming a policy's PCI DSS requirements (`"2.2.2,8.6.2"`, primary first).
pub const PCI_ANNOTATION: &str = "kubepci.io/pci";
/// The annotation giving a policy's severity (`info` … `critical`).
pub const SEVERITY_ANNOTATION: &str = "kubepci.io/severity";
/// The severity of a policy that names none.
pub const DEFAULT_SEVERITY: Severity = Severity::Medium;

/// A policy engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Engine {
    /// Rego (Gatekeeper templates).
    Rego,
    /// CEL (K8sNativeValidation templates, ValidatingAdmissionPolicies). Gatekeeper prefers
    /// it for templates that carry both.
    #[default]
    Cel,
}

impl Engine {
    /// `rego` / `cel`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Rego => "rego",
            Engine::Cel => "cel",
        }
    }
}

/// What the policy's own configuration asks to do with a violation at admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Reject (Gatekeeper `deny`, VAP `Deny`).
    Deny,
    /// Admit with a warning (Gatekeeper `warn`, VAP `Warn`).
    Warn,
    /// Only record (Gatekeeper `dryrun`, VAP `Audit`).
    Audit,
}

/// One violation of a policy by one object.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The policy's message.
    pub message: String,
    /// The field at fault, when the policy names one.
    pub field: Option<JsonPointer>,
    /// Whether the policy failed to evaluate (the message says why).
    pub error: bool,
}

/// What a policy is bound to.
#[derive(Debug)]
pub enum PolicyBody {
    /// A Gatekeeper constraint and its template.
    Constraint(Constraint),
    /// A ValidatingAdmissionPolicyBinding and its policy.
    Binding(Binding),
}

/// One loaded policy.
#[derive(Debug)]
pub struct Policy {
    /// Rule ID: `gk:<Kind>/<constraint>` or `vap:<policy>/<binding>`.
    pub id: String,
    /// Title (the template's title, or the policy's name).
    pub title: String,
    /// Description, when the template has one.
    pub description: Option<String>,
    /// Severity (`kubepci.io/severity`, else medium).
    pub severity: Severity,
    /// PCI DSS v4.0.1 requirement IDs from `kubepci.io/pci` (empty: unmapped).
    pub pci: Vec<&'static str>,
    /// Where the constraint or binding is written.
    pub location: Location,
    /// What its configuration does at admission.
    pub actions: Vec<Action>,
    /// The engine that evaluates it.
    pub engine: Engine,
    /// The constraint or binding.
    pub body: PolicyBody,
}

impl Policy {
    /// The kinds it can apply to (`None`: any kind).
    #[must_use]
    pub fn kinds(&self) -> Option<Vec<String>> {
        match &self.body {
            PolicyBody::Constraint(c) => c.matcher.kinds(),
            PolicyBody::Binding(_) => None,
        }
    }

    /// Kinds it reads besides those it applies to (its parameter resources).
    #[must_use]
    pub fn reads_kinds(&self) -> Vec<String> {
        match &self.body {
            PolicyBody::Constraint(_) => Vec::new(),
            PolicyBody::Binding(b) => b.policy.param_kind.iter().map(|(_, k)| k.clone()).collect(),
        }
    }

    /// Whether it reads the whole inventory (referential templates).
    #[must_use]
    pub fn reads_inventory(&self) -> bool {
        match &self.body {
            PolicyBody::Constraint(c) => c.template.reads_inventory(),
            PolicyBody::Binding(_) => false,
        }
    }

    /// Whether it applies to `request`.
    #[must_use]
    pub fn applies_to(&self, request: &Request<'_>, cluster: &dyn Cluster) -> bool {
        match &self.body {
            PolicyBody::Constraint(c) => c.matcher.matches(request, cluster),
            PolicyBody::Binding(b) => b.matches(request, cluster),
        }
    }

    /// Evaluates the policy on a request it applies to. `object_rego` / `object_cel` are
    /// the request's object already converted (a scan converts each object once).
    #[must_use]
    pub fn evaluate(
        &self,
        request: &Request<'_>,
        cluster: &dyn Cluster,
        object_rego: Option<regorus::Value>,
        object_cel: Option<cel::Value>,
    ) -> Vec<Violation> {
        match &self.body {
            PolicyBody::Constraint(c) => c.evaluate(request, cluster, object_rego, object_cel),
            PolicyBody::Binding(b) => b.evaluate(request, cluster, object_cel),
        }
    }

    /// Matches and evaluates: the violations of `request`, none when it does not apply.
    #[must_use]
    pub fn review(&self, request: &Request<'_>, cluster: &dyn Cluster) -> Vec<Violation> {
        if self.applies_to(request, cluster) {
            self.evaluate(request, cluster, None, None)
        } else {
            Vec::new()
        }
    }
}

/// How to load policies.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// The engine for templates that carry code for both.
    pub prefer: Engine,
}

/// Every policy loaded from a set of files.
#[derive(Debug, Default)]
pub struct PolicySet {
    /// The policies, sorted by ID.
    pub policies: Vec<Arc<Policy>>,
    /// Templates no constraint instantiates (they check nothing).
    pub unused_templates: Vec<String>,
    /// ValidatingAdmissionPolicies no binding binds (they check nothing).
    pub unbound_policies: Vec<String>,
}

impl PolicySet {
    /// Loads ConstraintTemplates with their Constraints, and ValidatingAdmissionPolicies with
    /// their bindings and parameter objects, from `sources`. Other documents are parameter
    /// candidates or ignored.
    ///
    /// # Errors
    /// Every problem found, each with file and line.
    pub fn load(sources: &[PolicySource], options: LoadOptions) -> Result<Self, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let mut texts = Sources::default();
        let mut objects = Vec::new();
        for source in sources {
            texts.add(&source.name, &source.bytes);
            let loaded = load_documents(&source.name, &source.bytes, &KindFilter::All, None);
            for error in loaded.errors {
                errors.push(PolicyError::new(
                    Location {
                        file: Arc::from(error.file.as_str()),
                        line: error.position.line,
                        column: error.position.column,
                    },
                    PolicyErrorKind::Parse(error.kind.to_string()),
                ));
            }
            objects.extend(loaded.objects);
        }
        let group = |o: &Object| o.group().to_owned();
        let mut templates: BTreeMap<String, (Arc<Template>, bool)> = BTreeMap::new();
        for object in objects
            .iter()
            .filter(|o| group(o) == "templates.gatekeeper.sh" && o.kind() == "ConstraintTemplate")
        {
            match Template::compile(object, &texts, options.prefer) {
                Ok(template) => {
                    if let Some((first, _)) = templates.get(&template.kind) {
                        errors.push(PolicyError::new(
                            template.location.clone(),
                            PolicyErrorKind::Duplicate(
                                format!("ConstraintTemplate for kind `{}`", template.kind),
                                first.location.clone(),
                            ),
                        ));
                    } else {
                        templates.insert(template.kind.clone(), (Arc::new(template), false));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let mut admission_policies: BTreeMap<String, (Arc<AdmissionPolicy>, bool)> =
            BTreeMap::new();
        for object in objects.iter().filter(|o| {
            group(o) == "admissionregistration.k8s.io" && o.kind() == "ValidatingAdmissionPolicy"
        }) {
            match AdmissionPolicy::compile(object) {
                Ok(policy) => {
                    if let Some((first, _)) = admission_policies.get(&policy.name) {
                        errors.push(PolicyError::new(
                            policy.location.clone(),
                            PolicyErrorKind::Duplicate(
                                format!("ValidatingAdmissionPolicy `{}`", policy.name),
                                first.location.clone(),
                            ),
                        ));
                    } else {
                        admission_policies.insert(policy.name.clone(), (Arc::new(policy), false));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let mut policies: Vec<Policy> = Vec::new();
        for object in objects
            .iter()
            .filter(|o| group(o) == "constraints.gatekeeper.sh")
        {
            let Some((template, used)) = templates.get_mut(object.kind()) else {
                errors.push(PolicyError::new(
                    object.location(&JsonPointer::default()),
                    PolicyErrorKind::UnknownConstraintKind(object.kind().to_owned()),
                ));
                continue;
            };
            *used = true;
            let template = Arc::clone(template);
            match Constraint::new(object, Arc::clone(&template))
                .and_then(|c| constraint_policy(object, c, &template))
            {
                Ok(policy) => policies.push(policy),
                Err(e) => errors.push(e),
            }
        }
        for object in objects.iter().filter(|o| {
            group(o) == "admissionregistration.k8s.io"
                && o.kind() == "ValidatingAdmissionPolicyBinding"
        }) {
            let policy_name = object
                .root
                .path(&["spec", "policyName"])
                .and_then(kubepci_model::Node::as_str)
                .unwrap_or_default();
            let Some((policy, used)) = admission_policies.get_mut(policy_name) else {
                errors.push(PolicyError::new(
                    object.location(&crate::gatekeeper::pointer_of("/spec/policyName")),
                    PolicyErrorKind::UnknownPolicy(policy_name.to_owned()),
                ));
                continue;
            };
            *used = true;
            let policy = Arc::clone(policy);
            let params = policy
                .param_kind
                .as_ref()
                .map(|(api_version, kind)| {
                    objects
                        .iter()
                        .filter(|o| o.kind() == kind && o.api_version() == api_version)
                        .map(|o| o.root.clone())
                        .collect()
                })
                .unwrap_or_default();
            match Binding::new(object, Arc::clone(&policy), params)
                .and_then(|b| binding_policy(object, b, &policy))
            {
                Ok(policy) => policies.push(policy),
                Err(e) => errors.push(e),
            }
        }
        let mut seen: HashMap<String, Location> = HashMap::new();
        for policy in &policies {
            if let Some(first) = seen.get(&policy.id) {
                errors.push(PolicyError::new(
                    policy.location.clone(),
                    PolicyErrorKind::Duplicate(policy.id.clone(), first.clone()),
                ));
            } else {
                seen.insert(policy.id.clone(), policy.location.clone());
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.location.cmp(&b.location));
            return Err(errors);
        }
        policies.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self {
            policies: policies.into_iter().map(Arc::new).collect(),
            unused_templates: templates
                .into_iter()
                .filter(|(_, (_, used))| !used)
                .map(|(k, _)| k)
                .collect(),
            unbound_policies: admission_policies
                .into_iter()
                .filter(|(_, (_, used))| !used)
                .map(|(k, _)| k)
                .collect(),
        })
    }
}

fn constraint_policy(
    object: &Object,
    constraint: Constraint,
    template: &Template,
) -> Result<Policy, PolicyError> {
    let annotations = merged(&constraint.annotations, &template.annotations);
    let (severity, pci) = classification(object, &annotations)?;
    let actions = vec![match constraint.enforcement_action.as_str() {
        "warn" => Action::Warn,
        "dryrun" => Action::Audit,
        _ => Action::Deny,
    }];
    Ok(Policy {
        id: format!("gk:{}/{}", constraint.kind, constraint.name),
        title: template.title.clone(),
        description: template.description.clone(),
        severity,
        pci,
        location: constraint.location.clone(),
        actions,
        engine: template.engine(),
        body: PolicyBody::Constraint(constraint),
    })
}

fn binding_policy(
    object: &Object,
    binding: Binding,
    policy: &AdmissionPolicy,
) -> Result<Policy, PolicyError> {
    let annotations = merged(&binding.annotations, &policy.annotations);
    let (severity, pci) = classification(object, &annotations)?;
    let actions = binding
        .actions
        .iter()
        .map(|a| match a {
            ValidationAction::Deny => Action::Deny,
            ValidationAction::Warn => Action::Warn,
            ValidationAction::Audit => Action::Audit,
        })
        .collect();
    Ok(Policy {
        id: format!("vap:{}/{}", policy.name, binding.name),
        title: policy.name.clone(),
        description: None,
        severity,
        pci,
        location: binding.location.clone(),
        actions,
        engine: Engine::Cel,
        body: PolicyBody::Binding(binding),
    })
}

/// The constraint's (binding's) annotations over the template's (policy's).
fn merged(
    own: &BTreeMap<String, String>,
    inherited: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = inherited.clone();
    out.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// Severity and PCI requirements from the annotations, checked against the v4.0.1 table.
fn classification(
    object: &Object,
    annotations: &BTreeMap<String, String>,
) -> Result<(Severity, Vec<&'static str>), PolicyError> {
    let at = |key: &str| {
        let pointer = JsonPointer::default()
            .key("metadata")
            .key("annotations")
            .key(key);
        object.location(&pointer)
    };
    let severity = match annotations.get(SEVERITY_ANNOTATION) {
        Some(name) => Severity::parse(name.trim()).ok_or_else(|| {
            PolicyError::new(
                at(SEVERITY_ANNOTATION),
                PolicyErrorKind::UnknownSeverity(name.clone()),
            )
        })?,
        None => DEFAULT_SEVERITY,
    };
    let mut pci = Vec::new();
    if let Some(list) = annotations.get(PCI_ANNOTATION) {
        for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let requirement = kubepci_rules::pci::requirement(id).ok_or_else(|| {
                PolicyError::new(
                    at(PCI_ANNOTATION),
                    PolicyErrorKind::UnknownRequirement(id.to_owned()),
                )
            })?;
            if !pci.contains(&requirement.id) {
                pci.push(requirement.id);
            }
        }
    }
    Ok((severity, pci))
}
