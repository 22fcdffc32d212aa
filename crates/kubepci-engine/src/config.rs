//! `kubepci.yaml`: the scan's configuration.
//!
//! ```yaml
//! apiVersion: kubepci.io/v1alpha1
//! kind: Config
//! scopes:                 # namespace → PCI scope; wins over the namespace's label
//!   payments: cde
//!   storefront: connected
//! disable: [KP1102]       # rule IDs or names never run
//! images:                 # rule settings: see docs/configuration.md
//!   allowedRegistries: [registry.example.com/]
//! certificateExpiryWarningDays: 30   # KP4008: report certificates expiring this soon
//! maxCertificateLifetimeDays: 397    # KP4007: longest accepted certificate lifetime
//! encryptedStorageClasses: [gp3-encrypted]   # KP3202: approved classes for CDE volumes
//! policies: [policies/]   # Gatekeeper templates and ValidatingAdmissionPolicies to run too
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubepci_k8s::LabelKeys;
use kubepci_model::Scope;
use kubepci_rules::settings::{
    ChangeControlSettings, ImageSettings, PlatformSettings, RbacSettings, VulnerabilitySettings,
};
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
    /// Rules (IDs or names) that never run; loaded policies by their ID
    /// (`gk:<Kind>/<name>`, `vap:<policy>/<binding>`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub disable: Vec<serde_saphyr::Spanned<String>>,
    /// Gatekeeper ConstraintTemplates (with their Constraints) and ValidatingAdmissionPolicies
    /// (with their bindings and parameters) to run beside the catalogue: files or
    /// directories, relative to this file.
    #[serde(default)]
    pub policies: Vec<PathBuf>,

    // Rule settings (`kubepci_rules::Settings`), one key per section.
    /// Label keys of the scope model (scope, zone, stores-chd, security level).
    #[serde(default)]
    pub labels: LabelKeys,
    /// Namespaces whose workloads the pod-template rules skip (default: `kube-system`,
    /// `kube-public`, `kube-node-lease`). Rules about system namespaces still look at them.
    #[serde(default = "default_exempt_namespaces")]
    pub exempt_namespaces: Vec<String>,
    /// Image provenance: allowed registries and the signature policy.
    #[serde(default)]
    pub images: ImageSettings,
    /// Vulnerability management: patch SLA, report age, scan date.
    #[serde(default)]
    pub vulnerabilities: VulnerabilitySettings,
    /// RBAC and identity allowlists.
    #[serde(default)]
    pub rbac: RbacSettings,
    /// Platform controls: which components count as detector, log forwarder, webhook…
    #[serde(default)]
    pub platform: PlatformSettings,
    /// Change-control metadata required on CDE workloads.
    #[serde(default)]
    pub change_control: ChangeControlSettings,

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
    // admission
    /// What the admission webhook does with findings: modes by scope, namespace and rule.
    #[serde(default)]
    pub admission: crate::admission::RawAdmission,
}

fn default_exempt_namespaces() -> Vec<String> {
    kubepci_rules::Settings::default().exempt_namespaces
}

