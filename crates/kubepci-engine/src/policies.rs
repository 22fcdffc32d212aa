//! Policies brought along (`--policies PATH…`, `policies:` in `kubepci.yaml`): Gatekeeper
//! ConstraintTemplates with their Constraints and ValidatingAdmissionPolicies with their
//! bindings, loaded once and run as rules of the engine.

use std::path::PathBuf;

use kubepci_k8s::InputError;
use kubepci_policy::{Engine, LoadOptions, PolicyError, PolicySet, PolicySource};
use kubepci_rules::RuleRef;

/// Loaded policies and their rules.
#[derive(Debug)]
pub struct LoadedPolicies {
    /// The policies.
    pub set: PolicySet,
    /// One rule per policy, for [`crate::RuleSelection::resolve_with`].
    pub rules: Vec<RuleRef>,
    /// Files read.
    pub files: usize,
}

/// Why policies could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyLoadError {
    /// A path could not be read.
    #[error("reading policies")]
    Read(#[source] InputError),
    /// Policy files with problems (every problem, each with file and line).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<PolicyError>),
}

/// Reads the policy files under `paths` (files, or directories walked for .yaml, .yml and
/// .json) and compiles them. `prefer` is the engine for templates with both Rego and CEL.
///
/// # Errors
/// Unreadable paths, or invalid policies.
pub fn load_policies(paths: &[PathBuf], prefer: Engine) -> Result<LoadedPolicies, PolicyLoadError> {
    let inputs = kubepci_k8s::source::expand(paths).map_err(PolicyLoadError::Read)?;
    let mut sources = Vec::with_capacity(inputs.len());
    for input in &inputs {
        sources.push(PolicySource {
            name: input.display_name(),
            bytes: input.read().map_err(PolicyLoadError::Read)?,
        });
    }
    let set =
        PolicySet::load(&sources, LoadOptions { prefer }).map_err(PolicyLoadError::Invalid)?;
    for template in &set.unused_templates {
        tracing::warn!(kind = %template, "ConstraintTemplate without constraints checks nothing");
    }
    for policy in &set.unbound_policies {
        tracing::warn!(policy = %policy, "ValidatingAdmissionPolicy without bindings checks nothing");
    }
    let rules = set.rules();
    Ok(LoadedPolicies {
        set,
        rules,
        files: sources.len(),
    })
}
