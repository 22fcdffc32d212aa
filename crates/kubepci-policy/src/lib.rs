//! Bring-your-own policies: Gatekeeper ConstraintTemplates and ValidatingAdmissionPolicies,
//! run unchanged next to kubepci's compiled rules.
//!
//! - [`PolicySet::load`] reads ConstraintTemplates (templates.gatekeeper.sh/v1, with Rego or
//!   K8sNativeValidation CEL code) with their Constraints, and ValidatingAdmissionPolicies
//!   with their bindings and parameter objects (admissionregistration.k8s.io/v1). Each
//!   template and policy is compiled once; every problem is reported with file and line.
//! - Each constraint and each binding is a [`Policy`] with a rule ID (`gk:<Kind>/<name>`,
//!   `vap:<policy>/<binding>`), a severity and PCI DSS requirements from its annotations
//!   (`kubepci.io/severity`, `kubepci.io/pci`).
//! - [`Policy::review`] matches and evaluates one [`Request`] against a [`Cluster`] (the
//!   namespaces, `data.inventory`, parameter objects).
//! - [`suite`] runs Gatekeeper test suites (test.gatekeeper.sh/v1alpha1) as `gator verify`
//!   does.
//!
//! Pure: no I/O (callers hand in file contents), no async.

pub mod cel;
pub mod cluster;
pub mod error;
pub mod gatekeeper;
mod policy;
pub mod rego;
pub mod request;
pub mod resources;
mod rule;
pub mod selector;
mod source;
pub mod suite;
pub mod value;
pub mod vap;

pub use cluster::{Cluster, RegoInventory, StaticCluster};
pub use error::{PolicyError, PolicyErrorKind};
pub use policy::{
    Action, DEFAULT_SEVERITY, Engine, LoadOptions, PCI_ANNOTATION, Policy, PolicyBody, PolicySet,
    SEVERITY_ANNOTATION, Violation,
};
pub use request::{GroupVersionKind, Operation, Request};
pub use rule::PolicyRule;
pub use source::{PolicySource, Sources};
