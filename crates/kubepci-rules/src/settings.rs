//! Parameters some rules read, set from `kubepci.yaml`.
//!
//! Every section below is also a key of `kubepci.yaml` (the engine's configuration file lists
//! them one by one and documents them in `docs/configuration.md`); every field has a default
//! that a payments platform would expect, so an empty configuration is a valid one.

use std::collections::BTreeMap;

use kubepci_k8s::LabelKeys;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::Day;

/// Rule parameters. The defaults are what a payments platform would expect.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Settings {
    // segmentation
    /// Network segmentation and security levels (`segmentation:` in `kubepci.yaml`, parsed
    /// and validated by the engine).
    #[serde(skip)]
    #[schemars(skip)]
    pub segmentation: SegmentationSettings,
    /// The date of the scan (`kubepci scan --as-of`, default today): ages (vulnerability
    /// deadlines, report freshness, token expiry, support windows) are measured against it.
    /// Rules never read the clock, so a scan is reproducible. The engine sets it; `None` skips
    /// date-dependent checks (or, for vulnerability reports, uses the newest report's date).
    #[serde(skip)]
    #[schemars(skip)]
    pub as_of: Option<time::Date>,
    /// Label keys of the scope model.
    pub labels: LabelKeys,
    /// Namespaces whose workloads the pod-template rules skip (the platform's own system
    /// namespaces). Rules about system namespaces themselves still look at them.
    pub exempt_namespaces: Vec<String>,
    /// Image provenance parameters.
    pub images: ImageSettings,
    /// Vulnerability-management parameters.
    pub vulnerabilities: VulnerabilitySettings,
    /// RBAC and identity parameters.
    pub rbac: RbacSettings,
    /// Platform controls: which components count as runtime detector, log forwarder…
    pub platform: PlatformSettings,
    /// Change-control metadata required on CDE workloads.
    pub change_control: ChangeControlSettings,
    // --- credentials, card data and transport (KP3xxx, KP4xxx) ---
    /// Days before its expiry a certificate is reported as expiring (default 30).
    pub certificate_expiry_warning_days: Option<u32>,
    /// The longest certificate lifetime accepted, in days (default 397, the CA/Browser Forum
    /// limit for public TLS certificates).
    pub max_certificate_lifetime_days: Option<u32>,
    /// StorageClasses accepted as encrypted for CDE volumes, besides those whose parameters
    /// show encryption.
    pub encrypted_storage_classes: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            segmentation: SegmentationSettings::default(),
            as_of: None,
            labels: LabelKeys::default(),
            exempt_namespaces: strings(&["kube-system", "kube-public", "kube-node-lease"]),
            images: ImageSettings::default(),
            vulnerabilities: VulnerabilitySettings::default(),
            rbac: RbacSettings::default(),
            platform: PlatformSettings::default(),
            change_control: ChangeControlSettings::default(),
            certificate_expiry_warning_days: None,
            max_certificate_lifetime_days: None,
            encrypted_storage_classes: Vec::new(),
        }
    }
}

impl Settings {
    /// Returns these settings with the scan date set.
    #[must_use]
    pub fn with_as_of(mut self, date: time::Date) -> Self {
        self.as_of = Some(date);
        self
    }

    /// The scan date as a [`Day`].
    #[must_use]
    pub fn scan_day(&self) -> Option<Day> {
        self.as_of.and_then(|d| {
            Day::from_ymd(
                i64::from(d.year()),
                u32::from(u8::from(d.month())),
                u32::from(d.day()),
            )
        })
    }

    /// Whether pod-template rules skip this namespace.
    #[must_use]
    pub fn is_exempt_namespace(&self, namespace: &str) -> bool {
        self.exempt_namespaces.iter().any(|n| n == namespace)
    }

    /// [`Settings::certificate_expiry_warning_days`] or its default.
    #[must_use]
    pub fn certificate_expiry_warning_days(&self) -> u32 {
        self.certificate_expiry_warning_days.unwrap_or(30)
    }

    /// [`Settings::max_certificate_lifetime_days`] or its default.
    #[must_use]
    pub fn max_certificate_lifetime_days(&self) -> u32 {
        self.max_certificate_lifetime_days.unwrap_or(397)
    }
}

/// Where image signatures are required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureScope {
    /// Signatures are not required.
    #[default]
    Off,
    /// Workloads in `cde` namespaces run signed images only.
    Cde,
    /// Workloads in every in-scope namespace (cde, connected, unscoped) run signed images only.
    InScope,
}

/// A keyless (Fulcio/OIDC) signing identity the admission webhook accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KeylessIdentity {
    /// OIDC issuer of the signing certificate, e.g. `https://token.actions.githubusercontent.com`.
    pub issuer: String,
    /// Subject of the signing certificate (a workflow URL, an e-mail address).
    pub subject: String,
}

