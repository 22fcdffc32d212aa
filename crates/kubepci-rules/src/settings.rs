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
    /// What `kubepci scan --verify-images` found in the registries (KP5009 reads it). Set by
    /// the scan, never by configuration: `kubepci.yaml` has no such key.
    #[schemars(skip)]
    pub image_verifications: crate::signatures::ImageVerifications,
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
            image_verifications: crate::signatures::ImageVerifications::default(),
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

/// Where a verified image signature is required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureScope {
    /// Nowhere: failed verifications are at most warnings (see `elsewhere`).
    Off,
    /// Workloads in `cde` namespaces (the default).
    #[default]
    Cde,
    /// Workloads in every in-scope namespace (cde, connected, unscoped).
    InScope,
}

impl SignatureScope {
    /// Whether namespaces of `scope` are covered.
    #[must_use]
    pub fn covers(self, scope: kubepci_model::Scope) -> bool {
        match self {
            SignatureScope::Off => false,
            SignatureScope::Cde => scope.is_cde(),
            SignatureScope::InScope => scope.in_scope(),
        }
    }
}

/// What a failed verification does outside the scope where signatures are required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OutsideRequiredScope {
    /// Admission warns, the scan reports a medium finding (the default).
    #[default]
    Warn,
    /// Nothing: images outside the required scope are not verified.
    Off,
}

/// What happens, where signatures are required, when the registry cannot be reached
/// (time-out, refused connection, 5xx).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryErrorMode {
    /// Fail closed: the image is denied, with the registry error as the reason (the default).
    #[default]
    Deny,
    /// Fail open: the image is admitted with a warning naming the registry error.
    Warn,
}

/// One party whose signature an image may carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Signer {
    /// A cosign key pair: the signature (a `sha256-<digest>.sig` tag, or a Sigstore bundle
    /// among the image's referrers) verifies with this public key.
    #[serde(rename_all = "camelCase")]
    CosignKey {
        /// PEM file of the public key (`cosign.pub`): ECDSA P-256 or Ed25519.
        public_key: String,
    },
    /// Keyless (Fulcio/OIDC) signing: a short-lived certificate issued under the given
    /// Fulcio roots to an OIDC identity, the signature logged in Rekor. Nothing is fetched
    /// from a public Sigstore instance: the roots and the log's key are files.
    #[serde(rename_all = "camelCase")]
    Keyless {
        /// OIDC issuer recorded in the certificate, e.g.
        /// `https://token.actions.githubusercontent.com`.
        issuer: String,
        /// Subject of the certificate (its SAN e-mail or URI); `*` matches any run of
        /// characters, e.g. `https://github.com/example/payments/.github/workflows/*`.
        subject: String,
        /// PEM file with the Fulcio root and intermediate certificates.
        fulcio_roots: String,
        /// PEM file of the Rekor transparency log's public key (ECDSA P-256 or Ed25519).
        rekor_key: String,
    },
    /// A Notary Project (notation) signature: an X.509 signing certificate chaining to one of
    /// the trust store's roots, with a subject among the trusted identities.
    #[serde(rename_all = "camelCase")]
    Notation {
        /// PEM files of the trusted root (CA) certificates.
        trust_store: Vec<String>,
        /// Accepted signing identities, as notation's trust policy writes them:
        /// `x509.subject: C=US, O=Example, CN=release` (the certificate's subject has every
        /// listed attribute with that value), or `*` for any certificate chaining to the
        /// trust store.
        trusted_identities: Vec<String>,
    },
}

impl Signer {
    /// A short description for messages and evidence.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Signer::CosignKey { public_key } => format!("cosign key {public_key}"),
            Signer::Keyless {
                issuer, subject, ..
            } => format!("keyless {subject} (issuer {issuer})"),
            Signer::Notation {
                trusted_identities, ..
            } => format!("notation {}", trusted_identities.join(" | ")),
        }
    }
}

/// How many of a policy's signers must have signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignerRequirement {
    /// One verified signature by any listed signer (the default).
    #[default]
    Any,
    /// A verified signature by every listed signer (the build pipeline and a release
    /// approver, say).
    All,
}

/// Which images need which signatures.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImageSigningPolicy {
    /// A name for messages and evidence (`payments-images`).
    pub name: String,
    /// Globs on `registry/repository`, normalised as the runtime resolves names (`nginx` is
    /// `docker.io/library/nginx`): `*` stays within one path segment, `**` crosses them,
    /// e.g. `registry.pay.example/payments/**`.
    pub images: Vec<String>,
    /// Who may sign these images.
    pub signers: Vec<Signer>,
    /// Whether one signer suffices or all must have signed.
    pub require: SignerRequirement,
}

/// How kubepci reaches registries to verify signatures.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RegistryAccess {
    /// A `.dockerconfigjson` file (the content of a `kubernetes.io/dockerconfigjson`
    /// Secret) with credentials per registry, used for basic auth and for the bearer tokens
    /// a registry's challenge asks for. Without it, registries are read anonymously.
    pub credentials: Option<String>,
    /// PEM files of the root certificates registries' TLS certificates chain to (a private
    /// CA). When set, only these roots are trusted; by default, the system's.
    pub ca_files: Vec<String>,
    /// How long verifying one image may take, all its registry requests together, in seconds
    /// (default 5). At admission the request's deadline cuts it shorter.
    pub timeout_seconds: u32,
    /// What an unreachable registry does where signatures are required.
    pub on_error: RegistryErrorMode,
}

impl Default for RegistryAccess {
    fn default() -> Self {
        Self {
            credentials: None,
            ca_files: Vec::new(),
            timeout_seconds: 5,
            on_error: RegistryErrorMode::Deny,
        }
    }
}

/// The verification cache: results are kept by image digest.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct VerificationCacheSettings {
    /// How long a digest's verification result is kept, in seconds (default 300).
    pub ttl_seconds: u32,
    /// How many results are kept at most (default 4096); the oldest go first.
    pub max_entries: u32,
}

impl Default for VerificationCacheSettings {
    fn default() -> Self {
        Self {
            ttl_seconds: 300,
            max_entries: 4096,
        }
    }
}

/// The image-signature policy: which images must be signed by whom, and where. The scan
/// flags images no policy covers where signatures are required (KP5005) and, with
/// `kubepci scan --verify-images`, images whose signatures do not verify (KP5009); the
/// admission webhook verifies the images of every pod it admits.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignaturePolicy {
    /// Where a verified signature is required (default `cde`). Nothing is required until
    /// `policies` names at least one policy.
    pub required: SignatureScope,
    /// What failed verifications do elsewhere (default `warn`).
    pub elsewhere: OutsideRequiredScope,
    /// Which images need which signers; the first policy whose `images` match applies.
    pub policies: Vec<ImageSigningPolicy>,
    /// Registry access: credentials, CA, time-out, failure mode.
    pub registry: RegistryAccess,
    /// The verification cache.
    pub cache: VerificationCacheSettings,
    /// The policies' image globs, compiled on first use.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) compiled: std::sync::OnceLock<Vec<crate::signatures::ImagePatterns>>,
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
