//! The one list of rules, and how one rule runs over an inventory.

use kubepci_k8s::{Inventory, PodTemplate};
use kubepci_model::Finding;

use crate::rules::access::*;
use crate::rules::card_data::*;
use crate::rules::credentials::*;
use crate::rules::detection::*;
use crate::rules::isolation::*;
use crate::rules::network::*;
use crate::rules::platform::*;
use crate::rules::pod_security::*;
use crate::rules::supply_chain::*;
use crate::rules::transport::*;
use crate::rules::workload::*;
use crate::{Context, Rule, Settings, Shared, Target};

/// Every rule, sorted by ID.
pub static RULES: &[&dyn Rule] = &[
    &PrivilegedContainer,
    &HostPid,
    &HostIpc,
    &HostNetwork,
    &HostPathVolume,
    &HostPort,
    &CapabilitiesBaseline,
    &CapabilitiesRestricted,
    &AppArmorUnconfined,
    &SeLinuxOptions,
    &ProcMountUnmasked,
    &ProcMountRestricted,
    &SeccompUnconfined,
    &SeccompProfileMissing,
    &UnsafeSysctl,
    &RestrictedVolumeTypes,
    &PrivilegeEscalationAllowed,
    &RunAsNonRootMissing,
    &RunAsRootUser,
    &WindowsHostProcess,
    &HostProbesAndLifecycle,
    &WritableRootFilesystem,
    &WorkloadInDefaultNamespace,
    &BarePodInCde,
    &RootGroup,
    // Remaining workload and configuration rows (KP1201–KP1299).
    &SystemNamespaceWorkload,
    &ResourcesMissing,
    &NamespaceWithoutQuota,
    &RemovedApiVersion,
    &EphemeralContainerInCde,
    &ChangeControlMetadata,
    // segmentation (KP2001–KP2106)
    &DefaultDenyIngress,
    &DefaultDenyEgress,
    &WorkloadNotSelected,
    &AllowAllIngress,
    &AllowAllEgress,
    &CdeIngressFromOutOfScopeNamespace,
    &DanglingNetworkPolicy,
    &CniWithoutNetworkPolicy,
    &LoadBalancerWithoutSourceRanges,
    &NodePortService,
    &ServiceExternalIps,
    &InvalidNetworkPolicy,
    &IngressHostNotSpecific,
    &CdeExposedThroughUnapprovedIngress,
    &ChdStoreReachable,
    &InsecureProtocolPort,
    &SshExposed,
    &SegmentationBreach,
    &DuplicateIngressHost,
    &LevelNotDeclared,
    &LevelNotPinned,
    &LevelNotTolerated,
    &ToleratesOtherLevel,
    &NodeLevelNotTainted,
    &LevelsShareNode,
    // credentials and vendor defaults
    &DefaultOrWeakPassword,
    &EmptyPasswordAllowed,
    &HardcodedCredential,
    &SecretInEnvVar,
    &CredentialInConfigMap,
    &PrivateKeyInPlainConfig,
    &PlaintextSecretInManifest,
    &LegacyServiceAccountToken,
    &DefaultServiceAccountUsed,
    &DefaultServiceAccountBound,
    &ServiceAccountTokenAutomount,
    // card data and stored account data
    &CardNumber,
    &TestCardNumber,
    &StorageClassUnencrypted,
    &CdeVolumeWithoutEncryption,
    &AuditPolicyRecordsSecrets,
    &CdeNativeSecret,
    &ChdVolumeWithoutRetention,
    // transmission (TLS)
    &IngressHostWithoutTls,
    &IngressHttpsRedirectDisabled,
    &IngressNginxWeakTlsConfig,
    &IngressWeakTlsAnnotation,
    &TlsPolicyAllowsOldVersions,
    &CertificateWeakKey,
    &CertificateRenewalIneffective,
    &CertificateExpiring,
    &CertificateHostMismatch,
    &SelfSignedPublicCertificate,
    &IngressNginxSnippet,
    &GatewayHttpListenerCde,
    &IstioMtlsNotStrict,
    &IstioCdeWithoutStrictMtls,
    // Images and vulnerabilities (KP5001–KP5099).
    &ImageLatestTag,
    &ImageWithoutDigest,
    &ImageRegistryNotAllowed,
    &ImagePullPolicy,
    &ImageSignatureRequired,
    &VulnerabilityFixOverdue,
    &VulnerabilityReportMissing,
    &VulnerabilityReportStale,
    &ImageSignatureNotVerified,
    // Malware, intrusion and change detection (KP5101–KP5199).
    &RuntimeDetectorMissing,
    &DetectorAlertsNotForwarded,
    &IntegrityMonitorMissing,
    &NetworkMonitorMissing,
    &VulnerabilityScannerMissing,
    &DetectorTamperable,
    // RBAC and identity (KP6001–KP6999).
    &ClusterAdminBinding,
    &RbacWildcard,
    &ClusterWideSecretRead,
    &RbacEscalationVerbs,
    &RbacPodExec,
    &RbacCreateWorkloads,
    &RbacNodeProxy,
    &RbacWebhookWrite,
    &RbacCsrApprovalToken,
    &RbacDeleteEvidence,
    &SystemGroupBinding,
    &ServiceAccountAdminRole,
    &BindingToMissingSubject,
    &CdeSecretForeignReader,
    &BootstrapTokenExpiry,
    &GenericGroupBinding,
    // Platform controls (KP7001–KP7999).
    &PsaEnforceMissing,
    &PsaEnforceBaseline,
    &AdmissionWebhookMissing,
    &AdmissionWebhookFailOpen,
    &AdmissionWebhookExcludesNamespace,
    &AdmissionWebhookNotHa,
    &LogForwarderMissing,
    &SecurityAgentCoverage,
    &CertManagerMissing,
    &DashboardSkipLogin,
    &DashboardSessionTimeout,
    &HelmTiller,
    &NamespaceWithoutAdmissionControl,
    &CdeIngressWithoutWaf,
    &KubernetesVersionUnsupported,
];

