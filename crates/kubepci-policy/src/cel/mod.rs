//! CEL as Kubernetes evaluates it in ValidatingAdmissionPolicies and Gatekeeper's
//! K8sNativeValidation engine: the variables `object`, `oldObject`, `request`, `params`,
//! `namespaceObject` and `variables`, match conditions, validations with `message` /
//! `messageExpression`, and the failure policy.
//!
//! Expressions are compiled once, with the CEL standard library, the strings, lists and math
//! extensions, and the Kubernetes library functions of [`library`].

pub mod library;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use kubepci_model::{JsonPointer, Location};

use crate::error::{PolicyError, PolicyErrorKind};
use crate::request::Request;
use crate::value::{cel_map, to_cel};

/// The variables every expression may read. `authorizer` is not among them: kubepci runs
/// outside the apiserver and cannot answer authorization checks.
pub const VARIABLES: &[&str] = &[
    "object",
    "oldObject",
    "request",
    "params",
    "namespaceObject",
    "variables",
];

/// The environment every expression is compiled and evaluated in.
pub(crate) fn env() -> &'static Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = cel::Env::stdlib();
        // The extensions and the Kubernetes library only add overloads of their own names;
        // a clash would be a bug in this crate, found by the first test that builds the env.
        cel::extensions::strings(&mut env).expect("the strings extension declares once");
        cel::extensions::lists(&mut env).expect("the lists extension declares once");
        cel::extensions::math(&mut env).expect("the math extension declares once");
        library::register(&mut env).expect("the Kubernetes library declares once");
        Arc::new(env)
    })
}

/// One compiled expression and where it is written.
pub struct Expression {
    program: cel::Program,
    /// The expression's text (for the default message).
    pub source: String,
    /// Where it is written.
    pub location: Location,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expression")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Expression {
    /// Compiles `source`, checking that it reads only the Kubernetes variables.
    ///
    /// # Errors
    /// A parse error, or a reference to `authorizer`.
    pub fn compile(source: &str, location: Location) -> Result<Self, PolicyError> {
        let program = env().compile(source).map_err(|e| {
            let message = e.errors.first().map_or_else(
                || e.to_string(),
                |first| {
                    format!(
                        "{} (at {}:{} of the expression)",
                        first.msg, first.pos.0, first.pos.1
                    )
                },
            );
            PolicyError::new(location.clone(), PolicyErrorKind::Cel(message))
        })?;
        let references = program.references();
        for variable in references.variables() {
            if variable == "authorizer" || variable == "authorizerRequestResource" {
                return Err(PolicyError::new(
                    location,
                    PolicyErrorKind::Cel(format!(
                        "`{variable}` needs the apiserver's authorizer, which kubepci does not have"
                    )),
                ));
            }
        }
        Ok(Self {
            program,
            source: source.to_owned(),
            location,
        })
    }

    fn evaluate(&self, context: &cel::Context<'_, '_>) -> Result<cel::Value, String> {
        self.program.execute(context).map_err(|e| e.to_string())
    }
}

/// What happens when an expression cannot be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// The request is rejected (a violation carrying the error).
    #[default]
    Fail,
    /// The expression is skipped.
    Ignore,
}

impl FailurePolicy {
    /// Parses `Fail` / `Ignore`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "Fail" => Some(FailurePolicy::Fail),
            "Ignore" => Some(FailurePolicy::Ignore),
            _ => None,
        }
    }
}

/// One validation.
#[derive(Debug)]
pub struct Validation {
    /// Must evaluate to `true` for the request to pass.
    pub expression: Expression,
    /// The message when it does not.
    pub message: Option<String>,
    /// An expression building the message.
    pub message_expression: Option<Expression>,
    /// The field the validation is about (`fieldPath`), as a JSON pointer.
    pub field: Option<JsonPointer>,
}

