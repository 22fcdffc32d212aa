//! Errors in policy files: each names the file and line at fault.

use kubepci_model::Location;

/// A policy file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct PolicyError {
    /// The file, line and column at fault.
    pub location: Location,
    /// What is wrong.
    pub kind: PolicyErrorKind,
}

/// What is wrong with a policy file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// The YAML or JSON does not parse.
    #[error("{0}")]
    Parse(String),
    /// A field is missing or has the wrong shape.
    #[error("{0}")]
    Invalid(String),
    /// Rego that does not parse or compile.
    #[error("rego: {0}")]
    Rego(String),
    /// A CEL expression that does not parse or uses what kubepci cannot provide.
    #[error("cel: {0}")]
    Cel(String),
    /// A constraint whose kind no ConstraintTemplate defines.
    #[error("no ConstraintTemplate defines kind `{0}`")]
    UnknownConstraintKind(String),
    /// A binding whose policy is not loaded.
    #[error("no ValidatingAdmissionPolicy named `{0}`")]
    UnknownPolicy(String),
    /// Two documents define the same thing.
    #[error("{0} is defined twice (first at {1})")]
    Duplicate(String, Location),
    /// A `kubepci.io/pci` annotation names an ID that is not a PCI DSS v4.0.1 requirement.
    #[error("`{0}` is not a PCI DSS v4.0.1 requirement ID (annotation kubepci.io/pci)")]
    UnknownRequirement(String),
    /// A `kubepci.io/severity` annotation that names no severity.
    #[error(
        "`{0}` is not a severity (annotation kubepci.io/severity: info, low, medium, high or critical)"
    )]
    UnknownSeverity(String),
}

impl PolicyError {
    /// An error at `location`.
    #[must_use]
    pub fn new(location: Location, kind: PolicyErrorKind) -> Self {
        Self { location, kind }
    }
}
