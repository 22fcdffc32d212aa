//! Workload rules beyond the Pod Security Standards.

mod bare_pod_in_cde;
mod workload_in_default_namespace;
mod writable_root_filesystem;

pub(crate) use bare_pod_in_cde::BarePodInCde;
pub(crate) use workload_in_default_namespace::WorkloadInDefaultNamespace;
pub(crate) use writable_root_filesystem::WritableRootFilesystem;