/// The expressions of one ValidatingAdmissionPolicy, or one K8sNativeValidation template.
#[derive(Debug, Default)]
pub struct CelPolicy {
    /// Gatekeeper's own variables (`params`, `anyObject`), evaluated before the policy's.
    pub gatekeeper_variables: bool,
    /// Named variables, in order (each may read the ones before it).
    pub variables: Vec<(String, Expression)>,
    /// All must be true for the policy to apply.
    pub match_conditions: Vec<(String, Expression)>,
    /// The validations.
    pub validations: Vec<Validation>,
    /// What an evaluation error does.
    pub failure_policy: FailurePolicy,
}

/// One failed validation (or evaluation error, under `failurePolicy: Fail`).
#[derive(Debug, Clone, PartialEq)]
pub struct CelViolation {
    /// The message.
    pub message: String,
    /// The field at fault, when the validation names one.
    pub field: Option<JsonPointer>,
}

/// The values bound to the variables for one evaluation.
pub struct Bindings {
    /// `object` (`null` on DELETE).
    pub object: cel::Value,
    /// `oldObject` (`null` unless UPDATE or DELETE).
    pub old_object: cel::Value,
    /// `request`.
    pub request: cel::Value,
    /// `params` (`null` without a parameter resource).
    pub params: cel::Value,
    /// `namespaceObject` (`null` for cluster-scoped objects or an unknown namespace).
    pub namespace_object: cel::Value,
}

impl Bindings {
    /// The bindings of `request`. `object` may be given already converted (a scan caches it).
    #[must_use]
    pub fn new(
        request: &Request<'_>,
        object: Option<cel::Value>,
        params: cel::Value,
        namespace_object: Option<&kubepci_model::Node>,
    ) -> Self {
        Self {
            object: object
                .or_else(|| request.object.map(to_cel))
                .unwrap_or(cel::Value::Null),
            old_object: request.old_object.map_or(cel::Value::Null, to_cel),
            request: request_value(request),
            params,
            namespace_object: namespace_object.map_or(cel::Value::Null, to_cel),
        }
    }
}

/// `request` as CEL sees it.
fn request_value(request: &Request<'_>) -> cel::Value {
    let string = |s: &str| cel::Value::String(Arc::new(s.to_owned()));
    let gvk = cel_map(HashMap::from([
        ("group".to_owned(), string(&request.kind.group)),
        ("version".to_owned(), string(&request.kind.version)),
        ("kind".to_owned(), string(&request.kind.kind)),
    ]));
    let resource = cel_map(HashMap::from([
        ("group".to_owned(), string(&request.kind.group)),
        ("version".to_owned(), string(&request.kind.version)),
        (
            "resource".to_owned(),
            string(&crate::resources::resource_of(&request.kind.kind)),
        ),
    ]));
    let mut fields = HashMap::from([
        ("uid".to_owned(), string(&request.uid)),
        ("kind".to_owned(), gvk.clone()),
        ("requestKind".to_owned(), gvk),
        ("resource".to_owned(), resource.clone()),
        ("requestResource".to_owned(), resource),
        ("name".to_owned(), string(&request.name)),
        ("dryRun".to_owned(), cel::Value::Bool(request.dry_run)),
        (
            "userInfo".to_owned(),
            request
                .user_info
                .map_or_else(|| cel_map(HashMap::new()), to_cel),
        ),
    ]);
    if let Some(ns) = &request.namespace {
        fields.insert("namespace".to_owned(), string(ns));
    }
    if let Some(op) = request.operation {
        fields.insert("operation".to_owned(), string(op.as_str()));
    }
    cel_map(fields)
}

