//! Workload rules beyond the Pod Security Standards.

mod bare_pod_in_cde;
mod change_control_metadata;
mod ephemeral_container_in_cde;
mod namespace_without_quota;
mod removed_api_version;
mod resources_missing;
mod root_group;
mod system_namespace_workload;
mod workload_in_default_namespace;
mod writable_root_filesystem;

pub(crate) use bare_pod_in_cde::BarePodInCde;
pub(crate) use change_control_metadata::ChangeControlMetadata;
pub(crate) use ephemeral_container_in_cde::EphemeralContainerInCde;
pub(crate) use namespace_without_quota::NamespaceWithoutQuota;
pub(crate) use removed_api_version::RemovedApiVersion;
pub(crate) use resources_missing::ResourcesMissing;
pub(crate) use root_group::RootGroup;
pub(crate) use system_namespace_workload::SystemNamespaceWorkload;
pub(crate) use workload_in_default_namespace::WorkloadInDefaultNamespace;
pub(crate) use writable_root_filesystem::WritableRootFilesystem;
