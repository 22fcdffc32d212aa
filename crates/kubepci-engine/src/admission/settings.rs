//! `admission:` in `kubepci.yaml`: how the webhook acts on findings, by namespace scope, by
//! namespace and by rule.
//!
//! ```yaml
//! admission:
//!   modes:                       # by the namespace's PCI scope (these are the defaults)
//!     cde: enforce
//!     connected: enforce
//!     unscoped: warn
//!     outOfScope: audit
//!     cluster: enforce           # cluster-scoped objects (ClusterRoles, webhooks, …)
//!   namespaces:                  # per namespace, wins over the scope's mode
//!     legacy-payments: warn
//!   exemptNamespaces: [kube-system, kube-public, kube-node-lease]
//!   rules:                       # per rule (ID or name), wins over the namespace's mode
//!     KP1102: warn               # lowered
//!     KP5001: enforce            # raised
//!   denySeverity: low            # findings below it only warn
//!   existingFindingsOnUpdate: warn   # findings the old object already had
//!   failurePolicy: fail          # what an internal error answers: fail (deny) or ignore
//! ```

use std::collections::BTreeMap;

use kubepci_model::{Scope, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// What the webhook does with a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Deny the request; the message lists the rules and why.
    Enforce,
    /// Allow it, with an admission warning (shown by kubectl) per finding.
    Warn,
    /// Allow it; the finding is only logged and recorded in the audit annotations.
    Audit,
}

impl Mode {
    /// The kebab-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// What an UPDATE does with a finding the old object already had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExistingFindings {
    /// Treat it like a new finding.
    Deny,
    /// Only warn: an unrelated edit of an object that predates the policy goes through,
    /// while a change that adds a finding is still denied.
    #[default]
    Warn,
}

/// What the webhook answers when it cannot evaluate a request (an internal error, a deadline
/// passed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// Deny, with a message that says the request could not be checked (fail closed).
    #[default]
    Fail,
    /// Allow, with a warning.
    Ignore,
}

/// The mode of each namespace scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ScopeModes {
    /// `cde` namespaces.
    pub cde: Mode,
    /// `connected` namespaces.
    pub connected: Mode,
    /// Namespaces without a scope label (treated as connected by the rules; they warn by
    /// default so that labelling namespaces is the first step of a rollout).
    pub unscoped: Mode,
    /// `out-of-scope` namespaces.
    pub out_of_scope: Mode,
    /// Cluster-scoped objects (ClusterRoles, bindings, webhook configurations, Nodes…).
    pub cluster: Mode,
}

impl Default for ScopeModes {
    fn default() -> Self {
        Self {
            cde: Mode::Enforce,
            connected: Mode::Enforce,
            unscoped: Mode::Warn,
            out_of_scope: Mode::Audit,
            cluster: Mode::Enforce,
        }
    }
}

impl ScopeModes {
    /// The mode of a scope.
    #[must_use]
    pub fn of(&self, scope: Scope) -> Mode {
        match scope {
            Scope::Cde => self.cde,
            Scope::Connected => self.connected,
            Scope::Unscoped => self.unscoped,
            Scope::OutOfScope => self.out_of_scope,
            Scope::Cluster => self.cluster,
        }
    }
}

/// `admission:` as written.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RawAdmission {
    /// Mode by the namespace's PCI scope.
    pub modes: ScopeModes,
    /// Mode of individual namespaces, winning over their scope's.
    pub namespaces: BTreeMap<String, Mode>,
    /// Namespaces whose requests are allowed without evaluation (default: `kube-system`,
    /// `kube-public`, `kube-node-lease`; the webhook's own namespace is always exempt).
    pub exempt_namespaces: Option<Vec<String>>,
    /// Mode of individual rules (IDs or names), winning over the namespace's: a rule can be
    /// raised to `enforce` or lowered to `warn` or `audit`.
    #[schemars(with = "BTreeMap<String, Mode>")]
    pub rules: Option<serde_saphyr::Spanned<BTreeMap<String, Mode>>>,
    /// Findings below this severity only warn (default `low`: `info` findings warn).
    pub deny_severity: Option<SeverityValue>,
    /// On UPDATE, what to do with findings the old object already had (default `warn`).
    pub existing_findings_on_update: ExistingFindings,
    /// What an internal error answers (default `fail`: deny).
    pub failure_policy: FailurePolicy,
}