impl CelPolicy {
    /// Evaluates the policy: `Ok(None)` when a match condition excludes the request, else the
    /// failed validations.
    #[must_use]
    pub fn evaluate(&self, bindings: &Bindings) -> Option<Vec<CelViolation>> {
        let mut context = cel::Context::with_env(Arc::clone(env()));
        context.add_variable_from_value("object", bindings.object.clone());
        context.add_variable_from_value("oldObject", bindings.old_object.clone());
        context.add_variable_from_value("request", bindings.request.clone());
        context.add_variable_from_value("params", bindings.params.clone());
        context.add_variable_from_value("namespaceObject", bindings.namespace_object.clone());

        let mut variables: HashMap<String, cel::Value> = HashMap::new();
        if self.gatekeeper_variables {
            variables.insert("params".to_owned(), gatekeeper_params(&bindings.params));
            let any = if bindings.object == cel::Value::Null {
                bindings.old_object.clone()
            } else {
                bindings.object.clone()
            };
            variables.insert("anyObject".to_owned(), any);
        }
        context.add_variable_from_value("variables", cel_map(variables.clone()));
        // Variables are evaluated in order, each seeing the ones before. One that fails is
        // left out: an expression that reads it then fails in turn (Kubernetes evaluates
        // variables lazily, so the outcome is the same).
        for (name, expression) in &self.variables {
            if let Ok(value) = expression.evaluate(&context) {
                variables.insert(name.clone(), value);
                context.add_variable_from_value("variables", cel_map(variables.clone()));
            }
        }

        let mut violations = Vec::new();
        for (name, condition) in &self.match_conditions {
            match condition.evaluate(&context) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => return None,
                Ok(other) => {
                    self.fail(
                        &mut violations,
                        &format!("match condition `{name}` evaluated to {other:?}, not a bool"),
                        None,
                    )?;
                }
                Err(error) => {
                    self.fail(
                        &mut violations,
                        &format!("match condition `{name}` failed: {error}"),
                        None,
                    )?;
                }
            }
        }
        for validation in &self.validations {
            match validation.expression.evaluate(&context) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => violations.push(CelViolation {
                    message: message_of(validation, &context),
                    field: validation.field.clone(),
                }),
                Ok(other) => {
                    let message = format!(
                        "expression '{}' evaluated to {other:?}, not a bool",
                        validation.expression.source
                    );
                    let _ = self.fail(&mut violations, &message, validation.field.clone());
                }
                Err(error) => {
                    let message = format!(
                        "expression '{}' resulted in error: {error}",
                        validation.expression.source.trim()
                    );
                    let _ = self.fail(&mut violations, &message, validation.field.clone());
                }
            }
        }
        Some(violations)
    }

    /// Records an evaluation error as the failure policy says.
    fn fail(
        &self,
        violations: &mut Vec<CelViolation>,
        message: &str,
        field: Option<JsonPointer>,
    ) -> Option<()> {
        match self.failure_policy {
            FailurePolicy::Fail => {
                violations.push(CelViolation {
                    message: message.to_owned(),
                    field,
                });
                Some(())
            }
            FailurePolicy::Ignore => Some(()),
        }
    }
}

/// Gatekeeper's `variables.params`: the constraint's `spec.parameters`, or `null`.
fn gatekeeper_params(constraint: &cel::Value) -> cel::Value {
    let field = |value: &cel::Value, key: &str| match value {
        cel::Value::Map(map) => map
            .map
            .get(&cel::objects::Key::String(Arc::new(key.to_owned())))
            .cloned(),
        _ => None,
    };
    field(constraint, "spec")
        .and_then(|spec| field(&spec, "parameters"))
        .unwrap_or(cel::Value::Null)
}

/// The message of a failed validation: `messageExpression` when it yields a non-empty
/// string, else `message`, else Kubernetes' default.
fn message_of(validation: &Validation, context: &cel::Context<'_, '_>) -> String {
    if let Some(expression) = &validation.message_expression
        && let Ok(cel::Value::String(s)) = expression.evaluate(context)
        && !s.trim().is_empty()
    {
        return s.to_string();
    }
    match &validation.message {
        Some(m) if !m.is_empty() => m.clone(),
        _ => format!("failed expression: {}", validation.expression.source.trim()),
    }
}
