//! Platform controls (PCI DSS 2.2, 4.2, 6.3, 6.4, 8.2, 8.3, 10.2, 10.7): admission control,
//! Pod Security Admission, node agents, certificate management, dashboards, supported
//! versions and the web application firewall. Rules that judge the cluster as a whole only
//! run when the input is a whole cluster (see `support::cluster`).

mod admission_webhook_excludes_namespace;
mod admission_webhook_fail_open;
mod admission_webhook_missing;
mod admission_webhook_not_ha;
mod cde_ingress_without_waf;
mod cert_manager_missing;
mod dashboard;
mod dashboard_session_timeout;
mod dashboard_skip_login;
mod helm_tiller;
mod kubernetes_version_unsupported;
mod log_forwarder_missing;
mod namespace_without_admission_control;
mod psa_enforce_baseline;
mod psa_enforce_missing;
mod security_agent_coverage;

pub(crate) use admission_webhook_excludes_namespace::AdmissionWebhookExcludesNamespace;
pub(crate) use admission_webhook_fail_open::AdmissionWebhookFailOpen;
pub(crate) use admission_webhook_missing::AdmissionWebhookMissing;
pub(crate) use admission_webhook_not_ha::AdmissionWebhookNotHa;
pub(crate) use cde_ingress_without_waf::CdeIngressWithoutWaf;
pub(crate) use cert_manager_missing::CertManagerMissing;
pub(crate) use dashboard_session_timeout::DashboardSessionTimeout;
pub(crate) use dashboard_skip_login::DashboardSkipLogin;
pub(crate) use helm_tiller::HelmTiller;
pub(crate) use kubernetes_version_unsupported::KubernetesVersionUnsupported;
pub(crate) use log_forwarder_missing::LogForwarderMissing;
pub(crate) use namespace_without_admission_control::NamespaceWithoutAdmissionControl;
pub(crate) use psa_enforce_baseline::PsaEnforceBaseline;
pub(crate) use psa_enforce_missing::PsaEnforceMissing;
pub(crate) use security_agent_coverage::SecurityAgentCoverage;