/// The image-signature policy: recorded here, checked by the scan (images outside the signed
/// registries) and enforced by the admission webhook (signature verification).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignaturePolicy {
    /// Where signed images are required.
    pub required: SignatureScope,
    /// Registry prefixes whose images are signed (and verified at admission), e.g.
    /// `registry.example.com/payments/`. Prefixes end at a `/` boundary.
    pub registries: Vec<String>,
    /// Public keys the signatures verify against (file paths or KMS URIs, as cosign takes them).
    pub public_keys: Vec<String>,
    /// Keyless signing identities accepted instead of keys.
    pub keyless: Vec<KeylessIdentity>,
}

/// Image provenance parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImageSettings {
    /// Registry prefixes images may come from, e.g. `registry.example.com/` or
    /// `ghcr.io/acme/`. A prefix matches at a `/` boundary only (`registry.example.com` does not
    /// match `registry.example.com.evil.io/x`); Docker Hub short names are matched as
    /// `docker.io/library/…`. Empty: no allowlist (the rule does not run).
    pub allowed_registries: Vec<String>,
    /// The image-signature policy.
    pub signatures: SignaturePolicy,
}

/// A vulnerability severity as scanners report it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum VulnerabilitySeverity {
    /// CVSS 9.0–10.0.
    Critical,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 0.1–3.9.
    Low,
}

impl VulnerabilitySeverity {
    /// The name scanners use (`CRITICAL`…).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            VulnerabilitySeverity::Critical => "CRITICAL",
            VulnerabilitySeverity::High => "HIGH",
            VulnerabilitySeverity::Medium => "MEDIUM",
            VulnerabilitySeverity::Low => "LOW",
        }
    }
}

/// Vulnerability-management parameters (Trivy Operator `VulnerabilityReport`s).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct VulnerabilitySettings {
    /// Days a fixable vulnerability of a listed severity may stay unpatched (PCI DSS 6.3.3:
    /// critical patches within one month of release).
    pub sla_days: u32,
    /// Severities the patch deadline applies to.
    pub severities: Vec<VulnerabilitySeverity>,
    /// Maximum age of a scan report in days (PCI DSS 11.3.1: internal scans at least every
    /// three months).
    pub max_report_age_days: u32,
}

impl Default for VulnerabilitySettings {
    fn default() -> Self {
        Self {
            sla_days: 30,
            severities: vec![VulnerabilitySeverity::Critical],
            max_report_age_days: 90,
        }
    }
}

/// RBAC and identity parameters. Subjects are written `Kind:name`: `Group:system:masters`,
/// `User:alice@example.com`, `ServiceAccount:namespace/name`; `*` matches any text.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RbacSettings {
    /// Subjects allowed to hold `cluster-admin` (or an equivalent `*` on `*` role).
    pub cluster_admin_subjects: Vec<String>,
    /// Subjects allowed to read Secrets of CDE namespaces from outside those namespaces.
    pub secret_readers: Vec<String>,
    /// Group names that denote shared or generic accounts (compared case-insensitively).
    pub generic_groups: Vec<String>,
}

impl Default for RbacSettings {
    fn default() -> Self {
        Self {
            cluster_admin_subjects: strings(&[
                "Group:system:masters",
                "Group:kubeadm:cluster-admins",
            ]),
            secret_readers: Vec::new(),
            generic_groups: strings(&[
                "admin",
                "admins",
                "administrators",
                "dev",
                "devs",
                "developers",
                "ops",
                "operators",
                "sre",
                "support",
                "users",
                "everyone",
                "all",
                "staff",
                "team",
                "shared",
            ]),
        }
    }
}

/// When the input counts as a whole cluster (platform-control rules only run then).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterInput {
    /// A whole cluster when the input holds Node objects, or a `kube-system` Namespace object
    /// together with workloads in `kube-system` (what a snapshot or `kubectl get -A` holds).
    #[default]
    Auto,
    /// Always a whole cluster (e.g. a snapshot without Node objects).
    Always,
    /// Never (manifests only): platform-control rules do not run.
    Never,
}