/// The validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Namespace scope overrides.
    pub scopes: BTreeMap<String, Scope>,
    /// Disabled rules (IDs; loaded policies' IDs are interned when their policies load).
    pub disabled: Vec<&'static str>,
    /// Disabled loaded policies, by ID (checked once the policies are loaded).
    pub disabled_policies: Vec<String>,
    /// Policy files and directories (resolved against the configuration file's directory).
    pub policies: Vec<PathBuf>,
    /// Rule parameters.
    pub settings: kubepci_rules::Settings,
    /// What the admission webhook does with findings.
    pub admission: crate::admission::AdmissionSettings,
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
    let mut disabled_policies = Vec::new();
    for name in &raw.disable {
        if name.value.starts_with("gk:") || name.value.starts_with("vap:") {
            disabled_policies.push(name.value.clone());
            continue;
        }
        let rule = kubepci_rules::find(&name.value).ok_or_else(|| ConfigError {
            file: file.to_owned(),
            line: u32::try_from(name.referenced.line()).unwrap_or(0),
            column: u32::try_from(name.referenced.column()).unwrap_or(0),
            message: format!("`disable` names unknown rule `{}`", name.value),
        })?;
        disabled.push(rule.meta().id);
    }
    let mut settings = kubepci_rules::Settings::default();
    settings.labels = raw.labels;
    settings.exempt_namespaces = raw.exempt_namespaces;
    settings.images = raw.images;
    settings.images.signatures.validate().map_err(error)?;
    settings.vulnerabilities = raw.vulnerabilities;
    settings.rbac = raw.rbac;
    settings.platform = raw.platform;
    settings.change_control = raw.change_control;
    // credentials, card data and transport rules
    settings.certificate_expiry_warning_days = raw.certificate_expiry_warning_days;
    settings.max_certificate_lifetime_days = raw.max_certificate_lifetime_days;
    settings.encrypted_storage_classes = raw.encrypted_storage_classes;
    // segmentation
    let (zone_set, stores_set, level_set) = (
        raw.segmentation.zone_label.is_some(),
        raw.segmentation.stores_chd_label.is_some(),
        raw.segmentation.security_level_label.is_some(),
    );
    settings.segmentation = crate::segmentation_config::settings(file, raw.segmentation)?;
    // The shared label keys (`labels:`) are the segmentation rules' defaults too.
    if !zone_set {
        settings.segmentation.network.zone_label = settings.labels.zone.clone();
    }
    if !stores_set {
        settings.segmentation.network.stores_chd_label = settings.labels.stores_chd.clone();
    }
    if !level_set {
        settings.segmentation.security_level_label = settings.labels.security_level.clone();
    }
    let admission = crate::admission::AdmissionSettings::from_raw(file, raw.admission)?;
    Ok(Config {
        admission,
        scopes: raw
            .scopes
            .into_iter()
            .map(|(ns, s)| (ns, s.into()))
            .collect(),
        disabled,
        disabled_policies,
        policies: raw
            .policies
            .iter()
            .map(|p| Path::new(file).parent().unwrap_or(Path::new("")).join(p))
            .collect(),
        settings,
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
    fn rule_settings_are_parsed() {
        let config = load_config(
            "kubepci.yaml",
            "labels:\n  scope: pci.example.com/scope\nexemptNamespaces: [kube-system, platform]\nimages:\n  allowedRegistries: [registry.example.com/]\n  signatures:\n    required: in-scope\n    policies:\n      - name: payments\n        images: [registry.example.com/payments/**]\n        signers:\n          - cosignKey: {publicKey: keys/cosign.pub}\n          - keyless: {issuer: https://issuer.example, subject: \"https://ci.example/*\", fulcioRoots: f.pem, rekorKey: r.pub}\n          - notation: {trustStore: [ca.pem], trustedIdentities: [\"x509.subject: O=Example\"]}\nvulnerabilities:\n  slaDays: 14\nrbac:\n  clusterAdminSubjects: [\"Group:platform-admins\"]\nplatform:\n  clusterInput: always\n  runtimeDetectors: [falco]\n",
        )
        .expect("valid");
        let s = &config.settings;
        assert_eq!(s.labels.scope, "pci.example.com/scope");
        assert_eq!(s.labels.zone, "kubepci.io/zone", "unset keys keep defaults");
        assert_eq!(s.exempt_namespaces, ["kube-system", "platform"]);
        assert_eq!(s.images.allowed_registries, ["registry.example.com/"]);
        assert_eq!(
            s.images.signatures.required,
            kubepci_rules::settings::SignatureScope::InScope
        );
        assert_eq!(s.images.signatures.policies[0].signers.len(), 3);
        assert!(
            s.images
                .signatures
                .policy_for("registry.example.com/payments/api:1")
                .is_some()
        );
        assert_eq!(s.vulnerabilities.sla_days, 14);
        assert_eq!(s.vulnerabilities.max_report_age_days, 90);
        assert_eq!(s.rbac.cluster_admin_subjects, ["Group:platform-admins"]);
        assert_eq!(
            s.platform.cluster_input,
            kubepci_rules::settings::ClusterInput::Always
        );
        assert_eq!(
            s.platform.log_forwarders,
            kubepci_rules::Settings::default().platform.log_forwarders
        );
    }

    #[test]
    fn signing_policies_are_validated() {
        let err = load_config(
            "kubepci.yaml",
            "images:\n  signatures:\n    policies:\n      - name: p\n        images: [\"a.example/[x\"]\n        signers: [{cosignKey: {publicKey: k.pub}}]\n",
        )
        .expect_err("bad glob");
        assert!(err.message.contains("`p`"), "{err}");
        let err = load_config(
            "kubepci.yaml",
            "images:\n  signatures:\n    policies:\n      - name: p\n        images: [a.example/**]\n        signers: [{cosignKey: {publicKey: k.pub, extra: 1}}]\n",
        )
        .expect_err("unknown key");
        assert!(err.message.contains("extra"), "{err}");
    }

    #[test]
    fn shared_label_keys_reach_the_segmentation_settings() {
        let config = load_config(
            "kubepci.yaml",
            "labels:\n  zone: pci.example.com/zone\n  storesChd: pci.example.com/chd\nsegmentation:\n  securityLevelLabel: pci.example.com/level\n",
        )
        .expect("valid");
        let seg = &config.settings.segmentation;
        assert_eq!(seg.network.zone_label, "pci.example.com/zone");
        assert_eq!(seg.network.stores_chd_label, "pci.example.com/chd");
        assert_eq!(seg.security_level_label, "pci.example.com/level");
    }

    #[test]
    fn defaults_apply_without_settings() {
        let config = load_config("kubepci.yaml", "scopes: {}\n").expect("valid");
        assert_eq!(
            config.settings.exempt_namespaces,
            ["kube-system", "kube-public", "kube-node-lease"]
        );
        assert_eq!(config.settings.vulnerabilities.sla_days, 30);
    }

    #[test]
    fn unknown_nested_keys_are_errors_with_a_line() {
        let err = load_config(
            "kubepci.yaml",
            "images:\n  allowedRegistries: [a/]\n  allowedRegistry: [b/]\n",
        )
        .expect_err("unknown nested key");
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("allowedRegistry"), "{err}");
        let err = load_config(
            "kubepci.yaml",
            "platform:\n  runtimeDetectors: [falco]\n  clusterInput: sometimes\n",
        )
        .expect_err("bad enum value");
        assert_eq!(err.line, 3, "{err}");
        let err = load_config(
            "kubepci.yaml",
            "platform:\n  kubernetesEndOfSupport:\n    \"1.29\": 2026-02-30\n",
        )
        .expect_err("bad date");
        assert_eq!(err.line, 3, "{err}");
        let err = load_config("kubepci.yaml", "labels:\n  scopes: x\n").expect_err("bad label key");
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn documented_example_is_valid() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
        let doc = std::fs::read_to_string(&path).expect("docs/configuration.md");
        let example = doc
            .split("## Example")
            .nth(1)
            .and_then(|rest| rest.split("```yaml\n").nth(1))
            .and_then(|block| block.split("```").next())
            .expect("a yaml block under ## Example");
        let config = load_config("docs/configuration.md", example).expect("the example is valid");
        assert_eq!(config.settings.labels.scope, "pci.example.com/scope");
        assert_eq!(config.settings.images.allowed_registries.len(), 3);
        assert_eq!(config.disabled, ["KP5004"]);
    }

    #[test]
    fn committed_schema_is_fresh() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/kubepci.schema.json");
        let expected = config_schema();
        if std::env::var("KUBEPCI_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &expected).expect("write docs/kubepci.schema.json");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "docs/kubepci.schema.json is stale; regenerate with KUBEPCI_BLESS=1 cargo test -p kubepci-engine"
        );
    }

    #[test]
    fn policies_are_relative_to_the_configuration() {
        let config = load_config(
            "deploy/kubepci.yaml",
            "policies: [policies/, /etc/kubepci/vap.yaml]\ndisable: [\"gk:K8sRequiredLabels/owner\"]\n",
        )
        .expect("valid");
        assert_eq!(
            config.policies,
            [
                PathBuf::from("deploy/policies/"),
                PathBuf::from("/etc/kubepci/vap.yaml")
            ]
        );
        assert_eq!(config.disabled_policies, ["gk:K8sRequiredLabels/owner"]);
    }

    #[test]
    fn unknown_rules_are_errors() {
        let err = load_config("k.yaml", "scopes: {}\ndisable:\n  - KP1001\n  - KP9999\n")
            .expect_err("unknown rule");
        assert!(err.message.contains("KP9999"));
        assert_eq!(err.line, 4);
    }
}
