//! The controls of the Kubernetes Pod Security Standards (baseline and restricted, as enforced
//! by Pod Security Admission v1.37), each mapped to PCI DSS.

mod apparmor_unconfined;
mod capabilities_baseline;
mod capabilities_restricted;
mod host_ipc;
mod host_network;
mod host_path_volume;
mod host_pid;
mod host_port;
mod host_probes_and_lifecycle;
mod privilege_escalation_allowed;
mod privileged_container;
mod proc_mount_restricted;
mod proc_mount_unmasked;
mod restricted_volume_types;
mod run_as_non_root_missing;
mod run_as_root_user;
mod seccomp_profile_missing;
mod seccomp_unconfined;
mod selinux_options;
mod unsafe_sysctl;
mod windows_host_process;

pub(crate) use apparmor_unconfined::AppArmorUnconfined;
pub(crate) use capabilities_baseline::CapabilitiesBaseline;
pub(crate) use capabilities_restricted::CapabilitiesRestricted;
pub(crate) use host_ipc::HostIpc;
pub(crate) use host_network::HostNetwork;
pub(crate) use host_path_volume::HostPathVolume;
pub(crate) use host_pid::HostPid;
pub(crate) use host_port::HostPort;
pub(crate) use host_probes_and_lifecycle::HostProbesAndLifecycle;
pub(crate) use privilege_escalation_allowed::PrivilegeEscalationAllowed;
pub(crate) use privileged_container::PrivilegedContainer;
pub(crate) use proc_mount_restricted::ProcMountRestricted;
pub(crate) use proc_mount_unmasked::ProcMountUnmasked;
pub(crate) use restricted_volume_types::RestrictedVolumeTypes;
pub(crate) use run_as_non_root_missing::RunAsNonRootMissing;
pub(crate) use run_as_root_user::RunAsRootUser;
pub(crate) use seccomp_profile_missing::SeccompProfileMissing;
pub(crate) use seccomp_unconfined::SeccompUnconfined;
pub(crate) use selinux_options::SeLinuxOptions;
pub(crate) use unsafe_sysctl::UnsafeSysctl;
pub(crate) use windows_host_process::WindowsHostProcess;

use super::prelude::*;

/// Reports a pod-spec boolean that must not be `true` (`hostPID`, `hostIPC`, `hostNetwork`).
fn flag_pod_bool(pod: &PodTemplate<'_>, cx: &mut Context<'_>, field: &str, message: &str) {
    if pod.get(&[field]).and_then(Node::as_bool) == Some(true) {
        cx.report(pod.pointer(&[field]), message);
    }
}