/// Looks a rule up by ID (`KP1001`) or name (`privileged-container`).
#[must_use]
pub fn find(id_or_name: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().id.eq_ignore_ascii_case(id_or_name) || r.meta().name == id_or_name)
}

/// Runs one rule over the inventory, appending its findings.
pub fn run_rule(
    rule: &dyn Rule,
    inventory: &Inventory,
    settings: &Settings,
    findings: &mut Vec<Finding>,
) {
    run(rule, inventory, settings, None, findings);
}

// segmentation
/// Runs one rule like [`run_rule`], reading the indexes of `shared` (built at most once for
/// all the rules of a scan that share it).
pub fn run_rule_shared<'a>(
    rule: &dyn Rule,
    inventory: &'a Inventory,
    settings: &Settings,
    shared: &Shared<'a>,
    findings: &mut Vec<Finding>,
) {
    let network = rule
        .uses_network()
        .then(|| shared.network(inventory, settings));
    run(rule, inventory, settings, network, findings);
}

/// Runs one rule the way the admission webhook does: on the object at `focus` of the
/// inventory (the request's object; the other objects are its context). Pod-template and
/// object rules check that object only, whatever controls it; rules on the whole input run
/// over the inventory and keep the findings on that object.
pub fn run_rule_on<'a>(
    rule: &dyn Rule,
    inventory: &'a Inventory,
    settings: &Settings,
    shared: &Shared<'a>,
    focus: usize,
    findings: &mut Vec<Finding>,
) {
    let Some(object) = inventory.objects().get(focus) else {
        return;
    };
    let meta = rule.meta();
    let network = rule
        .uses_network()
        .then(|| shared.network(inventory, settings));
    match meta.target {
        Target::PodTemplates => {
            if object
                .namespace()
                .is_some_and(|ns| settings.is_exempt_namespace(ns))
            {
                return;
            }
            if let Some(pod) = PodTemplate::of(object) {
                let mut cx = Context::new(inventory, settings, meta, Some(object), findings)
                    .with_network(network);
                rule.check_pod(&pod, &mut cx);
            }
        }
        Target::Kinds(kinds) => {
            if kinds.contains(&object.kind()) {
                let mut cx = Context::new(inventory, settings, meta, Some(object), findings)
                    .with_network(network);
                rule.check_object(object, &mut cx);
            }
        }
        Target::Inventory(_) => {
            let start = findings.len();
            let mut cx =
                Context::new(inventory, settings, meta, None, findings).with_network(network);
            rule.check_inventory(&mut cx);
            let mut kept = start;
            for i in start..findings.len() {
                if findings[i].object == object.id {
                    findings.swap(kept, i);
                    kept += 1;
                }
            }
            findings.truncate(kept);
        }
    }
}

fn run<'a>(
    rule: &dyn Rule,
    inventory: &'a Inventory,
    settings: &'a Settings,
    network: Option<&'a kubepci_netpol::Network<'a>>,
    findings: &'a mut Vec<Finding>,
) {
    let meta = rule.meta();
    match meta.target {
        Target::PodTemplates => {
            // Only top-level workloads: a Pod or ReplicaSet whose controller is also in the
            // input is reported through that controller, never twice.
            let workloads = crate::support::workloads::Workloads::of(inventory);
            for &index in &workloads.top {
                let object = &inventory.objects()[index];
                // Pod-template rules skip the platform's system namespaces.
                if object
                    .namespace()
                    .is_some_and(|ns| settings.is_exempt_namespace(ns))
                {
                    continue;
                }
                if let Some(pod) = PodTemplate::of(object) {
                    let mut cx = Context::new(inventory, settings, meta, Some(object), findings)
                        .with_network(network);
                    rule.check_pod(&pod, &mut cx);
                }
            }
        }
        Target::Kinds(kinds) => {
            for kind in kinds {
                for object in inventory.of_kind(kind) {
                    let mut cx = Context::new(inventory, settings, meta, Some(object), findings)
                        .with_network(network);
                    rule.check_object(object, &mut cx);
                }
            }
        }
        Target::Inventory(_) => {
            let mut cx =
                Context::new(inventory, settings, meta, None, findings).with_network(network);
            rule.check_inventory(&mut cx);
        }
    }
}