/// A severity as written in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityValue {
    /// `info`
    Info,
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl From<SeverityValue> for Severity {
    fn from(value: SeverityValue) -> Self {
        match value {
            SeverityValue::Info => Severity::Info,
            SeverityValue::Low => Severity::Low,
            SeverityValue::Medium => Severity::Medium,
            SeverityValue::High => Severity::High,
            SeverityValue::Critical => Severity::Critical,
        }
    }
}

/// The validated admission settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionSettings {
    /// Mode by scope.
    pub modes: ScopeModes,
    /// Mode by namespace.
    pub namespaces: BTreeMap<String, Mode>,
    /// Namespaces never evaluated.
    pub exempt_namespaces: Vec<String>,
    /// Mode by rule ID.
    pub rules: BTreeMap<&'static str, Mode>,
    /// Findings below it only warn.
    pub deny_severity: Severity,
    /// UPDATE and findings the old object had.
    pub existing_findings_on_update: ExistingFindings,
    /// What an internal error answers.
    pub failure_policy: FailurePolicy,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        Self {
            modes: ScopeModes::default(),
            namespaces: BTreeMap::new(),
            exempt_namespaces: default_exempt(),
            rules: BTreeMap::new(),
            deny_severity: Severity::Low,
            existing_findings_on_update: ExistingFindings::default(),
            failure_policy: FailurePolicy::default(),
        }
    }
}

fn default_exempt() -> Vec<String> {
    ["kube-system", "kube-public", "kube-node-lease"]
        .map(str::to_owned)
        .to_vec()
}

impl AdmissionSettings {
    /// Validates the raw section: rule names must exist.
    ///
    /// # Errors
    /// A rule that the catalogue does not have, with the section's line.
    pub fn from_raw(file: &str, raw: RawAdmission) -> Result<Self, ConfigError> {
        let mut rules = BTreeMap::new();
        if let Some(spanned) = raw.rules {
            for (name, mode) in spanned.value {
                let rule = kubepci_rules::find(&name).ok_or_else(|| ConfigError {
                    file: file.to_owned(),
                    line: u32::try_from(spanned.referenced.line()).unwrap_or(0),
                    column: u32::try_from(spanned.referenced.column()).unwrap_or(0),
                    message: format!("`admission.rules` names unknown rule `{name}`"),
                })?;
                rules.insert(rule.meta().id, mode);
            }
        }
        Ok(Self {
            modes: raw.modes,
            namespaces: raw.namespaces,
            exempt_namespaces: raw.exempt_namespaces.unwrap_or_else(default_exempt),
            rules,
            deny_severity: raw.deny_severity.map_or(Severity::Low, Severity::from),
            existing_findings_on_update: raw.existing_findings_on_update,
            failure_policy: raw.failure_policy,
        })
    }

    /// Whether requests in `namespace` are allowed without evaluation.
    #[must_use]
    pub fn is_exempt(&self, namespace: &str) -> bool {
        self.exempt_namespaces.iter().any(|n| n == namespace)
    }

    /// The mode of a namespace (`None` for cluster-scoped objects) of the given scope.
    #[must_use]
    pub fn namespace_mode(&self, namespace: Option<&str>, scope: Scope) -> Mode {
        namespace
            .and_then(|ns| self.namespaces.get(ns).copied())
            .unwrap_or_else(|| self.modes.of(scope))
    }

    /// The mode of one rule's findings in a namespace of the given mode.
    #[must_use]
    pub fn rule_mode(&self, rule_id: &str, namespace_mode: Mode) -> Mode {
        self.rules.get(rule_id).copied().unwrap_or(namespace_mode)
    }
}
