//! `kubepci.yaml`: the scan's configuration.
//!
//! ```yaml
//! apiVersion: kubepci.io/v1alpha1
//! kind: Config
//! scopes:                 # namespace → PCI scope; wins over the namespace's label
//!   payments: cde
//!   storefront: connected
//! disable: [KP1102]       # rule IDs or names never run
//! certificateExpiryWarningDays: 30   # KP4008: report certificates expiring this soon
//! maxCertificateLifetimeDays: 397    # KP4007: longest accepted certificate lifetime
//! encryptedStorageClasses: [gp3-encrypted]   # KP3202: approved classes for CDE volumes
//! ```

use std::collections::BTreeMap;

use kubepci_model::Scope;
use schemars::JsonSchema;
use serde::Deserialize;

/// A configuration problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ConfigError {
    /// The configuration file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn from_yaml(file: &str, error: &serde_saphyr::Error) -> Self {
        let (line, column) = error.location().map_or((0, 0), |l| {
            (
                u32::try_from(l.line()).unwrap_or(0),
                u32::try_from(l.column()).unwrap_or(0),
            )
        });
        // The crate's own rendering embeds a source snippet; keep the first line only.
        let message = error
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        Self {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    }
}

/// A namespace scope as written in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeValue {
    /// Stores, processes or transmits cardholder data.
    Cde,
    /// Can reach the CDE or affect its security.
    Connected,
    /// Proven out of scope.
    OutOfScope,
}

impl From<ScopeValue> for Scope {
    fn from(value: ScopeValue) -> Self {
        match value {
            ScopeValue::Cde => Scope::Cde,
            ScopeValue::Connected => Scope::Connected,
            ScopeValue::OutOfScope => Scope::OutOfScope,
        }
    }
}

/// The file format of `kubepci.yaml`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "kubepci configuration (kubepci.yaml)")]
pub struct RawConfig {
    /// Optional; must be `kubepci.io/v1alpha1` when present.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Optional; must be `Config` when present.
    #[serde(default)]
    pub kind: Option<String>,
    /// PCI scope of namespaces, by name. Wins over the namespace's `kubepci.io/scope` label;
    /// use it when the scan's input has no Namespace objects.
    #[serde(default)]
    pub scopes: BTreeMap<String, ScopeValue>,
    /// Rules (IDs or names) that never run.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub disable: Vec<serde_saphyr::Spanned<String>>,
    // --- credentials, card data and transport rules ---
    /// Days before its expiry a certificate is reported as expiring (KP4008; default 30).
    #[serde(default)]
    pub certificate_expiry_warning_days: Option<u32>,
    /// The longest certificate lifetime accepted, in days (KP4007; default 397).
    #[serde(default)]
    pub max_certificate_lifetime_days: Option<u32>,
    /// StorageClasses approved as encrypted for CDE volumes (KP3202); when set, CDE claims
    /// must use one of them.
    #[serde(default)]
    pub encrypted_storage_classes: Vec<String>,
    // segmentation
    /// Network segmentation, exposure and security-level parameters.
    #[serde(default)]
    pub segmentation: crate::segmentation_config::RawSegmentation,
}

/// The validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Namespace scope overrides.
    pub scopes: BTreeMap<String, Scope>,
    /// Disabled rules (IDs).
    pub disabled: Vec<&'static str>,
    /// Rule parameters.
    pub settings: kubepci_rules::Settings,
}

/// Parses and validates a configuration file. `file` names it in errors.
///
/// # Errors
/// Invalid YAML, unknown keys, wrong types, unknown rules or a wrong `apiVersion`/`kind`,
/// each with file:line.
pub fn load_config(file: &str, text: &str) -> Result<Config, ConfigError> {
    let raw: RawConfig =
        serde_saphyr::from_str(text).map_err(|e| ConfigError::from_yaml(file, &e))?;
    let error = |message: String| ConfigError {
        file: file.to_owned(),
        line: 1,
        column: 1,
        message,
    };
    if let Some(v) = raw
        .api_version
        .as_deref()
        .filter(|v| *v != "kubepci.io/v1alpha1")
    {
        return Err(error(format!(
            "unsupported apiVersion `{v}` (expected kubepci.io/v1alpha1)"
        )));
    }
    if let Some(k) = raw.kind.as_deref().filter(|k| *k != "Config") {
        return Err(error(format!("unexpected kind `{k}` (expected Config)")));
    }
    let mut disabled = Vec::new();
    for name in &raw.disable {
        let rule = kubepci_rules::find(&name.value).ok_or_else(|| ConfigError {
            file: file.to_owned(),
            line: u32::try_from(name.referenced.line()).unwrap_or(0),
            column: u32::try_from(name.referenced.column()).unwrap_or(0),
            message: format!("`disable` names unknown rule `{}`", name.value),
        })?;
        disabled.push(rule.meta().id);
    }
    Ok(Config {
        scopes: raw
            .scopes
            .into_iter()
            .map(|(ns, s)| (ns, s.into()))
            .collect(),
        disabled,
        settings: {
            let mut settings = kubepci_rules::Settings::default();
            settings.certificate_expiry_warning_days = raw.certificate_expiry_warning_days;
            settings.max_certificate_lifetime_days = raw.max_certificate_lifetime_days;
            settings.encrypted_storage_classes = raw.encrypted_storage_classes;
            // segmentation
            settings.segmentation = crate::segmentation_config::settings(file, raw.segmentation)?;
            settings
        },
    })
}

/// The JSON schema of `kubepci.yaml`, as committed in `docs/kubepci.schema.json`.
#[must_use]
pub fn config_schema() -> String {
    let schema = schemars::schema_for!(RawConfig);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scopes_and_disabled_rules() {
        let config = load_config(
            "kubepci.yaml",
            "apiVersion: kubepci.io/v1alpha1\nkind: Config\nscopes:\n  payments: cde\n  web: connected\ndisable: [workload-in-default-namespace]\n",
        )
        .expect("valid");
        assert_eq!(config.scopes.get("payments"), Some(&Scope::Cde));
        assert_eq!(config.disabled, ["KP1102"]);
    }

    #[test]
    fn parses_transport_and_storage_settings() {
        let config = load_config(
            "kubepci.yaml",
            "certificateExpiryWarningDays: 14\nmaxCertificateLifetimeDays: 90\nencryptedStorageClasses: [gp3-encrypted]\n",
        )
        .expect("valid");
        assert_eq!(config.settings.certificate_expiry_warning_days(), 14);
        assert_eq!(config.settings.max_certificate_lifetime_days(), 90);
        assert_eq!(config.settings.encrypted_storage_classes, ["gp3-encrypted"]);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let err = load_config("kubepci.yaml", "scopes:\n  payments: cde\nscope: {}\n")
            .expect_err("unknown key");
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("scope"), "{err}");
    }

    #[test]
    fn bad_scope_values_are_errors_with_a_line() {
        let err = load_config("k.yaml", "scopes:\n  a: cde\n  b: secret\n").expect_err("bad value");
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn unknown_rules_are_errors() {
        let err = load_config("k.yaml", "scopes: {}\ndisable:\n  - KP1001\n  - KP9999\n")
            .expect_err("unknown rule");
        assert!(err.message.contains("KP9999"));
        assert_eq!(err.line, 4);
    }
}