/// Platform controls: the components that count as each control. A DaemonSet or Deployment
/// matches a name when its name, its `app.kubernetes.io/name` label or the last path segment
/// of one of its images equals the name or starts with the name followed by `-`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlatformSettings {
    /// When the input is a whole cluster.
    pub cluster_input: ClusterInput,
    /// Runtime threat-detection agents (PCI DSS 5.2.1, 11.5.1).
    pub runtime_detectors: Vec<String>,
    /// Log forwarders (PCI DSS 10.2.1, 10.3.3).
    pub log_forwarders: Vec<String>,
    /// Alert forwarders that take the detector's alerts off the node (PCI DSS 5.3.4).
    pub alert_forwarders: Vec<String>,
    /// File-integrity / change-detection agents (PCI DSS 11.5.2).
    pub integrity_monitors: Vec<String>,
    /// Network intrusion-detection or flow-visibility components (PCI DSS 11.5.1).
    pub network_monitors: Vec<String>,
    /// In-cluster vulnerability scanners (PCI DSS 11.3.1).
    pub vulnerability_scanners: Vec<String>,
    /// Admission webhooks that enforce the configuration standard (kubepci's own first). A
    /// webhook configuration matches when its name equals or starts with `name-`, or one of
    /// its webhooks' dotted names contains the name as a label (`validate.kubepci.io`).
    pub admission_webhooks: Vec<String>,
    /// Extra system components allowed in `kube-system` (beyond the built-in list of
    /// Kubernetes, cloud-provider, CNI and CSI components).
    pub system_components: Vec<String>,
    /// End-of-support dates by Kubernetes minor version (`"1.29": 2026-03-23`), added to or
    /// overriding the built-in upstream dates: a managed provider's extended support.
    #[schemars(with = "BTreeMap<String, Day>")]
    pub kubernetes_end_of_support: BTreeMap<String, Day>,
}

impl Default for PlatformSettings {
    fn default() -> Self {
        Self {
            cluster_input: ClusterInput::Auto,
            runtime_detectors: strings(&[
                "falco",
                "tetragon",
                "sysdig-agent",
                "sysdig-shield",
                "stackrox-collector",
                "collector",
                "microsoft-defender-collector",
                "aqua-enforcer",
                "twistlock-defender",
                "falcon-node-sensor",
                "cspm-agent",
                "kubearmor",
            ]),
            log_forwarders: strings(&[
                "fluent-bit",
                "fluentbit",
                "fluentd",
                "vector",
                "opentelemetry-collector",
                "otel-collector",
                "promtail",
                "alloy",
                "filebeat",
                "logstash",
                "datadog-agent",
                "splunk-otel-collector",
                "fluentbit-gke",
            ]),
            alert_forwarders: strings(&["falcosidekick"]),
            integrity_monitors: strings(&[
                "aide",
                "file-integrity",
                "wazuh-agent",
                "osquery",
                "tripwire",
                "samhain",
            ]),
            network_monitors: strings(&["hubble-relay", "hubble", "suricata", "zeek", "snort"]),
            vulnerability_scanners: strings(&[
                "trivy-operator",
                "starboard-operator",
                "kubevuln",
                "neuvector-scanner-pod",
                "neuvector-scanner",
                "sysdig-cluster-scanner",
                "stackrox-scanner",
                "scanner-v4",
            ]),
            admission_webhooks: strings(&["kubepci"]),
            system_components: Vec::new(),
            kubernetes_end_of_support: BTreeMap::new(),
        }
    }
}

/// Change-control metadata CDE workloads must carry (PCI DSS 6.5.1). Empty lists: the rule
/// does not run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChangeControlSettings {
    /// Labels every CDE workload carries, e.g. `app.kubernetes.io/owner`.
    pub required_labels: Vec<String>,
    /// Annotations every CDE workload carries, e.g. `kubepci.io/change-ref`.
    pub required_annotations: Vec<String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// segmentation
/// Parameters of the segmentation, exposure and security-level rules and of
/// `kubepci segmentation`.
#[derive(Debug, Clone)]
pub struct SegmentationSettings {
    /// The network analysis: pod networks, zone label, DMZ zones, stores-chd label.
    pub network: kubepci_netpol::Options,
    /// Destinations CDE egress may reach without being "allow-all" (DNS resolvers, the
    /// payment processor).
    pub allowed_egress_cidrs: kubepci_netpol::IpSet,
    /// IngressClasses approved for exposing CDE Services.
    pub cde_ingress_classes: Vec<String>,
    /// Gateways (`namespace/name`) approved for routes to CDE Services.
    pub cde_gateways: Vec<String>,
    /// Node and pod label naming the security level.
    pub security_level_label: String,
    /// Taint key nodes of a security level carry (value: the level).
    pub security_level_taint: String,
}

/// The default security-level label and taint key.
pub const SECURITY_LEVEL_LABEL: &str = "kubepci.io/security-level";

impl Default for SegmentationSettings {
    fn default() -> Self {
        Self {
            network: kubepci_netpol::Options::default(),
            allowed_egress_cidrs: kubepci_netpol::IpSet::empty(),
            cde_ingress_classes: Vec::new(),
            cde_gateways: Vec::new(),
            security_level_label: SECURITY_LEVEL_LABEL.to_owned(),
            security_level_taint: SECURITY_LEVEL_LABEL.to_owned(),
        }
    }
}
